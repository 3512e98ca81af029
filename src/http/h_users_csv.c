/* GET /api/v1/users.csv: the users list as a CSV file (util/csv.h: RFC 4180, formula cells
 * neutralised), with the list's filters and sort, streamed.
 *
 * Columns, in this order (the header row names them): username, first_name, last_name, email,
 * phone, language, timezone, country, status (invited, active, disabled, deleted), provider (the
 * service provider's name; empty for the platform's staff), access (platform, provider, account
 * or sub_account), accounts (account access: the accounts; sub-account access: its one account),
 * sub_accounts, roles, groups (names, ';'-separated; "*" for all), login_enabled, mfa_required,
 * enforce_sso (true or false), sso_source, sso_id. They are what a user's record carries and an
 * import can write back; ids, times and the sign-in state (password, two-factor, lock-out) are
 * left out, since no import could reproduce them.
 *
 * Streaming: the handler writes the header row and reads the first page inside the request's
 * read transaction (so a failing database still gets a problem answer); every later page is read
 * by the stream's reader in a read transaction of its own, GH_EXPORT_PAGE users at a time, after
 * the last page's (sort key, id) as the list's cursor does. Memory is one page and its CSV text,
 * whatever the number of users; each transaction is short, so writers are never held up by an
 * export. Consistency: each page is one snapshot, the file is not. A user unchanged during the
 * export appears exactly once; one created, deleted or changed meanwhile appears as it was in
 * the snapshot of the page its position fell in, or not at all when its sort key moved behind
 * the export's position, or twice when it moved ahead of it. The reader's rights are those the
 * request was authorised with (as for any request in flight). */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "util/csv.h"
#include "util/log.h"

#define GH_EXPORT_PAGE 250

typedef struct export
{
    gh_server *srv;
    gh_arena *keep; /* the principal's copy and the filter's strings */
    gh_principal who;
    gh_user_filter f;
    int64_t now;
    char *cursor_key; /* malloc'd: the last page's sort key */
    gh_csv_buf out;   /* the text not yet handed over, from sent on */
    size_t sent;
    bool done;
    char request_id[33];
}
export;

static void export_free(void *cls)
{
    export *x = cls;
    if (x == NULL)
        return;
    gh_csv_buf_free(&x->out);
    free(x->cursor_key);
    gh_arena_free(x->keep);
    free(x);
}

/* A cell of named things ("*" when all is set). */
static void names_cell(gh_csv_buf *out, gh_csv_buf *tmp, const gh_named *v, size_t n, bool all)
{
    tmp->len = 0;
    if (all)
        gh_csv_raw(tmp, "*", 1);
    for (size_t i = 0; i < n && !all; i++)
        gh_csv_list_item(tmp, v[i].name, i == 0);
    gh_csv_cell(out, gh_csv_text(tmp));
}

static void user_row(gh_csv_buf *out, gh_csv_buf *tmp, const gh_user *u, const gh_user_extras *ex,
                     const gh_user_links *ln)
{
    const char *texts[] = {u->username, u->first_name, u->last_name, u->email,
                           u->phone,    u->language,   u->timezone,  u->country};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        gh_csv_cell(out, texts[i]);
    gh_csv_cell(out, gh_user_status_name(u->status));
    gh_csv_cell(out, u->provider_id != 0 ? ex->provider.name : NULL);
    const gh_access *ac = &u->access;
    gh_csv_cell(out, gh_access_level_name(ac->level));
    if (ac->level == GH_ACCESS_ACCOUNT)
        names_cell(out, tmp, ln->access, ln->n_access, ac->all);
    else if (ac->level == GH_ACCESS_SUB_ACCOUNT)
        names_cell(out, tmp, &ln->account, ln->account.id != 0, false);
    else
        gh_csv_cell(out, NULL);
    if (ac->level == GH_ACCESS_SUB_ACCOUNT)
        names_cell(out, tmp, ln->access, ln->n_access, ac->all);
    else
        gh_csv_cell(out, NULL);
    names_cell(out, tmp, ex->roles, ex->n_roles, false);
    names_cell(out, tmp, ln->groups, ln->n_groups, false);
    gh_csv_cell(out, u->login_enabled ? "true" : "false");
    gh_csv_cell(out, u->mfa_required ? "true" : "false");
    gh_csv_cell(out, u->enforce_sso ? "true" : "false");
    gh_csv_cell(out, u->sso_source);
    gh_csv_cell(out, u->sso_id);
    gh_csv_end_row(out);
}

/* Reads the next page through ctx (in a read transaction) and appends its rows to x->out. */
static gh_err next_page(export *x, gh_ctx *ctx)
{
    gh_user_page page;
    gh_err err = gh_core_user_list(ctx, &x->f, &page);
    gh_user_extras *ex = gh_arena_alloc(ctx->a, (page.n + 1) * sizeof *ex);
    gh_user_links *ln = gh_arena_alloc(ctx->a, (page.n + 1) * sizeof *ln);
    if (err == GH_OK)
        err = gh_core_users_extras(ctx, page.items, page.n, false, ex);
    if (err == GH_OK)
        err = gh_core_users_links(ctx, page.items, page.n, ln);
    if (err != GH_OK)
        return err;
    gh_csv_buf tmp = {0};
    for (size_t i = 0; i < page.n; i++)
        user_row(&x->out, &tmp, &page.items[i], &ex[i], &ln[i]);
    gh_csv_buf_free(&tmp);
    x->done = !page.more;
    if (page.more) {
        char *key = strdup(page.next_key != NULL ? page.next_key : "");
        if (key == NULL)
            return GH_EINTERNAL;
        free(x->cursor_key);
        x->cursor_key = key;
        x->f.has_cursor = true;
        x->f.cursor_key = key;
        x->f.cursor_id = page.next_id;
    }
    return GH_OK;
}

/* A later page, in a read transaction of its own on this thread's connection. */
static gh_err read_later_page(export *x)
{
    gh_db *db = gh_http_server_db(x->srv);
    if (db == NULL)
        return GH_EDB;
    gh_arena *a = gh_arena_new();
    gh_ctx ctx = {.db = db, .a = a, .who = &x->who, .now = x->now, .request_id = x->request_id};
    gh_err err = gh_db_begin_read(db);
    if (err == GH_OK) {
        err = next_page(x, &ctx);
        gh_db_rollback(db); /* read only: nothing to keep */
    }
    gh_arena_free(a);
    return err;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    export *x = cls;
    (void)pos;
    while (x->sent == x->out.len) {
        if (x->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        x->out.len = x->sent = 0;
        gh_err err = read_later_page(x);
        if (err != GH_OK) {
            gh_log("error", "export_failed", "error", gh_err_str(err), "request_id", x->request_id,
                   NULL);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = x->out.len - x->sent < max ? x->out.len - x->sent : max;
    memcpy(buf, x->out.p + x->sent, n);
    x->sent += n;
    return (ssize_t)n;
}

/* The principal, deep, into a (the request's copy goes with the request). */
static void copy_principal(gh_arena *a, const gh_principal *in, gh_principal *out)
{
    *out = *in;
    out->username = in->username ? gh_arena_strdup(a, in->username) : NULL;
    if (in->access.ids.n > 0) {
        int64_t *v = gh_arena_alloc(a, in->access.ids.n * sizeof *v);
        memcpy(v, in->access.ids.v, in->access.ids.n * sizeof *v);
        out->access.ids.v = v;
    }
}

static gh_err parse_bom(gh_req *r, bool *bom)
{
    const char *s = gh_query(r, "bom");
    *bom = s != NULL && strcmp(s, "1") == 0;
    if (s != NULL && strcmp(s, "1") != 0 && strcmp(s, "0") != 0)
        return gh_fail(&r->ctx, GH_EINVAL, "bom", "invalid",
                       "1 to start with a byte-order mark (for Excel), or 0");
    return GH_OK;
}

gh_err gh_h_users_csv(gh_req *r)
{
    static const char *const allowed[] = {"q",         "status", "role_id", "group_id",
                                          "tenant_id", "sort",   "bom",     NULL};
    bool bom = false;
    gh_user_filter f = {0};
    gh_err err = gh_query_only(r, allowed);
    if (err == GH_OK)
        err = gh_h_users_filter(r, &f);
    if (err == GH_OK)
        err = parse_bom(r, &bom);
    if (err != GH_OK)
        return err;
    export *x = calloc(1, sizeof *x);
    if (x == NULL)
        return GH_EINTERNAL;
    x->srv = r->srv;
    x->keep = gh_arena_new();
    x->now = r->ctx.now;
    memcpy(x->request_id, r->request_id, sizeof x->request_id);
    copy_principal(x->keep, r->ctx.who, &x->who);
    x->f = f;
    x->f.q = f.q != NULL ? gh_arena_strdup(x->keep, f.q) : NULL;
    x->f.limit = GH_EXPORT_PAGE;
    r->stream = (gh_stream){.read = export_read, .free = export_free, .cls = x};
    if (bom)
        gh_csv_raw(&x->out, "\xEF\xBB\xBF", 3);
    for (size_t i = 0; i < GH_COL_COUNT; i++) /* core/core.h: the columns an import reads */
        gh_csv_cell(&x->out, gh_user_columns[i]);
    gh_csv_end_row(&x->out);
    if ((err = next_page(x, &r->ctx)) != GH_OK)
        return err; /* the server frees the stream */
    r->content_type = "text/csv; charset=utf-8";
    r->disposition = "attachment; filename=\"users.csv\"";
    return GH_OK;
}
