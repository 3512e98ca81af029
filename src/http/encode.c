/* The JSON bodies of the API's responses (users, roles, groups, tenants, audit rows). Only http/
 * and the CLI's `user show` speak JSON; core/ hands them typed structs. Domain objects are
 * encoded once, by audit/ (gh_audit_json), so that an audit row's before/after is exactly what
 * the API showed. Thread-safe. */
#include "http/encode.h"

#include "audit/audit.h"

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

/* Users, roles, groups, tenants and SSO sources have one encoding, audit's: the trail stores an
 * object as the API shows it. */
json_t *gh_json_user(const gh_user *u)
{
    return gh_audit_json(GH_AUDIT_OF_USER(u));
}

json_t *gh_json_role(const gh_role *r)
{
    return gh_audit_json(GH_AUDIT_OF_ROLE(r));
}

json_t *gh_json_group(const gh_group *g)
{
    return gh_audit_json(GH_AUDIT_OF_GROUP(g));
}

json_t *gh_json_tenant(const gh_tenant *t)
{
    return gh_audit_json(GH_AUDIT_OF_TENANT(t));
}

json_t *gh_json_sso_source(const gh_sso_source *s)
{
    return gh_audit_json(GH_AUDIT_OF_SSO_SOURCE(s));
}

static json_t *opt_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *parsed_or_null(const char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;
    return j != NULL ? j : json_null();
}

json_t *gh_json_audit(const gh_audit_entry *e)
{
    json_t *j = json_pack(
        "{s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}", "id",
        (json_int_t)e->id, "at", gh_json_time(e->at), "actor_id", opt_id(e->actor_id), "actor",
        e->actor, "action", e->action, "target_type", e->target_type, "target_id",
        opt_id(e->target_id), "target_user_id", opt_id(e->target_user_id), "provider_id",
        opt_id(e->provider_id), "outcome", e->outcome, "ip", e->ip, "request_id", e->request_id,
        "before", parsed_or_null(e->before_json), "after", parsed_or_null(e->after_json));
    if (j != NULL) {
        json_object_set_new(j, "actor_name", opt_str(e->actor_name));
        json_object_set_new(j, "target_name", opt_str(e->target_name));
        json_object_set_new(j, "target_visible", json_boolean(e->target_visible));
    }
    return j;
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
