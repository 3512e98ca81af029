/* SCIM 2.0 (issue 15): the clients' rows and the principal behind a client's token, and the
 * users list of GET /scim/v2/Users, whose filter tree (core/scim_filter.c) becomes bound
 * parameters through the query builder. */
#include <string.h>

#include "store/query.h"

/* ---- the users list ---- */

/* The column each string attribute compares, lower-cased: SCIM's userName, emails and names
 * are case-insensitive (RFC 7643 caseExact false); externalId is compared exactly. */
static const char *text_col(gh_scim_attr at)
{
    switch (at) {
    case GH_SA_USERNAME:
        return "u.username_key";
    case GH_SA_EMAIL:
        return "lower(u.email)";
    case GH_SA_GIVEN_NAME:
        return "lower(u.first_name)";
    case GH_SA_FAMILY_NAME:
        return "lower(u.last_name)";
    case GH_SA_EXTERNAL_ID:
        return "COALESCE(u.external_id, '')";
    case GH_SA_DISPLAY_NAME:
        return "lower(g.name)";
    default:
        return NULL;
    }
}

/* v with LIKE's % and _ (and the escape itself) escaped, between the wildcards of op. */
static char *like_param(gh_arena *a, const char *v, gh_scim_op op)
{
    size_t n = strlen(v);
    char *out = gh_arena_alloc(a, 2 * n + 3), *p = out;
    if (op == GH_SO_CO || op == GH_SO_EW)
        *p++ = '%';
    for (const char *s = v; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    if (op == GH_SO_CO || op == GH_SO_SW)
        *p++ = '%';
    *p = '\0';
    return out;
}

static void add_text_cmp(gh_qb *q, const gh_scim_filter *f)
{
    const char *col = text_col(f->attr);
    if (f->op == GH_SO_PR) {
        gh_qb_sql(q, col);
        gh_qb_sql(q, " <> ''");
        return;
    }
    gh_qb_sql(q, col);
    if (f->op == GH_SO_EQ || f->op == GH_SO_NE) {
        gh_qb_sql(q, f->op == GH_SO_EQ ? " = ?" : " <> ?");
        gh_qb_text(q, f->text);
        return;
    }
    gh_qb_sql(q, " LIKE ? ESCAPE '\\'");
    gh_qb_text(q, like_param(q->a, f->text, f->op));
}

static void add_num_cmp(gh_qb *q, const char *col, gh_scim_op op, int64_t v)
{
    static const char *const ops[] = {
        [GH_SO_EQ] = " = ?",  [GH_SO_NE] = " <> ?", [GH_SO_GT] = " > ?",
        [GH_SO_GE] = " >= ?", [GH_SO_LT] = " < ?",  [GH_SO_LE] = " <= ?",
    };
    gh_qb_sql(q, col);
    if (op == GH_SO_PR) {
        gh_qb_sql(q, " IS NOT NULL");
        return;
    }
    gh_qb_sql(q, (size_t)op < sizeof ops / sizeof *ops && ops[op] != NULL ? ops[op] : " = ?");
    gh_qb_int(q, v);
}

static void add_cmp(gh_qb *q, const gh_principal *v, const gh_scim_filter *f)
{
    switch (f->attr) {
    case GH_SA_ID:
        add_num_cmp(q, "u.id", f->op, f->num);
        return;
    case GH_SA_GROUP_ID:
        add_num_cmp(q, "g.id", f->op, f->num);
        return;
    case GH_SA_CREATED:
        add_num_cmp(q, "u.created_at", f->op, f->num);
        return;
    case GH_SA_LAST_MODIFIED:
        add_num_cmp(q, "u.updated_at", f->op, f->num);
        return;
    case GH_SA_GROUP: /* eq (ne: NOT EXISTS); pr: in any group */
        gh_qb_sql(q, f->op == GH_SO_NE ? "NOT EXISTS" : "EXISTS");
        gh_qb_sql(q, " (SELECT 1 FROM user_group_members m WHERE m.user_id = u.id");
        if (f->op != GH_SO_PR) {
            gh_qb_sql(q, " AND m.group_id = ?");
            gh_qb_int(q, f->num);
        }
        gh_qb_sql(q, ")");
        return;
    case GH_SA_MEMBER: /* a member the viewer sees */
        gh_qb_sql(q, f->op == GH_SO_NE ? "NOT EXISTS" : "EXISTS");
        gh_qb_sql(q, " (SELECT 1 FROM user_group_members m JOIN users u ON u.id = m.user_id "
                     "WHERE m.group_id = g.id AND u.status <> 'deleted'");
        gh_qb_user_scope(q, v);
        if (f->op != GH_SO_PR) {
            gh_qb_sql(q, " AND m.user_id = ?");
            gh_qb_int(q, f->num);
        }
        gh_qb_sql(q, ")");
        return;
    case GH_SA_ACTIVE: /* active: not disabled (an invited user is active, yet to sign in) */
        if (f->op == GH_SO_PR)
            gh_qb_sql(q, "1 = 1");
        else if ((f->num != 0) == (f->op == GH_SO_EQ))
            gh_qb_sql(q, "u.status <> 'disabled'");
        else
            gh_qb_sql(q, "u.status = 'disabled'");
        return;
    default:
        add_text_cmp(q, f);
        return;
    }
}

static void add_filter(gh_qb *q, const gh_principal *v, const gh_scim_filter *f)
{
    gh_qb_sql(q, "(");
    switch (f->node) {
    case GH_SF_AND:
    case GH_SF_OR:
        add_filter(q, v, f->l);
        gh_qb_sql(q, f->node == GH_SF_AND ? " AND " : " OR ");
        add_filter(q, v, f->r);
        break;
    case GH_SF_NOT:
        gh_qb_sql(q, "NOT ");
        add_filter(q, v, f->l);
        break;
    case GH_SF_CMP:
        add_cmp(q, v, f);
        break;
    case GH_SF_CONST:
        gh_qb_sql(q, f->num != 0 ? "1 = 1" : "1 = 0");
        break;
    }
    gh_qb_sql(q, ")");
}

static void users_where(gh_qb *q, const gh_principal *viewer, const gh_scim_filter *f)
{
    gh_qb_sql(q, " FROM users u WHERE u.status <> 'deleted'");
    gh_qb_user_scope(q, viewer);
    if (f != NULL) {
        gh_qb_sql(q, " AND ");
        add_filter(q, viewer, f);
    }
}

static gh_err count_users(gh_db *db, gh_arena *a, const gh_principal *viewer,
                          const gh_scim_filter *f, int64_t cap, int64_t *total)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT COUNT(*) FROM (SELECT 1");
    users_where(&q, viewer, f);
    gh_qb_sql(&q, " LIMIT ?) t");
    gh_qb_int(&q, cap + 1);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK)
        *total = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_scim_users(gh_db *db, gh_arena *a, const gh_principal *viewer,
                           const gh_scim_filter *f, int64_t offset, int count, int64_t cap,
                           gh_user **items, size_t *n, int64_t *total)
{
    int64_t t = 0;
    gh_err err = count_users(db, a, viewer, f, cap, &t);
    if (err != GH_OK)
        return err;
    gh_user *v = gh_arena_alloc(a, ((size_t)count + 1) * sizeof *v);
    size_t got = 0;
    if (count > 0) {
        gh_qb q;
        gh_qb_init(&q, a);
        gh_qb_sql(&q, "SELECT ");
        gh_qb_sql(&q, gh_store_user_cols);
        users_where(&q, viewer, f);
        gh_qb_sql(&q, " ORDER BY u.id LIMIT ? OFFSET ?");
        gh_qb_int(&q, count);
        gh_qb_int(&q, offset);
        gh_stmt *st = NULL;
        if ((err = gh_qb_prepare(&q, db, &st)) != GH_OK)
            return err;
        bool row = false;
        while (got < (size_t)count && (err = gh_stmt_step(st, &row)) == GH_OK && row)
            gh_store_read_user_row(st, a, &v[got++]);
        gh_stmt_done(st);
    }
    if (err == GH_OK) {
        *items = v;
        *n = got;
        *total = t;
    }
    return err;
}

/* ---- the groups list ---- */

static void groups_where(gh_qb *q, const gh_principal *viewer, int64_t provider_id,
                         const gh_scim_filter *f)
{
    gh_qb_sql(q, " FROM user_group g WHERE g.provider_id = ?");
    gh_qb_int(q, provider_id);
    if (f != NULL) {
        gh_qb_sql(q, " AND ");
        add_filter(q, viewer, f);
    }
}

gh_err gh_store_scim_groups(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                            const gh_scim_filter *f, int64_t offset, int count, int64_t cap,
                            int64_t **ids, size_t *n, int64_t *total)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT COUNT(*) FROM (SELECT 1");
    groups_where(&q, viewer, provider_id, f);
    gh_qb_sql(&q, " LIMIT ?) t");
    gh_qb_int(&q, cap + 1);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    int64_t t = 0;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        t = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    if (err != GH_OK)
        return err;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT g.id");
    groups_where(&q, viewer, provider_id, f);
    gh_qb_sql(&q, " ORDER BY g.id LIMIT ? OFFSET ?");
    gh_qb_int(&q, count);
    gh_qb_int(&q, offset);
    if ((err = gh_qb_prepare(&q, db, &st)) != GH_OK)
        return err;
    int64_t *v = gh_arena_alloc(a, ((size_t)count + 1) * sizeof *v);
    size_t got = 0;
    while (got < (size_t)count && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        v[got++] = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *ids = v;
        *n = got;
        *total = t;
    }
    return err;
}

/* ---- clients ---- */

#define CLIENT_COLS                                                                                \
    "c.id, c.provider_id, c.name, c.access_level, c.access_all, c.created_by, c.created_at, "      \
    "c.revoked_at, (SELECT username FROM users WHERE id = c.created_by)"
#define CLIENT_NCOLS 9
#define SQL_CLIENT_ROLES                                                                           \
    "SELECT role_id FROM scim_client_roles WHERE client_id = ? ORDER BY role_id"
#define SQL_CLIENT_ACCOUNTS                                                                        \
    "SELECT tenant_id FROM scim_client_accounts WHERE client_id = ? ORDER BY tenant_id"

static void read_client(gh_stmt *st, gh_arena *a, gh_scim_client *c)
{
    memset(c, 0, sizeof *c);
    c->id = gh_stmt_int(st, 0);
    c->provider_id = gh_stmt_int(st, 1);
    c->name = gh_stmt_text(st, 2, a);
    c->access.level = gh_store_level_from(gh_stmt_text(st, 3, a));
    c->access.all = gh_stmt_int(st, 4) != 0;
    c->created_by = gh_stmt_int(st, 5);
    c->created_at = gh_stmt_int(st, 6);
    c->revoked_at = gh_stmt_int(st, 7);
    c->created_by_name = gh_stmt_text(st, 8, a);
}

static gh_err load_links(gh_db *db, gh_arena *a, gh_scim_client *c)
{
    gh_err err = gh_store_load_ids(db, a, SQL_CLIENT_ROLES, c->id, &c->role_ids);
    if (err == GH_OK)
        err = gh_store_load_ids(db, a, SQL_CLIENT_ACCOUNTS, c->id, &c->access.ids);
    return err;
}

gh_err gh_store_scim_client_insert(gh_db *db, const gh_scim_client *c, const char *token_hash,
                                   int64_t *id)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "INSERT INTO scim_clients (provider_id, name, token_hash, "
                               "access_level, access_all, created_by, created_at) VALUES (?, ?, "
                               "?, ?, ?, ?, ?) RETURNING id",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, c->provider_id);
    gh_stmt_bind_text(st, 2, c->name);
    gh_stmt_bind_text(st, 3, token_hash);
    gh_stmt_bind_text(st, 4, gh_access_level_name(c->access.level));
    gh_stmt_bind_int(st, 5, c->access.all);
    gh_stmt_bind_int(st, 6, c->created_by);
    gh_stmt_bind_int(st, 7, c->created_at);
    int64_t new_id = 0;
    err = gh_store_step_returning(st, &new_id);
    if (err == GH_OK)
        err =
            gh_store_replace_ids(db, "DELETE FROM scim_client_roles WHERE client_id = ?",
                                 "INSERT INTO scim_client_roles (client_id, role_id) VALUES (?, ?)",
                                 new_id, &c->role_ids);
    if (err == GH_OK && !c->access.all)
        err = gh_store_replace_ids(
            db, "DELETE FROM scim_client_accounts WHERE client_id = ?",
            "INSERT INTO scim_client_accounts (client_id, tenant_id) VALUES (?, ?)", new_id,
            &c->access.ids);
    if (err == GH_OK)
        *id = new_id;
    return err;
}

gh_err gh_store_scim_client_get(gh_db *db, gh_arena *a, int64_t id, gh_scim_client *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db, "SELECT " CLIENT_COLS " FROM scim_clients c WHERE c.id = ? AND c.revoked_at = 0", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    bool row = false;
    gh_scim_client c;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        read_client(st, a, &c);
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_ENOTFOUND;
    if (err == GH_OK)
        err = load_links(db, a, &c);
    if (err == GH_OK)
        *out = c;
    return err;
}

gh_err gh_store_scim_client_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                                 int64_t after_id, gh_scim_client **items, size_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " CLIENT_COLS " FROM scim_clients c WHERE c.revoked_at = 0 "
                               "AND (? = 0 OR c.provider_id = ?) AND c.id > ? ORDER BY c.id "
                               "LIMIT ?",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, provider_id);
    gh_stmt_bind_int(st, 2, provider_id);
    gh_stmt_bind_int(st, 3, after_id);
    gh_stmt_bind_int(st, 4, limit);
    gh_scim_client *v = gh_arena_alloc(a, ((size_t)limit + 1) * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_client(st, a, &v[count++]);
    gh_stmt_done(st);
    for (size_t i = 0; err == GH_OK && i < count; i++)
        err = load_links(db, a, &v[i]);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

gh_err gh_store_scim_client_revoke(gh_db *db, int64_t id, int64_t now)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db, "UPDATE scim_clients SET revoked_at = ? WHERE id = ? AND revoked_at = 0", &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, now);
    gh_stmt_bind_int(st, 2, id);
    return gh_store_step_changing(st);
}

gh_err gh_store_scim_client_auth(gh_db *db, gh_arena *a, const char *hash, gh_scim_client *client,
                                 gh_principal *creator)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db,
                               "SELECT " CLIENT_COLS ", " GH_STORE_PRINCIPAL_COLS
                               " FROM scim_clients c JOIN users u ON u.id = c.created_by WHERE "
                               "c.token_hash = ? AND c.revoked_at = 0 AND u.status = 'active' AND "
                               "u.login_enabled = 1",
                               &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_text(st, 1, hash);
    bool row = false;
    gh_scim_client c;
    gh_principal p;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row) {
        read_client(st, a, &c);
        gh_store_read_principal(st, a, CLIENT_NCOLS, &p);
    }
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        return GH_EUNAUTH;
    if (err == GH_OK)
        err = load_links(db, a, &c);
    if (err == GH_OK) {
        *client = c;
        *creator = p;
    }
    return err;
}
