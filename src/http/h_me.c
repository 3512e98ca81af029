/* /api/v1/me: the signed-in user's own language and timezone (My profile), and what it may
 * grant (the user form's pickers). */
#include <string.h>

#include "http/encode.h"
#include "http/internal.h"

gh_err gh_h_me_profile(gh_req *r)
{
    gh_user u;
    gh_err err = gh_core_me_update(&r->ctx, gh_json_str(r->in, "language"),
                                   gh_json_str(r->in, "timezone"), &u);
    if (err == GH_OK) {
        r->out = gh_json_user(&u);
        r->etag_version = u.version;
    }
    return err;
}

/* {id, name}, or null for id 0 (the platform, or none). */
static json_t *named(const gh_named *n)
{
    return n->id == 0 ? json_null()
                      : json_pack("{s:I, s:s?}", "id", (json_int_t)n->id, "name", n->name);
}

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer(id) : json_null();
}

static json_t *account_json(const gh_grant_account *a)
{
    json_t *subs = json_array();
    for (size_t i = 0; i < a->n_subs; i++)
        json_array_append_new(subs, named(&a->subs[i]));
    return json_pack("{s:I, s:s, s:b, s:b, s:o}", "id", (json_int_t)a->account.id, "name",
                     a->account.name, "account_level", a->at_account, "sub_accounts_all",
                     a->sub_all, "sub_accounts", subs);
}

static json_t *levels_json(const gh_grant_provider *p)
{
    bool account = p->accounts_all, sub = false;
    for (size_t i = 0; i < p->n_accounts; i++) {
        account |= p->accounts[i].at_account;
        sub |= p->accounts[i].sub_all || p->accounts[i].n_subs > 0;
    }
    json_t *l = json_array();
    if (p->at_platform)
        json_array_append_new(l, json_string("platform"));
    if (p->at_provider)
        json_array_append_new(l, json_string("provider"));
    if (account)
        json_array_append_new(l, json_string("account"));
    if (sub)
        json_array_append_new(l, json_string("sub_account"));
    return l;
}

static json_t *provider_json(const gh_grant_provider *p)
{
    json_t *accounts = json_array(), *roles = json_array(), *groups = json_array();
    for (size_t i = 0; i < p->n_accounts; i++)
        json_array_append_new(accounts, account_json(&p->accounts[i]));
    for (size_t i = 0; i < p->n_roles; i++) {
        const gh_role *x = &p->roles[i];
        json_array_append_new(roles, json_pack("{s:I, s:s, s:s, s:o, s:b}", "id", (json_int_t)x->id,
                                               "name", x->name, "kind", gh_role_kind_name(x->kind),
                                               "provider_id", id_or_null(x->provider_id),
                                               "mfa_required", x->mfa_required));
    }
    for (size_t i = 0; i < p->n_groups; i++) {
        const gh_group *g = &p->groups[i];
        json_array_append_new(groups,
                              json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)g->id, "name",
                                        g->name, "provider_id", id_or_null(g->provider_id),
                                        "role_ids", gh_json_ids(&g->role_ids)));
    }
    return json_pack("{s:o, s:s?, s:o, s:b, s:o, s:o, s:o}", "id", id_or_null(p->provider.id),
                     "name", p->provider.name, "levels", levels_json(p), "accounts_all",
                     p->accounts_all, "accounts", accounts, "roles", roles, "groups", groups);
}

gh_err gh_h_me_grantable(gh_req *r)
{
    int64_t only = 0;
    gh_grantable g;
    gh_err err = gh_query_provider(r, &only);
    if (err == GH_OK)
        err = gh_core_grantable(&r->ctx, only, &g);
    if (err != GH_OK)
        return err;
    json_t *providers = json_array();
    for (size_t i = 0; i < g.n; i++)
        json_array_append_new(providers, provider_json(&g.providers[i]));
    r->out = json_pack("{s:s, s:o, s:o, s:o, s:b}", "level", gh_access_level_name(g.level),
                       "provider", named(&g.provider), "account", named(&g.account), "providers",
                       providers, "partial", g.partial);
    return GH_OK;
}
