/* The rules of grants and of actions on users, each written once: the writes of users.c and
 * links.c run them to refuse, and the answers of /me/grantable and of a user's allowed_actions
 * run the same functions over candidates, so that what the console offers is exactly what the
 * server accepts (C3, C6, C9). */
#include <string.h>

#include "core/internal.h"

/* ---- tenants a user may be placed at ---- */

/* Whether the actor may name tenant t: it sees it, or t is above its scope (its own service
 * provider, or a sub-account admin's account), which it names without seeing the row. */
static gh_err tenant_known(gh_ctx *ctx, const gh_tenant *t, bool *known)
{
    *known =
        ctx->who->access.level == GH_ACCESS_PLATFORM || t->id == ctx->who->provider_id ||
        (ctx->who->access.level == GH_ACCESS_SUB_ACCOUNT && t->id == ctx->who->access.account_id);
    return *known ? GH_OK : gh_store_tenant_visible(ctx->db, ctx->who, t->id, known);
}

/* Whether the actor may name t as a tenant of kind under parent (0: any parent). */
static gh_err tenant_nameable(gh_ctx *ctx, const gh_tenant *t, gh_tenant_kind kind, int64_t parent,
                              bool *ok)
{
    bool known = false;
    gh_err err = tenant_known(ctx, t, &known);
    if (err == GH_OK)
        *ok = known && t->kind == kind && (parent == 0 || t->parent_id == parent);
    return err;
}

gh_err gh_core_expect_tenant(gh_ctx *ctx, int64_t id, gh_tenant_kind kind, int64_t parent,
                             const char *field, const char *detail)
{
    gh_tenant t;
    bool ok = false;
    gh_err err = gh_store_tenant_get(ctx->db, ctx->a, id, &t);
    if (err == GH_OK)
        err = tenant_nameable(ctx, &t, kind, parent, &ok);
    if (err == GH_ENOTFOUND || (err == GH_OK && !ok))
        return gh_fail(ctx, GH_EINVAL, field, "not_found", detail);
    return err;
}

/* ---- scope ---- */

static bool ids_within(const gh_ids *ids, const gh_ids *held)
{
    for (size_t i = 0; i < ids->n; i++) {
        bool found = false;
        for (size_t j = 0; j < held->n && !found; j++)
            found = ids->v[i] == held->v[j];
        if (!found)
            return false;
    }
    return true;
}

static bool id_in(int64_t id, const gh_ids *held)
{
    gh_ids one = {.v = &id, .n = 1};
    return ids_within(&one, held);
}

/* Whether principal p, whose own account or sub-account list is held, covers a user placed
 * at u's provider and access: the rule of gh_qb_user_scope, evaluated on the record about to
 * be written instead of on stored rows. */
static bool scope_covers(const gh_principal *p, const gh_ids *held, const gh_user *u)
{
    const gh_access *pa = &p->access, *ua = &u->access;
    if (pa->level == GH_ACCESS_PLATFORM)
        return true;
    if (u->provider_id != p->provider_id)
        return false;
    switch (pa->level) {
    case GH_ACCESS_PROVIDER:
        return true;
    case GH_ACCESS_ACCOUNT:
        if (pa->all)
            return ua->level == GH_ACCESS_ACCOUNT || ua->level == GH_ACCESS_SUB_ACCOUNT;
        return (ua->level == GH_ACCESS_SUB_ACCOUNT && id_in(ua->account_id, held)) ||
               (ua->level == GH_ACCESS_ACCOUNT && !ua->all && ids_within(&ua->ids, held));
    case GH_ACCESS_SUB_ACCOUNT:
        return ua->level == GH_ACCESS_SUB_ACCOUNT && ua->account_id == pa->account_id &&
               (pa->all || (!ua->all && ids_within(&ua->ids, held)));
    default:
        return false;
    }
}

/* The actor's own account or sub-account list as stored before this request (C6). */
static gh_err held_ids(gh_ctx *ctx, gh_ids *held)
{
    const gh_access *pa = &ctx->who->access;
    *held = (gh_ids){0};
    if ((pa->level == GH_ACCESS_ACCOUNT || pa->level == GH_ACCESS_SUB_ACCOUNT) && !pa->all)
        return gh_store_user_access_ids(ctx->db, ctx->a, ctx->who->user_id, held);
    return GH_OK;
}

gh_err gh_core_check_scope_held(gh_ctx *ctx, const gh_user *u)
{
    gh_ids held;
    gh_err err = held_ids(ctx, &held);
    if (err == GH_OK && !scope_covers(ctx->who, &held, u))
        err = gh_fail(ctx, GH_EFORBIDDEN, "access", "forbidden",
                      "you can only grant access within your own scope");
    return err;
}

/* ---- roles and groups ---- */

static bool provider_row_seen(const gh_principal *p, int64_t provider_id)
{
    return p->access.level == GH_ACCESS_PLATFORM || provider_id == 0 ||
           provider_id == p->provider_id;
}

bool gh_core_role_seen(const gh_principal *p, const gh_role *r)
{
    return provider_row_seen(p, r->provider_id);
}

bool gh_core_group_seen(const gh_principal *p, const gh_group *g)
{
    return provider_row_seen(p, g->provider_id);
}

gh_err gh_core_grant_role(gh_ctx *ctx, const gh_role *r, int64_t provider_id)
{
    if (!gh_core_role_seen(ctx->who, r) || (r->provider_id != 0 && r->provider_id != provider_id))
        return gh_fail(ctx, GH_EINVAL, "role_ids", "not_found",
                       "no such role for the user's service provider");
    return gh_core_check_grant(ctx, r->permissions, "role_ids");
}

gh_err gh_core_grant_group(gh_ctx *ctx, const gh_group *g, int64_t provider_id, bool *pu)
{
    if (!gh_core_group_seen(ctx->who, g) || (g->provider_id != 0 && g->provider_id != provider_id))
        return gh_fail(ctx, GH_EINVAL, "group_ids", "not_found",
                       "no such group for the user's service provider");
    gh_err err = GH_OK;
    for (size_t j = 0; err == GH_OK && j < g->role_ids.n; j++) {
        gh_role r;
        err = gh_store_role_get(ctx->db, ctx->a, g->role_ids.v[j], &r);
        if (err == GH_OK)
            err = gh_core_check_grant(ctx, r.permissions, "group_ids");
        *pu |= err == GH_OK && r.kind == GH_ROLE_PLATFORM_USER;
    }
    return err;
}

/* ---- actions on a user ---- */

static const struct {
    const char *name;
    uint64_t perm;
    bool not_self;     /* never on one's own account */
    bool invited_only; /* only while the user has not finished onboarding */
} rights[GH_RIGHT_COUNT] = {
    [GH_RIGHT_UPDATE] = {"update", GH_PERM(USERS_UPDATE), false, false},
    [GH_RIGHT_DISABLE] = {"disable", GH_PERM(USERS_DISABLE), true, false},
    [GH_RIGHT_ENABLE] = {"enable", GH_PERM(USERS_DISABLE), false, false},
    [GH_RIGHT_DELETE] = {"delete", GH_PERM(USERS_DELETE), true, false},
    [GH_RIGHT_RESET_MFA] = {"reset_mfa", GH_PERM(USERS_MFA_RESET), false, false},
    [GH_RIGHT_FORCE_RESET] = {"force_reset", GH_PERM(USERS_FORCE_RESET), false, false},
    [GH_RIGHT_RESEND] = {"resend", GH_PERM_USERS_ALL, false, true},
    [GH_RIGHT_UNBAN] = {"unban", GH_PERM(USERS_UNBAN), false, false},
};

const char *gh_user_right_name(gh_user_right right)
{
    return right < GH_RIGHT_COUNT ? rights[right].name : "?";
}

uint64_t gh_core_right_perm(gh_user_right right)
{
    return rights[right].perm;
}

gh_err gh_core_may_perm(gh_ctx *ctx, gh_user_right right)
{
    if (gh_perm_has(ctx->who, rights[right].perm))
        return GH_OK;
    if (right == GH_RIGHT_RESEND)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       "onboarding links and e-mails need every users.* permission");
    return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                   "your roles do not hold the permission this needs");
}

/* No acting on a more powerful account (changing its e-mail or disabling it would be an
 * escalation path, C7): GH_EFORBIDDEN when target holds a permission ctx->who does not. */
static gh_err check_power_of(gh_ctx *ctx, const gh_principal *target)
{
    if ((gh_perm_effective(target) & ~gh_perm_effective(ctx->who)) == 0)
        return GH_OK;
    return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                   "this user holds permissions that you do not hold");
}

gh_err gh_core_check_power(gh_ctx *ctx, int64_t id)
{
    gh_principal target;
    gh_err err = gh_store_principal_by_user(ctx->db, ctx->a, id, &target);
    return err == GH_OK ? check_power_of(ctx, &target) : err;
}

/* The target part of a right, with the target's principal loaded by the caller. */
static gh_err may_on(gh_ctx *ctx, const gh_user *u, const gh_principal *target, gh_user_right right)
{
    if (rights[right].not_self && u->id == ctx->who->user_id)
        return gh_fail(ctx, GH_ECONFLICT, "id", "self",
                       "you cannot disable or delete your own account");
    gh_err err = check_power_of(ctx, target);
    if (err != GH_OK)
        return err;
    if (rights[right].invited_only && u->status != GH_STATUS_INVITED)
        return gh_fail(ctx, GH_ECONFLICT, "status", "not_invited",
                       gh_arena_printf(ctx->a,
                                       "only invited users get onboarding links; this user is %s",
                                       gh_user_status_name(u->status)));
    return GH_OK;
}

gh_err gh_core_user_may(gh_ctx *ctx, const gh_user *u, gh_user_right right)
{
    gh_principal target;
    gh_err err = gh_core_may_perm(ctx, right);
    if (err == GH_OK)
        err = gh_store_principal_by_user(ctx->db, ctx->a, u->id, &target);
    return err == GH_OK ? may_on(ctx, u, &target, right) : err;
}

/* The rights mask of ctx->who on u, whose principal is target: every right whose rule passes. */
static unsigned rights_on(gh_ctx *ctx, const gh_user *u, const gh_principal *target)
{
    unsigned m = 0;
    const char *field = ctx->err_field, *reason = ctx->err_reason, *detail = ctx->err_detail;
    for (int i = 0; i < GH_RIGHT_COUNT && u->status != GH_STATUS_DELETED; i++)
        if (gh_perm_has(ctx->who, rights[i].perm) && may_on(ctx, u, target, i) == GH_OK)
            m |= 1u << i;
    ctx->err_field = field; /* the probes' refusals are not this request's answer */
    ctx->err_reason = reason;
    ctx->err_detail = detail;
    return m;
}

gh_err gh_core_user_rights(gh_ctx *ctx, const gh_user *u, unsigned *mask)
{
    return gh_core_users_rights(ctx, u, 1, mask);
}

gh_err gh_core_users_rights(gh_ctx *ctx, const gh_user *users, size_t n, unsigned *masks)
{
    int64_t *ids = gh_arena_alloc(ctx->a, (n + 1) * sizeof *ids);
    gh_principal *targets = gh_arena_alloc(ctx->a, (n + 1) * sizeof *targets);
    bool *found = gh_arena_alloc(ctx->a, n + 1);
    for (size_t i = 0; i < n; i++)
        ids[i] = users[i].id;
    gh_err err = gh_store_principals_of(ctx->db, ctx->a, ids, n, targets, found);
    for (size_t i = 0; i < n && err == GH_OK; i++) /* a user gone meanwhile: nothing */
        masks[i] = found[i] ? rights_on(ctx, &users[i], &targets[i]) : 0;
    return err;
}

/* ---- what the actor may grant (GET /api/v1/me/grantable) ---- */

/* The first GH_GRANTABLE_MAX rows of a scoped role (group) list, provider_id as for
 * gh_store_role_list; *partial when there were more. */
static gh_err all_roles(gh_ctx *ctx, int64_t provider_id, gh_role **v, size_t *n, bool *partial)
{
    gh_err err =
        gh_store_role_list(ctx->db, ctx->a, ctx->who, provider_id, GH_GRANTABLE_MAX + 1, 0, v, n);
    if (err == GH_OK && *n > GH_GRANTABLE_MAX) {
        *n = GH_GRANTABLE_MAX;
        *partial = true;
    }
    return err;
}

static gh_err all_groups(gh_ctx *ctx, int64_t provider_id, gh_group **v, size_t *n, bool *partial)
{
    gh_err err =
        gh_store_group_list(ctx->db, ctx->a, ctx->who, provider_id, GH_GRANTABLE_MAX + 1, 0, v, n);
    if (err == GH_OK && *n > GH_GRANTABLE_MAX) {
        *n = GH_GRANTABLE_MAX;
        *partial = true;
    }
    return err;
}

/* A probe: runs a rule and keeps only whether it passed (GH_EFORBIDDEN or GH_EINVAL: no;
 * anything else is a real failure). */
static gh_err probe(gh_ctx *ctx, gh_err err, bool *ok)
{
    ctx->err_field = ctx->err_reason = ctx->err_detail = NULL;
    *ok = err == GH_OK;
    return err == GH_EFORBIDDEN || err == GH_EINVAL ? GH_OK : err;
}

/* The roles and groups of one list (list -1: the global ones, > 0: a provider's own) that the
 * rules let the actor grant to a user of provider pid. The global ones pass or fail alike for
 * every provider, so they are worked out once. */
typedef struct granted {
    gh_role *roles;
    size_t n_roles;
    gh_group *groups;
    size_t n_groups;
} granted;

static gh_err grant_list(gh_ctx *ctx, int64_t list, int64_t pid, granted *out, bool *partial)
{
    gh_role *roles = NULL;
    gh_group *groups = NULL;
    size_t nr = 0, ng = 0;
    *out = (granted){0};
    gh_err err = all_roles(ctx, list, &roles, &nr, partial);
    if (err == GH_OK)
        err = all_groups(ctx, list, &groups, &ng, partial);
    if (err != GH_OK)
        return err;
    out->roles = gh_arena_alloc(ctx->a, (nr + 1) * sizeof *out->roles);
    out->groups = gh_arena_alloc(ctx->a, (ng + 1) * sizeof *out->groups);
    for (size_t i = 0; i < nr && err == GH_OK; i++) {
        bool ok = false;
        err = probe(ctx, gh_core_grant_role(ctx, &roles[i], pid), &ok);
        if (ok)
            out->roles[out->n_roles++] = roles[i];
    }
    for (size_t i = 0; i < ng && err == GH_OK; i++) {
        bool ok = false, pu = false;
        err = probe(ctx, gh_core_grant_group(ctx, &groups[i], pid, &pu), &ok);
        if (ok)
            out->groups[out->n_groups++] = groups[i];
    }
    return err;
}

/* gp's roles and groups: the global ones granted, then its provider's own. */
static gh_err grant_roles_groups(gh_ctx *ctx, const granted *global, gh_grant_provider *gp,
                                 bool *partial)
{
    granted own = {0};
    gh_err err = gp->provider.id != 0
                     ? grant_list(ctx, gp->provider.id, gp->provider.id, &own, partial)
                     : GH_OK;
    if (err != GH_OK)
        return err;
    gp->n_roles = 0;
    gp->roles = gh_arena_alloc(ctx->a, (global->n_roles + own.n_roles + 1) * sizeof *gp->roles);
    for (size_t i = 0; i < global->n_roles; i++)
        gp->roles[gp->n_roles++] = global->roles[i];
    for (size_t i = 0; i < own.n_roles; i++)
        gp->roles[gp->n_roles++] = own.roles[i];
    gp->n_groups = 0;
    gp->groups = gh_arena_alloc(ctx->a, (global->n_groups + own.n_groups + 1) * sizeof *gp->groups);
    for (size_t i = 0; i < global->n_groups; i++)
        gp->groups[gp->n_groups++] = global->groups[i];
    for (size_t i = 0; i < own.n_groups; i++)
        gp->groups[gp->n_groups++] = own.groups[i];
    return GH_OK;
}

/* The user the rules would judge: provider_id, placed at level (all, account_id, one id). */
static gh_user placed(int64_t provider_id, gh_access_level level, bool all, int64_t account_id,
                      int64_t *one)
{
    return (gh_user){.provider_id = provider_id,
                     .access = {.level = level,
                                .all = all,
                                .account_id = account_id,
                                .ids = {.v = one, .n = one != NULL}}};
}

/* Whether the rules accept a user of provider pid at this access: the tenants named (account
 * and sub-account, 0: none) are nameable, and the actor's scope covers the placement. */
static gh_err placement_ok(gh_ctx *ctx, const gh_ids *held, const gh_user *u,
                           const gh_tenant *account, const gh_tenant *sub, bool *ok)
{
    bool a_ok = true, s_ok = true;
    gh_err err = GH_OK;
    if (account != NULL)
        err = tenant_nameable(ctx, account, GH_TENANT_PLATFORM_ACCOUNT, u->provider_id, &a_ok);
    if (err == GH_OK && sub != NULL && a_ok)
        err = tenant_nameable(ctx, sub, GH_TENANT_SUB_ACCOUNT, account->id, &s_ok);
    if (err == GH_OK)
        *ok = a_ok && s_ok && scope_covers(ctx->who, held, u);
    return err;
}

/* One account of provider pid: whether account-level access may name it, whether sub-account
 * access may take all of its sub-accounts, and which of them it may name one by one. */
static gh_err grant_account(gh_ctx *ctx, const gh_ids *held, int64_t pid, const gh_tenant *acc,
                            const gh_tenant *subs, size_t n_subs, gh_grant_account *out)
{
    int64_t one = acc->id;
    gh_user u = placed(pid, GH_ACCESS_ACCOUNT, false, 0, &one);
    *out = (gh_grant_account){.account = {acc->id, acc->name}};
    gh_err err = placement_ok(ctx, held, &u, acc, NULL, &out->at_account);
    u = placed(pid, GH_ACCESS_SUB_ACCOUNT, true, acc->id, NULL);
    if (err == GH_OK)
        err = placement_ok(ctx, held, &u, acc, NULL, &out->sub_all);
    out->subs = gh_arena_alloc(ctx->a, (n_subs + 1) * sizeof *out->subs);
    for (size_t i = 0; i < n_subs && err == GH_OK; i++) {
        if (subs[i].parent_id != acc->id)
            continue;
        int64_t sid = subs[i].id;
        bool ok = false;
        u = placed(pid, GH_ACCESS_SUB_ACCOUNT, false, acc->id, &sid);
        err = placement_ok(ctx, held, &u, acc, &subs[i], &ok);
        if (ok)
            out->subs[out->n_subs++] = (gh_named){subs[i].id, subs[i].name};
    }
    return err;
}

/* The access levels and tenants the rules let the actor grant at provider gp->provider. */
static gh_err grant_scope(gh_ctx *ctx, const gh_ids *held, gh_grant_provider *gp, bool *partial)
{
    int64_t pid = gp->provider.id;
    gh_user u = placed(pid, pid == 0 ? GH_ACCESS_PLATFORM : GH_ACCESS_PROVIDER, false, 0, NULL);
    bool top = scope_covers(ctx->who, held, &u);
    gp->at_platform = pid == 0 && top;
    gp->at_provider = pid != 0 && top;
    if (pid == 0)
        return GH_OK;
    u = placed(pid, GH_ACCESS_ACCOUNT, true, 0, NULL);
    gp->accounts_all = scope_covers(ctx->who, held, &u);
    gh_tenant *accs = NULL, *subs = NULL;
    size_t na = 0, ns = 0;
    gh_err err = gh_store_tenants_of_provider(ctx->db, ctx->a, pid, GH_TENANT_PLATFORM_ACCOUNT,
                                              GH_GRANTABLE_MAX + 1, &accs, &na);
    if (err == GH_OK)
        err = gh_store_tenants_of_provider(ctx->db, ctx->a, pid, GH_TENANT_SUB_ACCOUNT,
                                           GH_GRANTABLE_MAX + 1, &subs, &ns);
    *partial |= na > GH_GRANTABLE_MAX || ns > GH_GRANTABLE_MAX;
    na = na > GH_GRANTABLE_MAX ? GH_GRANTABLE_MAX : na;
    ns = ns > GH_GRANTABLE_MAX ? GH_GRANTABLE_MAX : ns;
    gp->accounts = gh_arena_alloc(ctx->a, (na + 1) * sizeof *gp->accounts);
    for (size_t i = 0; i < na && err == GH_OK; i++) {
        gh_grant_account ga;
        err = grant_account(ctx, held, pid, &accs[i], subs, ns, &ga);
        if (err == GH_OK && (ga.at_account || ga.sub_all || ga.n_subs > 0))
            gp->accounts[gp->n_accounts++] = ga;
    }
    return err;
}

/* The service providers the actor may place users at: the platform sees the platform's staff
 * and every provider; anyone else only its own provider. */
static gh_err candidate_providers(gh_ctx *ctx, gh_named **v, size_t *n, bool *partial)
{
    if (ctx->who->access.level != GH_ACCESS_PLATFORM) {
        gh_tenant t;
        gh_err err = gh_store_tenant_get(ctx->db, ctx->a, ctx->who->provider_id, &t);
        *v = gh_arena_alloc(ctx->a, sizeof **v);
        if (err == GH_OK)
            (*v)[0] = (gh_named){t.id, t.name};
        *n = err == GH_OK;
        return err == GH_ENOTFOUND ? GH_OK : err;
    }
    gh_tenant_kind kind = GH_TENANT_SERVICE_PROVIDER;
    gh_tenant *items = NULL;
    size_t count = 0;
    gh_err err = gh_store_tenant_list(ctx->db, ctx->a, ctx->who, 0, &kind, GH_GRANTABLE_MAX + 1, 0,
                                      &items, &count);
    if (err != GH_OK)
        return err;
    *partial |= count > GH_GRANTABLE_MAX;
    count = count > GH_GRANTABLE_MAX ? GH_GRANTABLE_MAX : count;
    *v = gh_arena_alloc(ctx->a, (count + 1) * sizeof **v);
    (*v)[0] = (gh_named){0, NULL};
    for (size_t i = 0; i < count; i++)
        (*v)[i + 1] = (gh_named){items[i].id, items[i].name};
    *n = count + 1;
    return GH_OK;
}

/* The actor's own place by name: its provider and, at sub-account level, its account. */
static gh_err own_place(gh_ctx *ctx, gh_grantable *out)
{
    const gh_principal *p = ctx->who;
    gh_err err = GH_OK;
    out->level = p->access.level;
    out->provider = (gh_named){p->provider_id, NULL};
    out->account = (gh_named){0, NULL};
    if (p->provider_id != 0)
        err =
            gh_store_name_of(ctx->db, ctx->a, GH_NAMED_TENANT, p->provider_id, &out->provider.name);
    if (err == GH_OK && p->access.level == GH_ACCESS_SUB_ACCOUNT) {
        out->account.id = p->access.account_id;
        err = gh_store_name_of(ctx->db, ctx->a, GH_NAMED_TENANT, p->access.account_id,
                               &out->account.name);
    }
    return err;
}

gh_err gh_core_grantable(gh_ctx *ctx, int64_t only, gh_grantable *out)
{
    gh_grantable g = {0};
    gh_named *cands = NULL;
    size_t nc = 0;
    gh_ids held;
    granted global = {0};
    bool have_global = false;
    gh_err err = own_place(ctx, &g);
    /* granting happens only by creating or editing a user: without either, nothing */
    bool grants = gh_perm_has(ctx->who, GH_PERM(USERS_CREATE)) ||
                  gh_perm_has(ctx->who, GH_PERM(USERS_UPDATE));
    if (err == GH_OK && grants)
        err = held_ids(ctx, &held);
    if (err == GH_OK && grants)
        err = candidate_providers(ctx, &cands, &nc, &g.partial);
    g.providers = gh_arena_alloc(ctx->a, (nc + 1) * sizeof *g.providers);
    for (size_t i = 0; i < nc && err == GH_OK; i++) {
        gh_grant_provider gp = {.provider = cands[i]};
        if (only != 0 && cands[i].id != (only < 0 ? 0 : only))
            continue;
        err = grant_scope(ctx, &held, &gp, &g.partial);
        if (err != GH_OK ||
            !(gp.at_platform || gp.at_provider || gp.accounts_all || gp.n_accounts > 0))
            continue;
        if (!have_global && (err = grant_list(ctx, -1, 0, &global, &g.partial)) == GH_OK)
            have_global = true;
        if (err == GH_OK && (err = grant_roles_groups(ctx, &global, &gp, &g.partial)) == GH_OK)
            g.providers[g.n++] = gp;
    }
    if (err == GH_OK)
        *out = g;
    return err;
}

gh_err gh_core_user_names(gh_ctx *ctx, const gh_user *u, gh_user_names *out)
{
    const struct {
        gh_store_named what;
        const gh_ids *ids;
        gh_named **v;
    } lists[] = {
        {GH_NAMED_ROLE, &u->role_ids, &out->roles},
        {GH_NAMED_GROUP, &u->group_ids, &out->groups},
        {GH_NAMED_TENANT, &u->access.ids, &out->access},
    };
    gh_err err = GH_OK;
    *out = (gh_user_names){.provider = {u->provider_id, NULL}, .account = {0, NULL}};
    if (u->provider_id != 0)
        err =
            gh_store_name_of(ctx->db, ctx->a, GH_NAMED_TENANT, u->provider_id, &out->provider.name);
    const struct {
        int64_t id;
        gh_named *out;
    } actors[] = {{u->created_by, &out->created_by}, {u->updated_by, &out->updated_by}};
    for (size_t i = 0; i < 2 && err == GH_OK; i++) {
        *actors[i].out = (gh_named){actors[i].id, NULL};
        if (actors[i].id != 0)
            err = gh_store_name_of(ctx->db, ctx->a, GH_NAMED_USER, actors[i].id,
                                   &actors[i].out->name);
    }
    if (err == GH_OK && u->access.level == GH_ACCESS_SUB_ACCOUNT) {
        out->account.id = u->access.account_id;
        err = gh_store_name_of(ctx->db, ctx->a, GH_NAMED_TENANT, u->access.account_id,
                               &out->account.name);
    }
    for (size_t l = 0; l < sizeof lists / sizeof *lists && err == GH_OK; l++) {
        *lists[l].v = gh_arena_alloc(ctx->a, (lists[l].ids->n + 1) * sizeof **lists[l].v);
        for (size_t i = 0; i < lists[l].ids->n && err == GH_OK; i++) {
            (*lists[l].v)[i] = (gh_named){lists[l].ids->v[i], NULL};
            err = gh_store_name_of(ctx->db, ctx->a, lists[l].what, lists[l].ids->v[i],
                                   &(*lists[l].v)[i].name);
        }
    }
    return err;
}
