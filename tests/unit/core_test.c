/* Unit tests of core/: the format checks, the permission catalogue and the domain rules through
 * gh_ctx, both as the CLI's system principal and as scoped principals loaded from the store.
 * Every test gets a fresh database holding this world (built through core as the system):
 *
 *   P1 (provider) ── A1 (account) ── S11, S12 (sub-accounts)
 *                 └─ A2 (account) ── S21
 *   P2 (provider) ── A3 (account)
 *
 *   roles: r_admin (P1, service_provider, everything but settings), r_acc (P1, platform_account,
 *          users.*), r_user (P1, platform_user, users.read: sub-account staff), r_staff (P1,
 *          service_provider, users.read), r_p2 (P2), r_power (global,
 *          settings.update); group g_power (P1) holds r_power.
 *   users: p1.admin (P1, provider level, r_admin), acc.admin (P1, account A1, r_acc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "auth/auth.h"
#include "auth/totp.h"
#include "core/core.h"
#include "model/model.h"
#include "core/signin.h"
#include "core/sso.h"
#include "core/validate.h"
#include "oidc/oidc.h"
#include "testdb.h"

typedef struct fx {
    testdb t;
    gh_db *db;
    gh_arena *a;
    gh_principal sys, admin, acc_admin;
    int64_t p1, p2, a1, a2, a3, s11, s12, s21;
    int64_t r_admin, r_acc, r_user, r_staff, r_p2, r_power, g_power;
    int64_t admin_id, acc_admin_id;
} fx;

#define ADMIN_PERMS                                                                                \
    (GH_PERM_USERS_ALL | GH_PERM(ROLES_READ) | GH_PERM(ROLES_CREATE) | GH_PERM(ROLES_UPDATE) |     \
     GH_PERM(ROLES_DELETE) | GH_PERM(GROUPS_READ) | GH_PERM(GROUPS_CREATE) |                       \
     GH_PERM(GROUPS_UPDATE) | GH_PERM(GROUPS_DELETE) | GH_PERM(TENANTS_READ) |                     \
     GH_PERM(TENANTS_CREATE) | GH_PERM(TENANTS_UPDATE) | GH_PERM(TENANTS_DELETE) |                 \
     GH_PERM(AUDIT_READ))

static gh_ctx ctx_as(fx *x, const gh_principal *who)
{
    return (gh_ctx){.db = x->db,
                    .a = x->a,
                    .who = who,
                    .ip = "192.0.2.7",
                    .request_id = "req-test",
                    .now = 1000};
}

/* A valid user as the HTTP handler would start it: provider level, or platform when provider
 * is 0, invited. */
static gh_user_create new_user(const char *username, int64_t provider)
{
    return (gh_user_create){
        .user = {
            .username = username,
            .provider_id = provider,
            .first_name = "",
            .last_name = "",
            .email = "someone@example.com",
            .phone = "",
            .language = "en",
            .timezone = "UTC",
            .country = "",
            .login_enabled = true,
            .access = {.level = provider != 0 ? GH_ACCESS_PROVIDER : GH_ACCESS_PLATFORM},
        }};
}

static gh_ids ids1(gh_arena *a, int64_t v)
{
    int64_t *p = gh_arena_alloc(a, sizeof *p);
    *p = v;
    return (gh_ids){p, 1};
}

static gh_ids ids2(gh_arena *a, int64_t v, int64_t w)
{
    int64_t *p = gh_arena_alloc(a, 2 * sizeof *p);
    p[0] = v;
    p[1] = w;
    return (gh_ids){p, 2};
}

static int64_t create_tenant(fx *x, gh_tenant_kind kind, int64_t parent, const char *name)
{
    gh_ctx c = ctx_as(x, &x->sys);
    gh_tenant in = {.kind = kind, .parent_id = parent, .name = name}, out;
    assert_int_equal(gh_core_tenant_create(&c, &in, &out), GH_OK);
    return out.id;
}

static int64_t create_role(fx *x, int64_t provider, const char *name, gh_role_kind kind,
                           uint64_t perms)
{
    gh_ctx c = ctx_as(x, &x->sys);
    gh_role in = {.provider_id = provider,
                  .name = name,
                  .description = "",
                  .kind = kind,
                  .permissions = perms},
            out;
    assert_int_equal(gh_core_role_create(&c, &in, &out), GH_OK);
    return out.id;
}

/* Creates a user as who; fails the test unless it works. */
static int64_t create_user_as(fx *x, const gh_principal *who, const gh_user_create *in)
{
    gh_ctx c = ctx_as(x, who);
    gh_user out;
    gh_err err = gh_core_user_create(&c, in, &out, NULL);
    if (err != GH_OK)
        fail_msg("creating %s: %s (%s: %s)", in->user.username, gh_err_str(err),
                 c.err_field ? c.err_field : "-", c.err_detail ? c.err_detail : "-");
    return out.id;
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    testdb_open(&x->t);
    x->db = x->t.db;
    x->a = gh_arena_new();
    x->sys = gh_core_system_principal();
    x->p1 = create_tenant(x, GH_TENANT_SERVICE_PROVIDER, 0, "P1");
    x->p2 = create_tenant(x, GH_TENANT_SERVICE_PROVIDER, 0, "P2");
    x->a1 = create_tenant(x, GH_TENANT_PLATFORM_ACCOUNT, x->p1, "A1");
    x->a2 = create_tenant(x, GH_TENANT_PLATFORM_ACCOUNT, x->p1, "A2");
    x->a3 = create_tenant(x, GH_TENANT_PLATFORM_ACCOUNT, x->p2, "A3");
    x->s11 = create_tenant(x, GH_TENANT_SUB_ACCOUNT, x->a1, "S11");
    x->s12 = create_tenant(x, GH_TENANT_SUB_ACCOUNT, x->a1, "S12");
    x->s21 = create_tenant(x, GH_TENANT_SUB_ACCOUNT, x->a2, "S21");
    x->r_admin = create_role(x, x->p1, "P1 admin", GH_ROLE_SERVICE_PROVIDER, ADMIN_PERMS);
    x->r_acc =
        create_role(x, x->p1, "P1 account admin", GH_ROLE_PLATFORM_ACCOUNT, GH_PERM_USERS_ALL);
    x->r_user = create_role(x, x->p1, "P1 user", GH_ROLE_PLATFORM_USER, GH_PERM(USERS_READ));
    x->r_staff = create_role(x, x->p1, "P1 staff", GH_ROLE_SERVICE_PROVIDER, GH_PERM(USERS_READ));
    x->r_p2 = create_role(x, x->p2, "P2 user", GH_ROLE_PLATFORM_USER, GH_PERM(USERS_READ));
    x->r_power = create_role(x, 0, "Settings", GH_ROLE_SERVICE_PROVIDER, GH_PERM(SETTINGS_UPDATE));
    gh_ctx c = ctx_as(x, &x->sys);
    gh_group g = {.provider_id = x->p1,
                  .name = "Power",
                  .description = "",
                  .role_ids = ids1(x->a, x->r_power)},
             gout;
    assert_int_equal(gh_core_group_create(&c, &g, &gout), GH_OK);
    x->g_power = gout.id;

    gh_user_create u = new_user("p1.admin", x->p1);
    u.user.role_ids = ids1(x->a, x->r_admin);
    x->admin_id = create_user_as(x, &x->sys, &u);
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, x->admin_id, &x->admin), GH_OK);
    u = new_user("acc.admin", x->p1);
    u.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a1)};
    u.user.role_ids = ids1(x->a, x->r_acc);
    x->acc_admin_id = create_user_as(x, &x->sys, &u);
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, x->acc_admin_id, &x->acc_admin),
                     GH_OK);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    gh_arena_free(x->a);
    testdb_close(&x->t);
    free(x);
    return 0;
}

/* Audit rows with this action and target, newest first. */
static size_t audit_rows(fx *x, const char *action, int64_t target_id, gh_audit_entry **rows)
{
    gh_audit_filter f = {.action = action, .target_id = target_id, .limit = 100};
    size_t n = 0;
    assert_int_equal(gh_store_audit_list(x->db, x->a, &x->sys, &f, rows, &n), GH_OK);
    return n;
}

static size_t audit_total(fx *x)
{
    gh_audit_entry *rows = NULL;
    return audit_rows(x, NULL, 0, &rows);
}

static bool taken(fx *x, const char *username)
{
    bool t = false;
    assert_int_equal(gh_store_username_taken(x->db, username, &t), GH_OK);
    return t;
}

static const char *status_of(fx *x, int64_t id)
{
    gh_user u;
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &u), GH_OK);
    return gh_user_status_name(u.status);
}

/* Whether a failure named the wanted field (want NULL: any field, or none). */
static bool field_is(const char *got, const char *want)
{
    return want == NULL || (got != NULL && strcmp(got, want) == 0);
}

/* Expects a failure with this error and field (NULL: any field); a field error must say how
 * (its reason, the second part of errors[].code). */
#define EXPECT_FAIL(call, c, want_err, want_field)                                                 \
    do {                                                                                           \
        (c).err_field = NULL;                                                                      \
        (c).err_reason = NULL;                                                                     \
        gh_err got_ = (call);                                                                      \
        if (got_ != (want_err))                                                                    \
            fail_msg("%s: got %s want %s (field %s: %s)", #call, gh_err_str(got_),                 \
                     gh_err_str(want_err), (c).err_field ? (c).err_field : "-",                    \
                     (c).err_detail ? (c).err_detail : "-");                                       \
        if (!field_is((c).err_field, want_field))                                                  \
            fail_msg("%s: field %s", #call, (c).err_field ? (c).err_field : "(null)");             \
        if ((c).err_field != NULL && (c).err_reason == NULL)                                       \
            fail_msg("%s: field %s without a reason", #call, (c).err_field);                       \
    } while (0)

/* ---- validate.h ---- */

static void check_list(bool (*fn)(const char *), const char *const *ok, const char *const *bad,
                       const char *what)
{
    for (const char *const *s = ok; *s != NULL; s++)
        if (!fn(*s))
            fail_msg("%s: rejected \"%s\"", what, *s);
    for (const char *const *s = bad; *s != NULL; s++)
        if (fn(*s))
            fail_msg("%s: accepted \"%s\"", what, *s);
}

static void validate_usernames(void **state)
{
    char max[65], over[66];
    memset(max, 'a', 64);
    max[64] = '\0';
    memset(over, 'a', 65);
    over[65] = '\0';
    const char *const ok[] = {"a", "alice", "Alice.Smith", "a_b-c@d.e", "9lives", max, NULL};
    const char *const bad[] = {"",
                               ".alice",
                               "-a",
                               "_a",
                               "@a",
                               "al ice",
                               "al\nice",
                               "al\tice",
                               "al/ice",
                               "al\xc3\xaf"
                               "ce",
                               "a:b",
                               over,
                               NULL};
    check_list(gh_valid_username, ok, bad, "username");
}

static void validate_emails(void **state)
{
    char local[80];
    memset(local, 'a', 65);
    strcpy(local + 65, "@example.com");
    const char *const ok[] = {"a@b.co", "first.last+tag@example.com", "x@sub.example.org",
                              "o'brien@example.ie", NULL};
    const char *const bad[] = {
        "",           "plain",     "@example.com", "a@",       "a@b",     "a@@b.com",  "a@b@c.com",
        "a b@c.com",  "a@b..com",  "a@.b.com",     "a@b.com.", "a@b.co-", "<a>@b.com", "a\"b@c.com",
        "a@b.c\x01m", "a\n@b.com", "a@b.com\x7f",  local,      NULL};
    check_list(gh_valid_email, ok, bad, "email");
}

static void validate_phones(void **state)
{
    const char *const ok[] = {"+442071234567", "+12025550123", "+861012345678", "+123456789012345",
                              NULL};
    const char *const bad[] = {
        "",       "442071234567",      "+0123", "+1", "+", "++44", "+44 20 7123", "+44-20-71234",
        "+4a123", "+1234567890123456", NULL};
    check_list(gh_valid_phone, ok, bad, "phone");
}

static void validate_timezones(void **state)
{
    const char *const ok[] = {"Europe/London", "UTC",
                              "Asia/Shanghai", "America/Argentina/Buenos_Aires",
                              "Etc/GMT+5",     NULL};
    const char *const bad[] = {"Mars/Base",
                               "../etc/passwd",
                               "/etc/passwd",
                               "Europe/../Europe/London",
                               "posix/UTC",
                               "right/UTC",
                               "Europe",
                               "Europe/",
                               "",
                               "Europe/London\n",
                               "Europe/London ",
                               "zone.tab",
                               "leapseconds", /* a regular file, but not a tzfile */
                               NULL};
    check_list(gh_valid_timezone, ok, bad, "timezone");
}

static void validate_countries_languages_text(void **state)
{
    const char *const c_ok[] = {"GB", "CN", "US", "DE", "ZW", "AD", NULL};
    const char *const c_bad[] = {"XX", "gb", "Gb", "GBR", "", "G", "UK", "EU", "G1", "AA", NULL};
    check_list(gh_valid_country, c_ok, c_bad, "country");
    const char *const l_ok[] = {"en", "zh", NULL};
    const char *const l_bad[] = {"EN", "fr", "", "en-GB", "zh-CN", "e", NULL};
    check_list(gh_valid_language, l_ok, l_bad, "language");
    const char *const t_ok[] = {"hello", "", "Zo\xc3\xab \xe4\xb8\xad\xe6\x96\x87", "O'Brien",
                                NULL};
    const char *const t_bad[] = {"a\nb", "a\tb", "\x7f", "\x1b[31mred", "a\rb", NULL};
    check_list(gh_valid_text, t_ok, t_bad, "text");
}

/* I5: where a browser may go after sign-in; the cases of the console's safeNext. */
static void validate_next(void **state)
{
    const char *const ok[] = {"/users",
                              "/users/42",
                              "/users?q=smith&status=active",
                              "/profile",
                              "/roles/7/edit",
                              "/audit?since=2026-01-01",
                              "/groups/a_b-c",
                              NULL};
    const char *const bad[] = {"//evil.example",
                               "/\\evil.example",
                               "/%2f%2fevil.example",
                               "https://x.example",
                               "users",
                               "/usersx",
                               "/users//2",
                               "/users/../x",
                               "/users?q=<script>",
                               "/users/42#frag",
                               "",
                               "/",
                               "/signin",
                               "/api/v1/users",
                               "/users/ 1",
                               NULL};
    check_list(gh_valid_next, ok, bad, "next");
    char longest[302];
    memset(longest, 'a', sizeof longest - 1);
    memcpy(longest, "/users/", 7);
    longest[sizeof longest - 1] = '\0';
    assert_false(gh_valid_next(longest)); /* 301 characters */
    longest[300] = '\0';
    assert_true(gh_valid_next(longest));
}

/* ---- model.h: the state names ---- */

/* Every state name parses back to its value, and nothing else parses. */
static void model_state_names(void **state)
{
#define ROUND_TRIP(type, list)                                                                     \
    do {                                                                                           \
        int n = 0;                                                                                 \
        list(COUNT_ONE);                                                                           \
        for (int i = 0; i < n; i++) {                                                              \
            type v = (type)(n - 1 - i);                                                            \
            assert_true(type##_parse(type##_name((type)i), &v));                                   \
            assert_int_equal(v, i);                                                                \
        }                                                                                          \
        type keep = (type)0;                                                                       \
        assert_false(type##_parse(NULL, &keep));                                                   \
        assert_false(type##_parse("", &keep));                                                     \
        assert_false(type##_parse("banned", &keep));                                               \
        assert_false(type##_parse("DONE", &keep));                                                 \
        assert_int_equal(keep, 0);                                                                 \
        assert_string_equal(type##_name((type)n), "?");                                            \
    } while (0)
#define COUNT_ONE(id, name) n++;
    ROUND_TRIP(gh_access_level, GH_ACCESS_LEVELS);
    ROUND_TRIP(gh_user_status, GH_USER_STATUSES);
    ROUND_TRIP(gh_signin_stage, GH_SIGNIN_STAGES);
    ROUND_TRIP(gh_tenant_kind, GH_TENANT_KINDS);
    ROUND_TRIP(gh_role_kind, GH_ROLE_KINDS);
    ROUND_TRIP(gh_link_purpose, GH_LINK_PURPOSES);
    ROUND_TRIP(gh_link_state, GH_LINK_STATES);
    ROUND_TRIP(gh_mail_state, GH_MAIL_STATES);
#undef COUNT_ONE
#undef ROUND_TRIP
    /* the names the database and the API carry */
    assert_string_equal(gh_access_level_name(GH_ACCESS_SUB_ACCOUNT), "sub_account");
    assert_string_equal(gh_user_status_name(GH_STATUS_DISABLED), "disabled");
    assert_string_equal(gh_signin_stage_name(GH_STAGE_ENROLL_TOTP), "enroll_totp");
    assert_string_equal(gh_tenant_kind_name(GH_TENANT_PLATFORM_ACCOUNT), "platform_account");
    assert_string_equal(gh_role_kind_name(GH_ROLE_PLATFORM_USER), "platform_user");
    assert_string_equal(gh_link_purpose_name(GH_LINK_PASSWORD_RESET), "password_reset");
    assert_string_equal(gh_link_state_name(GH_LINK_VOID), "void");
    assert_string_equal(gh_mail_state_name(GH_MAIL_CANCELLED), "cancelled");
}

/* ---- model.h: the permission catalogue ---- */

static void perms_catalogue(void **state)
{
    assert_int_equal(GH_PERM_COUNT, 24);
    assert_int_equal(__builtin_popcountll(GH_PERM_ALL), GH_PERM_COUNT);
    for (int i = 0; i < GH_PERM_COUNT; i++) {
        const char *name = gh_perm_name(i);
        assert_non_null(name);
        assert_non_null(gh_perm_text(i));
        assert_true(strlen(gh_perm_text(i)) > 0);
        assert_int_equal(gh_perm_from_name(name), (uint64_t)1 << i);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(gh_perm_name(j), name);
        /* users.* is exactly GH_PERM_USERS_ALL */
        bool is_user = strncmp(name, "users.", 6) == 0;
        assert_int_equal(is_user, (GH_PERM_USERS_ALL & ((uint64_t)1 << i)) != 0);
    }
    assert_null(gh_perm_name(-1));
    assert_null(gh_perm_name(GH_PERM_COUNT));
    assert_null(gh_perm_text(GH_PERM_COUNT));
    assert_int_equal(gh_perm_from_name("users.nope"), 0);
    assert_int_equal(gh_perm_from_name(""), 0);
    assert_int_equal(gh_perm_from_name("USERS.READ"), 0);
    assert_int_equal(gh_perm_from_name("users.read"), GH_PERM(USERS_READ));
    assert_int_equal(gh_perm_from_name("settings.update"), GH_PERM(SETTINGS_UPDATE));
}

static void perms_effective(void **state)
{
    gh_principal super = {.superadmin = true, .perms = 0};
    assert_int_equal(gh_perm_effective(&super), GH_PERM_ALL);
    assert_true(gh_perm_has(&super, GH_PERM_ALL));
    gh_principal sys = gh_core_system_principal();
    assert_int_equal(gh_perm_effective(&sys), GH_PERM_ALL);
    assert_int_equal(sys.access.level, GH_ACCESS_PLATFORM);
    assert_int_equal(sys.user_id, 0);

    gh_principal p = {.perms = GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ) | ((uint64_t)1 << 63)};
    assert_int_equal(gh_perm_effective(&p), GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ));
    assert_true(gh_perm_has(&p, GH_PERM(USERS_READ)));
    assert_true(gh_perm_has(&p, GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ)));
    assert_false(gh_perm_has(&p, GH_PERM(USERS_READ) | GH_PERM(USERS_CREATE)));
    assert_false(gh_perm_has(&p, (uint64_t)1 << 63)); /* bits outside the catalogue count for
                                                         nothing */
    assert_true(gh_perm_has(&p, 0));
    assert_int_equal(gh_core_user_action_perm(GH_USER_DELETE), GH_PERM(USERS_DELETE));
    assert_int_equal(gh_core_user_action_perm(GH_USER_DISABLE), GH_PERM(USERS_DISABLE));
    assert_int_equal(gh_core_user_action_perm(GH_USER_ENABLE), GH_PERM(USERS_DISABLE));

    /* the loaded principals of the world carry their roles' masks */
    fx *x = *state;
    assert_int_equal(x->admin.perms, ADMIN_PERMS);
    assert_int_equal(x->admin.access.level, GH_ACCESS_PROVIDER);
    assert_int_equal(x->admin.provider_id, x->p1);
    assert_int_equal(x->acc_admin.perms, GH_PERM_USERS_ALL);
}

/* ---- users ---- */

static void user_create_validates(void **state)
{
    fx *x = *state;
    static const struct {
        size_t off;
        const char *value, *field;
    } cases[] = {
        {offsetof(gh_user, username), "-bad", "username"},
        {offsetof(gh_user, username), "", "username"},
        {offsetof(gh_user, email), "nope", "email"},
        {offsetof(gh_user, phone), "12345", "phone"},
        {offsetof(gh_user, language), "fr", "language"},
        {offsetof(gh_user, timezone), "Mars/Base", "timezone"},
        {offsetof(gh_user, timezone), "../etc/passwd", "timezone"},
        {offsetof(gh_user, country), "XX", "country"},
        {offsetof(gh_user, country), "gb", "country"},
        {offsetof(gh_user, first_name), "a\nb", "first_name"},
        {offsetof(gh_user, last_name), "\x1b[2J", "last_name"},
        {offsetof(gh_user, sso_source), "x\ty", "sso_source"},
        {offsetof(gh_user, sso_id), "\x7f", "sso_id"},
    };
    size_t rows = audit_total(x);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_user_create in = new_user("valid.name", x->p1);
        *(const char **)((char *)&in.user + cases[i].off) = cases[i].value;
        gh_ctx c = ctx_as(x, &x->sys);
        gh_user out;
        EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, cases[i].field);
        assert_non_null(c.err_detail);
    }
    assert_false(taken(x, "valid.name"));
    assert_int_equal(audit_total(x), rows);

    /* references: provider, access, roles, groups */
    gh_ctx c = ctx_as(x, &x->sys);
    gh_user out;
    gh_user_create in = new_user("valid.name", 99999);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "provider_id");
    in = new_user("valid.name", x->a1); /* an account is not a provider */
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "provider_id");
    in = new_user("valid.name", x->p1);
    in.user.access.level = GH_ACCESS_PLATFORM;
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.level");
    in = new_user("valid.name", 0);
    in.user.access.level = GH_ACCESS_PROVIDER;
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.level");
    in = new_user("valid.name", x->p1);
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT};
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    in.user.access.ids = ids1(x->a, x->a3); /* P2's account */
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    in.user.access.ids = ids1(x->a, x->s11); /* not an account */
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    in = new_user("valid.name", x->p1);
    in.user.role_ids = ids1(x->a, 99999);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "role_ids");
    in.user.role_ids = ids1(x->a, x->r_p2); /* another provider's role */
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "role_ids");
    in = new_user("valid.name", x->p1);
    in.user.group_ids = ids1(x->a, 99999);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "group_ids");
    in = new_user("valid.name", x->p1);
    in.password = "too short";
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "password");
    assert_false(taken(x, "valid.name"));
    assert_int_equal(audit_total(x), rows);
}

static void user_create_writes_user_and_audit(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_user out, got;
    gh_user_create in = new_user("Carol", x->p1);
    in.user.first_name = "Carol";
    in.user.country = "GB";
    in.user.phone = "+442071234567";
    in.user.timezone = "Europe/London";
    in.user.role_ids = ids1(x->a, x->r_staff);
    assert_int_equal(gh_core_user_create(&c, &in, &out, NULL), GH_OK);
    assert_true(out.id > 0);
    assert_string_equal(out.username, "Carol");
    assert_int_equal(out.status, GH_STATUS_INVITED);
    assert_false(out.has_password);
    assert_int_equal(out.created_at, 1000);
    assert_int_equal(out.created_by, 0);
    assert_int_equal(out.version, 1);
    assert_int_equal(gh_core_user_get(&c, out.id, &got), GH_OK);
    assert_string_equal(got.timezone, "Europe/London");
    assert_int_equal(got.role_ids.n, 1);

    gh_audit_entry *rows = NULL;
    assert_int_equal(audit_rows(x, "user.create", out.id, &rows), 1);
    assert_string_equal(rows[0].actor, "system");
    assert_int_equal(rows[0].actor_id, 0);
    assert_string_equal(rows[0].target_type, "user");
    assert_int_equal(rows[0].target_user_id, out.id);
    assert_int_equal(rows[0].provider_id, x->p1);
    assert_string_equal(rows[0].outcome, "success");
    assert_string_equal(rows[0].ip, "192.0.2.7");
    assert_string_equal(rows[0].request_id, "req-test");
    assert_null(rows[0].before_json);
    assert_non_null(rows[0].after_json);
    assert_non_null(strstr(rows[0].after_json, "\"username\":\"Carol\""));
    assert_null(strstr(rows[0].after_json, "password"));

    /* with a password: active, must change it */
    in = new_user("dave", 0);
    in.password = "correct horse battery staple";
    assert_int_equal(gh_core_user_create(&c, &in, &out, NULL), GH_OK);
    assert_int_equal(out.status, GH_STATUS_ACTIVE);
    assert_true(out.has_password);
    assert_true(out.must_change_password);
    assert_int_equal(audit_rows(x, "user.create", out.id, &rows), 1);
    assert_null(strstr(rows[0].after_json, "horse"));

    /* generated: returned once */
    char *generated = NULL;
    in = new_user("erin", 0);
    in.generate_password = true;
    assert_int_equal(gh_core_user_create(&c, &in, &out, &generated), GH_OK);
    assert_non_null(generated);
    assert_int_equal(strlen(generated), 20);
    assert_int_equal(out.status, GH_STATUS_ACTIVE);
    assert_true(out.has_password);

    /* names are unique case-insensitively */
    in = new_user("CAROL", x->p1);
    size_t before = audit_total(x);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_ECONFLICT, "username");
    assert_int_equal(audit_total(x), before);
}

static void user_create_by_scoped_admins(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->admin);
    gh_user out;
    size_t rows = audit_total(x);

    /* within its provider, with roles it holds: fine, and recorded as its act */
    gh_user_create in = new_user("p1.user", x->p1);
    in.user.role_ids = ids1(x->a, x->r_staff);
    assert_int_equal(gh_core_user_create(&c, &in, &out, NULL), GH_OK);
    assert_int_equal(out.created_by, x->admin_id);
    gh_audit_entry *audit = NULL;
    assert_int_equal(audit_rows(x, "user.create", out.id, &audit), 1);
    assert_int_equal(audit[0].actor_id, x->admin_id);
    assert_string_equal(audit[0].actor, "p1.admin");
    rows++;

    /* another provider: refused and nothing left behind */
    in = new_user("p2.user", x->p2);
    c.err_field = NULL;
    gh_err err = gh_core_user_create(&c, &in, &out, NULL);
    assert_non_null(c.err_field);
    if (!((err == GH_EFORBIDDEN && strcmp(c.err_field, "access") == 0) ||
          (err == GH_EINVAL && strcmp(c.err_field, "provider_id") == 0)))
        fail_msg("cross-provider create: %s field %s", gh_err_str(err), c.err_field);
    assert_false(taken(x, "p2.user"));
    /* a platform user */
    in = new_user("plat.user", 0);
    c.err_field = NULL;
    err = gh_core_user_create(&c, &in, &out, NULL);
    assert_true(err == GH_EFORBIDDEN || err == GH_EINVAL);
    assert_false(taken(x, "plat.user"));

    /* no granting what it does not hold, directly or through a group */
    in = new_user("p1.power", x->p1);
    in.user.role_ids = ids1(x->a, x->r_power);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EFORBIDDEN, "role_ids");
    in = new_user("p1.power", x->p1);
    in.user.group_ids = ids1(x->a, x->g_power);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EFORBIDDEN, "group_ids");
    assert_false(taken(x, "p1.power"));

    /* an account admin: only inside its own accounts */
    gh_ctx ca = ctx_as(x, &x->acc_admin);
    in = new_user("acc.a1.user", x->p1);
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a1)};
    assert_int_equal(gh_core_user_create(&ca, &in, &out, NULL), GH_OK);
    rows++;
    in = new_user("acc.a2.user", x->p1);
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a2)};
    /* A2 is outside its view: the answer of an account that does not exist (C9) */
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EINVAL, "access.account_ids");
    in.user.access.ids = ids2(x->a, x->a1, x->a2);
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EINVAL, "access.account_ids");
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .all = true};
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EFORBIDDEN, "access");
    in = new_user("acc.provider.user", x->p1); /* provider level: above it */
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EFORBIDDEN, "access");
    assert_false(taken(x, "acc.a2.user"));
    assert_false(taken(x, "acc.provider.user"));
    in = new_user("acc.roles", x->p1); /* r_admin holds more than users.* */
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a1)};
    in.user.role_ids = ids1(x->a, x->r_admin);
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EFORBIDDEN, "role_ids");
    assert_int_equal(audit_total(x), rows);
}

static void user_sub_account_rules(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_user out;
    gh_user_create in = new_user("sub.user", x->p1);
    in.user.access =
        (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .ids = ids1(x->a, x->s11)};

    /* needs a Platform User role */
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.role_ids = ids1(x->a, x->r_admin);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.role_ids = ids1(x->a, x->r_user);

    /* the sub-accounts must belong to the chosen account, which must be an account of the
     * user's provider */
    in.user.access.ids = ids1(x->a, x->s21);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.access.ids = ids2(x->a, x->s11, x->s21);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.access.ids = ids1(x->a, x->a2);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.access.ids = (gh_ids){0};
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.access.ids = ids1(x->a, x->s11);
    in.user.access.account_id = x->a3;
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    in.user.access.account_id = x->s12;
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    assert_false(taken(x, "sub.user"));

    in.user.access.account_id = x->a1;
    in.user.access.ids = ids2(x->a, x->s12, x->s11);
    assert_int_equal(gh_core_user_create(&c, &in, &out, NULL), GH_OK);
    assert_int_equal(out.access.level, GH_ACCESS_SUB_ACCOUNT);
    assert_int_equal(out.access.account_id, x->a1);
    assert_int_equal(out.access.ids.n, 2);
    in = new_user("sub.all", x->p1);
    in.user.access = (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .all = true};
    in.user.role_ids = ids1(x->a, x->r_user);
    assert_int_equal(gh_core_user_create(&c, &in, &out, NULL), GH_OK);
    assert_true(out.access.all);

    /* the account admin of A1 may create it too; not under A2 */
    gh_ctx ca = ctx_as(x, &x->acc_admin);
    in = new_user("sub.by.acc", x->p1);
    in.user.access =
        (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .ids = ids1(x->a, x->s11)};
    in.user.role_ids = ids1(x->a, x->r_user);
    assert_int_equal(gh_core_user_create(&ca, &in, &out, NULL), GH_OK);
    in = new_user("sub.by.acc.a2", x->p1);
    in.user.access =
        (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a2, .ids = ids1(x->a, x->s21)};
    in.user.role_ids = ids1(x->a, x->r_user);
    /* A2 lies outside its view: answered as an account that does not exist (C9) */
    EXPECT_FAIL(gh_core_user_create(&ca, &in, &out, NULL), ca, GH_EINVAL, "access.account_ids");

    /* a Platform User works in one account and chosen sub-accounts, nowhere else (C8) */
    in = new_user("pu.provider", x->p1);
    in.user.role_ids = ids1(x->a, x->r_user);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.level");
    in.user.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .all = true};
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.level");
    in.user.access = (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1};
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.sub_account_ids");
    in.user.access = (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .ids = ids1(x->a, x->s11)};
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_EINVAL, "access.account_ids");
    assert_false(taken(x, "pu.provider"));
}

/* C6: the scope a write must stay inside is judged in core on the record about to be written
 * (the actor's rights before the request), while reads judge stored rows in SQL
 * (gh_qb_user_scope). The two must agree: for every scoped admin and every placement of a user,
 * the admin may create a user placed there exactly when a user placed there by the system is
 * visible to it. */
static gh_principal scoped_admin(fx *x, const char *name, gh_access access, int64_t role)
{
    gh_user_create u = new_user(name, x->p1);
    u.user.access = access;
    u.user.role_ids = ids1(x->a, role);
    int64_t id = create_user_as(x, &x->sys, &u);
    gh_principal p;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, id, &p), GH_OK);
    return p;
}

/* Whether grantable g lists placing a user of provider pid at access ac. */
static const gh_grant_account *granted_account(const gh_grant_provider *p, int64_t id)
{
    for (size_t i = 0; i < p->n_accounts; i++)
        if (p->accounts[i].account.id == id)
            return &p->accounts[i];
    return NULL;
}

static bool placement_listed(const gh_grantable *g, int64_t pid, const gh_access *ac)
{
    const gh_grant_provider *p = NULL;
    for (size_t i = 0; i < g->n && p == NULL; i++)
        p = g->providers[i].provider.id == pid ? &g->providers[i] : NULL;
    if (p == NULL)
        return false;
    if (ac->level == GH_ACCESS_PROVIDER)
        return p->at_provider;
    if (ac->level == GH_ACCESS_ACCOUNT && ac->all)
        return p->accounts_all;
    if (ac->level == GH_ACCESS_ACCOUNT) {
        for (size_t i = 0; i < ac->ids.n; i++) {
            const gh_grant_account *a = granted_account(p, ac->ids.v[i]);
            if (a == NULL || !a->at_account)
                return false;
        }
        return true;
    }
    const gh_grant_account *a = granted_account(p, ac->account_id);
    if (a == NULL || ac->all)
        return a != NULL && a->sub_all;
    for (size_t i = 0; i < ac->ids.n; i++) {
        bool found = false;
        for (size_t j = 0; j < a->n_subs; j++)
            found |= a->subs[j].id == ac->ids.v[i];
        if (!found)
            return false;
    }
    return true;
}

static void scope_rule_matches_visibility(void **state)
{
    fx *x = *state;
    int64_t r_sub = create_role(x, x->p1, "P1 sub admin", GH_ROLE_PLATFORM_USER, GH_PERM_USERS_ALL);
    const gh_access sub_s11 = {
        .level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .ids = ids1(x->a, x->s11)};
    const gh_access acc_all = {.level = GH_ACCESS_ACCOUNT, .all = true};
    gh_principal admins[] = {
        x->admin,
        x->acc_admin,
        scoped_admin(x, "acc.all.admin", acc_all, x->r_acc),
        scoped_admin(x, "sub.admin", sub_s11, r_sub),
        scoped_admin(x, "sub.all.admin",
                     (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .all = true},
                     r_sub),
    };
    const gh_access places[] = {
        {.level = GH_ACCESS_PROVIDER},
        {.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a1)},
        {.level = GH_ACCESS_ACCOUNT, .ids = ids1(x->a, x->a2)},
        {.level = GH_ACCESS_ACCOUNT, .ids = ids2(x->a, x->a1, x->a2)},
        acc_all,
        sub_s11,
        {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .ids = ids2(x->a, x->s11, x->s12)},
        {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a1, .all = true},
        {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = x->a2, .ids = ids1(x->a, x->s21)},
    };
    /* and what GET /api/v1/me/grantable lists is the same set (one rule, core/rights.c) */
    gh_grantable grants[sizeof admins / sizeof *admins];
    for (size_t i = 0; i < sizeof admins / sizeof *admins; i++) {
        gh_ctx c = ctx_as(x, &admins[i]);
        assert_int_equal(gh_core_grantable(&c, 0, &grants[i]), GH_OK);
    }
    int n = 0;
    for (size_t p = 0; p < sizeof places / sizeof *places; p++) {
        bool sub = places[p].level == GH_ACCESS_SUB_ACCOUNT;
        gh_user_create in = new_user(gh_arena_printf(x->a, "placed.%zu", p), x->p1);
        in.user.access = places[p];
        in.user.role_ids = ids1(x->a, sub ? x->r_user : x->r_staff);
        int64_t placed = create_user_as(x, &x->sys, &in);
        for (size_t i = 0; i < sizeof admins / sizeof *admins; i++) {
            gh_user seen;
            gh_err got = gh_store_user_get_visible(x->db, x->a, &admins[i], placed, &seen);
            assert_true(got == GH_OK || got == GH_ENOTFOUND);
            bool visible = got == GH_OK;
            gh_ctx c = ctx_as(x, &admins[i]);
            gh_user out;
            in.user.username = gh_arena_printf(x->a, "by.%zu.%zu", i, p);
            gh_err err = gh_core_user_create(&c, &in, &out, NULL);
            if ((err == GH_OK) != visible)
                fail_msg("admin %s, placement %zu: visible %d but create %s (%s)",
                         admins[i].username, p, visible, gh_err_str(err),
                         c.err_detail ? c.err_detail : "-");
            if (placement_listed(&grants[i], x->p1, &places[p]) != visible)
                fail_msg("admin %s, placement %zu: visible %d but grantable says otherwise",
                         admins[i].username, p, visible);
            n += visible;
        }
    }
    assert_true(n > 10); /* the table is not all refusals */
}

/* C6: an admin editing itself never lifts a restriction on its own sign-in. Login disabled can
 * only be tried here: such an admin cannot authenticate over the API at all. */
static void user_update_own_restrictions(void **state)
{
    fx *x = *state;
    gh_user_create in = new_user("self.editor", x->p1);
    in.user.role_ids = ids1(x->a, x->r_admin);
    in.user.login_enabled = false;
    in.user.mfa_required = true;
    in.user.enforce_sso = true;
    in.user.sso_source = "self-idp";
    in.user.sso_id = "self.editor@example.com";
    gh_sso_source src = {.name = "self-idp",
                         .display_name = "Self IdP",
                         .issuer = "https://idp.example.com",
                         .client_id = "gatehouse",
                         .client_secret_sealed = "sealed",
                         .scopes = "openid",
                         .claim = "email",
                         .provider_id = x->p1,
                         .created_at = 1};
    int64_t src_id = 0;
    assert_int_equal(gh_store_sso_source_insert(x->db, &src, &src_id), GH_OK);
    int64_t id = create_user_as(x, &x->sys, &in);
    gh_principal self;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, id, &self), GH_OK);
    gh_ctx c = ctx_as(x, &self);
    gh_user cur, next, out;
    assert_int_equal(gh_core_user_get(&c, id, &cur), GH_OK);
    next = cur;
    next.login_enabled = true;
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EFORBIDDEN, "login_enabled");
    next = cur;
    next.mfa_required = false;
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EFORBIDDEN, "mfa_required");
    next = cur;
    next.enforce_sso = false;
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EFORBIDDEN, "enforce_sso");
    /* nothing was written; another admin may lift them */
    assert_int_equal(gh_core_user_get(&c, id, &out), GH_OK);
    assert_false(out.login_enabled);
    assert_true(out.mfa_required && out.enforce_sso);
    gh_ctx sys = ctx_as(x, &x->sys);
    next = cur;
    next.login_enabled = true;
    assert_int_equal(gh_core_user_update(&sys, &next, 0, &out), GH_OK);
    assert_true(out.login_enabled);
}

static void user_update(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_user out, cur, got;
    gh_user_create in = new_user("frank", x->p1);
    in.user.first_name = "Frank";
    int64_t id = create_user_as(x, &x->sys, &in);
    assert_int_equal(gh_core_user_get(&c, id, &cur), GH_OK);
    assert_int_equal(cur.version, 1);

    gh_user next = cur;
    next.first_name = "Francis";
    c.now = 2000;
    assert_int_equal(gh_core_user_update(&c, &next, 1, &out), GH_OK);
    assert_string_equal(out.first_name, "Francis");
    assert_int_equal(out.version, 2);
    assert_int_equal(out.updated_at, 2000);
    gh_audit_entry *rows = NULL;
    assert_int_equal(audit_rows(x, "user.update", id, &rows), 1);
    assert_non_null(strstr(rows[0].before_json, "\"first_name\":\"Frank\""));
    assert_non_null(strstr(rows[0].after_json, "\"first_name\":\"Francis\""));
    assert_int_equal(rows[0].at, 2000);

    /* stale If-Match */
    next.first_name = "Stale";
    EXPECT_FAIL(gh_core_user_update(&c, &next, 1, &out), c, GH_EPRECOND, NULL);
    assert_int_equal(gh_core_user_get(&c, id, &got), GH_OK);
    assert_string_equal(got.first_name, "Francis");
    assert_int_equal(audit_rows(x, "user.update", id, &rows), 1);
    /* no If-Match */
    next.first_name = "Fran";
    assert_int_equal(gh_core_user_update(&c, &next, 0, &out), GH_OK);
    assert_int_equal(out.version, 3);

    /* fixed fields and validation */
    next = out;
    next.username = "frankie";
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EINVAL, "username");
    next.username = "frank";
    next.provider_id = x->p2;
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EINVAL, "provider_id");
    next.provider_id = x->p1;
    next.email = "not-an-email";
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EINVAL, "email");
    next.email = "frank@example.com";
    next.role_ids = ids1(x->a, x->r_p2);
    EXPECT_FAIL(gh_core_user_update(&c, &next, 0, &out), c, GH_EINVAL, "role_ids");
    assert_int_equal(gh_core_user_get(&c, id, &got), GH_OK);
    assert_int_equal(got.version, 3);
    assert_string_equal(got.email, "someone@example.com");

    /* scoped: the provider admin cannot raise powers or touch a more powerful user */
    gh_ctx ca = ctx_as(x, &x->admin);
    assert_int_equal(gh_core_user_get(&ca, id, &cur), GH_OK);
    next = cur;
    next.role_ids = ids1(x->a, x->r_power);
    EXPECT_FAIL(gh_core_user_update(&ca, &next, 0, &out), ca, GH_EFORBIDDEN, "role_ids");
    next.role_ids = ids1(x->a, x->r_staff);
    assert_int_equal(gh_core_user_update(&ca, &next, cur.version, &out), GH_OK);
    in = new_user("powerful", x->p1);
    in.user.role_ids = ids1(x->a, x->r_power);
    int64_t powerful = create_user_as(x, &x->sys, &in);
    assert_int_equal(gh_core_user_get(&ca, powerful, &cur), GH_OK);
    cur.email = "hijack@example.com";
    EXPECT_FAIL(gh_core_user_update(&ca, &cur, 0, &out), ca, GH_EFORBIDDEN, NULL);
    /* another provider's user does not exist for it */
    in = new_user("p2.person", x->p2);
    int64_t other = create_user_as(x, &x->sys, &in);
    EXPECT_FAIL(gh_core_user_get(&ca, other, &cur), ca, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_core_user_get(&c, other, &cur), GH_OK);
    EXPECT_FAIL(gh_core_user_update(&ca, &cur, 0, &out), ca, GH_ENOTFOUND, NULL);
}

static void user_lifecycle(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_user got, out;
    gh_audit_entry *rows = NULL;
    gh_user_create in = new_user("gina", x->p1);
    int64_t invited = create_user_as(x, &x->sys, &in);
    in = new_user("hank", x->p1);
    in.password = "a long enough password";
    int64_t active = create_user_as(x, &x->sys, &in);

    /* invited: disable, then enable goes back to invited (never had a password) */
    assert_int_equal(gh_core_user_act(&c, invited, GH_USER_DISABLE), GH_OK);
    assert_string_equal(status_of(x, invited), "disabled");
    assert_int_equal(audit_rows(x, "user.disable", invited, &rows), 1);
    assert_non_null(strstr(rows[0].before_json, "\"status\":\"invited\""));
    assert_non_null(strstr(rows[0].after_json, "\"status\":\"disabled\""));
    assert_int_equal(gh_core_user_act(&c, invited, GH_USER_DISABLE), GH_OK); /* idempotent */
    assert_int_equal(audit_rows(x, "user.disable", invited, &rows), 1);
    assert_int_equal(gh_core_user_act(&c, invited, GH_USER_ENABLE), GH_OK);
    assert_string_equal(status_of(x, invited), "invited");
    assert_int_equal(audit_rows(x, "user.enable", invited, &rows), 1);

    /* active: back to active */
    assert_int_equal(gh_core_user_act(&c, active, GH_USER_ENABLE), GH_OK); /* already */
    assert_int_equal(audit_rows(x, "user.enable", active, &rows), 0);
    assert_int_equal(gh_core_user_act(&c, active, GH_USER_DISABLE), GH_OK);
    assert_string_equal(status_of(x, active), "disabled");
    assert_int_equal(gh_core_user_act(&c, active, GH_USER_ENABLE), GH_OK);
    assert_string_equal(status_of(x, active), "active");

    /* delete: a tombstone for reads, gone for actions and edits, the name stays taken */
    assert_int_equal(gh_core_user_act(&c, active, GH_USER_DELETE), GH_OK);
    assert_string_equal(status_of(x, active), "deleted");
    assert_int_equal(audit_rows(x, "user.delete", active, &rows), 1);
    assert_int_equal(gh_core_user_get(&c, active, &got), GH_OK);
    assert_int_equal(got.status, GH_STATUS_DELETED);
    EXPECT_FAIL(gh_core_user_by_username(&c, "hank", &got), c, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_user_act(&c, active, GH_USER_ENABLE), c, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_user_act(&c, active, GH_USER_DELETE), c, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_store_user_get(x->db, x->a, active, &got), GH_OK);
    got.first_name = "Zombie";
    EXPECT_FAIL(gh_core_user_update(&c, &got, 0, &out), c, GH_ENOTFOUND, NULL);
    assert_true(taken(x, "hank"));
    in = new_user("Hank", 0);
    EXPECT_FAIL(gh_core_user_create(&c, &in, &out, NULL), c, GH_ECONFLICT, "username");
    gh_user_page page;
    assert_int_equal(gh_core_user_list(&c, &(gh_user_filter){.limit = 50}, &page), GH_OK);
    for (size_t i = 0; i < page.n; i++)
        assert_int_not_equal(page.items[i].id, active);
    EXPECT_FAIL(gh_core_user_act(&c, 99999, GH_USER_DISABLE), c, GH_ENOTFOUND, NULL);
}

static void user_acts_on_itself_and_others(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->admin);
    size_t rows = audit_total(x);
    EXPECT_FAIL(gh_core_user_act(&c, x->admin_id, GH_USER_DISABLE), c, GH_ECONFLICT, "id");
    EXPECT_FAIL(gh_core_user_act(&c, x->admin_id, GH_USER_DELETE), c, GH_ECONFLICT, "id");
    assert_string_equal(status_of(x, x->admin_id), "invited");
    assert_int_equal(audit_total(x), rows);

    /* out of scope: not found; more powerful: forbidden */
    gh_user_create in = new_user("p2.someone", x->p2);
    int64_t other = create_user_as(x, &x->sys, &in);
    EXPECT_FAIL(gh_core_user_act(&c, other, GH_USER_DISABLE), c, GH_ENOTFOUND, NULL);
    assert_string_equal(status_of(x, other), "invited");
    in = new_user("p1.powerful", x->p1);
    in.user.group_ids = ids1(x->a, x->g_power);
    int64_t powerful = create_user_as(x, &x->sys, &in);
    EXPECT_FAIL(gh_core_user_act(&c, powerful, GH_USER_DISABLE), c, GH_EFORBIDDEN, NULL);
    assert_string_equal(status_of(x, powerful), "invited");
    /* the account admin cannot act on the provider admin */
    gh_ctx ca = ctx_as(x, &x->acc_admin);
    EXPECT_FAIL(gh_core_user_act(&ca, x->admin_id, GH_USER_DISABLE), ca, GH_ENOTFOUND, NULL);
    rows += 2; /* the two creations */
    assert_int_equal(audit_total(x), rows);

    /* but may act on a user within its scope */
    in = new_user("p1.plain", x->p1);
    int64_t plain = create_user_as(x, &x->sys, &in);
    assert_int_equal(gh_core_user_act(&c, plain, GH_USER_DISABLE), GH_OK);
    gh_audit_entry *audit = NULL;
    assert_int_equal(audit_rows(x, "user.disable", plain, &audit), 1);
    assert_int_equal(audit[0].actor_id, x->admin_id);
}

static void user_list_is_scoped(void **state)
{
    fx *x = *state;
    gh_user_create in = new_user("p2.listed", x->p2);
    create_user_as(x, &x->sys, &in);
    gh_ctx c = ctx_as(x, &x->admin);
    gh_user_page page;
    assert_int_equal(gh_core_user_list(&c, &(gh_user_filter){.limit = 50}, &page), GH_OK);
    assert_int_equal(page.n, 2); /* p1.admin and acc.admin */
    for (size_t i = 0; i < page.n; i++)
        assert_int_equal(page.items[i].provider_id, x->p1);
    c = ctx_as(x, &x->sys);
    assert_int_equal(gh_core_user_list(&c, &(gh_user_filter){.limit = 50}, &page), GH_OK);
    assert_int_equal(page.n, 3);
}

/* ---- tenants ---- */

static void tenant_rules(void **state)
{
    fx *x = *state;
    gh_tenant out;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_ctx ca = ctx_as(x, &x->admin);
    gh_ctx cc = ctx_as(x, &x->acc_admin);
    gh_audit_entry *rows = NULL;

    /* providers: the platform only */
    gh_tenant in = {.kind = GH_TENANT_SERVICE_PROVIDER, .name = "P3"};
    assert_int_equal(gh_core_tenant_create(&c, &in, &out), GH_OK);
    assert_int_equal(out.kind, GH_TENANT_SERVICE_PROVIDER);
    assert_int_equal(out.parent_id, 0);
    assert_int_equal(audit_rows(x, "tenant.create", out.id, &rows), 1);
    assert_int_equal(rows[0].provider_id, out.id);
    assert_non_null(strstr(rows[0].after_json, "\"name\":\"P3\""));
    in.name = "P4";
    EXPECT_FAIL(gh_core_tenant_create(&ca, &in, &out), ca, GH_EFORBIDDEN, NULL);
    in.parent_id = x->p1;
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "parent_id");

    /* accounts: under a provider, by the platform or that provider's admin */
    in = (gh_tenant){.kind = GH_TENANT_PLATFORM_ACCOUNT, .parent_id = x->p1, .name = "A4"};
    assert_int_equal(gh_core_tenant_create(&ca, &in, &out), GH_OK);
    assert_int_equal(out.parent_id, x->p1);
    assert_int_equal(out.provider_id, x->p1);
    int64_t a4 = out.id;
    assert_int_equal(audit_rows(x, "tenant.create", a4, &rows), 1);
    assert_int_equal(rows[0].actor_id, x->admin_id);
    assert_int_equal(rows[0].provider_id, x->p1);
    in.parent_id = x->p2;
    EXPECT_FAIL(gh_core_tenant_create(&ca, &in, &out), ca, GH_ENOTFOUND, "parent_id");
    in.parent_id = x->a1; /* wrong parent kind */
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "parent_id");
    in.parent_id = 0;
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "parent_id");
    in.parent_id = 99999;
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_ENOTFOUND, "parent_id");
    in.parent_id = x->p1;
    EXPECT_FAIL(gh_core_tenant_create(&cc, &in, &out), cc, GH_EFORBIDDEN, NULL);
    in.name = "A1"; /* taken under P1 */
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_ECONFLICT, "name");
    in.name = "";
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "name");
    in.name = "bad\nname";
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "name");
    in = (gh_tenant){
        .kind = (gh_tenant_kind)7, /* outside the list */ .parent_id = x->p1, .name = "G"};
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "kind");

    /* sub-accounts: under an account, by down to that account's admin */
    in = (gh_tenant){.kind = GH_TENANT_SUB_ACCOUNT, .parent_id = x->a1, .name = "S13"};
    assert_int_equal(gh_core_tenant_create(&cc, &in, &out), GH_OK);
    assert_int_equal(out.parent_id, x->a1);
    assert_int_equal(out.provider_id, x->p1);
    in.parent_id = x->a2;
    EXPECT_FAIL(gh_core_tenant_create(&cc, &in, &out), cc, GH_ENOTFOUND, "parent_id");
    in.parent_id = x->p1; /* wrong parent kind */
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "parent_id");
    in.parent_id = x->s11;
    EXPECT_FAIL(gh_core_tenant_create(&c, &in, &out), c, GH_EINVAL, "parent_id");

    /* rename with versions, delete only when empty */
    gh_tenant got;
    assert_int_equal(gh_core_tenant_rename(&ca, a4, "A4 renamed", 1, &out), GH_OK);
    assert_string_equal(out.name, "A4 renamed");
    assert_int_equal(out.version, 2);
    assert_int_equal(audit_rows(x, "tenant.update", a4, &rows), 1);
    EXPECT_FAIL(gh_core_tenant_rename(&ca, a4, "stale", 1, &out), ca, GH_EPRECOND, NULL);
    EXPECT_FAIL(gh_core_tenant_rename(&ca, x->a3, "not mine", 0, &out), ca, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_tenant_delete(&c, x->a1), c, GH_ECONFLICT, NULL);
    EXPECT_FAIL(gh_core_tenant_delete(&c, x->p2), c, GH_ECONFLICT, NULL);
    assert_int_equal(gh_core_tenant_delete(&ca, a4), GH_OK);
    assert_int_equal(audit_rows(x, "tenant.delete", a4, &rows), 1);
    EXPECT_FAIL(gh_core_tenant_get(&c, a4, &got), c, GH_ENOTFOUND, NULL);
}

/* ---- roles and groups ---- */

static void role_rules(void **state)
{
    fx *x = *state;
    gh_role out, got;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_ctx ca = ctx_as(x, &x->admin);
    gh_audit_entry *rows = NULL;
    gh_role in = {.provider_id = x->p2,
                  .name = "Reader",
                  .description = "reads users",
                  .kind = GH_ROLE_PLATFORM_USER,
                  .permissions = GH_PERM(USERS_READ)};
    EXPECT_FAIL(gh_core_role_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in.provider_id = 0; /* global roles belong to the platform */
    EXPECT_FAIL(gh_core_role_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in.provider_id = x->p1;
    in.permissions = GH_PERM(USERS_READ) | GH_PERM(SETTINGS_UPDATE);
    EXPECT_FAIL(gh_core_role_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "permissions");
    in.permissions = GH_PERM(USERS_READ);
    in.kind = (gh_role_kind)7; /* outside the list */
    EXPECT_FAIL(gh_core_role_create(&ca, &in, &out), ca, GH_EINVAL, "kind");
    in.kind = GH_ROLE_PLATFORM_USER;
    in.name = "P1 user"; /* taken */
    EXPECT_FAIL(gh_core_role_create(&ca, &in, &out), ca, GH_ECONFLICT, "name");
    in.name = "Reader";
    in.kind = GH_ROLE_SERVICE_PROVIDER;
    assert_int_equal(gh_core_role_create(&ca, &in, &out), GH_OK);
    assert_int_equal(out.provider_id, x->p1);
    assert_int_equal(out.permissions, GH_PERM(USERS_READ));
    int64_t reader = out.id;
    assert_int_equal(audit_rows(x, "role.create", reader, &rows), 1);
    assert_int_equal(rows[0].actor_id, x->admin_id);
    assert_int_equal(rows[0].provider_id, x->p1);
    in.provider_id = 99999;
    EXPECT_FAIL(gh_core_role_create(&c, &in, &out), c, GH_EINVAL, "provider_id");
    in.provider_id = x->a1;
    EXPECT_FAIL(gh_core_role_create(&c, &in, &out), c, GH_EINVAL, "provider_id");

    /* update with versions */
    assert_int_equal(gh_core_role_get(&ca, reader, &got), GH_OK);
    got.description = "reads and lists users";
    assert_int_equal(gh_core_role_update(&ca, &got, 1, &out), GH_OK);
    assert_int_equal(out.version, 2);
    assert_int_equal(audit_rows(x, "role.update", reader, &rows), 1);
    EXPECT_FAIL(gh_core_role_update(&ca, &got, 1, &out), ca, GH_EPRECOND, NULL);
    EXPECT_FAIL(gh_core_role_get(&ca, x->r_p2, &got), ca, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_core_role_get(&ca, x->r_power, &got), GH_OK); /* global: visible */
    got.description = "mine now";
    EXPECT_FAIL(gh_core_role_update(&ca, &got, 0, &out), ca, GH_EFORBIDDEN, NULL);

    /* in use: kept */
    EXPECT_FAIL(gh_core_role_delete(&c, x->r_admin), c, GH_ECONFLICT, NULL);
    EXPECT_FAIL(gh_core_role_delete(&c, x->r_power), c, GH_ECONFLICT, NULL); /* via g_power */
    assert_int_equal(gh_core_role_get(&c, x->r_admin, &got), GH_OK);
    gh_user_create u = new_user("reader.user", x->p1);
    u.user.role_ids = ids1(x->a, reader);
    int64_t uid = create_user_as(x, &x->admin, &u);
    EXPECT_FAIL(gh_core_role_delete(&ca, reader), ca, GH_ECONFLICT, NULL);
    assert_int_equal(gh_core_user_act(&ca, uid, GH_USER_DELETE), GH_OK);
    /* a deleted user gives up its roles, so the role is free to go */
    assert_int_equal(gh_core_role_delete(&ca, reader), GH_OK);

    /* unused: deleted, recorded */
    in.name = "Temporary";
    in.provider_id = x->p1;
    assert_int_equal(gh_core_role_create(&ca, &in, &out), GH_OK);
    EXPECT_FAIL(gh_core_role_delete(&ca, x->r_p2), ca, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_core_role_delete(&ca, out.id), GH_OK);
    assert_int_equal(audit_rows(x, "role.delete", out.id, &rows), 1);
    assert_non_null(strstr(rows[0].before_json, "\"name\":\"Temporary\""));
    EXPECT_FAIL(gh_core_role_get(&c, out.id, &got), c, GH_ENOTFOUND, NULL);
}

static void group_rules(void **state)
{
    fx *x = *state;
    gh_group out, got;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_ctx ca = ctx_as(x, &x->admin);
    gh_audit_entry *rows = NULL;
    gh_group in = {.provider_id = x->p1,
                   .name = "Helpdesk",
                   .description = "",
                   .role_ids = ids1(x->a, x->r_power)};
    EXPECT_FAIL(gh_core_group_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "role_ids");
    in.role_ids = ids1(x->a, x->r_p2);
    EXPECT_FAIL(gh_core_group_create(&ca, &in, &out), ca, GH_EINVAL, "role_ids");
    in.role_ids = ids1(x->a, x->r_user);
    in.provider_id = x->p2;
    EXPECT_FAIL(gh_core_group_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in.provider_id = x->p1;
    assert_int_equal(gh_core_group_create(&ca, &in, &out), GH_OK);
    assert_int_equal(audit_rows(x, "group.create", out.id, &rows), 1);
    int64_t id = out.id;
    assert_int_equal(gh_core_group_get(&ca, id, &got), GH_OK);
    got.name = "Helpdesk 2";
    assert_int_equal(gh_core_group_update(&ca, &got, 1, &out), GH_OK);
    assert_int_equal(out.version, 2);
    EXPECT_FAIL(gh_core_group_update(&ca, &got, 1, &out), ca, GH_EPRECOND, NULL);
    assert_int_equal(audit_rows(x, "group.update", id, &rows), 1);
    assert_int_equal(gh_core_group_delete(&ca, id), GH_OK);
    assert_int_equal(audit_rows(x, "group.delete", id, &rows), 1);
    EXPECT_FAIL(gh_core_group_get(&c, id, &got), c, GH_ENOTFOUND, NULL);
}

static void admin_and_token_create(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_audit_entry *rows = NULL;
    int64_t id = 0;
    EXPECT_FAIL(
        gh_core_admin_create(&c, "-root", "root@example.com", "a long enough password", NULL, &id),
        c, GH_EINVAL, "username");
    EXPECT_FAIL(gh_core_admin_create(&c, "root", "root", "a long enough password", NULL, &id), c,
                GH_EINVAL, "email");
    EXPECT_FAIL(gh_core_admin_create(&c, "root", "root@example.com", "short", NULL, &id), c,
                GH_EINVAL, "password");
    assert_false(taken(x, "root"));
    assert_int_equal(
        gh_core_admin_create(&c, "root", "root@example.com", "a long enough password", NULL, &id),
        GH_OK);
    gh_principal p;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, id, &p), GH_OK);
    assert_true(p.superadmin);
    assert_int_equal(p.access.level, GH_ACCESS_PLATFORM);
    assert_string_equal(status_of(x, id), "active");
    assert_int_equal(audit_rows(x, "admin.create", id, &rows), 1);
    assert_null(strstr(rows[0].after_json, "argon2"));
    EXPECT_FAIL(
        gh_core_admin_create(&c, "ROOT", "root@example.com", "a long enough password", NULL, &id),
        c, GH_ECONFLICT, "username");

    /* a token: shown once, only its hash kept, recorded */
    char *token = NULL;
    int64_t tid = 0;
    assert_int_equal(gh_core_token_create(&c, "Root", "ci", 3600, &token, &tid), GH_OK);
    assert_true(tid > 0);
    assert_non_null(token);
    assert_int_equal(strncmp(token, "gh_", 3), 0);
    assert_int_equal(audit_rows(x, "token.create", id, &rows), 1);
    assert_int_equal(gh_token_authenticate(NULL, x->db, x->a, token, 1000, &p), GH_OK);
    assert_int_equal(p.user_id, id);
    assert_int_equal(gh_token_authenticate(NULL, x->db, x->a, token, 1000 + 3600, &p), GH_EUNAUTH);
    assert_int_equal(gh_token_authenticate(NULL, x->db, x->a, "gh_not-a-token", 1000, &p),
                     GH_EUNAUTH);
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(
        gh_db_prepare(x->db, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", &st), GH_OK);
    gh_stmt_bind_text(st, 1, token);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_int_equal(gh_stmt_int(st, 0), 0); /* the token itself is not stored */
    gh_stmt_done(st);
    EXPECT_FAIL(gh_core_token_create(&c, "nobody", "ci", 0, &token, &tid), c, GH_ENOTFOUND, "user");
    EXPECT_FAIL(gh_core_token_create(&c, "p1.admin", "ci", 0, &token, &tid), c, GH_ECONFLICT,
                "user");
}

static void audit_denied_and_scope(void **state)
{
    fx *x = *state;
    gh_ctx ca = ctx_as(x, &x->admin);
    gh_core_audit_denied(&ca, "settings.update");
    gh_audit_entry *rows = NULL;
    assert_int_equal(audit_rows(x, "settings.update", 0, &rows), 1);
    assert_string_equal(rows[0].outcome, "denied");
    assert_int_equal(rows[0].actor_id, x->admin_id);
    assert_int_equal(rows[0].provider_id, x->p1);

    /* the provider admin reads its provider's trail only */
    size_t n = 0;
    gh_audit_filter f = {.limit = 100};
    assert_int_equal(gh_core_audit_list(&ca, &f, &rows, &n), GH_OK);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].provider_id, x->p1);
    gh_ctx c = ctx_as(x, &x->sys);
    size_t all = 0;
    assert_int_equal(gh_core_audit_list(&c, &f, &rows, &all), GH_OK);
    assert_true(all > n);
}

/* The reads behind the session and "me" pages and the checks before a password change, and the
 * CLI's look-ups by username (core/account.c, gh_core_user_by_username, tokens by username). */
static void own_account_reads(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    int64_t id = 0;
    assert_int_equal(
        gh_core_admin_create(&c, "root", "root@example.com", "a long enough password", NULL, &id),
        GH_OK);
    gh_principal p;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, id, &p), GH_OK);
    gh_ctx me = ctx_as(x, &p);

    /* before sign-in is finished: the next step and the language only (S9) */
    gh_session sess = {.id = 1, .user_id = id, .stage = GH_STAGE_TOTP};
    gh_whoami w;
    assert_int_equal(gh_core_session_whoami(&me, &sess, &w), GH_OK);
    assert_int_equal(w.next, GH_STAGE_TOTP);
    assert_false(w.signed_in);
    assert_string_equal(w.language, "en");
    assert_int_equal(w.user.id, 0);
    assert_int_equal(w.permissions, 0);
    sess.stage = GH_STAGE_DONE;
    assert_int_equal(gh_core_session_whoami(&me, &sess, &w), GH_OK);
    assert_true(w.signed_in);
    assert_int_equal(w.user.id, id);
    assert_int_equal(w.permissions, gh_perm_effective(&p));

    gh_totp_state t = {.enrolled = true, .pending = true};
    assert_int_equal(gh_core_totp_state(&me, &t), GH_OK);
    assert_false(t.enrolled);
    assert_false(t.pending);
    const char *hash = "unset";
    assert_int_equal(gh_core_totp_reauth_hash(&me, true, &hash), GH_OK);
    assert_null(hash); /* no device enrolled: no password check */

    /* own change: policy, then the same password refused; forced change: the hash to compare */
    EXPECT_FAIL(gh_core_password_change_prepare(&me, "short", "a long enough password", &hash), me,
                GH_EINVAL, "password");
    EXPECT_FAIL(gh_core_password_change_prepare(&me, "a long enough password",
                                                "a long enough password", &hash),
                me, GH_EINVAL, "password");
    assert_string_equal(me.err_detail, GH_PASSWORD_SAME);
    hash = NULL;
    assert_int_equal(gh_core_password_change_prepare(&me, "another long enough phrase",
                                                     "a long enough password", &hash),
                     GH_OK);
    assert_int_equal(strncmp(hash, "$argon2", 7), 0);
    hash = NULL;
    assert_int_equal(gh_core_forced_change_prepare(&me, "another long enough phrase", &hash),
                     GH_OK);
    assert_non_null(hash);

    /* an invited user has no password yet */
    gh_user_create in = new_user("invitee", x->p1);
    int64_t invitee = create_user_as(x, &x->sys, &in);
    gh_principal ip;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, invitee, &ip), GH_OK);
    gh_ctx ic = ctx_as(x, &ip);
    EXPECT_FAIL(
        gh_core_password_change_prepare(&ic, "another long enough phrase", "whatever it is", &hash),
        ic, GH_ECONFLICT, NULL);
    hash = "unset";
    assert_int_equal(gh_core_forced_change_prepare(&ic, "another long enough phrase", &hash),
                     GH_OK);
    assert_null(hash);

    /* the CLI's look-ups by username */
    gh_user u;
    assert_int_equal(gh_core_user_by_username(&c, "invitee", &u), GH_OK);
    assert_int_equal(u.id, invitee);
    assert_int_equal(gh_core_user_by_username(&c, "nobody", &u), GH_ENOTFOUND);
    gh_api_token *items = NULL;
    size_t n = 1;
    assert_int_equal(gh_core_token_list_by_username(&c, "invitee", &items, &n), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_core_token_list_by_username(&c, NULL, &items, &n), GH_OK);
    EXPECT_FAIL(gh_core_token_list_by_username(&c, "nobody", &items, &n), c, GH_ENOTFOUND, "user");
}

/* An active user with a stored password hash, straight through the store (sign-in reads it). */
static int64_t signin_user(fx *x, const char *username, bool must_change, bool mfa_required,
                           bool enrolled)
{
    gh_user u = new_user(username, x->p1).user;
    u.status = GH_STATUS_ACTIVE;
    u.password_hash = "stored-hash";
    u.created_at = 1000;
    int64_t id = 0;
    assert_int_equal(gh_store_user_insert(x->db, &u, &id), GH_OK);
    assert_int_equal(gh_store_set_must_change(x->db, id, must_change), GH_OK);
    if (mfa_required)
        assert_int_equal(gh_store_set_mfa_required(x->db, id), GH_OK);
    if (enrolled) {
        char hash[65];
        gh_recovery_code_hash("recover-me-1", hash);
        const char *hashes[] = {hash};
        assert_int_equal(gh_store_totp_pending(x->db, id, "sealed"), GH_OK);
        assert_int_equal(gh_store_totp_confirm(x->db, id, 0), GH_OK);
        assert_int_equal(gh_store_recovery_replace(x->db, id, hashes, 1), GH_OK);
    }
    return id;
}

/* The password step (the Argon2id check taken as passed): the first stage, stored with the
 * session. */
static gh_signin_stage signin_password(fx *x, const char *username, gh_signin_result *out)
{
    gh_ctx c = ctx_as(x, &x->sys);
    gh_signin s;
    assert_int_equal(gh_signin_begin(&c, username, &s), GH_OK);
    assert_true(s.found);
    assert_int_equal(gh_signin_finish(&c, &s, true, NULL, "agent", out), GH_OK);
    assert_non_null(out->token);
    return out->next;
}

/* The session as the next request sees it: its stage as stored. */
static gh_session signin_reload(fx *x, const gh_signin_result *r)
{
    gh_session s;
    gh_principal p;
    assert_int_equal(
        gh_session_authenticate(NULL, &gh_signin_defaults, x->db, x->a, r->token, 1000, &s, &p),
        GH_OK);
    assert_int_equal(s.id, r->session.id);
    return s;
}

/* Sign-in stages (A13): password, then those of totp, change_password and enroll_totp that
 * apply, in that order, then done; a step is accepted only at its own stage, so none is
 * skipped, and a refused step leaves the stage where it was. */
static void signin_stage_order(void **state)
{
    fx *x = *state;
    gh_ctx c = ctx_as(x, &x->sys);
    gh_signin_result r;
    gh_signin_stage next = GH_STAGE_PASSWORD;
    gh_session s;

    signin_user(x, "plain", false, false, false);
    assert_int_equal(signin_password(x, "plain", &r), GH_STAGE_DONE);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_DONE);
    /* a finished session passes no step again */
    s = signin_reload(x, &r);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_EUNAUTH);
    assert_int_equal(gh_signin_password_changed(&c, &s, "new-hash", &next), GH_EFORBIDDEN);

    /* a wrong password opens nothing */
    gh_signin bad;
    gh_signin_result none = {.token = NULL};
    assert_int_equal(gh_signin_begin(&c, "plain", &bad), GH_OK);
    assert_int_equal(gh_signin_finish(&c, &bad, false, NULL, "agent", &none), GH_EUNAUTH);
    assert_null(none.token);

    /* change_password, then done */
    signin_user(x, "must.change", true, false, false);
    assert_int_equal(signin_password(x, "must.change", &r), GH_STAGE_CHANGE_PASSWORD);
    s = signin_reload(x, &r);
    assert_int_equal(s.stage, GH_STAGE_CHANGE_PASSWORD);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_EUNAUTH);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_CHANGE_PASSWORD);
    assert_int_equal(gh_signin_password_changed(&c, &s, "new-hash", &next), GH_OK);
    assert_int_equal(next, GH_STAGE_DONE);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_DONE);

    /* required but not enrolled: change_password, then enroll_totp, never straight to done */
    signin_user(x, "required", true, true, false);
    assert_int_equal(signin_password(x, "required", &r), GH_STAGE_CHANGE_PASSWORD);
    s = signin_reload(x, &r);
    assert_int_equal(gh_signin_password_changed(&c, &s, "new-hash", &next), GH_OK);
    assert_int_equal(next, GH_STAGE_ENROLL_TOTP);
    s = signin_reload(x, &r);
    assert_int_equal(s.stage, GH_STAGE_ENROLL_TOTP);
    assert_int_equal(gh_signin_password_changed(&c, &s, "newer-hash", &next), GH_EFORBIDDEN);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_EUNAUTH);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_ENROLL_TOTP);

    /* enrolled: totp first (before the password change), then change_password, then done */
    signin_user(x, "enrolled", true, true, true);
    assert_int_equal(signin_password(x, "enrolled", &r), GH_STAGE_TOTP);
    s = signin_reload(x, &r);
    assert_int_equal(s.stage, GH_STAGE_TOTP);
    assert_int_equal(gh_signin_password_changed(&c, &s, "new-hash", &next), GH_EFORBIDDEN);
    assert_int_equal(gh_signin_totp(&c, &s, "wrong-code", &next), GH_EUNAUTH);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_TOTP);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_OK);
    assert_int_equal(next, GH_STAGE_CHANGE_PASSWORD); /* enrolled: no enroll_totp */
    s = signin_reload(x, &r);
    assert_int_equal(s.stage, GH_STAGE_CHANGE_PASSWORD);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_EUNAUTH); /* passed */
    assert_int_equal(gh_signin_password_changed(&c, &s, "new-hash", &next), GH_OK);
    assert_int_equal(next, GH_STAGE_DONE);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_DONE);

    /* enrolled only: totp, then done */
    signin_user(x, "enrolled.only", false, false, true);
    assert_int_equal(signin_password(x, "enrolled.only", &r), GH_STAGE_TOTP);
    s = signin_reload(x, &r);
    assert_int_equal(gh_signin_totp(&c, &s, "recover-me-1", &next), GH_OK);
    assert_int_equal(next, GH_STAGE_DONE);
    assert_int_equal(signin_reload(x, &r).stage, GH_STAGE_DONE);
}

/* ---- SSO sources ---- */

static void validate_sso_fields(void **state)
{
    char slug63[64], slug64[65], claim64[66], claim65[67];
    memset(slug63, 'a', 63);
    slug63[63] = '\0';
    memset(slug64, 'a', 64);
    slug64[64] = '\0';
    memset(claim64, 'c', 64);
    claim64[64] = '\0';
    memset(claim65, 'c', 65);
    claim65[65] = '\0';
    const char *const slug_ok[] = {"okta", "a", "9", "azure-ad", "corp-2", "a-", slug63, NULL};
    const char *const slug_bad[] = {"",         "-a",  "Okta", "a_b", "a b", "a.b",
                                    "\xc3\xa9", "a/b", slug64, "a\n", NULL};
    check_list(gh_valid_slug, slug_ok, slug_bad, "slug");
    const char *const claim_ok[] = {"sub",   "email", "preferred_username", "oid", "X_1",
                                    claim64, NULL};
    const char *const claim_bad[] = {"", "a-b", "a.b", "a b", "\xc3\xa9", "sub\n", claim65, NULL};
    check_list(gh_valid_claim_name, claim_ok, claim_bad, "claim");
    const char *const scopes_ok[] = {"openid", "openid email profile", "email openid",
                                     "openid api://x/.default", NULL};
    const char *const scopes_bad[] = {"",
                                      "email profile",
                                      "openid  email",
                                      " openid",
                                      "openid ",
                                      "openid\temail",
                                      "openid email email",
                                      "openid openid",
                                      "openid \"x\"",
                                      "openid a\\b",
                                      "openidx",
                                      "openid \xc3\xa9",
                                      NULL};
    check_list(gh_valid_scopes, scopes_ok, scopes_bad, "scopes");

    const char *const iss_ok[] = {"https://login.example.com",
                                  "https://login.example.com/",
                                  "https://login.example.com:8443/realms/corp",
                                  "HTTPS://Login.Example.com/x",
                                  "http://127.0.0.1:9000",
                                  "http://localhost:3000/oidc",
                                  "http://[::1]:8080",
                                  "https://[2001:db8::1]/",
                                  NULL};
    const char *const iss_bad[] = {"",
                                   "login.example.com",
                                   "//login.example.com",
                                   "http://login.example.com",
                                   "http://127.0.0.1.example.com",
                                   "http://localhost.example.com",
                                   "http://[::2]/",
                                   "ftp://login.example.com",
                                   "javascript:alert(1)",
                                   "https://user@login.example.com",
                                   "https://user:pw@login.example.com",
                                   "https://login.example.com?x=1",
                                   "https://login.example.com/?",
                                   "https://login.example.com#frag",
                                   "https://login.example.com/#",
                                   "https://login.example.com/a b",
                                   "https://login.example.com/\n",
                                   "https://login.example.com\\@evil.com",
                                   "https://log\xc3\xafn.example.com",
                                   "https:///path",
                                   "https:/login.example.com",
                                   "https:login.example.com",
                                   "https:////login.example.com",
                                   "https://",
                                   NULL};
    /* what core stores as an issuer: gh_oidc_check_issuer with http allowed to loopback hosts */
    const gh_oidc_net stored = {.allow_loopback = true};
    char why[128];
    for (const char *const *v = iss_ok; *v != NULL; v++)
        if (gh_oidc_check_issuer(&stored, *v, why, sizeof why) != GH_OK)
            fail_msg("issuer: rejected \"%s\" (%s)", *v, why);
    for (const char *const *v = iss_bad; *v != NULL; v++)
        if (gh_oidc_check_issuer(&stored, *v, why, sizeof why) == GH_OK)
            fail_msg("issuer: accepted \"%s\"", *v);
}

static const unsigned char sso_key[GH_SECRET_KEY_BYTES] = {1, 2, 3};

/* A context for who whose configuration has a secret key. */
static gh_ctx sso_ctx(fx *x, const gh_principal *who, gh_signin_config *cfg)
{
    *cfg = gh_signin_defaults;
    cfg->secret_key = sso_key;
    gh_ctx c = ctx_as(x, who);
    c.signin = cfg;
    return c;
}

static gh_sso_write sso_in(const char *name, int64_t provider, bool given)
{
    return (gh_sso_write){.source = {.name = name,
                                     .display_name = "Corp IdP",
                                     .issuer = "https://idp.example.com",
                                     .client_id = "gatehouse",
                                     .provider_id = provider},
                          .client_secret = "s3cret-value",
                          .provider_given = given};
}

static void sso_create_rules(void **state)
{
    fx *x = *state;
    gh_signin_config cfg;
    gh_ctx c = sso_ctx(x, &x->sys, &cfg), ca = sso_ctx(x, &x->admin, &cfg),
           cc = sso_ctx(x, &x->acc_admin, &cfg);
    gh_sso_source out;
    gh_audit_entry *rows = NULL;

    /* no secret key: a clear internal error, nothing written */
    gh_ctx nokey = ctx_as(x, &x->sys);
    gh_sso_write in = sso_in("corp", 0, false);
    EXPECT_FAIL(gh_core_sso_create(&nokey, &in, &out), nokey, GH_EINTERNAL, NULL);
    assert_non_null(strstr(nokey.err_detail, "secret key"));

    /* the platform: defaults, a platform source, sealed secret, audited without it */
    assert_int_equal(gh_core_sso_create(&c, &in, &out), GH_OK);
    assert_int_equal(out.provider_id, 0);
    assert_string_equal(out.scopes, "openid email profile");
    assert_string_equal(out.claim, "sub");
    assert_false(out.trust_idp_mfa);
    assert_false(out.rp_logout);
    assert_true(out.has_client_secret);
    assert_null(out.client_secret_sealed);
    assert_int_equal(out.version, 1);
    assert_int_equal(out.created_at, 1000);
    assert_int_equal(audit_rows(x, "sso_source.create", out.id, &rows), 1);
    assert_string_equal(rows[0].target_type, "sso_source");
    assert_int_equal(rows[0].provider_id, 0);
    assert_null(rows[0].before_json);
    assert_non_null(strstr(rows[0].after_json, "\"client_secret_set\":true"));
    assert_null(strstr(rows[0].after_json, "s3cret"));
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(
        gh_db_prepare(x->db, "SELECT client_secret_sealed FROM sso_sources WHERE id = ?", &st),
        GH_OK);
    gh_stmt_bind_int(st, 1, out.id);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    char *sealed = gh_stmt_text(st, 0, x->a);
    gh_stmt_done(st);
    assert_null(strstr(sealed, "s3cret"));
    unsigned char plain[64];
    size_t n = 0;
    assert_int_equal(gh_unseal(sso_key, sealed, plain, sizeof plain, &n), GH_OK);
    assert_int_equal(n, strlen("s3cret-value"));
    assert_memory_equal(plain, "s3cret-value", n);
    EXPECT_FAIL(gh_core_sso_create(&c, &in, &out), c, GH_ECONFLICT, "name");

    /* a provider admin: its own provider by default, no other and no platform source (C10) */
    in = sso_in("p1-idp", 0, false);
    assert_int_equal(gh_core_sso_create(&ca, &in, &out), GH_OK);
    assert_int_equal(out.provider_id, x->p1);
    assert_int_equal(audit_rows(x, "sso_source.create", out.id, &rows), 1);
    assert_int_equal(rows[0].provider_id, x->p1);
    assert_int_equal(rows[0].actor_id, x->admin_id);
    in = sso_in("p1-idp-2", x->p1, true);
    assert_int_equal(gh_core_sso_create(&ca, &in, &out), GH_OK);
    in = sso_in("p2-idp", x->p2, true);
    EXPECT_FAIL(gh_core_sso_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in = sso_in("p2-idp", 99999, true); /* the same answer as for another provider (C9) */
    EXPECT_FAIL(gh_core_sso_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in = sso_in("plat-idp", 0, true);
    EXPECT_FAIL(gh_core_sso_create(&ca, &in, &out), ca, GH_EFORBIDDEN, "provider_id");
    in = sso_in("acc-idp", 0, false); /* below provider level: none */
    EXPECT_FAIL(gh_core_sso_create(&cc, &in, &out), cc, GH_EFORBIDDEN, NULL);
    /* the platform names a provider that must be one */
    in = sso_in("p2-idp", x->a1, true);
    EXPECT_FAIL(gh_core_sso_create(&c, &in, &out), c, GH_EINVAL, "provider_id");
    in = sso_in("p2-idp", 99999, true);
    EXPECT_FAIL(gh_core_sso_create(&c, &in, &out), c, GH_EINVAL, "provider_id");
    in = sso_in("p2-idp", x->p2, true);
    assert_int_equal(gh_core_sso_create(&c, &in, &out), GH_OK);
    assert_int_equal(out.provider_id, x->p2);

    /* every field is checked and named */
    static const struct {
        const char *field, *value;
    } bad[] = {
        {"name", "Bad Name"},     {"name", ""},
        {"display_name", ""},     {"display_name", "a\nb"},
        {"display_name", "\xff"}, {"issuer", "http://idp.example.com"},
        {"issuer", "idp"},        {"issuer", "https://idp.example.com?q"},
        {"client_id", ""},        {"client_id", "caf\xc3\xa9"},
        {"client_secret", ""},    {"client_secret", "a\nb"},
        {"scopes", "email"},      {"scopes", ""},
        {"claim", "e-mail"},      {"claim", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gh_sso_write w = sso_in("fresh", 0, false);
        const char **slot = strcmp(bad[i].field, "name") == 0            ? &w.source.name
                            : strcmp(bad[i].field, "display_name") == 0  ? &w.source.display_name
                            : strcmp(bad[i].field, "issuer") == 0        ? &w.source.issuer
                            : strcmp(bad[i].field, "client_id") == 0     ? &w.source.client_id
                            : strcmp(bad[i].field, "client_secret") == 0 ? &w.client_secret
                            : strcmp(bad[i].field, "scopes") == 0        ? &w.source.scopes
                                                                         : &w.source.claim;
        *slot = bad[i].value;
        EXPECT_FAIL(gh_core_sso_create(&c, &w, &out), c, GH_EINVAL, bad[i].field);
    }
    char long_name[102];
    memset(long_name, 'x', 101);
    long_name[101] = '\0';
    in = sso_in("fresh", 0, false);
    in.source.display_name = long_name;
    EXPECT_FAIL(gh_core_sso_create(&c, &in, &out), c, GH_EINVAL, "display_name");
    long_name[100] = '\0'; /* 100 characters are fine */
    assert_int_equal(gh_core_sso_create(&c, &in, &out), GH_OK);
    in = sso_in("fresh-2", 0, false);
    in.client_secret = NULL;
    EXPECT_FAIL(gh_core_sso_create(&c, &in, &out), c, GH_EINVAL, "client_secret");
}

static void sso_scope_and_changes(void **state)
{
    fx *x = *state;
    gh_signin_config cfg;
    gh_ctx c = sso_ctx(x, &x->sys, &cfg), ca = sso_ctx(x, &x->admin, &cfg),
           cc = sso_ctx(x, &x->acc_admin, &cfg);
    gh_sso_source plat, mine, theirs, got, out;
    gh_audit_entry *rows = NULL;
    gh_sso_write in = sso_in("plat", 0, false);
    assert_int_equal(gh_core_sso_create(&c, &in, &plat), GH_OK);
    in = sso_in("mine", x->p1, true);
    in.source.display_name = "B mine";
    assert_int_equal(gh_core_sso_create(&c, &in, &mine), GH_OK);
    in = sso_in("theirs", x->p2, true);
    in.source.display_name = "A theirs";
    assert_int_equal(gh_core_sso_create(&c, &in, &theirs), GH_OK);

    /* reads: outside the scope answers like a missing id */
    assert_int_equal(gh_core_sso_get(&ca, mine.id, &got), GH_OK);
    assert_string_equal(got.name, "mine");
    EXPECT_FAIL(gh_core_sso_get(&ca, theirs.id, &got), ca, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_sso_get(&ca, plat.id, &got), ca, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_sso_get(&ca, 99999, &got), ca, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_sso_get(&cc, mine.id, &got), cc, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_core_sso_get(&c, theirs.id, &got), GH_OK);

    /* lists */
    gh_sso_source *items = NULL;
    size_t n = 0;
    assert_int_equal(gh_core_sso_list(&c, 0, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(gh_core_sso_list(&c, -1, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, plat.id);
    assert_int_equal(gh_core_sso_list(&c, x->p2, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, theirs.id);
    assert_int_equal(gh_core_sso_list(&ca, 0, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, mine.id);
    assert_int_equal(gh_core_sso_list(&ca, x->p1, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(gh_core_sso_list(&ca, x->p2, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_core_sso_list(&ca, -1, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_core_sso_list(&cc, 0, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 0);
    /* the sign-in page's, needing no principal: every source by display name */
    gh_ctx anon = ctx_as(x, NULL);
    assert_int_equal(gh_core_sso_public(&anon, 0, &items, &n), GH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].id, theirs.id);
    assert_int_equal(items[1].id, mine.id);
    assert_int_equal(items[2].id, plat.id);

    /* update: versions, fields checked, name and provider fixed, the secret replaced only when
     * given, audited before and after */
    gh_sso_write up = {.source = mine};
    up.source.display_name = "Mine, renamed";
    up.source.scopes = "openid email";
    up.source.claim = "email";
    up.source.trust_idp_mfa = true;
    assert_int_equal(gh_core_sso_update(&ca, &up, 1, &out), GH_OK);
    assert_string_equal(out.display_name, "Mine, renamed");
    assert_string_equal(out.claim, "email");
    assert_true(out.trust_idp_mfa);
    assert_int_equal(out.version, 2);
    assert_int_equal(audit_rows(x, "sso_source.update", mine.id, &rows), 1);
    assert_non_null(strstr(rows[0].before_json, "\"display_name\":\"B mine\""));
    assert_non_null(strstr(rows[0].after_json, "\"display_name\":\"Mine, renamed\""));
    assert_int_equal(rows[0].provider_id, x->p1);
    EXPECT_FAIL(gh_core_sso_update(&ca, &up, 1, &out), ca, GH_EPRECOND, NULL);
    up.source.claim = "not a claim";
    EXPECT_FAIL(gh_core_sso_update(&ca, &up, 0, &out), ca, GH_EINVAL, "claim");
    up.source.claim = "sub";
    up.source.name = "renamed";
    EXPECT_FAIL(gh_core_sso_update(&ca, &up, 0, &out), ca, GH_EINVAL, "name");
    up.source.name = "mine";
    up.source.provider_id = x->p2;
    EXPECT_FAIL(gh_core_sso_update(&ca, &up, 0, &out), ca, GH_EINVAL, "provider_id");
    up.source.provider_id = x->p1;
    up.client_secret = "rotated";
    gh_ctx nokey = ctx_as(x, &x->admin); /* a new secret needs the key; keeping one does not */
    EXPECT_FAIL(gh_core_sso_update(&nokey, &up, 0, &out), nokey, GH_EINTERNAL, NULL);
    up.client_secret = NULL;
    assert_int_equal(gh_core_sso_update(&nokey, &up, 0, &out), GH_OK);
    up.client_secret = "rotated";
    assert_int_equal(gh_core_sso_update(&ca, &up, 0, &out), GH_OK);
    assert_int_equal(out.version, 4);
    gh_sso_write other = {.source = theirs};
    EXPECT_FAIL(gh_core_sso_update(&ca, &other, 0, &out), ca, GH_ENOTFOUND, NULL);
    other.source = plat;
    EXPECT_FAIL(gh_core_sso_update(&ca, &other, 0, &out), ca, GH_ENOTFOUND, NULL);
    assert_int_equal(audit_rows(x, "sso_source.update", theirs.id, &rows), 0);

    /* delete */
    EXPECT_FAIL(gh_core_sso_delete(&ca, theirs.id), ca, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_sso_delete(&cc, mine.id), cc, GH_ENOTFOUND, NULL);
    assert_int_equal(gh_core_sso_delete(&ca, mine.id), GH_OK);
    assert_int_equal(audit_rows(x, "sso_source.delete", mine.id, &rows), 1);
    assert_non_null(rows[0].before_json);
    assert_null(rows[0].after_json);
    EXPECT_FAIL(gh_core_sso_get(&c, mine.id, &got), c, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_core_sso_delete(&c, mine.id), c, GH_ENOTFOUND, NULL);
    /* a provider with a source cannot be removed */
    EXPECT_FAIL(gh_core_tenant_delete(&c, x->p2), c, GH_ECONFLICT, NULL);
}

/* The flow of single sign-on in core (SECURITY I12): a flow is taken once, by the browser that
 * started it, before it expires; the secret and the PKCE verifier come back unsealed; and
 * gh_signin_sso opens a session only for the one live user of (source, SSO ID). */
static void sso_flow_and_signin(void **state)
{
    fx *x = *state;
    gh_signin_config cfg;
    gh_ctx c = sso_ctx(x, &x->sys, &cfg);
    gh_sso_write in = sso_in("flow", 0, false);
    gh_sso_source src;
    assert_int_equal(gh_core_sso_create(&c, &in, &src), GH_OK);
    const char *browser = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"; /* 43 characters */
    const char *other = "ccccccccccccccccccccccccccccccccccccccccccc";
    gh_sso_started st;
    gh_sso_taken t;

    /* unknown or malformed names, a missing binding */
    EXPECT_FAIL(gh_sso_start(&c, "nope", "/", browser, &st), c, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_sso_start(&c, "Bad Name", "/", browser, &st), c, GH_ENOTFOUND, NULL);
    EXPECT_FAIL(gh_sso_start(&c, "flow", "/", "short", &st), c, GH_EINVAL, NULL);

    /* another browser burns the flow: the right one then finds it used too */
    assert_int_equal(gh_sso_start(&c, "flow", "/users", browser, &st), GH_OK);
    EXPECT_FAIL(gh_sso_take(&c, "flow", st.state, other, &t), c, GH_EGONE, NULL);
    EXPECT_FAIL(gh_sso_take(&c, "flow", st.state, browser, &t), c, GH_EGONE, NULL);
    EXPECT_FAIL(gh_sso_take(&c, "flow", st.state, NULL, &t), c, GH_EGONE, NULL);

    /* the right browser, once: the secret, the verifier of the challenge, nonce, next */
    assert_int_equal(gh_sso_start(&c, "flow", "//evil.example", browser, &st), GH_OK);
    assert_int_equal(gh_sso_take(&c, "flow", st.state, browser, &t), GH_OK);
    assert_string_equal(t.client_secret, "s3cret-value");
    assert_string_equal(t.nonce, st.nonce);
    assert_string_equal(t.next_path, "/"); /* an unsafe next became / (I5) */
    char challenge[GH_OIDC_RANDOM_CHARS];
    gh_oidc_pkce_challenge(t.verifier, challenge);
    assert_string_equal(challenge, st.challenge);
    gh_sso_taken_wipe(&t);
    assert_null(t.client_secret);
    EXPECT_FAIL(gh_sso_take(&c, "flow", st.state, browser, &t), c, GH_EGONE, NULL);

    /* a flow of one source is not taken through another; and flows expire */
    gh_sso_write in2 = sso_in("flow-two", 0, false);
    gh_sso_source src2;
    assert_int_equal(gh_core_sso_create(&c, &in2, &src2), GH_OK);
    assert_int_equal(gh_sso_start(&c, "flow", "/", browser, &st), GH_OK);
    EXPECT_FAIL(gh_sso_take(&c, "flow-two", st.state, browser, &t), c, GH_EGONE, NULL);
    assert_int_equal(gh_sso_start(&c, "flow", "/", browser, &st), GH_OK);
    c.now += GH_SSO_FLOW_SECONDS;
    EXPECT_FAIL(gh_sso_take(&c, "flow", st.state, browser, &t), c, GH_EGONE, NULL);
    c.now -= GH_SSO_FLOW_SECONDS;

    /* signing in: the one live user of (source, SSO ID), of the source's provider */
    gh_user_create u = new_user("sso.one", 0);
    u.user.sso_source = "flow";
    u.user.sso_id = "emp-1";
    u.user.enforce_sso = true;
    u.sso_source_given = u.sso_id_given = u.enforce_sso_given = true;
    int64_t id = create_user_as(x, &x->sys, &u);
    gh_oidc_claims claims = {.sub = "emp-1", .value = "emp-1"};
    gh_signin_result res;
    assert_int_equal(gh_signin_sso(&c, &src, &claims, "ua", &res), GH_OK);
    assert_int_equal(res.session.user_id, id);
    assert_int_equal(res.session.sso_source_id, src.id);
    assert_int_equal(res.next, GH_STAGE_DONE); /* invited, onboarded by it */
    gh_user got;
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &got), GH_OK);
    assert_int_equal(got.status, GH_STATUS_ACTIVE);
    /* through another source, or for another SSO ID: refused */
    EXPECT_FAIL(gh_signin_sso(&c, &src2, &claims, "ua", &res), c, GH_EUNAUTH, NULL);
    gh_oidc_claims nobody = {.sub = "emp-9", .value = "emp-9"};
    EXPECT_FAIL(gh_signin_sso(&c, &src, &nobody, "ua", &res), c, GH_EUNAUTH, NULL);
    /* two accounts with one SSO ID: neither */
    gh_user_create u2 = new_user("sso.two", 0);
    u2.user.sso_source = "flow";
    u2.user.sso_id = "emp-1";
    u2.sso_source_given = u2.sso_id_given = true;
    int64_t id2 = create_user_as(x, &x->sys, &u2);
    EXPECT_FAIL(gh_signin_sso(&c, &src, &claims, "ua", &res), c, GH_EUNAUTH, NULL);
    /* a deleted account no longer counts: the other one is found */
    assert_int_equal(gh_core_user_act(&c, id, GH_USER_DELETE), GH_OK);
    assert_int_equal(gh_signin_sso(&c, &src, &claims, "ua", &res), GH_OK);
    assert_int_equal(res.session.user_id, id2);
    /* disabled: refused */
    assert_int_equal(gh_core_user_act(&c, id2, GH_USER_DISABLE), GH_OK);
    EXPECT_FAIL(gh_signin_sso(&c, &src, &claims, "ua", &res), c, GH_EUNAUTH, NULL);
}

int main(void)
{
    if (gh_auth_init() != GH_OK)
        return 1;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_state_names),
        cmocka_unit_test(validate_usernames),
        cmocka_unit_test(validate_emails),
        cmocka_unit_test(validate_phones),
        cmocka_unit_test(validate_timezones),
        cmocka_unit_test(validate_countries_languages_text),
        cmocka_unit_test(validate_next),
        cmocka_unit_test(perms_catalogue),
        cmocka_unit_test(validate_sso_fields),
        T(perms_effective),
        T(user_create_validates),
        T(user_create_writes_user_and_audit),
        T(user_create_by_scoped_admins),
        T(user_sub_account_rules),
        T(scope_rule_matches_visibility),
        T(user_update),
        T(user_update_own_restrictions),
        T(user_lifecycle),
        T(user_acts_on_itself_and_others),
        T(user_list_is_scoped),
        T(tenant_rules),
        T(role_rules),
        T(group_rules),
        T(admin_and_token_create),
        T(own_account_reads),
        T(audit_denied_and_scope),
        T(signin_stage_order),
        T(sso_create_rules),
        T(sso_scope_and_changes),
        T(sso_flow_and_signin),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
