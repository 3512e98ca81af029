/* /api/v1/tenants, /roles, /groups, /permissions and /audit. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "http/encode.h"
#include "model/model.h"
#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"

static gh_err bad(gh_req *r, const char *field, const char *reason, const char *detail)
{
    return gh_fail(&r->ctx, GH_EINVAL, field, reason, detail);
}

/* Lists fetch one row more than asked: a next cursor only when that row exists. */
static void send_list(gh_req *r, json_t *items, size_t fetched, int limit, int64_t last_id)
{
    r->out = gh_id_page(items, fetched > (size_t)limit, last_id);
}

static void send_obj(gh_req *r, json_t *o, int64_t version, int status)
{
    r->out = o;
    r->etag_version = version;
    r->status = status;
}

/* ---- tenants ---- */

gh_err gh_h_tenants_list(gh_req *r)
{
    int limit;
    int64_t after, parent;
    const char *kind_name = gh_query(r, "kind");
    gh_tenant_kind kind;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = gh_query_id(r, "parent_id", &parent);
    if (err == GH_OK && kind_name != NULL && !gh_tenant_kind_parse(kind_name, &kind))
        err = bad(r, "kind", "invalid", "use service_provider, platform_account or sub_account");
    gh_tenant *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_tenant_list(&r->ctx, parent, kind_name != NULL ? &kind : NULL, limit + 1,
                                  after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, gh_json_tenant(&items[i]));
    send_list(r, arr, n, limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_tenants_create(gh_req *r)
{
    gh_tenant in = {.name = gh_json_str(r->in, "name"),
                    .parent_id = json_integer_value(json_object_get(r->in, "parent_id"))},
              out;
    gh_err err = GH_OK;
    if (!gh_tenant_kind_parse(gh_json_str(r->in, "kind"), &in.kind))
        err = bad(r, "kind", "invalid", "use service_provider, platform_account or sub_account");
    if (err == GH_OK)
        err = gh_core_tenant_create(&r->ctx, &in, &out);
    if (err == GH_OK)
        send_obj(r, gh_json_tenant(&out), out.version, 201);
    return err;
}

gh_err gh_h_tenants_get(gh_req *r)
{
    gh_tenant t;
    gh_err err = gh_core_tenant_get(&r->ctx, r->id, &t);
    if (err == GH_OK)
        send_obj(r, gh_json_tenant(&t), t.version, 200);
    return err;
}

gh_err gh_h_tenants_patch(gh_req *r)
{
    int64_t version;
    gh_tenant t;
    gh_err err = gh_if_match(r, &version);
    json_t *days = json_object_get(r->in, "dormant_days");
    json_t *warn = json_object_get(r->in, "dormant_warn_days");
    gh_tenant_change c = {.name = gh_json_str(r->in, "name"),
                          .dormant_days_given = days != NULL,
                          .dormant_days = json_integer_value(days),
                          .dormant_warn_days_given = warn != NULL,
                          .dormant_warn_days = json_integer_value(warn),
                          .passkey_signin_given = json_object_get(r->in, "passkey_signin") != NULL,
                          .passkey_signin = json_is_true(json_object_get(r->in, "passkey_signin"))};
    if (err == GH_OK)
        err = gh_core_tenant_update(&r->ctx, r->id, &c, version, &t);
    if (err == GH_OK)
        send_obj(r, gh_json_tenant(&t), t.version, 200);
    return err;
}

gh_err gh_h_tenants_delete(gh_req *r)
{
    gh_err err = gh_core_tenant_delete(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* ---- roles ---- */

#define ROLE_KINDS "use service_provider, platform_account or platform_user"

static gh_err parse_perms(gh_req *r, const json_t *arr, uint64_t *mask)
{
    size_t i;
    json_t *v;
    *mask = 0;
    json_array_foreach(arr, i, v)
    {
        uint64_t bit = gh_perm_from_name(json_string_value(v));
        if (bit == 0)
            return bad(r, "permissions", "unknown",
                       gh_arena_printf(r->a, "unknown permission \"%s\"", json_string_value(v)));
        *mask |= bit;
    }
    return GH_OK;
}

static gh_err list_provider_arg(gh_req *r, int64_t *provider)
{
    const char *p = gh_query(r, "provider_id");
    if (p != NULL && strcmp(p, "global") == 0) {
        *provider = -1;
        return GH_OK;
    }
    return gh_query_id(r, "provider_id", provider);
}

gh_err gh_h_roles_list(gh_req *r)
{
    int limit;
    int64_t after, provider;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = list_provider_arg(r, &provider);
    gh_role *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_role_list(&r->ctx, provider, limit + 1, after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, gh_json_role(&items[i]));
    send_list(r, arr, n, limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_roles_create(gh_req *r)
{
    const char *desc = gh_json_str(r->in, "description");
    gh_role in = {.name = gh_json_str(r->in, "name"),
                  .description = desc ? desc : "",
                  .mfa_required = json_is_true(json_object_get(r->in, "mfa_required")),
                  .provider_id = json_integer_value(json_object_get(r->in, "provider_id"))},
            out;
    gh_err err = parse_perms(r, json_object_get(r->in, "permissions"), &in.permissions);
    if (err == GH_OK && !gh_role_kind_parse(gh_json_str(r->in, "kind"), &in.kind))
        err = bad(r, "kind", "invalid", ROLE_KINDS);
    if (err == GH_OK)
        err = gh_core_role_create(&r->ctx, &in, &out);
    if (err == GH_OK)
        send_obj(r, gh_json_role(&out), out.version, 201);
    return err;
}

gh_err gh_h_roles_get(gh_req *r)
{
    gh_role role;
    gh_err err = gh_core_role_get(&r->ctx, r->id, &role);
    if (err == GH_OK)
        send_obj(r, gh_json_role(&role), role.version, 200);
    return err;
}

gh_err gh_h_roles_patch(gh_req *r)
{
    int64_t version;
    gh_role cur, out;
    json_t *v;
    gh_err err = gh_if_match(r, &version);
    if (err == GH_OK)
        err = gh_core_role_get(&r->ctx, r->id, &cur);
    if (err != GH_OK)
        return err;
    if ((v = json_object_get(r->in, "name")) != NULL)
        cur.name = json_string_value(v);
    if ((v = json_object_get(r->in, "description")) != NULL)
        cur.description = json_string_value(v);
    if ((v = json_object_get(r->in, "mfa_required")) != NULL)
        cur.mfa_required = json_is_true(v);
    if ((v = json_object_get(r->in, "permissions")) != NULL &&
        (err = parse_perms(r, v, &cur.permissions)) != GH_OK)
        return err;
    if ((v = json_object_get(r->in, "kind")) != NULL &&
        !gh_role_kind_parse(json_string_value(v), &cur.kind))
        return bad(r, "kind", "invalid", ROLE_KINDS);
    err = gh_core_role_update(&r->ctx, &cur, version, &out);
    if (err == GH_OK)
        send_obj(r, gh_json_role(&out), out.version, 200);
    return err;
}

gh_err gh_h_roles_delete(gh_req *r)
{
    gh_err err = gh_core_role_delete(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

gh_err gh_h_permissions(gh_req *r)
{
    json_t *items = json_array();
    for (int i = 0; i < GH_PERM_COUNT; i++)
        json_array_append_new(items, json_pack("{s:s, s:s}", "name", gh_perm_name(i), "description",
                                               gh_perm_text(i)));
    r->out = json_pack("{s:o}", "items", items);
    return GH_OK;
}

/* ---- groups ---- */

gh_err gh_h_groups_list(gh_req *r)
{
    int limit;
    int64_t after, provider;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = list_provider_arg(r, &provider);
    gh_group *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_group_list(&r->ctx, provider, limit + 1, after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, gh_json_group(&items[i]));
    send_list(r, arr, n, limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_groups_create(gh_req *r)
{
    const char *desc = gh_json_str(r->in, "description");
    json_t *roles = json_object_get(r->in, "role_ids");
    gh_group in = {.name = gh_json_str(r->in, "name"),
                   .description = desc ? desc : "",
                   .provider_id = json_integer_value(json_object_get(r->in, "provider_id"))},
             out;
    if (roles != NULL)
        gh_json_ids_in(r->a, roles, &in.role_ids);
    gh_err err = gh_core_group_create(&r->ctx, &in, &out);
    if (err == GH_OK)
        send_obj(r, gh_json_group(&out), out.version, 201);
    return err;
}

gh_err gh_h_groups_get(gh_req *r)
{
    gh_group g;
    gh_err err = gh_core_group_get(&r->ctx, r->id, &g);
    if (err == GH_OK)
        send_obj(r, gh_json_group(&g), g.version, 200);
    return err;
}

gh_err gh_h_groups_patch(gh_req *r)
{
    int64_t version;
    gh_group cur, out;
    json_t *v;
    gh_err err = gh_if_match(r, &version);
    if (err == GH_OK)
        err = gh_core_group_get(&r->ctx, r->id, &cur);
    if (err != GH_OK)
        return err;
    if ((v = json_object_get(r->in, "name")) != NULL)
        cur.name = json_string_value(v);
    if ((v = json_object_get(r->in, "description")) != NULL)
        cur.description = json_string_value(v);
    if ((v = json_object_get(r->in, "role_ids")) != NULL)
        gh_json_ids_in(r->a, v, &cur.role_ids);
    err = gh_core_group_update(&r->ctx, &cur, version, &out);
    if (err == GH_OK)
        send_obj(r, gh_json_group(&out), out.version, 200);
    return err;
}

gh_err gh_h_groups_delete(gh_req *r)
{
    gh_err err = gh_core_group_delete(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* ---- audit ---- */

static gh_err time_arg(gh_req *r, const char *name, int64_t *out)
{
    const char *s = gh_query(r, name);
    *out = 0;
    if (s != NULL && gh_clock_parse(s, out) != 0)
        return bad(r, name, "invalid", "use an RFC 3339 time such as 2026-01-31T12:00:00Z");
    return GH_OK;
}

gh_err gh_h_audit_list(gh_req *r)
{
    gh_audit_filter f = {.action = gh_query(r, "action"),
                         .actor = gh_query(r, "actor"),
                         .target_type = gh_query(r, "target_type")};
    gh_err err = gh_query_page(r, &f.limit, &f.before_id);
    if (err == GH_OK)
        err = gh_query_id(r, "actor_id", &f.actor_id);
    if (err == GH_OK)
        err = gh_query_id(r, "target_id", &f.target_id);
    if (err == GH_OK)
        err = time_arg(r, "since", &f.since);
    if (err == GH_OK)
        err = time_arg(r, "until", &f.until);
    if (err == GH_OK && ((f.action && strlen(f.action) > GH_MAX_NAME) ||
                         (f.target_type && strlen(f.target_type) > GH_MAX_NAME)))
        err = bad(r, f.action && strlen(f.action) > GH_MAX_NAME ? "action" : "target_type",
                  "too_long", "too long");
    if (err == GH_OK && f.actor != NULL && strlen(f.actor) > GH_MAX_USERNAME)
        err = bad(r, "actor", "too_long", "too long");
    gh_audit_entry *items = NULL;
    size_t n = 0;
    gh_audit_filter f_more = f;
    f_more.limit = f.limit + 1;
    if (err == GH_OK)
        err = gh_core_audit_list(&r->ctx, &f_more, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)f.limit ? (size_t)f.limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, gh_json_audit(&items[i]));
    send_list(r, arr, n, f.limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

/* The actions the trail records, from audit/'s one table, for the console's filter. */
gh_err gh_h_audit_actions(gh_req *r)
{
    json_t *items = json_array();
    for (int i = 0; i < GH_ACT_COUNT; i++)
        json_array_append_new(items,
                              json_pack("{s:s}", "name", gh_audit_action_name((gh_audit_action)i)));
    r->out = json_pack("{s:o}", "items", items);
    return GH_OK;
}
