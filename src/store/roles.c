/* Roles and groups: permission masks, their provider, group role links. */
#include <string.h>

#include "store/query.h"

#define ROLE_COLS                                                                                  \
    "r.id, r.provider_id, r.name, r.description, r.kind, r.permissions, r.created_at, "            \
    "r.updated_at, r.version, r.mfa_required"
#define GROUP_COLS                                                                                 \
    "g.id, g.provider_id, g.name, g.description, g.created_at, g.updated_at, g.version"
#define SQL_GROUP_ROLE_IDS                                                                         \
    "SELECT role_id FROM user_group_roles WHERE group_id = ? ORDER BY role_id"

static void read_role(gh_stmt *st, gh_arena *a, gh_role *r)
{
    r->id = gh_stmt_int(st, 0);
    r->provider_id = gh_stmt_int(st, 1);
    r->name = gh_stmt_text(st, 2, a);
    r->description = gh_stmt_text(st, 3, a);
    r->kind = gh_store_role_kind_from(gh_stmt_text(st, 4, a));
    r->permissions = (uint64_t)gh_stmt_int(st, 5);
    r->created_at = gh_stmt_int(st, 6);
    r->updated_at = gh_stmt_int(st, 7);
    r->version = gh_stmt_int(st, 8);
    r->mfa_required = gh_stmt_int(st, 9) != 0;
}

static void read_group(gh_stmt *st, gh_arena *a, gh_group *g)
{
    memset(g, 0, sizeof *g);
    g->id = gh_stmt_int(st, 0);
    g->provider_id = gh_stmt_int(st, 1);
    g->name = gh_stmt_text(st, 2, a);
    g->description = gh_stmt_text(st, 3, a);
    g->created_at = gh_stmt_int(st, 4);
    g->updated_at = gh_stmt_int(st, 5);
    g->version = gh_stmt_int(st, 6);
    g->member_count = gh_stmt_int(st, 7);
}

/* Runs an UPDATE prepared by the caller; GH_EPRECOND when no row matched its version. */
static gh_err step_versioned(gh_stmt *st)
{
    bool row;
    gh_err err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_EPRECOND;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_role_insert(gh_db *db, const gh_role *r, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO roles (provider_id, name, description, kind, "
                               "permissions, created_at, updated_at, mfa_required) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_store_bind_opt_id(st, 1, r->provider_id);
    gh_stmt_bind_text(st, 2, r->name);
    gh_stmt_bind_text(st, 3, r->description);
    gh_stmt_bind_text(st, 4, gh_role_kind_name(r->kind));
    gh_stmt_bind_int(st, 5, (int64_t)r->permissions);
    gh_stmt_bind_int(st, 6, r->created_at);
    gh_stmt_bind_int(st, 7, r->created_at);
    gh_stmt_bind_int(st, 8, r->mfa_required);
    return gh_store_step_returning(st, id);
}

gh_err gh_store_role_update(gh_db *db, const gh_role *r)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE roles SET name = ?, description = ?, kind = ?, "
                               "permissions = ?, updated_at = ?, mfa_required = ?, "
                               "version = version + 1 WHERE id = ? AND version = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, r->name);
    gh_stmt_bind_text(st, 2, r->description);
    gh_stmt_bind_text(st, 3, gh_role_kind_name(r->kind));
    gh_stmt_bind_int(st, 4, (int64_t)r->permissions);
    gh_stmt_bind_int(st, 5, r->updated_at);
    gh_stmt_bind_int(st, 6, r->mfa_required);
    gh_stmt_bind_int(st, 7, r->id);
    gh_stmt_bind_int(st, 8, r->version);
    return step_versioned(st);
}

gh_err gh_store_role_delete(gh_db *db, int64_t id)
{
    return gh_store_exec_ints(db, "DELETE FROM roles WHERE id = ?", 1, &id);
}

gh_err gh_store_role_in_use(gh_db *db, int64_t id, bool *in_use)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT EXISTS (SELECT 1 FROM user_roles WHERE role_id = ?) OR "
                               "EXISTS (SELECT 1 FROM user_group_roles WHERE role_id = ?)",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    gh_stmt_bind_int(st, 2, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK)
        *in_use = row && gh_stmt_int(st, 0) != 0;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_role_get(gh_db *db, gh_arena *a, int64_t id, gh_role *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " ROLE_COLS " FROM roles r WHERE r.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_role(st, a, out);
    gh_stmt_done(st);
    return err == GH_OK && !row ? GH_ENOTFOUND : err;
}

/* Appends the visibility of rows of alias `alias`.provider_id: global rows and the viewer's
 * provider; the platform sees all. An explicit provider filter narrows further. */
static void provider_scope(gh_qb *q, const gh_principal *v, int64_t provider_id, bool is_group)
{
    if (v->access.level != GH_ACCESS_PLATFORM) {
        gh_qb_sql(q, is_group ? " AND (g.provider_id IS NULL OR g.provider_id = ?)"
                              : " AND (r.provider_id IS NULL OR r.provider_id = ?)");
        gh_qb_int(q, v->provider_id);
    }
    if (provider_id > 0) {
        gh_qb_sql(q, is_group ? " AND g.provider_id = ?" : " AND r.provider_id = ?");
        gh_qb_int(q, provider_id);
    } else if (provider_id < 0) {
        gh_qb_sql(q, is_group ? " AND g.provider_id IS NULL" : " AND r.provider_id IS NULL");
    }
}

gh_err gh_store_role_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                          int limit, int64_t after_id, gh_role **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " ROLE_COLS " FROM roles r WHERE r.id > ?");
    gh_qb_int(&q, after_id);
    provider_scope(&q, viewer, provider_id, false);
    gh_qb_sql(&q, " ORDER BY r.id LIMIT ?");
    gh_qb_int(&q, limit);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    gh_role *v = gh_arena_alloc(a, (size_t)limit * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_role(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

static gh_err save_group_roles(gh_db *db, int64_t id, const gh_ids *role_ids)
{
    return gh_store_replace_ids(db, "DELETE FROM user_group_roles WHERE group_id = ?",
                                "INSERT INTO user_group_roles (group_id, role_id) VALUES (?, ?)",
                                id, role_ids);
}

gh_err gh_store_group_insert(gh_db *db, const gh_group *g, int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO user_group (provider_id, name, description, "
                               "created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_store_bind_opt_id(st, 1, g->provider_id);
    gh_stmt_bind_text(st, 2, g->name);
    gh_stmt_bind_text(st, 3, g->description);
    gh_stmt_bind_int(st, 4, g->created_at);
    gh_stmt_bind_int(st, 5, g->created_at);
    int64_t new_id = 0;
    err = gh_store_step_returning(st, &new_id);
    if (err == GH_OK)
        err = save_group_roles(db, new_id, &g->role_ids);
    if (err == GH_OK)
        *id = new_id;
    return err;
}

gh_err gh_store_group_update(gh_db *db, const gh_group *g)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE user_group SET name = ?, description = ?, updated_at = ?, "
                               "version = version + 1 WHERE id = ? AND version = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, g->name);
    gh_stmt_bind_text(st, 2, g->description);
    gh_stmt_bind_int(st, 3, g->updated_at);
    gh_stmt_bind_int(st, 4, g->id);
    gh_stmt_bind_int(st, 5, g->version);
    err = step_versioned(st);
    if (err == GH_OK)
        err = save_group_roles(db, g->id, &g->role_ids);
    return err;
}

gh_err gh_store_group_delete(gh_db *db, int64_t id)
{
    return gh_store_exec_ints(db, "DELETE FROM user_group WHERE id = ?", 1, &id);
}

/* Starts "SELECT <group g's columns>, <its member count> FROM user_group g WHERE": the count
 * covers only the members viewer sees (a global group counts no one outside the scope: C9). */
static void group_select(gh_qb *q, const gh_principal *viewer)
{
    gh_qb_sql(q, "SELECT " GROUP_COLS ", (SELECT COUNT(*) FROM user_group_members m");
    if (viewer != NULL && viewer->access.level != GH_ACCESS_PLATFORM) {
        gh_qb_sql(q, " JOIN users u ON u.id = m.user_id WHERE m.group_id = g.id");
        gh_qb_user_scope(q, viewer);
    } else {
        gh_qb_sql(q, " WHERE m.group_id = g.id");
    }
    gh_qb_sql(q, ") FROM user_group g WHERE");
}

gh_err gh_store_group_get(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t id,
                          gh_group *out)
{
    gh_qb q;
    gh_qb_init(&q, a);
    group_select(&q, viewer);
    gh_qb_sql(&q, " g.id = ?");
    gh_qb_int(&q, id);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    gh_group g;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_group(st, a, &g);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        err = gh_store_load_ids(db, a, SQL_GROUP_ROLE_IDS, id, &g.role_ids);
    if (err == GH_OK)
        *out = g;
    return err;
}

gh_err gh_store_group_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                           int limit, int64_t after_id, gh_group **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    group_select(&q, viewer);
    gh_qb_sql(&q, " g.id > ?");
    gh_qb_int(&q, after_id);
    provider_scope(&q, viewer, provider_id, true);
    gh_qb_sql(&q, " ORDER BY g.id LIMIT ?");
    gh_qb_int(&q, limit);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    gh_group *v = gh_arena_alloc(a, (size_t)limit * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_group(st, a, &v[count++]);
    gh_stmt_done(st);
    for (size_t i = 0; err == GH_OK && i < count; i++)
        err = gh_store_load_ids(db, a, SQL_GROUP_ROLE_IDS, v[i].id, &v[i].role_ids);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}
