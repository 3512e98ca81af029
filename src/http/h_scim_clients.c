/* /api/v1/scim-clients: the administrators' SCIM clients (issue 15, C10). The token is in the
 * answer of the create only; no other response carries it. */
#include <stdio.h>
#include <string.h>

#include "http/encode.h"
#include "http/internal.h"

static json_t *client_json(const gh_scim_client *c)
{
    json_t *access = json_pack("{s:s}", "level", gh_access_level_name(c->access.level));
    if (c->access.level == GH_ACCESS_ACCOUNT)
        json_object_set_new(access, "account_ids",
                            c->access.all ? json_string("all") : gh_json_ids(&c->access.ids));
    return json_pack("{s:I, s:s, s:I, s:o, s:o, s:I, s:s?, s:o}", "id", (json_int_t)c->id, "name",
                     c->name, "provider_id", (json_int_t)c->provider_id, "access", access,
                     "role_ids", gh_json_ids(&c->role_ids), "created_by", (json_int_t)c->created_by,
                     "created_by_name", c->created_by_name, "created_at",
                     gh_json_time(c->created_at));
}

/* {level: provider | account, account_ids: [..] | "all"} (type-checked by the route's table). */
static gh_err parse_access(gh_req *r, const json_t *o, gh_access *out)
{
    memset(out, 0, sizeof *out);
    out->level = GH_ACCESS_PROVIDER;
    if (o == NULL)
        return GH_OK;
    const char *level = gh_json_str(o, "level");
    const json_t *acc = json_object_get(o, "account_ids");
    if (!gh_access_level_parse(level, &out->level) ||
        (out->level != GH_ACCESS_PROVIDER && out->level != GH_ACCESS_ACCOUNT))
        return gh_fail(&r->ctx, GH_EINVAL, "access.level", "invalid", "use provider or account");
    if (out->level == GH_ACCESS_PROVIDER && acc != NULL)
        return gh_fail(&r->ctx, GH_EINVAL, "access.account_ids", "not_allowed",
                       "only for account access");
    if (out->level == GH_ACCESS_ACCOUNT && acc == NULL)
        return gh_fail(&r->ctx, GH_EINVAL, "access.account_ids", "required",
                       "select platform accounts, or \"all\"");
    if (acc != NULL && json_is_string(acc))
        out->all = true;
    else if (acc != NULL)
        gh_json_ids_in(r->a, acc, &out->ids);
    return GH_OK;
}

gh_err gh_h_scim_clients_list(gh_req *r)
{
    int limit;
    int64_t after, provider;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = gh_query_id(r, "provider_id", &provider);
    gh_scim_client *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_scim_client_list(&r->ctx, provider, limit + 1, after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, client_json(&items[i]));
    r->out = gh_id_page(arr, n > (size_t)limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_scim_clients_create(gh_req *r)
{
    gh_scim_client in = {
        .name = gh_json_str(r->in, "name"),
        .provider_id = json_integer_value(json_object_get(r->in, "provider_id")),
    };
    const json_t *roles = json_object_get(r->in, "role_ids");
    if (roles != NULL)
        gh_json_ids_in(r->a, roles, &in.role_ids);
    gh_scim_client out;
    char *token = NULL;
    gh_err err = parse_access(r, json_object_get(r->in, "access"), &in.access);
    if (err == GH_OK)
        err = gh_core_scim_client_create(&r->ctx, &in, &token, &out);
    if (err != GH_OK)
        return err;
    r->out = client_json(&out);
    json_object_set_new(r->out, "token", json_string(token));
    json_object_set_new(r->out, "scim_base_url",
                        json_string(gh_http_absolute_url(r, "/scim/v2") ?: "/scim/v2"));
    r->status = 201;
    return GH_OK;
}

gh_err gh_h_scim_clients_get(gh_req *r)
{
    gh_scim_client c;
    gh_err err = gh_core_scim_client_get(&r->ctx, r->id, &c);
    if (err == GH_OK)
        r->out = client_json(&c);
    return err;
}

gh_err gh_h_scim_clients_delete(gh_req *r)
{
    gh_err err = gh_core_scim_client_revoke(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}
