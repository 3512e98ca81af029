/* The configuration file of the gatehouse command (/etc/gatehouse/gatehouse.conf): `name = value`
 * lines, whole-line # comments and blank lines. Which names exist and what their values mean is
 * the command's option table (cli/main.c); this file only splits lines. */
#ifndef GH_CLI_CONFFILE_H
#define GH_CLI_CONFFILE_H

#include <stddef.h>

typedef struct gh_conf_entry {
    const char *name, *value; /* trimmed, NUL-terminated, owned by the gh_conf_file */
    int line;                 /* 1-based line of the file */
} gh_conf_entry;

typedef struct gh_conf_file {
    char *text; /* the whole file, cut into the entries' strings */
    gh_conf_entry *v;
    size_t n;
} gh_conf_file;

/* Reads and splits path into *out (the caller frees it with gh_conffile_free, or keeps it for
 * as long as the values are used). -1 when the file cannot be read or a line is not `name =
 * value`: why (at most cap bytes) then says which file and line, never the line's text, which
 * may hold something secret. Not thread-safe with respect to out; reentrant otherwise. */
int gh_conffile_read(const char *path, gh_conf_file *out, char *why, size_t cap);
void gh_conffile_free(gh_conf_file *f);

#endif
