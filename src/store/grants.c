/* What the rules of grants (core/rights.c) read beyond the scoped lists: a service provider's
 * accounts and sub-accounts whatever the reader sees (core filters them through its rules), and
 * the names of the objects a user refers to. */
#include <string.h>

#include "store/query.h"

#define TENANT_COLS                                                                                \
    "t.id, t.kind, t.parent_id, t.provider_id, t.name, t.created_at, t.updated_at, t.version"

gh_err gh_store_tenants_of_provider(gh_db *db, gh_arena *a, int64_t provider_id,
                                    gh_tenant_kind kind, int limit, gh_tenant **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " TENANT_COLS " FROM tenants t WHERE t.provider_id = ? AND "
                               "t.kind = ? ORDER BY t.id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_text(st, 2, gh_tenant_kind_name(kind));
    gh_stmt_bind_int(st, 3, limit);
    gh_tenant *v = gh_arena_alloc(a, (size_t)limit * sizeof *v + 1);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row) {
        gh_tenant *t = &v[count++];
        *t = (gh_tenant){
            .id = gh_stmt_int(st, 0),
            .kind = gh_store_tenant_kind_from(gh_stmt_text(st, 1, a)),
            .parent_id = gh_stmt_int(st, 2),
            .provider_id = gh_stmt_int(st, 3),
            .name = gh_stmt_text(st, 4, a),
            .created_at = gh_stmt_int(st, 5),
            .updated_at = gh_stmt_int(st, 6),
            .version = gh_stmt_int(st, 7),
        };
    }
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_name_of(gh_db *db, gh_arena *a, gh_store_named what, int64_t id, const char **name)
{
    static const char *const sql[] = {
        [GH_NAMED_TENANT] = "SELECT name FROM tenants WHERE id = ?",
        [GH_NAMED_ROLE] = "SELECT name FROM roles WHERE id = ?",
        [GH_NAMED_GROUP] = "SELECT name FROM user_group WHERE id = ?",
        [GH_NAMED_USER] = "SELECT username FROM users WHERE id = ?",
        [GH_NAMED_SSO_SOURCE] = "SELECT name FROM sso_sources WHERE id = ?",
    };
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql[what], &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *name = gh_stmt_text(st, 0, a);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

gh_err gh_store_id_by_name(gh_db *db, gh_store_named what, const char *name, int64_t owner,
                           int64_t *id)
{
    static const char *const sql[] = {
        [GH_NAMED_TENANT] = "SELECT id FROM tenants WHERE name = ? AND COALESCE(parent_id, 0) = ? "
                            "LIMIT 2",
        [GH_NAMED_ROLE] = "SELECT id FROM roles WHERE name = ? AND COALESCE(provider_id, 0) IN "
                          "(0, ?) LIMIT 2",
        [GH_NAMED_GROUP] = "SELECT id FROM user_group WHERE name = ? AND COALESCE(provider_id, 0) "
                           "IN (0, ?) LIMIT 2",
        [GH_NAMED_USER] =
            "SELECT id FROM users WHERE username = ? AND COALESCE(provider_id, 0) = ? "
            "LIMIT 2",
    };
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql[what], &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, name);
    gh_stmt_bind_int(st, 2, owner);
    bool row = false;
    int n = 0;
    int64_t found = 0;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        found = gh_stmt_int(st, 0);
        n++;
    }
    gh_stmt_done(st);
    if (err != GH_OK)
        return err;
    if (n == 0)
        return GH_ENOTFOUND;
    if (n > 1)
        return GH_ECONFLICT;
    *id = found;
    return GH_OK;
}

gh_err gh_store_principals_of(gh_db *db, gh_arena *a, const int64_t *ids, size_t n,
                              gh_principal *out, bool *found)
{
    for (size_t i = 0; i < n; i++)
        found[i] = false;
    if (n == 0)
        return GH_OK;
    const char *sql = gh_store_in_list(
        a, "SELECT " GH_STORE_PRINCIPAL_COLS " FROM users u WHERE u.id IN (", n, "");
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    for (size_t i = 0; i < n; i++)
        gh_stmt_bind_int(st, (int)i + 1, ids[i]);
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        gh_principal p;
        gh_store_read_principal(st, a, 0, &p);
        for (size_t i = 0; i < n; i++)
            if (ids[i] == p.user_id) {
                out[i] = p;
                found[i] = true;
            }
    }
    gh_stmt_done(st);
    return err;
}
