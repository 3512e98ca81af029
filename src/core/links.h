/* E-mailed links and notices: onboarding (24 h, single use, re-sendable by full user admins),
 * forgotten-password resets (1 h, single use), and the notices of mfa_required, force-reset and
 * reset-MFA. Each e-mail is an outbox row written in the caller's transaction (mail/ delivers it);
 * each link's token is minted only when its e-mail is sent, and only its hash is stored (A8).
 * Setting a password from a link never signs in and never touches two-factor state (A9), and is
 * refused for a disabled, deleted or login-disabled account (A5). One gh_ctx per request. */
#ifndef GH_CORE_LINKS_H
#define GH_CORE_LINKS_H

#include "core/core.h"

#define GH_ONBOARDING_TTL_S    (24 * 3600)
#define GH_RESET_TTL_S         3600
#define GH_RESEND_PER_HOUR     5 /* re-sends of onboarding per user per hour; then 429 */
#define GH_RESET_PER_HOUR      5 /* reset e-mails per user per hour; more are dropped silently */
#define GH_RESET_MAX_PER_EMAIL 5 /* accounts sharing one address that a request reaches */

/* Queues an e-mail of kind (onboarding, password_reset, mfa_enrol, force_reset, mfa_reset) to
 * u in the caller's transaction; onboarding and password_reset carry a new link (origin:
 * create, resend or request). GH_EINVAL (field email) when an address or name would be unsafe
 * in a header (I4). Wakes the sender. */
gh_err gh_core_mail_queue(gh_ctx *ctx, const gh_user *u, const char *kind,
                          const char *origin) GH_MUST_USE;
/* Voids u's live onboarding links and queues a new one, in the caller's transaction (the sender
 * writes onboarding.sent when the e-mail goes out). */
gh_err gh_core_onboarding_issue(gh_ctx *ctx, const gh_user *u, const char *origin) GH_MUST_USE;

/* Re-sends onboarding to invited user id (voiding the old link): only for an actor holding every
 * users.* permission (403), inside its scope (404), for invited users (409), at most
 * GH_RESEND_PER_HOUR an hour (429 with ctx->retry_after). *out gets the user afterwards. */
gh_err gh_core_onboarding_resend(gh_ctx *ctx, int64_t id, gh_user *out) GH_MUST_USE;

/* Makes a new onboarding link for invited user id and returns it once: *url (arena) and its
 * expiry, voiding the previous link (a queued onboarding e-mail is then not sent). For an admin
 * to hand over when no e-mail can be sent; the same rules as re-sending (403, 404, 409, 429).
 * Only the token's hash is stored, and the audit row names the link, not the token. */
gh_err gh_core_onboarding_link(gh_ctx *ctx, int64_t id, char **url,
                               int64_t *expires_at) GH_MUST_USE;

/* What a link token stands for. */
typedef struct gh_link_status {
    gh_link_state state; /* void: replaced by a newer link */
    int64_t expires_at;
    int64_t user_id;
    const char *username; /* NULL unless pending */
    const char *language; /* the user's (the page opens in it); NULL unless pending */
} gh_link_status;

/* Looks a token of purpose (onboarding, password_reset) up without consuming it: GH_ENOTFOUND
 * for an unknown token (or one of the other purpose), else GH_OK with its state. */
gh_err gh_core_link_status(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                           gh_link_status *out) GH_MUST_USE;
/* GH_OK only when the token is pending and its account may set a password now; otherwise
 * GH_ENOTFOUND (unknown), GH_EGONE (expired, used, replaced; the detail says which) or
 * GH_EFORBIDDEN (the account is disabled, deleted or may not sign in). */
gh_err gh_core_link_check(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                          gh_link_status *out) GH_MUST_USE;
/* Uses the token (once: of two requests one wins) to set the password (hash, already checked
 * against the policy and hashed). Onboarding makes the user active; a reset ends every session of
 * the user. The same refusals as gh_core_link_check. */
gh_err gh_core_link_complete(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                             const char *hash, gh_link_status *out) GH_MUST_USE;

/* Forgot password: queues a reset link to the active account named username, or to the active
 * accounts with e-mail address email (one of them is NULL). Succeeds the same way whether or not
 * an account matched (no enumeration); beyond GH_RESET_PER_HOUR per account nothing is sent. */
gh_err gh_core_password_reset_request(gh_ctx *ctx, const char *username,
                                      const char *email) GH_MUST_USE;

#endif
