/* The audit trail: append-only rows, listed newest first within the viewer's scope. */
#include <string.h>

#include "store/query.h"
#include "util/utf8.h"

gh_err gh_store_audit_insert(gh_db *db, const gh_audit_entry *e)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(
        db,
        "INSERT INTO audit (at, actor_id, actor, action, target_type, target_id, target_user_id, "
        "provider_id, outcome, ip, request_id, before_json, after_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st);
    if (err != GH_OK)
        return err;
    const int64_t ids[] = {e->actor_id, e->target_id, e->target_user_id, e->provider_id};
    const int id_pos[] = {2, 6, 7, 8};
    gh_stmt_bind_int(st, 1, e->at);
    for (int i = 0; i < 4; i++) {
        if (ids[i] != 0)
            gh_stmt_bind_int(st, id_pos[i], ids[i]);
        else
            gh_stmt_bind_null(st, id_pos[i]);
    }
    gh_stmt_bind_text(st, 3, e->actor);
    gh_stmt_bind_text(st, 4, e->action);
    gh_stmt_bind_text(st, 5, e->target_type);
    gh_stmt_bind_text(st, 9, e->outcome);
    gh_stmt_bind_text(st, 10, e->ip ? e->ip : "");
    gh_stmt_bind_text(st, 11, e->request_id ? e->request_id : "");
    gh_stmt_bind_text(st, 12, e->before_json);
    gh_stmt_bind_text(st, 13, e->after_json);
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

static void audit_scope(gh_qb *q, const gh_principal *v)
{
    switch (v->access.level) {
    case GH_ACCESS_PLATFORM:
        return;
    case GH_ACCESS_PROVIDER:
        gh_qb_sql(q, " AND a.provider_id = ?");
        gh_qb_int(q, v->provider_id);
        return;
    case GH_ACCESS_ACCOUNT:
    case GH_ACCESS_SUB_ACCOUNT:
        gh_qb_sql(q, " AND a.target_user_id IN (SELECT u.id FROM users u WHERE 1 = 1");
        gh_qb_user_scope(q, v);
        gh_qb_sql(q, ")");
        return;
    }
}

static void read_entry(gh_stmt *st, gh_arena *a, gh_audit_entry *e)
{
    e->id = gh_stmt_int(st, 0);
    e->at = gh_stmt_int(st, 1);
    e->actor_id = gh_stmt_int(st, 2);
    e->actor = gh_stmt_text(st, 3, a);
    e->action = gh_stmt_text(st, 4, a);
    e->target_type = gh_stmt_text(st, 5, a);
    e->target_id = gh_stmt_int(st, 6);
    e->target_user_id = gh_stmt_int(st, 7);
    e->provider_id = gh_stmt_int(st, 8);
    e->outcome = gh_stmt_text(st, 9, a);
    e->ip = gh_stmt_text(st, 10, a);
    e->request_id = gh_stmt_text(st, 11, a);
    e->before_json = gh_stmt_text(st, 12, a);
    e->after_json = gh_stmt_text(st, 13, a);
    e->actor_name = e->target_name = NULL; /* the reader's names: core/ fills them */
    e->target_visible = false;
}

static void audit_filters(gh_qb *q, const gh_audit_filter *f)
{
    if (f->before_id > 0) {
        gh_qb_sql(q, " AND a.id < ?");
        gh_qb_int(q, f->before_id);
    }
    if (f->actor != NULL) {
        gh_qb_sql(q, " AND a.actor = ?");
        gh_qb_text(q, f->actor);
    }
    if (f->actor_id != 0) {
        gh_qb_sql(q, " AND a.actor_id = ?");
        gh_qb_int(q, f->actor_id);
    }
    if (f->target_id != 0) {
        gh_qb_sql(q, " AND a.target_id = ?");
        gh_qb_int(q, f->target_id);
    }
    if (f->target_type != NULL) {
        gh_qb_sql(q, " AND a.target_type = ?");
        gh_qb_text(q, f->target_type);
    }
    if (f->action != NULL) {
        gh_qb_sql(q, " AND a.action = ?");
        gh_qb_text(q, f->action);
    }
    if (f->since != 0) {
        gh_qb_sql(q, " AND a.at >= ?");
        gh_qb_int(q, f->since);
    }
    if (f->until != 0) {
        gh_qb_sql(q, " AND a.at < ?");
        gh_qb_int(q, f->until);
    }
}

gh_err gh_store_audit_list(gh_db *db, gh_arena *a, const gh_principal *viewer,
                           const gh_audit_filter *f, gh_audit_entry **items, size_t *n)
{
    gh_qb q;
    gh_qb_init(&q, a);
    gh_qb_sql(&q, "SELECT a.id, a.at, a.actor_id, a.actor, a.action, a.target_type, a.target_id, "
                  "a.target_user_id, a.provider_id, a.outcome, a.ip, a.request_id, a.before_json, "
                  "a.after_json FROM audit a WHERE 1 = 1");
    audit_scope(&q, viewer);
    audit_filters(&q, f);
    gh_qb_sql(&q, " ORDER BY a.id DESC LIMIT ?");
    gh_qb_int(&q, f->limit);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    gh_audit_entry *v = gh_arena_alloc(a, (size_t)f->limit * sizeof *v);
    size_t count = 0;
    bool row = false;
    while (count < (size_t)f->limit && (err = gh_stmt_step(st, &row)) == GH_OK && row)
        read_entry(st, a, &v[count++]);
    gh_stmt_done(st);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}

/* The scope of a role or group row (alias x): global rows and the viewer's provider's. */
static void provider_row_scope(gh_qb *q, const gh_principal *v)
{
    if (v->access.level != GH_ACCESS_PLATFORM) {
        gh_qb_sql(q, " AND (x.provider_id IS NULL OR x.provider_id = ?)");
        gh_qb_int(q, v->provider_id);
    }
}

/* SSO sources: the platform sees all, a provider's admin its own provider's, no one else any. */
static void sso_scope(gh_qb *q, const gh_principal *v)
{
    if (v->access.level == GH_ACCESS_PROVIDER) {
        gh_qb_sql(q, " AND x.provider_id = ?");
        gh_qb_int(q, v->provider_id);
    } else if (v->access.level != GH_ACCESS_PLATFORM) {
        gh_qb_sql(q, " AND 1 = 0");
    }
}

static void names_query(gh_qb *q, const gh_principal *v, gh_store_named what, const int64_t *ids,
                        size_t n)
{
    static const char *const head[] = {
        [GH_NAMED_USER] = "SELECT u.id, u.first_name, u.last_name, u.username FROM users u "
                          "WHERE u.id",
        [GH_NAMED_ROLE] = "SELECT x.id, x.name, '', '' FROM roles x WHERE x.id",
        [GH_NAMED_GROUP] = "SELECT x.id, x.name, '', '' FROM user_group x WHERE x.id",
        [GH_NAMED_TENANT] = "SELECT t.id, t.name, '', '' FROM tenants t WHERE t.id",
        [GH_NAMED_SSO_SOURCE] = "SELECT x.id, x.display_name, '', x.name FROM sso_sources x "
                                "WHERE x.id",
    };
    gh_qb_sql(q, head[what]);
    gh_qb_ids(q, ids, n);
    switch (what) {
    case GH_NAMED_USER:
        gh_qb_user_scope(q, v);
        break;
    case GH_NAMED_ROLE:
    case GH_NAMED_GROUP:
        provider_row_scope(q, v);
        break;
    case GH_NAMED_TENANT:
        gh_qb_tenant_scope(q, v);
        break;
    case GH_NAMED_SSO_SOURCE:
        sso_scope(q, v);
        break;
    }
}

gh_err gh_store_audit_names(gh_db *db, gh_arena *a, const gh_principal *viewer, gh_store_named what,
                            const int64_t *ids, size_t n, const char **names)
{
    for (size_t i = 0; i < n; i++)
        names[i] = NULL;
    if (n == 0)
        return GH_OK;
    gh_qb q;
    gh_qb_init(&q, a);
    names_query(&q, viewer, what, ids, n);
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(&q, db, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        int64_t id = gh_stmt_int(st, 0);
        const char *first = gh_stmt_text(st, 1, a), *last = gh_stmt_text(st, 2, a);
        const char *name = what == GH_NAMED_USER ? gh_person_name(a, first, last) : first;
        if (name == NULL || name[0] == '\0')
            name = gh_stmt_text(st, 3, a); /* a user without a name: its username */
        for (size_t i = 0; i < n; i++)
            if (ids[i] == id)
                names[i] = name;
    }
    gh_stmt_done(st);
    return err;
}
