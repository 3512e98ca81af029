/* /api/v1/users: list and search, create, read, edit, disable/enable/delete, bulk actions. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/encode.h"
#include "model/model.h"
#include "http/internal.h"
#include "http/limits.h"

static gh_err bad(gh_req *r, const char *field, const char *reason, const char *detail)
{
    return gh_fail(&r->ctx, GH_EINVAL, field, reason, detail);
}

/* Reads {level, account_ids, sub_account_ids} (already type-checked) into out. */
static gh_err parse_access(gh_req *r, const json_t *o, gh_access *out)
{
    const char *level = gh_json_str(o, "level");
    const json_t *acc = json_object_get(o, "account_ids"),
                 *sub = json_object_get(o, "sub_account_ids");
    gh_access_level lv;
    if (!gh_access_level_parse(level, &lv))
        return bad(r, "access.level", "invalid", "use platform, provider, account or sub_account");
    memset(out, 0, sizeof *out);
    out->level = lv;
    if (out->level < GH_ACCESS_ACCOUNT && (acc != NULL || sub != NULL))
        return bad(r, acc ? "access.account_ids" : "access.sub_account_ids", "not_allowed",
                   "only for account or sub_account access");
    if (out->level == GH_ACCESS_ACCOUNT) {
        if (acc == NULL)
            return bad(r, "access.account_ids", "required", "select platform accounts, or \"all\"");
        if (sub != NULL)
            return bad(r, "access.sub_account_ids", "not_allowed",
                       "sub-accounts are chosen only with sub_account access");
        out->all = json_is_string(acc);
        if (!out->all)
            gh_json_ids_in(r->a, acc, &out->ids);
    }
    if (out->level == GH_ACCESS_SUB_ACCOUNT) {
        if (acc == NULL || !json_is_array(acc) || json_array_size(acc) != 1)
            return bad(r, "access.account_ids", "not_allowed",
                       "sub-accounts can be chosen only when exactly one platform account is");
        out->account_id = json_integer_value(json_array_get(acc, 0));
        if (sub == NULL)
            return bad(r, "access.sub_account_ids", "required", "select sub-accounts, or \"all\"");
        out->all = json_is_string(sub);
        if (!out->all)
            gh_json_ids_in(r->a, sub, &out->ids);
    }
    return GH_OK;
}

/* Copies the present profile fields of the body onto u. */
static gh_err apply_fields(gh_req *r, const json_t *in, gh_user *u)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"email", offsetof(gh_user, email)},         {"first_name", offsetof(gh_user, first_name)},
        {"last_name", offsetof(gh_user, last_name)}, {"phone", offsetof(gh_user, phone)},
        {"language", offsetof(gh_user, language)},   {"timezone", offsetof(gh_user, timezone)},
        {"country", offsetof(gh_user, country)},     {"sso_source", offsetof(gh_user, sso_source)},
        {"sso_id", offsetof(gh_user, sso_id)},
    };
    static const struct {
        const char *name;
        size_t off;
    } bools[] = {
        {"login_enabled", offsetof(gh_user, login_enabled)},
        {"enforce_sso", offsetof(gh_user, enforce_sso)},
        {"mfa_required", offsetof(gh_user, mfa_required)},
    };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        json_t *v = json_object_get(in, strs[i].name);
        if (v != NULL)
            *(const char **)((char *)u + strs[i].off) =
                json_is_null(v) ? NULL : gh_arena_strdup(r->a, json_string_value(v));
    }
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++) {
        json_t *v = json_object_get(in, bools[i].name);
        if (v != NULL)
            *(bool *)((char *)u + bools[i].off) = json_is_true(v);
    }
    json_t *v;
    if ((v = json_object_get(in, "role_ids")) != NULL)
        gh_json_ids_in(r->a, v, &u->role_ids);
    if ((v = json_object_get(in, "group_ids")) != NULL)
        gh_json_ids_in(r->a, v, &u->group_ids);
    if ((v = json_object_get(in, "access")) != NULL)
        return parse_access(r, v, &u->access);
    return GH_OK;
}

static json_t *named_json(const gh_named *n)
{
    return json_pack("{s:I, s:s?}", "id", (json_int_t)n->id, "name", n->name);
}

static json_t *named_list(const gh_named *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, named_json(&v[i]));
    return a;
}

/* allowed_actions of a rights mask (core/rights.c). */
static json_t *allowed_json(unsigned mask)
{
    json_t *a = json_array();
    for (int i = 0; i < GH_RIGHT_COUNT; i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_string(gh_user_right_name((gh_user_right)i)));
    return a;
}

gh_err gh_h_user_allowed(gh_req *r, const gh_user *u, json_t *out)
{
    unsigned mask = 0;
    gh_err err = gh_core_user_rights(&r->ctx, u, &mask);
    if (err == GH_OK)
        json_object_set_new(out, "allowed_actions", allowed_json(mask));
    return err;
}

gh_err gh_h_users_allowed(gh_req *r, const gh_user *users, size_t n, json_t *items)
{
    unsigned *masks = gh_arena_alloc(r->a, (n + 1) * sizeof *masks);
    gh_err err = gh_core_users_rights(&r->ctx, users, n, masks);
    for (size_t i = 0; i < n && err == GH_OK; i++)
        json_object_set_new(json_array_get(items, i), "allowed_actions", allowed_json(masks[i]));
    return err;
}

/* One user as the API shows it: the record, the names of what it refers to beside their ids
 * (a limited admin may not read the provider, roles or tenants themselves) and what the reader
 * may do to it now. */
static gh_err user_json(gh_req *r, const gh_user *u, json_t **out)
{
    gh_user_names n;
    gh_err err = gh_core_user_names(&r->ctx, u, &n);
    if (err != GH_OK)
        return err;
    int64_t dormant_at = 0;
    if ((err = gh_core_users_dormant_at(&r->ctx, u, 1, &dormant_at)) != GH_OK)
        return err;
    json_t *j = gh_json_user(u);
    const gh_access *ac = &u->access;
    json_object_set_new(j, "dormant_at", gh_json_time(dormant_at));
    json_object_set_new(j, "provider", u->provider_id ? named_json(&n.provider) : json_null());
    json_object_set_new(j, "roles", named_list(n.roles, u->role_ids.n));
    json_object_set_new(j, "groups", named_list(n.groups, u->group_ids.n));
    json_object_set_new(j, "created_by_user",
                        u->created_by ? named_json(&n.created_by) : json_null());
    json_object_set_new(j, "updated_by_user",
                        u->updated_by ? named_json(&n.updated_by) : json_null());
    /* the tenants access.account_ids and .sub_account_ids name ("all": none listed) */
    if (ac->level == GH_ACCESS_ACCOUNT)
        json_object_set_new(j, "accounts", named_list(n.access, ac->all ? 0 : ac->ids.n));
    if (ac->level == GH_ACCESS_SUB_ACCOUNT) {
        json_object_set_new(j, "accounts", named_list(&n.account, 1));
        json_object_set_new(j, "sub_accounts", named_list(n.access, ac->all ? 0 : ac->ids.n));
    }
    if ((err = gh_h_user_allowed(r, u, j)) != GH_OK) {
        json_decref(j);
        return err;
    }
    *out = j;
    return GH_OK;
}

static gh_err send_user(gh_req *r, const gh_user *u, int status)
{
    json_t *j = NULL;
    gh_err err = user_json(r, u, &j);
    if (err != GH_OK)
        return err;
    r->status = status;
    r->out = j;
    r->etag_version = u->version;
    return GH_OK;
}

gh_err gh_h_users_create(gh_req *r)
{
    gh_user_create c = {.user = {
                            .first_name = "",
                            .last_name = "",
                            .phone = "",
                            .language = "en",
                            .timezone = "UTC",
                            .country = "",
                            .login_enabled = true,
                        }};
    gh_user *u = &c.user;
    u->username = gh_json_str(r->in, "username");
    u->provider_id = json_integer_value(json_object_get(r->in, "provider_id"));
    u->access.level = u->provider_id != 0 ? GH_ACCESS_PROVIDER : GH_ACCESS_PLATFORM;
    c.password = gh_json_str(r->in, "password");
    c.generate_password = json_is_true(json_object_get(r->in, "generate_password"));
    c.enforce_sso_given = json_object_get(r->in, "enforce_sso") != NULL;
    c.sso_source_given = json_object_get(r->in, "sso_source") != NULL;
    c.sso_id_given = json_object_get(r->in, "sso_id") != NULL;
    if (c.password != NULL && c.generate_password)
        return bad(r, "generate_password", "exclusive",
                   "send either password or generate_password");
    gh_err err = apply_fields(r, r->in, u);
    if (err != GH_OK)
        return err;
    gh_user out;
    char *generated = NULL;
    if ((err = gh_core_user_create(&r->ctx, &c, &out, &generated)) != GH_OK)
        return err;
    err = send_user(r, &out, 201);
    if (err == GH_OK && generated != NULL) {
        json_object_set_new(r->out, "generated_password", json_string(generated));
    }
    if (generated != NULL)
        sodium_memzero(generated, strlen(generated));
    return err;
}

gh_err gh_h_users_get(gh_req *r)
{
    gh_user u;
    gh_err err = gh_core_user_get(&r->ctx, r->id, &u);
    return err == GH_OK ? send_user(r, &u, 200) : err;
}

gh_err gh_h_users_patch(gh_req *r)
{
    int64_t version = 0;
    gh_user cur, out;
    gh_err err = gh_if_match(r, &version);
    if (err == GH_OK)
        err = gh_core_user_get(&r->ctx, r->id, &cur);
    if (err == GH_OK)
        err = apply_fields(r, r->in, &cur);
    if (err == GH_OK)
        err = gh_core_user_update(&r->ctx, &cur, version, &out);
    return err == GH_OK ? send_user(r, &out, 200) : err;
}

static gh_err act(gh_req *r, gh_user_action action)
{
    gh_user u;
    gh_err err = gh_core_user_act(&r->ctx, r->id, action);
    if (err == GH_OK && action == GH_USER_DELETE) {
        r->status = 204;
        return GH_OK;
    }
    if (err == GH_OK)
        err = gh_core_user_get(&r->ctx, r->id, &u);
    return err == GH_OK ? send_user(r, &u, 200) : err;
}

gh_err gh_h_users_delete(gh_req *r)
{
    return act(r, GH_USER_DELETE);
}

gh_err gh_h_users_disable(gh_req *r)
{
    return act(r, GH_USER_DISABLE);
}

gh_err gh_h_users_enable(gh_req *r)
{
    return act(r, GH_USER_ENABLE);
}

gh_err gh_h_users_bulk(gh_req *r)
{
    static const char *const names[] = {"disable", "enable", "delete"};
    const char *action = gh_json_str(r->in, "action");
    int k = 0;
    while (k < 3 && strcmp(names[k], action) != 0)
        k++;
    if (k == 3)
        return bad(r, "action", "invalid", "use disable, enable or delete");
    if (!gh_perm_has(r->ctx.who, gh_core_user_action_perm((gh_user_action)k)))
        return gh_fail(&r->ctx, GH_EFORBIDDEN, "action", "forbidden",
                       "your roles do not hold users.delete");
    const json_t *ids = json_object_get(r->in, "ids");
    if (json_array_size(ids) == 0)
        return bad(r, "ids", "required", "select at least one user");
    json_t *results = json_array();
    size_t i, ok = 0;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
        gh_err err = gh_core_user_act(&r->ctx, json_integer_value(v), (gh_user_action)k);
        json_t *res = json_pack("{s:O, s:i}", "id", v, "status",
                                err == GH_OK ? (k == 2 ? 204 : 200) : gh_err_http_status(err));
        if (err != GH_OK)
            json_object_set_new(res, "detail",
                                json_string(r->ctx.err_detail && gh_err_http_status(err) < 500
                                                ? r->ctx.err_detail
                                                : gh_err_str(err)));
        ok += err == GH_OK;
        json_array_append_new(results, res);
    }
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
    r->out = json_pack("{s:s, s:o, s:I, s:I}", "action", action, "results", results, "succeeded",
                       (json_int_t)ok, "failed", (json_int_t)(json_array_size(ids) - ok));
    return GH_OK;
}

/* ---- list ---- */

static const char *const sort_names[] = {"name",       "username", "email",
                                         "last_login", "created",  "id"};

/* Without sort=, a search lists matches in id order (the search index streams it, so a common
 * term costs no more than a rare one); a plain list sorts by name. */
static gh_err parse_sort(gh_req *r, gh_user_filter *f)
{
    const char *s = gh_query(r, "sort");
    if (s == NULL) {
        f->sort = f->q != NULL && f->q[0] != '\0' ? GH_SORT_ID : GH_SORT_NAME;
        return GH_OK;
    }
    f->desc = s[0] == '-';
    s += f->desc;
    for (int i = 0; i < 6; i++)
        if (strcmp(s, sort_names[i]) == 0) {
            f->sort = (gh_user_sort)i;
            return GH_OK;
        }
    return bad(r, "sort", "invalid",
               "use name, username, email, last_login, created or id, with - to reverse");
}

/* Cursors are base64url("<sort>\n<id>\n<key>"): opaque to clients, checked on the way back. */
static gh_err parse_cursor(gh_req *r, gh_user_filter *f)
{
    const char *c = gh_query(r, "cursor");
    if (c == NULL)
        return GH_OK;
    size_t n = strlen(c), len = 0;
    char *raw = gh_arena_alloc(r->a, n + 1);
    if (n > GH_MAX_CURSOR || sodium_base642bin((unsigned char *)raw, n, c, n, NULL, &len, NULL,
                                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return bad(r, "cursor", "invalid", "not a cursor this server gave");
    raw[len] = '\0';
    char *nl1 = strchr(raw, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
    if (nl2 == NULL || (int)strtol(raw, NULL, 10) != (int)f->sort * 2 + f->desc)
        return bad(r, "cursor", "mismatch", "not a cursor for this sort order");
    f->has_cursor = true;
    f->cursor_id = strtoll(nl1 + 1, NULL, 10);
    f->cursor_key = nl2 + 1;
    return GH_OK;
}

static const char *make_cursor(gh_req *r, const gh_user_filter *f, const gh_user_page *p)
{
    const char *raw = gh_arena_printf(r->a, "%d\n%lld\n%s", (int)f->sort * 2 + f->desc,
                                      (long long)p->next_id, p->next_key);
    size_t n = strlen(raw),
           cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = gh_arena_alloc(r->a, cap);
    return sodium_bin2base64(out, cap, (const unsigned char *)raw, n,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The list's filter from the query: q, role_id, group_id, tenant_id and (with status) status. */
static gh_err parse_filter(gh_req *r, gh_user_filter *f, bool with_status)
{
    const char *status = with_status ? gh_query(r, "status") : NULL;
    f->q = gh_query(r, "q");
    gh_err err = GH_OK;
    if (f->q != NULL && strlen(f->q) > GH_MAX_QUERY_TEXT)
        err = bad(r, "q", "too_long", "at most 100 characters");
    if (err == GH_OK && status != NULL && !gh_user_list_status_parse(status, &f->status))
        err = bad(r, "status", "invalid", "use active, invited, disabled, banned or deleted");
    if (err == GH_OK)
        err = gh_query_id(r, "role_id", &f->role_id);
    if (err == GH_OK)
        err = gh_query_id(r, "group_id", &f->group_id);
    if (err == GH_OK)
        err = gh_query_id(r, "tenant_id", &f->tenant_id);
    const char *days = gh_query(r, "inactive_days");
    if (err == GH_OK && days != NULL) {
        char *end = NULL;
        long long n = strtoll(days, &end, 10);
        if (end == days || *end != '\0' || n < 1 || n > GH_MAX_DORMANT_DAYS)
            err = bad(r, "inactive_days", "invalid", "a whole number of days from 1 to 3650");
        else
            f->inactive_days = n;
    }
    return err;
}

gh_err gh_h_users_filter(gh_req *r, gh_user_filter *f)
{
    gh_err err = parse_filter(r, f, true);
    return err == GH_OK ? parse_sort(r, f) : err;
}

/* Beside each item of a list page: its provider and roles by name, and in the Banned tab its
 * lock-out (failures since the last successful sign-in, the last failure's time and address). */
static gh_err add_extras(gh_req *r, const gh_user_filter *f, const gh_user_page *page,
                         json_t *items)
{
    bool lockout = f->status == GH_LIST_BANNED;
    gh_user_extras *ex = gh_arena_alloc(r->a, (page->n + 1) * sizeof *ex);
    int64_t *dormant_at = gh_arena_alloc(r->a, (page->n + 1) * sizeof *dormant_at);
    gh_err err = gh_core_users_extras(&r->ctx, page->items, page->n, lockout, ex);
    if (err == GH_OK)
        err = gh_core_users_dormant_at(&r->ctx, page->items, page->n, dormant_at);
    for (size_t i = 0; i < page->n && err == GH_OK; i++) {
        json_t *u = json_array_get(items, i);
        json_object_set_new(u, "dormant_at", gh_json_time(dormant_at[i]));
        json_object_set_new(u, "provider",
                            page->items[i].provider_id ? named_json(&ex[i].provider) : json_null());
        json_object_set_new(u, "roles", named_list(ex[i].roles, ex[i].n_roles));
        if (lockout)
            json_object_set_new(u, "lockout",
                                json_pack("{s:I, s:o, s:s?}", "failures",
                                          (json_int_t)ex[i].failures, "last_failure_at",
                                          gh_json_time(ex[i].last_failure_at), "last_failure_ip",
                                          ex[i].last_failure_ip));
    }
    return err;
}

gh_err gh_h_users_list(gh_req *r)
{
    gh_user_filter f = {0};
    gh_err err = parse_filter(r, &f, true);
    if (err == GH_OK)
        err = gh_query_limit(r, &f.limit);
    if (err == GH_OK)
        err = parse_sort(r, &f);
    if (err == GH_OK)
        err = parse_cursor(r, &f);
    gh_user_page page;
    if (err == GH_OK)
        err = gh_core_user_list(&r->ctx, &f, &page);
    if (err != GH_OK)
        return err;
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++) {
        json_t *u = gh_json_user(&page.items[i]);
        json_object_del(u, "role_ids"); /* not loaded for lists: read the user for them */
        json_object_del(u, "group_ids");
        json_object_del(u, "access");
        json_object_del(u, "onboarding");
        json_array_append_new(items, u);
    }
    if ((err = add_extras(r, &f, &page, items)) != GH_OK ||
        (err = gh_h_users_allowed(r, page.items, page.n, items)) != GH_OK) {
        json_decref(items);
        return err;
    }
    r->out = json_pack("{s:o, s:o, s:b}", "items", items, "next_cursor",
                       page.more ? json_string(make_cursor(r, &f, &page)) : json_null(), "partial",
                       page.partial);
    return GH_OK;
}

/* GET /api/v1/users/counts: each tab's count for the list's filter, exact up to
 * GH_USER_COUNT_CAP and "more" beyond; with a search or a role, group or tenant filter counted
 * over at most GH_USER_COUNT_BUDGET matches (beyond, every count is a lower bound: "more", and
 * exact false), so that it costs little at a million users; null for a search term no index
 * serves. */
gh_err gh_h_users_counts(gh_req *r)
{
    static const char *const tabs[GH_TALLY_TABS] = {"active", "invited", "disabled", "banned",
                                                    "deleted"};
    gh_user_filter f = {0};
    gh_user_tally tally;
    gh_err err = parse_filter(r, &f, false);
    if (err == GH_OK)
        err = gh_core_user_tallies(&r->ctx, &f, GH_USER_COUNT_CAP, GH_USER_COUNT_BUDGET, &tally);
    if (err != GH_OK)
        return err;
    json_t *out =
        json_pack("{s:i, s:b}", "cap", GH_USER_COUNT_CAP, "exact", tally.known && tally.exact);
    for (int i = 0; i < GH_TALLY_TABS; i++) {
        int64_t n = tally.n[i];
        json_object_set_new(
            out, tabs[i],
            !tally.known ? json_null()
                         : json_pack("{s:I, s:b}", "count",
                                     (json_int_t)(n > GH_USER_COUNT_CAP ? GH_USER_COUNT_CAP : n),
                                     "more", n > GH_USER_COUNT_CAP || !tally.exact));
    }
    r->out = out;
    return GH_OK;
}
