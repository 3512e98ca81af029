/* Unit tests of http/ that need no server: the router, the JSON body checks, the route table's
 * deny-by-default rule and the OpenAPI document generated from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "http/forward.h"
#include "http/internal.h"
#include "http/limits.h"
#include "http/web.h"

/* ---- router ---- */

static const gh_route *route_of(const char *method, const char *pattern)
{
    for (const gh_route *r = gh_routes; r->method != NULL; r++)
        if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
            return r;
    fail_msg("no route %s %s", method, pattern);
    return NULL;
}

static void route_match_paths(void **state)
{
    int64_t id = -1, sub = -1;
    bool known = false;
    const gh_route *r = gh_route_match("GET", "/api/v1/users/42", &id, &sub, &known);
    assert_ptr_equal(r, route_of("GET", "/api/v1/users/{id}"));
    assert_true(known);
    assert_int_equal(id, 42);
    assert_int_equal(sub, 0);

    r = gh_route_match("POST", "/api/v1/users/9/disable", &id, &sub, &known);
    assert_ptr_equal(r, route_of("POST", "/api/v1/users/{id}/disable"));
    assert_int_equal(id, 9);
    r = gh_route_match("GET", "/api/v1/users", &id, &sub, &known);
    assert_ptr_equal(r, route_of("GET", "/api/v1/users"));
    assert_int_equal(id, 0);
    r = gh_route_match("POST", "/api/v1/users/bulk", &id, &sub, &known);
    assert_ptr_equal(r, route_of("POST", "/api/v1/users/bulk"));
    r = gh_route_match("GET", "/healthz", &id, &sub, &known);
    assert_ptr_equal(r, route_of("GET", "/healthz"));
    r = gh_route_match("DELETE", "/api/v1/tenants/123456789012345678", &id, &sub, &known);
    assert_ptr_equal(r, route_of("DELETE", "/api/v1/tenants/{id}"));
    assert_int_equal(id, 123456789012345678LL);

    /* every route matches its own pattern with a concrete id */
    for (const gh_route *rt = gh_routes; rt->method != NULL; rt++) {
        char path[256];
        const char *brace = strstr(rt->pattern, "{id}");
        const char *sid = strstr(rt->pattern, "{sid}");
        if (sid == NULL)
            sid = strstr(rt->pattern, "{tid}");
        if (brace != NULL && sid != NULL)
            snprintf(path, sizeof path, "%.*s7%.*s11%s", (int)(brace - rt->pattern), rt->pattern,
                     (int)(sid - brace - 4), brace + 4, sid + 5);
        else if (brace != NULL)
            snprintf(path, sizeof path, "%.*s7%s", (int)(brace - rt->pattern), rt->pattern,
                     brace + 4);
        else
            snprintf(path, sizeof path, "%s", rt->pattern);
        char *token = strstr(path, "{token}"); /* a link token: the base64url alphabet */
        if (token != NULL)
            memcpy(token, "gh_a-Z_", 7);
        char *name = strstr(path, "{name}"); /* an SSO source's name: a slug */
        if (name != NULL)
            memcpy(name, "okta-1", 6);
        id = -1;
        sub = -1;
        if (gh_route_match(rt->method, path, &id, &sub, &known) != rt)
            fail_msg("%s %s does not match its route", rt->method, path);
        assert_int_equal(id, brace != NULL ? 7 : 0);
        if (sid != NULL)
            assert_int_equal(sub, 11);
    }
}

/* The console's routes: a last "*" segment takes the rest of the path, never an empty one. */
static void route_match_console(void **state)
{
    int64_t id = -1, sub = -1;
    bool known = false;
    static const struct {
        const char *path, *pattern;
    } hits[] = {
        {"/", "/"},
        {"/app/main.js", "/app/*"},
        {"/app/pages/users.js", "/app/*"},
        {"/i18n/zh.json", "/i18n/*"},
        {"/users", "/users"},
        {"/users/12", "/users/*"},
        {"/users/12/edit", "/users/*"},
        {"/onboarding/gh_abc-DEF", "/onboarding/*"},
        {"/reset/x", "/reset/*"},
        {"/signin/totp", "/signin/*"},
    };
    for (size_t i = 0; i < sizeof hits / sizeof *hits; i++) {
        const gh_route *r = gh_route_match("GET", hits[i].path, &id, &sub, &known);
        if (r == NULL || strcmp(r->pattern, hits[i].pattern) != 0)
            fail_msg("%s: matched %s", hits[i].path, r ? r->pattern : "nothing");
        assert_ptr_equal(r->handler, gh_h_web);
        assert_int_equal(id, 0);
    }
    static const char *const misses[] = {"/app/",    "/app",         "/i18n/",
                                         "/users/",  "/app*",        "/appx/a.js",
                                         "/nowhere", "/favicon.ico", "/api/v1/users/12/x"};
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++) {
        const gh_route *r = gh_route_match("GET", misses[i], &id, &sub, &known);
        if (r != NULL && r->handler == gh_h_web)
            fail_msg("%s matched the console route %s", misses[i], r->pattern);
    }
    /* the API keeps its own routes and its 405s */
    assert_ptr_equal(gh_route_match("GET", "/api/v1/users/12", &id, &sub, &known),
                     route_of("GET", "/api/v1/users/{id}"));
    assert_null(gh_route_match("POST", "/users/12", &id, &sub, &known));
    assert_true(known);
}

/* Which file a console path is answered with, and which paths may name a file. */
static void web_paths(void **state)
{
    assert_string_equal(gh_web_file_for("/app/main.js"), "/app/main.js");
    assert_string_equal(gh_web_file_for("/i18n/en.json"), "/i18n/en.json");
    assert_string_equal(gh_web_file_for("/style.css"), "/style.css");
    assert_string_equal(gh_web_file_for("/users/12"), "/index.html");
    assert_string_equal(gh_web_file_for("/"), "/index.html");
    assert_string_equal(gh_web_file_for("/onboarding/abc"), "/index.html");
    static const char *const ok[] = {"/index.html", "/app/pages/users.js", "/i18n/zh.json",
                                     "/a-b_c.d"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!gh_web_path_ok(ok[i]))
            fail_msg("%s refused", ok[i]);
    static const char *const bad[] = {
        "",        "/",        "app/main.js", "/app/../x",    "/app/./x",
        "/app//x", "/.hidden", "/app/.git/x", "/app/",        "/a b",
        "/a\\b",   "/a%2fb",   "/a?b",        "/\xe4\xb8\xad"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (gh_web_path_ok(bad[i]))
            fail_msg("%s accepted", bad[i]);
    char longp[260] = "/";
    memset(longp + 1, 'a', 220);
    assert_false(gh_web_path_ok(longp));
    assert_string_equal(gh_web_content_type("/app/x.js"), "text/javascript; charset=utf-8");
    assert_string_equal(gh_web_content_type("/x.css"), "text/css; charset=utf-8");
    assert_string_equal(gh_web_content_type("/x.html"), "text/html; charset=utf-8");
    assert_string_equal(gh_web_content_type("/x"), "application/octet-stream");
    /* the embedded table holds the console, with the same types */
    const gh_web_file *f = gh_web_find("/index.html");
    assert_non_null(f);
    assert_true(f->len > 0);
    assert_string_equal(f->content_type, "text/html; charset=utf-8");
    assert_non_null(gh_web_find("/app/main.js"));
    assert_null(gh_web_find("/nope.js"));
    for (const gh_web_file *w = gh_web_files; w->path != NULL; w++) {
        assert_string_equal(w->content_type, gh_web_content_type(w->path));
        assert_true(gh_web_path_ok(w->path));
        assert_int_equal(w->etag[0], '"');
    }
}

static void route_match_method_not_allowed(void **state)
{
    int64_t id = 0, sub = 0;
    bool known = false;
    assert_null(gh_route_match("PUT", "/api/v1/users/42", &id, &sub, &known));
    assert_true(known);
    assert_null(gh_route_match("DELETE", "/api/v1/users", &id, &sub, &known));
    assert_true(known);
    assert_null(gh_route_match("POST", "/healthz", &id, &sub, &known));
    assert_true(known);
    assert_null(gh_route_match("GET", "/api/v1/users/bulk", &id, &sub, &known));
    assert_true(known);
    assert_null(gh_route_match("get", "/healthz", &id, &sub, &known)); /* methods are exact */
    assert_true(known);
    assert_null(gh_route_match("GET", "/nope", &id, &sub, &known));
    assert_false(known);
}

static void route_match_rejects_bad_paths(void **state)
{
    static const char *const bad[] = {
        "/api/v1/users/042",
        "/api/v1/users/0",
        "/api/v1/users/-1",
        "/api/v1/users/+1",
        "/api/v1/users/4a",
        "/api/v1/users/a4",
        "/api/v1/users/1.0",
        "/api/v1/users/ 1",
        "/api/v1/users/1234567890123456789", /* 19 digits */
        "/api/v1/users/99999999999999999999999",
        "/api/v1/users/",
        "/api/v1/users//1",
        "/api/v1/users/1/",
        "/api/v1/users/1/disable/",
        "/healthz/",
        "//healthz",
        "/healthz/x",
        "healthz",
        "",
        "/api/v1/USERS",
        "/api/v1/users/1/unknown",
        "/api/v1/onboarding/",
        "/api/v1/onboarding/a.b",
        "/api/v1/onboarding/a%2Fb",
        "/api/v1/onboarding/gh_x/extra",
        "/api/v1/password-reset/gh_01234567890123456789012345678901234567890123456789012345678901",
        "/api/v2/users",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t id = 77, sub = 77;
        bool known = true;
        for (int m = 0; m < 5; m++) {
            static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT"};
            if (gh_route_match(methods[m], bad[i], &id, &sub, &known) != NULL)
                fail_msg("%s %s matched", methods[m], bad[i]);
            if (known)
                fail_msg("%s %s: path known", methods[m], bad[i]);
        }
        assert_int_equal(id, 77); /* untouched without a match */
    }
}

/* ---- JSON body checks ---- */

typedef struct jfx {
    gh_arena *a;
    gh_req r;
} jfx;

static int jsetup(void **state)
{
    jfx *f = calloc(1, sizeof *f);
    f->a = gh_arena_new();
    f->r.a = f->a;
    f->r.ctx.a = f->a;
    *state = f;
    return 0;
}

static int jteardown(void **state)
{
    jfx *f = *state;
    gh_arena_free(f->a);
    free(f);
    return 0;
}

/* Checks text against fields; returns the error, *field the field named on failure. */
static gh_err check(jfx *f, const gh_field *fields, const char *text, const char **field)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);
    if (j == NULL)
        fail_msg("bad test JSON %s: %s", text, e.text);
    f->r.ctx.err_field = NULL;
    f->r.ctx.err_reason = NULL;
    f->r.ctx.err_detail = NULL;
    gh_err err = gh_json_check(&f->r, j, fields, NULL);
    json_decref(j);
    if (err != GH_OK)
        assert_non_null(f->r.ctx.err_detail);
    if (err != GH_OK && f->r.ctx.err_field != NULL) /* every field error says how: its code */
        assert_non_null(f->r.ctx.err_reason);
    *field = f->r.ctx.err_field;
    return err;
}

static void expect_ok(jfx *f, const gh_field *fields, const char *text)
{
    const char *field = NULL;
    gh_err err = check(f, fields, text, &field);
    if (err != GH_OK)
        fail_msg("rejected %s: %s (%s)", text, field ? field : "-", f->r.ctx.err_detail);
}

static void expect_bad(jfx *f, const gh_field *fields, const char *text, const char *want)
{
    const char *field = NULL;
    gh_err err = check(f, fields, text, &field);
    if (err != GH_EINVAL)
        fail_msg("accepted %s", text);
    if (field == NULL || strcmp(field, want) != 0)
        fail_msg("%s: field %s, want %s", text, field ? field : "(null)", want);
}

/* {"<name>": <value>} with a string value of n copies of unit. */
static char *repeat_json(gh_arena *a, const char *prefix, const char *unit, int n,
                         const char *suffix)
{
    size_t ul = strlen(unit), pl = strlen(prefix), sl = strlen(suffix);
    char *s = gh_arena_alloc(a, pl + ul * (size_t)n + sl + 1), *p = s;
    memcpy(p, prefix, pl);
    p += pl;
    for (int i = 0; i < n; i++, p += ul)
        memcpy(p, unit, ul);
    memcpy(p, suffix, sl + 1);
    return s;
}

#define U_BASE "\"username\":\"ann\",\"email\":\"ann@example.com\""

static void json_required_and_unknown(void **state)
{
    jfx *f = *state;
    const gh_field *uc = route_of("POST", "/api/v1/users")->body;
    assert_non_null(uc);
    expect_ok(f, uc, "{" U_BASE "}");
    expect_bad(f, uc, "{\"email\":\"ann@example.com\"}", "username");
    expect_bad(f, uc, "{\"username\":\"ann\"}", "email");
    expect_bad(f, uc, "{}", "username");
    expect_bad(f, uc, "{" U_BASE ",\"is_superadmin\":true}", "is_superadmin");
    expect_bad(f, uc, "{" U_BASE ",\"status\":\"active\"}", "status");
    expect_bad(f, uc, "{" U_BASE ",\"Username\":\"x\"}", "Username");
    expect_bad(f, uc, "{" U_BASE ",\"id\":5}", "id");

    const gh_field *tp = route_of("PATCH", "/api/v1/tenants/{id}")->body;
    expect_ok(f, tp, "{}"); /* core asks for a name or a dormant rule */
    expect_ok(f, tp, "{\"name\":\"x\"}");
    expect_ok(f, tp, "{\"dormant_days\":0,\"dormant_warn_days\":0}");
    expect_ok(f, tp, "{\"dormant_days\":3650}");
    expect_bad(f, tp, "{\"dormant_days\":3651}", "dormant_days");
    expect_bad(f, tp, "{\"dormant_days\":-1}", "dormant_days");
    expect_bad(f, tp, "{\"dormant_warn_days\":1.5}", "dormant_warn_days");
    expect_bad(f, tp, "{\"name\":\"x\",\"kind\":\"sub_account\"}", "kind");
    const gh_field *up = route_of("PATCH", "/api/v1/users/{id}")->body;
    expect_ok(f, up, "{}");
    expect_bad(f, up, "{\"username\":\"renamed\"}", "username");
    expect_bad(f, up, "{\"provider_id\":3}", "provider_id");
    expect_bad(f, up, "{\"password\":\"a long enough password\"}", "password");
}

static void json_types(void **state)
{
    jfx *f = *state;
    const gh_field *uc = route_of("POST", "/api/v1/users")->body;
    expect_bad(f, uc, "{\"username\":5,\"email\":\"e\"}", "username");
    expect_bad(f, uc, "{\"username\":null,\"email\":\"e\"}", "username");
    expect_bad(f, uc, "{\"username\":[\"a\"],\"email\":\"e\"}", "username");
    expect_bad(f, uc, "{" U_BASE ",\"login_enabled\":\"yes\"}", "login_enabled");
    expect_bad(f, uc, "{" U_BASE ",\"login_enabled\":1}", "login_enabled");
    expect_bad(f, uc, "{" U_BASE ",\"login_enabled\":null}", "login_enabled");
    expect_ok(f, uc, "{" U_BASE ",\"login_enabled\":false,\"mfa_required\":true}");
    expect_bad(f, uc, "{" U_BASE ",\"provider_id\":0}", "provider_id");
    expect_bad(f, uc, "{" U_BASE ",\"provider_id\":-1}", "provider_id");
    expect_bad(f, uc, "{" U_BASE ",\"provider_id\":\"1\"}", "provider_id");
    expect_bad(f, uc, "{" U_BASE ",\"provider_id\":1.5}", "provider_id");
    expect_bad(f, uc, "{" U_BASE ",\"provider_id\":true}", "provider_id");
    expect_ok(f, uc, "{" U_BASE ",\"provider_id\":null}");
    expect_ok(f, uc, "{" U_BASE ",\"provider_id\":7}");
    expect_ok(f, uc, "{" U_BASE ",\"sso_source\":null,\"sso_id\":\"abc\"}");
    expect_bad(f, uc, "{" U_BASE ",\"sso_id\":5}", "sso_id");
    expect_bad(f, uc, "{" U_BASE ",\"first_name\":null}", "first_name");
    expect_bad(f, uc, "{" U_BASE ",\"first_name\":\"a\\u0000b\"}", "first_name");
    expect_bad(f, uc, "{" U_BASE ",\"access\":\"provider\"}", "access");
    expect_bad(f, uc, "{" U_BASE ",\"access\":null}", "access");
    expect_bad(f, uc, "{" U_BASE ",\"access\":[]}", "access");

    const gh_field *rc = route_of("POST", "/api/v1/roles")->body;
    expect_ok(f, rc,
              "{\"name\":\"r\",\"kind\":\"platform_user\",\"permissions\":[\"users.read\"]}");
    expect_ok(f, rc, "{\"name\":\"r\",\"kind\":\"platform_user\",\"permissions\":[]}");
    expect_bad(f, rc, "{\"name\":\"r\",\"kind\":\"platform_user\",\"permissions\":\"users.read\"}",
               "permissions");
    expect_bad(f, rc, "{\"name\":\"r\",\"kind\":\"platform_user\",\"permissions\":[1]}",
               "permissions");
    expect_bad(f, rc, "{\"name\":\"r\",\"kind\":\"platform_user\"}", "permissions");
    /* found by fuzz/json_fuzz.c: a NUL would cut the name short to a valid permission */
    expect_bad(f, rc,
               "{\"name\":\"r\",\"kind\":\"platform_user\","
               "\"permissions\":[\"users.read\\u0000x\"]}",
               "permissions");
    char *many = repeat_json(f->a, "{\"name\":\"r\",\"kind\":\"k\",\"permissions\":[",
                             "\"users.read\",", 64, "\"x\"]}");
    expect_bad(f, rc, many, "permissions"); /* 65 items */
}

static void json_string_lengths_in_characters(void **state)
{
    jfx *f = *state;
    const gh_field *uc = route_of("POST", "/api/v1/users")->body;
    expect_ok(f, uc,
              repeat_json(f->a, "{\"email\":\"e\",\"username\":\"", "a", GH_MAX_USERNAME, "\"}"));
    expect_bad(
        f, uc,
        repeat_json(f->a, "{\"email\":\"e\",\"username\":\"", "a", GH_MAX_USERNAME + 1, "\"}"),
        "username");
    /* 2-, 3- and 4-byte characters count once each */
    static const char *const units[] = {"\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x99\x82", "\\u00e9"};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        expect_ok(f, uc,
                  repeat_json(f->a, "{" U_BASE ",\"first_name\":\"", units[i], GH_MAX_NAME, "\"}"));
        expect_bad(
            f, uc,
            repeat_json(f->a, "{" U_BASE ",\"first_name\":\"", units[i], GH_MAX_NAME + 1, "\"}"),
            "first_name");
    }
    expect_ok(f, uc, repeat_json(f->a, "{" U_BASE ",\"language\":\"", "z", 2, "\"}"));
    expect_bad(f, uc, repeat_json(f->a, "{" U_BASE ",\"language\":\"", "z", 3, "\"}"), "language");
    expect_bad(f, uc, repeat_json(f->a, "{" U_BASE ",\"access\":{\"level\":\"", "x", 17, "\"}}"),
               "access.level");
}

static void json_ids(void **state)
{
    jfx *f = *state;
    const gh_field *uc = route_of("POST", "/api/v1/users")->body;
    expect_ok(f, uc, "{" U_BASE ",\"role_ids\":[1,2,3],\"group_ids\":[]}");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[1,2,1]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[0]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[-3]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[\"1\"]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[1.5]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[null]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":[[1]]}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":\"all\"}", "role_ids"); /* plain ids only */
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":1}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"role_ids\":{}}", "role_ids");
    expect_bad(f, uc, "{" U_BASE ",\"group_ids\":[5,5]}", "group_ids");

    /* at most GH_MAX_IDS items */
    char *ids = gh_arena_alloc(f->a, 16 * (GH_MAX_IDS + 2));
    size_t len = 0;
    for (int i = 1; i <= GH_MAX_IDS; i++)
        len += (size_t)sprintf(ids + len, "%s%d", i > 1 ? "," : "", i);
    expect_ok(f, uc, gh_arena_printf(f->a, "{" U_BASE ",\"role_ids\":[%s]}", ids));
    expect_bad(f, uc, gh_arena_printf(f->a, "{" U_BASE ",\"role_ids\":[%s,%d]}", ids, 999),
               "role_ids");

    const gh_field *bulk = route_of("POST", "/api/v1/users/bulk")->body;
    expect_ok(f, bulk, "{\"action\":\"disable\",\"ids\":[1,2]}");
    expect_bad(f, bulk, "{\"action\":\"disable\",\"ids\":[2,2]}", "ids");
    expect_bad(f, bulk, "{\"action\":\"disable\"}", "ids");
}

static void json_nested_access(void **state)
{
    jfx *f = *state;
    const gh_field *uc = route_of("POST", "/api/v1/users")->body;
    expect_ok(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":\"all\"}}");
    expect_ok(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":[4,5]}}");
    expect_ok(f, uc,
              "{" U_BASE ",\"access\":{\"level\":\"sub_account\",\"account_ids\":[4],"
              "\"sub_account_ids\":\"all\"}}");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"account_ids\":\"all\"}}", "access.level");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{}}", "access.level");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":\"ALL\"}}",
               "access.account_ids");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":\"any\"}}",
               "access.account_ids");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":[1,1]}}",
               "access.account_ids");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":[0]}}",
               "access.account_ids");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"account\",\"account_ids\":null}}",
               "access.account_ids");
    expect_bad(f, uc,
               "{" U_BASE ",\"access\":{\"level\":\"sub_account\",\"account_ids\":[4],"
               "\"sub_account_ids\":[-2]}}",
               "access.sub_account_ids");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":\"provider\",\"foo\":1}}", "access.foo");
    expect_bad(f, uc, "{" U_BASE ",\"access\":{\"level\":7}}", "access.level");

    /* deeper nesting names the whole path */
    static const gh_field inner[] = {{"x", GH_T_BOOL, 0, true, NULL, "x"}, {NULL}};
    static const gh_field middle[] = {{"inner", GH_T_OBJECT, 0, true, inner, "inner"}, {NULL}};
    static const gh_field outer[] = {{"outer", GH_T_OBJECT, 0, false, middle, "outer"}, {NULL}};
    expect_ok(f, outer, "{\"outer\":{\"inner\":{\"x\":true}}}");
    expect_ok(f, outer, "{}");
    expect_bad(f, outer, "{\"outer\":{\"inner\":{\"x\":1}}}", "outer.inner.x");
    expect_bad(f, outer, "{\"outer\":{\"inner\":{}}}", "outer.inner.x");
    expect_bad(f, outer, "{\"outer\":{\"inner\":{\"x\":true,\"y\":1}}}", "outer.inner.y");
    expect_bad(f, outer, "{\"outer\":{}}", "outer.inner");

    /* the prefix argument names fields of a sub-object checked on its own */
    json_t *j = json_loads("{\"level\":1}", 0, NULL);
    assert_int_equal(gh_json_check(&f->r, j, inner, "top"), GH_EINVAL);
    assert_string_equal(f->r.ctx.err_field, "top.level");
    json_decref(j);
}

/* errors[].code: "<field>.<reason>" in [a-z0-9_.], whatever the client's bytes in field. */
/* forward-auth's --protect: entries, requirements, refusals; URLs' hosts, without tricks */
static void forward_apps(void **state)
{
    (void)state;
    gh_forward_app apps[GH_FORWARD_APPS_MAX];
    size_t n = 0;
    const char *why = NULL;
    assert_true(gh_forward_parse(NULL, apps, &n, &why));
    assert_int_equal(n, 0);
    assert_true(gh_forward_parse(" App.Example.com , admin.example.com:8443=users.read,"
                                 "ops.example.com=group:Night shift",
                                 apps, &n, &why));
    assert_int_equal(n, 3);
    assert_string_equal(apps[0].host, "app.example.com");
    assert_int_equal(apps[0].perm, 0);
    assert_string_equal(apps[1].host, "admin.example.com:8443");
    assert_int_equal(apps[1].perm, GH_PERM(USERS_READ));
    assert_string_equal(apps[2].group, "Night shift");
    assert_ptr_equal(gh_forward_find(apps, n, "APP.example.com"), &apps[0]);
    assert_null(gh_forward_find(apps, n, "admin.example.com"));
    assert_null(gh_forward_find(apps, n, ""));
    static const char *const bad[] = {"app.test=nope", "a.test,A.test", "https://a.test", "a.test:",
                                      "a b.test",      "=users.read",   "a.test=group:",  ","};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        if (gh_forward_parse(bad[i], apps, &n, &why))
            fail_msg("accepted %s", bad[i]);
        assert_non_null(why);
    }
    char host[GH_FORWARD_HOST_MAX + 1];
    assert_true(gh_forward_url_host("https://App.test:8443/x?y=1#z", host, sizeof host));
    assert_string_equal(host, "app.test:8443");
    assert_true(gh_forward_url_host("http://a.test", host, sizeof host));
    assert_string_equal(host, "a.test");
    static const char *const tricks[] = {"//a.test/",
                                         "javascript:alert(1)",
                                         "http://a.test@b.test/",
                                         "http://a.test\\@b.test/",
                                         "http://a.test/ x",
                                         "ftp://a.test/",
                                         "http://",
                                         "http://a.test:x/"};
    for (size_t i = 0; i < sizeof tricks / sizeof *tricks; i++)
        if (gh_forward_url_host(tricks[i], host, sizeof host))
            fail_msg("took the host of %s", tricks[i]);
    assert_true(gh_forward_domain_ok("example.com"));
    assert_false(gh_forward_domain_ok("localhost"));
    assert_false(gh_forward_domain_ok(".example.com"));
    assert_false(gh_forward_domain_ok("example.com:80"));
}

static void error_codes(void **state)
{
    static const struct {
        const char *field, *reason, *code;
    } rows[] = {
        {"email", "invalid", "email.invalid"},
        {"access.account_ids", "required", "access.account_ids.required"},
        {"If-Match", "invalid", "if_match.invalid"},
        {"outer.inner.x", "wrong_type", "outer.inner.x.wrong_type"},
        {"..a..b.", "unknown", "a.b.unknown"},
        {"ids[3]", "duplicate", "ids_3_.duplicate"},
        {"caf\xc3\xa9 \xff\xfe", "unknown", "caf_.unknown"},
        {"", "unknown", "field.unknown"},
        {"...", "unknown", "field.unknown"},
        {NULL, NULL, "field.invalid"},
        {"password", NULL, "password.invalid"},
        {"password", "Too.Short", "password.too_short"},
    };
    gh_arena *a = gh_arena_new();
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        assert_string_equal(gh_error_code(a, rows[i].field, rows[i].reason), rows[i].code);
    char long_field[300];
    memset(long_field, 'A', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    const char *c = gh_error_code(a, long_field, "too_long");
    assert_int_equal(strlen(c), GH_ERROR_CODE_FIELD_MAX + strlen(".too_long"));
    for (const char *p = c; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_');
    gh_arena_free(a);
}

/* ---- the route table and OpenAPI ---- */

static bool is_public_ok(const gh_route *r)
{
    /* and the sign-in page's SSO buttons (names and display names only), and the password
     * policy's figures (the forms of the e-mailed links show them before anyone signs in) */
    static const char *const allowed[] = {"/healthz",
                                          "/readyz",
                                          "/metrics",
                                          "/api/v1/openapi.json",
                                          "/api/v1/sso-sources/public",
                                          "/api/v1/password-policy",
                                          NULL};
    for (const char *const *p = allowed; *p != NULL; p++)
        if (strcmp(r->pattern, *p) == 0)
            return strcmp(r->method, "GET") == 0 && r->body == NULL;
    /* the e-mailed links, whose token is the credential: GET reads a link's state, POST takes
     * a body checked field by field */
    static const char *const links[] = {"/api/v1/onboarding/{token}",
                                        "/api/v1/password-reset/{token}", "/api/v1/password-reset",
                                        "/api/v1/setup/{token}", NULL};
    for (const char *const *p = links; *p != NULL; p++)
        if (strcmp(r->pattern, *p) == 0)
            return strcmp(r->method, "GET") == 0 ? r->body == NULL && strchr(*p, '{') != NULL
                                                 : strcmp(r->method, "POST") == 0 && r->body;
    /* single sign-on's browser pages: GETs without a body that only redirect (the callback's
     * state is the credential of its flow, used once) */
    static const char *const sso[] = {"/sso/{name}/start", "/sso/{name}/callback",
                                      "/sso/{name}/logout", NULL};
    for (const char *const *p = sso; *p != NULL; p++)
        if (strcmp(r->pattern, *p) == 0)
            return strcmp(r->method, "GET") == 0 && r->body == NULL;
    /* forward-auth: GETs without a body that answer a proxy about a browser's request and
     * authenticate in their handlers (gh_http_signed_in): identity headers, 401 or a redirect */
    static const char *const forward[] = {"/auth/verify", "/auth/forward", "/auth/return", NULL};
    for (const char *const *p = forward; *p != NULL; p++)
        if (strcmp(r->pattern, *p) == 0)
            return strcmp(r->method, "GET") == 0 && r->body == NULL;
    /* password-less sign-in with a passkey: its options (a challenge, no body), and the
     * assertion, a body checked field by field */
    if (strcmp(r->pattern, "/api/v1/session/passkey/options") == 0)
        return strcmp(r->method, "POST") == 0 && r->body == NULL;
    if (strcmp(r->pattern, "/api/v1/session/passkey") == 0)
        return strcmp(r->method, "POST") == 0 && r->body != NULL;
    /* signing in is the one public change; it takes a body checked field by field */
    return strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/api/v1/session") == 0 &&
           r->body != NULL;
}

static void routes_deny_by_default(void **state)
{
    size_t n = 0, public = 0;
    size_t console = 0;
    for (const gh_route *r = gh_routes; r->method != NULL; r++, n++) {
        assert_non_null(r->pattern);
        assert_non_null(r->handler);
        assert_non_null(r->summary);
        assert_non_null(r->tag);
        if (r->auth != GH_AUTH_PUBLIC && r->auth != GH_AUTH_PERM && r->auth != GH_AUTH_STAGE)
            fail_msg("%s %s: auth mode %d", r->method, r->pattern, (int)r->auth);
        if (r->auth == GH_AUTH_STAGE) {
            /* a session's own routes (sign-in steps, me): a stage set, never a permission, and
             * only under /api/v1/session or /api/v1/me; a session is never kept at the
             * password stage */
            if (r->stages == 0 || (r->stages & GH_STAGE_BIT(GH_STAGE_PASSWORD)) != 0 ||
                (r->stages >> (GH_STAGE_DONE + 1)) != 0 || r->perm != 0)
                fail_msg("%s %s: stage route without valid stages or with a permission", r->method,
                         r->pattern);
            if (strncmp(r->pattern, "/api/v1/session", 15) != 0 &&
                strncmp(r->pattern, "/api/v1/me/", 11) != 0)
                fail_msg("%s %s: stage route outside session and me", r->method, r->pattern);
            continue;
        }
        if (strcmp(r->tag, "console") == 0) { /* the web console: public GETs of h_web.c */
            console++;
            if (strcmp(r->method, "GET") != 0 || r->auth != GH_AUTH_PUBLIC || r->body != NULL ||
                r->handler != gh_h_web || r->perm != 0 || strncmp(r->pattern, "/api/", 5) == 0)
                fail_msg("%s %s: a console route is a public GET of gh_h_web", r->method,
                         r->pattern);
            continue;
        }
        if (r->auth == GH_AUTH_PUBLIC) {
            public++;
            if (!is_public_ok(r))
                fail_msg("%s %s is public", r->method, r->pattern);
            assert_int_equal(r->perm, 0);
            continue;
        }
        /* every change needs a named permission; perm 0 (any signed-in user) is read-only */
        if (strcmp(r->method, "GET") != 0 && r->perm == 0)
            fail_msg("%s %s changes data without a permission", r->method, r->pattern);
        if (strncmp(r->pattern, "/api/v1/", 8) != 0)
            fail_msg("%s %s: protected route outside the API", r->method, r->pattern);
        assert_int_equal(r->perm & ~GH_PERM_ALL, 0);
        bool has_body = r->body != NULL;
        bool writes = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PATCH") == 0;
        if (has_body && !writes)
            fail_msg("%s %s takes a body", r->method, r->pattern);
        for (const gh_route *q = gh_routes; q != r; q++)
            if (strcmp(q->method, r->method) == 0 && strcmp(q->pattern, r->pattern) == 0)
                fail_msg("%s %s listed twice", r->method, r->pattern);
    }
    /* the operations endpoints, signing in (password-less too), the link routes, set-up included,
     * the SSO buttons and the password policy (console pages aside) */
    assert_int_equal(public, 22);
    assert_true(n > public);
    assert_true(console >= 10);
    /* spot checks of the permission each route needs */
    assert_int_equal(route_of("POST", "/api/v1/users")->perm, GH_PERM(USERS_CREATE));
    assert_int_equal(route_of("DELETE", "/api/v1/users/{id}")->perm, GH_PERM(USERS_DELETE));
    assert_int_equal(route_of("PATCH", "/api/v1/roles/{id}")->perm, GH_PERM(ROLES_UPDATE));
    assert_int_equal(route_of("GET", "/api/v1/sso-sources")->perm, GH_PERM(SETTINGS_READ));
    assert_int_equal(route_of("GET", "/api/v1/sso-sources/{id}")->perm, GH_PERM(SETTINGS_READ));
    assert_int_equal(route_of("POST", "/api/v1/sso-sources")->perm, GH_PERM(SETTINGS_UPDATE));
    assert_int_equal(route_of("PATCH", "/api/v1/sso-sources/{id}")->perm, GH_PERM(SETTINGS_UPDATE));
    assert_int_equal(route_of("DELETE", "/api/v1/sso-sources/{id}")->perm,
                     GH_PERM(SETTINGS_UPDATE));
    assert_int_equal(route_of("GET", "/api/v1/audit")->perm, GH_PERM(AUDIT_READ));
    assert_int_equal(route_of("GET", "/api/v1/audit/actions")->perm, GH_PERM(AUDIT_READ));
    assert_int_equal(route_of("POST", "/api/v1/tenants")->perm, GH_PERM(TENANTS_CREATE));
}

static size_t fd_count(const gh_field *f)
{
    size_t n = 0;
    while (f[n].name != NULL)
        n++;
    return n;
}

static void openapi_lists_every_route(void **state)
{
    json_t *doc = gh_openapi();
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    size_t routes = 0;
    for (const gh_route *r = gh_routes; r->method != NULL; r++, routes++) {
        if (strcmp(r->tag, "console") == 0) { /* the web console is not part of the API */
            assert_null(json_object_get(paths, r->pattern));
            routes--;
            continue;
        }
        json_t *item = json_object_get(paths, r->pattern);
        if (item == NULL)
            fail_msg("path %s missing", r->pattern);
        char method[8];
        size_t i = 0;
        for (; r->method[i] != '\0' && i < sizeof method - 1; i++)
            method[i] = (char)tolower((unsigned char)r->method[i]);
        method[i] = '\0';
        json_t *op = json_object_get(item, method);
        if (op == NULL)
            fail_msg("%s %s missing", r->method, r->pattern);
        assert_string_equal(json_string_value(json_object_get(op, "summary")), r->summary);
        if (r->auth == GH_AUTH_PUBLIC) {
            json_t *sec = json_object_get(op, "security");
            assert_true(json_is_array(sec) && json_array_size(sec) == 0);
        } else if (r->auth == GH_AUTH_STAGE) {
            json_t *sec = json_object_get(op, "security");
            assert_true(json_is_array(sec) && json_array_size(sec) == 1);
            assert_non_null(json_object_get(json_array_get(sec, 0), "session"));
            json_t *stages = json_object_get(op, "x-session-stages");
            assert_true(json_is_array(stages) && json_array_size(stages) > 0);
            assert_null(json_object_get(op, "x-permissions"));
        } else {
            json_t *perms = json_object_get(op, "x-permissions");
            assert_true(json_is_array(perms));
            uint64_t mask = 0;
            size_t k;
            json_t *v;
            json_array_foreach(perms, k, v) mask |= gh_perm_from_name(json_string_value(v));
            assert_int_equal(mask, r->perm);
            assert_int_equal(json_array_size(perms), (size_t)__builtin_popcountll(r->perm));
            assert_null(json_object_get(op, "security")); /* the global bearer applies */
        }
        json_t *body = json_object_get(op, "requestBody");
        assert_int_equal(body != NULL, r->body != NULL || r->consumes != NULL);
        if (r->consumes != NULL) /* a raw body (text/csv): its media type, never also JSON */
            assert_non_null(json_object_get(json_object_get(body, "content"), r->consumes));
        if (r->produces != NULL) { /* a success answer that is not JSON (text/csv) */
            json_t *ok = json_object_get(json_object_get(op, "responses"), "200");
            assert_non_null(json_object_get(json_object_get(ok, "content"), r->produces));
        }
        if (r->body != NULL) {
            json_t *schema =
                json_object_get(json_object_get(json_object_get(json_object_get(body, "content"),
                                                                "application/json"),
                                                "schema"),
                                "properties");
            for (const gh_field *fd = r->body; fd->name != NULL; fd++)
                if (json_object_get(schema, fd->name) == NULL)
                    fail_msg("%s %s: field %s missing", r->method, r->pattern, fd->name);
            assert_int_equal(json_object_size(schema), fd_count(r->body));
        }
        /* every path parameter ({id}, {sid}, {token}) and query parameter (the route's query
         * table) is described, and only those */
        json_t *params = json_object_get(op, "parameters");
        size_t braces = 0;
        for (const char *c = r->pattern; (c = strchr(c, '{')) != NULL; c++)
            braces++;
        for (const gh_qparam *q = r->query; q != NULL && q->name != NULL; q++)
            braces++;
        assert_int_equal(params != NULL ? json_array_size(params) : 0, braces);
    }
    /* nothing else is documented */
    size_t ops = 0;
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item) ops += json_object_size(item);
    assert_int_equal(ops, routes);
    json_decref(doc);
}

/* Every "$ref" under v names a schema of schemas; counts them into *n. */
static void refs_resolve(json_t *v, json_t *schemas, size_t *n)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_array(v))
        json_array_foreach(v, i, x) refs_resolve(x, schemas, n);
    if (!json_is_object(v))
        return;
    json_object_foreach(v, key, x)
    {
        if (strcmp(key, "$ref") == 0) {
            const char *ref = json_string_value(x);
            assert_non_null(ref);
            assert_int_equal(strncmp(ref, "#/components/schemas/", 21), 0);
            if (json_object_get(schemas, ref + 21) == NULL)
                fail_msg("%s is not a schema", ref);
            ++*n;
        } else {
            refs_resolve(x, schemas, n);
        }
    }
}

/* Response schemas, their references and the examples: each route's .response names a schema
 * of gh_schemas, every $ref of the document resolves, every example names a route and its
 * JSON parts parse. */
static void openapi_responses_and_examples(void **state)
{
    (void)state;
    json_t *doc = gh_openapi();
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_non_null(json_object_get(schemas, "Problem"));
    for (const gh_schema *sc = gh_schemas; sc->name != NULL; sc++) {
        json_t *one = json_object_get(schemas, sc->name);
        assert_true(json_is_object(one));
        char *text = json_dumps(one, 0);
        if (strstr(text, "x-unknown-type") != NULL)
            fail_msg("schema %s: a type the spec language does not know: %s", sc->name, text);
        free(text);
    }
    size_t refs = 0;
    refs_resolve(doc, schemas, &refs);
    assert_true(refs > 100);
    for (const gh_route *r = gh_routes; r->method != NULL; r++)
        if (r->response != NULL && json_object_get(schemas, r->response) == NULL)
            fail_msg("%s %s: no schema %s", r->method, r->pattern, r->response);
    for (const gh_example *e = gh_examples; e->method != NULL; e++) {
        const gh_route *r = gh_routes;
        while (r->method != NULL &&
               (strcmp(r->method, e->method) != 0 || strcmp(r->pattern, e->pattern) != 0))
            r++;
        if (r->method == NULL)
            fail_msg("example %s %s: no such route", e->method, e->pattern);
        const char *parts[] = {e->params, e->query, r->consumes == NULL ? e->body : NULL};
        for (size_t i = 0; i < 3; i++) {
            if (parts[i] == NULL)
                continue;
            char *copy = strdup(parts[i]);
            for (char *p = copy; *p; p++)
                *p = *p == '\'' ? '"' : *p;
            json_t *j = json_loads(copy, JSON_REJECT_DUPLICATES, NULL);
            if (j == NULL)
                fail_msg("example %s %s: %s does not parse", e->method, e->pattern, parts[i]);
            json_decref(j);
            free(copy);
        }
    }
    json_decref(doc);
}

/* gh_json_dump writes what json_dumps(v, JSON_COMPACT) writes, and fails where it fails. */
static void expect_same_dump(json_t *v)
{
    size_t len = 0;
    char *mine = gh_json_dump(v, &len);
    char *theirs = json_dumps(v, JSON_COMPACT);
    assert_non_null(mine);
    assert_non_null(theirs);
    assert_string_equal(mine, theirs);
    assert_int_equal(len, strlen(theirs));
    free(mine);
    free(theirs);
    json_decref(v);
}

static void json_dump_as_jansson(void **state)
{
    (void)state;
    expect_same_dump(json_pack("{s:i, s:s, s:b, s:b, s:n, s:[i, i, s], s:{}, s:[]}", "id",
                               (json_int_t)-9007199254740993LL, "name", "Zhāng \"quoted\" \\ / <b>",
                               "t", 1, "f", 0, "none", "ids", 1, 2, "x", "empty", "list"));
    expect_same_dump(json_pack("{s:s}", "ctl", "a\b\f\n\r\t\x01\x1f\x7f end"));
    expect_same_dump(json_pack("{s:s, s:s}", "cjk", "\xe5\xbc\xa0\xe4\xbc\x9f", "sep",
                               "\xe2\x80\xa8 \xf0\x9f\x94\x91"));
    expect_same_dump(json_pack("[{s:{s:[{s:i}]}}]", "a", "b", "c", 3));
    expect_same_dump(json_pack("{s:s#}", "nul", "a\0b", (size_t)3));
    expect_same_dump(json_pack("{s:f}", "real", 1.5)); /* handed to jansson */
    json_t *o = json_object();                         /* insertion order, not sorted */
    json_object_set_new(o, "zeta", json_integer(1));
    json_object_set_new(o, "alpha", json_integer(2));
    json_object_set_new(o, "mid", json_string("x"));
    expect_same_dump(o);
    /* not UTF-8: both fail (respond() then answers 500, never a body it cannot stand for) */
    json_t *bad = json_object();
    json_object_set_new(bad, "s", json_stringn_nocheck("\xc3\x28", 2));
    size_t len = 0;
    assert_null(gh_json_dump(bad, &len));
    assert_null(json_dumps(bad, JSON_COMPACT));
    json_decref(bad);
    json_t *scalar = json_integer(1); /* not an object or array: NULL, as json_dumps */
    assert_null(gh_json_dump(scalar, &len));
    json_decref(scalar);
}

int main(void)
{
#define J(f) cmocka_unit_test_setup_teardown(f, jsetup, jteardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_match_paths),
        cmocka_unit_test(json_dump_as_jansson),
        cmocka_unit_test(route_match_method_not_allowed),
        cmocka_unit_test(route_match_console),
        cmocka_unit_test(web_paths),
        cmocka_unit_test(route_match_rejects_bad_paths),
        J(json_required_and_unknown),
        J(json_types),
        J(json_string_lengths_in_characters),
        J(json_ids),
        J(json_nested_access),
        cmocka_unit_test(error_codes),
        cmocka_unit_test(forward_apps),
        cmocka_unit_test(routes_deny_by_default),
        cmocka_unit_test(openapi_lists_every_route),
        cmocka_unit_test(openapi_responses_and_examples),
    };
#undef J
    return cmocka_run_group_tests(tests, NULL, NULL);
}
