/* See audit.h. The snapshot encoders below mirror http/encode.c key for key: the stored text
 * must stay what the audit API has always returned. */
#include "audit/audit.h"

#include <jansson.h>
#include <stdlib.h>

#include "util/clock.h"
#include "util/utf8.h"

static json_t *time_json(int64_t t)
{
    if (t == 0)
        return json_null();
    char buf[32];
    gh_clock_format(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *ids_json(const gh_ids *ids)
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
        json_object_set_new(o, "account_ids", ac->all ? json_string("all") : ids_json(&ac->ids));
    if (ac->level == GH_ACCESS_SUB_ACCOUNT) {
        json_object_set_new(o, "account_ids", json_pack("[I]", (json_int_t)ac->account_id));
        json_object_set_new(o, "sub_account_ids",
                            ac->all ? json_string("all") : ids_json(&ac->ids));
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
    json_t *delivery =
        o->exists && o->has_delivery
            ? json_pack("{s:s, s:o, s:I}", "state", gh_mail_state_name(o->delivery), "error",
                        opt_str(o->error), "attempts", (json_int_t)o->attempts)
            : json_null();
    return json_pack("{s:s, s:o, s:o, s:o}", "state", state, "sent_at", time_json(o->sent_at),
                     "expires_at", time_json(sent ? o->expires_at : 0), "delivery", delivery);
}

static json_t *user_json(const gh_user *u)
{
    json_t *o = json_pack(
        "{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:b, s:b}",
        "id", (json_int_t)u->id, "provider_id", opt_id(u->provider_id), "username", u->username,
        "first_name", u->first_name, "last_name", u->last_name, "email", u->email, "phone",
        u->phone, "language", u->language, "timezone", u->timezone, "country", u->country, "status",
        gh_user_status_name(u->status), "login_enabled", u->login_enabled, "enforce_sso",
        u->enforce_sso, "sso_source", opt_str(u->sso_source), "sso_id", opt_str(u->sso_id),
        "mfa_required", u->mfa_required, "mfa_enrolled", u->mfa_enrolled);
    json_object_set_new(o, "banned_until", time_json(u->banned_until));
    json_object_set_new(o, "role_ids", ids_json(&u->role_ids));
    json_object_set_new(o, "group_ids", ids_json(&u->group_ids));
    json_object_set_new(o, "access", access_json(&u->access));
    json_object_set_new(o, "last_login_at", time_json(u->last_login_at));
    json_object_set_new(o, "created_at", time_json(u->created_at));
    json_object_set_new(o, "updated_at", time_json(u->updated_at));
    json_object_set_new(o, "created_by", opt_id(u->created_by));
    json_object_set_new(o, "updated_by", opt_id(u->updated_by));
    json_object_set_new(o, "onboarding", onboarding_json(&u->onboarding));
    return o;
}

static json_t *role_json(const gh_role *r)
{
    json_t *perms = json_array();
    for (int i = 0; i < GH_PERM_COUNT; i++)
        if (r->permissions & ((uint64_t)1 << i))
            json_array_append_new(perms, json_string(gh_perm_name(i)));
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:b, s:o, s:o}", "id", (json_int_t)r->id,
                     "provider_id", opt_id(r->provider_id), "name", r->name, "description",
                     r->description, "kind", gh_role_kind_name(r->kind), "permissions", perms,
                     "mfa_required", r->mfa_required, "created_at", time_json(r->created_at),
                     "updated_at", time_json(r->updated_at));
}

static json_t *group_json(const gh_group *g)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:o, s:I, s:o, s:o}", "id", (json_int_t)g->id,
                     "provider_id", opt_id(g->provider_id), "name", g->name, "description",
                     g->description, "role_ids", ids_json(&g->role_ids), "member_count",
                     (json_int_t)g->member_count, "created_at", time_json(g->created_at),
                     "updated_at", time_json(g->updated_at));
}

/* A service provider's JSON carries its dormant rule (core/dormant.c). */
static json_t *tenant_json(const gh_tenant *t)
{
    json_t *j = json_pack(
        "{s:I, s:s, s:o, s:o, s:s, s:o, s:o}", "id", (json_int_t)t->id, "kind",
        gh_tenant_kind_name(t->kind), "parent_id", opt_id(t->parent_id), "provider_id",
        opt_id(t->kind == GH_TENANT_SERVICE_PROVIDER ? t->id : t->provider_id), "name", t->name,
        "created_at", time_json(t->created_at), "updated_at", time_json(t->updated_at));
    if (j != NULL && t->kind == GH_TENANT_SERVICE_PROVIDER) {
        json_object_set_new(j, "dormant_days", json_integer((json_int_t)t->dormant_days));
        json_object_set_new(j, "dormant_warn_days", json_integer((json_int_t)t->dormant_warn_days));
        json_object_set_new(j, "passkey_signin", json_boolean(t->passkey_signin));
    }
    return j;
}

/* Never the client secret: client_secret_set says whether one is stored. */
static json_t *sso_source_json(const gh_sso_source *s)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:o}", "id",
                     (json_int_t)s->id, "provider_id", opt_id(s->provider_id), "name", s->name,
                     "display_name", s->display_name, "issuer", s->issuer, "client_id",
                     s->client_id, "scopes", s->scopes, "claim", s->claim, "trust_idp_mfa",
                     s->trust_idp_mfa, "rp_logout", s->rp_logout, "client_secret_set",
                     s->has_client_secret, "created_at", time_json(s->created_at), "updated_at",
                     time_json(s->updated_at));
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, json_string(v));
}

static void set_bool(json_t *o, const char *key, gh_audit_bool v)
{
    if (v != GH_AUDIT_UNSET)
        json_object_set_new(o, key, json_boolean(v == GH_AUDIT_TRUE));
}

static void set_int(json_t *o, const char *key, gh_audit_int v)
{
    if (v.set)
        json_object_set_new(o, key, json_integer(v.v));
}

/* The keys in the order of gh_audit_detail, each only when set. */
static json_t *detail_json(const gh_audit_detail *d)
{
    json_t *o = json_object();
    set_str(o, "factor", d->factor);
    if (d->next != NULL)
        set_str(o, "next", gh_signin_stage_name(*d->next));
    set_bool(o, "known", d->known);
    set_bool(o, "banned", d->banned);
    set_bool(o, "blocked", d->blocked);
    set_bool(o, "replace", d->replace);
    set_str(o, "proof", d->proof);
    set_int(o, "retry_after", d->retry_after);
    set_int(o, "sessions", d->sessions);
    set_int(o, "id", d->id);
    set_int(o, "expires_at", d->expires_at);
    set_int(o, "link_id", d->link_id);
    set_int(o, "setup_link_id", d->setup_link_id);
    set_bool(o, "sent", d->sent);
    set_str(o, "reason", d->reason);
    set_str(o, "source", d->source);
    set_str(o, "name", d->name);
    set_int(o, "message_id", d->message_id);
    set_str(o, "kind", d->kind);
    set_int(o, "attempts", d->attempts);
    set_str(o, "error", d->error);
    set_str(o, "url", d->url);
    set_str(o, "events", d->events);
    set_int(o, "delivery_id", d->delivery_id);
    set_bool(o, "enabled", d->enabled);
    return o;
}

json_t *gh_audit_json(gh_audit_obj o)
{
    json_t *j = NULL;
    switch (o.kind) {
    case GH_AUDIT_USER:
        j = user_json(o.user);
        break;
    case GH_AUDIT_ROLE:
        j = role_json(o.role);
        break;
    case GH_AUDIT_GROUP:
        j = group_json(o.group);
        break;
    case GH_AUDIT_TENANT:
        j = tenant_json(o.tenant);
        break;
    case GH_AUDIT_SSO_SOURCE:
        j = sso_source_json(o.sso_source);
        break;
    case GH_AUDIT_DETAIL:
        j = detail_json(o.detail);
        break;
    case GH_AUDIT_NONE:
        return NULL;
    }
    return j;
}

char *gh_audit_snapshot(gh_arena *a, gh_audit_obj o)
{
    json_t *j = gh_audit_json(o);
    if (j == NULL)
        return NULL;
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    char *copy = s != NULL ? gh_arena_strdup(a, s) : NULL;
    free(s);
    return copy;
}

gh_err gh_audit_record(gh_db *db, gh_arena *a, const gh_audit_entry *e, gh_audit_obj before,
                       gh_audit_obj after)
{
    gh_audit_entry row = *e;
    row.before_json = gh_audit_snapshot(a, before);
    row.after_json = gh_audit_snapshot(a, after);
    if ((before.kind != GH_AUDIT_NONE && row.before_json == NULL) ||
        (after.kind != GH_AUDIT_NONE && row.after_json == NULL))
        return GH_ENOMEM; /* fail closed: a change is not committed without its record */
    return gh_store_audit_insert(db, &row);
}

const char *gh_audit_action_name(gh_audit_action a)
{
    static const char *const names[] = {
#define GH_AUDIT_ACTION_NAME(id, name) [GH_ACT_##id] = name,
        GH_AUDIT_ACTIONS(GH_AUDIT_ACTION_NAME)
#undef GH_AUDIT_ACTION_NAME
    };
    return (int)a >= 0 && a < GH_ACT_COUNT ? names[a] : NULL;
}

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *gh_audit_snapshot_name(gh_arena *a, const char *text, gh_audit_kind kind)
{
    json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    const char *name = NULL;
    switch (kind) {
    case GH_AUDIT_USER:
        if (str_of(o, "username") != NULL) {
            name = gh_person_name(a, str_of(o, "first_name"), str_of(o, "last_name"));
            if (name[0] == '\0')
                name = str_of(o, "username");
        }
        break;
    case GH_AUDIT_SSO_SOURCE:
        name = str_of(o, "display_name");
        break;
    case GH_AUDIT_ROLE:
    case GH_AUDIT_GROUP:
    case GH_AUDIT_TENANT:
        name = str_of(o, "name");
        break;
    case GH_AUDIT_NONE:
    case GH_AUDIT_DETAIL:
        break;
    }
    const char *copy = name != NULL && name[0] != '\0' ? gh_arena_strdup(a, name) : NULL;
    json_decref(o);
    return copy;
}
