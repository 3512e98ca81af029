/* SCIM 2.0 (RFC 7643, 7644) under /scim/v2 (issue 15): Users, Groups and the discovery documents,
 * for Okta's and Microsoft Entra's provisioning clients, both dialects (Entra's PascalCase ops,
 * "True"/"False" strings, value-path filters and the enterprise extension's colon paths).
 *
 * Its own small route table, outside gh_routes and the OpenAPI document: every route takes only
 * a SCIM client's bearer token (core/scim.c), which no /api/v1 route accepts, and answers in
 * SCIM's media type and error schema. The client's principal is its creator's, narrowed to the
 * client's provider, so core's scope and grant rules apply to every read and write unchanged;
 * each write is one core call with its audit row (actor "scim:<client>").
 *
 * The mapping: userName = username (immutable: a different one is refused, scimType
 * mutability); name.givenName/familyName = first/last name; emails = the one e-mail (the primary
 * one given, else the first; shown as type work, primary); phoneNumbers = the phone (E.164 after
 * dropping spaces, dashes, dots and parentheses); active = not disabled (false disables, true
 * enables); locale and preferredLanguage: zh... = zh, anything else en; timezone; externalId.
 * A PUT replaces: what it leaves out is cleared, but locale, timezone and externalId, which an
 * IdP may not send again (Okta's PUT has no externalId).
 * Passwords are not taken from SCIM: a user it creates is invited by the onboarding e-mail (the
 * identity provider keeps its password; Gatehouse's policy would refuse most synced ones). The
 * enterprise extension's attributes and the core attributes Gatehouse does not keep (title,
 * addresses, ...) are accepted and not stored; an attribute outside those schemas is refused
 * (I2). Gatehouse's own fields are in its extension: roleIds and access are written through
 * core's grant checks (a role beyond the creator's rights is 403), status and providerId are
 * read-only. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"

#define URN_USER        "urn:ietf:params:scim:schemas:core:2.0:User"
#define URN_GROUP       "urn:ietf:params:scim:schemas:core:2.0:Group"
#define URN_ENTERPRISE  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define URN_GATEHOUSE   "urn:gatehouse:params:scim:schemas:extension:gatehouse:2.0:User"
#define URN_LIST        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define URN_ERROR       "urn:ietf:params:scim:api:messages:2.0:Error"
#define URN_PATCH       "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define URN_SPC         "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define URN_RT          "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define URN_SCHEMA      "urn:ietf:params:scim:schemas:core:2.0:Schema"
#define MEDIA           "application/scim+json"
#define PAGE_DEFAULT    100
#define PAGE_MAX        GH_PAGE_MAX
#define MAX_EXTERNAL_ID 255
#define MAX_OPERATIONS  64

/* ---- answers ---- */

static gh_err scim_fail(gh_req *r, gh_err err, const char *scim_type, const char *detail)
{
    r->scim_type = scim_type;
    return gh_fail(&r->ctx, err, NULL, NULL, detail);
}

static gh_err invalid(gh_req *r, const char *detail)
{
    return scim_fail(r, GH_EINVAL, "invalidValue", detail);
}

json_t *gh_scim_error(gh_req *r, gh_err err)
{
    int status = gh_err_http_status(err);
    const char *detail = r->ctx.err_detail;
    if (detail == NULL || status >= 500)
        detail = gh_err_str(err);
    if (r->ctx.err_field != NULL && status < 500) /* core names the field it refused */
        detail = gh_arena_printf(r->a, "%s: %s", r->ctx.err_field, detail);
    const char *type = r->scim_type;
    if (type == NULL && err == GH_EINVAL)
        type = "invalidValue";
    if (type == NULL && err == GH_ECONFLICT && r->ctx.err_reason != NULL &&
        strcmp(r->ctx.err_reason, "taken") == 0)
        type = "uniqueness";
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    json_t *e =
        json_pack("{s:[s], s:s, s:s}", "schemas", URN_ERROR, "status", st, "detail", detail);
    if (type != NULL)
        json_object_set_new(e, "scimType", json_string(type));
    return e;
}

static char *time_text(gh_arena *a, int64_t t)
{
    char buf[32];
    gh_clock_format(t, buf, sizeof buf);
    return gh_arena_strdup(a, buf);
}

static char *location(gh_req *r, const char *path)
{
    char *abs = gh_http_absolute_url(r, path);
    return abs != NULL ? abs : gh_arena_strdup(r->a, path);
}

static json_t *gatehouse_ext(const gh_user *u)
{
    json_t *access = json_pack("{s:s}", "level", gh_access_level_name(u->access.level));
    if (u->access.level >= GH_ACCESS_ACCOUNT) {
        json_t *ids = json_array();
        for (size_t i = 0; i < u->access.ids.n; i++)
            json_array_append_new(ids, json_integer(u->access.ids.v[i]));
        json_object_set_new(access, "accountIds", u->access.all ? json_string("all") : ids);
        if (u->access.all)
            json_decref(ids);
    }
    json_t *roles = json_array();
    for (size_t i = 0; i < u->role_ids.n; i++)
        json_array_append_new(roles, json_integer(u->role_ids.v[i]));
    return json_pack("{s:s, s:I, s:o, s:o}", "status", gh_user_status_name(u->status), "providerId",
                     (json_int_t)u->provider_id, "access", access, "roleIds", roles);
}

static json_t *user_json(gh_req *r, const gh_user *u)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)u->id);
    const char *display =
        gh_arena_printf(r->a, "%s%s%s", u->first_name,
                        u->first_name[0] && u->last_name[0] ? " " : "", u->last_name);
    json_t *j = json_pack(
        "{s:[s,s], s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:[{s:s, s:s, s:b}], s:b, s:s, s:s, s:s}",
        "schemas", URN_USER, URN_GATEHOUSE, "id", id, "userName", u->username, "name", "givenName",
        u->first_name, "familyName", u->last_name, "formatted", display, "displayName", display,
        "emails", "value", u->email, "type", "work", "primary", 1, "active",
        u->status != GH_STATUS_DISABLED, "locale", u->language, "preferredLanguage", u->language,
        "timezone", u->timezone);
    if (u->external_id != NULL)
        json_object_set_new(j, "externalId", json_string(u->external_id));
    if (u->phone != NULL && u->phone[0] != '\0')
        json_object_set_new(
            j, "phoneNumbers",
            json_pack("[{s:s, s:s, s:b}]", "value", u->phone, "type", "work", "primary", 1));
    json_object_set_new(j, URN_GATEHOUSE, gatehouse_ext(u));
    json_object_set_new(
        j, "meta",
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceType", "User", "created",
                  time_text(r->a, u->created_at), "lastModified", time_text(r->a, u->updated_at),
                  "version", gh_arena_printf(r->a, "W/\"%lld\"", (long long)u->version), "location",
                  location(r, gh_arena_printf(r->a, "/scim/v2/Users/%s", id))));
    return j;
}

/* A single user's groups (a list's rows do not load them): value and $ref of each. */
static void add_groups(gh_req *r, const gh_user *u, json_t *j)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < u->group_ids.n; i++) {
        char *id = gh_arena_printf(r->a, "%lld", (long long)u->group_ids.v[i]);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s}", "value", id, "$ref",
                           location(r, gh_arena_printf(r->a, "/scim/v2/Groups/%s", id)), "type",
                           "direct"));
    }
    json_object_set_new(j, "groups", arr);
}

static gh_err send_user(gh_req *r, const gh_user *u, int status)
{
    r->out = user_json(r, u);
    if (r->out != NULL)
        add_groups(r, u, r->out);
    r->status = status;
    r->etag = gh_arena_printf(r->a, "W/\"%lld\"", (long long)u->version);
    if (status == 201)
        r->location =
            json_string_value(json_object_get(json_object_get(r->out, "meta"), "location"));
    return r->out != NULL ? GH_OK : GH_ENOMEM;
}

/* ---- reading attributes ---- */

/* A string attribute of at most max characters (NUL refused); null gives "" when nullable. */
static gh_err text_of(gh_req *r, const json_t *v, const char *attr, size_t max, bool nullable,
                      const char **out)
{
    if (nullable && json_is_null(v)) {
        *out = NULL;
        return GH_OK;
    }
    if (!json_is_string(v))
        return invalid(r, gh_arena_printf(r->a, "%s must be a string", attr));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), chars = 0;
    if (strlen(s) != n)
        return invalid(r, gh_arena_printf(r->a, "%s must not contain NUL characters", attr));
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (chars > max)
        return invalid(r, gh_arena_printf(r->a, "%s: at most %zu characters", attr, max));
    *out = s;
    return GH_OK;
}

/* A boolean, or Entra's "True"/"False" strings (any case). */
static gh_err bool_of(gh_req *r, const json_t *v, const char *attr, bool *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return GH_OK;
    }
    const char *s = json_string_value(v);
    if (s != NULL && (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
        *out = strcasecmp(s, "true") == 0;
        return GH_OK;
    }
    return invalid(r, gh_arena_printf(r->a, "%s must be a boolean", attr));
}

/* The member of a multi-valued attribute that counts: the primary one, else the first. */
static const json_t *pick_value(const json_t *arr)
{
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        json_t *p = json_object_get(item, "primary");
        if (json_is_true(p) || (json_is_string(p) && strcasecmp(json_string_value(p), "true") == 0))
            return item;
    }
    return json_array_get(arr, 0);
}

/* "+1 (555) 555-0100" as "+15555550100": what E.164 keeps of the forms clients send. */
static const char *phone_of(gh_arena *a, const char *s)
{
    char *out = gh_arena_alloc(a, strlen(s) + 1), *o = out;
    for (; *s; s++)
        if (!strchr(" -.()", *s))
            *o++ = *s;
    *o = '\0';
    return out;
}

static const char *language_of(const char *locale)
{
    return strncasecmp(locale, "zh", 2) == 0 ? "zh" : "en";
}

/* What a write sets: the user's fields, and whether active was given. */
typedef struct scim_edit {
    gh_user *u;
    bool active_given, active;
} scim_edit;

static gh_err set_email(gh_req *r, scim_edit *e, const json_t *v)
{
    if (json_is_array(v)) {
        v = pick_value(v);
        if (v == NULL)
            return invalid(r, "emails: a user needs an e-mail address");
    }
    if (json_is_object(v))
        v = json_object_get(v, "value");
    return text_of(r, v, "emails.value", GH_MAX_EMAIL, false, &e->u->email);
}

static gh_err set_phone(gh_req *r, scim_edit *e, const json_t *v)
{
    if (json_is_array(v))
        v = pick_value(v);
    if (json_is_object(v))
        v = json_object_get(v, "value");
    if (v == NULL || json_is_null(v)) {
        e->u->phone = "";
        return GH_OK;
    }
    const char *s = NULL;
    gh_err err = text_of(r, v, "phoneNumbers.value", 32, false, &s);
    if (err == GH_OK)
        e->u->phone = phone_of(r->a, s);
    return err;
}

static gh_err set_name_part(gh_req *r, const json_t *v, const char *attr, const char **out)
{
    gh_err err = text_of(r, v, attr, GH_MAX_NAME, true, out);
    if (err == GH_OK && *out == NULL)
        *out = "";
    return err;
}

static gh_err set_name(gh_req *r, scim_edit *e, const json_t *v)
{
    if (!json_is_object(v))
        return invalid(r, "name must be an object");
    const json_t *g = json_object_get(v, "givenName"), *f = json_object_get(v, "familyName");
    gh_err err = GH_OK;
    if (g != NULL)
        err = set_name_part(r, g, "name.givenName", &e->u->first_name);
    if (err == GH_OK && f != NULL)
        err = set_name_part(r, f, "name.familyName", &e->u->last_name);
    return err;
}

static gh_err set_username(gh_req *r, scim_edit *e, const json_t *v)
{
    const char *s = NULL;
    gh_err err = text_of(r, v, "userName", GH_MAX_USERNAME, false, &s);
    if (err != GH_OK)
        return err;
    if (e->u->id != 0 && strcasecmp(s, e->u->username) != 0)
        return scim_fail(r, GH_EINVAL, "mutability",
                         "userName cannot change: usernames are unique for ever");
    if (e->u->id == 0)
        e->u->username = s;
    return GH_OK;
}

static gh_err set_external_id(gh_req *r, scim_edit *e, const json_t *v)
{
    return text_of(r, v, "externalId", MAX_EXTERNAL_ID, true, &e->u->external_id);
}

static gh_err set_active(gh_req *r, scim_edit *e, const json_t *v)
{
    e->active_given = true;
    return bool_of(r, v, "active", &e->active);
}

static gh_err set_locale(gh_req *r, scim_edit *e, const json_t *v)
{
    const char *s = NULL;
    gh_err err = text_of(r, v, "locale", 64, true, &s);
    if (err == GH_OK && s != NULL)
        e->u->language = language_of(s);
    return err;
}

static gh_err set_timezone(gh_req *r, scim_edit *e, const json_t *v)
{
    const char *s = NULL;
    gh_err err = text_of(r, v, "timezone", GH_MAX_TIMEZONE, true, &s);
    if (err == GH_OK && s != NULL)
        e->u->timezone = s;
    return err;
}

static gh_err set_ignored(gh_req *r, scim_edit *e, const json_t *v)
{
    return GH_OK;
}
/* roleIds of the Gatehouse extension: ids (numbers or strings); core checks each grant. */
static gh_err set_role_ids(gh_req *r, scim_edit *e, const json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) > GH_MAX_IDS)
        return invalid(
            r, gh_arena_printf(r->a, "roleIds: an array of at most %d role ids", GH_MAX_IDS));
    gh_ids ids = {gh_arena_alloc(r->a, (json_array_size(v) + 1) * sizeof(int64_t)), 0};
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        const char *s = json_string_value(x);
        char *end = NULL;
        long long id = s != NULL ? strtoll(s, &end, 10) : json_integer_value(x);
        if ((s != NULL && (*s == '\0' || *end != '\0')) || (s == NULL && !json_is_integer(x)) ||
            id <= 0)
            return invalid(r, "roleIds: each is a role id");
        ids.v[ids.n++] = id;
    }
    e->u->role_ids = ids;
    return GH_OK;
}

/* access of the Gatehouse extension: {level: provider} or {level: account, accountIds: [..] |
 * "all"}; core checks it lies inside the provider and the creator's scope. */
static gh_err set_access(gh_req *r, scim_edit *e, const json_t *v)
{
    const char *level = json_string_value(json_object_get(v, "level"));
    const json_t *acc = json_object_get(v, "accountIds");
    gh_access a = {0};
    if (!json_is_object(v) || !gh_access_level_parse(level, &a.level) ||
        (a.level != GH_ACCESS_PROVIDER && a.level != GH_ACCESS_ACCOUNT))
        return invalid(r, "access: {\"level\": \"provider\"} or {\"level\": \"account\", "
                          "\"accountIds\": [...] or \"all\"}");
    if (json_object_size(v) != 1 + (size_t)(acc != NULL)) /* level, and accountIds */
        return scim_fail(r, GH_EINVAL, "invalidSyntax",
                         "access holds level and accountIds, nothing else");
    if (a.level == GH_ACCESS_PROVIDER && acc != NULL)
        return invalid(r, "access: provider access names no accounts");
    if (a.level == GH_ACCESS_ACCOUNT && json_is_string(acc) &&
        strcmp(json_string_value(acc), "all") == 0) {
        a.all = true;
    } else if (a.level == GH_ACCESS_ACCOUNT) {
        scim_edit tmp = {.u = &(gh_user){0}};
        gh_err err = set_role_ids(r, &tmp, acc); /* the same shape: positive ids */
        if (err != GH_OK || tmp.u->role_ids.n == 0)
            return invalid(r, "access.accountIds: platform account ids, or \"all\"");
        a.ids = tmp.u->role_ids;
    }
    e->u->access = a;
    return GH_OK;
}

/* The Gatehouse extension as an object: roleIds and access are written, status and
 * providerId are read-only (ignored, RFC 7643 2.2). */
static gh_err set_gatehouse(gh_req *r, scim_edit *e, const json_t *v)
{
    if (!json_is_object(v))
        return invalid(r, "the Gatehouse extension is an object");
    static const char *const keys[] = {"roleIds", "access", "status", "providerId"};
    size_t known = 0;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        known += json_object_get(v, keys[i]) != NULL;
    if (known != json_object_size(v))
        return scim_fail(r, GH_EINVAL, "invalidSyntax",
                         "the Gatehouse extension holds roleIds, access, status and providerId");
    const json_t *roles = json_object_get(v, "roleIds"), *access = json_object_get(v, "access");
    gh_err err = roles != NULL ? set_role_ids(r, e, roles) : GH_OK;
    if (err == GH_OK && access != NULL)
        err = set_access(r, e, access);
    return err;
}

/* The top-level attributes a body may hold: those mapped, and those of the core and enterprise
 * schemas that are accepted and not kept. */
typedef gh_err (*setter)(gh_req *r, scim_edit *e, const json_t *v);
static const struct {
    const char *name;
    setter set;
} user_attrs[] = {
    {"userName", set_username},
    {"name", set_name},
    {"emails", set_email},
    {"phoneNumbers", set_phone},
    {"active", set_active},
    {"externalId", set_external_id},
    {"locale", set_locale},
    {"preferredLanguage", set_locale},
    {"timezone", set_timezone},
    {"schemas", set_ignored},
    {"id", set_ignored},
    {"meta", set_ignored},
    {"password", set_ignored}, /* never a credential (see above) */
    {"displayName", set_ignored},
    {"nickName", set_ignored},
    {"profileUrl", set_ignored},
    {"title", set_ignored},
    {"userType", set_ignored},
    {"ims", set_ignored},
    {"photos", set_ignored},
    {"addresses", set_ignored},
    {"groups", set_ignored}, /* readOnly in RFC 7643 */
    {"entitlements", set_ignored},
    {"roles", set_ignored},
    {"x509Certificates", set_ignored},
    {URN_ENTERPRISE, set_ignored},
    {URN_GATEHOUSE, set_gatehouse},
};

static setter find_setter(const char *name)
{
    if (strncasecmp(name, URN_USER ":", strlen(URN_USER) + 1) == 0)
        name += strlen(URN_USER) + 1;
    for (size_t i = 0; i < sizeof user_attrs / sizeof *user_attrs; i++)
        if (strcasecmp(name, user_attrs[i].name) == 0)
            return user_attrs[i].set;
    return NULL;
}

/* ---- PATCH (RFC 7644 3.5.2) ---- */

typedef enum { OP_ADD, OP_REPLACE, OP_REMOVE } patch_op;

/* A path "attr", "attr.sub", "attr[filter]", "attr[filter].sub", with an optional schema URN
 * before it (colon-separated: "urn:...:enterprise:2.0:User:employeeNumber"). */
typedef struct scim_path {
    const char *attr, *sub; /* sub NULL: none */
    bool filtered;
    bool enterprise;
    bool gatehouse; /* the Gatehouse extension: sub names its attribute (NULL: all of it) */
} scim_path;

static bool parse_path(gh_arena *a, const char *path, scim_path *out)
{
    memset(out, 0, sizeof *out);
    if (strncasecmp(path, URN_ENTERPRISE, strlen(URN_ENTERPRISE)) == 0) {
        out->enterprise = true;
        out->attr = URN_ENTERPRISE;
        return path[strlen(URN_ENTERPRISE)] == '\0' || path[strlen(URN_ENTERPRISE)] == ':';
    }
    size_t g = strlen(URN_GATEHOUSE);
    if (strncasecmp(path, URN_GATEHOUSE, g) == 0 && (path[g] == '\0' || path[g] == ':')) {
        out->gatehouse = true;
        out->attr = URN_GATEHOUSE;
        out->sub = path[g] == ':' ? path + g + 1 : NULL;
        return out->sub == NULL || *out->sub != '\0';
    }
    if (strncasecmp(path, URN_USER ":", strlen(URN_USER) + 1) == 0)
        path += strlen(URN_USER) + 1;
    size_t n = strcspn(path, "[.");
    if (n == 0)
        return false;
    out->attr = gh_arena_printf(a, "%.*s", (int)n, path);
    const char *p = path + n;
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (end == NULL || end == p + 1)
            return false;
        out->filtered = true;
        p = end + 1;
    }
    if (*p == '.') {
        out->sub = p + 1;
        if (*out->sub == '\0' || strpbrk(out->sub, ".[]") != NULL)
            return false;
        return true;
    }
    return *p == '\0';
}

static gh_err patch_remove(gh_req *r, scim_edit *e, const scim_path *p)
{
    const char *a = p->attr;
    if (p->gatehouse && p->sub != NULL && strcmp(p->sub, "roleIds") == 0)
        e->u->role_ids = (gh_ids){NULL, 0};
    else if (p->gatehouse)
        return scim_fail(r, GH_EINVAL, "mutability",
                         "only the Gatehouse extension's roleIds can be removed");
    else if (strcasecmp(a, "externalId") == 0)
        e->u->external_id = NULL;
    else if (strcasecmp(a, "phoneNumbers") == 0)
        e->u->phone = "";
    else if (strcasecmp(a, "name") == 0 && p->sub != NULL && strcasecmp(p->sub, "givenName") == 0)
        e->u->first_name = "";
    else if (strcasecmp(a, "name") == 0 && p->sub != NULL && strcasecmp(p->sub, "familyName") == 0)
        e->u->last_name = "";
    else if (strcasecmp(a, "name") == 0 && p->sub == NULL)
        e->u->first_name = e->u->last_name = "";
    else if (strcasecmp(a, "emails") == 0 || strcasecmp(a, "userName") == 0 ||
             strcasecmp(a, "active") == 0)
        return scim_fail(r, GH_EINVAL, "mutability",
                         gh_arena_printf(r->a, "%s cannot be removed", a));
    else if (find_setter(a) == NULL && !p->enterprise)
        return scim_fail(r, GH_EINVAL, "noTarget", gh_arena_printf(r->a, "no attribute %.64s", a));
    return GH_OK; /* the rest is not kept */
}

/* An add or replace at a path: the value goes to the attribute (or its sub-attribute). */
static gh_err patch_set(gh_req *r, scim_edit *e, const scim_path *p, json_t *v)
{
    if (p->enterprise)
        return GH_OK; /* accepted, not kept */
    if (p->gatehouse && p->sub == NULL)
        return set_gatehouse(r, e, v);
    if (p->gatehouse && strcmp(p->sub, "roleIds") == 0)
        return set_role_ids(r, e, v);
    if (p->gatehouse && strcmp(p->sub, "access") == 0)
        return set_access(r, e, v);
    if (p->gatehouse)
        return strcmp(p->sub, "status") == 0 || strcmp(p->sub, "providerId") == 0
                   ? GH_OK
                   : scim_fail(r, GH_EINVAL, "noTarget",
                               gh_arena_printf(r->a, "no attribute %.64s", p->sub));
    setter set = find_setter(p->attr);
    if (set == NULL)
        return scim_fail(r, GH_EINVAL, "noTarget",
                         gh_arena_printf(r->a, "no attribute %.64s", p->attr));
    if (p->sub == NULL)
        return set(r, e, v);
    bool multi = strcasecmp(p->attr, "emails") == 0 || strcasecmp(p->attr, "phoneNumbers") == 0;
    if (multi) { /* the one e-mail or phone: its value, or nothing of it we keep */
        if (strcasecmp(p->sub, "value") != 0)
            return GH_OK;
        return set(r, e, v);
    }
    if (strcasecmp(p->attr, "name") == 0) {
        if (strcasecmp(p->sub, "givenName") == 0)
            return set_name_part(r, v, "name.givenName", &e->u->first_name);
        if (strcasecmp(p->sub, "familyName") == 0)
            return set_name_part(r, v, "name.familyName", &e->u->last_name);
        return GH_OK; /* formatted, middleName, ...: not kept */
    }
    if (set == set_ignored)
        return GH_OK;
    return scim_fail(r, GH_EINVAL, "invalidPath",
                     gh_arena_printf(r->a, "%.64s has no sub-attributes", p->attr));
}

/* Every attribute of the object body onto e (POST, PUT, and a PATCH op without a path);
 * a key may be a path too. */
static gh_err apply_object(gh_req *r, scim_edit *e, json_t *body)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        setter set = find_setter(key);
        scim_path p;
        bool is_path = set == NULL && strpbrk(key, ".[:") != NULL && parse_path(r->a, key, &p);
        if (set == NULL && !is_path)
            return scim_fail(r, GH_EINVAL, "invalidSyntax",
                             gh_arena_printf(r->a, "unknown attribute %.64s", key));
        /* Entra without its flag: "name.givenName" and colon paths as keys of a value */
        gh_err err = is_path ? patch_set(r, e, &p, v) : set(r, e, v);
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

static bool op_of(const char *s, patch_op *op)
{
    if (s == NULL)
        return false;
    if (strcasecmp(s, "add") == 0)
        return *op = OP_ADD, true;
    if (strcasecmp(s, "replace") == 0)
        return *op = OP_REPLACE, true;
    if (strcasecmp(s, "remove") == 0)
        return *op = OP_REMOVE, true;
    return false;
}

static gh_err patch_one(gh_req *r, scim_edit *e, json_t *o)
{
    patch_op op;
    if (!json_is_object(o) || !op_of(json_string_value(json_object_get(o, "op")), &op))
        return scim_fail(r, GH_EINVAL, "invalidSyntax",
                         "each operation has an op: add, replace or remove");
    const char *key;
    json_t *x;
    json_object_foreach(o, key, x)
    {
        if (strcmp(key, "op") != 0 && strcmp(key, "path") != 0 && strcmp(key, "value") != 0)
            return scim_fail(r, GH_EINVAL, "invalidSyntax",
                             gh_arena_printf(r->a, "unknown member %.64s of an operation", key));
    }
    json_t *pathv = json_object_get(o, "path"), *value = json_object_get(o, "value");
    if (pathv != NULL && !json_is_string(pathv))
        return scim_fail(r, GH_EINVAL, "invalidPath", "path must be a string");
    scim_path p;
    if (pathv != NULL && !parse_path(r->a, json_string_value(pathv), &p))
        return scim_fail(r, GH_EINVAL, "invalidPath", "the path is malformed");
    if (op == OP_REMOVE)
        return pathv != NULL ? patch_remove(r, e, &p)
                             : scim_fail(r, GH_EINVAL, "noTarget", "remove needs a path");
    if (value == NULL)
        return scim_fail(r, GH_EINVAL, "invalidSyntax", "add and replace need a value");
    if (pathv == NULL)
        return json_is_object(value) ? apply_object(r, e, value)
                                     : scim_fail(r, GH_EINVAL, "invalidSyntax",
                                                 "without a path the value is an "
                                                 "object of attributes");
    return patch_set(r, e, &p, value);
}

static gh_err apply_patch(gh_req *r, scim_edit *e, json_t *body)
{
    json_t *ops = json_object_get(body, "Operations");
    if (ops == NULL)
        ops = json_object_get(body, "operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return scim_fail(r, GH_EINVAL, "invalidSyntax", "Operations must be a non-empty array");
    if (json_array_size(ops) > MAX_OPERATIONS)
        return scim_fail(r, GH_EINVAL, "tooMany",
                         gh_arena_printf(r->a, "at most %d operations", MAX_OPERATIONS));
    const char *key;
    json_t *x;
    json_object_foreach(body, key, x)
    {
        if (strcmp(key, "schemas") != 0 && strcasecmp(key, "Operations") != 0)
            return scim_fail(r, GH_EINVAL, "invalidSyntax",
                             gh_arena_printf(r->a, "unknown member %.64s", key));
    }
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o)
    {
        gh_err err = patch_one(r, e, o);
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

/* ---- Users ---- */

/* The version If-Match names (0: none); GH_EPRECOND when it is not the current one. */
static gh_err check_if_match(gh_req *r, const gh_user *cur)
{
    int64_t want = 0;
    gh_err err = gh_if_match(r, &want);
    if (err == GH_OK && want != 0 && want != cur->version)
        err = gh_fail(&r->ctx, GH_EPRECOND, NULL, NULL,
                      "the user was changed since that version (ETag); read it again");
    return err;
}

static gh_err parse_count(gh_req *r, const char *name, int64_t dflt, int64_t *out)
{
    const char *s = gh_query(r, name);
    *out = dflt;
    if (s == NULL)
        return GH_OK;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || strlen(s) > 12)
        return invalid(r, gh_arena_printf(r->a, "%s must be an integer", name));
    *out = v;
    return GH_OK;
}

static gh_err users_list(gh_req *r)
{
    int64_t start = 1, count = PAGE_DEFAULT;
    const char *text = gh_query(r, "filter");
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    gh_err err = parse_count(r, "startIndex", 1, &start);
    if (err == GH_OK)
        err = parse_count(r, "count", PAGE_DEFAULT, &count);
    if (err != GH_OK)
        return err;
    if (text != NULL && !gh_scim_filter_parse(r->a, GH_SCIM_USERS, text, &f, &detail))
        return scim_fail(r, GH_EINVAL, "invalidFilter", detail);
    start = start < 1 ? 1 : start; /* RFC 7644 3.4.2.4: less than 1 is 1 */
    count = count < 0 ? 0 : count > PAGE_MAX ? PAGE_MAX : count;
    gh_user *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    err = gh_core_scim_users(&r->ctx, f, start - 1, (int)count, &items, &n, &total);
    if (err != GH_OK)
        return err;
    json_t *res = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(res, user_json(r, &items[i]));
    r->out = json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", URN_LIST, "totalResults",
                       (json_int_t)total, "startIndex", (json_int_t)start, "itemsPerPage",
                       (json_int_t)n, "Resources", res);
    return GH_OK;
}

static gh_err users_get(gh_req *r)
{
    gh_user u;
    gh_err err = gh_core_user_get(&r->ctx, r->id, &u);
    if (err == GH_OK && u.status == GH_STATUS_DELETED)
        err = gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such user");
    return err == GH_OK ? send_user(r, &u, 200) : err;
}

/* Moves the user to the active state asked for (disable or enable: the manual's actions, with
 * their rules and audit rows); nothing when it is there already. */
static gh_err set_state(gh_req *r, const gh_user *u, bool active)
{
    bool is_active = u->status != GH_STATUS_DISABLED;
    if (active == is_active)
        return GH_OK;
    return gh_core_user_act(&r->ctx, u->id, active ? GH_USER_ENABLE : GH_USER_DISABLE);
}

static gh_err users_create(gh_req *r)
{
    gh_user_create c = {.user = {.first_name = "",
                                 .last_name = "",
                                 .phone = "",
                                 .language = "en",
                                 .timezone = "UTC",
                                 .country = ""}};
    gh_core_scim_user_defaults(r->scim_client, &c.user);
    scim_edit e = {.u = &c.user};
    gh_err err = apply_object(r, &e, r->in);
    if (err == GH_OK && c.user.username == NULL)
        err = invalid(r, "userName is required");
    if (err == GH_OK && c.user.email == NULL)
        err = invalid(r, "emails: a user needs an e-mail address");
    gh_user out;
    char *generated = NULL;
    if (err == GH_OK)
        err = gh_core_user_create(&r->ctx, &c, &out, &generated);
    if (err == GH_OK && e.active_given && !e.active) {
        err = set_state(r, &out, false);
        if (err == GH_OK)
            err = gh_core_user_get(&r->ctx, out.id, &out);
    }
    return err == GH_OK ? send_user(r, &out, 201) : err;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether next changes any field a SCIM write sets. */
static bool same_ids(const gh_ids *a, const gh_ids *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] != b->v[i])
            return false;
    return true;
}

static bool edited(const gh_user *cur, const gh_user *next)
{
    return !same_ids(&cur->role_ids, &next->role_ids) || cur->access.level != next->access.level ||
           cur->access.all != next->access.all || !same_ids(&cur->access.ids, &next->access.ids) ||
           !same(cur->first_name, next->first_name) || !same(cur->last_name, next->last_name) ||
           !same(cur->email, next->email) || !same(cur->phone, next->phone) ||
           !same(cur->language, next->language) || !same(cur->timezone, next->timezone) ||
           !same(cur->external_id, next->external_id);
}

/* The edit cur → next, then the state change, in the order that never leaves a disabled user
 * edited by a client that lost it, nor an enabled one unedited. */
static gh_err write_user(gh_req *r, const gh_user *cur, gh_user *next, const scim_edit *e)
{
    gh_user out = *cur;
    gh_err err = GH_OK;
    /* a change of state needs users.disable: checked before the edit, so that a refused one
     * leaves nothing half done */
    if (e->active_given && e->active != (cur->status != GH_STATUS_DISABLED) &&
        !gh_perm_has(&r->who, GH_PERM(USERS_DISABLE)))
        return scim_fail(r, GH_EFORBIDDEN, NULL,
                         "the SCIM client's creator may not disable or enable users");
    if (e->active_given && e->active)
        err = set_state(r, cur, true);
    if (err == GH_OK && e->active_given && e->active)
        err = gh_core_user_get(&r->ctx, cur->id, &out);
    if (err == GH_OK && edited(&out, next)) {
        next->version = out.version;
        next->status = out.status;
        err = gh_core_user_update(&r->ctx, next, out.version, &out);
    }
    if (err == GH_OK && e->active_given && !e->active)
        err = set_state(r, &out, false);
    if (err == GH_OK)
        err = gh_core_user_get(&r->ctx, cur->id, &out);
    return err == GH_OK ? send_user(r, &out, 200) : err;
}

static gh_err load_live(gh_req *r, gh_user *out)
{
    gh_err err = gh_core_user_get(&r->ctx, r->id, out);
    if (err == GH_OK && out->status == GH_STATUS_DELETED)
        err = gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such user");
    return err == GH_OK ? check_if_match(r, out) : err;
}

static gh_err users_put(gh_req *r)
{
    gh_user cur, next;
    gh_err err = load_live(r, &cur);
    if (err != GH_OK)
        return err;
    /* a replace: what the body leaves out is cleared, but what an IdP may not send again
     * (locale, timezone, externalId: Okta's PUT has none) */
    next = cur;
    next.first_name = next.last_name = next.phone = "";
    next.email = NULL;
    scim_edit e = {.u = &next};
    err = apply_object(r, &e, r->in);
    if (err == GH_OK && json_object_get(r->in, "userName") == NULL)
        err = invalid(r, "userName is required");
    if (err == GH_OK && next.email == NULL)
        err = invalid(r, "emails: a user needs an e-mail address");
    return err == GH_OK ? write_user(r, &cur, &next, &e) : err;
}

static gh_err users_patch(gh_req *r)
{
    gh_user cur, next;
    gh_err err = load_live(r, &cur);
    if (err != GH_OK)
        return err;
    next = cur;
    scim_edit e = {.u = &next};
    err = apply_patch(r, &e, r->in);
    return err == GH_OK ? write_user(r, &cur, &next, &e) : err;
}

/* DELETE: the user is deleted as the manual's Delete does (a tombstone: sessions end, roles and
 * access go, the username is never re-used). */
static gh_err users_delete(gh_req *r)
{
    gh_user cur;
    gh_err err = load_live(r, &cur);
    if (err == GH_OK)
        err = gh_core_user_act(&r->ctx, cur.id, GH_USER_DELETE);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* ---- Groups: the client's provider's own groups (RFC 7643 4.2) ----
 * displayName is the group's name (unique in the provider: 409 uniqueness), members its members
 * the client sees. A member joins or leaves through an edit of that user (its group_ids), with
 * the rules and audit row of any edit: the client's creator needs users.update on each member
 * and may grant the group's roles (C3). The members given are all checked first; each change is
 * then its own transaction. The group's version (ETag) covers its name, not its members. */

#define MEMBERS_MAX 1000

/* The live users of group gid that ctx->who sees, by id, at most MEMBERS_MAX. */
static gh_err members_of(gh_req *r, int64_t gid, gh_user **items, size_t *n)
{
    gh_scim_filter f = {.node = GH_SF_CMP, .attr = GH_SA_GROUP, .op = GH_SO_EQ, .num = gid};
    int64_t total = 0;
    return gh_core_scim_users(&r->ctx, &f, 0, MEMBERS_MAX, items, n, &total);
}

/* Whether excludedAttributes names members (Entra asks so for its lookups). */
static bool members_excluded(gh_req *r)
{
    const char *x = gh_query(r, "excludedAttributes");
    while (x != NULL && *x != '\0') {
        size_t n = strcspn(x, ",");
        const char *w = x;
        while (*w == ' ' && n > 0)
            w++, n--;
        if ((n == 7 && strncasecmp(w, "members", 7) == 0) ||
            (n == strlen(URN_GROUP ":members") && strncasecmp(w, URN_GROUP ":members", n) == 0))
            return true;
        x += strcspn(x, ",");
        x += *x == ',';
    }
    return false;
}

static gh_err group_json(gh_req *r, const gh_group *g, bool members, json_t **out)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)g->id);
    json_t *j =
        json_pack("{s:[s], s:s, s:s}", "schemas", URN_GROUP, "id", id, "displayName", g->name);
    gh_user *m = NULL;
    size_t n = 0;
    gh_err err = members ? members_of(r, g->id, &m, &n) : GH_OK;
    if (err != GH_OK) {
        json_decref(j);
        return err;
    }
    if (members) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            char *uid = gh_arena_printf(r->a, "%lld", (long long)m[i].id);
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s}", "value", uid, "display", m[i].username,
                               "type", "User", "$ref",
                               location(r, gh_arena_printf(r->a, "/scim/v2/Users/%s", uid))));
        }
        json_object_set_new(j, "members", arr);
    }
    json_object_set_new(
        j, "meta",
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceType", "Group", "created",
                  time_text(r->a, g->created_at), "lastModified", time_text(r->a, g->updated_at),
                  "version", gh_arena_printf(r->a, "W/\"%lld\"", (long long)g->version), "location",
                  location(r, gh_arena_printf(r->a, "/scim/v2/Groups/%s", id))));
    *out = j;
    return GH_OK;
}

static gh_err send_group(gh_req *r, const gh_group *g, int status)
{
    gh_err err = group_json(r, g, !members_excluded(r), &r->out);
    if (err != GH_OK)
        return err;
    r->status = status;
    r->etag = gh_arena_printf(r->a, "W/\"%lld\"", (long long)g->version);
    if (status == 201)
        r->location =
            json_string_value(json_object_get(json_object_get(r->out, "meta"), "location"));
    return GH_OK;
}

/* One of the client's provider's groups; any other (global, another provider's) is 404. */
static gh_err load_group(gh_req *r, int64_t id, gh_group *out)
{
    gh_err err = gh_core_group_get(&r->ctx, id, out);
    if (err == GH_OK && out->provider_id != r->scim_client->provider_id)
        err = gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such group");
    return err;
}

static gh_err groups_list(gh_req *r)
{
    int64_t start = 1, count = PAGE_DEFAULT;
    const char *text = gh_query(r, "filter");
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    gh_err err = parse_count(r, "startIndex", 1, &start);
    if (err == GH_OK)
        err = parse_count(r, "count", PAGE_DEFAULT, &count);
    if (err != GH_OK)
        return err;
    if (text != NULL && !gh_scim_filter_parse(r->a, GH_SCIM_GROUPS, text, &f, &detail))
        return scim_fail(r, GH_EINVAL, "invalidFilter", detail);
    start = start < 1 ? 1 : start;
    count = count < 0 ? 0 : count > PAGE_MAX ? PAGE_MAX : count;
    int64_t *ids = NULL, total = 0;
    size_t n = 0;
    err = gh_core_scim_groups(&r->ctx, r->scim_client->provider_id, f, start - 1, (int)count, &ids,
                              &n, &total);
    json_t *res = json_array();
    bool members = !members_excluded(r);
    for (size_t i = 0; err == GH_OK && i < n; i++) {
        gh_group g;
        json_t *j = NULL;
        err = load_group(r, ids[i], &g);
        if (err == GH_OK)
            err = group_json(r, &g, members, &j);
        if (err == GH_OK)
            json_array_append_new(res, j);
    }
    if (err != GH_OK) {
        json_decref(res);
        return err;
    }
    r->out = json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", URN_LIST, "totalResults",
                       (json_int_t)total, "startIndex", (json_int_t)start, "itemsPerPage",
                       (json_int_t)n, "Resources", res);
    return GH_OK;
}

static gh_err groups_get(gh_req *r)
{
    gh_group g;
    gh_err err = load_group(r, r->id, &g);
    return err == GH_OK ? send_group(r, &g, 200) : err;
}

/* The members a write ends with, as a set of user ids. */
typedef struct member_set {
    int64_t *v;
    size_t n;
} member_set;

static bool set_has(const member_set *m, int64_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i] == id)
            return true;
    return false;
}

static void set_add(member_set *m, int64_t id)
{
    if (!set_has(m, id) && m->n < MEMBERS_MAX)
        m->v[m->n++] = id;
}

static void set_del(member_set *m, int64_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i] == id) {
            m->v[i] = m->v[--m->n];
            return;
        }
}

/* A member's id: {"value": "12"} (or 12). */
static gh_err member_id(gh_req *r, const json_t *o, int64_t *id)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, "value") : NULL;
    const char *s = json_string_value(v);
    char *end = NULL;
    long long x = s != NULL ? strtoll(s, &end, 10) : json_integer_value(v);
    if ((s != NULL && (*s == '\0' || *end != '\0')) || (s == NULL && !json_is_integer(v)) || x <= 0)
        return invalid(r, "members: each member is {\"value\": \"<user id>\"}");
    *id = x;
    return GH_OK;
}

/* Applies an array of members to m: added, or (remove) taken away. */
static gh_err members_apply(gh_req *r, member_set *m, const json_t *arr, bool remove)
{
    if (!json_is_array(arr))
        return invalid(r, "members must be an array");
    if (json_array_size(arr) > MEMBERS_MAX)
        return scim_fail(r, GH_EINVAL, "tooMany",
                         gh_arena_printf(r->a, "at most %d members at once", MEMBERS_MAX));
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        int64_t id = 0;
        gh_err err = member_id(r, o, &id);
        if (err != GH_OK)
            return err;
        if (remove)
            set_del(m, id);
        else
            set_add(m, id);
    }
    return GH_OK;
}

/* What a group write sets: a new name (NULL: unchanged) and the members. */
typedef struct group_edit {
    const char *name;
    member_set members;
} group_edit;

static gh_err group_attrs(gh_req *r, group_edit *e, json_t *body, bool replace_members)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        gh_err err = GH_OK;
        if (strcasecmp(key, "displayName") == 0)
            err = text_of(r, v, "displayName", GH_MAX_NAME, false, &e->name);
        else if (strcasecmp(key, "members") == 0) {
            if (replace_members)
                e->members.n = 0;
            err = members_apply(r, &e->members, v, false);
        } else if (strcmp(key, "schemas") != 0 && strcmp(key, "id") != 0 &&
                   strcmp(key, "meta") != 0 && strcmp(key, "externalId") != 0)
            err = scim_fail(r, GH_EINVAL, "invalidSyntax",
                            gh_arena_printf(r->a, "unknown attribute %.64s", key));
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

/* remove with a path members[value eq "12" or value eq "13"]: the ids it names. */
static gh_err collect_removed(gh_req *r, const gh_scim_filter *f, member_set *m)
{
    if (f->node == GH_SF_OR) {
        gh_err err = collect_removed(r, f->l, m);
        return err == GH_OK ? collect_removed(r, f->r, m) : err;
    }
    if (f->node != GH_SF_CMP || f->attr != GH_SA_MEMBER || f->op != GH_SO_EQ)
        return scim_fail(r, GH_EINVAL, "invalidPath",
                         "a members filter names members: members[value eq \"<id>\"]");
    set_del(m, f->num);
    return GH_OK;
}

static gh_err group_patch_one(gh_req *r, group_edit *e, json_t *o)
{
    patch_op op;
    if (!json_is_object(o) || !op_of(json_string_value(json_object_get(o, "op")), &op))
        return scim_fail(r, GH_EINVAL, "invalidSyntax",
                         "each operation has an op: add, replace or remove");
    const char *path = json_string_value(json_object_get(o, "path"));
    json_t *value = json_object_get(o, "value");
    if (json_object_get(o, "path") != NULL && path == NULL)
        return scim_fail(r, GH_EINVAL, "invalidPath", "path must be a string");
    if (path != NULL && strncasecmp(path, URN_GROUP ":", strlen(URN_GROUP) + 1) == 0)
        path += strlen(URN_GROUP) + 1;
    if (path == NULL) {
        if (op == OP_REMOVE || !json_is_object(value))
            return scim_fail(r, GH_EINVAL, "invalidSyntax",
                             "without a path, add or replace an object of attributes");
        return group_attrs(r, e, value, op == OP_REPLACE);
    }
    if (strcasecmp(path, "displayName") == 0) {
        if (op == OP_REMOVE)
            return scim_fail(r, GH_EINVAL, "mutability", "a group needs its displayName");
        return text_of(r, value, "displayName", GH_MAX_NAME, false, &e->name);
    }
    if (strcasecmp(path, "externalId") == 0)
        return GH_OK; /* not kept */
    if (strcasecmp(path, "members") == 0) {
        if (op == OP_REMOVE && value == NULL) { /* every member */
            e->members.n = 0;
            return GH_OK;
        }
        if (op == OP_REPLACE)
            e->members.n = 0;
        return members_apply(r, &e->members, value, op == OP_REMOVE); /* Entra's remove */
    }
    if (strncasecmp(path, "members[", 8) == 0 && op == OP_REMOVE) {
        const gh_scim_filter *f = NULL;
        const char *detail = NULL;
        if (!gh_scim_filter_parse(r->a, GH_SCIM_GROUPS, path, &f, &detail))
            return scim_fail(r, GH_EINVAL, "invalidPath", detail);
        return collect_removed(r, f, &e->members);
    }
    return scim_fail(r, GH_EINVAL, "noTarget",
                     gh_arena_printf(r->a, "no attribute %.64s of a group", path));
}

static gh_err group_patch(gh_req *r, group_edit *e, json_t *body)
{
    json_t *ops = json_object_get(body, "Operations");
    if (ops == NULL)
        ops = json_object_get(body, "operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return scim_fail(r, GH_EINVAL, "invalidSyntax", "Operations must be a non-empty array");
    if (json_array_size(ops) > MAX_OPERATIONS)
        return scim_fail(r, GH_EINVAL, "tooMany",
                         gh_arena_printf(r->a, "at most %d operations", MAX_OPERATIONS));
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o)
    {
        gh_err err = group_patch_one(r, e, o);
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

/* A member joins (in) or leaves group gid by an edit of the user u (loaded, visible). */
static gh_err member_move(gh_req *r, gh_user *u, int64_t gid, bool in)
{
    gh_ids ids = {gh_arena_alloc(r->a, (u->group_ids.n + 1) * sizeof(int64_t)), 0};
    for (size_t i = 0; i < u->group_ids.n; i++)
        if (u->group_ids.v[i] != gid)
            ids.v[ids.n++] = u->group_ids.v[i];
    if (in)
        ids.v[ids.n++] = gid;
    u->group_ids = ids;
    gh_user out;
    return gh_core_user_update(&r->ctx, u, 0, &out);
}

/* Moves the group's members from cur to want: every user named is loaded (visible, live)
 * before anything changes. */
static gh_err members_write(gh_req *r, int64_t gid, const member_set *cur, const member_set *want)
{
    size_t n = 0;
    gh_user *users = gh_arena_alloc(r->a, (cur->n + want->n + 1) * sizeof *users);
    bool *joins = gh_arena_alloc(r->a, (cur->n + want->n + 1) * sizeof *joins);
    for (int pass = 0; pass < 2; pass++) {
        const member_set *from = pass == 0 ? want : cur, *other = pass == 0 ? cur : want;
        for (size_t i = 0; i < from->n; i++) {
            if (set_has(other, from->v[i]))
                continue;
            gh_err err = gh_core_user_get(&r->ctx, from->v[i], &users[n]);
            if (err == GH_OK && users[n].status == GH_STATUS_DELETED)
                err = GH_ENOTFOUND;
            if (err == GH_ENOTFOUND)
                return invalid(
                    r, gh_arena_printf(r->a, "members: no such user %lld", (long long)from->v[i]));
            if (err != GH_OK)
                return err;
            joins[n++] = pass == 0;
        }
    }
    gh_err err = GH_OK;
    for (size_t i = 0; err == GH_OK && i < n; i++)
        err = member_move(r, &users[i], gid, joins[i]);
    return err;
}

static gh_err current_members(gh_req *r, int64_t gid, member_set *out)
{
    gh_user *m = NULL;
    size_t n = 0;
    out->v = gh_arena_alloc(r->a, MEMBERS_MAX * sizeof *out->v);
    out->n = 0;
    gh_err err = members_of(r, gid, &m, &n);
    for (size_t i = 0; err == GH_OK && i < n; i++)
        out->v[out->n++] = m[i].id;
    return err;
}

/* Renames g when e names another name, moves the members, and answers with the group. */
static gh_err group_write(gh_req *r, gh_group *g, const group_edit *e, const member_set *cur,
                          int status)
{
    gh_err err = GH_OK;
    if (e->name != NULL && strcmp(e->name, g->name) != 0) {
        gh_group next = *g, out;
        next.name = e->name;
        if ((err = gh_core_group_update(&r->ctx, &next, g->version, &out)) == GH_OK)
            *g = out;
    }
    if (err == GH_OK)
        err = members_write(r, g->id, cur, &e->members);
    if (err == GH_OK)
        err = load_group(r, g->id, g);
    return err == GH_OK ? send_group(r, g, status) : err;
}

static gh_err groups_create(gh_req *r)
{
    group_edit e = {.members = {gh_arena_alloc(r->a, MEMBERS_MAX * sizeof(int64_t)), 0}};
    member_set none = {NULL, 0};
    gh_err err = group_attrs(r, &e, r->in, false);
    if (err == GH_OK && e.name == NULL)
        err = invalid(r, "displayName is required");
    gh_group g;
    if (err == GH_OK)
        err = gh_core_group_create(&r->ctx,
                                   &(gh_group){.provider_id = r->scim_client->provider_id,
                                               .name = e.name,
                                               .description = ""},
                                   &g);
    if (err == GH_OK)
        err = members_write(r, g.id, &none, &e.members);
    if (err == GH_OK)
        err = load_group(r, g.id, &g);
    return err == GH_OK ? send_group(r, &g, 201) : err;
}

static gh_err load_group_matching(gh_req *r, gh_group *g, member_set *cur)
{
    gh_err err = load_group(r, r->id, g);
    int64_t want = 0;
    if (err == GH_OK)
        err = gh_if_match(r, &want);
    if (err == GH_OK && want != 0 && want != g->version)
        err = gh_fail(&r->ctx, GH_EPRECOND, NULL, NULL,
                      "the group was changed since that version (ETag); read it again");
    return err == GH_OK ? current_members(r, g->id, cur) : err;
}

static gh_err groups_put(gh_req *r)
{
    gh_group g;
    member_set cur;
    gh_err err = load_group_matching(r, &g, &cur);
    if (err != GH_OK)
        return err;
    group_edit e = {.members = {gh_arena_alloc(r->a, MEMBERS_MAX * sizeof(int64_t)), 0}};
    err = group_attrs(r, &e, r->in, true);
    if (err == GH_OK && e.name == NULL)
        err = invalid(r, "displayName is required");
    return err == GH_OK ? group_write(r, &g, &e, &cur, 200) : err;
}

static gh_err groups_patch(gh_req *r)
{
    gh_group g;
    member_set cur;
    gh_err err = load_group_matching(r, &g, &cur);
    if (err != GH_OK)
        return err;
    group_edit e = {.members = {gh_arena_alloc(r->a, MEMBERS_MAX * sizeof(int64_t)), cur.n}};
    memcpy(e.members.v, cur.v, cur.n * sizeof *cur.v);
    err = group_patch(r, &e, r->in);
    return err == GH_OK ? group_write(r, &g, &e, &cur, 200) : err;
}

static gh_err groups_delete(gh_req *r)
{
    gh_group g;
    member_set cur;
    gh_err err = load_group_matching(r, &g, &cur);
    if (err == GH_OK)
        err = gh_core_group_delete(&r->ctx, g.id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* ---- discovery (RFC 7644 4): what is supported, and only that ---- */

static gh_err service_provider_config(gh_req *r)
{
    r->out = json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b}, "
        "s:[{s:s, s:s, s:s, s:b}], s:{s:s, s:s}}",
        "schemas", URN_SPC, "documentationUri", "https://gatehouse.invalid/docs/scim", "patch",
        "supported", 1, "bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0, "filter",
        "supported", 1, "maxResults", PAGE_MAX, "changePassword", "supported", 0, "sort",
        "supported", 0, "etag", "supported", 1, "authenticationSchemes", "type", "oauthbearertoken",
        "name", "Bearer token", "description",
        "A SCIM client's token (POST /api/v1/scim-clients, gatehouse scim add)", "primary", 1,
        "meta", "resourceType", "ServiceProviderConfig", "location",
        location(r, "/scim/v2/ServiceProviderConfig"));
    return GH_OK;
}

static json_t *user_resource_type(gh_req *r)
{
    return json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:b}, {s:s, s:b}], s:{s:s, s:s}}",
                     "schemas", URN_RT, "id", "User", "name", "User", "endpoint", "/Users",
                     "description", "Back-office user", "schema", URN_USER, "schemaExtensions",
                     "schema", URN_ENTERPRISE, "required", 0, "schema", URN_GATEHOUSE, "required",
                     0, "meta", "resourceType", "ResourceType", "location",
                     location(r, "/scim/v2/ResourceTypes/User"));
}

static json_t *group_resource_type(gh_req *r)
{
    return json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "schemas", URN_RT, "id",
                     "Group", "name", "Group", "endpoint", "/Groups", "description",
                     "A service provider's group", "schema", URN_GROUP, "meta", "resourceType",
                     "ResourceType", "location", location(r, "/scim/v2/ResourceTypes/Group"));
}

static gh_err resource_types(gh_req *r)
{
    r->out = json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", URN_LIST, "totalResults", 2,
                       "startIndex", 1, "itemsPerPage", 2, "Resources", user_resource_type(r),
                       group_resource_type(r));
    return GH_OK;
}

static gh_err resource_type_one(gh_req *r)
{
    const char *id = r->path + strlen("/scim/v2/ResourceTypes/");
    if (strcmp(id, "User") == 0)
        r->out = user_resource_type(r);
    else if (strcmp(id, "Group") == 0)
        r->out = group_resource_type(r);
    else
        return scim_fail(r, GH_ENOTFOUND, NULL, "no such resource type");
    return GH_OK;
}

/* One attribute of a schema document. */
static json_t *attr(const char *name, const char *type, bool multi, bool required,
                    const char *mutability, const char *uniqueness, json_t *subs)
{
    json_t *a = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s}", "name", name, "type", type,
                          "multiValued", multi, "required", required, "caseExact",
                          strcmp(name, "externalId") == 0 || strcmp(name, "id") == 0, "mutability",
                          mutability, "returned", "default", "uniqueness", uniqueness);
    if (subs != NULL)
        json_object_set_new(a, "subAttributes", subs);
    return a;
}

static json_t *schema_doc(gh_req *r, const char *id, const char *name, json_t *attrs)
{
    return json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "schemas", URN_SCHEMA, "id", id,
                     "name", name, "description", name, "attributes", attrs, "meta", "resourceType",
                     "Schema", "location",
                     location(r, gh_arena_printf(r->a, "/scim/v2/Schemas/%s", id)));
}

static json_t *user_schema(gh_req *r)
{
    json_t *value_type =
        json_pack("[o, o, o]", attr("value", "string", false, false, "readWrite", "none", NULL),
                  attr("type", "string", false, false, "readWrite", "none", NULL),
                  attr("primary", "boolean", false, false, "readWrite", "none", NULL));
    json_t *phone = json_deep_copy(value_type);
    json_t *attrs = json_pack(
        "[o, o, o, o, o, o, o, o, o]",
        attr("userName", "string", false, true, "immutable", "server", NULL),
        attr("name", "complex", false, false, "readWrite", "none",
             json_pack("[o, o]",
                       attr("givenName", "string", false, false, "readWrite", "none", NULL),
                       attr("familyName", "string", false, false, "readWrite", "none", NULL))),
        attr("emails", "complex", true, true, "readWrite", "none", value_type),
        attr("phoneNumbers", "complex", true, false, "readWrite", "none", phone),
        attr("active", "boolean", false, false, "readWrite", "none", NULL),
        attr("locale", "string", false, false, "readWrite", "none", NULL),
        attr("preferredLanguage", "string", false, false, "readWrite", "none", NULL),
        attr("timezone", "string", false, false, "readWrite", "none", NULL),
        attr("externalId", "string", false, false, "readWrite", "none", NULL));
    return schema_doc(r, URN_USER, "User", attrs);
}

static json_t *gatehouse_schema(gh_req *r)
{
    json_t *attrs = json_pack(
        "[o, o, o, o]", attr("status", "string", false, false, "readOnly", "none", NULL),
        attr("providerId", "integer", false, false, "readOnly", "none", NULL),
        attr("access", "complex", false, false, "readWrite", "none",
             json_pack("[o, o]", attr("level", "string", false, false, "readWrite", "none", NULL),
                       attr("accountIds", "integer", true, false, "readWrite", "none", NULL))),
        attr("roleIds", "integer", true, false, "readWrite", "none", NULL));
    return schema_doc(r, URN_GATEHOUSE, "Gatehouse user", attrs);
}

static json_t *group_schema(gh_req *r)
{
    json_t *attrs = json_pack(
        "[o, o]", attr("displayName", "string", false, true, "readWrite", "server", NULL),
        attr("members", "complex", true, false, "readWrite", "none",
             json_pack("[o, o]", attr("value", "string", false, false, "immutable", "none", NULL),
                       attr("display", "string", false, false, "readOnly", "none", NULL))));
    return schema_doc(r, URN_GROUP, "Group", attrs);
}

static gh_err schemas(gh_req *r)
{
    r->out = json_pack("{s:[s], s:i, s:i, s:i, s:[o, o, o]}", "schemas", URN_LIST, "totalResults",
                       3, "startIndex", 1, "itemsPerPage", 3, "Resources", user_schema(r),
                       group_schema(r), gatehouse_schema(r));
    return GH_OK;
}

static gh_err schema_one(gh_req *r)
{
    const char *id = r->path + strlen("/scim/v2/Schemas/");
    if (strcmp(id, URN_USER) == 0)
        r->out = user_schema(r);
    else if (strcmp(id, URN_GATEHOUSE) == 0)
        r->out = gatehouse_schema(r);
    else if (strcmp(id, URN_GROUP) == 0)
        r->out = group_schema(r);
    else
        return scim_fail(r, GH_ENOTFOUND, NULL, "no such schema");
    return GH_OK;
}

/* ---- dispatch ---- */

typedef struct scim_route {
    const char *method, *path; /* a path ending in '/' takes one more segment */
    gh_handler handler;
    uint64_t perm;
    bool id;   /* the segment is a user id */
    bool body; /* takes a JSON body */
} scim_route;

static const scim_route routes[] = {
    {"GET", "/scim/v2/Users", users_list, GH_PERM(USERS_READ), false, false},
    {"POST", "/scim/v2/Users", users_create, GH_PERM(USERS_CREATE), false, true},
    {"GET", "/scim/v2/Users/", users_get, GH_PERM(USERS_READ), true, false},
    {"PUT", "/scim/v2/Users/", users_put, GH_PERM(USERS_UPDATE), true, true},
    {"PATCH", "/scim/v2/Users/", users_patch, GH_PERM(USERS_UPDATE), true, true},
    {"DELETE", "/scim/v2/Users/", users_delete, GH_PERM(USERS_DELETE), true, false},
    {"GET", "/scim/v2/Groups", groups_list, GH_PERM(GROUPS_READ), false, false},
    {"POST", "/scim/v2/Groups", groups_create, GH_PERM(GROUPS_CREATE), false, true},
    {"GET", "/scim/v2/Groups/", groups_get, GH_PERM(GROUPS_READ), true, false},
    {"PUT", "/scim/v2/Groups/", groups_put, GH_PERM(GROUPS_UPDATE), true, true},
    {"PATCH", "/scim/v2/Groups/", groups_patch, GH_PERM(GROUPS_UPDATE), true, true},
    {"DELETE", "/scim/v2/Groups/", groups_delete, GH_PERM(GROUPS_DELETE), true, false},
    {"GET", "/scim/v2/ServiceProviderConfig", service_provider_config, 0, false, false},
    {"GET", "/scim/v2/ResourceTypes", resource_types, 0, false, false},
    {"GET", "/scim/v2/ResourceTypes/", resource_type_one, 0, false, false},
    {"GET", "/scim/v2/Schemas", schemas, 0, false, false},
    {"GET", "/scim/v2/Schemas/", schema_one, 0, false, false},
};

/* Whether path matches route's; *id gets a user id segment (0 when it is not one). */
static bool match(const scim_route *rt, const char *path, int64_t *id)
{
    size_t n = strlen(rt->path);
    if (rt->path[n - 1] != '/')
        return strcmp(path, rt->path) == 0;
    const char *seg = path + n;
    if (strncmp(path, rt->path, n) != 0 || *seg == '\0' || strchr(seg, '/') != NULL)
        return false;
    *id = 0;
    if (rt->id && strspn(seg, "0123456789") == strlen(seg) && strlen(seg) <= 18 && *seg != '0')
        *id = strtoll(seg, NULL, 10);
    return true;
}

static gh_err authenticate(gh_req *r)
{
    const char *h = gh_http_header(r, "Authorization");
    gh_err err = GH_EUNAUTH;
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 && strlen(h + 7) <= 128)
        err = gh_scim_authenticate(r->ctx.db, r->a, h + 7, &r->scim_client_v, &r->who);
    if (err == GH_EUNAUTH)
        return scim_fail(r, GH_EUNAUTH, NULL,
                         h != NULL ? "the SCIM token is not valid"
                                   : "send a SCIM client's bearer token");
    r->scim_client = &r->scim_client_v;
    r->ctx.who = &r->who;
    return err;
}

static gh_err run(gh_req *r, const scim_route *rt)
{
    gh_err err = authenticate(r);
    if (err == GH_OK && !gh_perm_has(&r->who, rt->perm))
        err = scim_fail(r, GH_EFORBIDDEN, NULL,
                        "the SCIM client's creator does not hold the permission this needs");
    if (err == GH_OK && rt->body)
        err = gh_json_parse_body(r, &r->in);
    else if (err == GH_OK && (r->body_len > 0 || r->body_too_large))
        err = scim_fail(r, GH_EINVAL, "invalidSyntax", "this endpoint takes no request body");
    if (err == GH_OK && rt->id && r->id == 0)
        err = scim_fail(r, GH_ENOTFOUND, NULL, "no such resource");
    return err == GH_OK ? rt->handler(r) : err;
}

gh_err gh_scim_dispatch(gh_req *r)
{
    r->scim = true;
    r->content_type = MEDIA;
    gh_err err = gh_query_limits(r);
    if (err != GH_OK)
        return err;
    const scim_route *rt = NULL;
    bool path_known = false;
    int64_t id = 0;
    for (size_t i = 0; i < sizeof routes / sizeof *routes && rt == NULL; i++) {
        if (!match(&routes[i], r->path, &id))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, r->method) == 0)
            rt = &routes[i];
    }
    if (rt == NULL)
        return scim_fail(r, path_known ? GH_EMETHOD : GH_ENOTFOUND, NULL,
                         path_known ? "method not allowed here" : "no such resource");
    r->id = id;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    bool read_only = strcmp(r->method, "GET") == 0;
    if (read_only && (err = gh_db_begin_read(r->ctx.db)) != GH_OK)
        return err;
    err = run(r, rt);
    if (read_only && err != GH_OK)
        gh_db_rollback(r->ctx.db);
    else if (read_only)
        err = gh_db_commit(r->ctx.db);
    if (err == GH_EFORBIDDEN && r->ctx.who != NULL) /* L1: denied authorizations */
        gh_core_audit_denied(&r->ctx,
                             gh_arena_printf(r->a, "%s %s%s", rt->method, rt->path,
                                             rt->path[strlen(rt->path) - 1] == '/' ? "{id}" : ""));
    return err;
}
