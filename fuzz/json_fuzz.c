/* libFuzzer target: request bodies into the strict JSON parser (gh_json_parse_body: size, depth,
 * duplicate keys, an object at the top) and every accepted object into gh_json_check against the
 * field table of every route that takes a body (SECURITY.md I2, I7).
 *
 * Besides crashes, leaks and sanitizer reports, it checks what a client would see:
 *  - malformed input is a 400 (GH_EINVAL), never anything else, and every 400 carries a reason
 *    and (when it names one) a field that both fit in the problem+json answer (valid UTF-8),
 *    and a field error a well-formed errors[].code (gh_error_code);
 *  - an accepted body really is within the limits: nesting at most GH_MAX_JSON_DEPTH, no field
 *    the table does not list, every required field present, and each value as its gh_field says
 *    (type, no NUL, length in characters, distinct positive ids, array sizes), restated here
 *    independently of json.c.
 * The input is the body as the server hands it over: at most GH_MAX_BODY_BYTES, no terminator. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mhd.h"
#include "http/internal.h"
#include "http/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "json_fuzz: check failed at line %d: %s\n", __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Deepest nesting of objects and arrays in the parsed tree (1 for a flat object). */
static int tree_depth(json_t *v)
{
    int max = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item)
        {
            int d = tree_depth(item);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            int d = tree_depth(item);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}

/* What problem() in server.c builds from a failure: both texts must survive json_string(). */
static void check_problem(gh_req *r, gh_err err)
{
    CHECK(err == GH_EINVAL);
    CHECK(r->ctx.err_detail != NULL && r->ctx.err_detail[0] != '\0');
    json_t *p = json_pack("{s:s, s:s?}", "detail", r->ctx.err_detail, "field", r->ctx.err_field);
    CHECK(p != NULL);
    json_decref(p);
    if (r->ctx.err_field == NULL)
        return;
    /* a field error says how (its code's reason), and its code is well-formed */
    CHECK(r->ctx.err_reason != NULL);
    const char *code = gh_error_code(r->a, r->ctx.err_field, r->ctx.err_reason);
    size_t n = strlen(code);
    CHECK(n > 2 && code[0] != '.' && code[n - 1] != '.' && strstr(code, "..") == NULL &&
          strchr(code, '.') != NULL);
    CHECK(strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n);
}

static bool is_id(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) > 0;
}

/* A string without NUL of at most max characters (UTF-8 sequences count once). */
static bool short_string(json_t *v, size_t max)
{
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return false;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return chars <= max;
}

static bool distinct_ids(gh_arena *a, json_t *v, size_t max)
{
    if (!json_is_array(v) || json_array_size(v) > max)
        return false;
    gh_ids ids;
    gh_json_ids_in(a, v, &ids); /* what the handlers do next */
    for (size_t i = 0; i < ids.n; i++) {
        if (!is_id(json_array_get(v, i)))
            return false;
        for (size_t j = 0; j < i; j++)
            if (ids.v[i] == ids.v[j])
                return false;
    }
    return true;
}

static void check_accepted(gh_arena *a, json_t *obj, const gh_field *fields);

/* The field table's promise for one accepted value, restated independently of json.c. */
static bool conforms(gh_arena *a, json_t *v, const gh_field *f)
{
    size_t i;
    json_t *item;
    switch (f->type) {
    case GH_T_STRING_NULL:
        return json_is_null(v) || short_string(v, f->max);
    case GH_T_STRING:
        return short_string(v, f->max);
    case GH_T_BOOL:
        return json_is_boolean(v);
    case GH_T_ID_NULL:
        return json_is_null(v) || is_id(v);
    case GH_T_IDS_OR_ALL:
        return (json_is_string(v) && strcmp(json_string_value(v), "all") == 0) ||
               distinct_ids(a, v, f->max);
    case GH_T_IDS:
        return distinct_ids(a, v, f->max);
    case GH_T_STRINGS:
        if (!json_is_array(v) || json_array_size(v) > f->max)
            return false;
        json_array_foreach(v, i, item) if (!short_string(item, GH_MAX_NAME)) return false;
        return true;
    case GH_T_OBJECT:
        if (!json_is_object(v))
            return false;
        check_accepted(a, v, f->sub);
        return true;
    case GH_T_COUNT:
        return json_is_integer(v) && json_integer_value(v) >= 1 &&
               json_integer_value(v) <= (json_int_t)f->max;
    case GH_T_NUMBER:
        return json_is_integer(v) && json_integer_value(v) >= 0 &&
               json_integer_value(v) <= (json_int_t)f->max;
    }
    return false;
}

/* An accepted object holds only listed fields, each as its table says, and every required one. */
static void check_accepted(gh_arena *a, json_t *obj, const gh_field *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const gh_field *f = fields;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        CHECK(f->name != NULL);
        if (!conforms(a, v, f)) {
            fprintf(stderr, "json_fuzz: field %s accepted but not as its table says\n", key);
            abort();
        }
    }
    for (const gh_field *f = fields; f->name != NULL; f++)
        if (f->required)
            CHECK(json_object_get(obj, f->name) != NULL);
}

/* Each route's field table once (several routes share one). */
static void check_routes(gh_req *r, json_t *obj)
{
    for (const gh_route *rt = gh_routes; rt->method != NULL; rt++) {
        if (rt->body == NULL)
            continue;
        bool seen = false;
        for (const gh_route *q = gh_routes; q < rt && !seen; q++)
            seen = q->body == rt->body;
        if (seen)
            continue;
        r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
        gh_err err = gh_json_check(r, obj, rt->body, NULL);
        if (err == GH_OK)
            check_accepted(r->a, obj, rt->body);
        else
            check_problem(r, err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > GH_MAX_BODY_BYTES) /* larger bodies get a 413 before they reach the parser */
        return 0;
    static struct MHD_Connection conn;
    gh_fake_reset(&conn);
    gh_fake_add(&conn, MHD_HEADER_KIND, "Content-Type", "application/json; charset=utf-8");
    gh_req r = {.conn = &conn, .method = "POST", .path = "/fuzz"};
    r.a = gh_arena_new();
    r.ctx.a = r.a;
    r.body = malloc(size > 0 ? size : 1); /* exactly the input: ASan sees any read past it */
    memcpy(r.body, data, size);
    r.body_len = size;

    json_t *obj = NULL;
    gh_err err = gh_json_parse_body(&r, &obj);
    if (err != GH_OK) {
        CHECK(obj == NULL);
        check_problem(&r, err);
    } else {
        CHECK(json_is_object(obj));
        CHECK(tree_depth(obj) <= GH_MAX_JSON_DEPTH);
        check_routes(&r, obj);
    }
    json_decref(obj);
    free(r.body);
    gh_arena_free(r.a);
    return 0;
}
