/* Structured logging; see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
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

static _Atomic gh_log_format format = GH_LOG_JSON;
static __thread const char *thread_request;

void gh_log_set_format(gh_log_format f)
{
    format = f;
}

gh_log_format gh_log_get_format(void)
{
    return format;
}

bool gh_log_parse_format(const char *s, gh_log_format *out)
{
    if (s != NULL && strcmp(s, "json") == 0)
        *out = GH_LOG_JSON;
    else if (s != NULL && strcmp(s, "text") == 0)
        *out = GH_LOG_TEXT;
    else
        return false;
    return true;
}

void gh_log_request(const char *request_id)
{
    thread_request = request_id;
}

/* Whether a text value must be quoted: empty, or holding a blank, a quote, '=', a backslash or
 * a control character. */
static bool needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return true;
    return false;
}

/* Appends s as a text value: as it is, or quoted with \" \\ \n \r \t and \xNN escapes. */
static void text_value(char *buf, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    s = s != NULL ? s : "";
    if (!needs_quotes(s)) {
        put(buf, cap, len, s, strlen(s));
        return;
    }
    put(buf, cap, len, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[4] = {'\\', (char)*p, 0, 0};
        size_t n = 2;
        if (*p == '\n' || *p == '\r' || *p == '\t')
            esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
        else if (*p < 0x20 || *p == 0x7f)
            esc[1] = 'x', esc[2] = hex[*p >> 4], esc[3] = hex[*p & 15], n = 4;
        else if (*p != '"' && *p != '\\')
            esc[0] = (char)*p, n = 1;
        put(buf, cap, len, esc, n);
    }
    put(buf, cap, len, "\"", 1);
}

typedef struct record {
    const char *level, *event, *request_id;
    const char *kv[64]; /* key, value, key, value... */
    int n;
} record;

static void json_record(const record *r, const struct timespec *now, char *line, size_t cap,
                        size_t *len)
{
    char ts[64];
    struct tm tm;
    gmtime_r(&now->tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now->tv_nsec / 1000000);
    put(line, cap, len, "{\"time\":", 8);
    gh_json_escape(line, cap, len, ts);
    put(line, cap, len, ",\"level\":", 9);
    gh_json_escape(line, cap, len, r->level);
    put(line, cap, len, ",\"event\":", 9);
    gh_json_escape(line, cap, len, r->event);
    if (r->request_id != NULL) {
        put(line, cap, len, ",\"request_id\":", 14);
        gh_json_escape(line, cap, len, r->request_id);
    }
    for (int i = 0; i + 1 < r->n; i += 2) {
        put(line, cap, len, ",", 1);
        gh_json_escape(line, cap, len, r->kv[i]);
        put(line, cap, len, ":", 1);
        gh_json_escape(line, cap, len, r->kv[i + 1]);
    }
}

static void text_record(const record *r, const struct timespec *now, char *line, size_t cap,
                        size_t *len)
{
    char ts[16];
    struct tm tm;
    localtime_r(&now->tv_sec, &tm);
    snprintf(ts, sizeof ts, "%02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
    put(line, cap, len, ts, strlen(ts));
    text_value(line, cap, len, r->level);
    put(line, cap, len, " ", 1);
    text_value(line, cap, len, r->event);
    if (r->request_id != NULL) {
        put(line, cap, len, " request_id=", 12);
        text_value(line, cap, len, r->request_id);
    }
    for (int i = 0; i + 1 < r->n; i += 2) {
        put(line, cap, len, " ", 1);
        text_value(line, cap, len, r->kv[i]);
        put(line, cap, len, "=", 1);
        text_value(line, cap, len, r->kv[i + 1]);
    }
}

void gh_log(const char *level, const char *event, ...)
{
    record r = {.level = level, .event = event, .request_id = thread_request};
    va_list ap;
    va_start(ap, event);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        if (strcmp(k, "request_id") == 0)
            r.request_id = v; /* always right after the event */
        else if (r.n + 2 <= (int)(sizeof r.kv / sizeof *r.kv)) {
            r.kv[r.n++] = k;
            r.kv[r.n++] = v;
        }
    }
    va_end(ap);
    char line[LINE_MAX_BYTES];
    size_t len = 0, cap = sizeof line - 2; /* room for the closing brace and the newline */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (format == GH_LOG_TEXT)
        text_record(&r, &now, line, cap, &len);
    else
        json_record(&r, &now, line, cap, &len);
    if (format != GH_LOG_TEXT)
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
