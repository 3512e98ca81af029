/* Users: rows, their access lists, roles and groups; the list query with search, filters, sort
 * and keyset pagination. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/query.h"

#define USER_COLS                                                                                  \
    "u.id, u.provider_id, u.username, u.first_name, u.last_name, u.email, u.phone, u.language, "   \
    "u.timezone, u.country, u.status, u.sso_source, u.sso_id, u.login_enabled, u.enforce_sso, "    \
    "u.mfa_required, u.mfa_enrolled, u.is_superadmin, u.must_change_password, u.banned_until, "    \
    "u.last_login_at, u.created_at, u.updated_at, u.created_by, u.updated_by, u.version, "         \
    "u.access_level, u.access_all, u.access_account_id, u.sort_name, u.username_key, "             \
    "u.password_hash IS NOT NULL, u.external_id, u.active_since"

/* Reads USER_COLS; *sort_key and *name_key (may be NULL) get the cursor sources. */
static void read_user(gh_stmt *st, gh_arena *a, gh_user *u, char **sort_name, char **ukey)
{
    memset(u, 0, sizeof *u);
    u->id = gh_stmt_int(st, 0);
    u->provider_id = gh_stmt_int(st, 1);
    u->username = gh_stmt_text(st, 2, a);
    u->first_name = gh_stmt_text(st, 3, a);
    u->last_name = gh_stmt_text(st, 4, a);
    u->email = gh_stmt_text(st, 5, a);
    u->phone = gh_stmt_text(st, 6, a);
    u->language = gh_stmt_text(st, 7, a);
    u->timezone = gh_stmt_text(st, 8, a);
    u->country = gh_stmt_text(st, 9, a);
    u->status = gh_store_status_from(gh_stmt_text(st, 10, a));
    u->sso_source = gh_stmt_text(st, 11, a);
    u->sso_id = gh_stmt_text(st, 12, a);
    u->login_enabled = gh_stmt_int(st, 13) != 0;
    u->enforce_sso = gh_stmt_int(st, 14) != 0;
    u->mfa_required = gh_stmt_int(st, 15) != 0;
    u->mfa_enrolled = gh_stmt_int(st, 16) != 0;
    u->is_superadmin = gh_stmt_int(st, 17) != 0;
    u->must_change_password = gh_stmt_int(st, 18) != 0;
    u->banned_until = gh_stmt_int(st, 19);
    u->last_login_at = gh_stmt_int(st, 20);
    u->created_at = gh_stmt_int(st, 21);
    u->updated_at = gh_stmt_int(st, 22);
    u->created_by = gh_stmt_int(st, 23);
    u->updated_by = gh_stmt_int(st, 24);
    u->version = gh_stmt_int(st, 25);
    char *lvl = gh_stmt_text(st, 26, a);
    u->access.level = gh_store_level_from(lvl);
    u->access.all = gh_stmt_int(st, 27) != 0;
    u->access.account_id = gh_stmt_int(st, 28);
    if (sort_name != NULL)
        *sort_name = gh_stmt_text(st, 29, a);
    if (ukey != NULL)
        *ukey = gh_stmt_text(st, 30, a);
    u->has_password = gh_stmt_int(st, 31) != 0;
    u->external_id = gh_stmt_text(st, 32, a);
    u->active_since = gh_stmt_int(st, 33);
}

const char gh_store_user_cols[] = USER_COLS;

void gh_store_read_user_row(gh_stmt *st, gh_arena *a, gh_user *u)
{
    read_user(st, a, u, NULL, NULL);
}

static char *lower_dup(gh_arena *a, const char *s)
{
    char *d = gh_arena_strdup(a, s ? s : "");
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static char *sort_name_of(gh_arena *a, const gh_user *u)
{
    return lower_dup(a, gh_arena_printf(a, "%s %s", u->first_name, u->last_name));
}

static gh_err save_links(gh_db *db, int64_t id, const gh_user *u)
{
    static const gh_ids none = {NULL, 0};
    const gh_ids *acc = u->access.all ? &none : &u->access.ids;
    if (u->access.level == GH_ACCESS_PLATFORM || u->access.level == GH_ACCESS_PROVIDER)
        acc = &none;
    gh_err err =
        gh_store_replace_ids(db, "DELETE FROM user_access WHERE user_id = ?",
                             "INSERT INTO user_access (user_id, tenant_id) VALUES (?, ?)", id, acc);
    if (err == GH_OK)
        err = gh_store_replace_ids(db, "DELETE FROM user_roles WHERE user_id = ?",
                                   "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", id,
                                   &u->role_ids);
    if (err == GH_OK)
        err = gh_store_replace_ids(
            db, "DELETE FROM user_group_members WHERE user_id = ?",
            "INSERT INTO user_group_members (user_id, group_id) VALUES (?, ?)", id, &u->group_ids);
    return err;
}

static void bind_profile(gh_stmt *st, gh_arena *a, const gh_user *u, int *i)
{
    gh_stmt_bind_text(st, (*i)++, u->first_name);
    gh_stmt_bind_text(st, (*i)++, u->last_name);
    gh_stmt_bind_text(st, (*i)++, u->email);
    gh_stmt_bind_text(st, (*i)++, u->phone);
    gh_stmt_bind_text(st, (*i)++, u->language);
    gh_stmt_bind_text(st, (*i)++, u->timezone);
    gh_stmt_bind_text(st, (*i)++, u->country);
    gh_stmt_bind_text(st, (*i)++, u->sso_source);
    gh_stmt_bind_text(st, (*i)++, u->sso_id);
    gh_stmt_bind_int(st, (*i)++, u->login_enabled);
    gh_stmt_bind_int(st, (*i)++, u->enforce_sso);
    gh_stmt_bind_int(st, (*i)++, u->mfa_required);
    gh_stmt_bind_text(st, (*i)++, gh_access_level_name(u->access.level));
    gh_stmt_bind_int(st, (*i)++, u->access.all);
    if (u->access.level == GH_ACCESS_SUB_ACCOUNT && u->access.account_id != 0)
        gh_stmt_bind_int(st, (*i)++, u->access.account_id);
    else
        gh_stmt_bind_null(st, (*i)++);
    gh_stmt_bind_text(st, (*i)++, sort_name_of(a, u));
    char *key, *grams;
    gh_store_search_fields(a, u->username, u->first_name, u->last_name, u->email, &key, &grams);
    gh_stmt_bind_text(st, (*i)++, key);
    gh_stmt_bind_text(st, (*i)++, grams);
    gh_stmt_bind_text(st, (*i)++, u->external_id);
}

gh_err gh_store_user_insert(gh_db *db, const gh_user *u, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO users (first_name, last_name, email, phone, language, timezone, country, "
        "sso_source, sso_id, login_enabled, enforce_sso, mfa_required, access_level, access_all, "
        "access_account_id, sort_name, search_key, search_grams, external_id, provider_id, "
        "username, "
        "username_key, status, is_superadmin, password_hash, must_change_password, created_at, "
        "updated_at, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        goto out;
    int i = 1;
    bind_profile(st, a, u, &i);
    if (u->provider_id != 0)
        gh_stmt_bind_int(st, i++, u->provider_id);
    else
        gh_stmt_bind_null(st, i++);
    gh_stmt_bind_text(st, i++, u->username);
    gh_stmt_bind_text(st, i++, lower_dup(a, u->username));
    gh_stmt_bind_text(st, i++, gh_user_status_name(u->status));
    gh_stmt_bind_int(st, i++, u->is_superadmin);
    gh_stmt_bind_text(st, i++, u->password_hash);
    gh_stmt_bind_int(st, i++, u->must_change_password);
    gh_stmt_bind_int(st, i++, u->created_at);
    gh_stmt_bind_int(st, i++, u->created_at);
    gh_stmt_bind_int(st, i++, u->created_by);
    gh_stmt_bind_int(st, i++, u->created_by);
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t new_id = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        err = GH_EINTERNAL;
    if (err == GH_OK)
        err = save_links(db, new_id, u);
    if (err == GH_OK)
        *id = new_id;
out:
    gh_arena_free(a);
    return err;
}

gh_err gh_store_user_update(gh_db *db, const gh_user *u)
{
    static const char sql[] =
        "UPDATE users SET first_name = ?, last_name = ?, email = ?, phone = ?, language = ?, "
        "timezone = ?, country = ?, sso_source = ?, sso_id = ?, login_enabled = ?, enforce_sso = "
        "?, "
        "mfa_required = ?, access_level = ?, access_all = ?, access_account_id = ?, sort_name = ?, "
        "search_key = ?, search_grams = ?, external_id = ?, updated_at = ?, updated_by = ?, "
        "version = version + 1 "
        "WHERE id = ? AND version = ?";
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        goto out;
    int i = 1;
    bind_profile(st, a, u, &i);
    gh_stmt_bind_int(st, i++, u->updated_at);
    gh_stmt_bind_int(st, i++, u->updated_by);
    gh_stmt_bind_int(st, i++, u->id);
    gh_stmt_bind_int(st, i++, u->version);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_EPRECOND;
    gh_stmt_done(st);
    if (err == GH_OK)
        err = save_links(db, u->id, u);
out:
    gh_arena_free(a);
    return err;
}

/* A user with its links and onboarding state in one statement (one round trip, one plan):
 * USER_COLS, then its three link lists as comma-separated ids (string_agg: PostgreSQL's
 * aggregate, a function of the driver on SQLite), the number of sub-accounts "All" stands for
 * ("All" is dynamic: it counts the sub-accounts the account has now), and its latest onboarding
 * link with the state of that link's e-mail. */
#define USER_FULL_COLS                                                                             \
    USER_COLS ", (SELECT string_agg(CAST(tenant_id AS TEXT), ',') FROM user_access WHERE "         \
              "user_id = u.id), (SELECT string_agg(CAST(role_id AS TEXT), ',') FROM user_roles "   \
              "WHERE user_id = u.id), (SELECT string_agg(CAST(group_id AS TEXT), ',') FROM "       \
              "user_group_members WHERE user_id = u.id), CASE WHEN u.access_level = "              \
              "'sub_account' AND u.access_all = 1 THEN (SELECT COUNT(*) FROM tenants WHERE "       \
              "parent_id = u.access_account_id) ELSE 0 END, l.id, l.sent_at, l.expires_at, "       \
              "l.used_at, l.voided_at, o.attempts, o.state, o.last_error"
#define USER_FULL_FROM                                                                             \
    " FROM users u LEFT JOIN user_links l ON l.id = (SELECT MAX(x.id) FROM user_links x WHERE "    \
    "x.user_id = u.id AND x.purpose = 'onboarding') LEFT JOIN outbox o ON o.id = l.outbox_id"
#define USER_FULL_COL0 34 /* the first column after USER_COLS */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "3,1,2" (or NULL) as the sorted ids {1, 2, 3} in a. */
static gh_ids parse_ids(gh_arena *a, const char *list)
{
    gh_ids ids = {NULL, 0};
    if (list == NULL || *list == '\0')
        return ids;
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    int64_t *v = gh_arena_alloc(a, n * sizeof *v);
    const char *p = list;
    while (*p != '\0' && ids.n < n) {
        char *end = NULL;
        v[ids.n++] = strtoll(p, &end, 10);
        p = *end == ',' ? end + 1 : end + strlen(end);
    }
    qsort(v, ids.n, sizeof *v, cmp_id);
    ids.v = v;
    return ids;
}

/* Reads the columns of USER_FULL_COLS after USER_COLS into u. */
static void read_links(gh_stmt *st, gh_arena *a, gh_user *u)
{
    int c = USER_FULL_COL0;
    u->access.ids = parse_ids(a, gh_stmt_text(st, c, a));
    u->role_ids = parse_ids(a, gh_stmt_text(st, c + 1, a));
    u->group_ids = parse_ids(a, gh_stmt_text(st, c + 2, a));
    u->access.sub_account_count = u->access.level == GH_ACCESS_SUB_ACCOUNT && u->access.all
                                      ? gh_stmt_int(st, c + 3)
                                      : (int64_t)u->access.ids.n;
    c += 4;
    if (gh_stmt_is_null(st, c)) {
        u->onboarding = (gh_onboarding){0};
        return;
    }
    u->onboarding =
        (gh_onboarding){.exists = true,
                        .sent_at = gh_stmt_int(st, c + 1),
                        .expires_at = gh_stmt_int(st, c + 2),
                        .used_at = gh_stmt_int(st, c + 3),
                        .voided_at = gh_stmt_int(st, c + 4),
                        .attempts = gh_stmt_int(st, c + 5),
                        .has_delivery = !gh_stmt_is_null(st, c + 6),
                        .delivery = gh_store_mail_state_from(gh_stmt_text(st, c + 6, a)),
                        .error = gh_stmt_text(st, c + 7, a)};
}

/* Reads the one row of a prepared, bound statement over USER_FULL_COLS and finishes it. */
static gh_err get_one(gh_stmt *st, gh_arena *a, gh_user *out)
{
    bool row = false;
    gh_user u;
    gh_err err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        read_user(st, a, &u, NULL, NULL);
        read_links(st, a, &u);
    }
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        *out = u;
    return err;
}

gh_err gh_store_user_get(gh_db *db, gh_arena *a, int64_t id, gh_user *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT " USER_FULL_COLS USER_FULL_FROM " WHERE u.id = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    return get_one(st, a, out);
}

gh_err gh_store_user_get_visible(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t id,
                                 gh_user *out)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " USER_FULL_COLS USER_FULL_FROM " WHERE u.id = ?");
    gh_qb_int(&q, id);
    gh_qb_user_scope(&q, viewer);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    return err == GH_OK ? get_one(st, a, out) : err;
}

gh_err gh_store_user_by_username(gh_db *db, gh_arena *a, const char *username, gh_user *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " USER_FULL_COLS USER_FULL_FROM " WHERE u.username_key = ?", &st);
    if (err != GH_OK)
        return err;
    char *key = lower_dup(a, username);
    gh_stmt_bind_text(st, 1, key);
    return get_one(st, a, out);
}

gh_err gh_store_user_row_by_username(gh_db *db, gh_arena *a, const char *username, gh_user *out)
{
    gh_stmt *st = NULL;
    gh_err err =
        gh_db_prepare(db, "SELECT " USER_COLS " FROM users u WHERE u.username_key = ?", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, lower_dup(a, username));
    bool row = false;
    gh_user u;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_user(st, a, &u, NULL, NULL);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        *out = u;
    return err;
}

gh_err gh_store_users_by_email(gh_db *db, gh_arena *a, const char *email, size_t max,
                               gh_user **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " USER_COLS " FROM users u WHERE lower(u.email) = ? AND "
                               "u.status = 'active' ORDER BY u.id LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, lower_dup(a, email));
    gh_stmt_bind_int(st, 2, (int64_t)max);
    gh_user *v = gh_arena_alloc(a, (max + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < max && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_user(st, a, &v[count++], NULL, NULL);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_user_set_status(gh_db *db, int64_t id, gh_user_status status, int64_t now,
                                int64_t by)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE users SET status = ?, updated_at = ?, updated_by = ?, "
                               "version = version + 1 WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, gh_user_status_name(status));
    gh_stmt_bind_int(st, 2, now);
    gh_stmt_bind_int(st, 3, by);
    gh_stmt_bind_int(st, 4, id);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_ENOTFOUND;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_user_set_password(gh_db *db, int64_t id, const char *hash, bool must_change,
                                  int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "UPDATE users SET password_hash = ?, must_change_password = ?, "
                               "updated_at = ?, version = version + 1 WHERE id = ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    gh_stmt_bind_int(st, 2, must_change);
    gh_stmt_bind_int(st, 3, now);
    gh_stmt_bind_int(st, 4, id);
    bool row;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) != 1)
        err = GH_ENOTFOUND;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_user_unlink(gh_db *db, int64_t id)
{
    static const gh_ids none = {NULL, 0};
    gh_err err =
        gh_store_replace_ids(db, "DELETE FROM user_access WHERE user_id = ?", "", id, &none);
    if (err == GH_OK)
        err = gh_store_replace_ids(db, "DELETE FROM user_roles WHERE user_id = ?", "", id, &none);
    if (err == GH_OK)
        err = gh_store_replace_ids(db, "DELETE FROM user_group_members WHERE user_id = ?", "", id,
                                   &none);
    return err;
}

gh_err gh_store_username_taken(gh_db *db, const char *username, bool *taken)
{
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT 1 FROM users WHERE username_key = ?", &st);
    if (err == GH_OK) {
        bool row = false;
        gh_stmt_bind_text(st, 1, lower_dup(a, username));
        err = gh_stmt_step(st, &row);
        gh_stmt_done(st);
        if (err == GH_OK)
            *taken = row;
    }
    gh_arena_free(a);
    return err;
}

gh_err gh_store_user_count(gh_db *db, int64_t *count)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, "SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) x", &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK)
        *count = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_user_access_ids(gh_db *db, gh_arena *a, int64_t user_id, gh_ids *out)
{
    return gh_store_load_ids(
        db, a, "SELECT tenant_id FROM user_access WHERE user_id = ? ORDER BY tenant_id", user_id,
        out);
}

typedef struct sort_def {
    const char *col;
    bool numeric;
} sort_def;

static const sort_def sorts[] = {
    [GH_SORT_NAME] = {"u.sort_name", false},     [GH_SORT_USERNAME] = {"u.username_key", false},
    [GH_SORT_EMAIL] = {"lower(u.email)", false}, [GH_SORT_LAST_LOGIN] = {"u.last_login_at", true},
    [GH_SORT_CREATED] = {"u.created_at", true},  [GH_SORT_ID] = {"u.id", true},
};

static void add_filters(gh_qb *q, const gh_user_filter *f)
{
    static const struct {
        const char *sql;
        bool uses_now;
    } statuses[] = {
        [GH_LIST_LIVE] = {" AND u.status <> 'deleted'", false},
        [GH_LIST_ACTIVE] = {" AND u.status = 'active' AND u.banned_until <= ?", true},
        [GH_LIST_BANNED] = {" AND u.status = 'active' AND u.banned_until > ?", true},
        [GH_LIST_INVITED] = {" AND u.status = 'invited'", false},
        [GH_LIST_DISABLED] = {" AND u.status = 'disabled'", false},
        [GH_LIST_DELETED] = {" AND u.status = 'deleted'", false},
        [GH_LIST_ALL] = {"", false},
    };
    size_t k = (size_t)f->status < sizeof statuses / sizeof *statuses ? (size_t)f->status : 0;
    gh_qb_sql(q, statuses[k].sql);
    if (statuses[k].uses_now)
        gh_qb_int(q, f->now);
    if (f->role_id != 0) {
        gh_qb_sql(q, " AND u.id IN (SELECT user_id FROM user_roles WHERE role_id = ?)");
        gh_qb_int(q, f->role_id);
    }
    if (f->group_id != 0) {
        gh_qb_sql(q, " AND u.id IN (SELECT user_id FROM user_group_members WHERE group_id = ?)");
        gh_qb_int(q, f->group_id);
    }
    if (f->tenant_id != 0) {
        gh_qb_sql(q, " AND (u.provider_id = ? OR u.access_account_id = ? OR u.id IN "
                     "(SELECT user_id FROM user_access WHERE tenant_id = ?))");
        gh_qb_int(q, f->tenant_id);
        gh_qb_int(q, f->tenant_id);
        gh_qb_int(q, f->tenant_id);
    }
    if (f->inactive_days > 0) {
        int64_t cutoff = f->now - f->inactive_days * 86400;
        gh_qb_sql(q, " AND u.last_login_at < ? AND u.created_at < ? AND u.active_since < ?");
        gh_qb_int(q, cutoff);
        gh_qb_int(q, cutoff);
        gh_qb_int(q, cutoff);
    }
}

/* Keyset pagination: rows after the cursor in (sort column, id) order. Sorting by id with a
 * search uses the index's own id column so that the database can stop after `limit` matches.
 * opaque: the same order through expressions (col || '', id + 0) that no B-tree index serves,
 * so that PostgreSQL's planner takes the search index rather than walk an order index. */
static void add_cursor_and_order(gh_qb *q, const gh_user_filter *f, const char *id_col,
                                 int64_t limit, bool opaque)
{
    const sort_def *s = &sorts[f->sort];
    if (f->sort == GH_SORT_ID) {
        if (f->has_cursor) {
            gh_qb_sql(q, " AND ");
            gh_qb_sql(q, id_col);
            gh_qb_sql(q, f->desc ? " < ?" : " > ?");
            gh_qb_int(q, f->cursor_id);
        }
        gh_qb_sql(q, " ORDER BY ");
        gh_qb_sql(q, id_col);
        gh_qb_sql(q, opaque ? " + 0" : "");
        gh_qb_sql(q, f->desc ? " DESC LIMIT ?" : " LIMIT ?");
        gh_qb_int(q, limit);
        return;
    }
    if (f->has_cursor) {
        gh_qb_sql(q, " AND (");
        gh_qb_sql(q, s->col);
        gh_qb_sql(q, ", u.id) ");
        gh_qb_sql(q, f->desc ? "<" : ">");
        gh_qb_sql(q, " (?, ?)");
        if (s->numeric)
            gh_qb_int(q, strtoll(f->cursor_key, NULL, 10));
        else
            gh_qb_text(q, f->cursor_key);
        gh_qb_int(q, f->cursor_id);
    }
    gh_qb_sql(q, " ORDER BY ");
    gh_qb_sql(q, s->col);
    if (opaque)
        gh_qb_sql(q, s->numeric ? " + 0" : " || ''");
    if (opaque)
        gh_qb_sql(q, f->desc ? " DESC, u.id + 0 DESC LIMIT ?" : ", u.id + 0 LIMIT ?");
    else
        gh_qb_sql(q, f->desc ? " DESC, u.id DESC LIMIT ?" : ", u.id LIMIT ?");
    gh_qb_int(q, limit);
}

static const char *cursor_key(gh_arena *a, const gh_user *u, gh_user_sort sort, char *sort_name,
                              char *ukey)
{
    switch (sort) {
    case GH_SORT_NAME:
        return sort_name;
    case GH_SORT_USERNAME:
        return ukey;
    case GH_SORT_EMAIL:
        return lower_dup(a, u->email);
    case GH_SORT_LAST_LOGIN:
        return gh_arena_printf(a, "%lld", (long long)u->last_login_at);
    case GH_SORT_CREATED:
        return gh_arena_printf(a, "%lld", (long long)u->created_at);
    case GH_SORT_ID:
        return gh_arena_printf(a, "%lld", (long long)u->id);
    }
    return "";
}

/* A search has two ways to a page. The index way: the search index finds the matches and the
 * database sorts them (or, on SQLite sorted by id, the index streams them in that order). The
 * walk: through the users in the sort order (for the name, an index that holds search_key and
 * search_grams, so the rows are not read), keeping the matches, at most SEARCH_BUDGET rows. A
 * common term fills a page after few rows of a walk; a rare one is quicker through the index.
 *   SQLite: FTS5 counts matches exactly and cheaply, so the count (up to SEARCH_BUDGET) decides:
 *     at most SEARCH_CAP, the index; more, a walk, and when the walk ends short (the matches
 *     cluster elsewhere in the order, as a given name does in name order) the index after all
 *     if there are at most SEARCH_BUDGET matches.
 *   PostgreSQL: the planner's estimate for LIKE '%term%' is a guess (a rare term walked along the
 *     primary key read a million rows), so a walk goes first; when it ends short, the index, in
 *     an order that no B-tree serves (col || '', id + 0), so that the planner takes the GIN index.
 * A page still short after its walk (and no index after it) is `partial`, its cursor continues
 * after the last row walked. Terms that no index serves (GH_SEARCH_SCAN) always walk.
 * SEARCH_CAP is a quarter of the budget (sorting that many matches costs about what walking the
 * budget does, measured in BENCHMARKS.md). Written once before the server's threads start. */
static int64_t search_budget = GH_SEARCH_BUDGET_DEFAULT;
#define SEARCH_BUDGET search_budget
#define SEARCH_CAP    (search_budget / 4)

void gh_store_set_search_budget(int rows)
{
    search_budget = rows;
}

static const char *const walk_cols[] = {
    [GH_SORT_NAME] = "u.sort_name",     [GH_SORT_USERNAME] = "u.username_key",
    [GH_SORT_EMAIL] = "lower(u.email)", [GH_SORT_LAST_LOGIN] = "u.last_login_at",
    [GH_SORT_CREATED] = "u.created_at", [GH_SORT_ID] = "u.id",
};

/* SELECT ... FROM (the walk) w: rows after the cursor in sort order, at most SEARCH_BUDGET. */
static void add_walk(gh_qb *q, const gh_user_filter *f)
{
    gh_qb_sql(q, "(SELECT u.id AS wid, ");
    gh_qb_sql(q, walk_cols[f->sort]);
    gh_qb_sql(q, " AS ws, u.search_key AS wk, u.search_grams AS wg FROM users u WHERE 1 = 1");
    add_cursor_and_order(q, f, "u.id", SEARCH_BUDGET, false);
    gh_qb_sql(q, ") w");
}

/* Matches up to limit, from the SQLite index alone. */
static gh_err count_matches(gh_db *db, gh_arena *a, const gh_store_search *s, int64_t limit,
                            int64_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, s->count_sql);
    gh_qb_text(&q, s->param);
    gh_qb_int(&q, limit);
    return gh_qb_int_result(&q, db, n);
}

/* After a short walked page: the walk's last row, when the walk used its whole budget. */
static gh_err walk_end(gh_db *db, gh_arena *a, const gh_user_filter *f, bool *cut, const char **key,
                       int64_t *id)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT w.wid, w.ws FROM ");
    add_walk(&q, f);
    gh_qb_sql(&q, " LIMIT 1 OFFSET ?");
    gh_qb_int(&q, SEARCH_BUDGET - 1);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    *cut = err == GH_OK && row;
    if (*cut) {
        *id = gh_stmt_int(st, 0);
        *key = gh_stmt_text(st, 1, a);
    }
    gh_stmt_done(st);
    return err;
}

/* Runs a built list query and fills the page (limit rows, `more` when one more came). */
static gh_err run_page(gh_db *db, gh_arena *a, gh_qb *q, const gh_user_filter *f, gh_user_page *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(q, db, &st);
    if (err != GH_OK)
        return err;
    gh_user_page page = {.items = gh_arena_alloc(a, (size_t)(f->limit + 1) * sizeof(gh_user))};
    bool row = false;
    char *sort_name = NULL, *ukey = NULL;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        if (page.n == (size_t)f->limit) {
            page.more = true;
            break;
        }
        read_user(st, a, &page.items[page.n], &sort_name, &ukey);
        page.n++;
    }
    gh_stmt_done(st);
    if (err != GH_OK)
        return err;
    if (page.more && page.n > 0) {
        gh_user *last = &page.items[page.n - 1];
        page.next_key = cursor_key(a, last, f->sort, sort_name, ukey);
        page.next_id = last->id;
    }
    *out = page;
    return GH_OK;
}

/* The index way (or the plain list when search is NULL); opaque: in an order no B-tree serves. */
static gh_err index_page(gh_db *db, gh_arena *a, const gh_principal *viewer,
                         const gh_user_filter *f, const gh_store_search *search, bool opaque,
                         gh_user_page *out)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT " USER_COLS " FROM users u");
    gh_qb_sql(&q, search != NULL ? search->join : "");
    gh_qb_sql(&q, " WHERE 1 = 1");
    if (search != NULL) {
        gh_qb_sql(&q, " AND ");
        gh_qb_sql(&q, search->where);
        gh_qb_text(&q, search->param);
        if (search->param2 != NULL)
            gh_qb_text(&q, search->param2);
    }
    gh_qb_user_scope(&q, viewer);
    add_filters(&q, f);
    add_cursor_and_order(&q, f, search != NULL ? search->id_col : "u.id", f->limit + 1, opaque);
    return run_page(db, a, &q, f, out);
}

/* The walk's way. A short page (no `more`) says nothing yet of why the walk ended: the caller
 * asks walk_end only when it needs to know (when no index may finish the page). */
static gh_err walk_page(gh_db *db, gh_arena *a, const gh_principal *viewer, const gh_user_filter *f,
                        const gh_store_search *search, gh_user_page *out)
{
    gh_qb q;
    gh_qb_init(&q, a);
    /* the matches of the walk in its order (a subquery streamed, not sorted again) */
    gh_qb_sql(&q, "SELECT " USER_COLS " FROM (SELECT w.wid, w.ws FROM ");
    add_walk(&q, f);
    gh_qb_sql(&q, " WHERE ");
    gh_qb_sql(&q, search->walk_match);
    gh_qb_text(&q, search->walk_param);
    gh_qb_sql(&q, ") m JOIN users u ON u.id = m.wid WHERE 1 = 1");
    gh_qb_user_scope(&q, viewer);
    add_filters(&q, f);
    /* SQLite runs the subquery as the join's outer loop, in its order; PostgreSQL is told the
     * order, which the subquery's own (an index scan) already gives, so nothing is sorted (by
     * id: m.wid alone, or the planner, seeing u.id for m.wid, sorts) */
    if (gh_db_kind_of(db) == GH_DB_POSTGRES && f->sort == GH_SORT_ID)
        gh_qb_sql(&q, f->desc ? " ORDER BY m.wid DESC" : " ORDER BY m.wid");
    else if (gh_db_kind_of(db) == GH_DB_POSTGRES)
        gh_qb_sql(&q, f->desc ? " ORDER BY m.ws DESC, m.wid DESC" : " ORDER BY m.ws, m.wid");
    gh_qb_sql(&q, " LIMIT ?");
    gh_qb_int(&q, f->limit + 1);
    return run_page(db, a, &q, f, out);
}

gh_err gh_store_user_list(gh_db *db, gh_arena *a, const gh_principal *viewer,
                          const gh_user_filter *f, gh_user_page *out)
{
    gh_store_search search;
    if (f->q == NULL || !gh_store_user_search(db, a, f->q, &search))
        return index_page(db, a, viewer, f, NULL, false, out);
    bool cut = false, pg = gh_db_kind_of(db) == GH_DB_POSTGRES;
    int64_t n = 0;
    gh_err err = GH_OK;
    if (search.kind != GH_SEARCH_SCAN && !pg) {
        if (f->sort == GH_SORT_ID)
            return index_page(db, a, viewer, f, &search, false, out);
        if ((err = count_matches(db, a, &search, SEARCH_BUDGET + 1, &n)) != GH_OK)
            return err;
        if (n <= SEARCH_CAP)
            return index_page(db, a, viewer, f, &search, false, out);
    }
    if ((err = walk_page(db, a, viewer, f, &search, out)) != GH_OK || out->more)
        return err;
    /* short. On SQLite with at most SEARCH_BUDGET matches the index finishes the page at a known
     * cost, whether or not the walk reached the end of the order (the answer is the same, and
     * asking would cost a second walk). Otherwise the index only when the walk was cut: on
     * PostgreSQL a common term's index costs what the count does not bound. */
    if (!pg && search.kind != GH_SEARCH_SCAN && n <= SEARCH_BUDGET)
        return index_page(db, a, viewer, f, &search, false, out);
    if ((err = walk_end(db, a, f, &cut, &out->next_key, &out->next_id)) != GH_OK || !cut)
        return err;
    if (pg && search.kind != GH_SEARCH_SCAN)
        return index_page(db, a, viewer, f, &search, true, out);
    out->partial = out->more = true;
    return GH_OK;
}

/* The rows (user id, id, name) of head + the page's ids as an IN list + tail, for users[0..n),
 * into *rows_out (*m_out of them, in the arena): the named things each user links to. */
typedef struct named_row {
    int64_t user_id;
    gh_named named;
} named_row;

static gh_err page_named(gh_db *db, gh_arena *a, const gh_user *users, size_t n, const char *head,
                         const char *tail, named_row **rows_out, size_t *m_out)
{
    const char *sql = gh_store_in_list(a, head, n, tail);
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    for (size_t i = 0; i < n; i++)
        gh_stmt_bind_int(st, (int)i + 1, users[i].id);
    size_t cap = 64, m = 0;
    named_row *rows = gh_arena_alloc(a, cap * sizeof *rows);
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        if (m == cap) {
            named_row *w = gh_arena_alloc(a, 2 * cap * sizeof *w);
            memcpy(w, rows, m * sizeof *rows);
            rows = w;
            cap *= 2;
        }
        rows[m++] = (named_row){gh_stmt_int(st, 0), {gh_stmt_int(st, 1), gh_stmt_text(st, 2, a)}};
    }
    gh_stmt_done(st);
    *rows_out = rows;
    *m_out = m;
    return err;
}

/* The named things of user_id among rows, in their order, as one array of *k_out. */
static gh_named *rows_of(gh_arena *a, const named_row *rows, size_t m, int64_t user_id,
                         size_t *k_out)
{
    size_t k = 0;
    for (size_t j = 0; j < m; j++)
        k += rows[j].user_id == user_id;
    gh_named *v = gh_arena_alloc(a, (k + 1) * sizeof *v);
    k = 0;
    for (size_t j = 0; j < m; j++)
        if (rows[j].user_id == user_id)
            v[k++] = rows[j].named;
    *k_out = k;
    return v;
}

static gh_err page_roles(gh_db *db, gh_arena *a, const gh_user *users, size_t n,
                         gh_user_extras *out)
{
    named_row *rows = NULL;
    size_t m = 0;
    gh_err err = page_named(db, a, users, n,
                            "SELECT ur.user_id, r.id, r.name FROM user_roles ur "
                            "JOIN roles r ON r.id = ur.role_id WHERE ur.user_id IN (",
                            " ORDER BY ur.user_id, r.name, r.id", &rows, &m);
    for (size_t i = 0; i < n && err == GH_OK; i++)
        out[i].roles = rows_of(a, rows, m, users[i].id, &out[i].n_roles);
    return err;
}

/* Each user's provider name and, with lockout, the failures since its last successful sign-in
 * and the last failure, through the audit trail's index on its target user (audit_target_user). */
static gh_err page_facts(gh_db *db, gh_arena *a, const gh_user *users, size_t n, bool lockout,
                         gh_user_extras *out)
{
    const char *sql = gh_store_in_list(
        a,
        lockout ? "SELECT u.id, t.name, (SELECT COUNT(*) FROM (SELECT 1 FROM audit f "
                  "WHERE f.target_user_id = u.id AND f.action = 'login.failure' "
                  "AND f.at > u.last_login_at LIMIT ?) c), l.at, l.ip "
                  "FROM users u LEFT JOIN tenants t ON t.id = u.provider_id "
                  "LEFT JOIN audit l ON l.id = (SELECT MAX(m.id) FROM audit m "
                  "WHERE m.target_user_id = u.id AND m.action = 'login.failure') "
                  "WHERE u.id IN ("
                : "SELECT u.id, t.name FROM users u JOIN tenants t ON t.id = u.provider_id "
                  "WHERE u.id IN (",
        n, "");
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    int p = 1;
    if (lockout)
        gh_stmt_bind_int(st, p++, GH_STORE_FAILURES_MAX);
    for (size_t i = 0; i < n; i++)
        gh_stmt_bind_int(st, p++, users[i].id);
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        int64_t id = gh_stmt_int(st, 0);
        for (size_t i = 0; i < n; i++) {
            if (users[i].id != id)
                continue;
            out[i].provider = (gh_named){users[i].provider_id,
                                         gh_stmt_is_null(st, 1) ? NULL : gh_stmt_text(st, 1, a)};
            if (!lockout)
                continue;
            out[i].failures = gh_stmt_int(st, 2);
            out[i].last_failure_at = gh_stmt_int(st, 3);
            out[i].last_failure_ip = gh_stmt_is_null(st, 4) ? NULL : gh_stmt_text(st, 4, a);
        }
    }
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_users_extras(gh_db *db, gh_arena *a, const gh_user *users, size_t n, bool lockout,
                             gh_user_extras *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (gh_user_extras){0};
    if (n == 0)
        return GH_OK;
    for (size_t i = 0; i < n; i++)
        out[i].provider = (gh_named){users[i].provider_id, NULL};
    gh_err err = page_roles(db, a, users, n, out);
    return err == GH_OK ? page_facts(db, a, users, n, lockout, out) : err;
}

/* One tab's count, by its status range: at most cap + 1 entries of users_status (or, for an
 * admin of one provider, users_provider_status). */
static gh_err tally_one(gh_db *db, gh_arena *a, const gh_principal *viewer, const gh_user_filter *f,
                        int64_t cap, int64_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT COUNT(*) FROM (SELECT 1 FROM users u WHERE 1 = 1");
    gh_qb_user_scope(&q, viewer);
    add_filters(&q, f);
    gh_qb_sql(&q, " LIMIT ?) x");
    gh_qb_int(&q, cap + 1);
    return gh_qb_int_result(&q, db, n);
}

gh_err gh_store_user_tallies(gh_db *db, gh_arena *a, const gh_principal *viewer,
                             const gh_user_filter *f, int64_t cap, int64_t budget,
                             gh_user_tally *out)
{
    static const gh_user_list_status tabs[GH_TALLY_TABS] = {
        GH_LIST_ACTIVE, GH_LIST_INVITED, GH_LIST_DISABLED, GH_LIST_BANNED, GH_LIST_DELETED};
    *out = (gh_user_tally){.known = true, .exact = true};
    gh_user_filter one = *f;
    gh_store_search search;
    bool searching = f->q != NULL && gh_store_user_search(db, a, f->q, &search);
    if (searching && search.kind == GH_SEARCH_SCAN) {
        out->known = false;
        return GH_OK;
    }
    gh_err err = GH_OK;
    if (!searching && f->role_id == 0 && f->group_id == 0 && f->tenant_id == 0 &&
        f->inactive_days == 0) {
        for (int i = 0; i < GH_TALLY_TABS && err == GH_OK; i++) {
            one.status = tabs[i];
            err = tally_one(db, a, viewer, &one, cap, &out->n[i]);
        }
        return err;
    }
    /* a filter: one pass over its matches (the search index, the role's or group's members, the
     * tenant's users), each sorted into its tab, at most budget of them */
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT u.status, u.banned_until FROM users u");
    gh_qb_sql(&q, searching ? search.join : "");
    gh_qb_sql(&q, " WHERE 1 = 1");
    if (searching) {
        gh_qb_sql(&q, " AND ");
        gh_qb_sql(&q, search.where);
        gh_qb_text(&q, search.param);
        if (search.param2 != NULL)
            gh_qb_text(&q, search.param2);
    }
    gh_qb_user_scope(&q, viewer);
    one.status = GH_LIST_ALL;
    add_filters(&q, &one);
    gh_qb_sql(&q, " LIMIT ?");
    gh_qb_int(&q, budget + 1);
    gh_stmt *st = NULL;
    if ((err = gh_qb_prepare(&q, db, &st)) != GH_OK)
        return err;
    bool row = false;
    int64_t seen = 0;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        if (++seen > budget) {
            out->exact = false;
            break;
        }
        const char *status = gh_stmt_text(st, 0, a);
        bool banned = gh_stmt_int(st, 1) > f->now;
        int tab = strcmp(status, "invited") == 0    ? 1
                  : strcmp(status, "disabled") == 0 ? 2
                  : strcmp(status, "deleted") == 0  ? 4
                  : banned                          ? 3
                                                    : 0;
        out->n[tab]++;
    }
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_search_backfill(gh_db *db, int64_t *filled)
{
    *filled = 0;
    for (;;) {
        gh_arena *a = gh_arena_new();
        gh_stmt *st = NULL, *up = NULL;
        int n = 0;
        gh_err err = gh_db_begin(db);
        if (err == GH_OK)
            err = gh_db_prepare(db,
                                "SELECT id, username, first_name, last_name, email FROM users "
                                "WHERE search_key IS NULL ORDER BY id LIMIT 500",
                                &st);
        bool row = false;
        while (err == GH_OK && (err = gh_stmt_step(st, &row)) == GH_OK && row) {
            char *key, *grams;
            gh_store_search_fields(a, gh_stmt_text(st, 1, a), gh_stmt_text(st, 2, a),
                                   gh_stmt_text(st, 3, a), gh_stmt_text(st, 4, a), &key, &grams);
            if ((err = gh_db_prepare(db,
                                     "UPDATE users SET search_key = ?, search_grams = ? "
                                     "WHERE id = ? AND search_key IS NULL",
                                     &up)) != GH_OK)
                break;
            gh_stmt_bind_text(up, 1, key);
            gh_stmt_bind_text(up, 2, grams);
            gh_stmt_bind_int(up, 3, gh_stmt_int(st, 0));
            bool r2;
            err = gh_stmt_step(up, &r2);
            gh_stmt_done(up);
            n++;
        }
        if (st != NULL)
            gh_stmt_done(st);
        if (err == GH_OK)
            err = gh_db_commit(db);
        else
            gh_db_rollback(db);
        gh_arena_free(a);
        if (err != GH_OK)
            return err;
        *filled += n;
        if (n < 500)
            return GH_OK;
    }
}

gh_err gh_store_users_links(gh_db *db, gh_arena *a, const gh_user *users, size_t n,
                            gh_user_links *out)
{
    static const char *const heads[] = {
        "SELECT m.user_id, g.id, g.name FROM user_group_members m "
        "JOIN user_group g ON g.id = m.group_id WHERE m.user_id IN (",
        "SELECT x.user_id, t.id, t.name FROM user_access x "
        "JOIN tenants t ON t.id = x.tenant_id WHERE x.user_id IN (",
        "SELECT u.id, t.id, t.name FROM users u "
        "JOIN tenants t ON t.id = u.access_account_id WHERE u.id IN (",
    };
    static const char *const tails[] = {" ORDER BY m.user_id, g.name, g.id",
                                        " ORDER BY x.user_id, t.name, t.id", ""};
    for (size_t i = 0; i < n; i++)
        out[i] = (gh_user_links){0};
    gh_err err = GH_OK;
    for (size_t l = 0; l < 3 && n > 0 && err == GH_OK; l++) {
        named_row *rows = NULL;
        size_t m = 0, k = 0;
        err = page_named(db, a, users, n, heads[l], tails[l], &rows, &m);
        for (size_t i = 0; i < n && err == GH_OK; i++) {
            gh_named *v = rows_of(a, rows, m, users[i].id, &k);
            if (l == 0) {
                out[i].groups = v;
                out[i].n_groups = k;
            } else if (l == 1) {
                out[i].access = v;
                out[i].n_access = k;
            } else if (k > 0) {
                out[i].account = v[0];
            }
        }
    }
    return err;
}
