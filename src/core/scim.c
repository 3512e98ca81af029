/* SCIM clients (issue 15, C10): created by an administrator who manages their service provider
 * and may grant each of their default roles; their token authenticates only /scim/v2 and stands
 * for a principal that is the creator's, read again at every request, narrowed to the client's
 * provider. So every scope and grant rule of core applies to a SCIM client unchanged, with its
 * creator's rights as the ceiling: a creator who loses a right takes it from its clients too. */
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"

#define NOT_FOUND "no such SCIM client"

/* Only the platform and the admins of one provider manage clients, as for SSO sources. */
static gh_err check_provider(gh_ctx *ctx, int64_t provider_id)
{
    if (provider_id <= 0)
        return gh_fail(ctx, GH_EINVAL, "provider_id", "required",
                       "a SCIM client serves one service provider");
    gh_err err = gh_core_expect_tenant(ctx, provider_id, GH_TENANT_SERVICE_PROVIDER, 0,
                                       "provider_id", "no such service provider");
    if (err == GH_OK && !gh_core_manages_provider(ctx->who, provider_id))
        err = gh_fail(ctx, GH_EINVAL, "provider_id", "not_found", "no such service provider");
    return err;
}

/* The default access: the whole provider, or all or some of its platform accounts. */
static gh_err check_access(gh_ctx *ctx, const gh_scim_client *c)
{
    if (c->access.level == GH_ACCESS_PROVIDER)
        return c->access.ids.n == 0 && !c->access.all
                   ? GH_OK
                   : gh_fail(ctx, GH_EINVAL, "access.account_ids", "not_allowed",
                             "provider access names no accounts");
    if (c->access.level != GH_ACCESS_ACCOUNT)
        return gh_fail(ctx, GH_EINVAL, "access.level", "not_allowed",
                       "a SCIM client gives provider or account access");
    if (c->access.all)
        return c->access.ids.n == 0 ? GH_OK
                                    : gh_fail(ctx, GH_EINVAL, "access.account_ids", "invalid",
                                              "all or a list, not both");
    if (c->access.ids.n == 0)
        return gh_fail(ctx, GH_EINVAL, "access.account_ids", "required",
                       "name the platform accounts, or all");
    gh_err err = GH_OK;
    for (size_t i = 0; err == GH_OK && i < c->access.ids.n; i++)
        err = gh_core_expect_tenant(ctx, c->access.ids.v[i], GH_TENANT_PLATFORM_ACCOUNT,
                                    c->provider_id, "access.account_ids", "no such account");
    return err;
}

/* Each default role: one of the provider's (or global) that the creator sees and whose every
 * permission it holds (the grant rule of every write, core/rights.c); no Platform User role,
 * which needs sub-account access. */
static gh_err check_roles(gh_ctx *ctx, const gh_scim_client *c)
{
    gh_err err = GH_OK;
    for (size_t i = 0; err == GH_OK && i < c->role_ids.n; i++) {
        gh_role r;
        err = gh_core_visible_role(ctx, c->role_ids.v[i], &r);
        if (err == GH_ENOTFOUND)
            return gh_fail(ctx, GH_EINVAL, "role_ids", "not_found",
                           "no such role for the user's service provider");
        if (err == GH_OK)
            err = gh_core_grant_role(ctx, &r, c->provider_id);
        if (err == GH_OK && r.kind == GH_ROLE_PLATFORM_USER)
            err = gh_fail(ctx, GH_EINVAL, "role_ids", "not_allowed",
                          "a Platform User role needs sub-account access, which SCIM does not "
                          "give");
    }
    return err;
}

static gh_err create_tx(gh_ctx *ctx, const gh_scim_client *in, const char *hash,
                        gh_scim_client *out)
{
    gh_scim_client c = *in;
    c.created_by = ctx->who->user_id;
    c.created_at = ctx->now;
    gh_err err = check_provider(ctx, c.provider_id);
    if (err == GH_OK)
        err = check_access(ctx, &c);
    if (err == GH_OK)
        err = check_roles(ctx, &c);
    if (err == GH_OK)
        err = gh_store_scim_client_insert(ctx->db, &c, hash, &c.id);
    if (err == GH_OK)
        err = gh_store_scim_client_get(ctx->db, ctx->a, c.id, out);
    if (err == GH_OK) /* its id, never its token (L3) */
        err = gh_core_audit(ctx, GH_ACT_SCIM_CLIENT_CREATE, "scim_client", c.id, 0, c.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(c.id)));
    return err;
}

gh_err gh_core_scim_client_create(gh_ctx *ctx, const gh_scim_client *in, char **token,
                                  gh_scim_client *out)
{
    const char *name = in->name;
    while (name != NULL && (*name == ' ' || *name == '\t'))
        name++;
    if (name == NULL || *name == '\0')
        return gh_fail(ctx, GH_EINVAL, "name", "required", "give the client a name");
    if (ctx->who->user_id == 0)
        return gh_fail(ctx, GH_EINVAL, "created_by", "required",
                       "a SCIM client acts with its creator's rights: name the creator");
    char tok[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    gh_token_new(tok, hash);
    gh_err err = gh_db_begin(ctx->db);
    if (err == GH_OK)
        err = gh_core_finish(ctx, create_tx(ctx, in, hash, out));
    if (err == GH_OK)
        *token = gh_arena_strdup(ctx->a, tok);
    sodium_memzero(tok, sizeof tok);
    return err;
}

static gh_err visible(gh_ctx *ctx, int64_t id, gh_scim_client *out)
{
    gh_scim_client c;
    gh_err err = gh_store_scim_client_get(ctx->db, ctx->a, id, &c);
    if (err == GH_OK && !gh_core_manages_provider(ctx->who, c.provider_id))
        err = GH_ENOTFOUND;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, NOT_FOUND);
    if (err == GH_OK)
        *out = c;
    return err;
}

gh_err gh_core_scim_client_get(gh_ctx *ctx, int64_t id, gh_scim_client *out)
{
    return visible(ctx, id, out);
}

gh_err gh_core_scim_client_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                                gh_scim_client **items, size_t *n)
{
    const gh_principal *who = ctx->who;
    if (who->access.level == GH_ACCESS_PROVIDER && provider_id == 0)
        provider_id = who->provider_id;
    if (who->access.level != GH_ACCESS_PLATFORM &&
        (provider_id <= 0 || !gh_core_manages_provider(who, provider_id))) {
        *items = NULL;
        *n = 0;
        return GH_OK; /* nothing it may see */
    }
    return gh_store_scim_client_list(ctx->db, ctx->a, provider_id, limit, after_id, items, n);
}

static gh_err revoke_tx(gh_ctx *ctx, int64_t id)
{
    gh_scim_client cur;
    gh_err err = visible(ctx, id, &cur);
    if (err == GH_OK)
        err = gh_store_scim_client_revoke(ctx->db, id, ctx->now);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, NOT_FOUND);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SCIM_CLIENT_REVOKE, "scim_client", id, 0, cur.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(id)));
    return err;
}

gh_err gh_core_scim_client_revoke(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, revoke_tx(ctx, id));
}

gh_err gh_scim_authenticate(gh_db *db, gh_arena *a, const char *token, gh_scim_client *client,
                            gh_principal *out)
{
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_scim_client c;
    gh_principal p;
    gh_err err = gh_store_scim_client_auth(db, a, hash, &c, &p);
    if (err != GH_OK)
        return err == GH_ENOTFOUND ? GH_EUNAUTH : err;
    /* The creator's rights, inside the client's provider only. A creator who no longer manages
     * that provider (moved, narrowed) leaves its clients without a principal. */
    if (!gh_core_manages_provider(&p, c.provider_id))
        return GH_EUNAUTH;
    p.perms = gh_perm_effective(&p);
    p.superadmin = false;
    if (p.access.level == GH_ACCESS_PLATFORM) {
        p.access = (gh_access){.level = GH_ACCESS_PROVIDER};
        p.provider_id = c.provider_id;
    }
    /* the audit trail names the client as the actor (actor_id: its creator) */
    p.username = gh_arena_printf(a, "scim:%s", c.name);
    *client = c;
    *out = p;
    return GH_OK;
}

gh_err gh_core_scim_creator(gh_ctx *ctx, const char *username, gh_principal *out)
{
    gh_user u;
    gh_err err = gh_store_user_row_by_username(ctx->db, ctx->a, username, &u);
    if (err == GH_OK && (u.status != GH_STATUS_ACTIVE || !u.login_enabled))
        err = GH_ENOTFOUND;
    if (err == GH_OK)
        err = gh_store_principal_by_user(ctx->db, ctx->a, u.id, out);
    return err == GH_ENOTFOUND ? gh_fail(ctx, GH_EINVAL, "user", "not_found", "no such active user")
                               : err;
}

void gh_core_scim_user_defaults(const gh_scim_client *c, gh_user *u)
{
    u->provider_id = c->provider_id;
    u->access = c->access;
    u->role_ids = c->role_ids;
    u->login_enabled = true;
}

gh_err gh_core_scim_users(gh_ctx *ctx, const gh_scim_filter *f, int64_t offset, int count,
                          gh_user **items, size_t *n, int64_t *total)
{
    return gh_store_scim_users(ctx->db, ctx->a, ctx->who, f, offset, count, GH_SCIM_TOTAL_CAP,
                               items, n, total);
}

gh_err gh_core_scim_groups(gh_ctx *ctx, int64_t provider_id, const gh_scim_filter *f,
                           int64_t offset, int count, int64_t **ids, size_t *n, int64_t *total)
{
    if (!gh_core_manages_provider(ctx->who, provider_id)) {
        *ids = NULL;
        *n = 0;
        *total = 0;
        return GH_OK;
    }
    return gh_store_scim_groups(ctx->db, ctx->a, ctx->who, provider_id, f, offset, count,
                                GH_SCIM_TOTAL_CAP, ids, n, total);
}
