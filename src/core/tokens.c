/* API tokens with a lifecycle (S11): issued with a lifetime (90 days unless asked otherwise),
 * listed and revoked by their owner and by admins inside their scope, and ended together with
 * the user's sessions and pending reset links whenever the password changes or the account is
 * disabled, deleted, forced to reset or its two-factor reset. */
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"

gh_err gh_core_token_create(gh_ctx *ctx, const char *username, const char *name, int64_t expires_in,
                            char **token, int64_t *id)
{
    gh_user u;
    gh_err err = gh_store_user_by_username(ctx->db, ctx->a, username, &u);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, "user", "not_found", "no such user");
    if (err != GH_OK)
        return err;
    if (u.status != GH_STATUS_ACTIVE)
        return gh_fail(ctx, GH_ECONFLICT, "user", "not_active", "the user is not active");
    if (expires_in < GH_TOKEN_NEVER)
        return gh_fail(ctx, GH_EINVAL, "expires_in", "out_of_range",
                       "a lifetime in seconds, or never");
    char tok[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    gh_token_new(tok, hash);
    int64_t ttl = expires_in == 0 ? GH_TOKEN_DEFAULT_TTL_S : expires_in;
    int64_t expires_at = ttl == GH_TOKEN_NEVER ? 0 : ctx->now + ttl, tid = 0;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_token_purge(ctx->db, u.id, ctx->now);
    if (err == GH_OK)
        err = gh_store_token_insert(ctx->db, u.id, name, hash, ctx->now, expires_at, &tid);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_TOKEN_CREATE, "user", u.id, u.id, u.provider_id, GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(tid), .expires_at = GH_AUDIT_INT(expires_at)));
    err = gh_core_finish(ctx, err);
    if (err == GH_OK) {
        *token = gh_arena_strdup(ctx->a, tok);
        *id = tid;
    }
    sodium_memzero(tok, sizeof tok);
    return err;
}

gh_err gh_core_token_reauth_hash(gh_ctx *ctx, bool password_given, const char **verify_hash)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err == GH_OK)
        *verify_hash = password_given ? c.password_hash : NULL;
    return err;
}

/* The proof asked of a user minting its own token: a stolen session must not turn itself into
 * a credential that outlives it. An account with neither a password nor a device has only the
 * session (it signed in by single sign-on, which it then is not forced to use). */
static gh_err own_token_allowed(gh_ctx *ctx, const gh_credentials *c, const gh_reauth *re,
                                int64_t *step)
{
    if (c->status != GH_STATUS_ACTIVE)
        return gh_fail(ctx, GH_ECONFLICT, NULL, NULL, "the account is not active");
    if (c->enforce_sso)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       "this account signs in through single sign-on only and cannot have API "
                       "tokens");
    if (c->password_hash == NULL && !c->mfa_enrolled)
        return GH_OK;
    return gh_core_reauth(ctx, c, re,
                          "to create an API token, confirm with your current password or a code "
                          "from your two-factor device",
                          step);
}

gh_err gh_core_token_create_own(gh_ctx *ctx, const struct gh_reauth *re, const char *name,
                                int64_t days, char **token, gh_api_token *out)
{
    while (name != NULL && (*name == ' ' || *name == '\t'))
        name++;
    if (name == NULL || *name == '\0')
        return gh_fail(ctx, GH_EINVAL, "name", "required",
                       "give the token a name (what it is for)");
    gh_credentials c;
    gh_api_token *live = NULL;
    size_t n = 0;
    int64_t step = 0, tid = 0;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err == GH_OK)
        err = own_token_allowed(ctx, &c, re, &step);
    if (err == GH_OK)
        err =
            gh_store_token_list(ctx->db, ctx->a, c.user_id, ctx->now, GH_TOKEN_LIST_MAX, &live, &n);
    if (err != GH_OK)
        return err;
    if (n >= GH_TOKEN_LIST_MAX)
        return gh_fail(
            ctx, GH_ECONFLICT, NULL, NULL,
            gh_arena_printf(ctx->a, "at most %d live tokens; revoke one first", GH_TOKEN_LIST_MAX));
    char tok[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    gh_token_new(tok, hash);
    int64_t expires_at = ctx->now + (days > 0 ? days * 86400 : GH_TOKEN_DEFAULT_TTL_S);
    if ((err = gh_db_begin(ctx->db)) != GH_OK) {
        sodium_memzero(tok, sizeof tok);
        return err;
    }
    err = gh_core_reauth_use_code(ctx, &c, step);
    if (err == GH_OK)
        err = gh_store_token_purge(ctx->db, c.user_id, ctx->now);
    if (err == GH_OK)
        err = gh_store_token_insert(ctx->db, c.user_id, name, hash, ctx->now, expires_at, &tid);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_TOKEN_CREATE, "user", c.user_id, c.user_id, c.provider_id, GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(tid), .expires_at = GH_AUDIT_INT(expires_at),
                               .proof = step > 0             ? "code"
                                        : re->password_given ? "password"
                                                             : NULL));
    err = gh_core_finish(ctx, err);
    if (err == GH_OK) {
        *token = gh_arena_strdup(ctx->a, tok);
        *out = (gh_api_token){.id = tid,
                              .user_id = c.user_id,
                              .name = gh_arena_strdup(ctx->a, name),
                              .created_at = ctx->now,
                              .expires_at = expires_at};
    }
    sodium_memzero(tok, sizeof tok);
    return err;
}

/* A live user inside the actor's scope (its own record always); GH_ENOTFOUND otherwise. */
static gh_err load_owner(gh_ctx *ctx, int64_t user_id, gh_user *out)
{
    gh_err err = user_id == ctx->who->user_id
                     ? gh_store_user_get(ctx->db, ctx->a, user_id, out)
                     : gh_store_user_get_visible(ctx->db, ctx->a, ctx->who, user_id, out);
    if (err == GH_OK && out->status == GH_STATUS_DELETED)
        err = GH_ENOTFOUND;
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such user") : err;
}

static gh_err platform_only(gh_ctx *ctx)
{
    return ctx->who->access.level == GH_ACCESS_PLATFORM
               ? GH_OK
               : gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                         "only platform administrators see every token");
}

gh_err gh_core_token_list(gh_ctx *ctx, int64_t user_id, gh_api_token **items, size_t *n)
{
    gh_user u;
    gh_err err = user_id == 0 ? platform_only(ctx) : load_owner(ctx, user_id, &u);
    if (err != GH_OK)
        return err;
    return gh_store_token_list(ctx->db, ctx->a, user_id, ctx->now, GH_TOKEN_LIST_MAX, items, n);
}

gh_err gh_core_token_list_by_username(gh_ctx *ctx, const char *username, gh_api_token **items,
                                      size_t *n)
{
    gh_user u = {0};
    gh_err err =
        username != NULL ? gh_store_user_by_username(ctx->db, ctx->a, username, &u) : GH_OK;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, "user", "not_found", "no such user");
    return err != GH_OK ? err : gh_core_token_list(ctx, u.id, items, n);
}

static gh_err revoke_in_tx(gh_ctx *ctx, int64_t user_id, int64_t token_id)
{
    gh_api_token t;
    gh_user u;
    int64_t count = 0;
    gh_err err = gh_store_token_get(ctx->db, ctx->a, token_id, ctx->now, &t);
    if (err == GH_OK && user_id == 0)
        user_id = t.user_id; /* the CLI names the token only */
    if (err == GH_OK || err == GH_ENOTFOUND) {
        /* the user first: outside the scope nothing is said about its tokens */
        gh_err uerr = load_owner(ctx, user_id, &u);
        if (uerr != GH_OK)
            return uerr;
    }
    if (err == GH_ENOTFOUND || (err == GH_OK && t.user_id != user_id))
        return gh_fail(ctx, GH_ENOTFOUND, NULL, NULL, "no such token");
    if (err == GH_OK && user_id != ctx->who->user_id)
        err = gh_core_check_power(ctx, user_id);
    if (err == GH_OK)
        err = gh_store_token_delete(ctx->db, user_id, token_id, ctx->now, &count);
    if (err == GH_OK && count == 0)
        return gh_fail(ctx, GH_ENOTFOUND, NULL, NULL, "no such token");
    if (err == GH_OK) /* the token's id, never its value (L3) */
        err = gh_core_audit(ctx, GH_ACT_TOKEN_REVOKE, "user", user_id, user_id, u.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(token_id)));
    return err;
}

gh_err gh_core_token_revoke(gh_ctx *ctx, int64_t user_id, int64_t token_id)
{
    gh_err err = user_id == 0 ? platform_only(ctx) : GH_OK;
    if (err == GH_OK)
        err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, revoke_in_tx(ctx, user_id, token_id));
}

gh_err gh_core_end_credentials(gh_ctx *ctx, int64_t user_id, int64_t keep_session_id)
{
    gh_err err =
        gh_store_session_delete(ctx->db, user_id, keep_session_id > 0 ? -keep_session_id : 0, NULL);
    if (err == GH_OK)
        err = gh_store_token_delete(ctx->db, user_id, 0, ctx->now, NULL);
    if (err == GH_OK)
        err = gh_store_link_void(ctx->db, user_id, GH_LINK_PASSWORD_RESET, ctx->now);
    return err;
}

gh_err gh_core_user_edited(gh_ctx *ctx, const gh_user *before, const gh_user *after)
{
    bool sso_now = !before->enforce_sso && after->enforce_sso;
    bool login_off = before->login_enabled && !after->login_enabled;
    return sso_now || login_off ? gh_core_end_credentials(ctx, after->id, 0) : GH_OK;
}
