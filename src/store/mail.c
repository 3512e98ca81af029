/* The mail outbox and the single-use links (onboarding, password reset) its messages carry. */
#include <string.h>

#include "store/query.h"

#define MAIL_COLS                                                                                  \
    "id, user_id, provider_id, attempts, next_attempt_at, created_at, sent_at, kind, to_addr, "    \
    "to_name, username, language, state, last_error, sso_source, sso_display_name, dormant_at, "   \
    "dormant_days"

#define LINK_COLS                                                                                  \
    "l.id, l.user_id, l.outbox_id, l.ttl, l.created_at, l.sent_at, l.expires_at, l.used_at, "      \
    "l.voided_at, l.purpose, l.origin"

gh_err gh_store_mail_insert(gh_db *db, const gh_mail *m, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO outbox (kind, user_id, provider_id, to_addr, to_name, "
                               "username, language, next_attempt_at, created_at, state, "
                               "last_error, sso_source, sso_display_name, dormant_at, "
                               "dormant_days) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, m->kind);
    gh_store_bind_opt_id(st, 2, m->user_id);
    gh_store_bind_opt_id(st, 3, m->provider_id);
    gh_stmt_bind_text(st, 4, m->to_addr);
    gh_stmt_bind_text(st, 5, m->to_name ? m->to_name : "");
    gh_stmt_bind_text(st, 6, m->username);
    gh_stmt_bind_text(st, 7, m->language ? m->language : "en");
    gh_stmt_bind_int(st, 8, m->next_attempt_at);
    gh_stmt_bind_int(st, 9, m->created_at);
    gh_stmt_bind_text(st, 10, gh_mail_state_name(m->state));
    gh_stmt_bind_text(st, 11, m->last_error); /* NULL binds NULL */
    gh_stmt_bind_text(st, 12, m->sso_source);
    gh_stmt_bind_text(st, 13, m->sso_display_name);
    gh_stmt_bind_int(st, 14, m->dormant_at);
    gh_stmt_bind_int(st, 15, m->dormant_days);
    return gh_store_step_returning(st, id);
}

static void read_mail(gh_stmt *st, gh_arena *a, gh_mail *m)
{
    memset(m, 0, sizeof *m);
    m->id = gh_stmt_int(st, 0);
    m->user_id = gh_stmt_int(st, 1);
    m->provider_id = gh_stmt_int(st, 2);
    m->attempts = gh_stmt_int(st, 3);
    m->next_attempt_at = gh_stmt_int(st, 4);
    m->created_at = gh_stmt_int(st, 5);
    m->sent_at = gh_stmt_int(st, 6);
    m->kind = gh_stmt_text(st, 7, a);
    m->to_addr = gh_stmt_text(st, 8, a);
    m->to_name = gh_stmt_text(st, 9, a);
    m->username = gh_stmt_text(st, 10, a);
    m->language = gh_stmt_text(st, 11, a);
    m->state = gh_store_mail_state_from(gh_stmt_text(st, 12, a));
    m->last_error = gh_stmt_text(st, 13, a);
    m->sso_source = gh_stmt_text(st, 14, a);
    m->sso_display_name = gh_stmt_text(st, 15, a);
    m->dormant_at = gh_stmt_int(st, 16);
    m->dormant_days = gh_stmt_int(st, 17);
}

/* Fills the link fields of a claimed message. */
static gh_err claim_link(gh_db *db, gh_arena *a, gh_mail *m)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT id, ttl, purpose FROM user_links WHERE outbox_id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, m->id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        m->link_id = gh_stmt_int(st, 0);
        m->link_ttl = gh_stmt_int(st, 1);
        m->link_purpose = gh_store_link_purpose_from(gh_stmt_text(st, 2, a));
    }
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_mail_claim(gh_db *db, gh_arena *a, int64_t now, int64_t lease, gh_mail *out)
{
    /* Several senders (instances) never take one message: the subquery locks the row it picks
     * and skips rows others hold (gh_db_skip_locked), and the UPDATE re-checks that the row is
     * still due on its newest version. */
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        gh_arena_printf(a,
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = "
                        "(SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? "
                        "ORDER BY next_attempt_at, id LIMIT 1%s) AND state = 'queued' AND "
                        "next_attempt_at <= ? RETURNING " MAIL_COLS,
                        gh_db_skip_locked(db)),
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now + lease);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, now);
    bool row = false;
    gh_mail m;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_mail(st, a, &m);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        err = claim_link(db, a, &m);
    if (err == GH_OK)
        *out = m;
    return err;
}

gh_err gh_store_mail_finish(gh_db *db, int64_t id, gh_mail_state state, const char *error,
                            int64_t next_attempt_at, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?, "
                               "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                               "WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, gh_mail_state_name(state));
    gh_stmt_bind_text(st, 2, error);
    gh_stmt_bind_int(st, 3, next_attempt_at);
    gh_stmt_bind_text(st, 4, gh_mail_state_name(state));
    gh_stmt_bind_int(st, 5, now);
    gh_stmt_bind_int(st, 6, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_link_insert(gh_db *db, const gh_link *l, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO user_links (user_id, purpose, origin, outbox_id, ttl, "
                               "created_at, voided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_store_bind_opt_id(st, 1, l->user_id);
    gh_stmt_bind_text(st, 2, gh_link_purpose_name(l->purpose));
    gh_stmt_bind_text(st, 3, l->origin);
    gh_store_bind_opt_id(st, 4, l->outbox_id); /* NULL: a copied link, no e-mail */
    gh_stmt_bind_int(st, 5, l->ttl);
    gh_stmt_bind_int(st, 6, l->created_at);
    gh_stmt_bind_int(st, 7, l->voided_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_link_void(gh_db *db, int64_t user_id, gh_link_purpose purpose, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE user_links SET voided_at = ? WHERE user_id = ? AND "
                               "purpose = ? AND used_at = 0 AND voided_at = 0",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_int(st, 2, user_id);
    gh_stmt_bind_text(st, 3, gh_link_purpose_name(purpose));
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_link_count(gh_db *db, int64_t user_id, gh_link_purpose purpose, const char *origin,
                           int64_t since, int64_t *count, int64_t *oldest)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM user_links "
                               "WHERE user_id = ? AND purpose = ? AND origin = COALESCE(?, origin) "
                               "AND origin <> 'dropped' AND created_at > ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_text(st, 2, gh_link_purpose_name(purpose));
    gh_stmt_bind_text(st, 3, origin); /* NULL: any (a bare "? IS NULL" has no type in PostgreSQL) */
    gh_stmt_bind_int(st, 4, since);
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t c = row ? gh_stmt_int(st, 0) : 0, o = row ? gh_stmt_int(st, 1) : 0;
    gh_stmt_done(st);
    if (err == GH_OK) {
        *count = c;
        *oldest = o;
    }
    return err;
}

gh_err gh_store_link_by_hash(gh_db *db, gh_arena *a, const char *hash, gh_link *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " LINK_COLS " FROM user_links l WHERE l.token_hash = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = (gh_link){.id = gh_stmt_int(st, 0),
                         .user_id = gh_stmt_int(st, 1),
                         .outbox_id = gh_stmt_int(st, 2),
                         .ttl = gh_stmt_int(st, 3),
                         .created_at = gh_stmt_int(st, 4),
                         .sent_at = gh_stmt_int(st, 5),
                         .expires_at = gh_stmt_int(st, 6),
                         .used_at = gh_stmt_int(st, 7),
                         .voided_at = gh_stmt_int(st, 8),
                         .purpose = gh_store_link_purpose_from(gh_stmt_text(st, 9, a)),
                         .origin = gh_stmt_text(st, 10, a)};
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_link_use(gh_db *db, int64_t id, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE user_links SET used_at = ? WHERE id = ? AND used_at = 0 "
                               "AND voided_at = 0 AND expires_at > ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_int(st, 2, id);
    gh_stmt_bind_int(st, 3, now);
    return gh_store_step_changing(st);
}

gh_err gh_store_link_mint(gh_db *db, int64_t id, const char *hash, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE user_links SET token_hash = ?, expires_at = ? + ttl WHERE "
                               "id = ? AND used_at = 0 AND voided_at = 0",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_link_handed(gh_db *db, int64_t id, const char *hash, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db,
                      "UPDATE user_links SET token_hash = ?, sent_at = ?, expires_at = ? + "
                      "ttl WHERE id = ? AND used_at = 0 AND voided_at = 0",
                      &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, now);
    gh_stmt_bind_int(st, 4, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_link_sent(gh_db *db, int64_t outbox_id, int64_t now)
{
    int64_t v[3] = {now, now, outbox_id};
    return gh_store_exec_ints(db,
                              "UPDATE user_links SET sent_at = ?, expires_at = ? + ttl WHERE "
                              "outbox_id = ? AND used_at = 0 AND voided_at = 0",
                              3, v);
}
