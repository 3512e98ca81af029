/* CSV as RFC 4180 writes it (CRLF after each record, a field with a comma, quote, CR or LF in
 * double quotes, quotes doubled), with two conventions of Gatehouse's exports on top:
 *   - formula injection: a cell starting with = + - @ TAB or CR would run as a formula in a
 *     spreadsheet, so it is written with an apostrophe in front; a cell that starts with an
 *     apostrophe gets one more, so that a reader removes exactly one leading apostrophe from any
 *     cell that has one and gets the value back;
 *   - lists inside one cell (roles, groups, tenants by name) are joined with ';', each item's
 *     backslashes and semicolons escaped with a backslash; an item that is just "*" is written
 *     "\*", since "*" alone stands for "all" (access to every account or sub-account).
 * The buffer grows with malloc; a failed allocation aborts like the arena does. Not thread-safe
 * per buffer; separate buffers are independent. */
#ifndef GH_UTIL_CSV_H
#define GH_UTIL_CSV_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
