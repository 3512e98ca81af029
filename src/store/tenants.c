/* Tenants: service providers, their platform accounts and the accounts' sub-accounts. */
#include <string.h>

#include "store/query.h"

#define TENANT_COLS                                                                                \
    "t.id, t.kind, t.parent_id, t.provider_id, t.name, t.created_at, t.updated_at, t.version, "    \
    "t.dormant_days, t.dormant_warn_days, t.passkey_signin"

static void read_tenant(gh_stmt *st, gh_arena *a, gh_tenant *t)
{
    t->id = gh_stmt_int(st, 0);
    t->kind = gh_store_tenant_kind_from(gh_stmt_text(st, 1, a));
    t->parent_id = gh_stmt_int(st, 2);
    t->provider_id = gh_stmt_int(st, 3);
    t->name = gh_stmt_text(st, 4, a);
    t->created_at = gh_stmt_int(st, 5);
    t->updated_at = gh_stmt_int(st, 6);
    t->version = gh_stmt_int(st, 7);
    t->dormant_days = gh_stmt_int(st, 8);
    t->dormant_warn_days = gh_stmt_int(st, 9);
    t->passkey_signin = gh_stmt_int(st, 10) != 0;
}

gh_err gh_store_tenant_insert(gh_db *db, const gh_tenant *t, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO tenants (kind, parent_id, provider_id, name, "
                               "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, gh_tenant_kind_name(t->kind));
    gh_store_bind_opt_id(st, 2, t->parent_id);
    gh_store_bind_opt_id(st, 3, t->provider_id);
    gh_stmt_bind_text(st, 4, t->name);
    gh_stmt_bind_int(st, 5, t->created_at);
    gh_stmt_bind_int(st, 6, t->created_at);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *id = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_EINTERNAL : err;
}

gh_err gh_store_tenant_rename(gh_db *db, int64_t id, const char *name, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE tenants SET name = ?, updated_at = ?, version = version + 1 "
                               "WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, name);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, id);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_ENOTFOUND;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_tenant_delete(gh_db *db, int64_t id)
{
    return gh_store_exec_ints(db, "DELETE FROM tenants WHERE id = ?", 1, &id);
}

gh_err gh_store_tenant_get(gh_db *db, gh_arena *a, int64_t id, gh_tenant *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " TENANT_COLS " FROM tenants t WHERE t.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_tenant(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

#define VIEWER_SET "(SELECT tenant_id FROM user_access WHERE user_id = ?)"

/* Appends " AND <tenant t visible to viewer>". */
void gh_qb_tenant_scope(gh_qb *q, const gh_principal *v)
{
    switch (v->access.level) {
    case GH_ACCESS_PLATFORM:
        return;
    case GH_ACCESS_PROVIDER:
        gh_qb_sql(q, " AND (t.id = ? OR t.provider_id = ?)");
        gh_qb_int(q, v->provider_id);
        gh_qb_int(q, v->provider_id);
        return;
    case GH_ACCESS_ACCOUNT:
        if (v->access.all) {
            gh_qb_sql(q, " AND t.provider_id = ?");
            gh_qb_int(q, v->provider_id);
            return;
        }
        gh_qb_sql(q, " AND (t.id IN " VIEWER_SET " OR t.parent_id IN " VIEWER_SET ")");
        gh_qb_int(q, v->user_id);
        gh_qb_int(q, v->user_id);
        return;
    case GH_ACCESS_SUB_ACCOUNT:
        if (v->access.all) {
            gh_qb_sql(q, " AND (t.id = ? OR t.parent_id = ?)");
            gh_qb_int(q, v->access.account_id);
            gh_qb_int(q, v->access.account_id);
            return;
        }
        gh_qb_sql(q, " AND t.id IN " VIEWER_SET);
        gh_qb_int(q, v->user_id);
        return;
    }
}

gh_err gh_store_tenant_visible(gh_db *db, const gh_principal *viewer, int64_t id, bool *visible)
{
    gh_arena *a = gh_arena_new();
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT 1 FROM tenants t WHERE t.id = ?");
    gh_qb_int(&q, id);
    gh_qb_tenant_scope(&q, viewer);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err == GH_OK) {
        bool row = false;
        err = gh_stmt_step(st, &row);
        gh_stmt_done(st);
        if (err == GH_OK)
            *visible = row;
    }
    gh_arena_free(a);
    return err;
}

gh_err gh_store_tenant_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t parent_id,
                            const gh_tenant_kind *kind, int limit, int64_t after_id,
                            gh_tenant **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " TENANT_COLS " FROM tenants t WHERE t.id > ?");
    gh_qb_int(&q, after_id);
    gh_qb_tenant_scope(&q, viewer);
    if (parent_id != 0) {
        gh_qb_sql(&q, " AND t.parent_id = ?");
        gh_qb_int(&q, parent_id);
    }
    if (kind != NULL) {
        gh_qb_sql(&q, " AND t.kind = ?");
        gh_qb_text(&q, gh_tenant_kind_name(*kind));
    }
    gh_qb_sql(&q, " ORDER BY t.id LIMIT ?");
    gh_qb_int(&q, limit);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    gh_tenant *v = gh_arena_alloc(a, (size_t)limit * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_tenant(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_tenant_in_use(gh_db *db, int64_t id, bool *in_use)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        "SELECT EXISTS (SELECT 1 FROM tenants WHERE parent_id = ?) "
        "OR EXISTS (SELECT 1 FROM users WHERE provider_id = ? OR access_account_id = ?) "
        "OR EXISTS (SELECT 1 FROM user_access WHERE tenant_id = ?) "
        "OR EXISTS (SELECT 1 FROM roles WHERE provider_id = ?) "
        "OR EXISTS (SELECT 1 FROM user_group WHERE provider_id = ?) "
        "OR EXISTS (SELECT 1 FROM sso_sources WHERE provider_id = ?) "
        "OR EXISTS (SELECT 1 FROM scim_clients WHERE provider_id = ? AND revoked_at = 0)",
        &st);
    if (err != GH_OK)
        return err;
    for (int i = 1; i <= 8; i++)
        gh_stmt_bind_int(st, i, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK)
        *in_use = row && gh_stmt_int(st, 0) != 0;
    gh_stmt_done(st);
    return err;
}
