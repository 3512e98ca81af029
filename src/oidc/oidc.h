/* OpenID Connect relying party: the part of single sign-on that talks to an identity provider.
 * Discovery of a provider's endpoints, the authorization-code exchange with PKCE, a cache of the
 * providers' signing keys (JWKS), and the verification of ID tokens (SECURITY I12): signatures are
 * checked by libcjose, never by code of ours, with the algorithm pinned to the key.
 *
 * Every outbound request follows one policy (SECURITY I13, gh_oidc_net): URLs parsed by libcurl's
 * URL API, https only (http only to a loopback host, and only when allowed), the address actually
 * connected to checked before the socket opens (no private, loopback or link-local target unless
 * allowed), no proxy from the environment, no redirect followed, connect and total timeouts, and
 * a response larger than GH_OIDC_MAX_RESPONSE_BYTES cut off.
 *
 * A leaf above util/: JSON and libcurl stay inside this folder; results are typed structs whose
 * strings live in the caller's arena. Every function is thread-safe (an arena belongs to the one
 * thread that passes it); call gh_oidc_init() once before any of them.
 *
 * Errors: GH_EINVAL for what the caller passed (a bad URL, a missing argument); GH_EUPSTREAM for a
 * provider that is down, slow, redirects, or answers something other than what the protocol says;
 * GH_EUNAUTH for a refusal (the provider refused the code; an ID token that fails a check). Each
 * fallible function writes a short, log-safe English reason into why (cap bytes, cut to fit; why
 * may be NULL when cap is 0); the reason never holds a secret, a code or a token. Outputs are
 * written only on success. */
#ifndef GH_OIDC_OIDC_H
#define GH_OIDC_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

/* Limits of the outbound requests and of what is read from a provider. */
#define GH_OIDC_CONNECT_TIMEOUT_MS 3000         /* TCP and TLS connect */
#define GH_OIDC_TIMEOUT_MS         5000         /* the whole request, connect included */
#define GH_OIDC_MAX_RESPONSE_BYTES (256 * 1024) /* a longer body is cut: GH_EUPSTREAM */
#define GH_OIDC_MAX_URL_BYTES      2048         /* issuer and every endpoint */
#define GH_OIDC_MAX_TOKEN_BYTES    16384        /* an ID token (compact JWS) */
#define GH_OIDC_MAX_ALGS           16           /* id_token_signing_alg_values_supported kept */
#define GH_OIDC_MAX_JWKS_KEYS      32           /* keys read from one JWKS; the rest ignored */
#define GH_OIDC_JWKS_MIN_REFRESH_S 10           /* per jwks_uri: no refetch more often than this */
#define GH_OIDC_RSA_MIN_BITS       2048         /* smaller RSA keys in a JWKS are not used */
#define GH_OIDC_RSA_MAX_BITS       8192         /* nor larger ones (verification cost) */
#define GH_OIDC_RANDOM_CHARS       44           /* 43 base64url characters + NUL */

/* The outbound policy of every request of this module (SECURITY I13). */
typedef struct gh_oidc_net {
    /* false (production): https only, and a target that resolves to a private, loopback,
     * link-local, shared (100.64/10), multicast or unspecified address is refused before the
     * socket opens. true (a provider on this machine, tests): such targets are allowed, and so
     * is plain http, but only to a loopback host (127.0.0.0/8, ::1 or "localhost") and then
     * only when the address connected to is a loopback one. */
    bool allow_loopback;
    /* The total timeout of one request in milliseconds; 0: GH_OIDC_TIMEOUT_MS. The connect
     * timeout is GH_OIDC_CONNECT_TIMEOUT_MS or this, whichever is shorter. */
    long timeout_ms;
} gh_oidc_net;

/* What discovery learnt of a provider; every string in the arena given to gh_oidc_discover(). */
typedef struct gh_oidc_provider {
    const char *issuer;                 /* exactly the configured issuer */
    const char *authorization_endpoint; /* may hold a query (RFC 6749 3.1); never a fragment */
    const char *token_endpoint;
    const char *jwks_uri;
    const char *end_session_endpoint; /* NULL when the provider names none */
    /* token_endpoint_auth_methods_supported; when the provider omits it, basic alone (the
     * default of OpenID Connect Discovery 1.0 section 3). At least one of the two is true. */
    bool auth_basic, auth_post;
    /* id_token_signing_alg_values_supported as sent (strings only, at most GH_OIDC_MAX_ALGS);
     * n_algs 0 when absent. Informative: gh_oidc_verify() takes RS256, PS256 and ES256 only. */
    const char **algs;
    size_t n_algs;
} gh_oidc_provider;

/* Initialises libcurl and libsodium for this module; GH_EINTERNAL when either cannot. Call once
 * at start, before any thread uses this module (curl_global_init is not safe to race). */
gh_err gh_oidc_init(void) GH_MUST_USE;

/* Checks that url may be stored as a provider's issuer: parsed by libcurl; https (or http to a
 * loopback host when net->allow_loopback); a host; no user name or password; no query; no
 * fragment; at most GH_OIDC_MAX_URL_BYTES. GH_EINVAL with the reason in why otherwise. Does not
 * resolve the host nor connect. */
gh_err gh_oidc_check_issuer(const gh_oidc_net *net, const char *url, char *why,
                            size_t cap) GH_MUST_USE;

/* The same policy for any outbound target (webhooks, SECURITY I13): as gh_oidc_check_issuer but
 * a query is allowed. */
gh_err gh_oidc_check_target(const gh_oidc_net *net, const char *url, char *why,
                            size_t cap) GH_MUST_USE;

/* POSTs body (len bytes, Content-Type: application/json) to url under net's policy with n extra
 * header lines ("Name: value"); the response body is read (at most GH_OIDC_MAX_RESPONSE_BYTES)
 * and dropped. *status is the answer's HTTP status whatever it is: a redirect (3xx) is never
 * followed and is the caller's to judge. GH_EINVAL (why) when the URL fails the policy;
 * GH_EUPSTREAM (why) for a refused target address, a connection failure, a timeout or a response
 * too large; GH_ENOMEM. Thread-safe. */
gh_err gh_oidc_post(const gh_oidc_net *net, const char *url, const char *const *headers, size_t n,
                    const char *body, size_t len, long *status, char *why, size_t cap) GH_MUST_USE;

/* Reads the provider's configuration: GET {issuer without its trailing '/'}/.well-known/
 * openid-configuration (OpenID Connect Discovery 1.0 section 4). The answer must be 200 with a
 * JSON object whose "issuer" equals issuer exactly and that names authorization_endpoint,
 * token_endpoint and jwks_uri, each passing the URL policy (as gh_oidc_check_issuer(), but a
 * query is allowed; the jwks_uri and token_endpoint are fetched later under the same policy).
 * GH_EINVAL when issuer itself fails gh_oidc_check_issuer(); GH_EUPSTREAM when the provider is
 * down, times out, redirects, answers another status, too much, not JSON, a mismatched issuer,
 * a missing or bad field, or supports neither client_secret_basic nor client_secret_post. *out
 * (strings in a) is written only on success. */
gh_err gh_oidc_discover(const gh_oidc_net *net, gh_arena *a, const char *issuer,
                        gh_oidc_provider *out, char *why, size_t cap) GH_MUST_USE;

/* The authorization-code exchange (RFC 6749 4.1.3, RFC 7636 4.5): POSTs grant_type=
 * authorization_code, code, redirect_uri and code_verifier form-encoded to p->token_endpoint,
 * authenticating with client_secret_basic (HTTP Basic of the form-urlencoded id and secret, RFC
 * 6749 2.3.1) when p->auth_basic, else client_secret_post (client_id and client_secret in the
 * body). On a 200 JSON answer with an "id_token" string, *id_token gets a copy of it in a (not
 * yet verified: pass it to gh_oidc_verify()). GH_EUNAUTH when the provider refuses (a 4xx JSON
 * answer with "error"; its error code, cleaned, in why); GH_EUPSTREAM for transport failures,
 * redirects, other answers or garbage; GH_EINVAL for a missing argument or a token endpoint that
 * fails the URL policy. The secret, the code and the verifier are wiped from our buffers after
 * the request and never appear in why. */
gh_err gh_oidc_token(const gh_oidc_net *net, gh_arena *a, const gh_oidc_provider *p,
                     const char *client_id, const char *client_secret, const char *code,
                     const char *redirect_uri, const char *code_verifier, char **id_token,
                     char *why, size_t cap) GH_MUST_USE;

/* The authorization request (OpenID Connect Core 3.1.2.1, RFC 7636 4.3): the parameters of the
 * browser's redirect to the provider. */
typedef struct gh_oidc_authorize {
    const char *client_id, *redirect_uri, *scope, *state, *nonce, *code_challenge;
} gh_oidc_authorize;
/* p->authorization_endpoint with response_type=code, client_id, redirect_uri, scope, state,
 * nonce, code_challenge and code_challenge_method=S256 added to its query (each escaped), in a.
 * GH_EINVAL when an argument is missing. */
gh_err gh_oidc_authorize_url(gh_arena *a, const gh_oidc_provider *p, const gh_oidc_authorize *r,
                             char **url, char *why, size_t cap) GH_MUST_USE;
/* p->end_session_endpoint with client_id and post_logout_redirect_uri added (OpenID Connect
 * RP-Initiated Logout 1.0), in a. GH_EINVAL when p has no end_session_endpoint. */
gh_err gh_oidc_end_session_url(gh_arena *a, const gh_oidc_provider *p, const char *client_id,
                               const char *post_logout_redirect_uri, char **url, char *why,
                               size_t cap) GH_MUST_USE;

/* A cache of providers' signing keys, one key set per jwks_uri, shared by all threads; owned by
 * the program that made it. Key sets are fetched on first use and refetched when an ID token
 * names a kid the cached set lacks, at most once every GH_OIDC_JWKS_MIN_REFRESH_S seconds per
 * jwks_uri (failed attempts count too), so forged kids cannot make us flood a provider. Fetches
 * are serialised (one at a time for the whole cache, each bounded by the net timeout): a
 * verification whose key is cached never waits for one; one that needs a fetch waits for the one
 * under way and then uses its result. The jwks_uris should come from configuration: the cache
 * keeps one entry per distinct uri it was given. */
typedef struct gh_oidc_keys gh_oidc_keys;
/* A new, empty cache into *out; GH_ENOMEM when none can be had. */
gh_err gh_oidc_keys_new(gh_oidc_keys **out) GH_MUST_USE;
/* Frees the cache and every key in it; NULL is a no-op. No other thread may be using it. */
void gh_oidc_keys_free(gh_oidc_keys *keys);
/* Replaces the key set of jwks_uri with the keys of json (a JWKS text of len bytes, RFC 7517 5)
 * and records now as the time of its last fetch. The fetch path uses it; so do tests and a
 * caller that preloads keys. Keys that cannot verify our algorithms are skipped: "use" other than
 * "sig", a kty other than RSA or EC, a curve other than P-256, RSA moduli outside
 * GH_OIDC_RSA_MIN_BITS..GH_OIDC_RSA_MAX_BITS, a JWK "alg" other than RS256, PS256 or ES256.
 * GH_EUPSTREAM (why) when json is not a JWKS object with a "keys" array; an empty usable set is
 * stored (and every token then refused) rather than kept old. Thread-safe. */
gh_err gh_oidc_keys_put(gh_oidc_keys *keys, const char *jwks_uri, const char *json, size_t len,
                        int64_t now, char *why, size_t cap) GH_MUST_USE;

/* Fetches the JWKS at jwks_uri under net, into no cache, and counts the keys in it that could
 * verify an ID token (*usable; the rules of gh_oidc_keys_put). GH_EUPSTREAM (why) when it cannot
 * be fetched or is not a JWKS. For a source's Test action. */
gh_err gh_oidc_jwks_probe(const gh_oidc_net *net, const char *jwks_uri, int64_t now, size_t *usable,
                          char *why, size_t cap) GH_MUST_USE;

/* What an ID token must show (all strings borrowed). */
typedef struct gh_oidc_expect {
    const char *issuer;    /* iss must equal it exactly */
    const char *client_id; /* in aud; equal to azp when azp is present (required with >1 aud) */
    const char *nonce;     /* the nonce sent in the authorization request; required */
    const char *claim;     /* the claim that names the user (a string claim); NULL: "sub" */
    int64_t now;           /* Unix seconds; also the cache's clock for refetch decisions */
    int64_t skew_s;        /* clock skew tolerated on exp, iat and nbf (>= 0) */
} gh_oidc_expect;

/* What a verified ID token says; strings in the arena given to gh_oidc_verify(). */
typedef struct gh_oidc_claims {
    const char *sub;     /* always present */
    const char *value;   /* the claim e->claim names (sub when NULL) */
    bool amr_mfa;        /* amr holds "mfa", "otp" or "hwk" */
    bool email_verified; /* the email_verified claim is true (JSON true only) */
    int64_t iat, exp;
} gh_oidc_claims;

/* Verifies id_token (SECURITY I12) against the key set of jwks_uri in keys (fetched under net on
 * first use or for an unknown kid, see gh_oidc_keys) and e. The JWS is parsed by
 * cjose_jws_import; its protected header's alg must be RS256, PS256 or ES256 (none, HS*, and
 * everything else refused) and a "crit" header is refused; the key is the one the header's kid
 * names (no kid: the set's only key, when it has exactly one); the alg must fit that key (RSA for
 * RS256 and PS256, EC P-256 for ES256; and equal the JWK's own "alg" when it has one); the
 * signature is checked by cjose_jws_verify. Then the claims, a JSON object without duplicate
 * names: iss == e->issuer; aud (a string or an array of strings) holds e->client_id; azp ==
 * e->client_id when present, and present when aud has several entries; exp > now - skew;
 * iat <= now + skew; nbf, when present, <= now + skew; nonce equal to e->nonce (compared in
 * constant time; a missing nonce refused); sub a non-empty string; the claim e->claim a non-empty
 * string without NUL. GH_EUNAUTH with a short reason in why ("wrong audience", "expired", ...)
 * for every refusal; GH_EUPSTREAM when the key set cannot be fetched; GH_EINVAL when e lacks
 * issuer, client_id or nonce. *out is written only on success. */
gh_err gh_oidc_verify(gh_oidc_keys *keys, const gh_oidc_net *net, const char *jwks_uri, gh_arena *a,
                      const char *id_token, const gh_oidc_expect *e, gh_oidc_claims *out, char *why,
                      size_t cap) GH_MUST_USE;

/* 32 bytes from libsodium's CSPRNG as base64url without padding (43 characters + NUL): for
 * state, nonce and the PKCE code_verifier (RFC 7636 4.1: 43 unreserved characters). */
void gh_oidc_random(char out[GH_OIDC_RANDOM_CHARS]);
/* The PKCE S256 code_challenge of verifier: base64url without padding of SHA-256(verifier)
 * (RFC 7636 4.2), 43 characters + NUL. */
void gh_oidc_pkce_challenge(const char *verifier, char out[GH_OIDC_RANDOM_CHARS]);

#endif
