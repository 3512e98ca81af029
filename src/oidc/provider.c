/* Talking to a provider: discovery (OpenID Connect Discovery 1.0) read strictly into a typed
 * gh_oidc_provider, and the authorization-code exchange at its token endpoint (RFC 6749 4.1.3
 * with PKCE, RFC 7636). */
#include "oidc/internal.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WELL_KNOWN "/.well-known/openid-configuration"

/* ---- discovery ---- */

/* Reads the URL member name of o into *out (arena); when optional, absent or null gives NULL.
 * GH_EUPSTREAM (why) when it is missing or fails the URL policy. */
static gh_err read_url(const gh_oidc_net *net, gh_arena *a, json_t *o, const char *name,
                       bool optional, const char **out, char *why, size_t cap)
{
    json_t *v = json_object_get(o, name);
    char reason[96] = "";
    if ((v == NULL || json_is_null(v)) && optional) {
        *out = NULL;
        return GH_OK;
    }
    if (!json_is_string(v))
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "%s missing", name);
    if (gh_oidc_url_check(net, json_string_value(v), true, reason, sizeof reason) != GH_OK)
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "%s refused: %s", name, reason);
    *out = gh_arena_strdup(a, json_string_value(v));
    return GH_OK;
}

/* token_endpoint_auth_methods_supported into p; NULL on success, else the reason. */
static const char *read_auth_methods(json_t *o, gh_oidc_provider *p)
{
    json_t *v = json_object_get(o, "token_endpoint_auth_methods_supported"), *m;
    size_t i;
    if (v == NULL) {
        p->auth_basic = true; /* the default of Discovery 1.0 section 3 */
        return NULL;
    }
    if (!json_is_array(v))
        return "token_endpoint_auth_methods_supported is not an array";
    json_array_foreach(v, i, m)
    {
        const char *s = json_string_value(m);
        p->auth_basic |= s != NULL && strcmp(s, "client_secret_basic") == 0;
        p->auth_post |= s != NULL && strcmp(s, "client_secret_post") == 0;
    }
    if (!p->auth_basic && !p->auth_post)
        return "neither client_secret_basic nor client_secret_post supported";
    return NULL;
}

/* id_token_signing_alg_values_supported into p (strings in a); NULL on success, else why not. */
static const char *read_algs(gh_arena *a, json_t *o, gh_oidc_provider *p)
{
    json_t *v = json_object_get(o, "id_token_signing_alg_values_supported"), *m;
    size_t i;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v))
        return "id_token_signing_alg_values_supported is not an array";
    p->algs = gh_arena_alloc(a, GH_OIDC_MAX_ALGS * sizeof *p->algs);
    json_array_foreach(v, i, m)
    {
        if (json_is_string(m) && p->n_algs < GH_OIDC_MAX_ALGS)
            p->algs[p->n_algs++] = gh_arena_strdup(a, json_string_value(m));
    }
    return NULL;
}

/* The configuration document o into *p; GH_EUPSTREAM with why when it does not do. */
static gh_err read_config(const gh_oidc_net *net, gh_arena *a, const char *issuer, json_t *o,
                          gh_oidc_provider *p, char *why, size_t cap)
{
    static const struct {
        const char *name;
        size_t offset;
        bool optional;
    } urls[] = {
        {"authorization_endpoint", offsetof(gh_oidc_provider, authorization_endpoint), false},
        {"token_endpoint", offsetof(gh_oidc_provider, token_endpoint), false},
        {"jwks_uri", offsetof(gh_oidc_provider, jwks_uri), false},
        {"end_session_endpoint", offsetof(gh_oidc_provider, end_session_endpoint), true},
    };
    const char *iss = json_string_value(json_object_get(o, "issuer"));
    if (iss == NULL || strcmp(iss, issuer) != 0)
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "issuer mismatch");
    p->issuer = gh_arena_strdup(a, issuer);
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        const char **field = (const char **)((char *)p + urls[i].offset);
        gh_err err = read_url(net, a, o, urls[i].name, urls[i].optional, field, why, cap);
        if (err != GH_OK)
            return err;
    }
    const char *bad = read_auth_methods(o, p);
    if (bad == NULL)
        bad = read_algs(a, o, p);
    return bad == NULL ? GH_OK : gh_oidc_fail(GH_EUPSTREAM, why, cap, "%s", bad);
}

gh_err gh_oidc_discover(const gh_oidc_net *net, gh_arena *a, const char *issuer,
                        gh_oidc_provider *out, char *why, size_t cap)
{
    gh_oidc_response res = {0};
    json_t *o = NULL;
    gh_oidc_provider p = {0};
    gh_err err = gh_oidc_check_issuer(net, issuer, why, cap);
    if (err != GH_OK)
        return err;
    size_t n = strlen(issuer);
    if (issuer[n - 1] == '/')
        n--;
    const char *url = gh_arena_printf(a, "%.*s" WELL_KNOWN, (int)n, issuer);
    err = gh_oidc_http(net, &(gh_oidc_request){.url = url}, &res, why, cap);
    if (err == GH_EINVAL)
        err = GH_EUPSTREAM; /* the issuer passed: only the length can have failed */
    if (err != GH_OK)
        goto out;
    err = GH_EUPSTREAM;
    if (res.status != 200)
        gh_oidc_fail(err, why, cap, "discovery answered HTTP %ld", res.status);
    else if ((o = gh_oidc_json_object(res.body, res.len)) == NULL)
        gh_oidc_fail(err, why, cap, "discovery did not answer a JSON object");
    else
        err = read_config(net, a, issuer, o, &p, why, cap);
    if (err == GH_OK)
        *out = p;
out:
    json_decref(o);
    gh_oidc_response_free(&res);
    return err;
}

/* ---- the code exchange ---- */

#define FORM_PAIRS 8

/* A form-urlencoded body: n pairs name=value joined by '&' (names are ours and safe; values
 * escaped by libcurl), malloc'd, its length in *len: the caller wipes and frees it (it holds
 * secrets). NULL when out of memory. */
static char *form_encode(const char *const pairs[][2], size_t n, size_t *len)
{
    char *esc[FORM_PAIRS] = {0}, *s = NULL;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        if ((esc[i] = curl_easy_escape(NULL, pairs[i][1], 0)) == NULL)
            goto out;
        total += strlen(pairs[i][0]) + 1 + strlen(esc[i]) + 1;
    }
    if ((s = malloc(total)) == NULL)
        goto out;
    *len = 0;
    for (size_t i = 0; i < n; i++)
        *len +=
            (size_t)snprintf(s + *len, total - *len, "%s%s=%s", i ? "&" : "", pairs[i][0], esc[i]);
out:
    for (size_t i = 0; i < n; i++) {
        if (esc[i] != NULL)
            sodium_memzero(esc[i], strlen(esc[i]));
        curl_free(esc[i]);
    }
    return s;
}

static void wipe_free(char *s)
{
    if (s != NULL)
        sodium_memzero(s, strlen(s));
    free(s);
}

/* libcurl's escaped copy of s (RFC 6749 2.3.1 form-urlencodes the Basic credentials), wiped on
 * release: the secret goes through here. */
static char *escape_copy(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0), *c = e != NULL ? strdup(e) : NULL;
    if (e != NULL)
        sodium_memzero(e, strlen(e));
    curl_free(e);
    return c;
}

/* The provider's error code, reduced to the characters RFC 6749 5.2 allows (cut at 64). */
static void clean_error(const char *code, char out[65])
{
    size_t k = 0;
    for (; code[k] != '\0' && k < 64; k++)
        out[k] =
            code[k] >= 0x20 && code[k] <= 0x7e && code[k] != '"' && code[k] != '\\' ? code[k] : '?';
    out[k] = '\0';
}

/* The token endpoint's answer res into *id_token (arena). */
static gh_err read_token_response(gh_arena *a, const gh_oidc_response *res, char **id_token,
                                  char *why, size_t cap)
{
    json_t *o = gh_oidc_json_object(res->body, res->len);
    const char *tok = json_string_value(json_object_get(o, "id_token"));
    const char *error = json_string_value(json_object_get(o, "error"));
    gh_err err = GH_EUPSTREAM;
    char code[65];
    if (res->status == 200 && tok != NULL) {
        *id_token = gh_arena_strdup(a, tok);
        err = GH_OK;
    } else if (res->status == 200) {
        gh_oidc_fail(err, why, cap, "token endpoint answered no id_token");
    } else if (res->status >= 400 && res->status < 500 && error != NULL) {
        clean_error(error, code);
        err = gh_oidc_fail(GH_EUNAUTH, why, cap, "provider refused: %s", code);
    } else {
        gh_oidc_fail(err, why, cap, "token endpoint answered HTTP %ld", res->status);
    }
    json_decref(o);
    return err;
}

gh_err gh_oidc_token(const gh_oidc_net *net, gh_arena *a, const gh_oidc_provider *p,
                     const char *client_id, const char *client_secret, const char *code,
                     const char *redirect_uri, const char *code_verifier, char **id_token,
                     char *why, size_t cap)
{
    if (p == NULL || p->token_endpoint == NULL || client_id == NULL || client_secret == NULL ||
        code == NULL || redirect_uri == NULL || code_verifier == NULL)
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    if (!p->auth_basic && !p->auth_post)
        return gh_oidc_fail(GH_EINVAL, why, cap, "no supported client authentication");
    bool basic = p->auth_basic;
    const char *const pairs[FORM_PAIRS][2] = {
        {"grant_type", "authorization_code"},
        {"code", code},
        {"redirect_uri", redirect_uri},
        {"code_verifier", code_verifier},
        {"client_id", client_id},
        {"client_secret", client_secret},
    };
    gh_oidc_response res = {0};
    size_t len = 0;
    /* client_secret_post adds the last two pairs; basic sends them as the credentials */
    char *form = form_encode(pairs, basic ? 4 : 6, &len);
    char *user = basic ? escape_copy(client_id) : NULL;
    char *pass = basic ? escape_copy(client_secret) : NULL;
    gh_err err = GH_ENOMEM;
    if (form == NULL || (basic && (user == NULL || pass == NULL))) {
        gh_oidc_fail(err, why, cap, "out of memory");
        goto out;
    }
    gh_oidc_request rq = {
        .url = p->token_endpoint, .form = form, .form_len = len, .user = user, .password = pass};
    err = gh_oidc_http(net, &rq, &res, why, cap);
    if (err == GH_OK)
        err = read_token_response(a, &res, id_token, why, cap);
out:
    gh_oidc_response_free(&res);
    wipe_free(form);
    wipe_free(user);
    wipe_free(pass);
    return err;
}

/* ---- the browser's way to the provider ---- */

/* endpoint with the pairs appended to its query ('?' or '&' as it has one), in a. */
static gh_err append_query(gh_arena *a, const char *endpoint, const char *const pairs[][2],
                           size_t n, char **url, char *why, size_t cap)
{
    size_t len = 0;
    char *q = form_encode(pairs, n, &len);
    if (q == NULL)
        return gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
    *url = gh_arena_printf(a, "%s%c%s", endpoint, strchr(endpoint, '?') ? '&' : '?', q);
    free(q);
    return *url != NULL ? GH_OK : gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
}

gh_err gh_oidc_authorize_url(gh_arena *a, const gh_oidc_provider *p, const gh_oidc_authorize *r,
                             char **url, char *why, size_t cap)
{
    if (p == NULL || p->authorization_endpoint == NULL || r->client_id == NULL ||
        r->redirect_uri == NULL || r->scope == NULL || r->state == NULL || r->nonce == NULL ||
        r->code_challenge == NULL)
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    const char *const pairs[][2] = {
        {"response_type", "code"},
        {"client_id", r->client_id},
        {"redirect_uri", r->redirect_uri},
        {"scope", r->scope},
        {"state", r->state},
        {"nonce", r->nonce},
        {"code_challenge", r->code_challenge},
        {"code_challenge_method", "S256"},
    };
    return append_query(a, p->authorization_endpoint, pairs, sizeof pairs / sizeof *pairs, url, why,
                        cap);
}

gh_err gh_oidc_end_session_url(gh_arena *a, const gh_oidc_provider *p, const char *client_id,
                               const char *post_logout_redirect_uri, char **url, char *why,
                               size_t cap)
{
    if (p == NULL || p->end_session_endpoint == NULL || client_id == NULL ||
        post_logout_redirect_uri == NULL)
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    const char *const pairs[][2] = {{"client_id", client_id},
                                    {"post_logout_redirect_uri", post_logout_redirect_uri}};
    return append_query(a, p->end_session_endpoint, pairs, 2, url, why, cap);
}
