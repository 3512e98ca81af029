/* The signed-in user's own account, as the session and "me" pages read it before they act: who
 * the session is, the two-factor state, and the checks and the hash each password change or
 * device replacement needs before its Argon2id jobs run (see signin.h). */
#include <string.h>

#include "core/internal.h"
#include "core/signin.h"

gh_err gh_core_session_whoami(gh_ctx *ctx, const gh_session *sess, gh_whoami *out)
{
    gh_user u;
    gh_err err = gh_store_user_get(ctx->db, ctx->a, ctx->who->user_id, &u);
    if (err != GH_OK)
        return err;
    gh_whoami w = {.next = sess->stage, .language = u.language};
    if (sess->stage == GH_STAGE_DONE) {
        w.signed_in = true;
        w.user = u;
        w.permissions = gh_perm_effective(ctx->who);
    }
    *out = w;
    return GH_OK;
}

gh_err gh_core_totp_state(gh_ctx *ctx, gh_totp_state *out)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err == GH_OK)
        *out = (gh_totp_state){.enrolled = c.mfa_enrolled,
                               .pending = c.totp_pending != NULL,
                               .required = c.mfa_required};
    return err;
}

/* The policy check of a new password, then the account's credentials. */
static gh_err policy_and_credentials(gh_ctx *ctx, const char *password, gh_credentials *c)
{
    gh_err err = gh_signin_password_policy(ctx, ctx->who->user_id, password);
    return err != GH_OK ? err : gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, c);
}

gh_err gh_core_password_change_prepare(gh_ctx *ctx, const char *password,
                                       const char *current_password, const char **current_hash)
{
    gh_credentials c;
    gh_err err = policy_and_credentials(ctx, password, &c);
    if (err != GH_OK)
        return err;
    if (c.password_hash == NULL)
        return gh_fail(ctx, GH_ECONFLICT, NULL, NULL, "the account has no password yet");
    if (strcmp(password, current_password) == 0)
        return gh_fail(ctx, GH_EINVAL, "password", "same", GH_PASSWORD_SAME);
    *current_hash = c.password_hash;
    return GH_OK;
}

gh_err gh_core_forced_change_prepare(gh_ctx *ctx, const char *password, const char **current_hash)
{
    gh_credentials c;
    gh_err err = policy_and_credentials(ctx, password, &c);
    if (err == GH_OK)
        *current_hash = c.password_hash;
    return err;
}

gh_err gh_core_totp_reauth_hash(gh_ctx *ctx, bool password_given, const char **verify_hash)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err == GH_OK)
        *verify_hash = password_given && c.mfa_enrolled ? c.password_hash : NULL;
    return err;
}
