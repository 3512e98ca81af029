/* API tokens and the principal (permissions and scope) behind a request. */
#include <string.h>

#include "store/query.h"

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

/* The principal's row and its permission mask: the OR of its roles' masks and of its groups'
 * roles' masks (bit_or: PostgreSQL's aggregate, a function of the driver on SQLite), in the same
 * statement, so that authenticating a request is one round trip. */
#define PRINCIPAL_COLS                                                                             \
    "u.id, u.username, u.provider_id, u.is_superadmin, u.access_level, u.access_all, "             \
    "u.access_account_id, COALESCE((SELECT bit_or(r.permissions) FROM user_roles ur JOIN roles r " \
    "ON r.id = ur.role_id WHERE ur.user_id = u.id), 0) | COALESCE((SELECT bit_or(r.permissions) "  \
    "FROM user_group_members m JOIN user_group_roles gr ON gr.group_id = m.group_id JOIN roles r " \
    "ON r.id = gr.role_id WHERE m.user_id = u.id), 0)"

static const char *const level_names[] = {"platform", "provider", "account", "sub_account"};

/* Reads PRINCIPAL_COLS and finishes the statement. The scope queries look the principal's own
 * access list up by user id, so the ids are not loaded here. */
static void read_principal(gh_stmt *st, gh_arena *a, gh_principal *out)
{
    gh_principal p = {
        .user_id = gh_stmt_int(st, 0),
        .username = gh_stmt_text(st, 1, a),
        .provider_id = gh_stmt_int(st, 2),
        .superadmin = gh_stmt_int(st, 3) != 0,
        .perms = (uint64_t)gh_stmt_int(st, 7),
    };
    char *level = gh_stmt_text(st, 4, a);
    for (int i = 0; i < 4; i++)
        if (level != NULL && strcmp(level, level_names[i]) == 0)
            p.access.level = (gh_access_level)i;
    p.access.all = gh_stmt_int(st, 5) != 0;
    p.access.account_id = gh_stmt_int(st, 6);
    gh_stmt_done(st);
    *out = p;
}

gh_err gh_store_principal_by_user(gh_db *db, gh_arena *a, int64_t user_id, gh_principal *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " PRINCIPAL_COLS " FROM users u WHERE u.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    bool row = false;
    if ((err = gh_stmt_step(st, &row)) != GH_OK || !row) {
        gh_stmt_done(st);
        return err != GH_OK ? err : GH_ENOTFOUND;
    }
    read_principal(st, a, out);
    return GH_OK;
}

gh_err gh_store_principal_by_token(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                                   gh_principal *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " PRINCIPAL_COLS " FROM api_tokens t JOIN users u ON "
                               "u.id = t.user_id WHERE t.token_hash = ? AND (t.expires_at = 0 OR "
                               "t.expires_at > ?) AND u.status = 'active' AND u.login_enabled = 1 "
                               "AND u.banned_until <= ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, now);
    bool row = false;
    if ((err = gh_stmt_step(st, &row)) != GH_OK || !row) {
        gh_stmt_done(st);
        return err != GH_OK ? err : GH_EUNAUTH;
    }
    read_principal(st, a, out);
    return GH_OK;
}
