/* API tokens and the principal (permissions and scope) behind a request. */
#include <string.h>

#include "store/query.h"

#define SQL_ROLE_MASKS                                                                             \
    "SELECT r.permissions FROM roles r WHERE r.id IN (SELECT role_id FROM user_roles WHERE "       \
    "user_id = ?) OR r.id IN (SELECT gr.role_id FROM user_group_roles gr JOIN user_group_members " \
    "m ON m.group_id = gr.group_id WHERE m.user_id = ?)"

gh_err gh_store_token_insert(gh_db *db, int64_t user_id, const char *name, const char *hash,
                             int64_t now, int64_t expires_at)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO api_tokens (user_id, name, token_hash, created_at, "
                               "expires_at) VALUES (?, ?, ?, ?, ?)",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_text(st, 2, name);
    gh_stmt_bind_text(st, 3, hash);
    gh_stmt_bind_int(st, 4, now);
    gh_stmt_bind_int(st, 5, expires_at);
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

static gh_err load_perms(gh_db *db, int64_t user_id, uint64_t *mask)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, SQL_ROLE_MASKS, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, user_id);
    uint64_t m = 0;
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row)
        m |= (uint64_t)gh_stmt_int(st, 0);
    gh_stmt_done(st);
    if (err == GH_OK)
        *mask = m;
    return err;
}

gh_err gh_store_principal_by_user(gh_db *db, gh_arena *a, int64_t user_id, gh_principal *out)
{
    gh_user u;
    gh_err err = gh_store_user_get(db, a, user_id, &u);
    if (err != GH_OK)
        return err;
    gh_principal p = {
        .user_id = u.id,
        .username = u.username,
        .provider_id = u.provider_id,
        .superadmin = u.is_superadmin,
        .access = u.access,
    };
    err = load_perms(db, user_id, &p.perms);
    if (err == GH_OK)
        *out = p;
    return err;
}

gh_err gh_store_principal_by_token(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                                   gh_principal *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db,
                      "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                      "WHERE t.token_hash = ? AND (t.expires_at = 0 OR t.expires_at > ?) "
                      "AND u.status = 'active' AND u.login_enabled = 1 "
                      "AND u.banned_until <= ?",
                      &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, now);
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t user_id = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err != GH_OK)
        return err;
    if (!row)
        return GH_EUNAUTH;
    return gh_store_principal_by_user(db, a, user_id, out);
}
