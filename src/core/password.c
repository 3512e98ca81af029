/* Passwords: the policy a new password must meet (A1, A2) and the user's own change with the
 * current password (A3, S11) (see signin.h). */
#include "core/signin.h"

#include "auth/policy.h"
#include "core/internal.h"

gh_err gh_password_change_own(gh_ctx *ctx, const gh_session *sess, bool current_ok,
                              const char *new_hash)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK)
        return err;
    if (current_ok && new_hash == NULL)
        return GH_EINTERNAL;
    if (!current_ok)
        return gh_signin_count_failure(ctx, &c, "current_password") == GH_EUNAUTH
                   ? gh_fail(ctx, GH_EINVAL, "current_password", "wrong",
                             "the current password is wrong")
                   : GH_EDB;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_user_set_password(ctx->db, c.user_id, new_hash, false, ctx->now);
    /* whoever had the old password is out: every other session, every API token and pending
     * reset link end; the session that changed it stays (S11) */
    if (err == GH_OK)
        err = gh_core_end_credentials(ctx, c.user_id, sess != NULL ? sess->id : 0);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_USER_PASSWORD_CHANGE, "user", c.user_id, c.user_id,
                            c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    return gh_core_finish(ctx, err);
}

gh_err gh_core_password_policy(gh_ctx *ctx, const gh_user *u, const char *password,
                               const char *field)
{
    /* the product's name and the name of the user's service provider (A2); an unknown
     * provider is left to the caller's own checks */
    const char *words[] = {"gatehouse", NULL, NULL};
    gh_tenant provider;
    gh_err err = GH_OK;
    if (u->provider_id != 0 &&
        (err = gh_store_tenant_get(ctx->db, ctx->a, u->provider_id, &provider)) == GH_OK)
        words[1] = provider.name;
    if (err != GH_OK && err != GH_ENOTFOUND)
        return err;
    gh_password_facts facts = {.username = u->username,
                               .first_name = u->first_name,
                               .last_name = u->last_name,
                               .email = u->email,
                               .words = words};
    gh_password_refusal why = {NULL, NULL};
    err = gh_password_policy(password, gh_signin_config_of(ctx)->password_min, &facts, &why);
    /* another error: the policy could not check (no dictionary): fail closed, as a 5xx */
    return err == GH_EINVAL ? gh_fail(ctx, GH_EINVAL, field, why.code, why.text) : err;
}

gh_err gh_signin_password_policy(gh_ctx *ctx, int64_t user_id, const char *password)
{
    gh_user u;
    gh_err err = gh_store_user_get(ctx->db, ctx->a, user_id, &u);
    return err != GH_OK ? err : gh_core_password_policy(ctx, &u, password, "password");
}
