/* API tokens and the principal (permissions and scope) behind a request. */
#include <string.h>

#include "store/query.h"

gh_err gh_store_token_insert(gh_db *db, int64_t user_id, const char *name, const char *hash,
                             int64_t now, int64_t expires_at, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO api_tokens (user_id, name, token_hash, created_at, "
                               "expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_text(st, 2, name);
    gh_stmt_bind_text(st, 3, hash);
    gh_stmt_bind_int(st, 4, now);
    gh_stmt_bind_int(st, 5, expires_at);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_token_purge(gh_db *db, int64_t user_id, int64_t now)
{
    int64_t v[2] = {user_id, now};
    return gh_store_exec_ints(
        db, "DELETE FROM api_tokens WHERE user_id = ? AND expires_at <> 0 AND expires_at <= ?", 2,
        v);
}

gh_err gh_store_auth_epochs(gh_db *db, int64_t user_id, gh_auth_stamp *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT (SELECT n FROM auth_epochs WHERE id = 0), (SELECT n FROM "
                               "auth_epochs WHERE id = ?)",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        out->global = gh_stmt_int(st, 0);
        out->user = gh_stmt_int(st, 1);
    }
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_EINTERNAL : err;
}

void gh_store_read_principal(gh_stmt *st, gh_arena *a, int col, gh_principal *out)
{
    gh_principal p = {
        .user_id = gh_stmt_int(st, col),
        .username = gh_stmt_text(st, col + 1, a),
        .provider_id = gh_stmt_int(st, col + 2),
        .superadmin = gh_stmt_int(st, col + 3) != 0,
        .perms = (uint64_t)gh_stmt_int(st, col + 7),
    };
    char *level = gh_stmt_text(st, col + 4, a);
    p.access.level = gh_store_level_from(level);
    p.access.all = gh_stmt_int(st, col + 5) != 0;
    p.access.account_id = gh_stmt_int(st, col + 6);
    *out = p;
}

gh_err gh_store_principal_by_user(gh_db *db, gh_arena *a, int64_t user_id, gh_principal *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " GH_STORE_PRINCIPAL_COLS " FROM users u WHERE u.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    bool row = false;
    if ((err = gh_stmt_step(st, &row)) != GH_OK || !row) {
        gh_stmt_done(st);
        return err != GH_OK ? err : GH_ENOTFOUND;
    }
    gh_store_read_principal(st, a, 0, out);
    gh_stmt_done(st);
    return GH_OK;
}

gh_err gh_store_principal_by_token(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                                   gh_principal *out, gh_auth_stamp *stamp)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " GH_STORE_PRINCIPAL_COLS ", " GH_STORE_STAMP_COLS
                               ", t.expires_at FROM "
                               "api_tokens t JOIN users u ON "
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
    if (stamp != NULL)
        *stamp = (gh_auth_stamp){.global = gh_stmt_int(st, 8),
                                 .user = gh_stmt_int(st, 9),
                                 .expires_at = gh_stmt_int(st, 10)};
    gh_store_read_principal(st, a, 0, out);
    gh_stmt_done(st);
    return GH_OK;
}

#define TOKEN_COLS "t.id, t.user_id, u.username, t.name, t.created_at, t.expires_at"

static void read_token(gh_stmt *st, gh_arena *a, gh_api_token *out)
{
    *out = (gh_api_token){.id = gh_stmt_int(st, 0),
                          .user_id = gh_stmt_int(st, 1),
                          .username = gh_stmt_text(st, 2, a),
                          .name = gh_stmt_text(st, 3, a),
                          .created_at = gh_stmt_int(st, 4),
                          .expires_at = gh_stmt_int(st, 5)};
}

gh_err gh_store_token_list(gh_db *db, gh_arena *a, int64_t user_id, int64_t now, size_t max,
                           gh_api_token **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u ON u.id = "
                               "t.user_id WHERE (? = 0 OR t.user_id = ?) AND (t.expires_at = 0 OR "
                               "t.expires_at > ?) ORDER BY t.id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, user_id);
    gh_stmt_bind_int(st, 3, now);
    gh_stmt_bind_int(st, 4, (int64_t)max);
    gh_api_token *v = gh_arena_alloc(a, (max + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < max && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_token(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_token_get(gh_db *db, gh_arena *a, int64_t id, int64_t now, gh_api_token *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db,
                      "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u ON u.id = "
                      "t.user_id WHERE t.id = ? AND (t.expires_at = 0 OR t.expires_at > ?)",
                      &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    gh_stmt_bind_int(st, 2, now);
    bool row = false;
    gh_api_token t;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_token(st, a, &t);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        *out = t;
    return err;
}

gh_err gh_store_token_delete(gh_db *db, int64_t user_id, int64_t id, int64_t now, int64_t *count)
{
    int64_t live = 0;
    gh_stmt *st = NULL;
    /* first count the live ones (what the caller reports), then delete expired ones too */
    gh_err err = gh_db_prepare(db,
                               "SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND (? = 0 OR "
                               "id = ?) AND (expires_at = 0 OR expires_at > ?)",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, user_id);
    gh_stmt_bind_int(st, 2, id);
    gh_stmt_bind_int(st, 3, id);
    gh_stmt_bind_int(st, 4, now);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        live = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    int64_t v[3] = {user_id, id, id};
    if (err == GH_OK)
        err = gh_store_exec_ints(
            db, "DELETE FROM api_tokens WHERE user_id = ? AND (? = 0 OR id = ?)", 3, v);
    if (err == GH_OK && count != NULL)
        *count = live;
    return err;
}
