/* SCIM 2.0 (RFC 7643, 7644) under /scim/v2 (issue 15): Users and the discovery documents, for
 * Okta's and Microsoft Entra's provisioning clients, both dialects (Entra's PascalCase ops,
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
 * (I2). Gatehouse's own fields (status, provider, access, roles) are shown, read-only, in its
 * extension. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"

#define URN_USER        "urn:ietf:params:scim:schemas:core:2.0:User"
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

static gh_err send_user(gh_req *r, const gh_user *u, int status)
{
    r->out = user_json(r, u);
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
    {URN_GATEHOUSE, set_ignored}, /* read-only */
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
} scim_path;

static bool parse_path(gh_arena *a, const char *path, scim_path *out)
{
    memset(out, 0, sizeof *out);
    if (strncasecmp(path, URN_ENTERPRISE, strlen(URN_ENTERPRISE)) == 0) {
        out->enterprise = true;
        out->attr = URN_ENTERPRISE;
        return path[strlen(URN_ENTERPRISE)] == '\0' || path[strlen(URN_ENTERPRISE)] == ':';
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
    if (strcasecmp(a, "externalId") == 0)
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
    if (text != NULL && !gh_scim_filter_parse(r->a, text, &f, &detail))
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
static bool edited(const gh_user *cur, const gh_user *next)
{
    return !same(cur->first_name, next->first_name) || !same(cur->last_name, next->last_name) ||
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

static gh_err resource_types(gh_req *r)
{
    r->out = json_pack("{s:[s], s:i, s:i, s:i, s:[o]}", "schemas", URN_LIST, "totalResults", 1,
                       "startIndex", 1, "itemsPerPage", 1, "Resources", user_resource_type(r));
    return GH_OK;
}

static gh_err resource_type_user(gh_req *r)
{
    r->out = user_resource_type(r);
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
        attr("access", "complex", false, false, "readOnly", "none",
             json_pack("[o, o]", attr("level", "string", false, false, "readOnly", "none", NULL),
                       attr("accountIds", "integer", true, false, "readOnly", "none", NULL))),
        attr("roleIds", "integer", true, false, "readOnly", "none", NULL));
    return schema_doc(r, URN_GATEHOUSE, "Gatehouse user", attrs);
}

static gh_err schemas(gh_req *r)
{
    r->out = json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", URN_LIST, "totalResults", 2,
                       "startIndex", 1, "itemsPerPage", 2, "Resources", user_schema(r),
                       gatehouse_schema(r));
    return GH_OK;
}

static gh_err schema_one(gh_req *r)
{
    const char *id = r->path + strlen("/scim/v2/Schemas/");
    if (strcmp(id, URN_USER) == 0)
        r->out = user_schema(r);
    else if (strcmp(id, URN_GATEHOUSE) == 0)
        r->out = gatehouse_schema(r);
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
    {"GET", "/scim/v2/ServiceProviderConfig", service_provider_config, 0, false, false},
    {"GET", "/scim/v2/ResourceTypes", resource_types, 0, false, false},
    {"GET", "/scim/v2/ResourceTypes/User", resource_type_user, 0, false, false},
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
        err = scim_fail(r, GH_ENOTFOUND, NULL, "no such user");
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
    return err;
}
