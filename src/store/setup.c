/* The set-up links of a new installation (see core/setup.h): only token hashes, and the use of a
 * link as one conditional UPDATE. */
#include "store/query.h"

gh_err gh_store_setup_replace(gh_db *db, const char *hash, int64_t now, int64_t expires_at,
                              int64_t *id)
{
    int64_t v[1] = {now};
    gh_err err = gh_store_exec_ints(
        db, "UPDATE setup_links SET voided_at = ? WHERE used_at = 0 AND voided_at = 0", 1, v);
    gh_stmt *st = NULL;
    if (err == GH_OK)
        err = gh_db_prepare(db,
                            "INSERT INTO setup_links (token_hash, created_at, expires_at) VALUES "
                            "(?, ?, ?) RETURNING id",
                            &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, expires_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_setup_by_hash(gh_db *db, const char *hash, gh_setup_link *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT id, created_at, expires_at, used_at, voided_at, "
                               "COALESCE(user_id, 0) FROM setup_links WHERE token_hash = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = (gh_setup_link){.id = gh_stmt_int(st, 0),
                               .created_at = gh_stmt_int(st, 1),
                               .expires_at = gh_stmt_int(st, 2),
                               .used_at = gh_stmt_int(st, 3),
                               .voided_at = gh_stmt_int(st, 4),
                               .user_id = gh_stmt_int(st, 5)};
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_setup_use(gh_db *db, int64_t id, int64_t user_id, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE setup_links SET used_at = ?, user_id = ? WHERE id = ? AND "
                               "used_at = 0 AND voided_at = 0 AND expires_at > ? AND NOT EXISTS "
                               "(SELECT 1 FROM users WHERE id <> ?)",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_int(st, 2, user_id);
    gh_stmt_bind_int(st, 3, id);
    gh_stmt_bind_int(st, 4, now);
    gh_stmt_bind_int(st, 5, user_id);
    return gh_store_step_changing(st);
}
