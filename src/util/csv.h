/* CSV as RFC 4180 writes and reads it (CRLF after each record, a field with a comma, quote, CR or
 * LF in double quotes, quotes doubled), with two conventions of Gatehouse's exports on top:
 *   - formula injection: a cell starting with = + - @ TAB or CR would run as a formula in a
 *     spreadsheet, so it is written with an apostrophe in front; a cell that starts with an
 *     apostrophe gets one more, so that a reader removes exactly one leading apostrophe from any
 *     cell that has one and gets the value back;
 *   - lists inside one cell (roles, groups, tenants by name) are joined with ';', each item's
 *     backslashes and semicolons escaped with a backslash; an item that is just "*" is written
 *     "\*", since "*" alone stands for "all" (access to every account or sub-account).
 * The buffer grows with malloc; a failed allocation aborts like the arena does. The reader takes
 * what writers other than ours write too: LF as well as CRLF line ends, a byte-order mark at the
 * start, a last record without a line end. Not thread-safe per buffer or reader; separate ones
 * are independent. */
#ifndef GH_UTIL_CSV_H
#define GH_UTIL_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

typedef struct gh_csv_buf {
    char *p;
    size_t len, cap;
    bool row_open; /* a field was written since the last end of record */
} gh_csv_buf;

/* Frees the buffer's memory and empties it; a zeroed buffer needs no init. */
void gh_csv_buf_free(gh_csv_buf *b);
/* Appends n raw bytes (the byte-order mark, a header already encoded). */
void gh_csv_raw(gh_csv_buf *b, const char *s, size_t n);
/* Appends one field (NULL: empty), neutralised and quoted as above, with the comma before it
 * when the record has one already. */
void gh_csv_cell(gh_csv_buf *b, const char *s);
/* Ends the record with CRLF. */
void gh_csv_end_row(gh_csv_buf *b);
/* Appends one list item to a cell's text being built in b (escaped as above, ';' before every
 * item but the first: first says which it is). Build the cell's text in a scratch buffer, then
 * pass it NUL-terminated to gh_csv_cell. */
void gh_csv_list_item(gh_csv_buf *b, const char *item, bool first);
/* Makes b's text NUL-terminated (for a scratch buffer passed to gh_csv_cell) and returns it. */
const char *gh_csv_text(gh_csv_buf *b);

/* ---- reading ---- */

typedef struct gh_csv_reader {
    const char *p, *end;
    size_t line; /* the line the next record starts on, from 1 */
} gh_csv_reader;

/* Reads text[0..len) (which the reader does not copy: it must outlive it), after a UTF-8
 * byte-order mark when there is one. */
void gh_csv_reader_init(gh_csv_reader *r, const char *text, size_t len);

typedef enum { GH_CSV_RECORD, GH_CSV_END, GH_CSV_BAD } gh_csv_result;
typedef struct gh_csv_record {
    char **fields; /* n fields, NUL-terminated, in the arena; as written (apostrophes kept) */
    size_t n;
    size_t line; /* where the record starts */
} gh_csv_record;

/* The next record into *out. Blank lines are skipped. GH_CSV_BAD (with *why a constant
 * sentence) for a record that breaks RFC 4180: a quote inside an unquoted field, text after a
 * closing quote, a quoted field never closed, a NUL byte; reading goes on at the next line after
 * it (the rest of the file is read, not guessed). GH_CSV_END after the last record. */
gh_csv_result gh_csv_read(gh_csv_reader *r, gh_arena *a, gh_csv_record *out, const char **why);

/* A cell as it was before gh_csv_cell: without its first apostrophe when it starts with one. */
const char *gh_csv_value(const char *cell);

/* The items of a list cell (gh_csv_list_item) into *items (*n of them, in a), unescaped; *all
 * true when the cell is "*" alone. An empty cell has no items. */
void gh_csv_list(gh_arena *a, const char *cell, char ***items, size_t *n, bool *all);

#endif
