/* Unit tests of oidc/: ID token verification with keys made by cjose in the test (RS256, PS256
 * and ES256 accepted; none, HS256, an alg that does not fit the key and a forged signature
 * refused; every claim check), the key cache's refetch rule under an injected clock, the issuer
 * URL policy, PKCE against RFC 7636 Appendix B, and discovery and the code exchange against a
 * real HTTP listener on 127.0.0.1 (a thread answering canned responses over plain sockets):
 * redirects not followed, the size cap, a timeout, the target address policy, and the client
 * authentication the listener received. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <cjose/cjose.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "oidc/oidc.h"

#define T0     1800000000
#define ISS    "https://idp.example/realm"
#define CLIENT "gatehouse"
#define NONCE  "n-0S6_WzA2Mj"
#define JWKS   "https://idp.example/jwks" /* only ever seeded: never fetched */

/* Keys made once for the whole file; "other" shares rsa's kid but is another key. */
static cjose_jwk_t *rsa, *other, *ec, *rsa2;
static const gh_oidc_net LOCAL = {.allow_loopback = true};

/* ---- tokens ---- */

static cjose_jwk_t *new_key(bool is_rsa, const char *kid)
{
    cjose_err ce;
    cjose_jwk_t *k = is_rsa ? cjose_jwk_create_RSA_random(2048, NULL, 0, &ce)
                            : cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &ce);
    assert_non_null(k);
    assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &ce));
    return k;
}

/* {"keys":[the public JWKs of ks]} (malloc'd); extra, when set, is merged into the first key. */
static char *jwks_of(const cjose_jwk_t *const *ks, size_t n, const char *extra)
{
    json_t *list = json_array();
    cjose_err ce;
    for (size_t i = 0; i < n; i++) {
        char *pub = cjose_jwk_to_json(ks[i], false, &ce);
        json_t *j = json_loads(pub, 0, NULL);
        free(pub);
        json_t *more = i == 0 && extra != NULL ? json_loads(extra, 0, NULL) : NULL;
        json_object_update(j, more);
        json_decref(more);
        json_array_append_new(list, j);
    }
    json_t *o = json_pack("{s:o}", "keys", list);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Claims every check passes at T0; tests change them. */
static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b}", "iss", ISS, "aud", CLIENT,
                     "sub", "user-1", "nonce", NONCE, "iat", (json_int_t)T0, "exp",
                     (json_int_t)T0 + 3600, "email", "alice@example.com", "preferred_username",
                     "alice", "email_verified", 1);
}

/* A compact JWS of c (consumed) signed by k with alg and kid (NULL: no kid), in a. */
static char *sign(gh_arena *a, const cjose_jwk_t *k, const char *alg, const char *kid, json_t *c)
{
    cjose_err ce;
    const char *ser = NULL;
    char *payload = json_dumps(c, JSON_COMPACT);
    cjose_header_t *h = cjose_header_new(&ce);
    assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &ce));
    if (kid != NULL)
        assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &ce));
    cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)payload, strlen(payload), &ce);
    assert_non_null(jws);
    assert_true(cjose_jws_export(jws, &ser, &ce));
    char *out = gh_arena_strdup(a, ser);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(payload);
    json_decref(c);
    return out;
}

static char *b64url(gh_arena *a, const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = gh_arena_alloc(a, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* ---- fixtures ---- */

typedef struct fixture {
    gh_oidc_keys *keys;
    gh_arena *a;
    gh_oidc_expect e;
    char why[128];
} fixture;

static int group_setup(void **state)
{
    assert_int_equal(gh_oidc_init(), GH_OK);
    rsa = new_key(true, "rsa1");
    other = new_key(true, "rsa1");
    ec = new_key(false, "ec1");
    rsa2 = new_key(true, "rsa2");
    return 0;
}

static int group_teardown(void **state)
{
    cjose_jwk_release(rsa);
    cjose_jwk_release(other);
    cjose_jwk_release(ec);
    cjose_jwk_release(rsa2);
    return 0;
}

/* A cache holding {rsa, ec} for JWKS, put at T0. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const cjose_jwk_t *ks[] = {rsa, ec};
    char *jwks = jwks_of(ks, 2, NULL);
    assert_int_equal(gh_oidc_keys_new(&f->keys), GH_OK);
    assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, jwks, strlen(jwks), T0, NULL, 0), GH_OK);
    free(jwks);
    f->a = gh_arena_new();
    f->e = (gh_oidc_expect){
        .issuer = ISS, .client_id = CLIENT, .nonce = NONCE, .now = T0 + 10, .skew_s = 60};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gh_oidc_keys_free(f->keys);
    gh_arena_free(f->a);
    free(f);
    return 0;
}

static gh_err verify(fixture *f, const char *token, gh_oidc_claims *out)
{
    gh_oidc_claims ignored;
    f->why[0] = '\0';
    return gh_oidc_verify(f->keys, &LOCAL, JWKS, f->a, token, &f->e, out ? out : &ignored, f->why,
                          sizeof f->why);
}

/* Asserts that token is refused with a reason containing want. */
static void refused(fixture *f, const char *token, const char *want)
{
    gh_oidc_claims c = {.sub = "untouched"};
    assert_int_equal(verify(f, token, &c), GH_EUNAUTH);
    if (strstr(f->why, want) == NULL)
        fail_msg("reason \"%s\", expected \"%s\"", f->why, want);
    assert_string_equal(c.sub, "untouched"); /* outputs only on success */
}

/* ---- signatures and algorithms ---- */

static void accepts_rs256_ps256_es256(void **state)
{
    fixture *f = *state;
    gh_oidc_claims c = {0};
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), &c), GH_OK);
    assert_string_equal(c.sub, "user-1");
    assert_string_equal(c.value, "user-1");
    assert_int_equal(c.iat, T0);
    assert_int_equal(c.exp, T0 + 3600);
    assert_false(c.amr_mfa);
    assert_true(c.email_verified);
    assert_int_equal(verify(f, sign(f->a, rsa, "PS256", "rsa1", claims()), NULL), GH_OK);
    assert_int_equal(verify(f, sign(f->a, ec, "ES256", "ec1", claims()), NULL), GH_OK);
}

/* header.payload. with an empty signature, built by hand (cjose signs no "none"). */
static void refuses_alg_none(void **state)
{
    fixture *f = *state;
    json_t *c = claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    char *tok = gh_arena_printf(f->a, "%s.%s.", b64url(f->a, "{\"alg\":\"none\",\"kid\":\"rsa1\"}"),
                                b64url(f->a, payload));
    free(payload);
    assert_int_equal(verify(f, tok, NULL), GH_EUNAUTH);
    tok = gh_arena_printf(f->a, "%s.%s.", b64url(f->a, "{\"alg\":\"none\"}"), b64url(f->a, "{}"));
    assert_int_equal(verify(f, tok, NULL), GH_EUNAUTH);
}

/* The classic confusion: HS256 keyed with the bytes of the RSA public key. */
static void refuses_hs256_with_the_public_key(void **state)
{
    fixture *f = *state;
    cjose_err ce;
    char *pub = cjose_jwk_to_json(rsa, false, &ce);
    cjose_jwk_t *hmac = cjose_jwk_create_oct_spec((const uint8_t *)pub, strlen(pub), &ce);
    assert_non_null(hmac);
    refused(f, sign(f->a, hmac, "HS256", "rsa1", claims()), "algorithm not allowed");
    refused(f, sign(f->a, hmac, "HS512", NULL, claims()), "algorithm not allowed");
    refused(f, sign(f->a, rsa, "RS384", "rsa1", claims()), "algorithm not allowed");
    cjose_jwk_release(hmac);
    free(pub);
}

static void refuses_alg_that_does_not_fit_the_key(void **state)
{
    fixture *f = *state;
    refused(f, sign(f->a, ec, "ES256", "rsa1", claims()), "does not match the key");
    refused(f, sign(f->a, rsa, "RS256", "ec1", claims()), "does not match the key");
    refused(f, sign(f->a, rsa, "PS256", "ec1", claims()), "does not match the key");
}

/* A JWK that names its own alg pins it: PS256 refused on a key marked RS256. */
static void jwk_alg_pins_the_token_alg(void **state)
{
    fixture *f = *state;
    const cjose_jwk_t *ks[] = {rsa};
    char *jwks = jwks_of(ks, 1, "{\"alg\":\"RS256\",\"use\":\"sig\"}");
    assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, jwks, strlen(jwks), T0, NULL, 0), GH_OK);
    free(jwks);
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), NULL), GH_OK);
    refused(f, sign(f->a, rsa, "PS256", "rsa1", claims()), "does not match the key");
}

/* Keys we cannot or must not verify with are not in the set. */
static void unusable_jwks_keys_skipped(void **state)
{
    fixture *f = *state;
    const cjose_jwk_t *ks[] = {rsa};
    char *jwks = jwks_of(ks, 1, "{\"use\":\"enc\"}");
    assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, jwks, strlen(jwks), T0, NULL, 0), GH_OK);
    free(jwks);
    refused(f, sign(f->a, rsa, "RS256", "rsa1", claims()), "unknown signing key");
    cjose_err ce;
    cjose_jwk_t *small = cjose_jwk_create_RSA_random(1024, NULL, 0, &ce);
    assert_true(cjose_jwk_set_kid(small, "small", 5, &ce));
    const cjose_jwk_t *ks2[] = {small};
    jwks = jwks_of(ks2, 1, NULL);
    assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, jwks, strlen(jwks), T0, NULL, 0), GH_OK);
    free(jwks);
    refused(f, sign(f->a, small, "RS256", "small", claims()), "unknown signing key");
    cjose_jwk_release(small);
    const char *bad[] = {"", "[]", "{}", "{\"keys\":{}}", "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, bad[i], strlen(bad[i]), T0, NULL, 0),
                         GH_EUPSTREAM);
}

static void refuses_a_forged_signature(void **state)
{
    fixture *f = *state;
    refused(f, sign(f->a, other, "RS256", "rsa1", claims()), "bad signature");
    char *tok = sign(f->a, rsa, "RS256", "rsa1", claims());
    tok[strlen(tok) - 3] ^= 1; /* a flipped bit in the signature */
    assert_int_equal(verify(f, tok, NULL), GH_EUNAUTH);
    refused(f, "not.a.token", "malformed");
    refused(f, "", "no token");
}

/* No kid: the set's only key, when it has exactly one. */
static void token_without_kid(void **state)
{
    fixture *f = *state;
    refused(f, sign(f->a, rsa, "RS256", NULL, claims()), "names no key");
    const cjose_jwk_t *ks[] = {ec};
    char *jwks = jwks_of(ks, 1, NULL);
    assert_int_equal(gh_oidc_keys_put(f->keys, JWKS, jwks, strlen(jwks), T0, NULL, 0), GH_OK);
    free(jwks);
    assert_int_equal(verify(f, sign(f->a, ec, "ES256", NULL, claims()), NULL), GH_OK);
    refused(f, sign(f->a, rsa, "RS256", NULL, claims()), "does not match the key");
}

/* ---- claims ---- */

/* claims() with name set to v (NULL: removed), signed RS256. */
static char *with(fixture *f, const char *name, json_t *v)
{
    json_t *c = claims();
    if (v != NULL)
        json_object_set_new(c, name, v);
    else
        json_object_del(c, name);
    return sign(f->a, rsa, "RS256", "rsa1", c);
}

static void claim_checks(void **state)
{
    fixture *f = *state;
    refused(f, with(f, "iss", json_string("https://idp.example/other")), "wrong issuer");
    refused(f, with(f, "iss", json_string(ISS "/")), "wrong issuer");
    refused(f, with(f, "iss", NULL), "wrong issuer");
    refused(f, with(f, "aud", json_string("someone-else")), "wrong audience");
    refused(f, with(f, "aud", json_pack("[s]", "someone-else")), "wrong audience");
    refused(f, with(f, "aud", NULL), "wrong audience");
    refused(f, with(f, "aud", json_pack("[s, s]", CLIENT, "api")), "no azp");
    json_t *c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", CLIENT, "api"));
    json_object_set_new(c, "azp", json_string(CLIENT));
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", c), NULL), GH_OK);
    assert_int_equal(verify(f, with(f, "aud", json_pack("[s]", CLIENT)), NULL), GH_OK);
    refused(f, with(f, "azp", json_string("api")), "wrong azp");
    refused(f, with(f, "exp", json_integer(T0 + 10 - 61)), "expired");
    refused(f, with(f, "exp", NULL), "no expiry");
    assert_int_equal(verify(f, with(f, "exp", json_integer(T0 + 10 - 59)), NULL), GH_OK); /* skew */
    refused(f, with(f, "iat", json_integer(T0 + 10 + 61)), "in the future");
    refused(f, with(f, "iat", NULL), "no issue time");
    refused(f, with(f, "nbf", json_integer(T0 + 10 + 61)), "not yet valid");
    refused(f, with(f, "nonce", NULL), "missing nonce");
    refused(f, with(f, "nonce", json_string("n-0S6_WzA2Mk")), "wrong nonce");
    refused(f, with(f, "nonce", json_string(NONCE "x")), "wrong nonce");
    refused(f, with(f, "nonce", json_integer(1)), "missing nonce");
    refused(f, with(f, "sub", NULL), "no subject");
}

static void claim_selection(void **state)
{
    fixture *f = *state;
    gh_oidc_claims c = {0};
    f->e.claim = "email";
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), &c), GH_OK);
    assert_string_equal(c.value, "alice@example.com");
    assert_string_equal(c.sub, "user-1");
    f->e.claim = "preferred_username";
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), &c), GH_OK);
    assert_string_equal(c.value, "alice");
    refused(f, with(f, "preferred_username", NULL), "claim missing");
    refused(f, with(f, "preferred_username", json_integer(7)), "claim missing");
    refused(f, with(f, "preferred_username", json_string("")), "claim missing");
    /* jansson refuses \u0000 in the payload as a whole (no JSON_ALLOW_NUL) */
    refused(f, with(f, "preferred_username", json_stringn("al\0ice", 6)), "not a JSON object");
    f->e.claim = "groups";
    refused(f, sign(f->a, rsa, "RS256", "rsa1", claims()), "claim missing");
}

static void amr_mfa(void **state)
{
    fixture *f = *state;
    gh_oidc_claims c = {0};
    const char *mfa[] = {"mfa", "otp", "hwk"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(verify(f, with(f, "amr", json_pack("[s, s]", "pwd", mfa[i])), &c), GH_OK);
        assert_true(c.amr_mfa);
    }
    assert_int_equal(verify(f, with(f, "amr", json_pack("[s]", "pwd")), &c), GH_OK);
    assert_false(c.amr_mfa);
    assert_int_equal(verify(f, with(f, "amr", json_string("mfa")), &c), GH_OK);
    assert_false(c.amr_mfa);
    assert_int_equal(verify(f, with(f, "email_verified", json_string("true")), &c), GH_OK);
    assert_false(c.email_verified);
}

static void caller_must_expect_a_nonce(void **state)
{
    fixture *f = *state;
    f->e.nonce = NULL;
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), NULL), GH_EINVAL);
    f->e.nonce = "";
    assert_int_equal(verify(f, sign(f->a, rsa, "RS256", "rsa1", claims()), NULL), GH_EINVAL);
}

/* Verifications from several threads on one cache (run under the sanitizers too). */
typedef struct worker {
    fixture *f;
    const char *token;
    int ok;
} worker;

static void *verify_many(void *arg)
{
    worker *w = arg;
    gh_arena *a = gh_arena_new();
    for (int i = 0; i < 20; i++) {
        gh_oidc_claims c;
        w->ok +=
            gh_oidc_verify(w->f->keys, &LOCAL, JWKS, a, w->token, &w->f->e, &c, NULL, 0) == GH_OK;
    }
    gh_arena_free(a);
    return NULL;
}

static void threads_share_the_cache(void **state)
{
    fixture *f = *state;
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.f = f,
                        .token = i % 2 ? sign(f->a, ec, "ES256", "ec1", claims())
                                       : sign(f->a, rsa, "PS256", "rsa1", claims())};
        assert_int_equal(pthread_create(&t[i], NULL, verify_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
}

/* ---- issuer policy, random values, PKCE ---- */

static void issuer_policy(void **state)
{
    static const struct {
        const char *url;
        bool loopback, ok;
    } cases[] = {
        {"https://idp.example", false, true},
        {"https://idp.example/realms/acme", false, true},
        {"https://idp.example:8443/", false, true},
        {"https://127.0.0.1/", false, true}, /* the address is checked when connecting */
        {"http://idp.example", false, false},
        {"http://idp.example", true, false},
        {"http://127.0.0.1:8080", false, false},
        {"http://127.0.0.1:8080", true, true},
        {"http://127.5.0.1", true, true},
        {"http://[::1]:9000/x", true, true},
        {"http://localhost:9000", true, true},
        {"http://10.0.0.1", true, false},
        {"http://localhost.evil.example", true, false},
        {"https://user:pw@idp.example", false, false},
        {"https://user@idp.example", false, false},
        {"https://idp.example/?a=1", false, false},
        {"https://idp.example/#f", false, false},
        {"ftp://idp.example", false, false},
        {"idp.example", false, false},
        {"https://", false, false},
        {"https:///path", false, false},
        {"https://\\path", false, false},
        {"https:path", false, false},
        {"https://idp example", false, false},
        {"https://idp.example/\n", false, false},
        {"", false, false},
        {"javascript:alert(1)", false, false},
    };
    char why[128];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_oidc_net net = {.allow_loopback = cases[i].loopback};
        why[0] = '\0';
        gh_err err = gh_oidc_check_issuer(&net, cases[i].url, why, sizeof why);
        if (err != (cases[i].ok ? GH_OK : GH_EINVAL))
            fail_msg("%s (loopback %d): %s %s", cases[i].url, cases[i].loopback, gh_err_str(err),
                     why);
        if (!cases[i].ok)
            assert_true(why[0] != '\0');
    }
    gh_oidc_net net = {0};
    assert_int_equal(gh_oidc_check_issuer(&net, NULL, NULL, 0), GH_EINVAL);
    char *longer = calloc(1, GH_OIDC_MAX_URL_BYTES + 2);
    memcpy(longer, "https://idp.example/", 20);
    memset(longer + 20, 'a', GH_OIDC_MAX_URL_BYTES - 19);
    assert_int_equal(gh_oidc_check_issuer(&net, longer, why, sizeof why), GH_EINVAL);
    free(longer);
}

static void pkce_and_random(void **state)
{
    char out[GH_OIDC_RANDOM_CHARS], again[GH_OIDC_RANDOM_CHARS];
    gh_oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
    assert_string_equal(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    gh_oidc_random(out);
    gh_oidc_random(again);
    assert_int_equal(strlen(out), 43);
    assert_int_equal(
        strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_string_not_equal(out, again);
}

/* ---- a listener on 127.0.0.1 ---- */

#define ROUTES 8

typedef struct route {
    const char *path;
    char *response; /* the whole HTTP response; NULL: never answer */
    int hits;
} route;

typedef struct listener {
    int fd, port, wake[2];
    pthread_t thread;
    pthread_mutex_t mu;
    route routes[ROUTES];
    size_t n;
    char last[16384]; /* the last request read (head and body) */
    char base[64];    /* http://127.0.0.1:port */
    gh_arena *a;
    char why[128];
} listener;

/* Reads one request from c into l->last (head, then Content-Length bytes of body). */
static size_t read_request(int c, char *buf, size_t cap)
{
    size_t len = 0, want = 0;
    while (len < cap - 1) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0)
            break;
        ssize_t k = recv(c, buf + len, cap - 1 - len, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        char *cl = strcasestr(buf, "\r\nContent-Length:");
        want = (size_t)(end + 4 - buf) + (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        if (len >= want)
            break;
    }
    buf[len] = '\0';
    return len;
}

static void serve(listener *l, int c)
{
    char req[sizeof l->last];
    read_request(c, req, sizeof req);
    char path[256] = "";
    sscanf(req, "%*s %255s", path);
    pthread_mutex_lock(&l->mu);
    memcpy(l->last, req, sizeof req);
    route *r = NULL;
    for (size_t i = 0; i < l->n && r == NULL; i++)
        if (strcmp(l->routes[i].path, path) == 0)
            r = &l->routes[i];
    if (r != NULL)
        r->hits++;
    const char *canned = r != NULL ? r->response : "HTTP/1.1 404 X\r\nContent-Length: 0\r\n\r\n";
    char *resp = canned != NULL ? strdup(canned) : NULL; /* route_set() may replace it */
    pthread_mutex_unlock(&l->mu);
    if (r != NULL && resp == NULL) { /* hang until the client gives up */
        struct pollfd p[2] = {{c, POLLIN, 0}, {l->wake[0], POLLIN, 0}};
        char b[64];
        while (poll(p, 2, 3000) > 0 && !p[1].revents && recv(c, b, sizeof b, 0) > 0)
            ;
        return;
    }
    for (size_t off = 0, n = strlen(resp); off < n;) {
        ssize_t k = send(c, resp + off, n - off, MSG_NOSIGNAL);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    free(resp);
}

static void *listen_loop(void *arg)
{
    listener *l = arg;
    for (;;) {
        struct pollfd p[2] = {{l->fd, POLLIN, 0}, {l->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 || p[1].revents)
            return NULL;
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve(l, c);
        close(c);
    }
}

static int listener_setup(void **state)
{
    listener *l = calloc(1, sizeof *l);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof sa;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l->fd, 16), 0);
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&sa, &n), 0);
    l->port = ntohs(sa.sin_port);
    snprintf(l->base, sizeof l->base, "http://127.0.0.1:%d", l->port);
    assert_int_equal(pipe(l->wake), 0);
    pthread_mutex_init(&l->mu, NULL);
    l->a = gh_arena_new();
    assert_int_equal(pthread_create(&l->thread, NULL, listen_loop, l), 0);
    *state = l;
    return 0;
}

static int listener_teardown(void **state)
{
    listener *l = *state;
    assert_int_equal(write(l->wake[1], "x", 1), 1);
    pthread_join(l->thread, NULL);
    for (size_t i = 0; i < l->n; i++)
        free(l->routes[i].response);
    close(l->fd);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    gh_arena_free(l->a);
    free(l);
    return 0;
}

/* Answers path with status, extra header lines and body (NULL body: never answer). */
static void route_set(listener *l, const char *path, int status, const char *headers,
                      const char *body)
{
    char *resp = NULL;
    if (body != NULL) {
        size_t n = strlen(body) + 256 + strlen(headers);
        resp = malloc(n);
        snprintf(resp, n, "HTTP/1.1 %d X\r\n%sConnection: close\r\n\r\n%s", status, headers, body);
    }
    pthread_mutex_lock(&l->mu);
    size_t i = 0;
    while (i < l->n && strcmp(l->routes[i].path, path) != 0)
        i++;
    assert_true(i < ROUTES);
    if (i == l->n)
        l->routes[l->n++] = (route){.path = gh_arena_strdup(l->a, path)};
    free(l->routes[i].response);
    l->routes[i].response = resp;
    l->routes[i].hits = 0;
    pthread_mutex_unlock(&l->mu);
}

static void route_json(listener *l, const char *path, int status, const char *body)
{
    char *h = gh_arena_printf(l->a, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                              strlen(body));
    route_set(l, path, status, h, body);
}

static int hits(listener *l, const char *path)
{
    int n = 0;
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->routes[i].path, path) == 0)
            n = l->routes[i].hits;
    pthread_mutex_unlock(&l->mu);
    return n;
}

/* A discovery document for issuer base/t; edit with json_object_set_new/del before serving. */
static json_t *config(listener *l)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s, s], s:[s]}", "issuer",
                     gh_arena_printf(l->a, "%s/t", l->base), "authorization_endpoint",
                     gh_arena_printf(l->a, "%s/auth?kc=1", l->base), "token_endpoint",
                     gh_arena_printf(l->a, "%s/token", l->base), "jwks_uri",
                     gh_arena_printf(l->a, "%s/jwks", l->base), "end_session_endpoint",
                     gh_arena_printf(l->a, "%s/logout", l->base),
                     "token_endpoint_auth_methods_supported", "private_key_jwt",
                     "client_secret_post", "id_token_signing_alg_values_supported", "RS256");
}

static void serve_config(listener *l, json_t *c)
{
    char *s = json_dumps(c, JSON_COMPACT);
    route_json(l, "/t/.well-known/openid-configuration", 200, s);
    free(s);
    json_decref(c);
}

static gh_err discover(listener *l, const gh_oidc_net *net, gh_oidc_provider *p)
{
    l->why[0] = '\0';
    return gh_oidc_discover(net, l->a, gh_arena_printf(l->a, "%s/t", l->base), p, l->why,
                            sizeof l->why);
}

static void discovery_good(void **state)
{
    listener *l = *state;
    gh_oidc_provider p = {0};
    serve_config(l, config(l));
    assert_int_equal(discover(l, &LOCAL, &p), GH_OK);
    assert_string_equal(p.issuer, gh_arena_printf(l->a, "%s/t", l->base));
    assert_string_equal(p.authorization_endpoint, gh_arena_printf(l->a, "%s/auth?kc=1", l->base));
    assert_string_equal(p.token_endpoint, gh_arena_printf(l->a, "%s/token", l->base));
    assert_string_equal(p.jwks_uri, gh_arena_printf(l->a, "%s/jwks", l->base));
    assert_string_equal(p.end_session_endpoint, gh_arena_printf(l->a, "%s/logout", l->base));
    assert_false(p.auth_basic);
    assert_true(p.auth_post);
    assert_int_equal(p.n_algs, 1);
    assert_string_equal(p.algs[0], "RS256");
    assert_non_null(strstr(l->last, "GET /t/.well-known/openid-configuration HTTP/1.1\r\n"));

    /* absent methods: client_secret_basic; the issuer's trailing '/' is not doubled */
    json_t *c = config(l);
    json_object_del(c, "token_endpoint_auth_methods_supported");
    json_object_del(c, "end_session_endpoint");
    json_object_set_new(c, "issuer", json_string(gh_arena_printf(l->a, "%s/t/", l->base)));
    serve_config(l, c);
    assert_int_equal(gh_oidc_discover(&LOCAL, l->a, gh_arena_printf(l->a, "%s/t/", l->base), &p,
                                      l->why, sizeof l->why),
                     GH_OK);
    assert_true(p.auth_basic);
    assert_false(p.auth_post);
    assert_null(p.end_session_endpoint);
}

/* Asserts discovery of the document c (consumed) fails with GH_EUPSTREAM and why holding want. */
static void discovery_refused(listener *l, json_t *c, const char *want)
{
    gh_oidc_provider p = {.issuer = "untouched"};
    serve_config(l, c);
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    if (strstr(l->why, want) == NULL)
        fail_msg("reason \"%s\", expected \"%s\"", l->why, want);
    assert_string_equal(p.issuer, "untouched");
}

static void discovery_strict(void **state)
{
    listener *l = *state;
    json_t *c = config(l);
    json_object_set_new(c, "issuer", json_string("https://idp.example/t"));
    discovery_refused(l, c, "issuer mismatch");
    c = config(l);
    json_object_set_new(c, "issuer", json_string(gh_arena_printf(l->a, "%s/t/", l->base)));
    discovery_refused(l, c, "issuer mismatch");
    c = config(l);
    json_object_del(c, "jwks_uri");
    discovery_refused(l, c, "jwks_uri missing");
    c = config(l);
    json_object_del(c, "token_endpoint");
    discovery_refused(l, c, "token_endpoint missing");
    c = config(l);
    json_object_set_new(c, "jwks_uri", json_string("http://keys.example/jwks"));
    discovery_refused(l, c, "jwks_uri refused");
    c = config(l);
    json_object_set_new(c, "authorization_endpoint", json_string("https://u:p@idp.example/a"));
    discovery_refused(l, c, "authorization_endpoint refused");
    c = config(l);
    json_object_set_new(c, "token_endpoint_auth_methods_supported", json_pack("[s]", "none"));
    discovery_refused(l, c, "neither");

    gh_oidc_provider p;
    route_set(l, "/t/.well-known/openid-configuration", 200, "Content-Length: 9\r\n",
              "<html/>\r\n");
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "JSON"));
    route_json(l, "/t/.well-known/openid-configuration", 200, "[1]");
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    route_json(l, "/t/.well-known/openid-configuration", 404, "{}");
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "404"));
}

static void no_redirect_followed(void **state)
{
    listener *l = *state;
    gh_oidc_provider p;
    serve_config(l, config(l));
    char *loc = gh_arena_printf(l->a,
                                "Location: %s/t/.well-known/openid-configuration\r\n"
                                "Content-Length: 0\r\n",
                                l->base);
    route_set(l, "/r/.well-known/openid-configuration", 302, loc, "");
    assert_int_equal(gh_oidc_discover(&LOCAL, l->a, gh_arena_printf(l->a, "%s/r", l->base), &p,
                                      l->why, sizeof l->why),
                     GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "redirect"));
    assert_int_equal(hits(l, "/t/.well-known/openid-configuration"), 0);
}

static void response_size_capped(void **state)
{
    listener *l = *state;
    gh_oidc_provider p;
    size_t n = GH_OIDC_MAX_RESPONSE_BYTES + 1024;
    char *big = calloc(1, n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    route_json(l, "/t/.well-known/openid-configuration", 200, big); /* Content-Length says it */
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "too large"));
    route_set(l, "/t/.well-known/openid-configuration", 200, "", big); /* to the close */
    assert_int_equal(discover(l, &LOCAL, &p), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "too large"));
    free(big);
}

static void slow_provider_times_out(void **state)
{
    listener *l = *state;
    gh_oidc_provider p;
    gh_oidc_net net = {.allow_loopback = true, .timeout_ms = 300};
    route_set(l, "/t/.well-known/openid-configuration", 200, "", NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(discover(l, &net, &p), GH_EUPSTREAM);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(strstr(l->why, "timed out"));
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 250 && ms < 1500);
}

/* Without allow_loopback the connection to 127.0.0.1 is refused before it is made. */
static void internal_target_refused(void **state)
{
    listener *l = *state;
    gh_oidc_provider p;
    gh_oidc_net net = {0};
    serve_config(l, config(l));
    char *issuer = gh_arena_printf(l->a, "https://127.0.0.1:%d/t", l->port);
    assert_int_equal(gh_oidc_discover(&net, l->a, issuer, &p, l->why, sizeof l->why), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "address not allowed"));
    assert_int_equal(hits(l, "/t/.well-known/openid-configuration"), 0);
    /* nor is any other internal address (refused before a socket exists: no packet is sent),
     * nor a name that resolves to one */
    const char *internal[] = {"10.1.2.3",
                              "172.16.0.1",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "[::1]",
                              "[fe80::1]",
                              "[fd00::1]",
                              "[::ffff:10.0.0.1]",
                              "[::ffff:127.0.0.1]",
                              "localhost"};
    for (size_t i = 0; i < sizeof internal / sizeof *internal; i++) {
        issuer = gh_arena_printf(l->a, "https://%s:%d/t", internal[i], l->port);
        if (gh_oidc_discover(&net, l->a, issuer, &p, l->why, sizeof l->why) != GH_EUPSTREAM ||
            strstr(l->why, "address not allowed") == NULL)
            fail_msg("%s: %s", issuer, l->why);
    }
    /* and plain http is no issuer at all then */
    assert_int_equal(discover(l, &net, &p), GH_EINVAL);
}

/* ---- the code exchange ---- */

static gh_oidc_provider token_provider(listener *l, bool basic, bool post)
{
    return (gh_oidc_provider){.token_endpoint = gh_arena_printf(l->a, "%s/token", l->base),
                              .auth_basic = basic,
                              .auth_post = post};
}

static gh_err exchange(listener *l, const gh_oidc_provider *p, char **id_token)
{
    l->why[0] = '\0';
    return gh_oidc_token(&LOCAL, l->a, p, "my client", "s3cr:t/+ x", "c0de&x=1",
                         "https://app.example/cb?x=1", "verifier-123", id_token, l->why,
                         sizeof l->why);
}

static const char FORM[] = "grant_type=authorization_code&code=c0de%26x%3D1&redirect_uri=https%3A%"
                           "2F%2Fapp.example%2Fcb%3Fx%3D1&code_verifier=verifier-123";

static void token_basic_auth(void **state)
{
    listener *l = *state;
    gh_oidc_provider p = token_provider(l, true, true);
    char *tok = NULL;
    route_json(l, "/token", 200,
               "{\"access_token\":\"at\",\"token_type\":\"Bearer\","
               "\"id_token\":\"eyJ.x.y\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_OK);
    assert_string_equal(tok, "eyJ.x.y");
    const char *cred = "my%20client:s3cr%3At%2F%2B%20x"; /* both parts form-urlencoded */
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)cred, strlen(cred),
                      sodium_base64_VARIANT_ORIGINAL);
    assert_non_null(strstr(l->last, "POST /token HTTP/1.1\r\n"));
    assert_non_null(strstr(l->last, gh_arena_printf(l->a, "\r\nAuthorization: Basic %s\r\n", b64)));
    assert_non_null(strstr(l->last, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    assert_string_equal(strstr(l->last, "\r\n\r\n") + 4, FORM);
}

static void token_post_auth(void **state)
{
    listener *l = *state;
    gh_oidc_provider p = token_provider(l, false, true);
    char *tok = NULL;
    route_json(l, "/token", 200, "{\"id_token\":\"eyJ.x.y\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_OK);
    assert_null(strcasestr(l->last, "Authorization:"));
    assert_string_equal(strstr(l->last, "\r\n\r\n") + 4,
                        gh_arena_printf(l->a,
                                        "%s&client_id=my%%20client&client_secret=s3cr%%3At%%"
                                        "2F%%2B%%20x",
                                        FORM));
}

static void token_errors(void **state)
{
    listener *l = *state;
    gh_oidc_provider p = token_provider(l, true, false);
    char *tok = NULL;
    route_json(l, "/token", 400,
               "{\"error\":\"invalid_grant\",\"error_description\":\"Code not valid\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_EUNAUTH);
    assert_non_null(strstr(l->why, "invalid_grant"));
    assert_null(strstr(l->why, "s3cr"));
    route_json(l, "/token", 401, "{\"error\":\"invalid_client\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_EUNAUTH);
    assert_non_null(strstr(l->why, "invalid_client"));
    route_json(l, "/token", 500, "{\"error\":\"server_error\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_EUPSTREAM);
    route_json(l, "/token", 400, "<html>bad</html>");
    assert_int_equal(exchange(l, &p, &tok), GH_EUPSTREAM);
    route_json(l, "/token", 200, "{\"access_token\":\"at\"}");
    assert_int_equal(exchange(l, &p, &tok), GH_EUPSTREAM);
    route_json(l, "/token", 200, "garbage");
    assert_int_equal(exchange(l, &p, &tok), GH_EUPSTREAM);
    assert_null(tok);
    p.auth_basic = false;
    assert_int_equal(exchange(l, &p, &tok), GH_EINVAL);
}

/* ---- the key cache's fetches, counted by the listener ---- */

static gh_err verify_at(listener *l, gh_oidc_keys *keys, const char *uri, const char *token,
                        int64_t now)
{
    gh_oidc_expect e = {.issuer = ISS, .client_id = CLIENT, .nonce = NONCE, .now = now};
    gh_oidc_claims c;
    l->why[0] = '\0';
    return gh_oidc_verify(keys, &LOCAL, uri, l->a, token, &e, &c, l->why, sizeof l->why);
}

static void unknown_kid_refetch_is_rate_limited(void **state)
{
    listener *l = *state;
    gh_oidc_keys *keys = NULL;
    const char *uri = gh_arena_printf(l->a, "%s/jwks", l->base);
    const cjose_jwk_t *old[] = {rsa}, *both[] = {rsa, rsa2};
    char *jwks_old = jwks_of(old, 1, NULL), *jwks_new = jwks_of(both, 2, NULL);
    route_json(l, "/jwks", 200, jwks_new);
    assert_int_equal(gh_oidc_keys_new(&keys), GH_OK);
    assert_int_equal(gh_oidc_keys_put(keys, uri, jwks_old, strlen(jwks_old), T0, NULL, 0), GH_OK);
    char *t2 = sign(l->a, rsa2, "RS256", "rsa2", claims());
    char *t9 = sign(l->a, rsa2, "RS256", "rsa9", claims());

    assert_int_equal(verify_at(l, keys, uri, t2, T0 + 1), GH_EUNAUTH); /* too soon after put */
    assert_non_null(strstr(l->why, "unknown signing key"));
    assert_int_equal(verify_at(l, keys, uri, t2, T0 + 9), GH_EUNAUTH);
    assert_int_equal(hits(l, "/jwks"), 0);
    assert_int_equal(verify_at(l, keys, uri, t2, T0 + GH_OIDC_JWKS_MIN_REFRESH_S), GH_OK);
    assert_int_equal(hits(l, "/jwks"), 1);
    assert_int_equal(verify_at(l, keys, uri, t2, T0 + 11), GH_OK); /* cached now */
    for (int s = 11; s < 20; s++)
        assert_int_equal(verify_at(l, keys, uri, t9, T0 + s), GH_EUNAUTH);
    assert_int_equal(hits(l, "/jwks"), 1);
    assert_int_equal(verify_at(l, keys, uri, t9, T0 + 20), GH_EUNAUTH);
    assert_int_equal(hits(l, "/jwks"), 2);
    gh_oidc_keys_free(keys);

    /* first use fetches; a failing first fetch is not retried before the interval either */
    assert_int_equal(gh_oidc_keys_new(&keys), GH_OK);
    assert_int_equal(verify_at(l, keys, uri, t2, T0), GH_OK);
    assert_int_equal(hits(l, "/jwks"), 3);
    const char *down = gh_arena_printf(l->a, "%s/down", l->base);
    route_json(l, "/down", 503, "{}");
    assert_int_equal(verify_at(l, keys, down, t2, T0), GH_EUPSTREAM);
    assert_non_null(strstr(l->why, "503"));
    assert_int_equal(verify_at(l, keys, down, t2, T0 + 5), GH_EUPSTREAM);
    assert_int_equal(hits(l, "/down"), 1);
    route_json(l, "/down", 200, jwks_new);
    assert_int_equal(verify_at(l, keys, down, t2, T0 + 10), GH_OK);
    assert_int_equal(hits(l, "/down"), 1);
    gh_oidc_keys_free(keys);
    free(jwks_old);
    free(jwks_new);
}

int main(void)
{
#define V(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
#define L(t) cmocka_unit_test_setup_teardown(t, listener_setup, listener_teardown)
    const struct CMUnitTest tests[] = {
        V(accepts_rs256_ps256_es256),
        V(refuses_alg_none),
        V(refuses_hs256_with_the_public_key),
        V(refuses_alg_that_does_not_fit_the_key),
        V(jwk_alg_pins_the_token_alg),
        V(unusable_jwks_keys_skipped),
        V(refuses_a_forged_signature),
        V(token_without_kid),
        V(claim_checks),
        V(claim_selection),
        V(amr_mfa),
        V(caller_must_expect_a_nonce),
        V(threads_share_the_cache),
        cmocka_unit_test(issuer_policy),
        cmocka_unit_test(pkce_and_random),
        L(discovery_good),
        L(discovery_strict),
        L(no_redirect_followed),
        L(response_size_capped),
        L(slow_provider_times_out),
        L(internal_target_refused),
        L(token_basic_auth),
        L(token_post_auth),
        L(token_errors),
        L(unknown_kid_refetch_is_rate_limited),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
