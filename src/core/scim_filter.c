/* The SCIM filter language (RFC 7644 3.4.2.2) as a recursive-descent parser into the tree of
 * store.h (gh_scim_filter): precedence not > and > or, parentheses, a value path
 * emails[...], attribute names and operators case-insensitively, the core schema's URN as an
 * optional prefix. Only the attributes Gatehouse maps are known; anything else is refused with
 * a sentence for the SCIM error invalidFilter, so that a client never gets a silently wrong
 * list. The tree holds values only: store/ binds them as parameters. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"

#define CORE_URN  "urn:ietf:params:scim:schemas:core:2.0:User:"
#define GROUP_URN "urn:ietf:params:scim:schemas:core:2.0:Group:"
#define MAX_DEPTH 32

typedef struct parser {
    gh_arena *a;
    gh_scim_resource res;
    const char *p;
    const char *detail;
    int cmps, depth;
    bool in_emails;  /* inside emails[...]: value, type and primary are the e-mail's */
    bool in_members; /* inside members[...]: value is the member's id */
} parser;

typedef enum { K_TEXT, K_BOOL, K_TIME, K_ID, K_CONST } value_kind;

static const struct {
    gh_scim_resource res;
    const char *name;
    gh_scim_attr attr;
    value_kind kind;
} attrs[] = {
    {GH_SCIM_USERS, "id", GH_SA_ID, K_ID},
    {GH_SCIM_USERS, "userName", GH_SA_USERNAME, K_TEXT},
    {GH_SCIM_USERS, "externalId", GH_SA_EXTERNAL_ID, K_TEXT},
    {GH_SCIM_USERS, "emails", GH_SA_EMAIL, K_TEXT},
    {GH_SCIM_USERS, "emails.value", GH_SA_EMAIL, K_TEXT},
    {GH_SCIM_USERS, "name.givenName", GH_SA_GIVEN_NAME, K_TEXT},
    {GH_SCIM_USERS, "name.familyName", GH_SA_FAMILY_NAME, K_TEXT},
    {GH_SCIM_USERS, "active", GH_SA_ACTIVE, K_BOOL},
    {GH_SCIM_USERS, "meta.created", GH_SA_CREATED, K_TIME},
    {GH_SCIM_USERS, "meta.lastModified", GH_SA_LAST_MODIFIED, K_TIME},
    {GH_SCIM_USERS, "groups", GH_SA_GROUP, K_ID},
    {GH_SCIM_USERS, "groups.value", GH_SA_GROUP, K_ID},
    {GH_SCIM_GROUPS, "id", GH_SA_GROUP_ID, K_ID},
    {GH_SCIM_GROUPS, "displayName", GH_SA_DISPLAY_NAME, K_TEXT},
    {GH_SCIM_GROUPS, "members", GH_SA_MEMBER, K_ID},
    {GH_SCIM_GROUPS, "members.value", GH_SA_MEMBER, K_ID},
};

static const char *const ops[] = {
    [GH_SO_EQ] = "eq", [GH_SO_NE] = "ne", [GH_SO_CO] = "co", [GH_SO_SW] = "sw", [GH_SO_EW] = "ew",
    [GH_SO_PR] = "pr", [GH_SO_GT] = "gt", [GH_SO_GE] = "ge", [GH_SO_LT] = "lt", [GH_SO_LE] = "le",
};

static bool fail(parser *ps, const char *detail)
{
    if (ps->detail == NULL)
        ps->detail = detail;
    return false;
}

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '$';
}

/* The word at p (letters of an attribute path or keyword) into a; "" when none. */
static char *word(parser *ps)
{
    const char *s = ps->p;
    while (name_char(*ps->p))
        ps->p++;
    size_t n = (size_t)(ps->p - s);
    char *w = gh_arena_alloc(ps->a, n + 1);
    memcpy(w, s, n);
    w[n] = '\0';
    return w;
}

/* Whether the keyword kw (and, or, not) follows as a whole word; consumes it then. */
static bool keyword(parser *ps, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(ps->p, kw, n) != 0 || name_char(ps->p[n]))
        return false;
    ps->p += n;
    return true;
}

static gh_scim_filter *node(parser *ps, gh_scim_node kind)
{
    gh_scim_filter *f = gh_arena_alloc(ps->a, sizeof *f);
    memset(f, 0, sizeof *f);
    f->node = kind;
    return f;
}

static void put_utf8(char **o, uint32_t c)
{
    unsigned char *u = (unsigned char *)*o;
    int n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n == 1)
        u[0] = (unsigned char)c;
    else if (n == 2)
        u[0] = (unsigned char)(0xC0 | (c >> 6));
    else if (n == 3)
        u[0] = (unsigned char)(0xE0 | (c >> 12));
    else
        u[0] = (unsigned char)(0xF0 | (c >> 18));
    for (int i = 1; i < n; i++)
        u[i] = (unsigned char)(0x80 | ((c >> (6 * (n - 1 - i))) & 0x3F));
    *o += n;
}

static bool hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return false;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return true;
}

/* One \-escape of a JSON string at *s (after the backslash) onto *o. */
static bool unescape(const char **s, char **o)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = strchr(from, **s);
    if (e != NULL && **s != '\0') {
        *(*o)++ = to[e - from];
        (*s)++;
        return true;
    }
    uint32_t c = 0, lo = 0;
    if (**s != 'u' || !hex4(*s + 1, &c))
        return false;
    *s += 5;
    if (c >= 0xDC00 && c <= 0xDFFF)
        return false;
    if (c >= 0xD800 && c <= 0xDBFF) {
        if ((*s)[0] != '\\' || (*s)[1] != 'u' || !hex4(*s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return false;
        *s += 6;
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (c == 0)
        return false; /* no NUL inside a C string */
    put_utf8(o, c);
    return true;
}

/* A JSON string at p (after its opening quote) into *out (arena). */
static bool string_value(parser *ps, char **out)
{
    const char *s = ps->p;
    char *o = gh_arena_alloc(ps->a, 4 * strlen(s) + 1), *start = o;
    while (*s != '"') {
        if (*s == '\0' || (unsigned char)*s < 0x20)
            return fail(ps, "a string value is not closed");
        if (*s == '\\') {
            s++;
            if (!unescape(&s, &o))
                return fail(ps, "a string value holds an invalid escape");
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    ps->p = s + 1;
    *out = start;
    return true;
}

static char *lower(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

/* The comparison value after an operator, checked against the attribute's kind. */
static bool comp_value(parser *ps, value_kind kind, gh_scim_filter *f)
{
    skip_ws(ps);
    if (*ps->p == '"') {
        ps->p++;
        char *s = NULL;
        if (!string_value(ps, &s))
            return false;
        if (kind == K_TIME)
            return gh_clock_parse(s, &f->num) == 0 ? true
                                                   : fail(ps, "a time is RFC 3339, e.g. "
                                                              "\"2026-01-01T00:00:00Z\"");
        if (kind == K_ID) { /* an id that is not ours matches nothing */
            char *end = NULL;
            long long v = strtoll(s, &end, 10);
            f->num = *s != '\0' && *end == '\0' && v > 0 ? v : 0;
            return true;
        }
        if (kind == K_BOOL)
            return fail(ps, "active compares with true or false");
        f->text = f->attr == GH_SA_EXTERNAL_ID ? s : lower(s);
        return true;
    }
    char *w = word(ps);
    if (kind == K_BOOL && (strcasecmp(w, "true") == 0 || strcasecmp(w, "false") == 0)) {
        f->num = strcasecmp(w, "true") == 0;
        return true;
    }
    if (kind == K_ID && *w != '\0' && strspn(w, "0123456789") == strlen(w) && strlen(w) < 19) {
        f->num = strtoll(w, NULL, 10);
        return true;
    }
    return fail(ps,
                *w == '\0' ? "a comparison needs a value" : "the value does not fit the attribute");
}

/* The attribute a path names (its schema's URN may precede it); false when unknown. */
static bool find_attr(parser *ps, const char *path, gh_scim_attr *attr, value_kind *kind)
{
    const char *urn = ps->res == GH_SCIM_USERS ? CORE_URN : GROUP_URN;
    if (strncasecmp(path, urn, strlen(urn)) == 0)
        path += strlen(urn);
    if (ps->in_members && strcasecmp(path, "value") == 0)
        return *attr = GH_SA_MEMBER, *kind = K_ID, true;
    if (ps->in_emails) { /* the sub-attributes of the one e-mail a user has */
        if (strcasecmp(path, "value") == 0)
            return *attr = GH_SA_EMAIL, *kind = K_TEXT, true;
        if (strcasecmp(path, "type") == 0 || strcasecmp(path, "primary") == 0)
            return *attr = GH_SA_EMAIL, *kind = K_CONST, true;
    }
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        if (attrs[i].res == ps->res && strcasecmp(path, attrs[i].name) == 0)
            return *attr = attrs[i].attr, *kind = attrs[i].kind, true;
    if (ps->res != GH_SCIM_USERS)
        return false;
    if (strcasecmp(path, "emails.type") == 0 || strcasecmp(path, "emails.primary") == 0)
        return *attr = GH_SA_EMAIL, *kind = K_CONST, true;
    return false;
}

static bool find_op(const char *w, gh_scim_op *op)
{
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcasecmp(w, ops[i]) == 0)
            return *op = (gh_scim_op)i, true;
    return false;
}

static bool op_fits(value_kind kind, gh_scim_op op)
{
    switch (kind) {
    case K_TEXT:
        return op <= GH_SO_PR;
    case K_BOOL:
        return op == GH_SO_EQ || op == GH_SO_NE || op == GH_SO_PR;
    case K_TIME:
    case K_ID:
        return op != GH_SO_CO && op != GH_SO_SW && op != GH_SO_EW;
    case K_CONST:
        return op == GH_SO_EQ || op == GH_SO_PR;
    }
    return false;
}

/* The e-mail's type and primary: it is the user's one, of type work and primary. */
static bool const_cmp(parser *ps, const char *path, gh_scim_op op, gh_scim_filter *f)
{
    f->node = GH_SF_CONST;
    f->num = 1;
    if (op == GH_SO_PR)
        return true;
    skip_ws(ps);
    bool is_type = strcasecmp(path + strlen(path) - 4, "type") == 0;
    if (is_type && *ps->p == '"') {
        ps->p++;
        char *s = NULL;
        if (!string_value(ps, &s))
            return false;
        f->num = strcasecmp(s, "work") == 0;
        return true;
    }
    char *w = word(ps);
    if (!is_type && (strcasecmp(w, "true") == 0 || strcasecmp(w, "false") == 0)) {
        f->num = strcasecmp(w, "true") == 0;
        return true;
    }
    return fail(ps, "the value does not fit the attribute");
}

static gh_scim_filter *or_expr(parser *ps);

/* attrPath op value, attrPath pr, or emails[filter]. */
static gh_scim_filter *attr_expr(parser *ps)
{
    char *path = word(ps);
    if (*path == '\0')
        return fail(ps, "an attribute name is expected"), NULL;
    if (*ps->p == '[') {
        bool emails = ps->res == GH_SCIM_USERS &&
                      (strcasecmp(path, "emails") == 0 || strcasecmp(path, CORE_URN "emails") == 0);
        bool members = ps->res == GH_SCIM_GROUPS && (strcasecmp(path, "members") == 0 ||
                                                     strcasecmp(path, GROUP_URN "members") == 0);
        if (ps->in_emails || ps->in_members || (!emails && !members))
            return fail(ps, "a value filter [...] is supported on emails and members only"), NULL;
        ps->p++;
        ps->in_emails = emails;
        ps->in_members = members;
        gh_scim_filter *f = or_expr(ps);
        ps->in_emails = ps->in_members = false;
        skip_ws(ps);
        if (f == NULL || *ps->p != ']')
            return fail(ps, "a value filter is not closed with ]"), NULL;
        ps->p++;
        return f;
    }
    gh_scim_attr attr;
    value_kind kind;
    if (!find_attr(ps, path, &attr, &kind))
        return fail(ps, gh_arena_printf(ps->a, "the attribute %.64s cannot be filtered on", path)),
               NULL;
    skip_ws(ps);
    gh_scim_op op;
    char *w = word(ps);
    if (!find_op(w, &op))
        return fail(ps, *w == '\0' ? "an operator is expected (eq, ne, co, sw, ew, pr, gt, ge, "
                                     "lt, le)"
                                   : "unknown operator"),
               NULL;
    if (!op_fits(kind, op))
        return fail(ps, gh_arena_printf(ps->a, "%s does not apply to %.64s", ops[op], path)), NULL;
    /* a members comparison binds the viewer's scope too (up to 3 more parameters) */
    ps->cmps += attr == GH_SA_MEMBER ? 4 : 1;
    if (ps->cmps > GH_SCIM_FILTER_MAX_CMP)
        return fail(ps, "the filter has too many comparisons"), NULL;
    gh_scim_filter *f = node(ps, GH_SF_CMP);
    f->attr = attr;
    f->op = op;
    if (kind == K_CONST)
        return const_cmp(ps, path, op, f) ? f : NULL;
    if (op == GH_SO_PR)
        return f;
    return comp_value(ps, kind, f) ? f : NULL;
}

static gh_scim_filter *unary(parser *ps)
{
    skip_ws(ps);
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "the filter nests too deeply"), NULL;
    gh_scim_filter *f = NULL;
    bool negate = keyword(ps, "not");
    skip_ws(ps);
    if (negate && *ps->p != '(')
        return fail(ps, "not takes a filter in parentheses"), NULL;
    if (*ps->p == '(') {
        ps->p++;
        f = or_expr(ps);
        skip_ws(ps);
        if (f == NULL || *ps->p != ')')
            return fail(ps, "a parenthesis is not closed"), NULL;
        ps->p++;
    } else {
        f = attr_expr(ps);
    }
    ps->depth--;
    if (f != NULL && negate) {
        gh_scim_filter *n = node(ps, GH_SF_NOT);
        n->l = f;
        f = n;
    }
    return f;
}

static gh_scim_filter *binary(parser *ps, const char *kw, gh_scim_node kind,
                              gh_scim_filter *(*sub)(parser *))
{
    gh_scim_filter *l = sub(ps);
    while (l != NULL) {
        const char *save = ps->p;
        skip_ws(ps);
        if (ps->p == save || !keyword(ps, kw)) { /* a keyword follows white space */
            ps->p = save;
            return l;
        }
        if (*ps->p != ' ' && *ps->p != '\t' && *ps->p != '(')
            return fail(ps, "a filter is expected after and/or"), NULL;
        gh_scim_filter *r = sub(ps);
        if (r == NULL)
            return NULL;
        gh_scim_filter *n = node(ps, kind);
        n->l = l;
        n->r = r;
        l = n;
    }
    return NULL;
}

static gh_scim_filter *and_expr(parser *ps)
{
    return binary(ps, "and", GH_SF_AND, unary);
}

static gh_scim_filter *or_expr(parser *ps)
{
    return binary(ps, "or", GH_SF_OR, and_expr);
}

bool gh_scim_filter_parse(gh_arena *a, gh_scim_resource res, const char *text,
                          const gh_scim_filter **out, const char **detail)
{
    if (strlen(text) > GH_SCIM_FILTER_MAX_BYTES) {
        *detail = "the filter is too long";
        return false;
    }
    parser ps = {.a = a, .res = res, .p = text};
    gh_scim_filter *f = or_expr(&ps);
    skip_ws(&ps);
    if (f != NULL && *ps.p != '\0')
        f = NULL, fail(&ps, "unexpected text after the filter");
    if (f == NULL) {
        *detail = ps.detail != NULL ? ps.detail : "the filter is malformed";
        return false;
    }
    *out = f;
    return true;
}
