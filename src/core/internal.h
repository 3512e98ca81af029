/* Helpers shared by the files of core/. Private to core/. */
#ifndef GH_CORE_INTERNAL_H
#define GH_CORE_INTERNAL_H

#include "core/core.h"
#include "core/signin.h"
#include "model/model.h"

/* Ends the transaction: commits when err is GH_OK (a failed commit is returned), else rolls
 * back. Returns the final error. */
gh_err gh_core_finish(gh_ctx *ctx, gh_err err) GH_MUST_USE;
/* Whether p may manage provider-owned objects (roles, groups) of provider_id: the platform for
 * any, a provider-level admin for its own; 0 means global (platform only). */
bool gh_core_manages_provider(const gh_principal *p, int64_t provider_id);
/* The provider a new provider-bound object (an SSO source, a webhook: C10) is bound to: asked when
 * given, else the actor's own (the platform's for a platform admin); one the actor manages (403,
 * the same for another provider and for an id that does not exist: C9), and a service provider
 * (or 0, the platform). what names the objects in the refusals ("SSO sources"). */
gh_err gh_core_bind_provider(gh_ctx *ctx, bool given, int64_t asked, const char *what,
                             int64_t *provider) GH_MUST_USE;
/* GH_EFORBIDDEN (with field) unless every permission in mask is held by ctx->who. */
gh_err gh_core_check_grant(gh_ctx *ctx, uint64_t mask, const char *field) GH_MUST_USE;
/* Checks a new password for u against the policy (A1, A2): u's own names, username and e-mail,
 * the product's and u's service provider's names. GH_EINVAL naming field, with the reason, on
 * refusal; another error when the check could not run (fail closed). */
gh_err gh_core_password_policy(gh_ctx *ctx, const gh_user *u, const char *password,
                               const char *field) GH_MUST_USE;
/* The actor may act on user id only when it holds every permission that user holds (403). */
gh_err gh_core_check_power(gh_ctx *ctx, int64_t id) GH_MUST_USE;
/* Loads a role visible to ctx->who; GH_ENOTFOUND otherwise. */
gh_err gh_core_visible_role(gh_ctx *ctx, int64_t id, gh_role *out) GH_MUST_USE;
/* Loads a group visible to ctx->who (its member count counts only members ctx->who sees);
 * GH_ENOTFOUND otherwise. */
gh_err gh_core_visible_group(gh_ctx *ctx, int64_t id, gh_group *out) GH_MUST_USE;

/* ---- the rules of grants and actions (rights.c), each the one check its write runs ---- */

/* GH_EINVAL naming field (detail) unless tenant id exists, is of kind (under parent when
 * parent != 0) and ctx->who may name it: the same answer for one outside its view (C9). */
gh_err gh_core_expect_tenant(gh_ctx *ctx, int64_t id, gh_tenant_kind kind, int64_t parent,
                             const char *field, const char *detail) GH_MUST_USE;
/* GH_EFORBIDDEN ("access") unless the user as it will be stored sits inside ctx->who's scope as
 * it was before this request (C6). */
gh_err gh_core_check_scope_held(gh_ctx *ctx, const gh_user *u) GH_MUST_USE;
/* Whether p sees a role or group row (global, its provider's, or any for the platform). */
bool gh_core_role_seen(const gh_principal *p, const gh_role *r);
bool gh_core_group_seen(const gh_principal *p, const gh_group *g);
/* Whether ctx->who may grant role r (group g, with its roles; *pu |= one is a Platform User
 * role) to a user of provider_id: GH_EINVAL naming role_ids (group_ids) when it is not one of
 * that provider's (or global) that ctx->who sees, GH_EFORBIDDEN when it holds permissions
 * ctx->who does not. */
gh_err gh_core_grant_role(gh_ctx *ctx, const gh_role *r, int64_t provider_id) GH_MUST_USE;
gh_err gh_core_grant_group(gh_ctx *ctx, const gh_group *g, int64_t provider_id,
                           bool *pu) GH_MUST_USE;
/* The permission part of a right: GH_EFORBIDDEN unless ctx->who holds what it needs. */
gh_err gh_core_may_perm(gh_ctx *ctx, gh_user_right right) GH_MUST_USE;
uint64_t gh_core_right_perm(gh_user_right right);
/* The whole rule of a right on user u (loaded, visible, live): its permission, then u's
 * power, oneself and u's state (see gh_user_right). */
gh_err gh_core_user_may(gh_ctx *ctx, const gh_user *u, gh_user_right right) GH_MUST_USE;

/* The one answer to a username in use, wherever the user that holds it lives and whatever its
 * status (C9): usernames are unique across the service and never re-used, and a scoped admin
 * learns no more than that the name is not available. */
#define GH_USERNAME_TAKEN                                                                          \
    "this username is not available (usernames are unique across the whole service and are "       \
    "never re-used)"

/* ---- shared by the sign-in files (signin.c, enrol.c, password.c) ---- */

/* A failed sign-in step of c's user with factor: counts towards the ban (A4, one conditional
 * UPDATE) and records it; GH_EUNAUTH with the one refusal detail (A6), or GH_EDB. */
gh_err gh_signin_count_failure(gh_ctx *ctx, const gh_credentials *c, const char *factor);
/* A fresh proof of the signed-in user for a sensitive step (S10: replacing a second factor; an
 * API token): the current password, verified by the caller's Argon2id job (re->password_given,
 * re->password_ok), or a current code of the enrolled device (*step: its time step, to be used
 * up with gh_core_reauth_use_code in the step's transaction, A10). No proof: GH_EFORBIDDEN
 * naming current_password with why as the detail; a wrong one GH_EINVAL (naming
 * current_password or code) counted as a failed sign-in step (A4). */
gh_err gh_core_reauth(gh_ctx *ctx, const gh_credentials *c, const gh_reauth *re, const char *why,
                      int64_t *step) GH_MUST_USE;
/* Uses up the time step of a code given as proof (compare-and-set); GH_OK for step 0. */
gh_err gh_core_reauth_use_code(gh_ctx *ctx, const gh_credentials *c, int64_t step) GH_MUST_USE;
/* Moves sess past the step passed to the next that applies to c (*next); the last step
 * records the completed sign-in. Inside the caller's transaction. */
gh_err gh_signin_advance(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                         gh_signin_stage passed, gh_signin_stage *next) GH_MUST_USE;
/* The same, recording factor (core/ops.h) as what passed the step instead of the step's name:
 * a recovery code passes the TOTP step. */
gh_err gh_signin_advance_by(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                            gh_signin_stage passed, const char *factor,
                            gh_signin_stage *next) GH_MUST_USE;
/* Ten new recovery codes for user_id, replacing any it had (only their hashes are kept), inside
 * the caller's transaction; *shown: the codes, NULL-ended, in ctx's arena, to show once (a TOTP
 * enrolment's, or the first passkey's of an account without another second factor). */
gh_err gh_core_recovery_codes_new(gh_ctx *ctx, int64_t user_id, char ***shown) GH_MUST_USE;
/* Whether code is exactly six ASCII digits (a TOTP code, not a recovery code). */
bool gh_signin_six_digits(const char *code);
/* Checks a TOTP code against a sealed secret (key: the secret key) for a step after last_step;
 * *step gets the matching step on success. */
gh_err gh_signin_check_totp(const unsigned char *key, const char *sealed, const char *code,
                            int64_t now, int64_t last_step, int64_t *step) GH_MUST_USE;

/* The sign-in pieces core/passkeys.c shares (core/signin.c): the step after passed for c; c's
 * own principal; an audit row in its own transaction as c's user (c NULL: "unknown"); the one
 * refusal (GH_EUNAUTH, GH_SIGNIN_REFUSED); whether c may open a session (active, login enabled,
 * not SSO-only, not banned) or go on with one; a new session at stage next (inside the caller's
 * transaction). */
gh_signin_stage gh_signin_next_stage(const gh_credentials *c, gh_signin_stage passed);
gh_principal gh_signin_self(const gh_credentials *c);
void gh_signin_audit_alone(gh_ctx *ctx, gh_audit_action action, const gh_credentials *c,
                           gh_audit_obj detail);
gh_err gh_signin_refused(gh_ctx *ctx);
bool gh_signin_can_sign_in(const gh_credentials *c, int64_t now);
bool gh_signin_can_continue(const gh_credentials *c, int64_t now);
gh_err gh_signin_open_session(gh_ctx *ctx, const gh_credentials *c, gh_signin_stage next,
                              const char *user_agent, int64_t sso_source_id,
                              gh_signin_result *out) GH_MUST_USE;

#endif
