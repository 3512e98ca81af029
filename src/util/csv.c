/* The CSV writer of util/csv.h. */
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
