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
    {"challenge", "passkey: answers no unused, unexpired challenge of this session's"},
    {"malformed", "passkey: the credential does not parse (base64url, CBOR, clientDataJSON)"},
    {"wrong_origin", "passkey: signed for another origin than the external URL's"},
    {"cross_origin", "passkey: made in a cross-origin frame"},
    {"wrong_rp_id", "passkey: for another relying party than the external URL's host"},
    {"attestation_format", "passkey: an attestation format other than none"},
    {"algorithm", "passkey: a key algorithm other than ES256, RS256 or EdDSA"},
    {"user_not_present", "passkey: the authenticator saw no user presence"},
    {"user_not_verified", "passkey: user verification was required and not done"},
    {"bad_signature", "passkey: the assertion's signature does not verify"},
    {"counter_went_back", "passkey: the signature counter did not move forward (a clone)"},
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

/* ---- response schemas (gh_schemas, schemas.c) ---- */

static json_t *spec_type(const char *t, size_t len);

static json_t *named_type(const char *t, size_t len)
{
    static const char *const names[][2] = {
        {"str", "{\"type\":\"string\"}"},
        {"int", "{\"type\":\"integer\"}"},
        {"bool", "{\"type\":\"boolean\"}"},
        {"time", "{\"type\":\"string\",\"format\":\"date-time\"}"},
        {"object", "{\"type\":\"object\"}"},
        {"any", "{}"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i][0]) == len && memcmp(names[i][0], t, len) == 0)
            return json_loads(names[i][1], 0, NULL);
    if (len > 0 && isupper((unsigned char)t[0]))
        return json_pack("{s:s+#}", "$ref", "#/components/schemas/", t, (int)len);
    if (len >= 2 && t[0] == '[' && t[len - 1] == ']')
        return json_pack("{s:s, s:o}", "type", "array", "items", spec_type(t + 1, len - 2));
    return NULL; /* a word: one of an enumeration's strings */
}

/* "a|b|c" (words: one of those strings; empty ones skipped, so "a|" is the one string a) or
 * "[int]|all" (either) */
static json_t *plain_type(const char *t, size_t len)
{
    json_t *known = named_type(t, len);
    if (known != NULL)
        return known;
    if (memchr(t, '|', len) == NULL) /* a typo: tests/unit/http_test.c names it */
        return json_pack("{s:s#}", "x-unknown-type", t, (int)len);
    json_t *words = json_array(), *types = json_array();
    for (size_t i = 0; i <= len;) {
        size_t n = 0;
        for (int depth = 0; i + n < len && (t[i + n] != '|' || depth > 0); n++)
            depth += t[i + n] == '[' ? 1 : t[i + n] == ']' ? -1 : 0;
        if (n > 0) {
            json_t *ty = named_type(t + i, n);
            json_array_append_new(ty != NULL ? types : words,
                                  ty != NULL ? ty : json_stringn(t + i, n));
        }
        i += n + 1;
    }
    if (json_array_size(words) > 0)
        json_array_append_new(types, json_pack("{s:s, s:o}", "type", "string", "enum", words));
    else
        json_decref(words);
    if (json_array_size(types) == 1) {
        json_t *one = json_incref(json_array_get(types, 0));
        json_decref(types);
        return one;
    }
    return json_pack("{s:o}", "anyOf", types);
}

/* t? also allows null */
static json_t *nullable(json_t *s)
{
    json_t *type = json_object_get(s, "type");
    if (json_is_string(type)) {
        json_object_set_new(s, "type", json_pack("[O, s]", type, "null"));
        if (json_object_get(s, "enum") != NULL)
            json_array_append_new(json_object_get(s, "enum"), json_null());
        return s;
    }
    return json_pack("{s:[o, {s:s}]}", "anyOf", s, "type", "null");
}

static json_t *spec_type(const char *t, size_t len)
{
    if (len > 0 && t[len - 1] == '?')
        return nullable(spec_type(t, len - 1));
    return plain_type(t, len);
}

/* "name:type ..." to a closed object schema; "=type" to that type */
static json_t *spec_schema(const gh_schema *sc)
{
    if (sc->spec[0] == '=')
        return spec_type(sc->spec + 1, strlen(sc->spec + 1));
    json_t *props = json_object(), *req = json_array();
    for (const char *p = sc->spec; *p;) {
        size_t n = strcspn(p, " ");
        const char *colon = memchr(p, ':', n);
        if (colon != NULL) {
            bool optional = p[0] == '~';
            const char *name = p + optional;
            char *key = strndup(name, (size_t)(colon - name));
            json_object_set_new(props, key, spec_type(colon + 1, (size_t)(p + n - colon - 1)));
            if (!optional)
                json_array_append_new(req, json_string(key));
            free(key);
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required", req,
                     "additionalProperties", 0);
}

static json_t *schemas(void)
{
    json_t *all = json_pack("{s:o}", "Problem", problem_schema());
    for (const gh_schema *sc = gh_schemas; sc->name != NULL; sc++) {
        json_t *s = spec_schema(sc);
        if (sc->desc != NULL)
            json_object_set_new(s, "description", json_string(sc->desc));
        json_object_set_new(all, sc->name, s);
    }
    return all;
}

/* ---- operations ---- */

/* Creating POSTs answer 201, DELETEs 204, everything else 200. */
static int success_code(const gh_route *r)
{
    if (r->success != 0)
        return r->success;
    if (strcmp(r->method, "DELETE") == 0)
        return 204;
    bool action = strchr(r->pattern, '{') != NULL || strstr(r->pattern, "/bulk") != NULL;
    return strcmp(r->method, "POST") == 0 && !action ? 201 : 200;
}

static json_t *success_response(const gh_route *r)
{
    json_t *res = json_pack("{s:s}", "description", "success");
    if (success_code(r) == 204)
        return res;
    if (r->produces != NULL)
        json_object_set_new(res, "content",
                            json_pack("{s:{s:{s:s}}}", r->produces, "schema", "type", "string"));
    else if (r->response != NULL)
        json_object_set_new(res, "content",
                            json_pack("{s:{s:{s:s+}}}", "application/json", "schema", "$ref",
                                      "#/components/schemas/", r->response));
    return res;
}

/* The error statuses a route can answer, each a Problem; `default` for the rest (405, 413,
 * 415, 429, 5xx). */
static json_t *responses(const gh_route *r)
{
    json_t *problem = json_pack("{s:{s:{s:s}}}", "application/problem+json", "schema", "$ref",
                                "#/components/schemas/Problem");
    bool guarded = r->auth != GH_AUTH_PUBLIC || strcmp(r->tag, "forward-auth") == 0;
    struct {
        const char *status, *why;
        bool applies;
    } errors[] = {
        {"400", "invalid request: a body, query parameter or header", true},
        {"401", "not signed in", guarded},
        {"403", "not allowed: permission, scope or sign-in stage (forward-auth: the application)",
         guarded},
        {"404", "no such object (or not one the caller may see)", strchr(r->pattern, '{') != NULL},
        {"409", "conflicts with the current state (taken, in use)", strcmp(r->method, "GET") != 0},
        {"412", "If-Match does not match the current version", strcmp(r->method, "PATCH") == 0},
        {"default", "another error (405, 413, 415, 429, 5xx)", true},
    };
    json_t *out = json_object();
    char code[8];
    int success = success_code(r);
    snprintf(code, sizeof code, "%d", success);
    json_object_set_new(out, code, success_response(r));
    if (success == 204 && r->response != NULL) /* sometimes a body after all (a sign-out) */
        json_object_set_new(out, "200",
                            json_pack("{s:s, s:{s:{s:{s:s+}}}}", "description",
                                      "success, with something to do", "content",
                                      "application/json", "schema", "$ref", "#/components/schemas/",
                                      r->response));
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        if (errors[i].applies)
            json_object_set_new(
                out, errors[i].status,
                json_pack("{s:s, s:O}", "description", errors[i].why, "content", problem));
    json_decref(problem);
    return out;
}

static json_t *query_schema(const gh_qparam *q)
{
    switch (q->type) {
    case GH_Q_ID:
        return json_pack("{s:s, s:i}", "type", "integer", "minimum", 1);
    case GH_Q_ID_OR:
        return json_pack("{s:[{s:s, s:i}, {s:s}]}", "oneOf", "type", "integer", "minimum", 1,
                         "const", q->values);
    case GH_Q_COUNT:
        return json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", q->max);
    case GH_Q_TEXT:
    case GH_Q_CURSOR:
        return json_pack("{s:s, s:i}", "type", "string", "maxLength", q->max);
    case GH_Q_ENUM: {
        json_t *values = json_array();
        for (const char *p = q->values; *p;) {
            size_t n = strcspn(p, " ");
            json_array_append_new(values, json_stringn(p, n));
            p += n + (p[n] == ' ');
        }
        return json_pack("{s:s, s:o}", "type", "string", "enum", values);
    }
    case GH_Q_TIME:
        return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
    }
    return json_object();
}

static json_t *parameters(const gh_route *r)
{
    json_t *params = json_array();
    static const char *const names[] = {"id", "sid", "tid"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char brace[8];
        snprintf(brace, sizeof brace, "{%s}", names[i]);
        if (strstr(r->pattern, brace) != NULL)
            json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name",
                                                    names[i], "in", "path", "required", 1, "schema",
                                                    "type", "integer", "minimum", 1));
    }
    if (strstr(r->pattern, "{token}") != NULL)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name", "token",
                                                "in", "path", "required", 1, "schema", "type",
                                                "string", "maxLength", GH_MAX_LINK_TOKEN));
    if (strstr(r->pattern, "{name}") != NULL) /* an SSO source's name */
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "name", "name",
                                                "in", "path", "required", 1, "schema", "type",
                                                "string", "pattern", "^[a-z0-9][a-z0-9-]{0,62}$"));
    for (const gh_qparam *q = r->query; q != NULL && q->name != NULL; q++)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", q->name, "in",
                                                "query", "required", 0, "description", q->desc,
                                                "schema", query_schema(q)));
    return params;
}

/* An example's JSON, written with ' for "; a text body stays text. NULL stays absent. */
static json_t *example_json(const char *text, bool is_text)
{
    if (text == NULL)
        return NULL;
    if (is_text)
        return json_string(text);
    char *copy = strdup(text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = json_loads(copy, JSON_REJECT_DUPLICATES, NULL);
    free(copy);
    /* unreadable: kept as text, which the unit test and the replay refuse */
    return j != NULL ? j : json_pack("{s:s}", "x-unreadable", text);
}

/* Adds value to the OpenAPI examples map of obj as step<N>. */
static void add_example(json_t *obj, int step, json_t *value)
{
    if (json_object_get(obj, "examples") == NULL)
        json_object_set_new(obj, "examples", json_object());
    char name[16];
    snprintf(name, sizeof name, "step%d", step);
    json_object_set_new(json_object_get(obj, "examples"), name, json_pack("{s:O}", "value", value));
}

/* The step's body as an example of the request body, its params and query as examples of the
 * parameters they give. */
static void native_examples(const gh_route *r, json_t *op, int step, json_t *const parts[3])
{
    json_t *body = json_object_get(op, "requestBody");
    json_t *content = body != NULL ? json_object_get(body, "content") : NULL;
    json_t *mt = content != NULL
                     ? json_object_get(content, r->consumes ? r->consumes : "application/json")
                     : NULL;
    if (mt != NULL && parts[2] != NULL)
        add_example(mt, step, parts[2]);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        bool in_path = strcmp(json_string_value(json_object_get(p, "in")), "path") == 0;
        json_t *given =
            json_object_get(parts[in_path ? 0 : 1], json_string_value(json_object_get(p, "name")));
        if (given != NULL)
            add_example(p, step, given);
    }
}

/* x-examples of the operation: its steps of gh_examples, in replay order. */
static json_t *examples_of(const gh_route *r, json_t *op)
{
    static const char *const keys[] = {"params", "query", "body"};
    json_t *list = json_array();
    int step = 0;
    for (const gh_example *e = gh_examples; e->method != NULL; e++) {
        step++;
        if (strcmp(e->method, r->method) != 0 || strcmp(e->pattern, r->pattern) != 0)
            continue;
        json_t *x = json_pack("{s:i, s:s, s:i}", "step", step, "as", e->as, "status", e->status);
        json_t *parts[3] = {example_json(e->params, false), example_json(e->query, false),
                            example_json(e->body, r->consumes != NULL)};
        native_examples(r, op, step, parts);
        for (size_t i = 0; i < 3; i++)
            if (parts[i] != NULL)
                json_object_set_new(x, keys[i], parts[i]);
        if (e->save != NULL)
            json_object_set_new(x, "save", json_string(e->save));
        if (e->desc != NULL)
            json_object_set_new(x, "summary", json_string(e->desc));
        json_array_append_new(list, x);
    }
    return list;
}

static json_t *operation(const gh_route *r)
{
    json_t *op = json_pack("{s:s, s:[s]}", "summary", r->summary, "tags", r->tag);
    json_object_set_new(op, "responses", responses(r));
    if (r->consumes != NULL)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content",
                                      r->consumes, "schema", "type", "string"));
    if (r->body != NULL)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", !r->body_optional,
                                      "content", "application/json", "schema",
                                      object_schema(r->body)));
    json_t *params = parameters(r);
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (r->query_open)
        json_object_set_new(op, "x-query-open", json_true());
    json_object_set_new(op, "x-examples", examples_of(r, op));
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

#define DESCRIPTION                                                                                \
    "Back-office user administration. Errors are application/problem+json (Problem). Each "        \
    "operation lists the query parameters it takes and no other: any other one is refused "        \
    "with 400 and the code <name>.unknown (but on x-query-open operations, which ignore them). "   \
    "Examples: each operation's x-examples are steps of one sequence that runs in step order "     \
    "against a fresh server whose administrator is $admin (username and password) with a bearer "  \
    "token; a step has as (token: that bearer token; session: the cookie the last sign-in set; "   \
    "none), params (path), query, body, the status it gets, and save (a name under which its "     \
    "answer is kept). A string \"$name.a.b\" stands for member a.b of the answer saved as name "   \
    "(\"$totp:name.a\": the current TOTP code of that base32 secret; \"$tail:name.a\": the last "  \
    "segment of that URL). The request bodies and parameters show the same values as their "       \
    "examples step<N>."

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
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}, s:o}, "
                     "s:[{s:[]}, {s:[]}]}",
                     "openapi", "3.1.0", "info", "title", "Gatehouse", "version", "0.1.0",
                     "description", DESCRIPTION, "paths", paths, "components", "securitySchemes",
                     "bearer", "type", "http", "scheme", "bearer", "session", "type", "apiKey",
                     "in", "cookie", "name", "gh_session", "schemas", schemas(), "security",
                     "bearer", "session");
}
