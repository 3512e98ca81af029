/* Figures for operations: the depth of the delivery queues (/metrics). */
#include "store/query.h"

/* One count: the first column of sql's only row. */
static gh_err count(gh_db *db, const char *sql, int64_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t v = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err == GH_OK)
        *n = v;
    return err;
}

gh_err gh_store_outbox_depth(gh_db *db, int64_t *mail, int64_t *hooks)
{
    int64_t m = 0, h = 0;
    gh_err err = count(db, "SELECT COUNT(*) FROM outbox WHERE state = 'queued'", &m);
    if (err == GH_OK)
        err = count(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'queued'", &h);
    if (err == GH_OK) {
        *mail = m;
        *hooks = h;
    }
    return err;
}
