/* Signing in through an SSO source (OpenID Connect authorization code flow with PKCE, SECURITY
 * I12): start, callback, and the session it ends in. The steps, in order:
 *
 *   gh_sso_start       (database) the source by name; a new flow row: hashes of a fresh state
 *                      and of the browser's binding cookie, the nonce, the sealed PKCE verifier,
 *                      the relative path to return to; all short-lived (GH_SSO_FLOW_SECONDS).
 *   gh_sso_authorize   (network, no database) discovery; the provider's authorization URL.
 *   gh_sso_take        (database) the callback's state takes its flow once (compare-and-set),
 *                      from the same browser (binding) and for the same source; the client
 *                      secret and the verifier unsealed.
 *   gh_sso_exchange    (network, no database) discovery, the code for an ID token, the token
 *                      verified against the provider's keys (cached in env).
 *   gh_signin_sso      (database, core/signin.h) the user of (source, claim) and its session.
 *
 * The network steps touch no database and no gh_ctx, so that the server can run them on a thread
 * of their own while its request threads go on. Every step records nothing itself; a refusal is
 * recorded by gh_sso_failed (one audit row, login.failure with factor sso and the reason). */
#ifndef GH_CORE_SSO_H
#define GH_CORE_SSO_H

#include "core/core.h"
#include "oidc/oidc.h"

#define GH_SSO_FLOW_SECONDS  600 /* from the start to the callback */
#define GH_SSO_SKEW_SECONDS  60  /* clock skew tolerated on an ID token's exp and iat */
#define GH_SSO_BINDING_CHARS GH_OIDC_RANDOM_CHARS

/* What the relying party runs with, owned by the program (the server's caller) and shared by
 * every request: the outbound policy and the cache of providers' keys (thread-safe). */
typedef struct gh_sso_env {
    gh_oidc_net net;
    gh_oidc_keys *keys;
} gh_sso_env;

/* A new environment with an empty key cache; allow_loopback as in gh_oidc_net (providers on this
 * machine, plain http to them: development and tests only). Calls gh_oidc_init(): call it before
 * any thread uses the module. gh_sso_env_free(NULL) is a no-op. */
gh_err gh_sso_env_new(bool allow_loopback, gh_sso_env **out) GH_MUST_USE;
void gh_sso_env_free(gh_sso_env *env);

/* A started flow: what the redirect to the provider needs. */
typedef struct gh_sso_started {
    gh_sso_source source;
    char state[GH_OIDC_RANDOM_CHARS], nonce[GH_OIDC_RANDOM_CHARS];
    char challenge[GH_OIDC_RANDOM_CHARS]; /* PKCE S256 of the verifier (kept sealed) */
} gh_sso_started;

/* Starts a flow of the source named name for the browser holding binding (the value of its
 * binding cookie, GH_SSO_BINDING_CHARS - 1 characters: the caller makes one when the browser
 * has none) that returns to next (a relative path, gh_valid_next; NULL or invalid: "/"). In its
 * own transaction. GH_ENOTFOUND for an unknown name (also for a malformed one); GH_EINTERNAL
 * when no secret key is configured. */
gh_err gh_sso_start(gh_ctx *ctx, const char *name, const char *next, const char *binding,
                    gh_sso_started *out) GH_MUST_USE;

/* The provider's authorization URL for a started flow (arena a): discovery, then response_type
 * code, client_id, redirect_uri, scope, state, nonce, code_challenge (S256). GH_EUPSTREAM (why)
 * when discovery fails. Network only. */
gh_err gh_sso_authorize(const gh_sso_env *env, gh_arena *a, const gh_sso_started *s,
                        const char *redirect_uri, char **url, char *why, size_t cap) GH_MUST_USE;

/* A flow taken by its callback. client_secret and verifier are in the arena; the caller wipes
 * them (gh_sso_taken_wipe) once the exchange is done. */
typedef struct gh_sso_taken {
    gh_sso_source source;
    char *client_secret, *verifier;
    const char *nonce, *next_path;
} gh_sso_taken;

/* Takes the flow of state for the source named name and the browser holding binding, once, in
 * its own transaction. GH_ENOTFOUND for an unknown source; GH_EGONE when there is no such flow:
 * unknown, used already, expired, of another source or started in another browser (binding
 * NULL or different; compared in constant time) — the flow is used up in every case.
 * GH_EINTERNAL when a secret cannot be unsealed. */
gh_err gh_sso_take(gh_ctx *ctx, const char *name, const char *state, const char *binding,
                   gh_sso_taken *out) GH_MUST_USE;
void gh_sso_taken_wipe(gh_sso_taken *t);

/* The code of the callback for a verified ID token of t's source: discovery, the token request
 * (client_secret_basic or _post as discovery says), the verification (gh_oidc_verify with the
 * flow's nonce, the source's claim, now). GH_EUPSTREAM (provider down or garbage), GH_EUNAUTH
 * (a refusal, the reason in why). Network only. */
gh_err gh_sso_exchange(const gh_sso_env *env, gh_arena *a, const gh_sso_taken *t, const char *code,
                       const char *redirect_uri, int64_t now, gh_oidc_claims *out, char *why,
                       size_t cap) GH_MUST_USE;

/* What a source's Test action found: discovery and the keys. */
typedef struct gh_sso_test {
    bool ok;
    const char *stage; /* where it failed: "discovery" or "jwks"; NULL when ok */
    const char *error; /* why (arena); NULL when ok */
    gh_oidc_provider provider;
    size_t keys; /* usable signing keys in the provider's JWKS */
} gh_sso_test;
/* Calls the provider of source s as a sign-in would, without signing anybody in: discovery,
 * then its JWKS. *out says what was found or where it failed (its strings in a). Network only:
 * at most two requests, each within the net timeout. GH_OK unless memory ran out. */
gh_err gh_sso_probe(const gh_sso_env *env, gh_arena *a, const gh_sso_source *s, int64_t now,
                    gh_sso_test *out) GH_MUST_USE;

/* The source named name when it asks for sign-out at the provider too (rp_logout), into *out;
 * GH_ENOTFOUND otherwise. Reads in its own statement. */
gh_err gh_sso_logout_source(gh_ctx *ctx, const char *name, gh_sso_source *out) GH_MUST_USE;
/* The name of the source a session came through when that source asks for sign-out at the
 * provider too (*name in the arena), else NULL. For DELETE /api/v1/session. */
gh_err gh_sso_session_logout_name(gh_ctx *ctx, const gh_session *sess,
                                  const char **name) GH_MUST_USE;

/* Records a failed SSO sign-in that reached no account (login.failure, factor sso, with the
 * reason), as the unknown user, in its own transaction; best effort. src may be NULL. */
void gh_sso_failed(gh_ctx *ctx, const gh_sso_source *src, const char *reason);

#endif
