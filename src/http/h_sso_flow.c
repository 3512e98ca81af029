/* /sso/{name}/start, /callback and /logout: the browser's side of single sign-on (core/sso.h),
 * and the Test action of an SSO source. These are pages, not API calls: every answer is a
 * redirect, to the provider or back into the console, where a failure is one code of
 * /signin?sso_error= (refused, unavailable, expired, cancelled, unknown_source) that the console
 * translates; never a problem+json page, never a 500 for what a provider did. The calls to the
 * provider run off the server threads (gh_http_run_async). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/signin.h"
#include "core/sso.h"
#include "http/encode.h"
#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

#define BINDING_COOKIE        "gh_sso"
#define BINDING_COOKIE_SECURE "__Host-gh_sso"

/* What a flow carries from its handler through the outbound job to its end (arena). */
typedef struct sso_job {
    const char *redirect_uri;
    gh_sso_started started;
    gh_sso_taken taken;
    const char *code;
    gh_oidc_claims claims;
    gh_sso_test test;
    gh_sso_source source;
    char *url; /* where the browser goes next */
    char why[160];
} sso_job;

/* The source name of /sso/{name}/...: the segment after "/sso/". */
static const char *path_name(gh_req *r)
{
    const char *p = r->path + strlen("/sso/");
    return gh_arena_printf(r->a, "%.*s", (int)strcspn(p, "/"), p);
}

static gh_err redirect(gh_req *r, const char *location)
{
    r->status = 302;
    r->location = location;
    return GH_OK;
}

/* Back to the sign-in page with a failure code. */
static gh_err back_to_signin(gh_req *r, const char *code)
{
    return redirect(r, gh_arena_printf(r->a, "/signin?sso_error=%s", code));
}

static const char *binding_cookie_name(gh_req *r)
{
    return gh_http_cookie_secure(r) ? BINDING_COOKIE_SECURE : BINDING_COOKIE;
}

/* The browser's binding value: its cookie when well-formed, else a new one (set on the answer). */
static const char *binding(gh_req *r, bool make)
{
    const char *v = gh_http_cookie(r, binding_cookie_name(r));
    if (v != NULL && strlen(v) == GH_SSO_BINDING_CHARS - 1 &&
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
            GH_SSO_BINDING_CHARS - 1)
        return v;
    if (!make)
        return NULL;
    char *fresh = gh_arena_alloc(r->a, GH_SSO_BINDING_CHARS);
    gh_oidc_random(fresh);
    /* Lax, not Strict: the provider's redirect back is a cross-site navigation */
    r->set_cookie = gh_arena_printf(r->a, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
                                    binding_cookie_name(r), fresh, GH_SSO_FLOW_SECONDS,
                                    gh_http_cookie_secure(r) ? "; Secure" : "");
    return fresh;
}

static gh_err need_db(gh_req *r)
{
    if (r->ctx.db == NULL)
        r->ctx.db = gh_http_db(r);
    return r->ctx.db != NULL ? GH_OK : GH_EDB;
}

/* ---- start ---- */

static void start_work(gh_req *r)
{
    sso_job *j = r->work_arg;
    r->work_err = gh_sso_authorize(gh_http_sso(r), r->a, &j->started, j->redirect_uri, &j->url,
                                   j->why, sizeof j->why);
}

static gh_err start_done(gh_req *r)
{
    sso_job *j = r->work_arg;
    if (r->work_err == GH_OK)
        return redirect(r, j->url);
    gh_log("warn", "sso_provider_failed", "source", j->started.source.name, "step", "discovery",
           "detail", j->why, NULL);
    r->ctx.now = gh_clock_now();
    if (need_db(r) == GH_OK)
        gh_sso_failed(&r->ctx, &j->started.source, j->why);
    return back_to_signin(r, "unavailable");
}

gh_err gh_h_sso_start(gh_req *r)
{
    const char *name = path_name(r);
    sso_job *j = gh_arena_alloc(r->a, sizeof *j);
    memset(j, 0, sizeof *j);
    if (gh_http_sso(r) == NULL)
        return back_to_signin(r, "unavailable");
    j->redirect_uri = gh_http_absolute_url(r, gh_arena_printf(r->a, "/sso/%s/callback", name));
    if (j->redirect_uri == NULL) {
        gh_log("error", "sso_no_external_url", "detail",
               "single sign-on needs --external-url (or a loopback Host)", NULL);
        return back_to_signin(r, "unavailable");
    }
    if (need_db(r) != GH_OK)
        return back_to_signin(r, "unavailable");
    gh_err err = gh_sso_start(&r->ctx, name, gh_query(r, "next"), binding(r, true), &j->started);
    if (err == GH_ENOTFOUND)
        return back_to_signin(r, "unknown_source");
    if (err != GH_OK)
        return back_to_signin(r, "unavailable");
    r->work_arg = j;
    return gh_http_run_async(r, start_work, start_done);
}

/* ---- callback ---- */

static void callback_work(gh_req *r)
{
    sso_job *j = r->work_arg;
    r->work_err = gh_sso_exchange(gh_http_sso(r), r->a, &j->taken, j->code, j->redirect_uri,
                                  gh_clock_now(), &j->claims, j->why, sizeof j->why);
    gh_sso_taken_wipe(&j->taken);
}

static gh_err callback_done(gh_req *r)
{
    sso_job *j = r->work_arg;
    r->ctx.now = gh_clock_now();
    if (need_db(r) != GH_OK)
        return back_to_signin(r, "unavailable");
    if (r->work_err != GH_OK) {
        bool down = r->work_err != GH_EUNAUTH;
        gh_log("warn", down ? "sso_provider_failed" : "sso_token_refused", "source",
               j->taken.source.name, "detail", j->why, NULL);
        gh_sso_failed(&r->ctx, &j->taken.source, j->why);
        return back_to_signin(r, down ? "unavailable" : "refused");
    }
    const char *ua = gh_utf8_clean(r->a, gh_http_header(r, "User-Agent"), GH_MAX_USER_AGENT);
    gh_signin_result res;
    gh_err err = gh_signin_sso(&r->ctx, &j->taken.source, &j->claims, ua, &res);
    if (err == GH_EUNAUTH)
        return back_to_signin(r, "refused");
    if (err != GH_OK)
        return back_to_signin(r, "unavailable");
    r->set_cookie =
        gh_http_session_cookie(r, res.token, gh_signin_config_of(&r->ctx)->absolute_seconds);
    sodium_memzero(res.token, strlen(res.token));
    return redirect(r, j->taken.next_path);
}

gh_err gh_h_sso_callback(gh_req *r)
{
    const char *name = path_name(r), *state = gh_query(r, "state"), *code = gh_query(r, "code");
    const char *error = gh_query(r, "error"), *iss = gh_query(r, "iss");
    sso_job *j = gh_arena_alloc(r->a, sizeof *j);
    memset(j, 0, sizeof *j);
    if (gh_http_sso(r) == NULL || need_db(r) != GH_OK)
        return back_to_signin(r, "unavailable");
    j->redirect_uri = gh_http_absolute_url(r, gh_arena_printf(r->a, "/sso/%s/callback", name));
    if (j->redirect_uri == NULL)
        return back_to_signin(r, "unavailable");
    /* the flow is used up by any answer that names it, an error included */
    gh_err err = gh_sso_take(&r->ctx, name, state, binding(r, false), &j->taken);
    if (err == GH_ENOTFOUND)
        return back_to_signin(r, "unknown_source");
    if (err == GH_EGONE)
        return back_to_signin(r, "expired");
    if (err != GH_OK)
        return back_to_signin(r, "unavailable");
    const char *refusal = NULL;
    if (error != NULL)
        refusal = gh_arena_printf(r->a, "the provider answered error %.64s", error);
    else if (code == NULL || code[0] == '\0')
        refusal = "the provider sent no code";
    else if (iss != NULL && strcmp(iss, j->taken.source.issuer) != 0) /* RFC 9207 */
        refusal = "the provider's answer names another issuer";
    if (refusal != NULL) {
        gh_sso_taken_wipe(&j->taken);
        gh_sso_failed(&r->ctx, &j->taken.source, gh_utf8_clean(r->a, refusal, 160));
        return back_to_signin(r, error != NULL && strcmp(error, "access_denied") == 0 ? "cancelled"
                                                                                      : "refused");
    }
    j->code = code;
    r->work_arg = j;
    return gh_http_run_async(r, callback_work, callback_done);
}

/* ---- logout at the provider ---- */

static void logout_work(gh_req *r)
{
    sso_job *j = r->work_arg;
    gh_oidc_provider p;
    r->work_err =
        gh_oidc_discover(&gh_http_sso(r)->net, r->a, j->source.issuer, &p, j->why, sizeof j->why);
    if (r->work_err == GH_OK && p.end_session_endpoint != NULL)
        r->work_err = gh_oidc_end_session_url(r->a, &p, j->source.client_id, j->redirect_uri,
                                              &j->url, j->why, sizeof j->why);
}

static gh_err logout_done(gh_req *r)
{
    sso_job *j = r->work_arg;
    if (r->work_err != GH_OK)
        gh_log("warn", "sso_logout_failed", "source", j->source.name, "detail", j->why, NULL);
    return redirect(r, r->work_err == GH_OK && j->url != NULL ? j->url : "/signin");
}

/* After signing out of Gatehouse (DELETE /api/v1/session said where): to the provider's
 * end_session_endpoint when the source asks for it and discovery names one, else the sign-in
 * page. It ends nothing here, so it needs no session. */
gh_err gh_h_sso_logout(gh_req *r)
{
    sso_job *j = gh_arena_alloc(r->a, sizeof *j);
    memset(j, 0, sizeof *j);
    j->redirect_uri = gh_http_absolute_url(r, "/signin");
    if (gh_http_sso(r) == NULL || j->redirect_uri == NULL || need_db(r) != GH_OK ||
        gh_sso_logout_source(&r->ctx, path_name(r), &j->source) != GH_OK)
        return redirect(r, "/signin");
    r->work_arg = j;
    return gh_http_run_async(r, logout_work, logout_done);
}

/* ---- the Test action ---- */

static void test_work(gh_req *r)
{
    sso_job *j = r->work_arg;
    r->work_err = gh_sso_probe(gh_http_sso(r), r->a, &j->source, gh_clock_now(), &j->test);
}

static gh_err test_done(gh_req *r)
{
    sso_job *j = r->work_arg;
    if (r->work_err != GH_OK)
        return r->work_err;
    const gh_sso_test *t = &j->test;
    if (!t->ok) {
        r->out = json_pack("{s:b, s:s, s:s}", "ok", 0, "stage", t->stage, "error",
                           gh_utf8_clean(r->a, t->error, 200));
        return GH_OK;
    }
    const gh_oidc_provider *p = &t->provider;
    json_t *methods = json_array(), *algs = json_array();
    if (p->auth_basic)
        json_array_append_new(methods, json_string("client_secret_basic"));
    if (p->auth_post)
        json_array_append_new(methods, json_string("client_secret_post"));
    for (size_t i = 0; i < p->n_algs; i++)
        json_array_append_new(algs, json_string(gh_utf8_clean(r->a, p->algs[i], 64)));
    r->out =
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "ok", 1, "issuer", p->issuer,
                  "authorization_endpoint", p->authorization_endpoint, "token_endpoint",
                  p->token_endpoint, "jwks_uri", p->jwks_uri, "end_session_endpoint",
                  p->end_session_endpoint ? json_string(p->end_session_endpoint) : json_null(),
                  "token_auth_methods", methods, "signing_algs", algs, "keys", (json_int_t)t->keys);
    return r->out != NULL ? GH_OK : GH_EINTERNAL;
}

gh_err gh_h_sso_test(gh_req *r)
{
    sso_job *j = gh_arena_alloc(r->a, sizeof *j);
    memset(j, 0, sizeof *j);
    gh_err err = gh_core_sso_get(&r->ctx, r->id, &j->source);
    if (err != GH_OK)
        return err;
    if (gh_http_sso(r) == NULL)
        return gh_fail(&r->ctx, GH_ECONFLICT, NULL, NULL,
                       "single sign-on is not set up on this server");
    r->work_arg = j;
    return gh_http_run_async(r, test_work, test_done);
}
