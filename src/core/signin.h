/* Sign-in: the password step, the two-factor step, the forced password change and enrolment, in
 * that order and no other (A13); lock-out (A4); sessions with idle and absolute expiry (S3). Every
 * failure of a sign-in step answers GH_EUNAUTH with the same detail, whatever the reason (A6).
 * The settings come with each gh_ctx (ctx->signin), filled once by the program and never changed;
 * the functions are thread-safe given one gh_ctx per request. One header, four files:
 * core/signin.c (the stages), core/session.c (sessions and bearer tokens), core/enrol.c
 * (two-factor enrolment), core/password.c (the policy and the own change).
 */
#ifndef GH_CORE_SIGNIN_H
#define GH_CORE_SIGNIN_H

#include "auth/auth.h"
#include "auth/pcache.h"
#include "core/core.h"

typedef struct gh_signin_config {
    int max_failures;                /* consecutive failures before a ban */
    int64_t ban_seconds;             /* how long a ban lasts */
    int64_t idle_seconds;            /* idle expiry of a session */
    int64_t absolute_seconds;        /* absolute expiry of a session */
    int password_min;                /* characters (GH_PASSWORD_FLOOR at least) */
    const unsigned char *secret_key; /* GH_SECRET_KEY_BYTES, seals TOTP seeds; NULL: none */
    const char *issuer;              /* shown by authenticator apps */
} gh_signin_config;

/* The one table of defaults (5 failures, 600 s ban, 1800 s idle, 43200 s absolute,
 * GH_PASSWORD_MIN, no secret key, issuer "Gatehouse"): a program starts from a copy of it and
 * overrides what its options set. */
extern const gh_signin_config gh_signin_defaults;

/* The settings ctx runs with: ctx->signin, or gh_signin_defaults when it has none. */
const gh_signin_config *gh_signin_config_of(const gh_ctx *ctx);

/* The detail of every refused sign-in step. */
#define GH_SIGNIN_REFUSED                                                                          \
    "the username, password or code is not correct, or the account cannot sign in"

typedef struct gh_signin {
    bool found;
    gh_credentials cred;
    const char *hash; /* what the password is checked against: the user's or a dummy */
} gh_signin;

/* Looks the user up; s->hash is set even for an unknown user (a dummy hash, so that the answer
 * costs one Argon2id check either way). */
gh_err gh_signin_begin(gh_ctx *ctx, const char *username, gh_signin *s) GH_MUST_USE;

typedef struct gh_signin_result {
    gh_signin_stage next; /* totp, enroll_totp, change_password or done */
    char *token;          /* the new session's token (arena); only its hash is stored */
    gh_session session;
} gh_signin_result;

/* After the Argon2id check: applies lock-out and, on success, opens a new session (a new id at
 * every sign-in: S2). rehash, when not NULL, replaces the stored hash. */
gh_err gh_signin_finish(gh_ctx *ctx, gh_signin *s, bool password_ok, const char *rehash,
                        const char *user_agent, gh_signin_result *out) GH_MUST_USE;

/* After a verified ID token of source src (core/sso.h): the live user whose sso_source is the
 * source's name and whose sso_id is claims->value, of the source's service provider (C10), opens
 * a session as after a password (same lock-out, banned, disabled and login-disabled refusals, a
 * new session id, factor sso in the audit row); enforce_sso is what such a user asks for. An
 * invited user is onboarded by it (active, its onboarding links void). The next step is TOTP
 * (or its enrolment) when the user must use two factors, unless src->trust_idp_mfa and the token
 * says the provider checked one (claims->amr_mfa); never a password change. Unknown users are
 * refused (never created here). GH_EUNAUTH with GH_SIGNIN_REFUSED for every refusal, each
 * audited. */
struct gh_oidc_claims;
gh_err gh_signin_sso(gh_ctx *ctx, const gh_sso_source *src, const struct gh_oidc_claims *claims,
                     const char *user_agent, gh_signin_result *out) GH_MUST_USE;

/* The session's user passes the TOTP step with a 6-digit code or a recovery code. */
gh_err gh_signin_totp(gh_ctx *ctx, const gh_session *sess, const char *code,
                      gh_signin_stage *next) GH_MUST_USE;
/* The forced change: new_hash (already checked and hashed) replaces the password; every other
 * session of the user ends. */
gh_err gh_signin_password_changed(gh_ctx *ctx, const gh_session *sess, const char *new_hash,
                                  gh_signin_stage *next) GH_MUST_USE;

/* The session behind a cookie token; GH_EUNAUTH when it is not valid (idle expiry from c, NULL:
 * gh_signin_defaults). Only reads, so that it can run inside the read transaction of a GET;
 * gh_session_touch records the activity. With a cache (may be NULL) a session seen before costs
 * one read of the revocation counters instead of the session's and principal's statement, with
 * the same answer (see auth/pcache.h). */
gh_err gh_session_authenticate(gh_pcache *cache, const gh_signin_config *c, gh_db *db, gh_arena *a,
                               const char *token, int64_t now, gh_session *s,
                               gh_principal *p) GH_MUST_USE;
/* Moves last_seen_at to now, at most once a minute (idle expiry counts from it), and tells the
 * cache (may be NULL) about it. Writes: call it outside a read transaction. */
gh_err gh_session_touch(gh_pcache *cache, const char *token, gh_db *db, gh_session *s,
                        int64_t now) GH_MUST_USE;
/* Ends the current session (sign out). */
gh_err gh_session_end(gh_ctx *ctx, const gh_session *sess) GH_MUST_USE;
/* The principal behind a presented bearer token; GH_EUNAUTH when the token is unknown or expired
 * or its user cannot act (not active, login disabled, banned). Only reads. */
gh_err gh_token_authenticate(gh_pcache *cache, gh_db *db, gh_arena *a, const char *token,
                             int64_t now, gh_principal *out) GH_MUST_USE;

/* Own two-factor enrolment: a pending secret (base32, otpauth URI and QR SVG returned), then the
 * confirmation with a code, which returns ten recovery codes (shown once). */
typedef struct gh_totp_enrolment {
    const char *secret_base32, *otpauth_uri, *qr_svg;
} gh_totp_enrolment;
/* The proof of a user replacing its enrolled device (S10): its current password, verified by
 * the caller's Argon2id job (password_given, password_ok), or a current code of the device. */
typedef struct gh_reauth {
    bool password_given, password_ok;
    const char *code;
} gh_reauth;
/* re may be NULL while no device is enrolled; once one is, a missing proof is GH_EFORBIDDEN and
 * a wrong one GH_EINVAL (naming current_password or code) counted as a failed step (A4). */
gh_err gh_totp_enrol_start(gh_ctx *ctx, const gh_session *sess, const gh_reauth *re,
                           gh_totp_enrolment *out) GH_MUST_USE;
gh_err gh_totp_enrol_confirm(gh_ctx *ctx, const gh_session *sess, const char *code,
                             char ***recovery_codes, gh_signin_stage *next) GH_MUST_USE;

/* Own password change with the current password (A3), after the Argon2id checks ran. */
gh_err gh_password_change_own(gh_ctx *ctx, const gh_session *sess, bool current_ok,
                              const char *new_hash) GH_MUST_USE;

/* Records that the client address ran out of sign-in attempts (login.throttled, outcome denied,
 * with the factor and the wait), as ctx->who when a session is known, else as "unknown". Best
 * effort, in its own transaction. */
void gh_signin_throttled(gh_ctx *ctx, const char *factor, int64_t retry_after);

/* Checks a new password for a user against the policy (A1, A2); reason set on GH_EINVAL. */
gh_err gh_signin_password_policy(gh_ctx *ctx, int64_t user_id, const char *password) GH_MUST_USE;

/* ---- the signed-in user's own account (core/account.c) ----
 * Each reads in the caller's transaction and begins none: a GET runs them inside the server's
 * read transaction. Strings of the results live in ctx->a. Thread-safe given one gh_ctx per
 * request. Outputs are written only on success. */

/* The detail of a password change that would keep the current password. */
#define GH_PASSWORD_SAME "The new password must be different from the current one."

/* Who the session sess of ctx->who is. Until sign-in is finished (S9) only the next step and
 * the language are filled in (signed_in false, user and permissions zero); afterwards the
 * user's record and ctx->who's effective permissions as well. */
typedef struct gh_whoami {
    gh_signin_stage next;
    const char *language;
    bool signed_in;
    gh_user user;
    uint64_t permissions; /* bit i: permission i (gh_perm_name) */
} gh_whoami;
gh_err gh_core_session_whoami(gh_ctx *ctx, const gh_session *sess, gh_whoami *out) GH_MUST_USE;

/* ctx->who's two-factor state: an enrolled device, an enrolment waiting for its code, and
 * whether the account must use two factors. */
typedef struct gh_totp_state {
    bool enrolled, pending, required;
} gh_totp_state;
gh_err gh_core_totp_state(gh_ctx *ctx, gh_totp_state *out) GH_MUST_USE;

/* Before the Argon2id jobs of ctx->who's own password change (A3): password passes the policy
 * (GH_EINVAL naming password), the account has a password (GH_ECONFLICT) and password differs
 * from current_password (GH_EINVAL, GH_PASSWORD_SAME). *current_hash: what current_password is
 * to be verified against. */
gh_err gh_core_password_change_prepare(gh_ctx *ctx, const char *password,
                                       const char *current_password,
                                       const char **current_hash) GH_MUST_USE;
/* Before the forced change's jobs: password passes the policy (GH_EINVAL naming password).
 * *current_hash: the hash the new password must not verify against (GH_PASSWORD_SAME), or NULL
 * when the account has no password yet (nothing to compare). */
gh_err gh_core_forced_change_prepare(gh_ctx *ctx, const char *password,
                                     const char **current_hash) GH_MUST_USE;
/* Before an enrolment (gh_totp_enrol_start): *verify_hash is the hash a given current password
 * must be verified against first (S10), or NULL when no password check is to run (no password
 * given, no device enrolled yet, or no password on the account). */
gh_err gh_core_totp_reauth_hash(gh_ctx *ctx, bool password_given,
                                const char **verify_hash) GH_MUST_USE;

#endif
