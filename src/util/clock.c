/* See clock.h. */
#include "util/clock.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t offset;
static const char *offset_file;

void gh_clock_use_file(const char *path)
{
    offset_file = path;
}

static int64_t file_offset(void)
{
    FILE *f = offset_file != NULL ? fopen(offset_file, "r") : NULL;
    long long v = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lld", &v) != 1)
        v = 0;
    fclose(f);
    return (int64_t)v;
}

int64_t gh_clock_now(void)
{
    return (int64_t)time(NULL) + atomic_load(&offset) + file_offset();
}

void gh_clock_set_offset(int64_t seconds)
{
    atomic_store(&offset, seconds);
}

void gh_clock_format(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether s starts with the shape of tmpl: 'd' is a digit, anything else stands for itself.
 * strptime() alone accepts one-digit fields and leading blanks. */
static bool shaped(const char *s, const char *tmpl)
{
    for (; *tmpl; s++, tmpl++)
        if (*tmpl == 'd' ? !isdigit((unsigned char)*s) : *s != *tmpl)
            return false;
    return true;
}

int gh_clock_parse(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!shaped(s, "dddd-dd-ddTdd:dd:dd"))
        return -1;
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return -1;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && shaped(p + 1, "dd:dd")) {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
            return -1;
        off = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *out = (int64_t)timegm(&tm) - off;
    return 0;
}
