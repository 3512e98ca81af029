/* Users as CSV. POST /api/v1/users/import: rows of that file through gh_core_user_import, at the
 * end of this file. GET /api/v1/users.csv: the users list as a CSV file (util/csv.h: RFC 4180,
 * formula cells neutralised), with the list's filters and sort, streamed.
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
    char request_id[65]; /* gh_req's */
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
    bool bom = false;
    gh_user_filter f = {0};
    gh_err err = gh_h_users_filter(r, &f);
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
    snprintf(x->request_id, sizeof x->request_id, "%s", r->request_id);
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

/* ---- import ---- */

/* Which column each field of the header names (map[i]). */
static gh_err import_header(gh_req *r, const gh_csv_record *h, int *map)
{
    bool seen[GH_COL_COUNT] = {false};
    for (size_t i = 0; i < h->n; i++) {
        map[i] = -1;
        for (int c = 0; c < GH_COL_COUNT; c++)
            if (strcmp(h->fields[i], gh_user_columns[c]) == 0)
                map[i] = c;
        if (map[i] < 0 || seen[map[i]])
            return gh_fail(&r->ctx, GH_EINVAL, "header", map[i] < 0 ? "unknown" : "duplicate",
                           gh_arena_printf(r->a, "the column \"%s\" is %s", h->fields[i],
                                           map[i] < 0 ? "not one of the export's" : "there twice"));
        seen[map[i]] = true;
    }
    if (!seen[GH_COL_USERNAME])
        return gh_fail(&r->ctx, GH_EINVAL, "header", "required", "the header has no username");
    return GH_OK;
}

/* One row's answer: {line, username, outcome} and, refused, {field, code, message}. */
static json_t *import_result(gh_req *r, size_t line, const char *username, gh_import_outcome o,
                             gh_err err)
{
    json_t *j = json_pack("{s:I, s:s?, s:s}", "line", (json_int_t)line, "username", username,
                          "outcome", gh_import_outcome_name(o));
    if (o != GH_IMPORT_REFUSED || j == NULL)
        return j;
    const gh_ctx *c = &r->ctx;
    bool named = c->err_field != NULL && gh_err_http_status(err) < 500;
    json_object_set_new(j, "field", named ? json_string(c->err_field) : json_null());
    json_object_set_new(j, "code",
                        named ? json_string(gh_error_code(r->a, c->err_field, c->err_reason))
                              : json_null());
    json_object_set_new(j, "message",
                        json_string(c->err_detail && gh_err_http_status(err) < 500
                                        ? c->err_detail
                                        : gh_err_str(err)));
    return j;
}

/* One record of the body: its cells by column, then one transaction through core. */
static gh_import_outcome import_one(gh_req *r, const gh_csv_record *rec, const int *map,
                                    size_t ncols, json_t *rows)
{
    const char *cells[GH_COL_COUNT] = {NULL};
    gh_import_outcome o = GH_IMPORT_REFUSED;
    gh_err err = GH_EINVAL;
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
    for (size_t i = 0; i < rec->n && i < ncols; i++)
        cells[map[i]] = gh_csv_value(rec->fields[i]);
    if (rec->n != ncols)
        gh_fail(&r->ctx, GH_EINVAL, "row", "invalid",
                gh_arena_printf(r->a, "%zu fields where the header has %zu", rec->n, ncols));
    else if ((err = gh_core_user_import(&r->ctx, cells, &o)) != GH_OK)
        o = GH_IMPORT_REFUSED;
    json_array_append_new(rows, import_result(r, rec->line, cells[GH_COL_USERNAME], o, err));
    return o;
}

gh_err gh_h_users_import(gh_req *r)
{
    gh_err err = GH_OK;
    const char *dry = gh_query(r, "dry_run");
    if (err == GH_OK && dry != NULL && strcmp(dry, "1") != 0 && strcmp(dry, "0") != 0)
        err = gh_fail(&r->ctx, GH_EINVAL, "dry_run", "invalid", "1 to check only, or 0");
    gh_csv_reader rd;
    gh_csv_reader_init(&rd, r->body, r->body_len);
    gh_csv_record head, rec;
    const char *why = NULL;
    if (err == GH_OK && gh_csv_read(&rd, r->a, &head, &why) != GH_CSV_RECORD)
        err = gh_fail(&r->ctx, GH_EINVAL, "header", "required", "the file has no header row");
    int *map = err == GH_OK ? gh_arena_alloc(r->a, (head.n + 1) * sizeof *map) : NULL;
    if (err == GH_OK)
        err = import_header(r, &head, map);
    if (err != GH_OK)
        return err;
    r->ctx.dry_run = dry != NULL && dry[0] == '1';
    size_t by[4] = {0};
    json_t *rows = json_array();
    gh_csv_result res;
    while ((res = gh_csv_read(&rd, r->a, &rec, &why)) != GH_CSV_END) {
        if (res == GH_CSV_RECORD) {
            by[import_one(r, &rec, map, head.n, rows)]++;
            continue;
        }
        r->ctx.err_field = "row";
        r->ctx.err_reason = "invalid";
        r->ctx.err_detail = why;
        by[GH_IMPORT_REFUSED]++;
        json_array_append_new(rows,
                              import_result(r, rd.line - 1, NULL, GH_IMPORT_REFUSED, GH_EINVAL));
    }
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
    r->out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "dry_run", r->ctx.dry_run, "created",
                       (json_int_t)by[0], "updated", (json_int_t)by[1], "unchanged",
                       (json_int_t)by[2], "refused", (json_int_t)by[3], "rows", rows);
    return GH_OK;
}
