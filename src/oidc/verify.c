/* ID token verification (SECURITY I12): the JWS parsed by libcjose, its header read, the key
 * chosen and the signature checked in keys.c, then the claims checked one by one from a table. */
#include "oidc/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Whether v is a string equal to want, byte for byte (an embedded NUL never matches). */
static bool exact(json_t *v, const char *want)
{
    size_t n = strlen(want);
    return json_is_string(v) && json_string_length(v) == n &&
           memcmp(json_string_value(v), want, n) == 0;
}

/* A non-empty string without NUL, or NULL. */
static const char *plain_string(json_t *v)
{
    const char *s = json_string_value(v);
    return s != NULL && *s != '\0' && strlen(s) == json_string_length(v) ? s : NULL;
}

/* A NumericDate (RFC 7519 2): an integer, or a finite real truncated to whole seconds. */
static bool numeric_date(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    double d = json_real_value(v);
    if (!json_is_real(v) || !(d > -9e15 && d < 9e15))
        return false;
    *out = (int64_t)d;
    return true;
}

/* ---- the claim checks: each returns NULL when the token passes, else the reason ---- */

typedef const char *(*claim_check)(json_t *c, const gh_oidc_expect *e);

static const char *check_issuer(json_t *c, const gh_oidc_expect *e)
{
    return exact(json_object_get(c, "iss"), e->issuer) ? NULL : "wrong issuer";
}

/* aud holds client_id; azp is client_id when present and present when aud has several. */
static const char *check_audience(json_t *c, const gh_oidc_expect *e)
{
    json_t *aud = json_object_get(c, "aud"), *azp = json_object_get(c, "azp"), *m;
    size_t i, n = 0;
    bool found = false;
    if (json_is_string(aud)) {
        n = 1;
        found = exact(aud, e->client_id);
    } else if (json_is_array(aud)) {
        json_array_foreach(aud, i, m)
        {
            if (!json_is_string(m))
                return "bad audience";
            n++;
            found |= exact(m, e->client_id);
        }
    }
    if (!found)
        return "wrong audience";
    if (azp == NULL)
        return n > 1 ? "several audiences and no azp" : NULL;
    return exact(azp, e->client_id) ? NULL : "wrong azp";
}

static const char *check_times(json_t *c, const gh_oidc_expect *e)
{
    int64_t skew = e->skew_s > 0 ? e->skew_s : 0, exp = 0, iat = 0, nbf = 0;
    json_t *nbf_v = json_object_get(c, "nbf");
    if (!numeric_date(json_object_get(c, "exp"), &exp))
        return "no expiry";
    if (!numeric_date(json_object_get(c, "iat"), &iat))
        return "no issue time";
    if (exp <= e->now - skew)
        return "expired";
    if (iat > e->now + skew)
        return "issued in the future";
    if (nbf_v != NULL && (!numeric_date(nbf_v, &nbf) || nbf > e->now + skew))
        return "not yet valid";
    return NULL;
}

/* In constant time for equal lengths (the length of our nonce is no secret). */
static const char *check_nonce(json_t *c, const gh_oidc_expect *e)
{
    json_t *v = json_object_get(c, "nonce");
    size_t n = strlen(e->nonce);
    if (!json_is_string(v))
        return "missing nonce";
    if (json_string_length(v) != n || sodium_memcmp(json_string_value(v), e->nonce, n) != 0)
        return "wrong nonce";
    return NULL;
}

static const char *check_subject(json_t *c, const gh_oidc_expect *e)
{
    if (plain_string(json_object_get(c, "sub")) == NULL)
        return "no subject";
    if (plain_string(json_object_get(c, e->claim != NULL ? e->claim : "sub")) == NULL)
        return "claim missing or not a string";
    return NULL;
}

static const claim_check CHECKS[] = {check_issuer, check_audience, check_times, check_nonce,
                                     check_subject};

/* ---- the token ---- */

/* Reads alg and kid of the protected header (borrowed from jws); refuses a "crit" header (we
 * understand no extension) and a kid that is not a string. NULL when fine, else the reason. */
static const char *read_header(cjose_jws_t *jws, const char **alg, const char **kid)
{
    cjose_header_t *h = cjose_jws_get_protected(jws);
    cjose_err ce;
    char *crit = cjose_header_get_raw(h, "crit", &ce), *raw_kid = NULL;
    if (crit != NULL) {
        free(crit);
        return "critical header not understood";
    }
    *alg = cjose_header_get(h, CJOSE_HDR_ALG, &ce);
    *kid = cjose_header_get(h, CJOSE_HDR_KID, &ce);
    if (*kid == NULL && (raw_kid = cjose_header_get_raw(h, CJOSE_HDR_KID, &ce)) != NULL) {
        free(raw_kid);
        return "bad kid";
    }
    return NULL;
}

static bool amr_mfa(json_t *c)
{
    json_t *amr = json_object_get(c, "amr"), *m;
    size_t i;
    json_array_foreach(amr, i, m)
    {
        if (exact(m, "mfa") || exact(m, "otp") || exact(m, "hwk"))
            return true;
    }
    return false;
}

/* The claims of a token that passed every check, into *out (strings in a). */
static void read_claims(gh_arena *a, json_t *c, const gh_oidc_expect *e, gh_oidc_claims *out)
{
    int64_t iat = 0, exp = 0;
    numeric_date(json_object_get(c, "iat"), &iat);
    numeric_date(json_object_get(c, "exp"), &exp);
    *out = (gh_oidc_claims){
        .sub = gh_arena_strdup(a, json_string_value(json_object_get(c, "sub"))),
        .value = gh_arena_strdup(
            a, json_string_value(json_object_get(c, e->claim != NULL ? e->claim : "sub"))),
        .amr_mfa = amr_mfa(c),
        .email_verified = json_is_true(json_object_get(c, "email_verified")),
        .iat = iat,
        .exp = exp,
    };
}

/* The checks of the claims in the verified payload of jws; *out written when all pass. */
static gh_err check_claims(cjose_jws_t *jws, gh_arena *a, const gh_oidc_expect *e,
                           gh_oidc_claims *out, char *why, size_t cap)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    cjose_err ce;
    json_t *c = NULL;
    const char *bad = "claims are not a JSON object";
    if (cjose_jws_get_plaintext(jws, &pt, &n, &ce) &&
        (c = gh_oidc_json_object((const char *)pt, n)) != NULL) {
        bad = NULL;
        for (size_t i = 0; bad == NULL && i < sizeof CHECKS / sizeof *CHECKS; i++)
            bad = CHECKS[i](c, e);
    }
    if (bad == NULL)
        read_claims(a, c, e, out);
    json_decref(c);
    return bad == NULL ? GH_OK : gh_oidc_fail(GH_EUNAUTH, why, cap, "%s", bad);
}

gh_err gh_oidc_verify(gh_oidc_keys *keys, const gh_oidc_net *net, const char *jwks_uri, gh_arena *a,
                      const char *id_token, const gh_oidc_expect *e, gh_oidc_claims *out, char *why,
                      size_t cap)
{
    const char *alg = NULL, *kid = NULL, *bad = NULL;
    cjose_err ce;
    if (keys == NULL || net == NULL || jwks_uri == NULL || a == NULL || e == NULL ||
        e->issuer == NULL || e->client_id == NULL || e->nonce == NULL || *e->nonce == '\0')
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    if (id_token == NULL || *id_token == '\0')
        return gh_oidc_fail(GH_EUNAUTH, why, cap, "no token");
    size_t len = strlen(id_token);
    if (len > GH_OIDC_MAX_TOKEN_BYTES)
        return gh_oidc_fail(GH_EUNAUTH, why, cap, "token too long");
    cjose_jws_t *jws = cjose_jws_import(id_token, len, &ce);
    gh_err err = GH_EUNAUTH;
    if (jws == NULL)
        gh_oidc_fail(err, why, cap, "malformed token");
    else if ((bad = read_header(jws, &alg, &kid)) != NULL)
        gh_oidc_fail(err, why, cap, "%s", bad);
    else if ((err = gh_oidc_keys_check(keys, net, jwks_uri, jws, alg, kid, e->now, why, cap)) ==
             GH_OK)
        err = check_claims(jws, a, e, out, why, cap);
    cjose_jws_release(jws);
    return err;
}

/* ---- random values and PKCE ---- */

void gh_oidc_random(char out[GH_OIDC_RANDOM_CHARS])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2base64(out, GH_OIDC_RANDOM_CHARS, b, sizeof b,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(b, sizeof b);
}

void gh_oidc_pkce_challenge(const char *verifier, char out[GH_OIDC_RANDOM_CHARS])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, GH_OIDC_RANDOM_CHARS, h, sizeof h,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
