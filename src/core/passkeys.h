/* Passkeys (WebAuthn): the signed-in user's own passkeys (register, list, rename, remove), the
 * webauthn sign-in stage of a user with passkeys (a passkey, or as alternatives its TOTP code or
 * a recovery code through gh_signin_totp), and password-less sign-in with a discoverable passkey
 * where the user's service provider allows it. The ceremonies are verified by auth/webauthn.h;
 * here live their rules: challenges single use (one conditional UPDATE, also across instances)
 * and valid GH_PASSKEY_CHALLENGE_SECONDS, the lock-out (A4) counting failed assertions like
 * failed codes, refusals of accounts that cannot sign in (A5) and the one answer of every refused
 * sign-in (A6). rp is the relying party of --external-url; NULL: passkeys are unavailable
 * (GH_ECONFLICT). Thread-safe given one gh_ctx per request; outputs only on success, strings in
 * ctx->a. */
#ifndef GH_CORE_PASSKEYS_H
#define GH_CORE_PASSKEYS_H

#include "auth/webauthn.h"
#include "core/signin.h"

#define GH_PASSKEY_CHALLENGE_SECONDS 300 /* also the ceremonies' timeout offered to browsers */
#define GH_PASSKEY_MAX_PER_USER      20

/* A PublicKeyCredential in the WebAuthn JSON serialisation, base64url fields as sent. */
typedef struct gh_webauthn_response {
    const char *id, *raw_id, *type;
    const char *client_data_json;
    const char *attestation_object;                           /* registration */
    const char *authenticator_data, *signature, *user_handle; /* assertion */
    const char *transports;                                   /* space-separated (may be NULL) */
} gh_webauthn_response;

/* What a ceremony's options carry besides the fixed parts (algorithms, selection criteria). */
typedef struct gh_passkey_options {
    const char *challenge;
    const char *user_handle, *user_name, *display_name; /* registration */
    const char **credential_ids; /* exclude (registration) or allow (sign-in) list, NULL-ended */
    bool require_uv;
} gh_passkey_options;

/* ---- my passkeys ---- */
gh_err gh_passkey_register_options(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                                   gh_passkey_options *out) GH_MUST_USE;
/* Before gh_passkey_register or gh_passkey_remove: the hash a given current password must be
 * verified against first (S10), or NULL when no password check is to run (none given, no second
 * factor yet, or no password on the account). */
gh_err gh_core_passkey_reauth_hash(gh_ctx *ctx, bool password_given,
                                   const char **verify_hash) GH_MUST_USE;
/* Registers the passkey of resp under name; needs re (current password or TOTP code) once the
 * account has a second factor (S10). At the enroll_totp step (a second factor is required and
 * none is there yet) the passkey is that factor: the session moves past the step. The first
 * passkey of an account without TOTP comes with ten recovery codes (*recovery_codes, NULL-ended,
 * to show once; NULL otherwise), so that a lost device is not a locked account. GH_EINVAL
 * naming credential when the ceremony fails. */
gh_err gh_passkey_register(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                           const char *name, const gh_webauthn_response *resp, const gh_reauth *re,
                           gh_passkey *out, char ***recovery_codes) GH_MUST_USE;
gh_err gh_passkey_list(gh_ctx *ctx, gh_passkey **items, size_t *n) GH_MUST_USE;
gh_err gh_passkey_rename(gh_ctx *ctx, int64_t id, const char *name) GH_MUST_USE;
/* Removes one of ctx->who's passkeys with a fresh proof (S10). */
gh_err gh_passkey_remove(gh_ctx *ctx, int64_t id, const gh_reauth *re) GH_MUST_USE;

/* ---- sign-in ---- */
/* The webauthn stage's options: the session's user's passkeys. */
gh_err gh_signin_webauthn_options(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                                  gh_passkey_options *out) GH_MUST_USE;
/* The webauthn stage passed with an assertion of one of the user's passkeys. */
gh_err gh_signin_webauthn(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                          const gh_webauthn_response *resp, gh_signin_stage *next) GH_MUST_USE;
/* Password-less: options without a user (empty allow list, user verification required). */
gh_err gh_passkey_signin_options(gh_ctx *ctx, const gh_webauthn_rp *rp,
                                 gh_passkey_options *out) GH_MUST_USE;
/* Password-less: a discoverable passkey's assertion with user verification opens a session
 * like a password and second factor would. */
gh_err gh_signin_passkey(gh_ctx *ctx, const gh_webauthn_rp *rp, const gh_webauthn_response *resp,
                         const char *user_agent, gh_signin_result *out) GH_MUST_USE;

#endif
