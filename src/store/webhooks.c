/* Webhook subscriptions and their deliveries (issue 16). A delivery row is written in the
 * transaction of the change it reports and claimed by the webhook sender as the mail outbox's
 * rows are (store/mail.c). */
#include <string.h>

#include "store/query.h"

#define HOOK_COLS "id, provider_id, url, events, enabled, created_by, created_at"
#define DELIVERY_COLS                                                                              \
    "id, webhook_id, event, event_id, payload, state, attempts, next_attempt_at, last_status, "    \
    "last_error, last_attempt_at, created_at, sent_at"

static void read_hook(gh_stmt *st, gh_arena *a, gh_webhook *w)
{
    *w = (gh_webhook){.id = gh_stmt_int(st, 0),
                      .provider_id = gh_stmt_int(st, 1),
                      .url = gh_stmt_text(st, 2, a),
                      .events = gh_stmt_text(st, 3, a),
                      .enabled = gh_stmt_int(st, 4) != 0,
                      .created_by = gh_stmt_int(st, 5),
                      .created_at = gh_stmt_int(st, 6)};
}

static void read_delivery(gh_stmt *st, gh_arena *a, gh_webhook_delivery *d)
{
    *d = (gh_webhook_delivery){.id = gh_stmt_int(st, 0),
                               .webhook_id = gh_stmt_int(st, 1),
                               .event = gh_stmt_text(st, 2, a),
                               .event_id = gh_stmt_text(st, 3, a),
                               .payload = gh_stmt_text(st, 4, a),
                               .state = gh_store_mail_state_from(gh_stmt_text(st, 5, a)),
                               .attempts = gh_stmt_int(st, 6),
                               .next_attempt_at = gh_stmt_int(st, 7),
                               .last_status = gh_stmt_int(st, 8),
                               .last_error = gh_stmt_text(st, 9, a),
                               .last_attempt_at = gh_stmt_int(st, 10),
                               .created_at = gh_stmt_int(st, 11),
                               .sent_at = gh_stmt_int(st, 12)};
}

gh_err gh_store_webhook_insert(gh_db *db, const gh_webhook *w, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO webhooks (provider_id, url, events, secret_sealed, "
                               "enabled, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                               "RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_store_bind_opt_id(st, 1, w->provider_id);
    gh_stmt_bind_text(st, 2, w->url);
    gh_stmt_bind_text(st, 3, w->events);
    gh_stmt_bind_text(st, 4, w->secret_sealed);
    gh_stmt_bind_int(st, 5, w->enabled ? 1 : 0);
    gh_store_bind_opt_id(st, 6, w->created_by);
    gh_stmt_bind_int(st, 7, w->created_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_webhook_get(gh_db *db, gh_arena *a, int64_t id, gh_webhook *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " HOOK_COLS " FROM webhooks WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_hook(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_webhook_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                             int64_t after_id, gh_webhook **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " HOOK_COLS " FROM webhooks WHERE (? < 0 OR "
                               "COALESCE(provider_id, 0) = ?) AND id > ? ORDER BY id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_int(st, 2, provider_id);
    gh_stmt_bind_int(st, 3, after_id);
    gh_stmt_bind_int(st, 4, limit);
    gh_webhook *v = gh_arena_alloc(a, ((size_t)limit + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_hook(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_webhook_delete(gh_db *db, int64_t id)
{
    int64_t v[1] = {id};
    gh_err err =
        gh_store_exec_ints(db, "DELETE FROM webhook_deliveries WHERE webhook_id = ?", 1, v);
    gh_stmt *st = NULL;
    if (err == GH_OK)
        err = gh_db_prepare(db, "DELETE FROM webhooks WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_webhook_update(gh_db *db, const gh_webhook *w)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "UPDATE webhooks SET url = ?, events = ?, enabled = ? WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, w->url);
    gh_stmt_bind_text(st, 2, w->events);
    gh_stmt_bind_int(st, 3, w->enabled ? 1 : 0);
    gh_stmt_bind_int(st, 4, w->id);
    return gh_store_step_changing(st);
}

gh_err gh_store_webhook_count(gh_db *db, int64_t provider_id, int64_t *n)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT COUNT(*) FROM webhooks WHERE COALESCE(provider_id, 0) = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t v = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err == GH_OK)
        *n = v;
    return err;
}

gh_err gh_store_webhook_matching(gh_db *db, gh_arena *a, int64_t provider_id, const char *event,
                                 size_t max, int64_t **ids, size_t *n)
{
    /* events is a sorted list without spaces: ",a,b," holds ",event," exactly when it has it */
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT id FROM webhooks WHERE COALESCE(provider_id, 0) = ? AND "
                               "enabled = 1 AND (',' || events || ',') LIKE ? ORDER BY id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_text(st, 2, gh_arena_printf(a, "%%,%s,%%", event)); /* event: a fixed name */
    gh_stmt_bind_int(st, 3, (int64_t)max);
    int64_t *v = gh_arena_alloc(a, (max + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < max && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        v[count++] = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *ids = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_delivery_insert(gh_db *db, const gh_webhook_delivery *d, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO webhook_deliveries (webhook_id, event, event_id, "
                               "payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                               "RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, d->webhook_id);
    gh_stmt_bind_text(st, 2, d->event);
    gh_stmt_bind_text(st, 3, d->event_id);
    gh_stmt_bind_text(st, 4, d->payload);
    gh_stmt_bind_int(st, 5, d->next_attempt_at);
    gh_stmt_bind_int(st, 6, d->created_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_delivery_get(gh_db *db, gh_arena *a, int64_t id, gh_webhook_delivery *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_delivery(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_delivery_list(gh_db *db, gh_arena *a, int64_t webhook_id, int limit,
                              gh_webhook_delivery **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE "
                               "webhook_id = ? ORDER BY id DESC LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, webhook_id);
    gh_stmt_bind_int(st, 2, limit);
    gh_webhook_delivery *v = gh_arena_alloc(a, ((size_t)limit + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_delivery(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_delivery_resend(gh_db *db, int64_t id, int64_t now)
{
    int64_t v[2] = {now, id};
    return gh_store_exec_ints(db,
                              "UPDATE webhook_deliveries SET state = 'queued', attempts = 0, "
                              "next_attempt_at = ? WHERE id = ?",
                              2, v);
}

gh_err gh_store_delivery_claim(gh_db *db, gh_arena *a, int64_t now, int64_t lease,
                               gh_webhook_delivery *out, const char **url,
                               const char **secret_sealed)
{
    /* as gh_store_mail_claim: the subquery locks the row it picks and skips rows others hold,
     * and the UPDATE re-checks that the row is still due on its newest version */
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        gh_arena_printf(a,
                        "UPDATE webhook_deliveries SET attempts = attempts + 1, "
                        "next_attempt_at = ? WHERE id = (SELECT id FROM webhook_deliveries WHERE "
                        "state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id "
                        "LIMIT 1%s) AND state = 'queued' AND next_attempt_at <= ? "
                        "RETURNING " DELIVERY_COLS,
                        gh_db_skip_locked(db)),
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now + lease);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, now);
    bool row = false;
    gh_webhook_delivery d;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_delivery(st, a, &d);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        err = gh_db_prepare(db, "SELECT url, secret_sealed FROM webhooks WHERE id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, d.webhook_id);
    err = gh_stmt_step(st, &row);
    const char *u = row ? gh_stmt_text(st, 0, a) : NULL, *s = row ? gh_stmt_text(st, 1, a) : NULL;
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        err = GH_ENOTFOUND;
    if (err == GH_OK) {
        *out = d;
        *url = u;
        *secret_sealed = s;
    }
    return err;
}

gh_err gh_store_delivery_finish(gh_db *db, int64_t id, gh_mail_state state, int64_t status,
                                const char *error, int64_t next_attempt_at, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE webhook_deliveries SET state = ?, last_status = ?, "
                               "last_error = ?, next_attempt_at = ?, last_attempt_at = ?, "
                               "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                               "WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, gh_mail_state_name(state));
    gh_stmt_bind_int(st, 2, status);
    gh_stmt_bind_text(st, 3, error);
    gh_stmt_bind_int(st, 4, next_attempt_at);
    gh_stmt_bind_int(st, 5, now);
    gh_stmt_bind_text(st, 6, gh_mail_state_name(state));
    gh_stmt_bind_int(st, 7, now);
    gh_stmt_bind_int(st, 8, id);
    return gh_store_step_changing(st);
}
