/* See query.h. */
#include "store/query.h"

#include <string.h>

void gh_qb_init(gh_qb *q, gh_arena *a)
{
    memset(q, 0, sizeof *q);
    q->a = a;
    q->cap = 1024;
    q->sql = gh_arena_alloc(a, q->cap);
}

void gh_qb_sql(gh_qb *q, const char *frag)
{
    size_t n = strlen(frag);
    if (q->len + n + 1 > q->cap) {
        size_t cap = (q->len + n + 1) * 2;
        char *s = gh_arena_alloc(q->a, cap);
        memcpy(s, q->sql, q->len);
        q->sql = s;
        q->cap = cap;
    }
    memcpy(q->sql + q->len, frag, n + 1);
    q->len += n;
}

void gh_qb_int(gh_qb *q, int64_t v)
{
    if (q->n < GH_QB_MAX_PARAMS) {
        q->p[q->n].is_text = false;
        q->p[q->n].i = v;
    }
    q->n++;
}

void gh_qb_text(gh_qb *q, const char *v)
{
    if (q->n < GH_QB_MAX_PARAMS) {
        q->p[q->n].is_text = true;
        q->p[q->n].t = v;
    }
    q->n++;
}

void gh_qb_ids(gh_qb *q, const int64_t *ids, size_t n)
{
    gh_qb_sql(q, " IN (");
    for (size_t i = 0; i < n; i++)
        gh_qb_sql(q, i ? ", ?" : "?");
    gh_qb_sql(q, ")");
    if (q->n < GH_QB_MAX_PARAMS) {
        q->p[q->n].ids = ids;
        q->p[q->n].n_ids = n;
    }
    q->n++;
}

gh_err gh_qb_prepare(gh_qb *q, gh_db *db, gh_stmt **out)
{
    if (q->n > GH_QB_MAX_PARAMS)
        return GH_EINTERNAL;
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, q->sql, &st);
    if (err != GH_OK)
        return err;
    int at = 1; /* the next placeholder: an id list takes one for each of its ids */
    for (int i = 0; i < q->n; i++) {
        if (q->p[i].ids != NULL)
            for (size_t k = 0; k < q->p[i].n_ids; k++)
                gh_stmt_bind_int(st, at++, q->p[i].ids[k]);
        else if (q->p[i].is_text)
            gh_stmt_bind_text(st, at++, q->p[i].t);
        else
            gh_stmt_bind_int(st, at++, q->p[i].i);
    }
    *out = st;
    return GH_OK;
}

/* Ids the viewer's own access lists (its accounts or sub-accounts). */
#define VIEWER_SET "(SELECT tenant_id FROM user_access WHERE user_id = ?)"
/* The user u lists no tenant outside the viewer's set. */
#define SUBSET_OF_VIEWER                                                                           \
    "NOT EXISTS (SELECT 1 FROM user_access x WHERE x.user_id = u.id AND x.tenant_id NOT "          \
    "IN " VIEWER_SET ")"

gh_err gh_qb_int_result(gh_qb *q, gh_db *db, int64_t *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_qb_prepare(q, db, &st);
    *out = 0;
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return err;
}

void gh_qb_user_scope(gh_qb *q, const gh_principal *v)
{
    const gh_access *ac = &v->access;
    switch (ac->level) {
    case GH_ACCESS_PLATFORM:
        return;
    case GH_ACCESS_PROVIDER:
        gh_qb_sql(q, " AND u.provider_id = ?");
        gh_qb_int(q, v->provider_id);
        return;
    case GH_ACCESS_ACCOUNT:
        gh_qb_sql(q, " AND u.provider_id = ?");
        gh_qb_int(q, v->provider_id);
        if (ac->all) {
            gh_qb_sql(q, " AND u.access_level IN ('account', 'sub_account')");
            return;
        }
        gh_qb_sql(q, " AND ((u.access_level = 'sub_account' AND u.access_account_id IN " VIEWER_SET
                     ") OR (u.access_level = 'account' AND u.access_all = 0 AND " SUBSET_OF_VIEWER
                     "))");
        gh_qb_int(q, v->user_id);
        gh_qb_int(q, v->user_id);
        return;
    case GH_ACCESS_SUB_ACCOUNT:
        gh_qb_sql(q, " AND u.provider_id = ? AND u.access_level = 'sub_account'"
                     " AND u.access_account_id = ?");
        gh_qb_int(q, v->provider_id);
        gh_qb_int(q, ac->account_id);
        if (!ac->all) {
            gh_qb_sql(q, " AND u.access_all = 0 AND " SUBSET_OF_VIEWER);
            gh_qb_int(q, v->user_id);
        }
        return;
    }
}

char *gh_store_in_list(gh_arena *a, const char *head, size_t n, const char *tail)
{
    size_t hl = strlen(head), tl = strlen(tail), len = hl;
    char *sql = gh_arena_alloc(a, hl + 3 * n + 1 + tl + 1);
    memcpy(sql, head, hl);
    for (size_t i = 0; i < n; i++) {
        memcpy(sql + len, i ? ", ?" : "?", i ? 3 : 1);
        len += i ? 3 : 1;
    }
    sql[len++] = ')';
    memcpy(sql + len, tail, tl + 1);
    return sql;
}

gh_err gh_store_load_ids(gh_db *db, gh_arena *a, const char *sql, int64_t id, gh_ids *out)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, id);
    size_t cap = 8, n = 0;
    int64_t *v = gh_arena_alloc(a, cap * sizeof *v);
    bool row = false;
    while ((err = gh_stmt_step(st, &row)) == GH_OK && row) {
        if (n == cap) {
            int64_t *w = gh_arena_alloc(a, 2 * cap * sizeof *w);
            memcpy(w, v, n * sizeof *v);
            v = w;
            cap *= 2;
        }
        v[n++] = gh_stmt_int(st, 0);
    }
    gh_stmt_done(st);
    if (err == GH_OK) {
        out->v = v;
        out->n = n;
    }
    return err;
}

gh_err gh_store_exec_ints(gh_db *db, const char *sql, int n, const int64_t *v)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    for (int i = 0; i < n; i++)
        gh_stmt_bind_int(st, i + 1, v[i]);
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

gh_err gh_store_replace_ids(gh_db *db, const char *del_sql, const char *ins_sql, int64_t owner,
                            const gh_ids *ids)
{
    gh_err err = gh_store_exec_ints(db, del_sql, 1, &owner);
    for (size_t i = 0; err == GH_OK && i < ids->n; i++) {
        int64_t pair[2] = {owner, ids->v[i]};
        err = gh_store_exec_ints(db, ins_sql, 2, pair);
    }
    return err;
}

gh_err gh_store_step_returning(gh_stmt *st, int64_t *id)
{
    bool row = false;
    gh_err err = gh_stmt_step(st, &row);
    int64_t v = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err == GH_OK && !row)
        err = GH_EINTERNAL;
    if (err == GH_OK)
        *id = v;
    return err;
}

gh_err gh_store_step_changing(gh_stmt *st)
{
    bool row;
    gh_err err = gh_stmt_step(st, &row);
    if (err == GH_OK && gh_stmt_changes(st) == 0)
        err = GH_ENOTFOUND;
    gh_stmt_done(st);
    return err;
}

gh_user_status gh_store_status_from(const char *s)
{
    gh_user_status v = GH_STATUS_DISABLED;
    return gh_user_status_parse(s, &v) ? v : GH_STATUS_DISABLED;
}

gh_access_level gh_store_level_from(const char *s)
{
    gh_access_level v = GH_ACCESS_SUB_ACCOUNT;
    return gh_access_level_parse(s, &v) ? v : GH_ACCESS_SUB_ACCOUNT;
}

gh_signin_stage gh_store_stage_from(const char *s)
{
    gh_signin_stage v = GH_STAGE_PASSWORD;
    return gh_signin_stage_parse(s, &v) ? v : GH_STAGE_PASSWORD;
}

gh_tenant_kind gh_store_tenant_kind_from(const char *s)
{
    gh_tenant_kind v = GH_TENANT_SUB_ACCOUNT;
    return gh_tenant_kind_parse(s, &v) ? v : GH_TENANT_SUB_ACCOUNT;
}

gh_role_kind gh_store_role_kind_from(const char *s)
{
    gh_role_kind v = GH_ROLE_PLATFORM_USER;
    return gh_role_kind_parse(s, &v) ? v : GH_ROLE_PLATFORM_USER;
}

gh_link_purpose gh_store_link_purpose_from(const char *s)
{
    gh_link_purpose v = GH_LINK_SETUP;
    return gh_link_purpose_parse(s, &v) ? v : GH_LINK_SETUP;
}

gh_mail_state gh_store_mail_state_from(const char *s)
{
    gh_mail_state v = GH_MAIL_CANCELLED;
    return gh_mail_state_parse(s, &v) ? v : GH_MAIL_CANCELLED;
}

void gh_store_bind_opt_id(gh_stmt *st, int idx, int64_t id)
{
    if (id != 0)
        gh_stmt_bind_int(st, idx, id);
    else
        gh_stmt_bind_null(st, idx);
}
