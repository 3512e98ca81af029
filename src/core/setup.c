/* See setup.h. */
#include "core/setup.h"

#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"
#include "mail/mail.h"

/* Who acts through a set-up link: nobody signed in; the audit rows say so. */
static const gh_principal setup_actor = {.username = "setup-link"};

gh_err gh_core_setup_issue(gh_ctx *ctx, char **url, int64_t *expires_at)
{
    char token[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    int64_t accounts = 0, link_id = 0;
    gh_token_new(token, hash);
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        goto out;
    err = gh_store_user_count(ctx->db, &accounts);
    if (err == GH_OK && accounts == 0)
        err = gh_store_setup_replace(ctx->db, hash, ctx->now, ctx->now + GH_SETUP_TTL_S, &link_id);
    if (err == GH_OK && accounts == 0) /* the row names the link, never its token (L3) */
        err = gh_core_audit(ctx, GH_ACT_SETUP_LINK_ISSUED, "setup_link", link_id, 0, 0,
                            GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    if ((err = gh_core_finish(ctx, err)) == GH_OK) {
        *url = accounts == 0 ? gh_mail_link(ctx->mail, ctx->a, GH_LINK_SETUP, token) : NULL;
        *expires_at = accounts == 0 ? ctx->now + GH_SETUP_TTL_S : 0;
    }
out:
    sodium_memzero(token, sizeof token);
    return err;
}

/* A link's state; once any account exists, every unused link is void. */
static gh_link_state state_of(const gh_setup_link *l, bool accounts, int64_t now)
{
    if (l->used_at != 0)
        return GH_LINK_USED;
    if (l->voided_at != 0 || accounts)
        return GH_LINK_VOID;
    return l->expires_at > now ? GH_LINK_PENDING : GH_LINK_EXPIRED;
}

static gh_err load(gh_ctx *ctx, const char *token, gh_setup_link *l, gh_link_state *state)
{
    char hash[GH_TOKEN_HASH_CHARS];
    int64_t accounts = 0;
    gh_token_hash(token, hash);
    gh_err err = gh_store_setup_by_hash(ctx->db, hash, l);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, "token", "invalid",
                       "this set-up link is not valid; check that it was copied whole");
    if (err == GH_OK)
        err = gh_store_user_count(ctx->db, &accounts);
    if (err == GH_OK)
        *state = state_of(l, accounts > 0, ctx->now);
    return err;
}

gh_err gh_core_setup_status(gh_ctx *ctx, const char *token, gh_setup_status *out)
{
    gh_setup_link l;
    gh_link_state state = GH_LINK_VOID;
    gh_err err = load(ctx, token, &l, &state);
    if (err == GH_OK)
        *out = (gh_setup_status){.state = state, .expires_at = l.expires_at};
    return err;
}

static gh_err check_pending(gh_ctx *ctx, gh_link_state state)
{
    static const char *const gone[] = {
        [GH_LINK_USED] =
            "this set-up link was already used; sign in with the administrator it created",
        [GH_LINK_VOID] =
            "this set-up link is void: a newer one was printed, or an administrator exists",
        [GH_LINK_EXPIRED] = "this set-up link expired; restart the server to print a new one",
    };
    static const char *const gone_reason[] = {
        [GH_LINK_USED] = "used",
        [GH_LINK_VOID] = "replaced",
        [GH_LINK_EXPIRED] = "expired",
    };
    return state == GH_LINK_PENDING
               ? GH_OK
               : gh_fail(ctx, GH_EGONE, "token", gone_reason[state], gone[state]);
}

/* The guard of the creation: uses the link for the new administrator in its transaction. */
static gh_err use_link(gh_ctx *ctx, int64_t id, void *arg)
{
    const gh_setup_link *l = arg;
    gh_err err = gh_store_setup_use(ctx->db, l->id, id, ctx->now);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, GH_EGONE, "token", "used",
                       "this set-up link was used meanwhile, or an administrator exists now");
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SETUP_COMPLETED, "user", id, id, 0, GH_AUDIT_NOTHING,
                            GH_AUDIT_DETAIL_OF(.setup_link_id = GH_AUDIT_INT(l->id)));
    return err;
}

gh_err gh_core_setup_complete(gh_ctx *ctx, const char *token, const char *username,
                              const char *email, const char *password, int64_t *id)
{
    gh_setup_link l;
    gh_link_state state = GH_LINK_VOID;
    const gh_principal *saved = ctx->who;
    ctx->who = &setup_actor;
    gh_err err = load(ctx, token, &l, &state);
    if (err == GH_OK)
        err = check_pending(ctx, state);
    gh_admin_guard guard = {.check = use_link, .arg = &l};
    if (err == GH_OK)
        err = gh_core_admin_create(ctx, username, email, password, &guard, id);
    ctx->who = saved;
    return err;
}
