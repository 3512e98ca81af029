/* libFuzzer target: the router (gh_route_match), the web console's path checks (web.h) and the
 * query and If-Match helpers of json.c (gh_query_limits, gh_query_only, gh_query_id,
 * gh_query_limit, gh_if_match) (SECURITY.md I7).
 *
 * Input: "<method> <path>[?<query>]\n<If-Match value>". The path reaches the router as
 * libmicrohttpd hands it over (decoded, any byte but NUL); the query is split at '&' and at the
 * first '=' of each part, the way libmicrohttpd does before our helpers see the arguments
 * (libmicrohttpd's own parsing is fuzzed through the whole server by http_fuzz).
 *
 * Checks besides crashes and sanitizer reports:
 *  - a match is the route for that very method, and the path is the route's pattern with its
 *    {id} and {sid} written back in canonical form (no "007", no "+7", no trailing "/");
 *  - no match with path_known set means some route with another method has that path;
 *  - a console path that gh_web_path_ok accepts has no "..", hidden file or odd byte;
 *  - every refusal is a 400/412 with a reason; accepted ids are positive, limits 1..200. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mhd.h"
#include "http/internal.h"
#include "http/limits.h"
#include "http/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "route_fuzz: check failed at line %d: %s\n", __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The route's pattern with id and sub_id written in; NULL for patterns holding "{token}" or "*",
 * whose segments are not numbers. */
static char *expand(gh_arena *a, const char *pat, int64_t id, int64_t sub_id)
{
    if (strstr(pat, "{token}") != NULL || strchr(pat, '*') != NULL)
        return NULL;
    char *out = gh_arena_strdup(a, "");
    int params = 0;
    while (*pat != '\0') {
        const char *brace = strchr(pat, '{');
        if (brace == NULL)
            return gh_arena_printf(a, "%s%s", out, pat);
        const char *end = strchr(brace, '}');
        out = gh_arena_printf(a, "%s%.*s%lld", out, (int)(brace - pat), pat,
                              (long long)(params++ == 0 ? id : sub_id));
        pat = end + 1;
    }
    return out;
}

static void check_router(gh_arena *a, const char *method, const char *path)
{
    int64_t id = -1, sub_id = -1;
    bool known = true;
    const gh_route *rt = gh_route_match(method, path, &id, &sub_id, &known);
    if (rt != NULL) {
        CHECK(known);
        CHECK(strcmp(rt->method, method) == 0);
        CHECK(id >= 0 && sub_id >= 0);
        CHECK((strstr(rt->pattern, "{id}") != NULL) == (id > 0));
        CHECK((strstr(rt->pattern, "{sid}") != NULL) == (sub_id > 0));
        const char *canonical = expand(a, rt->pattern, id, sub_id);
        CHECK(canonical == NULL || strcmp(canonical, path) == 0);
        return;
    }
    if (!known)
        return;
    /* the path is served with another method: that method must find it */
    bool found = false;
    for (const gh_route *q = gh_routes; q->method != NULL && !found; q++) {
        int64_t i2, s2;
        bool k2;
        found = strcmp(q->method, method) != 0 &&
                gh_route_match(q->method, path, &i2, &s2, &k2) != NULL;
    }
    CHECK(found);
}

/* A console path the web handler accepts cannot leave the console's folder (SECURITY.md I5's
 * cousin for files): 2 to 200 bytes of [A-Za-z0-9._/-], absolute, no "//", no segment starting
 * with a dot, no trailing "/". */
static void check_web(const char *path)
{
    const char *file = gh_web_file_for(path);
    CHECK(file != NULL);
    if (!gh_web_path_ok(file))
        return;
    size_t n = strlen(file);
    CHECK(n >= 2 && n <= 200 && file[0] == '/' && file[n - 1] != '/');
    CHECK(strstr(file, "//") == NULL && strstr(file, "/.") == NULL);
    CHECK(strspn(file, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") == n);
}

static void check_refusal(gh_req *r, gh_err err)
{
    CHECK(err == GH_EINVAL || err == GH_EPRECOND);
    CHECK(r->ctx.err_detail != NULL && r->ctx.err_detail[0] != '\0');
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
}

/* Splits query into arguments of conn; the strings are carved out of the arena. */
static void add_query(gh_arena *a, struct MHD_Connection *conn, const char *query)
{
    char *q = gh_arena_strdup(a, query);
    for (char *part = q; part != NULL;) {
        char *amp = strchr(part, '&');
        if (amp != NULL)
            *amp = '\0';
        char *eq = strchr(part, '=');
        if (eq != NULL)
            *eq = '\0';
        if (*part != '\0')
            gh_fake_add(conn, MHD_GET_ARGUMENT_KIND, part, eq != NULL ? eq + 1 : NULL);
        part = amp != NULL ? amp + 1 : NULL;
    }
}

static void check_query(gh_req *r)
{
    static const char *const allowed[] = {"provider_id", "limit", "cursor", "q", NULL};
    gh_err err = gh_query_limits(r);
    if (err != GH_OK)
        check_refusal(r, err);
    if ((err = gh_query_only(r, allowed)) != GH_OK)
        check_refusal(r, err);
    int64_t id = -1;
    if ((err = gh_query_id(r, "provider_id", &id)) != GH_OK)
        check_refusal(r, err);
    else
        CHECK(id >= 0 && (id > 0 || gh_query(r, "provider_id") == NULL));
    int limit = -1;
    if ((err = gh_query_limit(r, &limit)) != GH_OK)
        check_refusal(r, err);
    else
        CHECK(limit >= 1 && limit <= GH_PAGE_MAX);
    int64_t version = -1;
    if ((err = gh_if_match(r, &version)) != GH_OK)
        check_refusal(r, err);
    else
        CHECK(version >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * GH_MAX_URL_BYTES)
        return 0;
    gh_arena *a = gh_arena_new();
    char *in = gh_arena_strndup(a, (const char *)data, size); /* up to a NUL, as C strings are */
    char *nl = strchr(in, '\n'), *if_match = NULL;
    if (nl != NULL) {
        *nl = '\0';
        if_match = nl + 1;
    }
    char *sp = strchr(in, ' ');
    const char *method = "GET", *url = in;
    if (sp != NULL) {
        *sp = '\0';
        method = in;
        url = sp + 1;
    }
    char *path = gh_arena_strdup(a, url), *qmark = strchr(path, '?');
    if (qmark != NULL)
        *qmark = '\0';
    check_router(a, method, path);
    check_web(path);

    static struct MHD_Connection conn;
    gh_fake_reset(&conn);
    if (qmark != NULL)
        add_query(a, &conn, qmark + 1);
    if (if_match != NULL)
        gh_fake_add(&conn, MHD_HEADER_KIND, "If-Match", if_match);
    gh_req r = {.conn = &conn, .method = method, .path = path, .a = a};
    r.ctx.a = a;
    check_query(&r);
    gh_arena_free(a);
    return 0;
}
