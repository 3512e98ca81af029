/* The CSV writer and reader of util/csv.h. */
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

void gh_csv_buf_free(gh_csv_buf *b)
{
    free(b->p);
    *b = (gh_csv_buf){0};
}

static void reserve(gh_csv_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        abort(); /* as the arena does: no partial record is ever written */
    b->p = p;
    b->cap = cap;
}

void gh_csv_raw(gh_csv_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static bool needs_quotes(const char *s)
{
    return strpbrk(s, ",\"\r\n") != NULL;
}

void gh_csv_cell(gh_csv_buf *b, const char *s)
{
    if (s == NULL)
        s = "";
    if (b->row_open)
        gh_csv_raw(b, ",", 1);
    b->row_open = true;
    bool quote = needs_quotes(s);
    if (quote)
        gh_csv_raw(b, "\"", 1);
    if (s[0] != '\0' && strchr("=+-@\t\r'", s[0]) != NULL)
        gh_csv_raw(b, "'", 1);
    for (const char *p = s; *p != '\0';) {
        size_t run = strcspn(p, "\"");
        gh_csv_raw(b, p, run);
        p += run;
        if (*p == '"') {
            gh_csv_raw(b, "\"\"", 2);
            p++;
        }
    }
    if (quote)
        gh_csv_raw(b, "\"", 1);
}

void gh_csv_end_row(gh_csv_buf *b)
{
    gh_csv_raw(b, "\r\n", 2);
    b->row_open = false;
}

void gh_csv_list_item(gh_csv_buf *b, const char *item, bool first)
{
    if (!first)
        gh_csv_raw(b, ";", 1);
    if (item != NULL && strcmp(item, "*") == 0)
        gh_csv_raw(b, "\\", 1); /* "*" alone stands for "all" */
    for (const char *p = item ? item : ""; *p != '\0'; p++) {
        if (*p == ';' || *p == '\\')
            gh_csv_raw(b, "\\", 1);
        gh_csv_raw(b, p, 1);
    }
}

const char *gh_csv_text(gh_csv_buf *b)
{
    reserve(b, 0);
    b->p[b->len] = '\0';
    return b->p;
}

/* ---- reading ---- */

void gh_csv_reader_init(gh_csv_reader *r, const char *text, size_t len)
{
    r->p = text;
    r->end = text + len;
    r->line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
}

/* Past the end of the current line (for a bad record). */
static void skip_line(gh_csv_reader *r)
{
    while (r->p < r->end && *r->p != '\n')
        r->p++;
    if (r->p < r->end) {
        r->p++;
        r->line++;
    }
}

/* Whether p starts a line end; *len its length (CRLF 2, LF 1). A lone CR is data. */
static bool line_end(const gh_csv_reader *r, const char *p, size_t *len)
{
    if (p < r->end && *p == '\n') {
        *len = 1;
        return true;
    }
    if (p + 1 < r->end && p[0] == '\r' && p[1] == '\n') {
        *len = 2;
        return true;
    }
    return false;
}

/* One field from r->p into cell (emptied first); *ended true when a line end or the end of the
 * text followed it. NULL on success, else why the record is bad. */
static const char *read_field(gh_csv_reader *r, gh_csv_buf *cell, bool *ended)
{
    size_t le = 0;
    cell->len = 0;
    if (r->p < r->end && *r->p == '"') {
        r->p++;
        for (;;) {
            if (r->p >= r->end)
                return "a quoted field is never closed";
            char c = *r->p++;
            if (c == '\0')
                return "a NUL byte";
            if (c == '"' && r->p < r->end && *r->p == '"') {
                r->p++;
            } else if (c == '"') {
                break;
            }
            r->line += c == '\n';
            gh_csv_raw(cell, &c, 1);
        }
        if (r->p < r->end && *r->p != ',' && !line_end(r, r->p, &le))
            return "text after a closing quote";
    } else {
        while (r->p < r->end && *r->p != ',' && !line_end(r, r->p, &le)) {
            if (*r->p == '"')
                return "a quote inside a field that does not start with one";
            if (*r->p == '\0')
                return "a NUL byte";
            gh_csv_raw(cell, r->p++, 1);
        }
    }
    *ended = r->p >= r->end || line_end(r, r->p, &le);
    if (r->p < r->end)
        r->p += *ended ? le : 1;
    if (*ended && le > 0)
        r->line++;
    return NULL;
}

gh_csv_result gh_csv_read(gh_csv_reader *r, gh_arena *a, gh_csv_record *out, const char **why)
{
    size_t le = 0;
    while (line_end(r, r->p, &le)) { /* blank lines */
        r->p += le;
        r->line++;
    }
    if (r->p >= r->end)
        return GH_CSV_END;
    size_t cap = 32, n = 0;
    char **fields = gh_arena_alloc(a, cap * sizeof *fields);
    gh_csv_buf cell = {0};
    out->line = r->line;
    for (bool ended = false; !ended;) {
        const char *bad = read_field(r, &cell, &ended);
        if (bad != NULL) {
            gh_csv_buf_free(&cell);
            *why = bad;
            skip_line(r);
            return GH_CSV_BAD;
        }
        if (n == cap) {
            char **w = gh_arena_alloc(a, 2 * cap * sizeof *w);
            memcpy(w, fields, n * sizeof *fields);
            fields = w;
            cap *= 2;
        }
        fields[n++] = gh_arena_strndup(a, cell.p ? cell.p : "", cell.len);
    }
    gh_csv_buf_free(&cell);
    out->fields = fields;
    out->n = n;
    return GH_CSV_RECORD;
}

const char *gh_csv_value(const char *cell)
{
    return cell[0] == '\'' ? cell + 1 : cell;
}

void gh_csv_list(gh_arena *a, const char *cell, char ***items, size_t *n, bool *all)
{
    *all = strcmp(cell, "*") == 0;
    *n = 0;
    size_t cap = 1;
    for (const char *p = cell; *p; p++)
        cap += *p == ';';
    *items = gh_arena_alloc(a, cap * sizeof **items);
    if (*all || cell[0] == '\0')
        return;
    char *item = gh_arena_alloc(a, strlen(cell) + 1), *w = item;
    for (const char *p = cell;; p++) {
        if (*p == '\\' && p[1] != '\0') {
            *w++ = *++p;
            continue;
        }
        if (*p == ';' || *p == '\0') {
            *w++ = '\0';
            (*items)[(*n)++] = item;
            item = w;
            if (*p == '\0')
                return;
            continue;
        }
        *w++ = *p;
    }
}
