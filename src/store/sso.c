/* SSO sources: OpenID Connect client registrations, each bound to one service provider (or to
 * the platform). The sealed client secret goes in on insert and update and never comes back out
 * of a read. */
#include <string.h>

#include "store/query.h"

#define SSO_COLS                                                                                   \
    "s.id, s.provider_id, s.name, s.display_name, s.issuer, s.client_id, s.scopes, s.claim, "      \
    "s.trust_idp_mfa, s.rp_logout, s.client_secret_sealed <> '', s.created_at, s.updated_at, "     \
    "s.version"

static void read_source(gh_stmt *st, gh_arena *a, gh_sso_source *s)
{
    memset(s, 0, sizeof *s);
    s->id = gh_stmt_int(st, 0);
    s->provider_id = gh_stmt_int(st, 1);
    s->name = gh_stmt_text(st, 2, a);
    s->display_name = gh_stmt_text(st, 3, a);
    s->issuer = gh_stmt_text(st, 4, a);
    s->client_id = gh_stmt_text(st, 5, a);
    s->scopes = gh_stmt_text(st, 6, a);
    s->claim = gh_stmt_text(st, 7, a);
    s->trust_idp_mfa = gh_stmt_int(st, 8) != 0;
    s->rp_logout = gh_stmt_int(st, 9) != 0;
    s->has_client_secret = gh_stmt_int(st, 10) != 0;
    s->created_at = gh_stmt_int(st, 11);
    s->updated_at = gh_stmt_int(st, 12);
    s->version = gh_stmt_int(st, 13);
}

gh_err gh_store_sso_source_insert(gh_db *db, const gh_sso_source *s, int64_t *id)
{
    if (s->client_secret_sealed == NULL)
        return GH_EINVAL;
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO sso_sources (name, display_name, issuer, client_id, "
                               "client_secret_sealed, scopes, claim, provider_id, trust_idp_mfa, "
                               "rp_logout, created_at, updated_at) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, s->name);
    gh_stmt_bind_text(st, 2, s->display_name);
    gh_stmt_bind_text(st, 3, s->issuer);
    gh_stmt_bind_text(st, 4, s->client_id);
    gh_stmt_bind_text(st, 5, s->client_secret_sealed);
    gh_stmt_bind_text(st, 6, s->scopes);
    gh_stmt_bind_text(st, 7, s->claim);
    gh_store_bind_opt_id(st, 8, s->provider_id);
    gh_stmt_bind_int(st, 9, s->trust_idp_mfa);
    gh_stmt_bind_int(st, 10, s->rp_logout);
    gh_stmt_bind_int(st, 11, s->created_at);
    gh_stmt_bind_int(st, 12, s->created_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_sso_source_update(gh_db *db, const gh_sso_source *s)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db,
                      "UPDATE sso_sources SET display_name = ?, issuer = ?, client_id = ?, "
                      "client_secret_sealed = COALESCE(?, client_secret_sealed), "
                      "scopes = ?, claim = ?, trust_idp_mfa = ?, rp_logout = ?, "
                      "updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
                      &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, s->display_name);
    gh_stmt_bind_text(st, 2, s->issuer);
    gh_stmt_bind_text(st, 3, s->client_id);
    gh_stmt_bind_text(st, 4, s->client_secret_sealed); /* NULL keeps the stored one */
    gh_stmt_bind_text(st, 5, s->scopes);
    gh_stmt_bind_text(st, 6, s->claim);
    gh_stmt_bind_int(st, 7, s->trust_idp_mfa);
    gh_stmt_bind_int(st, 8, s->rp_logout);
    gh_stmt_bind_int(st, 9, s->updated_at);
    gh_stmt_bind_int(st, 10, s->id);
    gh_stmt_bind_int(st, 11, s->version);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_EPRECOND;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_sso_source_delete(gh_db *db, int64_t id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "DELETE FROM sso_sources WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_sso_source_get(gh_db *db, gh_arena *a, int64_t id, gh_sso_source *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " SSO_COLS " FROM sso_sources s WHERE s.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_source(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

/* Reads up to limit rows of a prepared, bound statement. */
static gh_err read_sources(gh_stmt *st, gh_arena *a, size_t limit, gh_sso_source **items, size_t *n)
{
    gh_sso_source *v = gh_arena_alloc(a, (limit + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    gh_err err = GH_OK;
    while (count < limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_source(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_sso_source_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                                int64_t after_id, gh_sso_source **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " SSO_COLS " FROM sso_sources s WHERE s.id > ?");
    gh_qb_int(&q, after_id);
    if (provider_id < 0) {
        gh_qb_sql(&q, " AND s.provider_id IS NULL");
    } else if (provider_id > 0) {
        gh_qb_sql(&q, " AND s.provider_id = ?");
        gh_qb_int(&q, provider_id);
    }
    gh_qb_sql(&q, " ORDER BY s.id LIMIT ?");
    gh_qb_int(&q, limit);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    return err != GH_OK ? err : read_sources(st, a, limit > 0 ? (size_t)limit : 0, items, n);
}

gh_err gh_store_sso_source_public(gh_db *db, gh_arena *a, int64_t provider_id, size_t max,
                                  gh_sso_source **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " SSO_COLS " FROM sso_sources s");
    if (provider_id < 0) {
        gh_qb_sql(&q, " WHERE s.provider_id IS NULL");
    } else if (provider_id > 0) {
        gh_qb_sql(&q, " WHERE s.provider_id = ?");
        gh_qb_int(&q, provider_id);
    }
    gh_qb_sql(&q, " ORDER BY s.display_name, s.id LIMIT ?");
    gh_qb_int(&q, (int64_t)max);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    return err != GH_OK ? err : read_sources(st, a, max, items, n);
}

gh_err gh_store_sso_source_by_name(gh_db *db, gh_arena *a, const char *name, gh_sso_source *out,
                                   const char **sealed_secret)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db, "SELECT " SSO_COLS ", s.client_secret_sealed FROM sso_sources s WHERE s.name = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, name);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        read_source(st, a, out);
        *sealed_secret = gh_stmt_text(st, 14, a);
    }
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

/* ---- flows ---- */

gh_err gh_store_sso_flow_insert(gh_db *db, const gh_sso_flow *f)
{
    /* the flows that ended long ago go first: the table holds only the last hour's */
    int64_t cutoff = f->created_at - GH_STORE_SSO_FLOW_KEEP_S;
    gh_err err = gh_store_exec_ints(db, "DELETE FROM sso_flows WHERE expires_at < ?", 1, &cutoff);
    gh_stmt *st = NULL;
    if (err == GH_OK)
        err = gh_db_prepare(db,
                            "INSERT INTO sso_flows (source_id, state_hash, binding_hash, nonce, "
                            "code_verifier_sealed, next_path, created_at, expires_at) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?)",
                            &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, f->source_id);
    gh_stmt_bind_text(st, 2, f->state_hash);
    gh_stmt_bind_text(st, 3, f->binding_hash);
    gh_stmt_bind_text(st, 4, f->nonce);
    gh_stmt_bind_text(st, 5, f->code_verifier_sealed);
    gh_stmt_bind_text(st, 6, f->next_path);
    gh_stmt_bind_int(st, 7, f->created_at);
    gh_stmt_bind_int(st, 8, f->expires_at);
    return gh_store_step_changing(st);
}

gh_err gh_store_sso_flow_take(gh_db *db, gh_arena *a, const char *state_hash, int64_t now,
                              gh_sso_flow *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE sso_flows SET used_at = ? WHERE state_hash = ? AND "
                               "used_at = 0 AND expires_at > ? RETURNING id, source_id, "
                               "binding_hash, nonce, code_verifier_sealed, next_path, "
                               "created_at, expires_at",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_text(st, 2, state_hash);
    gh_stmt_bind_int(st, 3, now);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = (gh_sso_flow){.id = gh_stmt_int(st, 0),
                             .source_id = gh_stmt_int(st, 1),
                             .state_hash = gh_arena_strdup(a, state_hash),
                             .binding_hash = gh_stmt_text(st, 2, a),
                             .nonce = gh_stmt_text(st, 3, a),
                             .code_verifier_sealed = gh_stmt_text(st, 4, a),
                             .next_path = gh_stmt_text(st, 5, a),
                             .created_at = gh_stmt_int(st, 6),
                             .expires_at = gh_stmt_int(st, 7)};
    gh_stmt_done(st); /* SQLite applies an UPDATE ... RETURNING in full at its first step */
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}
