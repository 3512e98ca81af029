/* The response body's JSON text: what json_dumps(v, JSON_COMPACT) writes, faster. Profiles of
 * the read path (BENCHMARKS.md, issue 13) put jansson's encoder at 10-18 % of a GET's server
 * time: it validates and copies every string one character at a time through a callback. This
 * writer copies runs of plain bytes at once, checks UTF-8 with the same rules (a string that is
 * not UTF-8 fails, as jansson's encoder does, so that respond() fails closed) and escapes what
 * jansson escapes: '"', '\\' and the control characters below U+0020. Objects keep jansson's
 * order (insertion order). A real number, which no response carries today, is left to jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "util/utf8.h"

typedef struct out {
    char *s;
    size_t len, cap;
    bool failed;
} out;

static void put(out *o, const char *p, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap != 0 ? o->cap : 1024;
        while (o->len + n + 1 > cap)
            cap *= 2;
        char *s = realloc(o->s, cap);
        if (s == NULL) {
            o->failed = true;
            return;
        }
        o->s = s;
        o->cap = cap;
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
}

static void put_string(out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* as jansson */
    put(o, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    while (p < end && !o->failed) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0x80) { /* a whole, valid character (a NUL inside the string ends it here) */
            size_t k = gh_utf8_seq(p);
            if (k == 0 || p + k > end) {
                o->failed = true;
                return;
            }
            p += k;
            continue;
        }
        put(o, (const char *)run, (size_t)(p - run));
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t k = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        put(o, esc, k);
        run = ++p;
    }
    put(o, (const char *)run, (size_t)(p - run));
    put(o, "\"", 1);
}

static void put_value(out *o, json_t *v, int depth);

static void put_object(out *o, json_t *v, int depth)
{
    put(o, "{", 1);
    bool first = true;
    for (void *it = json_object_iter(v); it != NULL && !o->failed;
         it = json_object_iter_next(v, it)) {
        if (!first)
            put(o, ",", 1);
        first = false;
        const char *key = json_object_iter_key(it);
        put_string(o, key, strlen(key));
        put(o, ":", 1);
        put_value(o, json_object_iter_value(it), depth + 1);
    }
    put(o, "}", 1);
}

static void put_value(out *o, json_t *v, int depth)
{
    char num[32];
    if (depth > 64) { /* jansson's limit is deeper; ours builds nothing this deep */
        o->failed = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_object(o, v, depth);
        break;
    case JSON_ARRAY:
        put(o, "[", 1);
        for (size_t i = 0; i < json_array_size(v) && !o->failed; i++) {
            if (i > 0)
                put(o, ",", 1);
            put_value(o, json_array_get(v, i), depth + 1);
        }
        put(o, "]", 1);
        break;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put(o, num,
            (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        break;
    case JSON_TRUE:
        put(o, "true", 4);
        break;
    case JSON_FALSE:
        put(o, "false", 5);
        break;
    case JSON_NULL:
        put(o, "null", 4);
        break;
    default: /* JSON_REAL: jansson's own format */
        o->failed = true;
        break;
    }
}

static bool has_real(json_t *v)
{
    if (json_is_real(v))
        return true;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_real(json_array_get(v, i)))
                return true;
    } else if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
            if (has_real(json_object_iter_value(it)))
                return true;
    }
    return false;
}

char *gh_json_dump(json_t *v, size_t *len)
{
    if (v == NULL)
        return NULL;
    if (!json_is_object(v) && !json_is_array(v))
        return NULL; /* as json_dumps without JSON_ENCODE_ANY */
    out o = {0};
    put_value(&o, v, 0);
    if (o.failed && has_real(v)) { /* not a failure of the text: jansson's turn */
        free(o.s);
        char *s = json_dumps(v, JSON_COMPACT);
        if (s != NULL)
            *len = strlen(s);
        return s;
    }
    if (o.failed) {
        free(o.s);
        return NULL;
    }
    put(&o, "", 0);
    if (o.failed) {
        free(o.s);
        return NULL;
    }
    o.s[o.len] = '\0';
    *len = o.len;
    return o.s;
}
