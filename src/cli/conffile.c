/* The configuration file's syntax (cli/conffile.h): one setting a line, `name = value`. */
#include "cli/conffile.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX_BYTES (1 << 20) /* a configuration file is small; anything larger is a mistake */

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* The whole of path, NUL-terminated (malloc'd), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(CONF_MAX_BYTES + 1);
    size_t n = buf != NULL ? fread(buf, 1, CONF_MAX_BYTES + 1, f) : 0;
    /* a NUL byte would hide the rest of its line */
    bool bad = buf == NULL || ferror(f) || n > CONF_MAX_BYTES || memchr(buf, 0, n) != NULL;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* One line (NUL-terminated in place) into e; false when it is neither blank, a comment nor
 * `name = value` with a name of [a-z0-9-] and a value. A blank or comment line gives a NULL
 * name. */
static bool split_line(char *line, gh_conf_entry *e)
{
    char *end = line + strlen(line);
    char *s = trim(line, end);
    e->name = NULL;
    if (*s == '\0' || *s == '#')
        return true;
    char *eq = strchr(s, '=');
    if (eq == NULL)
        return false;
    char *value = trim(eq + 1, s + strlen(s));
    char *name = trim(s, eq);
    if (*name == '\0' || *value == '\0' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name))
        return false;
    e->name = name;
    e->value = value;
    return true;
}

int gh_conffile_read(const char *path, gh_conf_file *out, char *why, size_t cap)
{
    char *text = slurp(path);
    if (text == NULL) {
        snprintf(why, cap, "%s: cannot be read (or is over 1 MiB, or holds a NUL byte)", path);
        return -1;
    }
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    gh_conf_entry *v = calloc(lines, sizeof *v);
    size_t n = 0;
    int line = 0;
    for (char *p = text, *next = NULL; v != NULL && p != NULL; p = next) {
        line++;
        char *nl = strchr(p, '\n');
        next = nl != NULL ? nl + 1 : NULL;
        if (nl != NULL)
            *nl = '\0';
        gh_conf_entry e = {.line = line};
        if (!split_line(p, &e)) {
            snprintf(why, cap, "%s:%d: not a `name = value` line", path, line);
            free(v);
            free(text);
            return -1;
        }
        if (e.name != NULL)
            v[n++] = e;
    }
    if (v == NULL) {
        snprintf(why, cap, "%s: out of memory", path);
        free(text);
        return -1;
    }
    *out = (gh_conf_file){.text = text, .v = v, .n = n};
    return 0;
}

void gh_conffile_free(gh_conf_file *f)
{
    if (f == NULL)
        return;
    free(f->v);
    free(f->text);
    *f = (gh_conf_file){0};
}
