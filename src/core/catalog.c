/* Tenants, roles and groups: who may create and change them, and what they may contain. */
#include <string.h>

#include "core/internal.h"
#include "core/validate.h"

static gh_err check_name(gh_ctx *ctx, const char *name)
{
    if (name[0] == '\0' || !gh_valid_text(name))
        return gh_fail(ctx, GH_EINVAL, "name", "control_character",
                       "enter a name without control characters");
    return GH_OK;
}

/* The access level needed to manage a tenant of this kind: providers belong to the platform,
 * accounts to their provider's admins, sub-accounts to their account's admins. */
static gh_access_level manager_level(gh_tenant_kind kind)
{
    if (kind == GH_TENANT_SERVICE_PROVIDER)
        return GH_ACCESS_PLATFORM;
    if (kind == GH_TENANT_PLATFORM_ACCOUNT)
        return GH_ACCESS_PROVIDER;
    return GH_ACCESS_ACCOUNT;
}

/* Whether ctx->who may manage a tenant of kind under `anchor` (the tenant itself or its parent),
 * i.e. has a level at least manager_level(kind) and sees the anchor. */
static gh_err check_manage(gh_ctx *ctx, gh_tenant_kind kind, int64_t anchor)
{
    if (ctx->who->access.level > manager_level(kind))
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       "your access level cannot manage this tenant");
    if (anchor == 0)
        return GH_OK;
    bool visible = false;
    gh_err err = gh_store_tenant_visible(ctx->db, ctx->who, anchor, &visible);
    if (err == GH_OK && !visible)
        err = gh_fail(ctx, GH_ENOTFOUND, "parent_id", "not_found", "no such tenant");
    return err;
}

static gh_err tenant_create_tx(gh_ctx *ctx, const gh_tenant *in, gh_tenant *out)
{
    gh_tenant t = *in, parent;
    static const struct {
        bool has_parent;
        gh_tenant_kind parent_kind;
    } rules[] = {[GH_TENANT_SERVICE_PROVIDER] = {false, GH_TENANT_SERVICE_PROVIDER},
                 [GH_TENANT_PLATFORM_ACCOUNT] = {true, GH_TENANT_SERVICE_PROVIDER},
                 [GH_TENANT_SUB_ACCOUNT] = {true, GH_TENANT_PLATFORM_ACCOUNT}};
    size_t k = (size_t)t.kind; /* http/ parsed it; a value outside the list is refused too */
    if (k >= sizeof rules / sizeof *rules)
        return gh_fail(ctx, GH_EINVAL, "kind", "invalid",
                       "use service_provider, platform_account or sub_account");
    gh_err err = check_name(ctx, t.name);
    if (err != GH_OK)
        return err;
    if (!rules[k].has_parent && t.parent_id != 0)
        return gh_fail(ctx, GH_EINVAL, "parent_id", "not_allowed",
                       "a service provider has no parent");
    if (rules[k].has_parent) {
        if (t.parent_id == 0)
            return gh_fail(ctx, GH_EINVAL, "parent_id", "required", "choose the parent tenant");
        if ((err = check_manage(ctx, t.kind, t.parent_id)) != GH_OK)
            return err;
        err = gh_store_tenant_get(ctx->db, ctx->a, t.parent_id, &parent);
        bool account = t.kind == GH_TENANT_PLATFORM_ACCOUNT;
        if (err == GH_OK && parent.kind != rules[k].parent_kind)
            return gh_fail(ctx, GH_EINVAL, "parent_id", "wrong_kind",
                           account ? "the parent must be a service provider"
                                   : "the parent must be a platform account");
        if (err != GH_OK)
            return err;
        t.provider_id = account ? parent.id : parent.provider_id;
    } else if ((err = check_manage(ctx, t.kind, 0)) != GH_OK) {
        return err;
    }
    t.created_at = ctx->now;
    err = gh_store_tenant_insert(ctx->db, &t, &t.id);
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, err, "name", "taken", "a tenant with this name already exists here");
    if (err == GH_OK)
        err = gh_store_tenant_get(ctx->db, ctx->a, t.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_TENANT_CREATE, "tenant", t.id, 0,
                            t.provider_id ? t.provider_id : t.id, GH_AUDIT_NOTHING,
                            GH_AUDIT_OF_TENANT(out));
    return err;
}

gh_err gh_core_tenant_create(gh_ctx *ctx, const gh_tenant *in, gh_tenant *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, tenant_create_tx(ctx, in, out));
}

gh_err gh_core_tenant_get(gh_ctx *ctx, int64_t id, gh_tenant *out)
{
    bool visible = false;
    gh_err err = gh_store_tenant_visible(ctx->db, ctx->who, id, &visible);
    if (err == GH_OK && !visible)
        return gh_fail(ctx, GH_ENOTFOUND, NULL, NULL, "no such tenant");
    return err == GH_OK ? gh_store_tenant_get(ctx->db, ctx->a, id, out) : err;
}

/* A service provider's dormant rule (core/dormant.c): dormant_days 0 (off) or 1 to
 * GH_DORMANT_MAX_DAYS, dormant_warn_days 0 (no warning) or fewer than dormant_days; only service
 * providers have one. */
static gh_err check_dormant(gh_ctx *ctx, const gh_tenant *cur, const gh_tenant_change *c,
                            int64_t *days, int64_t *warn)
{
    *days = c->dormant_days_given ? c->dormant_days : cur->dormant_days;
    *warn = c->dormant_warn_days_given ? c->dormant_warn_days : cur->dormant_warn_days;
    if (cur->kind != GH_TENANT_SERVICE_PROVIDER)
        return gh_fail(ctx, GH_EINVAL, c->dormant_days_given ? "dormant_days" : "dormant_warn_days",
                       "not_allowed", "only a service provider has a dormant rule");
    if (*days < 0 || *days > GH_DORMANT_MAX_DAYS)
        return gh_fail(ctx, GH_EINVAL, "dormant_days", "out_of_range",
                       "must be 0 (never) or a number of days from 1 to 3650");
    if (*warn < 0 || (*warn > 0 && *warn >= *days))
        return gh_fail(ctx, GH_EINVAL, "dormant_warn_days", "out_of_range",
                       "must be 0 (no warning) or fewer days than dormant_days");
    return GH_OK;
}

static gh_err tenant_update_tx(gh_ctx *ctx, const gh_tenant *cur, const gh_tenant_change *c,
                               gh_tenant *out)
{
    int64_t provider = cur->provider_id ? cur->provider_id : cur->id, days = 0, warn = 0;
    gh_err err = GH_OK;
    if (c->name != NULL && (err = check_name(ctx, c->name)) != GH_OK)
        return err;
    bool dormant = c->dormant_days_given || c->dormant_warn_days_given;
    if (dormant && (err = check_dormant(ctx, cur, c, &days, &warn)) != GH_OK)
        return err;
    if (c->passkey_signin_given && cur->kind != GH_TENANT_SERVICE_PROVIDER)
        return gh_fail(ctx, GH_EINVAL, "passkey_signin", "not_allowed",
                       "only a service provider allows password-less sign-in");
    if (c->name == NULL && !dormant && !c->passkey_signin_given)
        return gh_fail(ctx, GH_EINVAL, "name", "required", "give a name or a dormant rule");
    if (c->name != NULL)
        err = gh_store_tenant_rename(ctx->db, cur->id, c->name, ctx->now);
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, err, "name", "taken", "a tenant with this name already exists here");
    if (err == GH_OK && dormant)
        err = gh_store_tenant_set_dormant(ctx->db, cur->id, days, warn, ctx->now);
    if (err == GH_OK && c->passkey_signin_given)
        err = gh_store_tenant_set_passkey_signin(ctx->db, cur->id, c->passkey_signin);
    if (err == GH_OK)
        err = gh_store_tenant_get(ctx->db, ctx->a, cur->id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_TENANT_UPDATE, "tenant", cur->id, 0, provider,
                            GH_AUDIT_OF_TENANT(cur), GH_AUDIT_OF_TENANT(out));
    return err;
}

static gh_err tenant_change_tx(gh_ctx *ctx, int64_t id, const gh_tenant_change *c,
                               int64_t expect_version, gh_tenant *out)
{
    gh_tenant cur;
    gh_err err = gh_core_tenant_get(ctx, id, &cur);
    if (err == GH_OK)
        err = check_manage(ctx, cur.kind, 0);
    if (err != GH_OK)
        return err;
    if (expect_version != 0 && expect_version != cur.version)
        return gh_fail(ctx, GH_EPRECOND, NULL, NULL, "the tenant was changed by someone else");
    int64_t provider = cur.provider_id ? cur.provider_id : cur.id;
    if (c == NULL) {
        bool in_use = false;
        err = gh_store_tenant_in_use(ctx->db, id, &in_use);
        if (err == GH_OK && in_use)
            return gh_fail(ctx, GH_ECONFLICT, NULL, NULL,
                           "the tenant still has accounts, users, roles, groups or SSO sources");
        if (err == GH_OK)
            err = gh_store_tenant_delete(ctx->db, id);
        return err != GH_OK ? err
                            : gh_core_audit(ctx, GH_ACT_TENANT_DELETE, "tenant", id, 0, provider,
                                            GH_AUDIT_OF_TENANT(&cur), GH_AUDIT_NOTHING);
    }
    return tenant_update_tx(ctx, &cur, c, out);
}

gh_err gh_core_tenant_update(gh_ctx *ctx, int64_t id, const gh_tenant_change *c,
                             int64_t expect_version, gh_tenant *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err
                        : gh_core_finish(ctx, tenant_change_tx(ctx, id, c, expect_version, out));
}

gh_err gh_core_tenant_rename(gh_ctx *ctx, int64_t id, const char *name, int64_t expect_version,
                             gh_tenant *out)
{
    gh_tenant_change c = {.name = name};
    return name == NULL ? gh_fail(ctx, GH_EINVAL, "name", "required", "give a name")
                        : gh_core_tenant_update(ctx, id, &c, expect_version, out);
}

gh_err gh_core_tenant_delete(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, tenant_change_tx(ctx, id, NULL, 0, NULL));
}

static gh_err check_role(gh_ctx *ctx, const gh_role *r)
{
    gh_err err = check_name(ctx, r->name);
    if (err != GH_OK)
        return err;
    if (!gh_valid_text(r->description))
        return gh_fail(ctx, GH_EINVAL, "description", "control_character",
                       "control characters are not allowed");
    /* http/ parsed it; a value outside the list is refused too */
    if ((size_t)r->kind > GH_ROLE_PLATFORM_USER)
        return gh_fail(ctx, GH_EINVAL, "kind", "invalid",
                       "use service_provider, platform_account or platform_user");
    if (!gh_core_manages_provider(ctx->who, r->provider_id))
        return gh_fail(ctx, GH_EFORBIDDEN, "provider_id", "forbidden",
                       "you can only manage roles of your own service provider");
    if (r->provider_id != 0) {
        gh_tenant t;
        err = gh_store_tenant_get(ctx->db, ctx->a, r->provider_id, &t);
        if (err == GH_ENOTFOUND || (err == GH_OK && t.kind != GH_TENANT_SERVICE_PROVIDER))
            return gh_fail(ctx, GH_EINVAL, "provider_id", "not_found", "no such service provider");
        if (err != GH_OK)
            return err;
    }
    return gh_core_check_grant(ctx, r->permissions, "permissions");
}

static gh_err role_write_tx(gh_ctx *ctx, const gh_role *in, int64_t expect_version, gh_role *out)
{
    gh_role cur, r = *in;
    gh_err err = GH_OK;
    bool create = in->id == 0;
    if (!create) {
        if ((err = gh_core_visible_role(ctx, in->id, &cur)) != GH_OK)
            return gh_fail(ctx, err, NULL, NULL, "no such role");
        if (!gh_core_manages_provider(ctx->who, cur.provider_id))
            return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, "you cannot change this role");
        if (expect_version != 0 && expect_version != cur.version)
            return gh_fail(ctx, GH_EPRECOND, NULL, NULL, "the role was changed by someone else");
        if (in->provider_id != cur.provider_id)
            return gh_fail(ctx, GH_EINVAL, "provider_id", "immutable",
                           "a role's provider cannot change");
        /* the role's holders lose or gain with it: the editor must hold every permission of
         * the role as it is (here) and as it will be (check_role) (C7) */
        if ((err = gh_core_check_grant(ctx, cur.permissions, "permissions")) != GH_OK)
            return err;
        r.version = cur.version;
    }
    if ((err = check_role(ctx, &r)) != GH_OK)
        return err;
    r.created_at = r.updated_at = ctx->now;
    err = create ? gh_store_role_insert(ctx->db, &r, &r.id) : gh_store_role_update(ctx->db, &r);
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, err, "name", "taken", "a role with this name already exists");
    if (err == GH_EPRECOND)
        return gh_fail(ctx, err, NULL, NULL, "the role was changed by someone else");
    if (err == GH_OK)
        err = gh_store_role_get(ctx->db, ctx->a, r.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, create ? GH_ACT_ROLE_CREATE : GH_ACT_ROLE_UPDATE, "role", r.id, 0,
                            r.provider_id, create ? GH_AUDIT_NOTHING : GH_AUDIT_OF_ROLE(&cur),
                            GH_AUDIT_OF_ROLE(out));
    return err;
}

gh_err gh_core_role_create(gh_ctx *ctx, const gh_role *in, gh_role *out)
{
    gh_role r = *in;
    r.id = 0;
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, role_write_tx(ctx, &r, 0, out));
}

gh_err gh_core_role_update(gh_ctx *ctx, const gh_role *in, int64_t expect_version, gh_role *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, role_write_tx(ctx, in, expect_version, out));
}

gh_err gh_core_role_get(gh_ctx *ctx, int64_t id, gh_role *out)
{
    gh_err err = gh_core_visible_role(ctx, id, out);
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such role") : err;
}

static gh_err role_delete_tx(gh_ctx *ctx, int64_t id)
{
    gh_role cur;
    gh_err err = gh_core_role_get(ctx, id, &cur);
    if (err != GH_OK)
        return err;
    if (!gh_core_manages_provider(ctx->who, cur.provider_id))
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, "you cannot delete this role");
    if ((err = gh_core_check_grant(ctx, cur.permissions, "permissions")) != GH_OK)
        return err;
    bool in_use = false;
    if ((err = gh_store_role_in_use(ctx->db, id, &in_use)) != GH_OK)
        return err;
    if (in_use)
        return gh_fail(ctx, GH_ECONFLICT, NULL, NULL, "the role is still given to users or groups");
    err = gh_store_role_delete(ctx->db, id);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_ROLE_DELETE, "role", id, 0, cur.provider_id,
                            GH_AUDIT_OF_ROLE(&cur), GH_AUDIT_NOTHING);
    return err;
}

gh_err gh_core_role_delete(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, role_delete_tx(ctx, id));
}

static gh_err check_group(gh_ctx *ctx, const gh_group *g)
{
    gh_err err = check_name(ctx, g->name);
    if (err != GH_OK)
        return err;
    if (!gh_valid_text(g->description))
        return gh_fail(ctx, GH_EINVAL, "description", "control_character",
                       "control characters are not allowed");
    if (!gh_core_manages_provider(ctx->who, g->provider_id))
        return gh_fail(ctx, GH_EFORBIDDEN, "provider_id", "forbidden",
                       "you can only manage groups of your own service provider");
    for (size_t i = 0; i < g->role_ids.n; i++) {
        gh_role r;
        err = gh_core_visible_role(ctx, g->role_ids.v[i], &r);
        if (err == GH_ENOTFOUND ||
            (err == GH_OK && r.provider_id != 0 && r.provider_id != g->provider_id))
            return gh_fail(ctx, GH_EINVAL, "role_ids", "not_found",
                           "no such role for the group's provider");
        if (err == GH_OK)
            err = gh_core_check_grant(ctx, r.permissions, "role_ids");
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

static gh_err group_visible(gh_ctx *ctx, int64_t id, gh_group *out)
{
    gh_err err = gh_core_visible_group(ctx, id, out);
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such group") : err;
}

/* Changing or deleting a group changes what its members hold: the actor must hold every
 * permission of the group's current roles (C7), as it must for the roles it gives it. */
static gh_err check_group_held(gh_ctx *ctx, const gh_group *g)
{
    gh_err err = GH_OK;
    for (size_t i = 0; i < g->role_ids.n && err == GH_OK; i++) {
        gh_role r;
        err = gh_store_role_get(ctx->db, ctx->a, g->role_ids.v[i], &r);
        if (err == GH_OK)
            err = gh_core_check_grant(ctx, r.permissions, "role_ids");
    }
    return err;
}

static gh_err group_write_tx(gh_ctx *ctx, const gh_group *in, int64_t expect_version, gh_group *out)
{
    gh_group cur, g = *in;
    bool create = in->id == 0;
    gh_err err = GH_OK;
    if (!create) {
        if ((err = group_visible(ctx, in->id, &cur)) != GH_OK)
            return err;
        if (!gh_core_manages_provider(ctx->who, cur.provider_id))
            return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, "you cannot change this group");
        if (expect_version != 0 && expect_version != cur.version)
            return gh_fail(ctx, GH_EPRECOND, NULL, NULL, "the group was changed by someone else");
        if (in->provider_id != cur.provider_id)
            return gh_fail(ctx, GH_EINVAL, "provider_id", "immutable",
                           "a group's provider cannot change");
        if ((err = check_group_held(ctx, &cur)) != GH_OK)
            return err;
        g.version = cur.version;
    }
    if ((err = check_group(ctx, &g)) != GH_OK)
        return err;
    if (g.provider_id != 0 && create) {
        gh_tenant t;
        err = gh_store_tenant_get(ctx->db, ctx->a, g.provider_id, &t);
        if (err == GH_ENOTFOUND || (err == GH_OK && t.kind != GH_TENANT_SERVICE_PROVIDER))
            return gh_fail(ctx, GH_EINVAL, "provider_id", "not_found", "no such service provider");
        if (err != GH_OK)
            return err;
    }
    g.created_at = g.updated_at = ctx->now;
    err = create ? gh_store_group_insert(ctx->db, &g, &g.id) : gh_store_group_update(ctx->db, &g);
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, err, "name", "taken", "a group with this name already exists");
    if (err == GH_EPRECOND)
        return gh_fail(ctx, err, NULL, NULL, "the group was changed by someone else");
    if (err == GH_OK)
        err = gh_store_group_get(ctx->db, ctx->a, ctx->who, g.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, create ? GH_ACT_GROUP_CREATE : GH_ACT_GROUP_UPDATE, "group", g.id,
                            0, g.provider_id, create ? GH_AUDIT_NOTHING : GH_AUDIT_OF_GROUP(&cur),
                            GH_AUDIT_OF_GROUP(out));
    return err;
}

gh_err gh_core_group_create(gh_ctx *ctx, const gh_group *in, gh_group *out)
{
    gh_group g = *in;
    g.id = 0;
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, group_write_tx(ctx, &g, 0, out));
}

gh_err gh_core_group_update(gh_ctx *ctx, const gh_group *in, int64_t expect_version, gh_group *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, group_write_tx(ctx, in, expect_version, out));
}

gh_err gh_core_group_get(gh_ctx *ctx, int64_t id, gh_group *out)
{
    return group_visible(ctx, id, out);
}

static gh_err group_delete_tx(gh_ctx *ctx, int64_t id)
{
    gh_group cur;
    gh_err err = group_visible(ctx, id, &cur);
    if (err != GH_OK)
        return err;
    if (!gh_core_manages_provider(ctx->who, cur.provider_id))
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, "you cannot delete this group");
    if ((err = check_group_held(ctx, &cur)) != GH_OK)
        return err;
    err = gh_store_group_delete(ctx->db, id);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_GROUP_DELETE, "group", id, 0, cur.provider_id,
                            GH_AUDIT_OF_GROUP(&cur), GH_AUDIT_NOTHING);
    return err;
}

gh_err gh_core_group_delete(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, group_delete_tx(ctx, id));
}

gh_err gh_core_tenant_list(gh_ctx *ctx, int64_t parent_id, const gh_tenant_kind *kind, int limit,
                           int64_t after_id, gh_tenant **items, size_t *n)
{
    return gh_store_tenant_list(ctx->db, ctx->a, ctx->who, parent_id, kind, limit, after_id, items,
                                n);
}

gh_err gh_core_role_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                         gh_role **items, size_t *n)
{
    return gh_store_role_list(ctx->db, ctx->a, ctx->who, provider_id, limit, after_id, items, n);
}

gh_err gh_core_group_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                          gh_group **items, size_t *n)
{
    return gh_store_group_list(ctx->db, ctx->a, ctx->who, provider_id, limit, after_id, items, n);
}

/* ---- the audit trail's names ---- */

/* The kinds of object a row names: its target_type, how it is read, the permission that reads
 * it and its snapshot's kind. A session is named by its user (target_user_id). */
static const struct {
    const char *type;
    gh_store_named what;
    uint64_t perm;
    gh_audit_kind kind;
    bool by_user; /* named by target_user_id rather than target_id */
} named_kinds[] = {
    {"user", GH_NAMED_USER, GH_PERM(USERS_READ), GH_AUDIT_USER, false},
    {"session", GH_NAMED_USER, GH_PERM(USERS_READ), GH_AUDIT_NONE, true},
    {"role", GH_NAMED_ROLE, GH_PERM(ROLES_READ), GH_AUDIT_ROLE, false},
    {"group", GH_NAMED_GROUP, GH_PERM(GROUPS_READ), GH_AUDIT_GROUP, false},
    {"tenant", GH_NAMED_TENANT, GH_PERM(TENANTS_READ), GH_AUDIT_TENANT, false},
    {"sso_source", GH_NAMED_SSO_SOURCE, GH_PERM(SETTINGS_READ), GH_AUDIT_SSO_SOURCE, false},
};
#define NAMED_KINDS (sizeof named_kinds / sizeof *named_kinds)

/* The index of e's target in named_kinds and the id that names it; false: a row that names no
 * object (a denied request, a set-up link). */
static bool target_of(const gh_audit_entry *e, size_t *kind, int64_t *id)
{
    for (size_t k = 0; k < NAMED_KINDS; k++)
        if (e->target_type != NULL && strcmp(e->target_type, named_kinds[k].type) == 0) {
            *kind = k;
            *id = named_kinds[k].by_user ? e->target_user_id : e->target_id;
            return *id != 0;
        }
    return false;
}

static void add_id(int64_t *ids, size_t *m, int64_t id)
{
    for (size_t i = 0; i < *m; i++)
        if (ids[i] == id)
            return;
    ids[(*m)++] = id;
}

static const char *name_in(const int64_t *ids, const char *const *names, size_t m, int64_t id)
{
    for (size_t i = 0; i < m; i++)
        if (ids[i] == id)
            return names[i];
    return NULL;
}

/* Names the targets of kind what on the page (and for users its actors) with one query, when
 * ctx->who holds the permission that reads them; the store keeps to its scope. */
static gh_err name_kind(gh_ctx *ctx, gh_audit_entry *v, size_t n, gh_store_named what)
{
    int64_t *ids = gh_arena_alloc(ctx->a, (2 * n + 1) * sizeof *ids);
    size_t m = 0, k = 0;
    int64_t id = 0;
    bool users = what == GH_NAMED_USER;
    for (size_t i = 0; i < n; i++) {
        if (target_of(&v[i], &k, &id) && named_kinds[k].what == what)
            add_id(ids, &m, id);
        if (users && v[i].actor_id != 0)
            add_id(ids, &m, v[i].actor_id);
    }
    uint64_t perm = GH_PERM_ALL; /* fail closed: a kind without its row in named_kinds */
    for (size_t j = 0; j < NAMED_KINDS; j++)
        if (named_kinds[j].what == what)
            perm = named_kinds[j].perm;
    if (m == 0 || !gh_perm_has(ctx->who, perm))
        return GH_OK;
    const char **names = gh_arena_alloc(ctx->a, m * sizeof *names);
    gh_err err = gh_store_audit_names(ctx->db, ctx->a, ctx->who, what, ids, m, names);
    for (size_t i = 0; i < n && err == GH_OK; i++) {
        if (target_of(&v[i], &k, &id) && named_kinds[k].what == what) {
            v[i].target_name = name_in(ids, names, m, id);
            v[i].target_visible = v[i].target_name != NULL;
        }
        if (users && v[i].actor_id != 0)
            v[i].actor_name = name_in(ids, names, m, v[i].actor_id);
    }
    return err;
}

/* Names every row of the page: live names first, then for an object gone or out of the reader's
 * scope the name its snapshot gave it (text the row carries anyway). */
static gh_err name_rows(gh_ctx *ctx, gh_audit_entry *v, size_t n)
{
    static const gh_store_named kinds[] = {GH_NAMED_USER, GH_NAMED_ROLE, GH_NAMED_GROUP,
                                           GH_NAMED_TENANT, GH_NAMED_SSO_SOURCE};
    gh_err err = GH_OK;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds && err == GH_OK; i++)
        err = name_kind(ctx, v, n, kinds[i]);
    size_t k = 0;
    int64_t id = 0;
    for (size_t i = 0; i < n && err == GH_OK; i++)
        if (v[i].target_name == NULL && target_of(&v[i], &k, &id)) {
            v[i].target_name = gh_audit_snapshot_name(ctx->a, v[i].after_json, named_kinds[k].kind);
            if (v[i].target_name == NULL)
                v[i].target_name =
                    gh_audit_snapshot_name(ctx->a, v[i].before_json, named_kinds[k].kind);
        }
    return err;
}

/* The names are read in the caller's transaction (the GET's read transaction): the page and its
 * names come from one snapshot. */
gh_err gh_core_audit_list(gh_ctx *ctx, const gh_audit_filter *f, gh_audit_entry **items, size_t *n)
{
    gh_audit_entry *v = NULL;
    size_t count = 0;
    gh_err err = gh_store_audit_list(ctx->db, ctx->a, ctx->who, f, &v, &count);
    if (err == GH_OK)
        err = name_rows(ctx, v, count);
    if (err == GH_OK) {
        *items = v;
        *n = count;
    }
    return err;
}
