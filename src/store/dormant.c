/* Dormant accounts (issue 16): the providers with a dormant rule, the users past a cut-off, and
 * the conditional writes that warn or disable one of them at most once however many instances
 * run the job at once (core/dormant.c). A user's inactivity reference is the latest of
 * last_login_at, created_at and active_since; "reference < cutoff" is written as the three
 * comparisons so that no dialect's max() is needed. */

#include "store/query.h"

#define OLDER_THAN(c) "u.last_login_at < " c " AND u.created_at < " c " AND u.active_since < " c

/* A user who can manage users: active, not banned, login enabled, a superadmin or holding every
 * users.* permission through its roles and groups. */
#define ADMIN_WHERE                                                                                \
    "u.status = 'active' AND u.banned_until <= ? AND u.login_enabled <> 0 AND "                    \
    "(u.is_superadmin <> 0 OR ((COALESCE((SELECT bit_or(r.permissions) FROM user_roles ur JOIN "   \
    "roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), 0) | COALESCE((SELECT "                \
    "bit_or(r.permissions) FROM user_group_members m JOIN user_group_roles gr ON gr.group_id = "   \
    "m.group_id JOIN roles r ON r.id = gr.role_id WHERE m.user_id = u.id), 0)) & ?) = ?)"

gh_err gh_store_tenant_set_dormant(gh_db *db, int64_t id, int64_t days, int64_t warn_days,
                                   int64_t now)
{
    int64_t v[4] = {days, warn_days, now, id};
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE tenants SET dormant_days = ?, dormant_warn_days = ?, "
                               "updated_at = ?, version = version + 1 WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    for (int i = 0; i < 4; i++)
        gh_stmt_bind_int(st, i + 1, v[i]);
    return gh_store_step_changing(st);
}

gh_err gh_store_dormant_providers(gh_db *db, gh_arena *a, size_t max, gh_dormant_rule **items,
                                  size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT id, dormant_days, dormant_warn_days FROM tenants WHERE kind "
                               "= 'service_provider' AND dormant_days > 0 ORDER BY id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, (int64_t)max);
    gh_dormant_rule *v = gh_arena_alloc(a, (max ? max : 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < max && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        v[count++] = (gh_dormant_rule){.provider_id = gh_stmt_int(st, 0),
                                       .days = gh_stmt_int(st, 1),
                                       .warn_days = gh_stmt_int(st, 2)};
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_dormant_candidates(gh_db *db, int64_t provider_id, int64_t cutoff, bool unwarned,
                                   int64_t after_id, size_t max, int64_t *ids, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        unwarned ? "SELECT u.id FROM users u WHERE u.provider_id = ? AND u.status = 'active' AND "
                   "u.id > ? AND " OLDER_THAN("?") " AND NOT (" OLDER_THAN(
                       "u.dormant_warned_at") ")"
                                              " ORDER BY u.id LIMIT ?"
                 : "SELECT u.id FROM users u WHERE u.provider_id = ? AND u.status = 'active' AND "
                   "u.id > ? AND " OLDER_THAN("?") " ORDER BY u.id LIMIT ?",
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_int(st, 2, after_id);
    gh_stmt_bind_int(st, 3, cutoff);
    gh_stmt_bind_int(st, 4, cutoff);
    gh_stmt_bind_int(st, 5, cutoff);
    gh_stmt_bind_int(st, 6, (int64_t)max);
    size_t count = 0;
    bool row = false;
    while (count < max && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        ids[count++] = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    if (err == GH_OK)
        *n = count;
    return err;
}

/* Runs sql with the ints v and no result row; GH_ENOTFOUND when it changed nothing. */
static gh_err change_ints(gh_db *db, const char *sql, int n, const int64_t *v)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    for (int i = 0; i < n; i++)
        gh_stmt_bind_int(st, i + 1, v[i]);
    return gh_store_step_changing(st);
}

gh_err gh_store_dormant_mark_warned(gh_db *db, int64_t id, int64_t cutoff, int64_t now)
{
    int64_t v[5] = {now, id, cutoff, cutoff, cutoff};
    return change_ints(
        db,
        "UPDATE users AS u SET dormant_warned_at = ? WHERE id = ? AND status = 'active' "
        "AND " OLDER_THAN("?") " AND NOT (" OLDER_THAN("u.dormant_warned_at") ")",
        5, v);
}

gh_err gh_store_dormant_disable(gh_db *db, int64_t id, int64_t cutoff, int64_t now)
{
    int64_t v[5] = {now, id, cutoff, cutoff, cutoff};
    return change_ints(
        db,
        "UPDATE users AS u SET status = 'disabled', updated_at = ?, updated_by = NULL, "
        "version = version + 1 WHERE id = ? AND status = 'active' AND " OLDER_THAN("?"),
        5, v);
}

gh_err gh_store_provider_lock(gh_db *db, int64_t provider_id)
{
    return change_ints(db, "UPDATE tenants SET dormant_days = dormant_days WHERE id = ?", 1,
                       &provider_id);
}

gh_err gh_store_user_is_admin(gh_db *db, int64_t id, int64_t now, bool *admin)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT 1 FROM users u WHERE u.id = ? AND " ADMIN_WHERE, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, (int64_t)GH_PERM_USERS_ALL);
    gh_stmt_bind_int(st, 4, (int64_t)GH_PERM_USERS_ALL);
    bool row = false;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    if (err == GH_OK)
        *admin = row;
    return err;
}

gh_err gh_store_provider_has_admin(gh_db *db, int64_t provider_id, int64_t now, bool *has)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        "SELECT 1 FROM users u WHERE COALESCE(u.provider_id, 0) = ? AND " ADMIN_WHERE " LIMIT 1",
        &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, (int64_t)GH_PERM_USERS_ALL);
    gh_stmt_bind_int(st, 4, (int64_t)GH_PERM_USERS_ALL);
    bool row = false;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    if (err == GH_OK)
        *has = row;
    return err;
}

gh_err gh_store_user_set_active_since(gh_db *db, int64_t id, int64_t now)
{
    int64_t v[2] = {now, id};
    return gh_store_exec_ints(db, "UPDATE users SET active_since = ? WHERE id = ?", 2, v);
}
