/* The first administrator (SECURITY A7): no default credentials. While the database holds no
 * account, every start of `serve` makes a one-time set-up link (a 256-bit token of which only the
 * hash is stored, GH_SETUP_TTL_S, single use) and voids the earlier ones; at the link the operator
 * chooses the first administrator's username, e-mail and password. The link's use and the
 * creation (gh_core_admin_create, the password policy included) are one transaction, a
 * compare-and-set that also requires that no other account exists: of two parallel uses one
 * creates the administrator, and once any account exists every link is void. Nobody is signed
 * in: the administrator signs in afterwards. `gatehouse admin create` stays the scripted path.
 * One gh_ctx per call (one thread). */
#ifndef GH_CORE_SETUP_H
#define GH_CORE_SETUP_H

#include "core/core.h"

#define GH_SETUP_TTL_S 3600

/* When the database holds no account: voids the earlier set-up links, makes a new one and audits
 * it (setup.link_issued, without the token); *url (arena, through gh_mail_link with
 * ctx->mail's site) is the link to show once and *expires_at its expiry. When an account
 * exists: GH_OK with *url NULL, and nothing is made. */
gh_err gh_core_setup_issue(gh_ctx *ctx, char **url, int64_t *expires_at) GH_MUST_USE;

/* What a set-up token stands for. */
typedef struct gh_setup_status {
    gh_link_state state; /* void: a newer link, or an account exists */
    int64_t expires_at;
} gh_setup_status;

/* Looks a token up without using it: GH_ENOTFOUND (field token) for an unknown one. */
gh_err gh_core_setup_status(gh_ctx *ctx, const char *token, gh_setup_status *out) GH_MUST_USE;

/* Creates the first administrator from a pending link and uses the link in the same
 * transaction; audited (admin.create and setup.completed). The token is checked before anything
 * is hashed: GH_ENOTFOUND for an unknown one, GH_EGONE (field token) for one that is expired,
 * used or void, or that another request used meanwhile. GH_EINVAL naming username, email or
 * password (the policy's reason). *id gets the administrator's id. */
gh_err gh_core_setup_complete(gh_ctx *ctx, const char *token, const char *username,
                              const char *email, const char *password, int64_t *id) GH_MUST_USE;

#endif
