/* Strict input: the body parser (size, depth, duplicate keys), the per-route field checks
 * (types, lengths, unknown fields) and query parameters. */
#include <microhttpd.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "http/internal.h"
#include "http/limits.h"

static gh_err bad(gh_req *r, const char *field, const char *reason, const char *detail)
{
    return gh_fail(&r->ctx, GH_EINVAL, field, reason, detail);
}

/* Appends s to out (at *n, at most max bytes in all) as code characters: see gh_error_code;
 * dots separate segments when dots is set and become '_' otherwise. */
static void code_part(char *out, size_t *n, size_t max, const char *s, bool dots)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && *n < max; p++) {
        char c = (char)*p;
        bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + ('a' - 'A'));
            word = true;
        }
        char last = *n > 0 ? out[*n - 1] : '.';
        if (c == '.' && dots) {
            if (last != '.')
                out[(*n)++] = '.';
        } else if (word) {
            out[(*n)++] = c;
        } else if (last != '_') {
            out[(*n)++] = '_';
        }
    }
    if (dots && *n > 0 && out[*n - 1] == '.')
        (*n)--;
}

const char *gh_error_code(gh_arena *a, const char *field, const char *reason)
{
    char *out = gh_arena_alloc(a, 2 * GH_ERROR_CODE_FIELD_MAX + 2);
    size_t n = 0;
    code_part(out, &n, GH_ERROR_CODE_FIELD_MAX, field != NULL ? field : "", true);
    if (n == 0) {
        memcpy(out, "field", 5);
        n = 5;
    }
    out[n++] = '.';
    size_t at = n;
    code_part(out, &n, n + GH_ERROR_CODE_FIELD_MAX, reason != NULL ? reason : "", false);
    if (n == at) {
        memcpy(out + n, "invalid", 7);
        n += 7;
    }
    out[n] = '\0';
    return out;
}

/* Deepest nesting of [ and { outside strings. */
static int json_depth(const char *s, size_t n)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

gh_err gh_json_parse_body(gh_req *r, json_t **out)
{
    if (r->body_too_large)
        return gh_fail(&r->ctx, GH_ETOOLARGE, NULL, NULL, "the request body is larger than 64 KiB");
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    /* SCIM clients send their own media type (RFC 7644 3.1); they may send ours too */
    size_t n = r->scim && ct != NULL && strncasecmp(ct, "application/scim+json", 21) == 0 ? 21 : 16;
    if (ct == NULL || (n == 16 && strncasecmp(ct, "application/json", 16) != 0) ||
        (ct[n] != '\0' && ct[n] != ';'))
        return gh_fail(&r->ctx, GH_EMEDIA, NULL, NULL, "send the body as application/json");
    if (r->body_len == 0)
        return bad(r, NULL, NULL, "the request body is empty");
    if (json_depth(r->body, r->body_len) > GH_MAX_JSON_DEPTH)
        return bad(r, NULL, NULL, "the JSON is nested too deeply");
    json_error_t e;
    /* NUL is accepted here so that the field check can name the field that holds it */
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
    if (j == NULL) {
        /* jansson's text ends with " near '<token>'", which may quote a password: cut it */
        char *text = gh_arena_strdup(r->a, e.text), *near = strstr(text, " near ");
        if (near != NULL)
            *near = '\0';
        return bad(r, NULL, NULL,
                   gh_arena_printf(r->a, "malformed JSON at line %d, column %d: %s", e.line,
                                   e.column, text));
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return bad(r, NULL, NULL, "the body must be a JSON object");
    }
    *out = j;
    return GH_OK;
}

static bool is_id(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) > 0;
}

static gh_err check_ids(gh_req *r, const json_t *v, const gh_field *f, const char *name)
{
    size_t i;
    json_t *item;
    if (json_array_size(v) > f->max)
        return bad(r, name, "too_many", gh_arena_printf(r->a, "at most %u items", f->max));
    json_array_foreach(v, i, item)
    {
        if (!is_id(item))
            return bad(r, name, "wrong_type", "must be an array of positive integer ids");
        for (size_t j = 0; j < i; j++)
            if (json_integer_value(json_array_get(v, j)) == json_integer_value(item))
                return bad(r, name, "duplicate", "lists an id twice");
    }
    return GH_OK;
}

static gh_err check_string(gh_req *r, const json_t *v, const gh_field *f, const char *name)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return bad(r, name, "nul_character", "must not contain NUL characters");
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (chars > f->max)
        return bad(r, name, "too_long", gh_arena_printf(r->a, "at most %u characters", f->max));
    return GH_OK;
}

static gh_err check_value(gh_req *r, json_t *v, const gh_field *f, const char *name)
{
    switch (f->type) {
    case GH_T_STRING_NULL:
        if (json_is_null(v))
            return GH_OK;
        /* fall through */
    case GH_T_STRING:
        return json_is_string(v) ? check_string(r, v, f, name)
                                 : bad(r, name, "wrong_type", "must be a string");
    case GH_T_BOOL:
        return json_is_boolean(v) ? GH_OK : bad(r, name, "wrong_type", "must be true or false");
    case GH_T_ID_NULL:
        return json_is_null(v) || is_id(v)
                   ? GH_OK
                   : bad(r, name, "wrong_type", "must be a positive id or null");
    case GH_T_COUNT:
        return json_is_integer(v) && json_integer_value(v) >= 1 &&
                       json_integer_value(v) <= (json_int_t)f->max
                   ? GH_OK
                   : bad(r, name, "out_of_range",
                         gh_arena_printf(r->a, "must be a whole number from 1 to %u", f->max));
    case GH_T_NUMBER:
        return json_is_integer(v) && json_integer_value(v) >= 0 &&
                       json_integer_value(v) <= (json_int_t)f->max
                   ? GH_OK
                   : bad(r, name, "out_of_range",
                         gh_arena_printf(r->a, "must be a whole number from 0 to %u", f->max));
    case GH_T_IDS_OR_ALL:
        if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0)
            return GH_OK;
        if (!json_is_array(v))
            return bad(r, name, "wrong_type", "must be an array of ids or \"all\"");
        return check_ids(r, v, f, name);
    case GH_T_IDS:
        return json_is_array(v) ? check_ids(r, v, f, name)
                                : bad(r, name, "wrong_type", "must be an array of ids");
    case GH_T_STRINGS: {
        size_t i;
        json_t *item;
        if (!json_is_array(v) || json_array_size(v) > f->max)
            return bad(r, name, "wrong_type", "must be an array of strings");
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item) || json_string_length(item) > GH_MAX_NAME)
                return bad(r, name, "wrong_type", "must be an array of short strings");
            /* C code reads each item up to its first NUL: "users.read\u0000x" is not a name */
            if (strlen(json_string_value(item)) != json_string_length(item))
                return bad(r, name, "nul_character", "must not contain NUL characters");
        }
        return GH_OK;
    }
    case GH_T_OBJECT:
        return json_is_object(v) ? gh_json_check(r, v, f->sub, name)
                                 : bad(r, name, "wrong_type", "must be an object");
    }
    return bad(r, name, "wrong_type", "unexpected value");
}

gh_err gh_json_check(gh_req *r, json_t *obj, const gh_field *fields, const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const gh_field *f = fields;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        const char *name =
            prefix ? gh_arena_printf(r->a, "%s.%s", prefix, key) : gh_arena_strdup(r->a, key);
        if (f->name == NULL)
            return bad(r, name, "unknown", "unknown or read-only field");
        gh_err err = check_value(r, v, f, name);
        if (err != GH_OK)
            return err;
    }
    for (const gh_field *f = fields; f->name != NULL; f++)
        if (f->required && json_object_get(obj, f->name) == NULL)
            return bad(r, prefix ? gh_arena_printf(r->a, "%s.%s", prefix, f->name) : f->name,
                       "required", "is required");
    return GH_OK;
}

void gh_json_ids_in(gh_arena *a, const json_t *arr, gh_ids *out)
{
    out->n = json_array_size(arr);
    out->v = gh_arena_alloc(a, (out->n + 1) * sizeof *out->v);
    for (size_t i = 0; i < out->n; i++)
        out->v[i] = json_integer_value(json_array_get(arr, i));
}

const char *gh_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *gh_query(gh_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_scan {
    const char *const *allowed;
    const char *unknown;
    int count;
    size_t bytes;
} query_scan;

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    query_scan *qs = cls;
    qs->count++;
    qs->bytes += strlen(key) + (value ? strlen(value) : 0) + 2;
    if (qs->allowed == NULL)
        return MHD_YES;
    for (const char *const *a = qs->allowed; *a != NULL; a++)
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    if (qs->unknown == NULL)
        qs->unknown = key;
    return MHD_YES;
}

gh_err gh_query_limits(gh_req *r)
{
    query_scan qs = {NULL, NULL, 0, 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &qs);
    if (strlen(r->path) + qs.bytes > GH_MAX_URL_BYTES)
        return bad(r, NULL, NULL, "the URL is longer than 2048 bytes");
    if (qs.count > GH_MAX_QUERY_PARAMS)
        return bad(r, NULL, NULL, "too many query parameters");
    return GH_OK;
}

gh_err gh_query_only(gh_req *r, const char *const *allowed)
{
    query_scan qs = {allowed, NULL, 0, 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &qs);
    if (qs.count > GH_MAX_QUERY_PARAMS)
        return bad(r, NULL, NULL, "too many query parameters");
    if (qs.unknown != NULL)
        return bad(r, gh_arena_strdup(r->a, qs.unknown), "unknown", "unknown query parameter");
    return GH_OK;
}

gh_err gh_query_route(gh_req *r, const gh_route *route)
{
    if (route->query_open)
        return GH_OK;
    size_t n = 0;
    for (const gh_qparam *q = route->query; q != NULL && q->name != NULL; q++)
        n++;
    const char **names = gh_arena_alloc(r->a, (n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = route->query[i].name;
    names[n] = NULL;
    return gh_query_only(r, names);
}

static bool parse_pos_int(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18 || s[0] == '0')
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

gh_err gh_query_id(gh_req *r, const char *name, int64_t *out)
{
    const char *s = gh_query(r, name);
    *out = 0;
    if (s == NULL)
        return GH_OK;
    return parse_pos_int(s, out) ? GH_OK : bad(r, name, "invalid", "must be a positive integer id");
}

gh_err gh_query_limit(gh_req *r, int *out)
{
    const char *s = gh_query(r, "limit");
    int64_t v = GH_PAGE_DEFAULT;
    if (s != NULL && (!parse_pos_int(s, &v) || v > GH_PAGE_MAX))
        return bad(r, "limit", "out_of_range", "must be an integer from 1 to 200");
    *out = (int)v;
    return GH_OK;
}

gh_err gh_query_provider(gh_req *r, int64_t *out)
{
    const char *p = gh_query(r, "provider_id");
    *out = 0;
    if (p != NULL && strcmp(p, "platform") == 0) {
        *out = -1;
        return GH_OK;
    }
    return gh_query_id(r, "provider_id", out);
}

gh_err gh_query_page(gh_req *r, int *limit, int64_t *after)
{
    gh_err err = gh_query_limit(r, limit);
    if (err == GH_OK)
        err = gh_query_id(r, "cursor", after);
    return err;
}

json_t *gh_id_page(json_t *items, bool more, int64_t last_id)
{
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)last_id);
    return json_pack("{s:o, s:o}", "items", items, "next_cursor",
                     more ? json_string(next) : json_null());
}

gh_err gh_if_match(gh_req *r, int64_t *version)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-Match");
    *version = 0;
    if (h == NULL || strcmp(h, "*") == 0)
        return GH_OK;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t n = strlen(h);
    char digits[24];
    if (n < 3 || n > 20 || h[0] != '"' || h[n - 1] != '"')
        return gh_fail(&r->ctx, GH_EPRECOND, "If-Match", "invalid", "not an ETag this server sent");
    memcpy(digits, h + 1, n - 2);
    digits[n - 2] = '\0';
    if (!parse_pos_int(digits, version))
        return gh_fail(&r->ctx, GH_EPRECOND, "If-Match", "invalid", "not an ETag this server sent");
    return GH_OK;
}
