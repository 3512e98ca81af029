/* Structured logging; see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len >= cap)
        return;
    if (n > cap - *len)
        n = cap - *len;
    memcpy(buf + *len, s, n);
    *len += n;
}

void gh_json_escape(char *buf, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(buf, cap, len, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[7];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(buf, cap, len, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            put(buf, cap, len, esc, 6);
        } else {
            put(buf, cap, len, (const char *)p, 1);
        }
    }
    put(buf, cap, len, "\"", 1);
}

void gh_log(const char *level, const char *event, ...)
{
    char line[LINE_MAX_BYTES];
    size_t len = 0, cap = sizeof line - 2;
    char ts[64];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
    put(line, cap, &len, "{\"time\":", 8);
    gh_json_escape(line, cap, &len, ts);
    put(line, cap, &len, ",\"level\":", 9);
    gh_json_escape(line, cap, &len, level);
    put(line, cap, &len, ",\"event\":", 9);
    gh_json_escape(line, cap, &len, event);
    va_list ap;
    va_start(ap, event);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        put(line, cap, &len, ",", 1);
        gh_json_escape(line, cap, &len, k);
        put(line, cap, &len, ":", 1);
        gh_json_escape(line, cap, &len, v);
    }
    va_end(ap);
    line[len++] = '}';
    line[len++] = '\n';
    ssize_t off = 0;
    while (off < (ssize_t)len) {
        ssize_t w = write(STDERR_FILENO, line + off, len - (size_t)off);
        if (w <= 0)
            break;
        off += w;
    }
}
