/* The OpenAPI 3.1 document, generated from the route table so that it cannot drift from what
 * the server does. */
#include <ctype.h>
#include <string.h>

#include "model/model.h"
#include "http/internal.h"
#include "http/limits.h"

static json_t *field_schema(const gh_field *f);

static json_t *object_schema(const gh_field *fields)
{
    json_t *props = json_object(), *req = json_array();
    for (const gh_field *f = fields; f->name != NULL; f++) {
        json_object_set_new(props, f->name, field_schema(f));
        if (f->required)
            json_array_append_new(req, json_string(f->name));
    }
    return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required", req,
                     "additionalProperties", 0);
}

static json_t *field_schema(const gh_field *f)
{
    json_t *ids = json_pack("{s:s, s:{s:s, s:i}, s:i, s:b}", "type", "array", "items", "type",
                            "integer", "minimum", 1, "maxItems", f->max, "uniqueItems", 1);
    json_t *s = NULL;
    switch (f->type) {
    case GH_T_STRING:
        s = json_pack("{s:s, s:i}", "type", "string", "maxLength", f->max);
        break;
    case GH_T_STRING_NULL:
        s = json_pack("{s:[s,s], s:i}", "type", "string", "null", "maxLength", f->max);
        break;
    case GH_T_BOOL:
        s = json_pack("{s:s}", "type", "boolean");
        break;
    case GH_T_ID_NULL:
        s = json_pack("{s:[s,s], s:i}", "type", "integer", "null", "minimum", 1);
        break;
    case GH_T_COUNT:
        s = json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", f->max);
        break;
    case GH_T_NUMBER:
        s = json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "maximum", f->max);
        break;
    case GH_T_IDS:
        s = json_incref(ids);
        break;
    case GH_T_IDS_OR_ALL:
        s = json_pack("{s:[O, {s:s}]}", "oneOf", ids, "const", "all");
        break;
    case GH_T_STRINGS:
        s = json_pack("{s:s, s:{s:s}, s:i}", "type", "array", "items", "type", "string", "maxItems",
                      f->max);
        break;
    case GH_T_OBJECT:
        s = object_schema(f->sub);
        break;
    }
    json_decref(ids);
    if (f->desc != NULL)
        json_object_set_new(s, "description", json_string(f->desc));
    return s;
}

/* The reasons of errors[].code ("<field>.<reason>", core/core.h gh_fail), with what each means;
 * README.md lists them too. The password policy's (auth/policy.h) come last. */
static const char *const reasons[][2] = {
    {"required", "missing or empty"},
    {"invalid", "not a valid value of its kind (format, choice of values)"},
    {"wrong_type", "not of the JSON type the field takes"},
    {"too_long", "longer than the field allows"},
    {"too_many", "more items than the field allows"},
    {"out_of_range", "a number outside the field's range"},
    {"duplicate", "a list names an item twice"},
    {"nul_character", "holds a NUL character"},
    {"control_character", "holds control characters or line breaks"},
    {"unknown", "a field, query parameter or permission the route does not know"},
    {"not_found", "names nothing that exists (or that the caller may see)"},
    {"wrong_kind", "names something of another kind than the field needs"},
    {"taken", "already used by another record"},
    {"immutable", "cannot change once set"},
    {"not_allowed", "not allowed together with the request's other values"},
    {"exclusive", "send only one of this field and another"},
    {"forbidden", "the caller may not set or use this value"},
    {"not_held", "grants a permission the caller does not hold"},
    {"self", "not on the caller's own account"},
    {"mismatch", "does not fit the rest of the request (a cursor of another sort order)"},
    {"wrong", "a current password or code that does not match"},
    {"used", "a one-time code or link that was used already"},
    {"replaced", "a link replaced by a newer one"},
    {"expired", "a link past its time"},
    {"not_active", "the user is not active"},
    {"not_invited", "only for invited users"},
    {"sso_only", "the user signs in through single sign-on only"},
    {"same", "the new password is the current one"},
    {"too_short", "password: shorter than the policy's minimum"},
    {"not_utf8", "password: not valid UTF-8"},
    {"contains_username", "password: holds the username"},
    {"contains_first_name", "password: holds the first name"},
    {"contains_last_name", "password: holds the last name"},
    {"contains_email", "password: holds the e-mail address's local part"},
    {"contains_word", "password: holds the service's or the organisation's name"},
    {"based_on_name", "password: built on the user's name"},
    {"too_few_distinct", "password: too few different characters"},
    {"sequence", "password: too short without its sequences and repeats"},
    {"too_simple", "password: too regular a pattern"},
    {"dictionary", "password: based on a dictionary word"},
    {"weak", "password: too easy to guess"},
};

/* components.schemas.Problem: the body of every error answer. */
static json_t *problem_schema(void)
{
    json_t *names = json_array(), *meanings = json_object();
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        json_array_append_new(names, json_string(reasons[i][0]));
        json_object_set_new(meanings, reasons[i][0], json_string(reasons[i][1]));
    }
    json_t *item = json_pack(
        "{s:s, s:[sss], s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s}}}", "type", "object",
        "required", "field", "code", "message", "properties", "field", "type", "string",
        "description",
        "the field, query parameter or header, a path for nested fields (access.level)", "code",
        "type", "string", "pattern", "^[a-z0-9_]+(\\.[a-z0-9_]+)+$", "description",
        "<field>.<reason>, stable for clients to translate: the field in lower case with other "
        "characters than [a-z0-9_.] as '_', then one of x-reasons (email.invalid, "
        "password.too_short, username.taken, if_match.invalid)",
        "message", "type", "string", "description", "the same in English");
    json_object_set_new(json_object_get(json_object_get(item, "properties"), "code"), "x-reasons",
                        names);
    json_object_set_new(json_object_get(json_object_get(item, "properties"), "code"),
                        "x-reason-meanings", meanings);
    return json_pack("{s:s, s:[sssss], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
                     "s:{s:s, s:s, s:o}}}",
                     "type", "object", "required", "type", "title", "status", "detail",
                     "request_id", "properties", "type", "type", "string", "title", "type",
                     "string", "status", "type", "integer", "detail", "type", "string",
                     "request_id", "type", "string", "errors", "type", "array", "description",
                     "the field errors: one when the problem is about one field, none otherwise",
                     "items", item);
}

/* Creating POSTs answer 201, DELETEs 204, everything else 200. */
static const char *success_status(const gh_route *r)
{
    static char explicit[8];
    if (r->success != 0) { /* the table is constant, so one buffer serves */
        snprintf(explicit, sizeof explicit, "%d", r->success);
        return explicit;
    }
    if (strcmp(r->method, "DELETE") == 0)
        return "204";
    bool action = strchr(r->pattern, '{') != NULL || strstr(r->pattern, "/bulk") != NULL;
    return strcmp(r->method, "POST") == 0 && !action ? "201" : "200";
}

static json_t *operation(const gh_route *r)
{
    json_t *op = json_pack("{s:s, s:[s]}", "summary", r->summary, "tags", r->tag);
    json_t *responses = json_pack(
        "{s:{s:s, s:{s:{s:{s:s}}}}}", "default", "description", "application/problem+json error",
        "content", "application/problem+json", "schema", "$ref", "#/components/schemas/Problem");
    json_object_set_new(responses, success_status(r),
                        r->produces == NULL
                            ? json_pack("{s:s}", "description", "success")
                            : json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "success",
                                        "content", r->produces, "schema", "type", "string"));
    json_object_set_new(op, "responses", responses);
    if (r->consumes != NULL)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content",
                                      r->consumes, "schema", "type", "string"));
    if (r->body != NULL)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", !r->body_optional,
                                      "content", "application/json", "schema",
                                      object_schema(r->body)));
    json_t *params = json_array();
    static const char *const names[] = {"id", "sid", "tid"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char brace[8];
        snprintf(brace, sizeof brace, "{%s}", names[i]);
        if (strstr(r->pattern, brace) != NULL)
            json_array_append_new(params,
                                  json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", names[i], "in",
                                            "path", "required", 1, "schema", "type", "integer"));
    }
    if (strstr(r->pattern, "{token}") != NULL)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name", "token",
                                                "in", "path", "required", 1, "schema", "type",
                                                "string", "maxLength", GH_MAX_LINK_TOKEN));
    if (strstr(r->pattern, "{name}") != NULL) /* an SSO source's name */
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "name", "name",
                                                "in", "path", "required", 1, "schema", "type",
                                                "string", "pattern", "^[a-z0-9][a-z0-9-]{0,62}$"));
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (r->auth == GH_AUTH_PUBLIC) {
        json_object_set_new(op, "security", json_array());
    } else if (r->auth == GH_AUTH_STAGE) {
        /* a signed-in session's own routes: the cookie only, in the listed sign-in stages */
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "session"));
        /* in the order the document has always listed them */
        static const gh_signin_stage order[] = {GH_STAGE_TOTP, GH_STAGE_WEBAUTHN,
                                                GH_STAGE_ENROLL_TOTP, GH_STAGE_CHANGE_PASSWORD,
                                                GH_STAGE_DONE};
        json_t *stages = json_array();
        for (size_t i = 0; i < sizeof order / sizeof *order; i++)
            if (r->stages & GH_STAGE_BIT(order[i]))
                json_array_append_new(stages, json_string(gh_signin_stage_name(order[i])));
        json_object_set_new(op, "x-session-stages", stages);
    } else {
        json_t *perms = json_array();
        for (int i = 0; i < GH_PERM_COUNT; i++)
            if (r->perm & ((uint64_t)1 << i))
                json_array_append_new(perms, json_string(gh_perm_name(i)));
        json_object_set_new(op, "x-permissions", perms);
    }
    return op;
}

json_t *gh_openapi(void)
{
    json_t *paths = json_object();
    for (const gh_route *r = gh_routes; r->method != NULL; r++) {
        if (strcmp(r->tag, "console") == 0)
            continue; /* the web console's pages and files are not part of the API */
        json_t *item = json_object_get(paths, r->pattern);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char method[8];
        size_t i = 0;
        for (; r->method[i] && i < sizeof method - 1; i++)
            method[i] = (char)tolower((unsigned char)r->method[i]);
        method[i] = '\0';
        json_object_set_new(item, method, operation(r));
    }
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}, s:{s:o}}, "
        "s:[{s:[]}, {s:[]}]}",
        "openapi", "3.1.0", "info", "title", "Gatehouse", "version", "0.1.0", "description",
        "Back-office user administration. Errors are application/problem+json.", "paths", paths,
        "components", "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "session",
        "type", "apiKey", "in", "cookie", "name", "gh_session", "schemas", "Problem",
        problem_schema(), "security", "bearer", "session");
}
