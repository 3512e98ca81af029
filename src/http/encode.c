/* The JSON bodies of the API's responses: the one encoding of each domain object that clients
 * see (users, roles, groups, tenants, audit rows). Only http/ and the CLI's `user show` speak
 * JSON; core/ hands them typed structs. audit/ keeps its own serialisation of the same objects
 * for the stored before/after (tests/unit/http_test.c checks that the two agree). Thread-safe. */
#include "http/encode.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

json_t *gh_json_time(int64_t t)
{
    if (t == 0)
        return json_null();
    char buf[32];
    gh_clock_format(t, buf, sizeof buf);
    return json_string(buf);
}

json_t *gh_json_ids(const gh_ids *ids)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ids->n; i++)
        json_array_append_new(a, json_integer(ids->v[i]));
    return a;
}

static json_t *opt_id(int64_t id)
{
    return id != 0 ? json_integer(id) : json_null();
}

static json_t *opt_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *access_json(const gh_access *ac)
{
    json_t *o = json_pack("{s:s}", "level", gh_access_level_name(ac->level));
    if (ac->level == GH_ACCESS_ACCOUNT)
        json_object_set_new(o, "account_ids", ac->all ? json_string("all") : gh_json_ids(&ac->ids));
    if (ac->level == GH_ACCESS_SUB_ACCOUNT) {
        json_object_set_new(o, "account_ids", json_pack("[I]", (json_int_t)ac->account_id));
        json_object_set_new(o, "sub_account_ids",
                            ac->all ? json_string("all") : gh_json_ids(&ac->ids));
        json_object_set_new(o, "sub_account_count", json_integer(ac->sub_account_count));
    }
    return o;
}

/* {state: pending|expired|completed|none, sent_at, expires_at, delivery: {state, error,
 * attempts}}; the state depends on the clock. */
static json_t *onboarding_json(const gh_onboarding *o)
{
    bool sent = o->sent_at != 0;
    const char *state = !o->exists                                ? "none"
                        : o->used_at != 0                         ? "completed"
                        : o->voided_at != 0                       ? "expired"
                        : sent && o->expires_at <= gh_clock_now() ? "expired"
                                                                  : "pending";
    /* no delivery for a link that was copied rather than e-mailed */
    json_t *delivery = o->exists && o->delivery != NULL
                           ? json_pack("{s:s, s:o, s:I}", "state", o->delivery, "error",
                                       opt_str(o->error), "attempts", (json_int_t)o->attempts)
                           : json_null();
    return json_pack("{s:s, s:o, s:o, s:o}", "state", state, "sent_at", gh_json_time(o->sent_at),
                     "expires_at", gh_json_time(sent ? o->expires_at : 0), "delivery", delivery);
}

json_t *gh_json_user(const gh_user *u)
{
    json_t *o = json_pack(
        "{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:b, s:b}",
        "id", (json_int_t)u->id, "provider_id", opt_id(u->provider_id), "username", u->username,
        "first_name", u->first_name, "last_name", u->last_name, "email", u->email, "phone",
        u->phone, "language", u->language, "timezone", u->timezone, "country", u->country, "status",
        gh_user_status_name(u->status), "login_enabled", u->login_enabled, "enforce_sso",
        u->enforce_sso, "sso_source", opt_str(u->sso_source), "sso_id", opt_str(u->sso_id),
        "mfa_required", u->mfa_required, "mfa_enrolled", u->mfa_enrolled);
    json_object_set_new(o, "banned_until", gh_json_time(u->banned_until));
    json_object_set_new(o, "role_ids", gh_json_ids(&u->role_ids));
    json_object_set_new(o, "group_ids", gh_json_ids(&u->group_ids));
    json_object_set_new(o, "access", access_json(&u->access));
    json_object_set_new(o, "last_login_at", gh_json_time(u->last_login_at));
    json_object_set_new(o, "created_at", gh_json_time(u->created_at));
    json_object_set_new(o, "updated_at", gh_json_time(u->updated_at));
    json_object_set_new(o, "created_by", opt_id(u->created_by));
    json_object_set_new(o, "updated_by", opt_id(u->updated_by));
    json_object_set_new(o, "onboarding", onboarding_json(&u->onboarding));
    return o;
}

json_t *gh_json_role(const gh_role *r)
{
    json_t *perms = json_array();
    for (int i = 0; i < GH_PERM_COUNT; i++)
        if (r->permissions & ((uint64_t)1 << i))
            json_array_append_new(perms, json_string(gh_perm_name(i)));
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:b, s:o, s:o}", "id", (json_int_t)r->id,
                     "provider_id", opt_id(r->provider_id), "name", r->name, "description",
                     r->description, "kind", gh_role_kind_name(r->kind), "permissions", perms,
                     "mfa_required", r->mfa_required, "created_at", gh_json_time(r->created_at),
                     "updated_at", gh_json_time(r->updated_at));
}

json_t *gh_json_group(const gh_group *g)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:o, s:I, s:o, s:o}", "id", (json_int_t)g->id,
                     "provider_id", opt_id(g->provider_id), "name", g->name, "description",
                     g->description, "role_ids", gh_json_ids(&g->role_ids), "member_count",
                     (json_int_t)g->member_count, "created_at", gh_json_time(g->created_at),
                     "updated_at", gh_json_time(g->updated_at));
}

json_t *gh_json_tenant(const gh_tenant *t)
{
    return json_pack("{s:I, s:s, s:o, s:o, s:s, s:o, s:o}", "id", (json_int_t)t->id, "kind",
                     gh_tenant_kind_name(t->kind), "parent_id", opt_id(t->parent_id), "provider_id",
                     opt_id(t->kind == GH_TENANT_SERVICE_PROVIDER ? t->id : t->provider_id), "name",
                     t->name, "created_at", gh_json_time(t->created_at), "updated_at",
                     gh_json_time(t->updated_at));
}

static json_t *parsed_or_null(const char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;
    return j != NULL ? j : json_null();
}

json_t *gh_json_audit(const gh_audit_entry *e)
{
    return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}", "id",
                     (json_int_t)e->id, "at", gh_json_time(e->at), "actor_id", opt_id(e->actor_id),
                     "actor", e->actor, "action", e->action, "target_type", e->target_type,
                     "target_id", opt_id(e->target_id), "target_user_id", opt_id(e->target_user_id),
                     "provider_id", opt_id(e->provider_id), "outcome", e->outcome, "ip", e->ip,
                     "request_id", e->request_id, "before", parsed_or_null(e->before_json), "after",
                     parsed_or_null(e->after_json));
}

char *gh_json_text(gh_arena *a, json_t *j)
{
    if (j == NULL)
        return NULL;
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    char *copy = gh_arena_strdup(a, s);
    free(s);
    return copy;
}
