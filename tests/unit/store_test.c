/* The store conformance suite: every store function over a fresh migrated database per test.
 * It speaks only store.h, so the same cases run on every driver: SQLite (store_test) and
 * PostgreSQL (store_test_pg, a fresh database per test in GATEHOUSE_TEST_PG_URL's cluster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "model/model.h"
#include "store/store.h"
#include "testdb.h"

#define B(k) (1u << (k))

typedef struct fx {
    testdb t;
    gh_db *db;
    gh_arena *a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    testdb_open(&f->t);
    f->db = f->t.db;
    f->a = gh_arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gh_arena_free(f->a);
    testdb_close(&f->t);
    free(f);
    return 0;
}

static int64_t mk_tenant(gh_db *db, gh_tenant_kind kind, int64_t parent, int64_t provider,
                         const char *name)
{
    gh_tenant t = {.kind = kind,
                   .parent_id = parent,
                   .provider_id = provider,
                   .name = name,
                   .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(gh_store_tenant_insert(db, &t, &id), GH_OK);
    assert_true(id > 0);
    return id;
}

static int64_t mk_provider(gh_db *db, const char *name)
{
    return mk_tenant(db, GH_TENANT_SERVICE_PROVIDER, 0, 0, name);
}

static int64_t mk_account(gh_db *db, int64_t provider, const char *name)
{
    return mk_tenant(db, GH_TENANT_PLATFORM_ACCOUNT, provider, provider, name);
}

static int64_t mk_sub(gh_db *db, int64_t provider, int64_t account, const char *name)
{
    return mk_tenant(db, GH_TENANT_SUB_ACCOUNT, account, provider, name);
}

static int64_t mk_role(gh_db *db, int64_t provider, const char *name, gh_role_kind kind,
                       uint64_t perms)
{
    gh_role r = {.provider_id = provider,
                 .name = name,
                 .description = "",
                 .kind = kind,
                 .permissions = perms,
                 .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(gh_store_role_insert(db, &r, &id), GH_OK);
    return id;
}

static int64_t mk_group(gh_db *db, int64_t provider, const char *name, gh_ids roles)
{
    gh_group g = {.provider_id = provider,
                  .name = name,
                  .description = "",
                  .role_ids = roles,
                  .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(gh_store_group_insert(db, &g, &id), GH_OK);
    return id;
}

/* A valid active user at provider level (platform level when provider is 0). */
static gh_user user_base(const char *username, int64_t provider)
{
    return (gh_user){
        .username = username,
        .provider_id = provider,
        .first_name = "",
        .last_name = "",
        .email = "someone@example.com",
        .phone = "",
        .language = "en",
        .timezone = "UTC",
        .country = "",
        .status = GH_STATUS_ACTIVE,
        .login_enabled = true,
        .access = {.level = provider != 0 ? GH_ACCESS_PROVIDER : GH_ACCESS_PLATFORM},
        .created_at = 1000,
    };
}

static int64_t mk_user(gh_db *db, const gh_user *u)
{
    int64_t id = 0;
    assert_int_equal(gh_store_user_insert(db, u, &id), GH_OK);
    assert_true(id > 0);
    return id;
}

/* Inserts a user with the given access. */
static int64_t mk_scoped(gh_db *db, const char *username, int64_t provider, gh_access_level level,
                         bool all, int64_t account, gh_ids ids)
{
    gh_user u = user_base(username, provider);
    u.access = (gh_access){.level = level, .all = all, .account_id = account, .ids = ids};
    return mk_user(db, &u);
}

static void set_int(gh_db *db, const char *sql, int64_t v, int64_t id)
{
    int64_t p[2] = {v, id};
    testdb_exec_ints(db, sql, 2, p);
}

static void assert_ids_equal(gh_ids got, const int64_t *want, size_t n)
{
    assert_int_equal(got.n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got.v[i], want[i]);
}

/* Lists with f (limit 100) and checks that the result is exactly the users ids[k] for the bits k
 * of want. */
static void expect_list(fx *x, const gh_principal *v, gh_user_filter f, const int64_t *ids,
                        size_t n_ids, unsigned want, const char *what)
{
    gh_user_page page;
    f.limit = 100;
    assert_int_equal(gh_store_user_list(x->db, x->a, v, &f, &page), GH_OK);
    assert_false(page.more);
    unsigned got = 0;
    for (size_t i = 0; i < page.n; i++) {
        size_t k = 0;
        while (k < n_ids && ids[k] != page.items[i].id)
            k++;
        if (k == n_ids)
            fail_msg("%s: unexpected user %lld", what, (long long)page.items[i].id);
        if (got & B(k))
            fail_msg("%s: user %lld listed twice", what, (long long)page.items[i].id);
        got |= B(k);
    }
    if (got != want)
        fail_msg("%s: got users %#x, want %#x", what, got, want);
}

/* ---- tenants ---- */

static void tenants(void **state)
{
    fx *x = *state;
    gh_tenant t;
    int64_t p = mk_provider(x->db, "Acme");
    int64_t acc = mk_account(x->db, p, "Acme EU");
    int64_t sub = mk_sub(x->db, p, acc, "Acme EU One");

    assert_int_equal(gh_store_tenant_get(x->db, x->a, acc, &t), GH_OK);
    assert_int_equal(t.id, acc);
    assert_int_equal(t.kind, GH_TENANT_PLATFORM_ACCOUNT);
    assert_int_equal(t.parent_id, p);
    assert_int_equal(t.provider_id, p);
    assert_string_equal(t.name, "Acme EU");
    assert_int_equal(t.created_at, 1000);
    assert_int_equal(t.updated_at, 1000);
    assert_int_equal(t.version, 1);
    assert_int_equal(gh_store_tenant_get(x->db, x->a, p, &t), GH_OK);
    assert_int_equal(t.kind, GH_TENANT_SERVICE_PROVIDER);
    assert_int_equal(t.parent_id, 0);
    assert_int_equal(t.provider_id, 0);
    assert_int_equal(gh_store_tenant_get(x->db, x->a, 99999, &t), GH_ENOTFOUND);

    /* names are unique among siblings only */
    int64_t id = 0;
    gh_tenant dup = {
        .kind = GH_TENANT_PLATFORM_ACCOUNT, .parent_id = p, .provider_id = p, .name = "Acme EU"};
    assert_int_equal(gh_store_tenant_insert(x->db, &dup, &id), GH_ECONFLICT);
    gh_tenant dup_sp = {.kind = GH_TENANT_SERVICE_PROVIDER, .name = "Acme"};
    assert_int_equal(gh_store_tenant_insert(x->db, &dup_sp, &id), GH_ECONFLICT);
    int64_t p2 = mk_provider(x->db, "Other");
    mk_account(x->db, p2, "Acme EU");

    /* rename */
    assert_int_equal(gh_store_tenant_rename(x->db, acc, "Acme Europe", 2000), GH_OK);
    assert_int_equal(gh_store_tenant_get(x->db, x->a, acc, &t), GH_OK);
    assert_string_equal(t.name, "Acme Europe");
    assert_int_equal(t.updated_at, 2000);
    assert_int_equal(t.created_at, 1000);
    assert_int_equal(t.version, 2);
    int64_t acc2 = mk_account(x->db, p, "Acme US");
    assert_int_equal(gh_store_tenant_rename(x->db, acc2, "Acme Europe", 2000), GH_ECONFLICT);
    assert_int_equal(gh_store_tenant_rename(x->db, 99999, "x", 2000), GH_ENOTFOUND);

    /* in use: children */
    bool in_use = false;
    assert_int_equal(gh_store_tenant_in_use(x->db, p, &in_use), GH_OK);
    assert_true(in_use);
    assert_int_equal(gh_store_tenant_in_use(x->db, acc, &in_use), GH_OK);
    assert_true(in_use);
    assert_int_equal(gh_store_tenant_in_use(x->db, sub, &in_use), GH_OK);
    assert_false(in_use);
    assert_int_equal(gh_store_tenant_in_use(x->db, acc2, &in_use), GH_OK);
    assert_false(in_use);
    /* a tenant with children cannot be deleted even without the check */
    assert_int_equal(gh_store_tenant_delete(x->db, acc), GH_ECONFLICT);
    assert_int_equal(gh_store_tenant_delete(x->db, sub), GH_OK);
    assert_int_equal(gh_store_tenant_get(x->db, x->a, sub, &t), GH_ENOTFOUND);
    assert_int_equal(gh_store_tenant_in_use(x->db, acc, &in_use), GH_OK);
    assert_false(in_use);
}

static void tenant_in_use_by_references(void **state)
{
    fx *x = *state;
    bool in_use = true;
    int64_t p = mk_provider(x->db, "P");
    int64_t acc = mk_account(x->db, p, "A");
    int64_t acc_b = mk_account(x->db, p, "B");
    int64_t sub = mk_sub(x->db, p, acc_b, "B1");
    int64_t lone = mk_provider(x->db, "Lone");
    assert_int_equal(gh_store_tenant_in_use(x->db, lone, &in_use), GH_OK);
    assert_false(in_use);

    /* a role or a group of the provider */
    int64_t r = mk_role(x->db, lone, "r", GH_ROLE_SERVICE_PROVIDER, 1);
    assert_int_equal(gh_store_tenant_in_use(x->db, lone, &in_use), GH_OK);
    assert_true(in_use);
    assert_int_equal(gh_store_role_delete(x->db, r), GH_OK);
    assert_int_equal(gh_store_tenant_in_use(x->db, lone, &in_use), GH_OK);
    assert_false(in_use);
    int64_t g = mk_group(x->db, lone, "g", (gh_ids){0});
    assert_int_equal(gh_store_tenant_in_use(x->db, lone, &in_use), GH_OK);
    assert_true(in_use);
    assert_int_equal(gh_store_group_delete(x->db, g), GH_OK);
    /* a user of the provider */
    gh_user u = user_base("lone.user", lone);
    mk_user(x->db, &u);
    assert_int_equal(gh_store_tenant_in_use(x->db, lone, &in_use), GH_OK);
    assert_true(in_use);

    /* an account listed in a user's access, and the account of sub-account access */
    assert_int_equal(gh_store_tenant_in_use(x->db, acc, &in_use), GH_OK);
    assert_false(in_use);
    mk_scoped(x->db, "acc.user", p, GH_ACCESS_ACCOUNT, false, 0, (gh_ids){(int64_t[]){acc}, 1});
    assert_int_equal(gh_store_tenant_in_use(x->db, acc, &in_use), GH_OK);
    assert_true(in_use);
    mk_scoped(x->db, "sub.user", p, GH_ACCESS_SUB_ACCOUNT, true, acc_b, (gh_ids){0});
    assert_int_equal(gh_store_tenant_in_use(x->db, sub, &in_use), GH_OK);
    assert_false(in_use);
    assert_int_equal(gh_store_tenant_delete(x->db, sub), GH_OK);
    assert_int_equal(gh_store_tenant_in_use(x->db, acc_b, &in_use), GH_OK);
    assert_true(in_use); /* still the sub-account user's account */
}

/* ---- roles and groups ---- */

static void roles(void **state)
{
    fx *x = *state;
    gh_role r;
    int64_t p = mk_provider(x->db, "P");
    int64_t p2 = mk_provider(x->db, "P2");
    gh_role in = {.provider_id = p,
                  .name = "Support",
                  .description = "first line",
                  .kind = GH_ROLE_PLATFORM_ACCOUNT,
                  .permissions = GH_PERM(USERS_READ) | GH_PERM(SETTINGS_UPDATE),
                  .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(gh_store_role_insert(x->db, &in, &id), GH_OK);
    assert_int_equal(gh_store_role_get(x->db, x->a, id, &r), GH_OK);
    assert_int_equal(r.id, id);
    assert_int_equal(r.provider_id, p);
    assert_string_equal(r.name, "Support");
    assert_string_equal(r.description, "first line");
    assert_int_equal(r.kind, GH_ROLE_PLATFORM_ACCOUNT);
    assert_int_equal(r.permissions, GH_PERM(USERS_READ) | GH_PERM(SETTINGS_UPDATE));
    assert_int_equal(r.created_at, 1000);
    assert_int_equal(r.updated_at, 1000);
    assert_int_equal(r.version, 1);
    assert_int_equal(gh_store_role_get(x->db, x->a, 99999, &r), GH_ENOTFOUND);

    /* update with the version read */
    gh_role up = in;
    up.id = id;
    up.version = 1;
    up.name = "Support II";
    up.permissions = GH_PERM_ALL;
    up.updated_at = 2000;
    assert_int_equal(gh_store_role_update(x->db, &up), GH_OK);
    assert_int_equal(gh_store_role_get(x->db, x->a, id, &r), GH_OK);
    assert_string_equal(r.name, "Support II");
    assert_int_equal(r.permissions, GH_PERM_ALL);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.updated_at, 2000);
    assert_int_equal(r.created_at, 1000);
    /* a stale version changes nothing */
    up.name = "Stale";
    assert_int_equal(gh_store_role_update(x->db, &up), GH_EPRECOND);
    assert_int_equal(gh_store_role_get(x->db, x->a, id, &r), GH_OK);
    assert_string_equal(r.name, "Support II");
    up.id = 99999;
    assert_int_equal(gh_store_role_update(x->db, &up), GH_EPRECOND);

    /* names are unique per provider (global counts as one provider) */
    in.name = "Support II";
    assert_int_equal(gh_store_role_insert(x->db, &in, &id), GH_ECONFLICT);
    in.provider_id = p2;
    int64_t other = 0;
    assert_int_equal(gh_store_role_insert(x->db, &in, &other), GH_OK);
    in.provider_id = 0;
    int64_t global = 0;
    assert_int_equal(gh_store_role_insert(x->db, &in, &global), GH_OK);
    assert_int_equal(gh_store_role_get(x->db, x->a, global, &r), GH_OK);
    assert_int_equal(r.provider_id, 0);
    assert_int_equal(gh_store_role_insert(x->db, &in, &other), GH_ECONFLICT);

    /* in use through a user */
    bool in_use = true;
    assert_int_equal(gh_store_role_in_use(x->db, global, &in_use), GH_OK);
    assert_false(in_use);
    gh_user u = user_base("holder", 0);
    u.role_ids = (gh_ids){(int64_t[]){global}, 1};
    mk_user(x->db, &u);
    assert_int_equal(gh_store_role_in_use(x->db, global, &in_use), GH_OK);
    assert_true(in_use);

    /* delete */
    assert_int_equal(gh_store_role_delete(x->db, id), GH_OK);
    assert_int_equal(gh_store_role_get(x->db, x->a, id, &r), GH_ENOTFOUND);
}

static void role_and_group_lists(void **state)
{
    fx *x = *state;
    int64_t p1 = mk_provider(x->db, "P1"), p2 = mk_provider(x->db, "P2");
    int64_t rg = mk_role(x->db, 0, "global", GH_ROLE_PLATFORM_USER, 1);
    int64_t r1 = mk_role(x->db, p1, "p1", GH_ROLE_PLATFORM_USER, 1);
    int64_t r2 = mk_role(x->db, p2, "p2", GH_ROLE_PLATFORM_USER, 1);
    int64_t gg = mk_group(x->db, 0, "global", (gh_ids){(int64_t[]){rg}, 1});
    int64_t g1 = mk_group(x->db, p1, "p1", (gh_ids){(int64_t[]){r1, rg}, 2});
    int64_t g2 = mk_group(x->db, p2, "p2", (gh_ids){0});
    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    gh_principal prov1 = {.user_id = 1, .provider_id = p1, .access = {.level = GH_ACCESS_PROVIDER}};
    gh_role *roles = NULL;
    gh_group *groups = NULL;
    size_t n = 0;

    assert_int_equal(gh_store_role_list(x->db, x->a, &plat, 0, 50, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(gh_store_role_list(x->db, x->a, &prov1, 0, 50, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(roles[0].id, rg);
    assert_int_equal(roles[1].id, r1);
    assert_int_equal(gh_store_role_list(x->db, x->a, &prov1, p2, 50, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_store_role_list(x->db, x->a, &plat, -1, 50, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(roles[0].id, rg);
    assert_int_equal(gh_store_role_list(x->db, x->a, &plat, p2, 50, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(roles[0].id, r2);
    /* paging by id */
    assert_int_equal(gh_store_role_list(x->db, x->a, &plat, 0, 2, 0, &roles, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(gh_store_role_list(x->db, x->a, &plat, 0, 2, roles[1].id, &roles, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(roles[0].id, r2);

    assert_int_equal(gh_store_group_list(x->db, x->a, &prov1, 0, 50, 0, &groups, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(groups[0].id, gg);
    assert_int_equal(groups[1].id, g1);
    assert_ids_equal(groups[1].role_ids, (int64_t[]){rg, r1}, 2);
    assert_int_equal(gh_store_group_list(x->db, x->a, &plat, 0, 50, g1, &groups, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(groups[0].id, g2);
}

static void groups(void **state)
{
    fx *x = *state;
    gh_group g;
    int64_t p = mk_provider(x->db, "P");
    int64_t r1 = mk_role(x->db, p, "r1", GH_ROLE_PLATFORM_USER, GH_PERM(USERS_READ));
    int64_t r2 = mk_role(x->db, p, "r2", GH_ROLE_PLATFORM_USER, GH_PERM(AUDIT_READ));
    gh_group in = {.provider_id = p,
                   .name = "Ops",
                   .description = "operations",
                   .role_ids = {(int64_t[]){r2, r1}, 2},
                   .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(gh_store_group_insert(x->db, &in, &id), GH_OK);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, id, &g), GH_OK);
    assert_int_equal(g.id, id);
    assert_int_equal(g.provider_id, p);
    assert_string_equal(g.name, "Ops");
    assert_string_equal(g.description, "operations");
    assert_ids_equal(g.role_ids, (int64_t[]){r1, r2}, 2);
    assert_int_equal(g.member_count, 0);
    assert_int_equal(g.version, 1);
    assert_int_equal(g.created_at, 1000);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, 99999, &g), GH_ENOTFOUND);

    gh_user u = user_base("member", p);
    u.group_ids = (gh_ids){(int64_t[]){id}, 1};
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, id, &g), GH_OK);
    assert_int_equal(g.member_count, 1);

    gh_group up = in;
    up.id = id;
    up.version = 1;
    up.name = "Ops 2";
    up.role_ids = (gh_ids){(int64_t[]){r2}, 1};
    up.updated_at = 2000;
    assert_int_equal(gh_store_group_update(x->db, &up), GH_OK);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, id, &g), GH_OK);
    assert_string_equal(g.name, "Ops 2");
    assert_ids_equal(g.role_ids, (int64_t[]){r2}, 1);
    assert_int_equal(g.version, 2);
    assert_int_equal(g.updated_at, 2000);
    /* a stale version changes neither the row nor its roles */
    up.name = "Stale";
    up.role_ids = (gh_ids){(int64_t[]){r1}, 1};
    assert_int_equal(gh_store_group_update(x->db, &up), GH_EPRECOND);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, id, &g), GH_OK);
    assert_string_equal(g.name, "Ops 2");
    assert_ids_equal(g.role_ids, (int64_t[]){r2}, 1);

    bool in_use = true;
    assert_int_equal(gh_store_role_in_use(x->db, r1, &in_use), GH_OK);
    assert_false(in_use);
    assert_int_equal(gh_store_role_in_use(x->db, r2, &in_use), GH_OK);
    assert_true(in_use);

    gh_group dup = in;
    dup.name = "Ops 2";
    int64_t dup_id = 0;
    assert_int_equal(gh_store_group_insert(x->db, &dup, &dup_id), GH_ECONFLICT);

    /* deleting a group drops its memberships and role links */
    assert_int_equal(gh_store_group_delete(x->db, id), GH_OK);
    assert_int_equal(gh_store_group_get(x->db, x->a, NULL, id, &g), GH_ENOTFOUND);
    gh_user after;
    assert_int_equal(gh_store_user_get(x->db, x->a, uid, &after), GH_OK);
    assert_int_equal(after.group_ids.n, 0);
    assert_int_equal(gh_store_role_in_use(x->db, r2, &in_use), GH_OK);
    assert_false(in_use);
}

/* ---- users ---- */

static void users(void **state)
{
    fx *x = *state;
    gh_user g;
    int64_t p = mk_provider(x->db, "P");
    int64_t a1 = mk_account(x->db, p, "A1"), a2 = mk_account(x->db, p, "A2");
    int64_t r = mk_role(x->db, p, "r", GH_ROLE_PLATFORM_ACCOUNT, 1);
    int64_t grp = mk_group(x->db, p, "g", (gh_ids){0});
    gh_user u = user_base("Alice.Smith", p);
    u.first_name = "Alice";
    u.last_name = "Smith";
    u.email = "alice@example.com";
    u.phone = "+441234567890";
    u.language = "zh";
    u.timezone = "Europe/London";
    u.country = "GB";
    u.sso_source = "okta";
    u.sso_id = "00u1";
    u.enforce_sso = true;
    u.mfa_required = true;
    u.status = GH_STATUS_INVITED;
    u.must_change_password = true;
    u.password_hash = "$argon2id$fake";
    u.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = {(int64_t[]){a2, a1}, 2}};
    u.role_ids = (gh_ids){(int64_t[]){r}, 1};
    u.group_ids = (gh_ids){(int64_t[]){grp}, 1};
    u.created_by = 7;
    int64_t id = mk_user(x->db, &u);

    assert_int_equal(gh_store_user_get(x->db, x->a, id, &g), GH_OK);
    assert_int_equal(g.id, id);
    assert_int_equal(g.provider_id, p);
    assert_string_equal(g.username, "Alice.Smith");
    assert_string_equal(g.first_name, "Alice");
    assert_string_equal(g.last_name, "Smith");
    assert_string_equal(g.email, "alice@example.com");
    assert_string_equal(g.phone, "+441234567890");
    assert_string_equal(g.language, "zh");
    assert_string_equal(g.timezone, "Europe/London");
    assert_string_equal(g.country, "GB");
    assert_int_equal(g.status, GH_STATUS_INVITED);
    assert_string_equal(g.sso_source, "okta");
    assert_string_equal(g.sso_id, "00u1");
    assert_true(g.login_enabled);
    assert_true(g.enforce_sso);
    assert_true(g.mfa_required);
    assert_false(g.mfa_enrolled);
    assert_false(g.is_superadmin);
    assert_true(g.must_change_password);
    assert_true(g.has_password);
    assert_null(g.password_hash); /* never read back */
    assert_int_equal(g.banned_until, 0);
    assert_int_equal(g.last_login_at, 0);
    assert_int_equal(g.created_at, 1000);
    assert_int_equal(g.updated_at, 1000);
    assert_int_equal(g.created_by, 7);
    assert_int_equal(g.updated_by, 7);
    assert_int_equal(g.version, 1);
    assert_int_equal(g.access.level, GH_ACCESS_ACCOUNT);
    assert_false(g.access.all);
    assert_ids_equal(g.access.ids, (int64_t[]){a1, a2}, 2);
    assert_ids_equal(g.role_ids, (int64_t[]){r}, 1);
    assert_ids_equal(g.group_ids, (int64_t[]){grp}, 1);
    assert_int_equal(gh_store_user_get(x->db, x->a, 99999, &g), GH_ENOTFOUND);

    /* usernames: found and taken case-insensitively, spelling kept */
    assert_int_equal(gh_store_user_by_username(x->db, x->a, "ALICE.smith", &g), GH_OK);
    assert_int_equal(g.id, id);
    assert_string_equal(g.username, "Alice.Smith");
    assert_int_equal(gh_store_user_by_username(x->db, x->a, "nobody", &g), GH_ENOTFOUND);
    bool taken = false;
    assert_int_equal(gh_store_username_taken(x->db, "aLiCe.sMiTh", &taken), GH_OK);
    assert_true(taken);
    assert_int_equal(gh_store_username_taken(x->db, "alice", &taken), GH_OK);
    assert_false(taken);
    gh_user clash = user_base("alice.SMITH", 0);
    int64_t clash_id = 0;
    assert_int_equal(gh_store_user_insert(x->db, &clash, &clash_id), GH_ECONFLICT);

    /* update */
    gh_user cur;
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &cur), GH_OK);
    cur.first_name = "Alicia";
    cur.sso_source = NULL;
    cur.sso_id = NULL;
    cur.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .all = true};
    cur.role_ids = (gh_ids){0};
    cur.updated_at = 2000;
    cur.updated_by = 8;
    assert_int_equal(gh_store_user_update(x->db, &cur), GH_OK);
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &g), GH_OK);
    assert_string_equal(g.first_name, "Alicia");
    assert_null(g.sso_source);
    assert_null(g.sso_id);
    assert_true(g.access.all);
    assert_int_equal(g.access.ids.n, 0);
    assert_int_equal(g.role_ids.n, 0);
    assert_ids_equal(g.group_ids, (int64_t[]){grp}, 1);
    assert_int_equal(g.version, 2);
    assert_int_equal(g.updated_at, 2000);
    assert_int_equal(g.updated_by, 8);
    assert_int_equal(g.created_at, 1000);
    assert_string_equal(g.username, "Alice.Smith");
    /* stale version: nothing changes */
    cur.first_name = "Stale";
    assert_int_equal(gh_store_user_update(x->db, &cur), GH_EPRECOND);
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &g), GH_OK);
    assert_string_equal(g.first_name, "Alicia");

    /* status */
    assert_int_equal(gh_store_user_set_status(x->db, id, GH_STATUS_DISABLED, 3000, 9), GH_OK);
    assert_int_equal(gh_store_user_get(x->db, x->a, id, &g), GH_OK);
    assert_int_equal(g.status, GH_STATUS_DISABLED);
    assert_int_equal(g.version, 3);
    assert_int_equal(g.updated_at, 3000);
    assert_int_equal(g.updated_by, 9);
    assert_int_equal(gh_store_user_set_status(x->db, 99999, GH_STATUS_DISABLED, 3000, 9),
                     GH_ENOTFOUND);

    /* a deleted user's name stays taken */
    assert_int_equal(gh_store_user_set_status(x->db, id, GH_STATUS_DELETED, 4000, 9), GH_OK);
    assert_int_equal(gh_store_username_taken(x->db, "alice.smith", &taken), GH_OK);
    assert_true(taken);
    assert_int_equal(gh_store_user_insert(x->db, &clash, &clash_id), GH_ECONFLICT);

    /* password */
    gh_user bob = user_base("bob", 0);
    int64_t bob_id = mk_user(x->db, &bob);
    assert_int_equal(gh_store_user_get(x->db, x->a, bob_id, &g), GH_OK);
    assert_false(g.has_password);
    assert_false(g.must_change_password);
    assert_int_equal(gh_store_user_set_password(x->db, bob_id, "$argon2id$x", true, 5000), GH_OK);
    assert_int_equal(gh_store_user_get(x->db, x->a, bob_id, &g), GH_OK);
    assert_true(g.has_password);
    assert_true(g.must_change_password);
    assert_int_equal(g.version, 2);
    assert_int_equal(gh_store_user_set_password(x->db, 99999, "h", false, 5000), GH_ENOTFOUND);

    int64_t count = 0;
    assert_int_equal(gh_store_user_count(x->db, &count), GH_OK);
    assert_true(count > 0);
}

static void user_sub_account_access(void **state)
{
    fx *x = *state;
    gh_user g;
    int64_t p = mk_provider(x->db, "P");
    int64_t a1 = mk_account(x->db, p, "A1");
    int64_t s1 = mk_sub(x->db, p, a1, "S1"), s2 = mk_sub(x->db, p, a1, "S2");
    mk_sub(x->db, p, a1, "S3");
    int64_t some = mk_scoped(x->db, "some", p, GH_ACCESS_SUB_ACCOUNT, false, a1,
                             (gh_ids){(int64_t[]){s2, s1}, 2});
    int64_t all = mk_scoped(x->db, "all", p, GH_ACCESS_SUB_ACCOUNT, true, a1, (gh_ids){0});

    assert_int_equal(gh_store_user_get(x->db, x->a, some, &g), GH_OK);
    assert_int_equal(g.access.level, GH_ACCESS_SUB_ACCOUNT);
    assert_int_equal(g.access.account_id, a1);
    assert_false(g.access.all);
    assert_ids_equal(g.access.ids, (int64_t[]){s1, s2}, 2);
    assert_int_equal(g.access.sub_account_count, 2);
    assert_int_equal(gh_store_user_get(x->db, x->a, all, &g), GH_OK);
    assert_int_equal(g.access.account_id, a1);
    assert_true(g.access.all);
    assert_int_equal(g.access.ids.n, 0);
    assert_int_equal(g.access.sub_account_count, 3);
}

/* ---- user list: search and filters ---- */

static void user_list_search(void **state)
{
    fx *x = *state;
    static const struct {
        const char *username, *first, *last, *email;
    } rows[] = {
        {"jdoe", "John", "Doe", "john.doe@example.com"},
        {"asmith", "Alice", "Smith", "alice@corp.test"},
        {"bob_the_builder", "Robert", "Builder", "bob@builders.org"},
        {"li.wei", "Wei", "Li", "wei@example.cn"},
        {"x", "Zed", "Q", "zq@q.io"},
    };
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        gh_user u = user_base(rows[i].username, 0);
        u.first_name = rows[i].first;
        u.last_name = rows[i].last;
        u.email = rows[i].email;
        ids[i] = mk_user(x->db, &u);
    }
    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    static const struct {
        const char *q;
        unsigned want;
    } cases[] = {
        {"doe", B(0)},
        {"DOE", B(0)},
        {"Smith", B(1)},
        {"alice", B(1)},
        {"corp.test", B(1)},
        {"example", B(0) | B(3)},
        {"bert", B(2)},
        {"hn d", B(0)}, /* across first and last name */
        {"li", B(3)},   /* one or two letters: the start of a word ("alice" has it inside) */
        {"LI", B(3)},
        {"al", B(1)},
        {"lic", B(1)}, /* three: anywhere */
        {"ZÉD", B(4)}, /* accents and case folded */
        {"q", B(4)},
        {"_", B(2)}, /* a literal underscore, not a wildcard */
        {"%", 0},
        {"zz", 0},
        {"xyz", 0},
        {"a\"b", 0},
        {"", B(0) | B(1) | B(2) | B(3) | B(4)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_user_filter f = {.q = cases[i].q, .now = 1000};
        expect_list(x, &plat, f, ids, 5, cases[i].want, cases[i].q);
    }

    /* the index follows updates */
    gh_user cur;
    assert_int_equal(gh_store_user_get(x->db, x->a, ids[0], &cur), GH_OK);
    cur.first_name = "Jonathan";
    assert_int_equal(gh_store_user_update(x->db, &cur), GH_OK);
    expect_list(x, &plat, (gh_user_filter){.q = "athan", .now = 1000}, ids, 5, B(0), "athan");
    expect_list(x, &plat, (gh_user_filter){.q = "hn d", .now = 1000}, ids, 5, 0, "hn d after");
    expect_list(x, &plat, (gh_user_filter){.q = "jo", .now = 1000}, ids, 5, B(0), "jo");
}

static void user_list_status(void **state)
{
    fx *x = *state;
    static const gh_user_status statuses[] = {
        GH_STATUS_ACTIVE,   GH_STATUS_ACTIVE,   GH_STATUS_ACTIVE, GH_STATUS_INVITED,
        GH_STATUS_DISABLED, GH_STATUS_DISABLED, GH_STATUS_DELETED};
    static const int64_t banned[] = {0, 6000, 4000, 0, 0, 6000, 0};
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof name, "user%d", i);
        gh_user u = user_base(name, 0);
        u.status = statuses[i];
        ids[i] = mk_user(x->db, &u);
        set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", banned[i], ids[i]);
    }
    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    static const struct {
        const char *status;
        int64_t now;
        unsigned want;
    } cases[] = {
        {NULL, 5000, B(0) | B(1) | B(2) | B(3) | B(4) | B(5)},
        {"active", 5000, B(0) | B(2)},
        {"banned", 5000, B(1)},
        {"invited", 5000, B(3)},
        {"disabled", 5000, B(4) | B(5)},
        {"deleted", 5000, B(6)},
        {"active", 7000, B(0) | B(1) | B(2)},
        {"banned", 7000, 0},
        {"banned", 3000, B(1) | B(2)},
        {"active", 6000, B(0) | B(1) | B(2)}, /* banned_until is the first free second */
    };
    gh_user_list_status unused = GH_LIST_LIVE;
    assert_false(gh_user_list_status_parse("locked", &unused));
    assert_false(gh_user_list_status_parse(NULL, &unused));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_user_filter f = {.now = cases[i].now};
        if (cases[i].status != NULL)
            assert_true(gh_user_list_status_parse(cases[i].status, &f.status));
        char what[64];
        snprintf(what, sizeof what, "%s at %lld", cases[i].status ? cases[i].status : "(none)",
                 (long long)cases[i].now);
        expect_list(x, &plat, f, ids, 7, cases[i].want, what);
    }
}

static void user_list_filters(void **state)
{
    fx *x = *state;
    int64_t p1 = mk_provider(x->db, "P1"), p2 = mk_provider(x->db, "P2");
    int64_t a1 = mk_account(x->db, p1, "A1"), a2 = mk_account(x->db, p1, "A2");
    int64_t s1 = mk_sub(x->db, p1, a1, "S1");
    int64_t r1 = mk_role(x->db, p1, "r1", GH_ROLE_PLATFORM_USER, 1);
    int64_t r2 = mk_role(x->db, 0, "r2", GH_ROLE_PLATFORM_USER, 2);
    int64_t g1 = mk_group(x->db, p1, "g1", (gh_ids){0});
    int64_t ids[5];
    gh_user u = user_base("u0", p1);
    u.role_ids = (gh_ids){(int64_t[]){r1}, 1};
    ids[0] = mk_user(x->db, &u);
    u = user_base("u1", p1);
    u.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = {(int64_t[]){a1}, 1}};
    u.group_ids = (gh_ids){(int64_t[]){g1}, 1};
    ids[1] = mk_user(x->db, &u);
    u = user_base("u2", p1);
    u.access =
        (gh_access){.level = GH_ACCESS_SUB_ACCOUNT, .account_id = a1, .ids = {(int64_t[]){s1}, 1}};
    u.role_ids = (gh_ids){(int64_t[]){r1, r2}, 2};
    ids[2] = mk_user(x->db, &u);
    u = user_base("u3", p2);
    ids[3] = mk_user(x->db, &u);
    u = user_base("u4", 0);
    u.role_ids = (gh_ids){(int64_t[]){r2}, 1};
    ids[4] = mk_user(x->db, &u);

    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    expect_list(x, &plat, (gh_user_filter){.role_id = r1}, ids, 5, B(0) | B(2), "role r1");
    expect_list(x, &plat, (gh_user_filter){.role_id = r2}, ids, 5, B(2) | B(4), "role r2");
    expect_list(x, &plat, (gh_user_filter){.group_id = g1}, ids, 5, B(1), "group g1");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = p1}, ids, 5, B(0) | B(1) | B(2), "p1");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = p2}, ids, 5, B(3), "p2");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = a1}, ids, 5, B(1) | B(2), "a1");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = a2}, ids, 5, 0, "a2");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = s1}, ids, 5, B(2), "s1");
    expect_list(x, &plat, (gh_user_filter){.tenant_id = a1, .role_id = r1}, ids, 5, B(2),
                "a1 and r1");
    expect_list(x, &plat, (gh_user_filter){.role_id = r2, .q = "u4"}, ids, 5, B(4), "r2 and q");
}

/* ---- user list: sort and keyset pagination ---- */

typedef struct sort_row {
    const char *username, *first, *last, *email;
    int64_t last_login, created;
} sort_row;

static const sort_row sort_rows[] = {
    {"delta", "Ann", "Lee", "same@example.com", 100, 10},
    {"Alpha", "Ann", "Lee", "b@example.com", 0, 10},
    {"charlie", "bob", "Kay", "same@example.com", 100, 20},
    {"Bravo", "Ann", "Lee", "a@example.com", 300, 20},
    {"echo", "Zoe", "Ames", "Same@example.com", 0, 10},
    {"foxtrot", "ann", "lee", "c@example.com", 300, 30},
    {"golf", "\xc3\x89mile", "Zola", "same@example.com", 100, 20},
};
#define N_SORT_ROWS (sizeof sort_rows / sizeof *sort_rows)

static char *lowered(gh_arena *a, const char *s)
{
    char *d = gh_arena_strdup(a, s);
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* Compares the sort keys of two users as the store defines them. */
static int key_cmp(gh_arena *a, gh_user_sort sort, const gh_user *l, const gh_user *r)
{
    switch (sort) {
    case GH_SORT_NAME:
        return strcmp(lowered(a, gh_arena_printf(a, "%s %s", l->first_name, l->last_name)),
                      lowered(a, gh_arena_printf(a, "%s %s", r->first_name, r->last_name)));
    case GH_SORT_USERNAME:
        return strcmp(lowered(a, l->username), lowered(a, r->username));
    case GH_SORT_EMAIL:
        return strcmp(lowered(a, l->email), lowered(a, r->email));
    case GH_SORT_LAST_LOGIN:
        return (l->last_login_at > r->last_login_at) - (l->last_login_at < r->last_login_at);
    case GH_SORT_CREATED:
        return (l->created_at > r->created_at) - (l->created_at < r->created_at);
    case GH_SORT_ID:
        return (l->id > r->id) - (l->id < r->id);
    }
    return 0;
}

static void user_list_sort_and_pages(void **state)
{
    fx *x = *state;
    int64_t ids[N_SORT_ROWS];
    for (size_t i = 0; i < N_SORT_ROWS; i++) {
        gh_user u = user_base(sort_rows[i].username, 0);
        u.first_name = sort_rows[i].first;
        u.last_name = sort_rows[i].last;
        u.email = sort_rows[i].email;
        u.created_at = sort_rows[i].created;
        ids[i] = mk_user(x->db, &u);
        set_int(x->db, "UPDATE users SET last_login_at = ? WHERE id = ?", sort_rows[i].last_login,
                ids[i]);
    }
    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    static const gh_user_sort sorts[] = {GH_SORT_NAME,       GH_SORT_USERNAME, GH_SORT_EMAIL,
                                         GH_SORT_LAST_LOGIN, GH_SORT_CREATED,  GH_SORT_ID};
    /* every row matches both searches: "example" takes the index, "e" the short-query scan */
    static const char *const queries[] = {NULL, "example", "e"};
    for (size_t s = 0; s < 3 * sizeof sorts / sizeof *sorts; s++) {
        for (int desc = 0; desc <= 1; desc++) {
            gh_user seen[N_SORT_ROWS + 1];
            size_t n_seen = 0;
            gh_user_filter f = {
                .sort = sorts[s / 3], .desc = desc, .limit = 2, .now = 1000, .q = queries[s % 3]};
            for (int pages = 0;; pages++) {
                gh_user_page page;
                assert_true(pages < 10);
                assert_int_equal(gh_store_user_list(x->db, x->a, &plat, &f, &page), GH_OK);
                assert_true(page.n >= 1 && page.n <= 2);
                for (size_t i = 0; i < page.n; i++) {
                    assert_true(n_seen < N_SORT_ROWS);
                    seen[n_seen++] = page.items[i];
                }
                if (!page.more)
                    break;
                assert_int_equal(page.n, 2);
                assert_non_null(page.next_key);
                assert_int_equal(page.next_id, page.items[1].id);
                f.has_cursor = true;
                f.cursor_key = page.next_key;
                f.cursor_id = page.next_id;
            }
            /* every row exactly once */
            assert_int_equal(n_seen, N_SORT_ROWS);
            for (size_t i = 0; i < N_SORT_ROWS; i++) {
                int hits = 0;
                for (size_t j = 0; j < n_seen; j++)
                    hits += seen[j].id == ids[i];
                if (hits != 1)
                    fail_msg("sort %d desc %d: %s seen %d times", (int)sorts[s / 3], desc,
                             sort_rows[i].username, hits);
            }
            /* in order of (key, id), ties broken by id in the same direction */
            for (size_t j = 1; j < n_seen; j++) {
                int c = key_cmp(x->a, sorts[s / 3], &seen[j - 1], &seen[j]);
                if (c == 0)
                    c = seen[j - 1].id < seen[j].id ? -1 : 1;
                if (desc ? c < 0 : c > 0)
                    fail_msg("sort %d desc %d: %s before %s", (int)sorts[s / 3], desc,
                             seen[j - 1].username, seen[j].username);
            }
        }
    }
    /* one page holding everything says there is no more */
    gh_user_page page;
    gh_user_filter f = {.limit = (int)N_SORT_ROWS, .now = 1000};
    assert_int_equal(gh_store_user_list(x->db, x->a, &plat, &f, &page), GH_OK);
    assert_int_equal(page.n, N_SORT_ROWS);
    assert_false(page.more);
    f.limit = (int)N_SORT_ROWS - 1;
    assert_int_equal(gh_store_user_list(x->db, x->a, &plat, &f, &page), GH_OK);
    assert_int_equal(page.n, N_SORT_ROWS - 1);
    assert_true(page.more);
}

/* ---- scope ---- */

enum {
    U_PLAT,
    U_P1,
    U_P2,
    U_ACC_ALL,
    U_ACC_A1,
    U_ACC_A2,
    U_ACC_A1A2,
    U_SUB_ALL,
    U_SUB_S11,
    U_SUB_S12,
    U_SUB_S11S12,
    U_SUB_A2,
    U_P2_ACC,
    U_COUNT
};

typedef struct scope_world {
    int64_t p1, p2, a1, a2, a3, s11, s12, s21;
    int64_t ids[U_COUNT];
    gh_principal who[U_COUNT];
} scope_world;

static void scope_world_build(gh_db *db, scope_world *w)
{
    static const char *const names[U_COUNT] = {
        "plat",    "p1",      "p2",      "acc.all",    "acc.a1", "acc.a2", "acc.a1a2",
        "sub.all", "sub.s11", "sub.s12", "sub.s11s12", "sub.a2", "p2.acc"};
    memset(w, 0, sizeof *w);
    w->p1 = mk_provider(db, "P1");
    w->p2 = mk_provider(db, "P2");
    w->a1 = mk_account(db, w->p1, "A1");
    w->a2 = mk_account(db, w->p1, "A2");
    w->a3 = mk_account(db, w->p2, "A3");
    w->s11 = mk_sub(db, w->p1, w->a1, "S11");
    w->s12 = mk_sub(db, w->p1, w->a1, "S12");
    w->s21 = mk_sub(db, w->p1, w->a2, "S21");
    const struct {
        int64_t provider;
        gh_access access;
    } spec[U_COUNT] = {
        [U_PLAT] = {0, {.level = GH_ACCESS_PLATFORM}},
        [U_P1] = {w->p1, {.level = GH_ACCESS_PROVIDER}},
        [U_P2] = {w->p2, {.level = GH_ACCESS_PROVIDER}},
        [U_ACC_ALL] = {w->p1, {.level = GH_ACCESS_ACCOUNT, .all = true}},
        [U_ACC_A1] = {w->p1, {.level = GH_ACCESS_ACCOUNT, .ids = {&w->a1, 1}}},
        [U_ACC_A2] = {w->p1, {.level = GH_ACCESS_ACCOUNT, .ids = {&w->a2, 1}}},
        [U_ACC_A1A2] = {w->p1, {.level = GH_ACCESS_ACCOUNT, .ids = {(int64_t[]){w->a1, w->a2}, 2}}},
        [U_SUB_ALL] = {w->p1, {.level = GH_ACCESS_SUB_ACCOUNT, .all = true, .account_id = w->a1}},
        [U_SUB_S11] = {w->p1,
                       {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = w->a1, .ids = {&w->s11, 1}}},
        [U_SUB_S12] = {w->p1,
                       {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = w->a1, .ids = {&w->s12, 1}}},
        [U_SUB_S11S12] = {w->p1,
                          {.level = GH_ACCESS_SUB_ACCOUNT,
                           .account_id = w->a1,
                           .ids = {(int64_t[]){w->s11, w->s12}, 2}}},
        [U_SUB_A2] = {w->p1,
                      {.level = GH_ACCESS_SUB_ACCOUNT, .account_id = w->a2, .ids = {&w->s21, 1}}},
        [U_P2_ACC] = {w->p2, {.level = GH_ACCESS_ACCOUNT, .ids = {&w->a3, 1}}},
    };
    for (int i = 0; i < U_COUNT; i++) {
        gh_user u = user_base(names[i], spec[i].provider);
        u.access = spec[i].access;
        w->ids[i] = mk_user(db, &u);
        /* the principal, built by hand as a token or session would load it */
        w->who[i] = (gh_principal){.user_id = w->ids[i],
                                   .username = names[i],
                                   .provider_id = spec[i].provider,
                                   .access = {.level = spec[i].access.level,
                                              .all = spec[i].access.all,
                                              .account_id = spec[i].access.account_id}};
    }
}

#define ALL_P1                                                                                     \
    (B(U_P1) | B(U_ACC_ALL) | B(U_ACC_A1) | B(U_ACC_A2) | B(U_ACC_A1A2) | B(U_SUB_ALL) |           \
     B(U_SUB_S11) | B(U_SUB_S12) | B(U_SUB_S11S12) | B(U_SUB_A2))
#define SUBS_A1 (B(U_SUB_ALL) | B(U_SUB_S11) | B(U_SUB_S12) | B(U_SUB_S11S12))

static void user_scope(void **state)
{
    fx *x = *state;
    scope_world w;
    scope_world_build(x->db, &w);
    static const struct {
        int viewer;
        unsigned want;
    } cases[] = {
        {U_PLAT, B(U_COUNT) - 1},
        {U_P1, ALL_P1},
        {U_P2, B(U_P2) | B(U_P2_ACC)},
        {U_ACC_ALL, ALL_P1 & ~B(U_P1)},
        {U_ACC_A1, B(U_ACC_A1) | SUBS_A1},
        {U_ACC_A1A2, B(U_ACC_A1) | B(U_ACC_A2) | B(U_ACC_A1A2) | SUBS_A1 | B(U_SUB_A2)},
        {U_P2_ACC, B(U_P2_ACC)},
        {U_SUB_ALL, SUBS_A1},
        {U_SUB_S11, B(U_SUB_S11)},
        {U_SUB_S11S12, B(U_SUB_S11) | B(U_SUB_S12) | B(U_SUB_S11S12)},
        {U_SUB_A2, B(U_SUB_A2)},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const gh_principal *v = &w.who[cases[c].viewer];
        for (int u = 0; u < U_COUNT; u++) {
            /* the read inside scope: the user, or GH_ENOTFOUND as for a missing id */
            bool visible = (cases[c].want & B(u)) != 0;
            gh_user got = {.id = -1};
            gh_err err = gh_store_user_get_visible(x->db, x->a, v, w.ids[u], &got);
            if (err != (visible ? GH_OK : GH_ENOTFOUND))
                fail_msg("viewer %s: user %s: %s", v->username, w.who[u].username, gh_err_str(err));
            assert_int_equal(got.id, visible ? w.ids[u] : -1);
        }
        expect_list(x, v, (gh_user_filter){.now = 1000}, w.ids, U_COUNT, cases[c].want,
                    v->username);
    }
    /* a missing user is not visible to anyone */
    gh_user none = {.id = -1};
    assert_int_equal(gh_store_user_get_visible(x->db, x->a, &w.who[U_PLAT], 99999, &none),
                     GH_ENOTFOUND);
    assert_int_equal(none.id, -1);

    /* the principal loaded from the database scopes the same way */
    gh_principal loaded;
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, w.ids[U_ACC_A1], &loaded), GH_OK);
    assert_int_equal(loaded.access.level, GH_ACCESS_ACCOUNT);
    assert_int_equal(loaded.provider_id, w.p1);
    expect_list(x, &loaded, (gh_user_filter){.now = 1000}, w.ids, U_COUNT, B(U_ACC_A1) | SUBS_A1,
                "loaded acc.a1");
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, w.ids[U_SUB_S11], &loaded), GH_OK);
    assert_int_equal(loaded.access.level, GH_ACCESS_SUB_ACCOUNT);
    assert_int_equal(loaded.access.account_id, w.a1);
    expect_list(x, &loaded, (gh_user_filter){.now = 1000}, w.ids, U_COUNT, B(U_SUB_S11),
                "loaded sub.s11");
}

static void tenant_scope(void **state)
{
    fx *x = *state;
    scope_world w;
    scope_world_build(x->db, &w);
    const int64_t tenants[] = {w.p1, w.p2, w.a1, w.a2, w.a3, w.s11, w.s12, w.s21};
    enum { T_P1, T_P2, T_A1, T_A2, T_A3, T_S11, T_S12, T_S21, T_COUNT };
    static const struct {
        int viewer;
        unsigned want;
    } cases[] = {
        {U_PLAT, B(T_COUNT) - 1},
        {U_P1, B(T_P1) | B(T_A1) | B(T_A2) | B(T_S11) | B(T_S12) | B(T_S21)},
        {U_ACC_ALL, B(T_A1) | B(T_A2) | B(T_S11) | B(T_S12) | B(T_S21)},
        {U_ACC_A1, B(T_A1) | B(T_S11) | B(T_S12)},
        {U_SUB_ALL, B(T_A1) | B(T_S11) | B(T_S12)},
        {U_SUB_S11, B(T_S11)},
        {U_P2_ACC, B(T_A3)},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const gh_principal *v = &w.who[cases[c].viewer];
        unsigned got = 0;
        for (int t = 0; t < T_COUNT; t++) {
            bool visible = false;
            assert_int_equal(gh_store_tenant_visible(x->db, v, tenants[t], &visible), GH_OK);
            got |= visible ? B(t) : 0;
        }
        if (got != cases[c].want)
            fail_msg("viewer %s: tenants %#x want %#x", v->username, got, cases[c].want);
        gh_tenant *items = NULL;
        size_t n = 0;
        assert_int_equal(gh_store_tenant_list(x->db, x->a, v, 0, NULL, 50, 0, &items, &n), GH_OK);
        assert_int_equal(n, (size_t)__builtin_popcount(cases[c].want));
    }
    gh_tenant *items = NULL;
    size_t n = 0;
    assert_int_equal(gh_store_tenant_list(x->db, x->a, &w.who[U_PLAT], w.a1,
                                          &(gh_tenant_kind){GH_TENANT_SUB_ACCOUNT}, 50, 0, &items,
                                          &n),
                     GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, w.s11);
    assert_int_equal(items[1].id, w.s12);
}

/* ---- audit ---- */

static void audit(void **state)
{
    fx *x = *state;
    int64_t p1 = mk_provider(x->db, "P1"), p2 = mk_provider(x->db, "P2");
    int64_t a1 = mk_account(x->db, p1, "A1");
    gh_user u = user_base("t.provider", p1);
    int64_t t_prov = mk_user(x->db, &u);
    int64_t t_sub = mk_scoped(x->db, "t.sub", p1, GH_ACCESS_SUB_ACCOUNT, true, a1, (gh_ids){0});
    int64_t viewer =
        mk_scoped(x->db, "viewer", p1, GH_ACCESS_ACCOUNT, false, 0, (gh_ids){(int64_t[]){a1}, 1});
    const gh_audit_entry rows[] = {
        {.at = 100,
         .actor_id = 1,
         .actor = "alice",
         .action = "user.create",
         .target_type = "user",
         .target_id = t_prov,
         .target_user_id = t_prov,
         .provider_id = p1,
         .outcome = "success",
         .ip = "192.0.2.1",
         .request_id = "req-1",
         .after_json = "{}"},
        {.at = 200,
         .actor_id = 2,
         .actor = "bob",
         .action = "user.update",
         .target_type = "user",
         .target_id = t_sub,
         .target_user_id = t_sub,
         .provider_id = p1,
         .outcome = "success",
         .before_json = "{\"a\":1}",
         .after_json = "{\"a\":2}"},
        {.at = 300,
         .actor_id = 1,
         .actor = "alice",
         .action = "role.create",
         .target_type = "role",
         .target_id = 5,
         .provider_id = p2,
         .outcome = "success"},
        {.at = 400,
         .actor = "system",
         .action = "tenant.create",
         .target_type = "tenant",
         .target_id = p1,
         .provider_id = p1,
         .outcome = "success"},
        {.at = 500,
         .actor_id = 2,
         .actor = "bob",
         .action = "user.create",
         .target_type = "user",
         .target_id = t_sub,
         .target_user_id = t_sub,
         .outcome = "denied"},
    };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(gh_store_audit_insert(x->db, &rows[i]), GH_OK);

    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    gh_audit_entry *e = NULL;
    size_t n = 0;
    gh_audit_filter f = {.limit = 50};
    assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &f, &e, &n), GH_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < 5; i++) /* newest first */
        assert_int_equal(e[i].at, rows[4 - i].at);
    for (size_t i = 1; i < 5; i++)
        assert_true(e[i - 1].id > e[i].id);
    const gh_audit_entry *upd = &e[3];
    assert_int_equal(upd->actor_id, 2);
    assert_string_equal(upd->actor, "bob");
    assert_string_equal(upd->action, "user.update");
    assert_string_equal(upd->target_type, "user");
    assert_int_equal(upd->target_id, t_sub);
    assert_int_equal(upd->target_user_id, t_sub);
    assert_int_equal(upd->provider_id, p1);
    assert_string_equal(upd->outcome, "success");
    assert_string_equal(upd->ip, "");
    assert_string_equal(upd->request_id, "");
    assert_string_equal(upd->before_json, "{\"a\":1}");
    assert_string_equal(upd->after_json, "{\"a\":2}");
    assert_string_equal(e[4].ip, "192.0.2.1");
    assert_string_equal(e[4].request_id, "req-1");
    assert_null(e[4].before_json);
    assert_int_equal(e[1].actor_id, 0); /* the system */
    assert_int_equal(e[1].target_user_id, 0);
    assert_int_equal(e[0].provider_id, 0);

    static const struct {
        gh_audit_filter f;
        const char *want; /* ats/100 of the rows, newest first */
    } cases[] = {
        {{.actor_id = 1}, "31"},
        {{.action = "user.create"}, "51"},
        {{.target_type = "role"}, "3"},
        {{.target_id = 0, .target_type = "tenant"}, "4"},
        {{.since = 200, .until = 400}, "32"},
        {{.since = 450}, "5"},
        {{.until = 101}, "1"},
        {{.actor_id = 2, .action = "user.update"}, "2"},
        {{.actor = "bob"}, "52"},
        {{.actor = "alice", .action = "role.create"}, "3"},
        {{.actor = "nobody"}, ""},
        {{.action = "nothing"}, ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        gh_audit_filter cf = cases[c].f;
        cf.limit = 50;
        assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &cf, &e, &n), GH_OK);
        char got[8] = "";
        for (size_t i = 0; i < n && i < sizeof got - 1; i++)
            got[i] = (char)('0' + e[i].at / 100);
        if (strcmp(got, cases[c].want) != 0)
            fail_msg("audit case %zu: got %s want %s", c, got, cases[c].want);
    }
    f = (gh_audit_filter){.target_id = t_sub, .limit = 50};
    assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &f, &e, &n), GH_OK);
    assert_int_equal(n, 2);

    /* pages: limit and before_id */
    f = (gh_audit_filter){.limit = 2};
    assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &f, &e, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].at, 500);
    assert_int_equal(e[1].at, 400);
    f.before_id = e[1].id;
    assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &f, &e, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].at, 300);
    assert_int_equal(e[1].at, 200);
    f.before_id = e[1].id;
    assert_int_equal(gh_store_audit_list(x->db, x->a, &plat, &f, &e, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].at, 100);

    /* scope: a provider sees its provider's rows, an account admin rows about users it sees */
    gh_principal prov1 = {.user_id = 1, .provider_id = p1, .access = {.level = GH_ACCESS_PROVIDER}};
    gh_principal prov2 = {.user_id = 1, .provider_id = p2, .access = {.level = GH_ACCESS_PROVIDER}};
    gh_principal acc = {
        .user_id = viewer, .provider_id = p1, .access = {.level = GH_ACCESS_ACCOUNT}};
    f = (gh_audit_filter){.limit = 50};
    assert_int_equal(gh_store_audit_list(x->db, x->a, &prov1, &f, &e, &n), GH_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(e[i].provider_id, p1);
    assert_int_equal(gh_store_audit_list(x->db, x->a, &prov2, &f, &e, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].at, 300);
    assert_int_equal(gh_store_audit_list(x->db, x->a, &acc, &f, &e, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].target_user_id, t_sub);
    assert_int_equal(e[1].target_user_id, t_sub);
}

/* The names of a page's objects in one statement each, within the viewer's scope. */
static void audit_names(void **state)
{
    fx *x = *state;
    int64_t p1 = mk_provider(x->db, "P1"), p2 = mk_provider(x->db, "P2");
    gh_user u = user_base("mei", p1);
    u.first_name = "Mei";
    u.last_name = "Chen";
    int64_t mei = mk_user(x->db, &u);
    u = user_base("li", p1);
    u.first_name = "伟";
    u.last_name = "李";
    int64_t li = mk_user(x->db, &u);
    u = user_base("plain", p1);
    int64_t plain = mk_user(x->db, &u);
    u = user_base("other", p2);
    u.first_name = "Out";
    int64_t other = mk_user(x->db, &u);
    int64_t r_global = mk_role(x->db, 0, "Global role", GH_ROLE_SERVICE_PROVIDER, 0);
    int64_t r_p2 = mk_role(x->db, p2, "P2 role", GH_ROLE_SERVICE_PROVIDER, 0);

    gh_principal plat = {.access = {.level = GH_ACCESS_PLATFORM}};
    gh_principal prov1 = {.user_id = 1, .provider_id = p1, .access = {.level = GH_ACCESS_PROVIDER}};
    const int64_t ids[] = {mei, li, plain, other, 999999};
    const char *names[5];
    assert_int_equal(gh_store_audit_names(x->db, x->a, &plat, GH_NAMED_USER, ids, 5, names), GH_OK);
    assert_string_equal(names[0], "Mei Chen");
    assert_string_equal(names[1], "李伟");
    assert_string_equal(names[2], "plain"); /* no name: the username */
    assert_string_equal(names[3], "Out");
    assert_null(names[4]); /* gone */
    assert_int_equal(gh_store_audit_names(x->db, x->a, &prov1, GH_NAMED_USER, ids, 5, names),
                     GH_OK);
    assert_string_equal(names[0], "Mei Chen");
    assert_null(names[3]); /* another provider's user */
    const int64_t roles[] = {r_global, r_p2};
    assert_int_equal(gh_store_audit_names(x->db, x->a, &prov1, GH_NAMED_ROLE, roles, 2, names),
                     GH_OK);
    assert_string_equal(names[0], "Global role");
    assert_null(names[1]);
    const int64_t tenants[] = {p1, p2};
    assert_int_equal(gh_store_audit_names(x->db, x->a, &prov1, GH_NAMED_TENANT, tenants, 2, names),
                     GH_OK);
    assert_string_equal(names[0], "P1");
    assert_null(names[1]);

    /* a page's worth of ids, more than the query builder's parameters: one list, bound in turn */
    enum { MANY = 201 };
    int64_t many[MANY];
    const char *many_names[MANY];
    for (size_t i = 0; i < MANY; i++)
        many[i] = i == MANY - 1 ? mei : 100000 + (int64_t)i;
    assert_int_equal(
        gh_store_audit_names(x->db, x->a, &prov1, GH_NAMED_USER, many, MANY, many_names), GH_OK);
    assert_null(many_names[0]);
    assert_string_equal(many_names[MANY - 1], "Mei Chen");
    assert_int_equal(gh_store_audit_names(x->db, x->a, &plat, GH_NAMED_USER, many, 0, many_names),
                     GH_OK);
}

/* ---- tokens and principals ---- */

static void tokens(void **state)
{
    fx *x = *state;
    gh_principal pr;
    int64_t p = mk_provider(x->db, "P");
    int64_t r_direct = mk_role(x->db, p, "direct", GH_ROLE_SERVICE_PROVIDER, GH_PERM(USERS_READ));
    int64_t r_group = mk_role(x->db, p, "via group", GH_ROLE_SERVICE_PROVIDER, GH_PERM(AUDIT_READ));
    int64_t r_global = mk_role(x->db, 0, "global", GH_ROLE_SERVICE_PROVIDER, GH_PERM(ROLES_READ));
    mk_role(x->db, p, "unused", GH_ROLE_SERVICE_PROVIDER, GH_PERM(TENANTS_READ));
    int64_t g = mk_group(x->db, p, "g", (gh_ids){(int64_t[]){r_group, r_global}, 2});
    gh_user u = user_base("Holder", p);
    u.role_ids = (gh_ids){(int64_t[]){r_direct}, 1};
    u.group_ids = (gh_ids){(int64_t[]){g}, 1};
    int64_t uid = mk_user(x->db, &u), tid = 0;
    assert_int_equal(gh_store_token_insert(x->db, uid, "ci", "hash-ok", 1000, 0, &tid), GH_OK);
    int64_t ok_id = tid;
    assert_int_equal(gh_store_token_insert(x->db, uid, "ci", "hash-ok", 1000, 0, &tid),
                     GH_ECONFLICT);
    assert_int_equal(gh_store_token_insert(x->db, uid, "short", "hash-exp", 900, 1000, &tid),
                     GH_OK);
    assert_int_equal(gh_store_token_insert(x->db, uid, "long", "hash-later", 900, 5000, &tid),
                     GH_OK);
    int64_t later_id = tid;

    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL), GH_OK);
    assert_int_equal(pr.user_id, uid);
    assert_string_equal(pr.username, "Holder");
    assert_int_equal(pr.provider_id, p);
    assert_false(pr.superadmin);
    assert_int_equal(pr.access.level, GH_ACCESS_PROVIDER);
    assert_int_equal(pr.perms, GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ) | GH_PERM(ROLES_READ));
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-later", 1000, &pr, NULL),
                     GH_OK);

    memset(&pr, 0x5a, sizeof pr);
    gh_principal untouched;
    memcpy(&untouched, &pr, sizeof pr);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "unknown", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_memory_equal(&pr, &untouched, sizeof pr);
    /* expiry is exclusive: a token is dead from its expires_at on */
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-exp", 999, &pr, NULL), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-exp", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-later", 5000, &pr, NULL),
                     GH_EUNAUTH);

    /* listed (live ones only, by id), read, deleted; never the hash */
    gh_api_token *items = NULL, one;
    size_t n = 0;
    int64_t count = 0;
    assert_int_equal(gh_store_token_list(x->db, x->a, uid, 1000, 10, &items, &n), GH_OK);
    assert_int_equal(n, 2); /* "short" expired at 1000 */
    assert_int_equal(items[0].id, ok_id);
    assert_string_equal(items[0].name, "ci");
    assert_string_equal(items[0].username, "Holder");
    assert_int_equal(items[1].expires_at, 5000);
    assert_int_equal(gh_store_token_get(x->db, x->a, later_id, 1000, &one), GH_OK);
    assert_int_equal(one.user_id, uid);
    assert_int_equal(gh_store_token_get(x->db, x->a, later_id, 5000, &one), GH_ENOTFOUND);
    assert_int_equal(gh_store_token_delete(x->db, uid + 1000, later_id, 1000, &count), GH_OK);
    assert_int_equal(count, 0); /* not that user's */
    assert_int_equal(gh_store_token_purge(x->db, uid, 1000), GH_OK);
    assert_int_equal(gh_store_token_list(x->db, x->a, uid, 0, 10, &items, &n), GH_OK);
    assert_int_equal(n, 2); /* the expired one is gone even as seen from before its expiry */

    /* the user must be able to act */
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_DISABLED, 1000, 0), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_INVITED, 1000, 0), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_DELETED, 1000, 0), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_ACTIVE, 1000, 0), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL), GH_OK);
    set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", 2000, uid);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 1000, &pr, NULL),
                     GH_EUNAUTH);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-ok", 2000, &pr, NULL), GH_OK);
    set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", 0, uid);

    gh_user off = user_base("no.login", p);
    off.login_enabled = false;
    int64_t off_id = mk_user(x->db, &off);
    assert_int_equal(gh_store_token_insert(x->db, off_id, "t", "hash-off", 1000, 0, &tid), GH_OK);
    assert_int_equal(gh_store_principal_by_token(x->db, x->a, "hash-off", 1000, &pr, NULL),
                     GH_EUNAUTH);

    /* by user: whatever the status */
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, off_id, &pr), GH_OK);
    assert_int_equal(pr.user_id, off_id);
    assert_int_equal(pr.perms, 0);
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_DISABLED, 1000, 0), GH_OK);
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, uid, &pr), GH_OK);
    assert_int_equal(pr.perms, GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ) | GH_PERM(ROLES_READ));
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, 99999, &pr), GH_ENOTFOUND);

    gh_user admin = user_base("root", 0);
    admin.is_superadmin = true;
    int64_t admin_id = mk_user(x->db, &admin);
    assert_int_equal(gh_store_principal_by_user(x->db, x->a, admin_id, &pr), GH_OK);
    assert_true(pr.superadmin);
    assert_int_equal(pr.access.level, GH_ACCESS_PLATFORM);
    assert_int_equal(pr.provider_id, 0);
}

/* Set-up links: a new one voids the live ones; a use is one compare-and-set that needs a live,
 * unexpired link and no account but the new administrator. */
static void setup_links(void **state)
{
    fx *x = *state;
    gh_setup_link l;
    int64_t first = 0, second = 0;
    assert_int_equal(gh_store_setup_replace(x->db, "hash-1", 1000, 4600, &first), GH_OK);
    assert_int_equal(gh_store_setup_replace(x->db, "hash-2", 1100, 4700, &second), GH_OK);
    assert_int_equal(gh_store_setup_by_hash(x->db, "hash-1", &l), GH_OK);
    assert_int_equal(l.id, first);
    assert_int_equal(l.voided_at, 1100);
    assert_int_equal(gh_store_setup_by_hash(x->db, "hash-2", &l), GH_OK);
    assert_int_equal(l.voided_at, 0);
    assert_int_equal(l.expires_at, 4700);
    memset(&l, 0x5a, sizeof l);
    gh_setup_link untouched = l;
    assert_int_equal(gh_store_setup_by_hash(x->db, "unknown", &l), GH_ENOTFOUND);
    assert_memory_equal(&l, &untouched, sizeof l);

    gh_user u = user_base("first", 0);
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_setup_use(x->db, first, uid, 1200), GH_ENOTFOUND);  /* voided */
    assert_int_equal(gh_store_setup_use(x->db, second, uid, 4700), GH_ENOTFOUND); /* expired */
    gh_user other = user_base("other", 0);
    int64_t oid = mk_user(x->db, &other);
    assert_int_equal(gh_store_setup_use(x->db, second, uid, 1200), GH_ENOTFOUND); /* accounts */
    assert_int_equal(gh_store_user_set_status(x->db, oid, GH_STATUS_DELETED, 1200, 0), GH_OK);
    assert_int_equal(gh_store_setup_use(x->db, second, uid, 1200), GH_ENOTFOUND); /* still one */
    assert_int_equal(gh_store_setup_use(x->db, second, oid, 1200), GH_ENOTFOUND);
    (void)second;
}

static void setup_link_use(void **state)
{
    fx *x = *state;
    gh_setup_link l;
    int64_t id = 0;
    assert_int_equal(gh_store_setup_replace(x->db, "hash", 1000, 4600, &id), GH_OK);
    gh_user u = user_base("first", 0);
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_setup_use(x->db, id, uid, 4599), GH_OK);
    assert_int_equal(gh_store_setup_use(x->db, id, uid, 4599), GH_ENOTFOUND); /* once */
    assert_int_equal(gh_store_setup_by_hash(x->db, "hash", &l), GH_OK);
    assert_int_equal(l.used_at, 4599);
    assert_int_equal(l.user_id, uid);
    /* a used link is not voided by a later one */
    assert_int_equal(gh_store_setup_replace(x->db, "hash-later", 5000, 8600, &id), GH_OK);
    assert_int_equal(gh_store_setup_by_hash(x->db, "hash", &l), GH_OK);
    assert_int_equal(l.voided_at, 0);
}

/* One integer of the row id (a test-only read the store has no function for). */
static int64_t query_int(gh_db *db, const char *sql, int64_t id)
{
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(db, sql, &st), GH_OK);
    gh_stmt_bind_int(st, 1, id);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    int64_t v = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return v;
}

static gh_credentials creds(fx *x, int64_t uid)
{
    gh_credentials c;
    assert_int_equal(gh_store_credentials(x->db, x->a, NULL, uid, &c), GH_OK);
    return c;
}

static bool fail_once(fx *x, int64_t uid, int64_t now)
{
    bool banned = true;
    assert_int_equal(gh_store_login_failed(x->db, uid, now, 3, 600, &banned), GH_OK);
    return banned;
}

/* Lock-out (A4): a failure counts only while the user is not banned; the max_failures-th
 * consecutive one bans until now + ban_seconds, says so once, and restarts the count; a reset
 * clears the count. */
static void lockout_failures(void **state)
{
    fx *x = *state;
    gh_user u = user_base("Locked", 0);
    int64_t uid = mk_user(x->db, &u);
    assert_false(fail_once(x, uid, 1000));
    assert_false(fail_once(x, uid, 1001));
    assert_int_equal(gh_store_login_reset(x->db, uid), GH_OK);
    assert_int_equal(gh_store_login_reset(x->db, uid), GH_OK); /* nothing to clear: no error */
    assert_false(fail_once(x, uid, 1002));                     /* the count restarted at reset */
    assert_false(fail_once(x, uid, 1003));
    assert_int_equal(creds(x, uid).banned_until, 0);
    assert_true(fail_once(x, uid, 1010)); /* the third consecutive one */
    assert_int_equal(creds(x, uid).banned_until, 1610);
    /* while banned a failure neither counts nor extends the ban nor reports a new one */
    assert_false(fail_once(x, uid, 1609));
    assert_int_equal(creds(x, uid).banned_until, 1610);
    /* the ban ends at banned_until; the count restarted at the ban, so the third failure after
     * it (not the second, as it would be had the one at 1609 counted) bans again */
    assert_false(fail_once(x, uid, 1610));
    assert_false(fail_once(x, uid, 1611));
    assert_true(fail_once(x, uid, 1612));
    assert_int_equal(creds(x, uid).banned_until, 2212);
    /* an unknown user: nothing counts, nobody is banned */
    assert_false(fail_once(x, uid + 1000, 1000));
    /* max_failures 1: the first failure bans */
    gh_user v = user_base("Strict", 0);
    int64_t vid = mk_user(x->db, &v);
    bool banned = false;
    assert_int_equal(gh_store_login_failed(x->db, vid, 1000, 1, 60, &banned), GH_OK);
    assert_true(banned);
    assert_int_equal(creds(x, vid).banned_until, 1060);
    assert_int_equal(creds(x, uid).banned_until, 2212); /* the other user's ban is its own */
}

/* Unban is a compare-and-set on a ban that lies ahead (GH_ENOTFOUND otherwise, so two admins
 * cannot both record one); it also clears the failure count. */
static void lockout_unban(void **state)
{
    fx *x = *state;
    gh_user u = user_base("Banned", 0);
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_user_unban(x->db, uid, 1000), GH_ENOTFOUND); /* never banned */
    set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", 2000, uid);
    set_int(x->db, "UPDATE users SET failed_logins = ? WHERE id = ?", 2, uid);
    assert_int_equal(gh_store_user_unban(x->db, uid, 2000), GH_ENOTFOUND); /* ban over at 2000 */
    assert_int_equal(gh_store_user_unban(x->db, uid + 1000, 1000), GH_ENOTFOUND);
    int64_t version = query_int(x->db, "SELECT version FROM users WHERE id = ?", uid);
    assert_int_equal(gh_store_user_unban(x->db, uid, 1999), GH_OK);
    assert_int_equal(creds(x, uid).banned_until, 0);
    assert_int_equal(query_int(x->db, "SELECT failed_logins FROM users WHERE id = ?", uid), 0);
    assert_int_equal(query_int(x->db, "SELECT version FROM users WHERE id = ?", uid), version + 1);
    assert_int_equal(gh_store_user_unban(x->db, uid, 1999), GH_ENOTFOUND); /* once */
    assert_false(fail_once(x, uid, 2001)); /* the count restarted: 2 + 1 would have banned */
    assert_false(fail_once(x, uid, 2002));
    assert_true(fail_once(x, uid, 2003));
}

/* Credentials: by username (case-insensitive) or by id, and by id holding the row in a write
 * transaction; GH_ENOTFOUND for neither, leaving *out alone. Two-factor is required by the
 * user's own flag or by a role held directly or through a group. */
static void credentials(void **state)
{
    fx *x = *state;
    gh_credentials c;
    int64_t p = mk_provider(x->db, "P");
    gh_user u = user_base("Cred.User", p);
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_user_set_password(x->db, uid, "hash-1", true, 1100), GH_OK);
    assert_int_equal(gh_store_credentials(x->db, x->a, "CRED.user", 0, &c), GH_OK);
    assert_int_equal(c.user_id, uid);
    assert_int_equal(c.provider_id, p);
    assert_string_equal(c.username, "Cred.User");
    assert_string_equal(c.password_hash, "hash-1");
    assert_int_equal(c.status, GH_STATUS_ACTIVE);
    assert_true(c.login_enabled);
    assert_true(c.must_change_password);
    assert_false(c.mfa_required);
    assert_false(c.mfa_enrolled);
    assert_null(c.totp_secret);
    assert_null(c.totp_pending);
    assert_int_equal(c.banned_until, 0);
    assert_int_equal(creds(x, uid).user_id, uid);
    memset(&c, 0x5a, sizeof c);
    gh_credentials untouched = c;
    assert_int_equal(gh_store_credentials(x->db, x->a, "nobody", 0, &c), GH_ENOTFOUND);
    assert_int_equal(gh_store_credentials(x->db, x->a, NULL, uid + 1000, &c), GH_ENOTFOUND);
    assert_memory_equal(&c, &untouched, sizeof c);

    assert_int_equal(gh_db_begin(x->db), GH_OK);
    assert_int_equal(gh_store_credentials_locked(x->db, x->a, uid, &c), GH_OK);
    assert_int_equal(c.user_id, uid);
    assert_string_equal(c.password_hash, "hash-1");
    assert_int_equal(gh_store_credentials_locked(x->db, x->a, uid + 1000, &c), GH_ENOTFOUND);
    assert_int_equal(gh_db_commit(x->db), GH_OK);

    assert_int_equal(gh_store_set_must_change(x->db, uid, false), GH_OK);
    assert_false(creds(x, uid).must_change_password);
    assert_int_equal(gh_store_set_mfa_required(x->db, uid), GH_OK);
    assert_true(creds(x, uid).mfa_required);

    gh_role r = {.provider_id = p,
                 .name = "strict",
                 .description = "",
                 .kind = GH_ROLE_SERVICE_PROVIDER,
                 .mfa_required = true,
                 .created_at = 1000};
    int64_t rid = 0;
    assert_int_equal(gh_store_role_insert(x->db, &r, &rid), GH_OK);
    gh_user direct = user_base("direct", p);
    direct.role_ids = (gh_ids){(int64_t[]){rid}, 1};
    assert_true(creds(x, mk_user(x->db, &direct)).mfa_required);
    int64_t g = mk_group(x->db, p, "g", (gh_ids){(int64_t[]){rid}, 1});
    gh_user member = user_base("member", p);
    member.group_ids = (gh_ids){(int64_t[]){g}, 1};
    assert_true(creds(x, mk_user(x->db, &member)).mfa_required);
    gh_user plain = user_base("plain", p);
    assert_false(creds(x, mk_user(x->db, &plain)).mfa_required);
}

/* TOTP: a pending secret becomes the active one only by confirm, at the step it verified;
 * advance is a compare-and-set from the last accepted step to a later one (GH_ECONFLICT when
 * another request used that step first, or for a replayed or older step); clear forgets the
 * device and the recovery codes. */
static void totp_state(void **state)
{
    fx *x = *state;
    gh_user u = user_base("Second", 0);
    int64_t uid = mk_user(x->db, &u);
    assert_int_equal(gh_store_totp_confirm(x->db, uid, 10), GH_OK); /* nothing pending */
    assert_false(creds(x, uid).mfa_enrolled);
    assert_null(creds(x, uid).totp_secret);
    assert_int_equal(gh_store_totp_pending(x->db, uid, "sealed-1"), GH_OK);
    gh_credentials c = creds(x, uid);
    assert_string_equal(c.totp_pending, "sealed-1");
    assert_null(c.totp_secret);
    assert_false(c.mfa_enrolled);
    assert_int_equal(gh_store_totp_confirm(x->db, uid, 100), GH_OK);
    c = creds(x, uid);
    assert_string_equal(c.totp_secret, "sealed-1");
    assert_null(c.totp_pending);
    assert_true(c.mfa_enrolled);
    assert_int_equal(c.totp_last_step, 100);

    assert_int_equal(gh_store_totp_advance(x->db, uid, 100, 101), GH_OK);
    assert_int_equal(gh_store_totp_advance(x->db, uid, 100, 102), GH_ECONFLICT); /* raced */
    assert_int_equal(gh_store_totp_advance(x->db, uid, 101, 101), GH_ECONFLICT); /* replay */
    assert_int_equal(gh_store_totp_advance(x->db, uid, 101, 99), GH_ECONFLICT);  /* older */
    assert_int_equal(creds(x, uid).totp_last_step, 101);
    assert_int_equal(gh_store_totp_advance(x->db, uid, 101, 105), GH_OK);
    assert_int_equal(creds(x, uid).totp_last_step, 105);
    assert_int_equal(gh_store_totp_advance(x->db, uid + 1000, 0, 1), GH_ECONFLICT);

    /* a new pending secret leaves the active one working until confirmed */
    assert_int_equal(gh_store_totp_pending(x->db, uid, "sealed-2"), GH_OK);
    assert_string_equal(creds(x, uid).totp_secret, "sealed-1");

    const char *codes[] = {"code-1", "code-2"};
    assert_int_equal(gh_store_recovery_replace(x->db, uid, codes, 2), GH_OK);
    assert_int_equal(gh_store_totp_clear(x->db, uid), GH_OK);
    c = creds(x, uid);
    assert_null(c.totp_secret);
    assert_null(c.totp_pending);
    assert_false(c.mfa_enrolled);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-1", 2000), GH_ENOTFOUND);
}

/* Recovery codes: each works once, only for its user; a replacement set invalidates the old
 * one, used or not. */
static void recovery_codes(void **state)
{
    fx *x = *state;
    gh_user u = user_base("Recover", 0), o = user_base("Other", 0);
    int64_t uid = mk_user(x->db, &u), oid = mk_user(x->db, &o);
    const char *codes[] = {"code-1", "code-2", "code-3"};
    assert_int_equal(gh_store_recovery_replace(x->db, uid, codes, 3), GH_OK);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-1", 2000), GH_OK);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-1", 2001), GH_ENOTFOUND); /* once */
    assert_int_equal(gh_store_recovery_use(x->db, oid, "code-2", 2000), GH_ENOTFOUND);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "unknown", 2000), GH_ENOTFOUND);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-2", 2002), GH_OK);
    const char *fresh[] = {"code-4"};
    assert_int_equal(gh_store_recovery_replace(x->db, uid, fresh, 1), GH_OK);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-3", 2003), GH_ENOTFOUND);
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-4", 2003), GH_OK);
    assert_int_equal(gh_store_recovery_replace(x->db, uid, NULL, 0), GH_OK); /* none left */
    assert_int_equal(gh_store_recovery_use(x->db, uid, "code-4", 2004), GH_ENOTFOUND);
}

/* Passkeys: a credential id belongs to one passkey; the counter moves by compare-and-set;
 * rename and delete only the owner's; the credentials say has_passkeys; clear removes them all.
 * Challenges: single use, per purpose and session, and not after their expiry. The user handle
 * is made once. */
static void passkeys(void **state)
{
    fx *x = *state;
    gh_user u = user_base("Passkey", 0), o = user_base("Otherkey", 0);
    int64_t uid = mk_user(x->db, &u), oid = mk_user(x->db, &o);
    gh_passkey pk = {.user_id = uid,
                     .name = "Laptop",
                     .credential_id = "Y3JlZC0x",
                     .public_key = "a2V5",
                     .alg = -7,
                     .sign_count = 3,
                     .aaguid = "00000000-0000-0000-0000-000000000000",
                     .uv = true,
                     .created_at = 1000};
    int64_t id = 0, dup = 0;
    assert_false(creds(x, uid).has_passkeys);
    assert_int_equal(gh_store_passkey_insert(x->db, &pk, &id), GH_OK);
    assert_true(creds(x, uid).has_passkeys);
    gh_passkey theirs = pk;
    theirs.user_id = oid;
    assert_int_equal(gh_store_passkey_insert(x->db, &theirs, &dup), GH_ECONFLICT);
    gh_passkey got;
    assert_int_equal(gh_store_passkey_by_credential(x->db, x->a, "Y3JlZC0x", &got), GH_OK);
    assert_int_equal(got.id, id);
    assert_int_equal(got.user_id, uid);
    assert_int_equal(got.sign_count, 3);
    assert_true(got.uv);
    assert_int_equal(gh_store_passkey_by_credential(x->db, x->a, "bm9uZQ", &got), GH_ENOTFOUND);
    assert_int_equal(gh_store_passkey_used(x->db, id, 3, 4, 2000), GH_OK);
    assert_int_equal(gh_store_passkey_used(x->db, id, 3, 5, 2001), GH_ECONFLICT); /* raced */
    assert_int_equal(gh_store_passkey_rename(x->db, oid, id, "Mine"), GH_ENOTFOUND);
    assert_int_equal(gh_store_passkey_rename(x->db, uid, id, "Phone"), GH_OK);
    gh_passkey *items = NULL;
    size_t n = 0;
    assert_int_equal(gh_store_passkey_list(x->db, x->a, uid, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].name, "Phone");
    assert_int_equal(items[0].sign_count, 4);
    assert_int_equal(items[0].last_used_at, 2000);
    assert_int_equal(gh_store_passkey_delete(x->db, oid, id), GH_ENOTFOUND);
    assert_int_equal(gh_store_passkey_delete(x->db, uid, id), GH_OK);
    assert_false(creds(x, uid).has_passkeys);
    pk.credential_id = "Y3JlZC0y";
    assert_int_equal(gh_store_passkey_insert(x->db, &pk, &id), GH_OK);
    int64_t cleared = 0;
    assert_int_equal(gh_store_passkeys_clear(x->db, uid, &cleared), GH_OK);
    assert_int_equal(cleared, 1);

    const char *h1 = NULL, *h2 = NULL;
    assert_int_equal(gh_store_webauthn_handle(x->db, x->a, uid, "aGFuZGxlLTE", &h1), GH_OK);
    assert_int_equal(gh_store_webauthn_handle(x->db, x->a, uid, "aGFuZGxlLTI", &h2), GH_OK);
    assert_string_equal(h1, "aGFuZGxlLTE");
    assert_string_equal(h2, "aGFuZGxlLTE"); /* stable */

    assert_int_equal(gh_store_challenge_insert(x->db, "Y2gx", "signin", 7, uid, 1000, 1300), GH_OK);
    assert_int_equal(gh_store_challenge_use(x->db, "Y2gx", "register", 7, 1001), GH_ENOTFOUND);
    assert_int_equal(gh_store_challenge_use(x->db, "Y2gx", "signin", 8, 1001), GH_ENOTFOUND);
    assert_int_equal(gh_store_challenge_use(x->db, "Y2gx", "signin", 7, 1001), GH_OK);
    assert_int_equal(gh_store_challenge_use(x->db, "Y2gx", "signin", 7, 1002), GH_ENOTFOUND);
    assert_int_equal(gh_store_challenge_insert(x->db, "Y2gy", "passwordless", 0, 0, 1000, 1300),
                     GH_OK);
    assert_int_equal(gh_store_challenge_use(x->db, "Y2gy", "passwordless", 0, 1300),
                     GH_ENOTFOUND); /* expired */
}

static int64_t mk_session(fx *x, int64_t uid, const char *hash, int64_t created, int64_t expires)
{
    gh_session s = {.user_id = uid,
                    .stage = GH_STAGE_TOTP,
                    .created_at = created,
                    .expires_at = expires,
                    .ip = "192.0.2.1",
                    .user_agent = "agent"};
    int64_t id = 0;
    assert_int_equal(gh_store_session_insert(x->db, &s, hash, &id), GH_OK);
    assert_true(id > 0);
    return id;
}

static gh_err auth(fx *x, const char *hash, int64_t now, int64_t idle_cutoff, gh_session *s)
{
    gh_principal p;
    return gh_store_session_auth(x->db, x->a, hash, now, idle_cutoff, s, &p, NULL);
}

/* Session auth: found by its token hash only while seen after idle_cutoff (touch moves that)
 * and before its absolute expiry (touch does not), and only while its user can act (active,
 * login enabled, not banned); the principal carries the user's permissions. */
static void session_auth(void **state)
{
    fx *x = *state;
    gh_session s;
    gh_principal pr;
    int64_t p = mk_provider(x->db, "P");
    int64_t r = mk_role(x->db, p, "reader", GH_ROLE_SERVICE_PROVIDER, GH_PERM(USERS_READ));
    gh_user u = user_base("Sessioned", p);
    u.role_ids = (gh_ids){(int64_t[]){r}, 1};
    int64_t uid = mk_user(x->db, &u);
    int64_t sid = mk_session(x, uid, "sess-1", 1000, 5000);
    gh_session dup = {.user_id = uid, .stage = GH_STAGE_DONE, .created_at = 1000};
    int64_t dup_id = 0;
    assert_int_equal(gh_store_session_insert(x->db, &dup, "sess-1", &dup_id), GH_ECONFLICT);

    assert_int_equal(gh_store_session_auth(x->db, x->a, "sess-1", 1100, 999, &s, &pr, NULL), GH_OK);
    assert_int_equal(s.id, sid);
    assert_int_equal(s.user_id, uid);
    assert_int_equal(s.stage, GH_STAGE_TOTP);
    assert_int_equal(s.created_at, 1000);
    assert_int_equal(s.last_seen_at, 1000);
    assert_int_equal(s.expires_at, 5000);
    assert_string_equal(s.ip, "192.0.2.1");
    assert_string_equal(s.user_agent, "agent");
    assert_int_equal(pr.user_id, uid);
    assert_string_equal(pr.username, "Sessioned");
    assert_int_equal(pr.provider_id, p);
    assert_int_equal(pr.perms, GH_PERM(USERS_READ));
    assert_false(pr.superadmin);
    assert_int_equal(auth(x, "unknown", 1100, 999, &s), GH_EUNAUTH);

    /* idle: last seen at or before the cutoff */
    assert_int_equal(auth(x, "sess-1", 1100, 1000, &s), GH_EUNAUTH);
    assert_int_equal(gh_store_session_touch(x->db, sid, 2000), GH_OK);
    assert_int_equal(auth(x, "sess-1", 2100, 1999, &s), GH_OK);
    assert_int_equal(s.last_seen_at, 2000);
    /* absolute: at expires_at it is over, however recently it was seen */
    assert_int_equal(gh_store_session_touch(x->db, sid, 4999), GH_OK);
    assert_int_equal(auth(x, "sess-1", 4999, 1999, &s), GH_OK);
    assert_int_equal(auth(x, "sess-1", 5000, 1999, &s), GH_EUNAUTH);

    assert_int_equal(gh_store_session_set_stage(x->db, sid, GH_STAGE_DONE), GH_OK);
    assert_int_equal(auth(x, "sess-1", 3000, 1999, &s), GH_OK);
    assert_int_equal(s.stage, GH_STAGE_DONE);
    assert_int_equal(gh_store_session_set_stage(x->db, sid + 1000, GH_STAGE_DONE), GH_ENOTFOUND);

    /* the user must be able to act */
    static const gh_user_status inactive[] = {GH_STATUS_DISABLED, GH_STATUS_INVITED,
                                              GH_STATUS_DELETED};
    for (size_t i = 0; i < sizeof inactive / sizeof *inactive; i++) {
        assert_int_equal(gh_store_user_set_status(x->db, uid, inactive[i], 3000, 0), GH_OK);
        assert_int_equal(auth(x, "sess-1", 3000, 1999, &s), GH_EUNAUTH);
    }
    assert_int_equal(gh_store_user_set_status(x->db, uid, GH_STATUS_ACTIVE, 3000, 0), GH_OK);
    assert_int_equal(auth(x, "sess-1", 3000, 1999, &s), GH_OK);
    set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", 3500, uid);
    assert_int_equal(auth(x, "sess-1", 3499, 1999, &s), GH_EUNAUTH);
    assert_int_equal(auth(x, "sess-1", 3500, 1999, &s), GH_OK);
    set_int(x->db, "UPDATE users SET login_enabled = ? WHERE id = ?", 0, uid);
    assert_int_equal(auth(x, "sess-1", 3500, 1999, &s), GH_EUNAUTH);
}

/* Session list: the user's live sessions (unexpired, seen after idle_cutoff), newest first;
 * delete removes one (id > 0, only the user's own), all (0), or all but one (id < 0), and
 * counts what went. */
static void session_list_delete(void **state)
{
    fx *x = *state;
    gh_session *items = NULL, s;
    size_t n = 0;
    int64_t count = -1;
    gh_user u = user_base("Many", 0), o = user_base("Else", 0);
    int64_t uid = mk_user(x->db, &u), oid = mk_user(x->db, &o);
    int64_t s1 = mk_session(x, uid, "s-1", 2000, 9000);
    int64_t s2 = mk_session(x, uid, "s-2", 1500, 9000);
    mk_session(x, uid, "s-3", 1600, 1700); /* expired at 2100 */
    int64_t so = mk_session(x, oid, "s-o", 2000, 9000);
    assert_int_equal(gh_store_session_list(x->db, x->a, uid, 2100, 1400, &items, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, s2);
    assert_int_equal(items[1].id, s1);
    assert_int_equal(gh_store_session_list(x->db, x->a, uid, 2100, 1500, &items, &n), GH_OK);
    assert_int_equal(n, 1); /* s-2 idle */
    assert_int_equal(items[0].id, s1);

    assert_int_equal(gh_store_session_delete(x->db, oid, s1, &count), GH_OK);
    assert_int_equal(count, 0); /* not that user's */
    assert_int_equal(gh_store_session_delete(x->db, uid, -s1, &count), GH_OK);
    assert_int_equal(count, 2); /* s-2 and the expired s-3 */
    assert_int_equal(auth(x, "s-1", 2100, 1400, &s), GH_OK);
    assert_int_equal(auth(x, "s-2", 2100, 1400, &s), GH_EUNAUTH);
    assert_int_equal(gh_store_session_delete(x->db, uid, s1, &count), GH_OK);
    assert_int_equal(count, 1);
    assert_int_equal(auth(x, "s-1", 2100, 1400, &s), GH_EUNAUTH);
    mk_session(x, uid, "s-4", 2000, 9000);
    mk_session(x, uid, "s-5", 2000, 9000);
    assert_int_equal(gh_store_session_delete(x->db, uid, 0, NULL), GH_OK);
    assert_int_equal(gh_store_session_list(x->db, x->a, uid, 2100, 0, &items, &n), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_store_session_list(x->db, x->a, oid, 2100, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, so);
}

static int64_t mk_mail(fx *x, int64_t uid, gh_mail_state state, int64_t due, int64_t created)
{
    gh_mail m = {.kind = "onboarding",
                 .user_id = uid,
                 .to_addr = "someone@example.com",
                 .username = "Mailed",
                 .state = state,
                 .next_attempt_at = due,
                 .created_at = created};
    int64_t id = 0;
    assert_int_equal(gh_store_mail_insert(x->db, &m, &id), GH_OK);
    return id;
}

static int64_t mk_link(fx *x, int64_t uid, int64_t outbox, gh_link_purpose purpose,
                       const char *origin, int64_t created)
{
    gh_link l = {.user_id = uid,
                 .outbox_id = outbox,
                 .ttl = 600,
                 .created_at = created,
                 .purpose = purpose,
                 .origin = origin};
    int64_t id = 0;
    assert_int_equal(gh_store_link_insert(x->db, &l, &id), GH_OK);
    return id;
}

/* One claim in its own write transaction, as the sender runs it; returns the message id or 0. */
static int64_t claim(fx *x, int64_t now, gh_mail *m)
{
    assert_int_equal(gh_db_begin(x->db), GH_OK);
    gh_err err = gh_store_mail_claim(x->db, x->a, now, 60, m);
    assert_int_equal(gh_db_commit(x->db), GH_OK);
    if (err == GH_ENOTFOUND)
        return 0;
    assert_int_equal(err, GH_OK);
    return m->id;
}

/* Outbox: a claim takes the oldest due queued message (by next_attempt_at, then id), counts the
 * attempt and leases it until now + lease so that no second claim takes it meanwhile; a message
 * written cancelled, or finished sent, failed or cancelled, is never claimed; one queued again
 * is claimed once due. */
static void mail_claim_finish(void **state)
{
    fx *x = *state;
    gh_mail m;
    gh_user u = user_base("Mailed", 0);
    int64_t uid = mk_user(x->db, &u);
    int64_t m1 = mk_mail(x, uid, GH_MAIL_QUEUED, 1000, 900);
    int64_t m2 = mk_mail(x, uid, GH_MAIL_QUEUED, 900, 950);
    int64_t m3 = mk_mail(x, uid, GH_MAIL_QUEUED, 2000, 950); /* not yet due */
    mk_mail(x, uid, GH_MAIL_CANCELLED, 0, 950);              /* stands for a dropped request (A6) */
    int64_t m5 = mk_mail(x, 0, GH_MAIL_QUEUED, 950, 950);    /* no user */
    int64_t link = mk_link(x, uid, m1, GH_LINK_ONBOARDING, "create", 900);

    assert_int_equal(claim(x, 1000, &m), m2);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.next_attempt_at, 1060);
    assert_int_equal(m.state, GH_MAIL_QUEUED);
    assert_string_equal(m.kind, "onboarding");
    assert_string_equal(m.to_addr, "someone@example.com");
    assert_string_equal(m.language, "en");
    assert_int_equal(m.link_id, 0);
    assert_int_equal(claim(x, 1000, &m), m5);
    assert_int_equal(m.user_id, 0);
    assert_int_equal(claim(x, 1000, &m), m1);
    assert_int_equal(m.link_id, link);
    assert_int_equal(m.link_ttl, 600);
    assert_int_equal(m.link_purpose, GH_LINK_ONBOARDING);
    assert_int_equal(claim(x, 1059, &m), 0); /* all leased, m3 not due, m4 cancelled */

    assert_int_equal(gh_store_mail_finish(x->db, m2, GH_MAIL_SENT, NULL, 0, 1010), GH_OK);
    assert_int_equal(query_int(x->db, "SELECT sent_at FROM outbox WHERE id = ?", m2), 1010);
    assert_int_equal(gh_store_mail_finish(x->db, m5, GH_MAIL_FAILED, "bounced", 0, 1010), GH_OK);
    assert_int_equal(gh_store_mail_finish(x->db, m1, GH_MAIL_QUEUED, "timeout", 1500, 1010), GH_OK);
    assert_int_equal(query_int(x->db, "SELECT sent_at FROM outbox WHERE id = ?", m1), 0);
    assert_int_equal(gh_store_mail_finish(x->db, m1 + 1000, GH_MAIL_SENT, NULL, 0, 1010),
                     GH_ENOTFOUND);
    assert_int_equal(claim(x, 1499, &m), 0);
    assert_int_equal(claim(x, 1500, &m), m1);
    assert_int_equal(m.attempts, 2);
    assert_string_equal(m.last_error, "timeout");
    /* m1's lease (1560) ends before m3 is due (2000) */
    assert_int_equal(claim(x, 3000, &m), m1);
    assert_int_equal(m.attempts, 3);
    assert_int_equal(claim(x, 3000, &m), m3);
    assert_int_equal(claim(x, 3000, &m), 0);
    assert_int_equal(gh_store_mail_finish(x->db, m1, GH_MAIL_CANCELLED, NULL, 0, 3000), GH_OK);
    assert_int_equal(claim(x, 9000, &m), m3); /* its lease ran out; m1 cancelled */
    assert_int_equal(claim(x, 9000, &m), 0);
}

/* Two senders at once, each on its own connection: while one holds its claim uncommitted, the
 * other's claim skips that row (FOR UPDATE SKIP LOCKED) and takes the next due message, and
 * then finds nothing; after both commit, each message counts one attempt. PostgreSQL only:
 * SQLite lets one writer in at a time, so a second sender waits at BEGIN instead. */
static void mail_claim_two_connections(void **state)
{
    fx *x = *state;
    if (testdb_pg_cluster() == NULL)
        skip();
    gh_user u = user_base("Twice", 0);
    int64_t uid = mk_user(x->db, &u);
    int64_t first = mk_mail(x, uid, GH_MAIL_QUEUED, 900, 900);
    int64_t second = mk_mail(x, uid, GH_MAIL_QUEUED, 950, 950);
    gh_db *other = NULL;
    assert_int_equal(gh_db_open(x->t.path, &other), GH_OK);
    gh_mail m, n;
    assert_int_equal(gh_db_begin(x->db), GH_OK);
    assert_int_equal(gh_store_mail_claim(x->db, x->a, 1000, 60, &m), GH_OK);
    assert_int_equal(m.id, first);
    assert_int_equal(gh_db_begin(other), GH_OK);
    assert_int_equal(gh_store_mail_claim(other, x->a, 1000, 60, &n), GH_OK);
    assert_int_equal(n.id, second);
    assert_int_equal(gh_store_mail_claim(other, x->a, 1000, 60, &n), GH_ENOTFOUND);
    assert_int_equal(gh_db_commit(other), GH_OK);
    assert_int_equal(gh_db_commit(x->db), GH_OK);
    gh_db_close(other);
    assert_int_equal(claim(x, 1060, &m), first); /* both leases end at 1060 */
    assert_int_equal(m.attempts, 2);
    assert_int_equal(claim(x, 1060, &m), second);
    assert_int_equal(m.attempts, 2);
}

static gh_link link_of(fx *x, const char *hash)
{
    gh_link l;
    assert_int_equal(gh_store_link_by_hash(x->db, x->a, hash, &l), GH_OK);
    return l;
}

/* Links: a token works once minted for a delivery attempt (or handed over), and a new one
 * replaces the old; its lifetime runs from the mint, then from delivery (sent); use is a
 * compare-and-set on an unused, unvoided, unexpired link; a used or voided link cannot be
 * minted or handed over again. */
static void link_use_mint(void **state)
{
    fx *x = *state;
    gh_link l;
    gh_user u = user_base("Linked", 0);
    int64_t uid = mk_user(x->db, &u);
    int64_t mid = mk_mail(x, uid, GH_MAIL_QUEUED, 1000, 1000);
    int64_t lid = mk_link(x, uid, mid, GH_LINK_ONBOARDING, "create", 1000);
    memset(&l, 0x5a, sizeof l);
    gh_link untouched = l;
    assert_int_equal(gh_store_link_by_hash(x->db, x->a, "tok-1", &l), GH_ENOTFOUND);
    assert_memory_equal(&l, &untouched, sizeof l);
    assert_int_equal(gh_store_link_use(x->db, lid, 1000), GH_ENOTFOUND); /* never minted */

    assert_int_equal(gh_store_link_mint(x->db, lid, "tok-1", 1100), GH_OK);
    l = link_of(x, "tok-1");
    assert_int_equal(l.id, lid);
    assert_int_equal(l.user_id, uid);
    assert_int_equal(l.outbox_id, mid);
    assert_int_equal(l.ttl, 600);
    assert_int_equal(l.created_at, 1000);
    assert_int_equal(l.sent_at, 0);
    assert_int_equal(l.expires_at, 1700);
    assert_int_equal(l.used_at, 0);
    assert_int_equal(l.voided_at, 0);
    assert_int_equal(l.purpose, GH_LINK_ONBOARDING);
    assert_string_equal(l.origin, "create");
    assert_int_equal(gh_store_link_mint(x->db, lid, "tok-2", 1200), GH_OK);
    assert_int_equal(gh_store_link_by_hash(x->db, x->a, "tok-1", &l), GH_ENOTFOUND);
    assert_int_equal(link_of(x, "tok-2").expires_at, 1800);
    assert_int_equal(gh_store_link_sent(x->db, mid, 1300), GH_OK);
    l = link_of(x, "tok-2");
    assert_int_equal(l.sent_at, 1300);
    assert_int_equal(l.expires_at, 1900);

    assert_int_equal(gh_store_link_use(x->db, lid, 1900), GH_ENOTFOUND); /* expired */
    assert_int_equal(gh_store_link_use(x->db, lid, 1899), GH_OK);
    assert_int_equal(gh_store_link_use(x->db, lid, 1899), GH_ENOTFOUND); /* once */
    assert_int_equal(link_of(x, "tok-2").used_at, 1899);
    assert_int_equal(gh_store_link_mint(x->db, lid, "tok-3", 2000), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_handed(x->db, lid, "tok-3", 2000), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_sent(x->db, mid, 2000), GH_OK); /* no live link: no change */
    assert_int_equal(link_of(x, "tok-2").expires_at, 1900);

    /* a copied link (no message): handed over now, its lifetime from now */
    int64_t copy = mk_link(x, uid, 0, GH_LINK_PASSWORD_RESET, "copy", 2000);
    assert_int_equal(gh_store_link_handed(x->db, copy, "tok-c", 2100), GH_OK);
    l = link_of(x, "tok-c");
    assert_int_equal(l.outbox_id, 0);
    assert_int_equal(l.sent_at, 2100);
    assert_int_equal(l.expires_at, 2700);
    assert_int_equal(gh_store_link_use(x->db, copy, 2699), GH_OK);

    /* a link written void is never live */
    gh_link dead = {.user_id = uid,
                    .ttl = 600,
                    .created_at = 2000,
                    .voided_at = 2000,
                    .purpose = GH_LINK_PASSWORD_RESET,
                    .origin = "request"};
    int64_t did = 0;
    assert_int_equal(gh_store_link_insert(x->db, &dead, &did), GH_OK);
    assert_int_equal(gh_store_link_mint(x->db, did, "tok-d", 2000), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_handed(x->db, did, "tok-d", 2000), GH_ENOTFOUND);
}

/* Void kills every live link of the user for one purpose (not used ones, not other purposes or
 * users); count counts the user's links of a purpose (and origin) made after `since`, dropped
 * requests excepted, with the oldest one's time. */
static void link_void_count(void **state)
{
    fx *x = *state;
    int64_t count = -1, oldest = -1;
    gh_user u = user_base("Linked", 0), o = user_base("Other", 0);
    int64_t uid = mk_user(x->db, &u), oid = mk_user(x->db, &o);
    int64_t r1 = mk_link(x, uid, 0, GH_LINK_PASSWORD_RESET, "request", 2000);
    int64_t r2 = mk_link(x, uid, 0, GH_LINK_PASSWORD_RESET, "copy", 2050);
    int64_t used = mk_link(x, uid, 0, GH_LINK_PASSWORD_RESET, "request", 1000);
    mk_link(x, uid, 0, GH_LINK_PASSWORD_RESET, "dropped", 2060);
    int64_t onb = mk_link(x, uid, 0, GH_LINK_ONBOARDING, "create", 2000);
    int64_t other = mk_link(x, oid, 0, GH_LINK_PASSWORD_RESET, "request", 2000);
    const int64_t live[] = {r1, r2, used, onb, other};
    const char *hashes[] = {"h-r1", "h-r2", "h-used", "h-onb", "h-other"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(gh_store_link_handed(x->db, live[i], hashes[i], 2100), GH_OK);
    assert_int_equal(gh_store_link_use(x->db, used, 2150), GH_OK);

    assert_int_equal(gh_store_link_void(x->db, uid, GH_LINK_PASSWORD_RESET, 2200), GH_OK);
    assert_int_equal(link_of(x, "h-r1").voided_at, 2200);
    assert_int_equal(link_of(x, "h-r2").voided_at, 2200);
    assert_int_equal(link_of(x, "h-used").voided_at, 0);
    assert_int_equal(link_of(x, "h-onb").voided_at, 0);
    assert_int_equal(link_of(x, "h-other").voided_at, 0);
    assert_int_equal(gh_store_link_use(x->db, r1, 2200), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_mint(x->db, r2, "h-r2b", 2200), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_use(x->db, onb, 2200), GH_OK);
    assert_int_equal(gh_store_link_void(x->db, uid, GH_LINK_PASSWORD_RESET, 2300), GH_OK);
    assert_int_equal(link_of(x, "h-r1").voided_at, 2200); /* voided once */

    assert_int_equal(
        gh_store_link_count(x->db, uid, GH_LINK_PASSWORD_RESET, NULL, 1999, &count, &oldest),
        GH_OK);
    assert_int_equal(count, 2); /* r1, r2: not the one of 1000, not the dropped one */
    assert_int_equal(oldest, 2000);
    assert_int_equal(
        gh_store_link_count(x->db, uid, GH_LINK_PASSWORD_RESET, NULL, 2000, &count, &oldest),
        GH_OK);
    assert_int_equal(count, 1);
    assert_int_equal(oldest, 2050);
    assert_int_equal(
        gh_store_link_count(x->db, uid, GH_LINK_PASSWORD_RESET, "request", 0, &count, &oldest),
        GH_OK);
    assert_int_equal(count, 2);
    assert_int_equal(oldest, 1000);
    assert_int_equal(
        gh_store_link_count(x->db, uid, GH_LINK_PASSWORD_RESET, "dropped", 0, &count, &oldest),
        GH_OK);
    assert_int_equal(count, 0);
    assert_int_equal(oldest, 0);
    assert_int_equal(gh_store_link_count(x->db, oid, GH_LINK_ONBOARDING, NULL, 0, &count, &oldest),
                     GH_OK);
    assert_int_equal(count, 0);
    assert_int_equal(oldest, 0);
}

/* The lighter user reads and writes: the row by username (case-insensitive, without roles,
 * groups or access), the stored access ids, unlink (a deleted user keeps no roles, groups or
 * access), the last sign-in time, and the active users of an e-mail address (case-insensitive,
 * by id, at most max). */
static void user_rows_and_links(void **state)
{
    fx *x = *state;
    gh_user got;
    gh_ids ids;
    int64_t p = mk_provider(x->db, "P");
    int64_t a1 = mk_account(x->db, p, "A1"), a2 = mk_account(x->db, p, "A2");
    int64_t r = mk_role(x->db, p, "reader", GH_ROLE_SERVICE_PROVIDER, GH_PERM(USERS_READ));
    int64_t g = mk_group(x->db, p, "g", (gh_ids){0});
    gh_user u = user_base("Row.User", p);
    u.email = "Shared@Example.com";
    u.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .ids = {(int64_t[]){a2, a1}, 2}};
    u.role_ids = (gh_ids){(int64_t[]){r}, 1};
    u.group_ids = (gh_ids){(int64_t[]){g}, 1};
    int64_t uid = mk_user(x->db, &u);

    assert_int_equal(gh_store_user_row_by_username(x->db, x->a, "ROW.user", &got), GH_OK);
    assert_int_equal(got.id, uid);
    assert_string_equal(got.username, "Row.User");
    assert_int_equal(got.provider_id, p);
    assert_int_equal(got.access.level, GH_ACCESS_ACCOUNT);
    assert_int_equal(got.role_ids.n, 0); /* the row only */
    assert_int_equal(got.group_ids.n, 0);
    got.id = -1;
    assert_int_equal(gh_store_user_row_by_username(x->db, x->a, "nobody", &got), GH_ENOTFOUND);
    assert_int_equal(got.id, -1);

    assert_int_equal(gh_store_user_access_ids(x->db, x->a, uid, &ids), GH_OK);
    assert_ids_equal(ids, (int64_t[]){a1 < a2 ? a1 : a2, a1 < a2 ? a2 : a1}, 2);

    assert_int_equal(gh_store_set_last_login(x->db, uid, 4242), GH_OK);
    assert_int_equal(gh_store_user_get(x->db, x->a, uid, &got), GH_OK);
    assert_int_equal(got.last_login_at, 4242);
    assert_int_equal(got.role_ids.n, 1); /* the full read has them */
    assert_int_equal(got.group_ids.n, 1);
    bool in_use = false;
    assert_int_equal(gh_store_role_in_use(x->db, r, &in_use), GH_OK);
    assert_true(in_use);

    gh_user twin = user_base("twin", p), gone = user_base("gone", p);
    twin.email = "shared@example.COM";
    gone.email = "shared@example.com";
    int64_t tid = mk_user(x->db, &twin), gid = mk_user(x->db, &gone);
    assert_int_equal(gh_store_user_set_status(x->db, gid, GH_STATUS_DISABLED, 1000, 0), GH_OK);
    gh_user *items = NULL;
    size_t n = 0;
    assert_int_equal(gh_store_users_by_email(x->db, x->a, "SHARED@example.com", 10, &items, &n),
                     GH_OK);
    assert_int_equal(n, 2); /* not the disabled one */
    assert_int_equal(items[0].id, uid);
    assert_int_equal(items[1].id, tid);
    assert_int_equal(gh_store_users_by_email(x->db, x->a, "shared@example.com", 1, &items, &n),
                     GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, uid);
    assert_int_equal(gh_store_users_by_email(x->db, x->a, "none@example.com", 10, &items, &n),
                     GH_OK);
    assert_int_equal(n, 0);

    assert_int_equal(gh_store_user_unlink(x->db, uid), GH_OK);
    assert_int_equal(gh_store_user_access_ids(x->db, x->a, uid, &ids), GH_OK);
    assert_int_equal(ids.n, 0);
    assert_int_equal(gh_store_user_get(x->db, x->a, uid, &got), GH_OK);
    assert_int_equal(got.role_ids.n, 0);
    assert_int_equal(got.group_ids.n, 0);
    assert_int_equal(gh_store_role_in_use(x->db, r, &in_use), GH_OK);
    assert_false(in_use);
}

/* ---- SSO sources ---- */

static gh_sso_source sso_base(const char *name, const char *display, int64_t provider)
{
    return (gh_sso_source){.name = name,
                           .display_name = display,
                           .issuer = "https://idp.example.com",
                           .client_id = "client",
                           .client_secret_sealed = "sealed-1",
                           .scopes = "openid email profile",
                           .claim = "sub",
                           .provider_id = provider,
                           .created_at = 1000};
}

static int64_t mk_sso(gh_db *db, const char *name, const char *display, int64_t provider)
{
    gh_sso_source s = sso_base(name, display, provider);
    int64_t id = 0;
    assert_int_equal(gh_store_sso_source_insert(db, &s, &id), GH_OK);
    assert_true(id > 0);
    return id;
}

/* The stored sealed secret of source id (the store never reads it back into a gh_sso_source). */
static char *sso_sealed(fx *x, int64_t id)
{
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(
        gh_db_prepare(x->db, "SELECT client_secret_sealed FROM sso_sources WHERE id = ?", &st),
        GH_OK);
    gh_stmt_bind_int(st, 1, id);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    char *v = gh_stmt_text(st, 0, x->a);
    gh_stmt_done(st);
    return v;
}

static void sso_sources(void **state)
{
    fx *x = *state;
    gh_sso_source s;
    int64_t p = mk_provider(x->db, "P");
    gh_sso_source in = sso_base("okta", "Okta", p);
    in.trust_idp_mfa = true;
    int64_t id = 0;
    assert_int_equal(gh_store_sso_source_insert(x->db, &in, &id), GH_OK);
    assert_int_equal(gh_store_sso_source_get(x->db, x->a, id, &s), GH_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(s.provider_id, p);
    assert_string_equal(s.name, "okta");
    assert_string_equal(s.display_name, "Okta");
    assert_string_equal(s.issuer, "https://idp.example.com");
    assert_string_equal(s.client_id, "client");
    assert_string_equal(s.scopes, "openid email profile");
    assert_string_equal(s.claim, "sub");
    assert_true(s.trust_idp_mfa);
    assert_false(s.rp_logout);
    assert_true(s.has_client_secret);
    assert_null(s.client_secret_sealed); /* never read back */
    assert_int_equal(s.created_at, 1000);
    assert_int_equal(s.updated_at, 1000);
    assert_int_equal(s.version, 1);
    assert_string_equal(sso_sealed(x, id), "sealed-1");
    assert_int_equal(gh_store_sso_source_get(x->db, x->a, 99999, &s), GH_ENOTFOUND);

    /* a platform source; names are unique across providers; a secret is required; the provider
     * must exist */
    int64_t plat = mk_sso(x->db, "corp", "Corp", 0);
    assert_int_equal(gh_store_sso_source_get(x->db, x->a, plat, &s), GH_OK);
    assert_int_equal(s.provider_id, 0);
    int64_t other = 0;
    gh_sso_source dup = sso_base("okta", "Other", 0);
    assert_int_equal(gh_store_sso_source_insert(x->db, &dup, &other), GH_ECONFLICT);
    gh_sso_source no_secret = sso_base("nosecret", "No", 0);
    no_secret.client_secret_sealed = NULL;
    assert_int_equal(gh_store_sso_source_insert(x->db, &no_secret, &other), GH_EINVAL);
    gh_sso_source orphan = sso_base("orphan", "Orphan", 99999);
    assert_int_equal(gh_store_sso_source_insert(x->db, &orphan, &other), GH_ECONFLICT);

    /* update: compare-and-set on the version; a NULL secret keeps the stored one */
    gh_sso_source up = sso_base("okta", "Okta EU", p);
    up.id = id;
    up.version = 1;
    up.issuer = "https://eu.idp.example.com/realm";
    up.client_id = "client-2";
    up.client_secret_sealed = NULL;
    up.scopes = "openid";
    up.claim = "email";
    up.rp_logout = true;
    up.updated_at = 2000;
    assert_int_equal(gh_store_sso_source_update(x->db, &up), GH_OK);
    assert_int_equal(gh_store_sso_source_get(x->db, x->a, id, &s), GH_OK);
    assert_string_equal(s.display_name, "Okta EU");
    assert_string_equal(s.issuer, "https://eu.idp.example.com/realm");
    assert_string_equal(s.client_id, "client-2");
    assert_string_equal(s.scopes, "openid");
    assert_string_equal(s.claim, "email");
    assert_false(s.trust_idp_mfa);
    assert_true(s.rp_logout);
    assert_int_equal(s.created_at, 1000);
    assert_int_equal(s.updated_at, 2000);
    assert_int_equal(s.version, 2);
    assert_string_equal(sso_sealed(x, id), "sealed-1");
    assert_int_equal(gh_store_sso_source_update(x->db, &up), GH_EPRECOND); /* stale version */
    up.version = 2;
    up.client_secret_sealed = "sealed-2";
    assert_int_equal(gh_store_sso_source_update(x->db, &up), GH_OK);
    assert_string_equal(sso_sealed(x, id), "sealed-2");
    up.id = 99999;
    assert_int_equal(gh_store_sso_source_update(x->db, &up), GH_EPRECOND);

    /* the provider is in use while a source serves it */
    bool in_use = false;
    assert_int_equal(gh_store_tenant_in_use(x->db, p, &in_use), GH_OK);
    assert_true(in_use);

    /* delete takes the source's flows with it */
    int64_t flow[3] = {id, 1000, 2000};
    testdb_exec_ints(x->db,
                     "INSERT INTO sso_flows (source_id, state_hash, binding_hash, nonce, "
                     "code_verifier_sealed, created_at, expires_at) VALUES (?, 's', 'b', 'n', "
                     "'v', ?, ?)",
                     3, flow);
    assert_int_equal(query_int(x->db, "SELECT COUNT(*) FROM sso_flows WHERE source_id = ?", id), 1);
    assert_int_equal(gh_store_sso_source_delete(x->db, id), GH_OK);
    assert_int_equal(gh_store_sso_source_get(x->db, x->a, id, &s), GH_ENOTFOUND);
    assert_int_equal(query_int(x->db, "SELECT COUNT(*) FROM sso_flows WHERE source_id = ?", id), 0);
    assert_int_equal(gh_store_sso_source_delete(x->db, id), GH_ENOTFOUND);
    assert_int_equal(gh_store_tenant_in_use(x->db, p, &in_use), GH_OK);
    assert_false(in_use);
}

static void sso_source_lists(void **state)
{
    fx *x = *state;
    int64_t p = mk_provider(x->db, "P"), q = mk_provider(x->db, "Q");
    int64_t a = mk_sso(x->db, "a", "Zeta", p);
    int64_t b = mk_sso(x->db, "b", "Alpha", 0);
    int64_t c = mk_sso(x->db, "c", "Mu", q);
    int64_t d = mk_sso(x->db, "d", "Alpha", p);
    gh_sso_source *items = NULL;
    size_t n = 0;

    /* by id: everything, the platform's only, one provider's; paged by after_id */
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, 0, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 4);
    assert_int_equal(items[0].id, a);
    assert_int_equal(items[3].id, d);
    assert_true(items[0].has_client_secret);
    assert_null(items[0].client_secret_sealed);
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, -1, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, b);
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, p, 10, 0, &items, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, a);
    assert_int_equal(items[1].id, d);
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, 0, 2, 0, &items, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[1].id, b);
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, 0, 2, b, &items, &n), GH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, c);
    assert_int_equal(items[1].id, d);
    assert_int_equal(gh_store_sso_source_list(x->db, x->a, q, 10, c, &items, &n), GH_OK);
    assert_int_equal(n, 0);

    /* the sign-in page's: by display name (bytes), then id, at most max */
    assert_int_equal(gh_store_sso_source_public(x->db, x->a, 0, 10, &items, &n), GH_OK);
    assert_int_equal(n, 4);
    assert_int_equal(items[0].id, b);
    assert_int_equal(items[1].id, d);
    assert_int_equal(items[2].id, c);
    assert_int_equal(items[3].id, a);
    assert_string_equal(items[3].display_name, "Zeta");
    assert_int_equal(gh_store_sso_source_public(x->db, x->a, 0, 3, &items, &n), GH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[2].id, c);
}

/* Dormant accounts (store/dormant.c): the providers with a rule, the candidates past a cut-off
 * (the latest of last sign-in, creation and active_since), conditional warn and disable that
 * change a row once, and who counts as an administrator of a provider. */
static void dormant(void **state)
{
    fx *x = *state;
    int64_t p = mk_provider(x->db, "Dormant Co"), q = mk_provider(x->db, "Busy Co");
    assert_int_equal(gh_store_tenant_set_dormant(x->db, p, 30, 7, 2000), GH_OK);
    assert_int_equal(gh_store_tenant_set_dormant(x->db, 99999, 30, 7, 2000), GH_ENOTFOUND);
    gh_dormant_rule *rules = NULL;
    size_t n = 0;
    assert_int_equal(gh_store_dormant_providers(x->db, x->a, 10, &rules, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rules[0].provider_id, p);
    assert_int_equal(rules[0].days, 30);
    assert_int_equal(rules[0].warn_days, 7);

    gh_user u = user_base("Sleepy", p); /* created at 1000 */
    int64_t a = mk_user(x->db, &u);
    u.username = "Fresh";
    u.created_at = 5000;
    int64_t b = mk_user(x->db, &u);
    u.username = "Elsewhere";
    u.provider_id = q;
    u.created_at = 1000;
    mk_user(x->db, &u);
    int64_t ids[8];
    assert_int_equal(gh_store_dormant_candidates(x->db, p, 3000, false, 0, 8, ids, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], a);
    set_int(x->db, "UPDATE users SET last_login_at = ? WHERE id = ?", 3500, a);
    assert_int_equal(gh_store_dormant_candidates(x->db, p, 3000, false, 0, 8, ids, &n), GH_OK);
    assert_int_equal(n, 0); /* signed in since */
    assert_int_equal(gh_store_dormant_candidates(x->db, p, 6000, false, 0, 8, ids, &n), GH_OK);
    assert_int_equal(n, 2);

    /* warned once per period: again only after a newer reference */
    assert_int_equal(gh_store_dormant_mark_warned(x->db, a, 4000, 4100), GH_OK);
    assert_int_equal(gh_store_dormant_mark_warned(x->db, a, 4000, 4200), GH_ENOTFOUND);
    assert_int_equal(gh_store_dormant_candidates(x->db, p, 6000, true, 0, 8, ids, &n), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], b);
    assert_int_equal(gh_store_user_set_active_since(x->db, a, 4500), GH_OK);
    assert_int_equal(gh_store_dormant_mark_warned(x->db, a, 4000, 4600), GH_ENOTFOUND);
    assert_int_equal(gh_store_dormant_mark_warned(x->db, a, 5000, 5100), GH_OK);

    /* disabled once, and only while still inactive */
    assert_int_equal(gh_store_dormant_disable(x->db, b, 5000, 6000), GH_ENOTFOUND);
    assert_int_equal(gh_store_dormant_disable(x->db, b, 5001, 6000), GH_OK);
    assert_int_equal(gh_store_dormant_disable(x->db, b, 5001, 6001), GH_ENOTFOUND);
    gh_user got;
    assert_int_equal(gh_store_user_get(x->db, x->a, b, &got), GH_OK);
    assert_int_equal(got.status, GH_STATUS_DISABLED);
    assert_int_equal(got.updated_at, 6000);
    assert_int_equal(gh_store_provider_lock(x->db, p), GH_OK);

    /* an administrator: every users.* permission (through roles and groups), or a superadmin */
    bool admin = true, has = true;
    assert_int_equal(gh_store_user_is_admin(x->db, a, 6000, &admin), GH_OK);
    assert_false(admin);
    assert_int_equal(gh_store_provider_has_admin(x->db, p, 6000, &has), GH_OK);
    assert_false(has);
    int64_t most = mk_role(x->db, p, "Most", GH_ROLE_SERVICE_PROVIDER,
                           GH_PERM_USERS_ALL & ~GH_PERM(USERS_UNBAN));
    int64_t unban = mk_role(x->db, p, "Unban", GH_ROLE_SERVICE_PROVIDER, GH_PERM(USERS_UNBAN));
    int64_t link[2] = {a, most};
    testdb_exec_ints(x->db, "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", 2, link);
    assert_int_equal(gh_store_user_is_admin(x->db, a, 6000, &admin), GH_OK);
    assert_false(admin); /* one users.* permission short */
    int64_t g = mk_group(x->db, p, "Unbanners", (gh_ids){.v = &unban, .n = 1});
    int64_t member[2] = {g, a};
    testdb_exec_ints(x->db, "INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?)", 2,
                     member);
    assert_int_equal(gh_store_user_is_admin(x->db, a, 6000, &admin), GH_OK);
    assert_true(admin);
    assert_int_equal(gh_store_provider_has_admin(x->db, p, 6000, &has), GH_OK);
    assert_true(has);
    assert_int_equal(gh_store_provider_has_admin(x->db, q, 6000, &has), GH_OK);
    assert_false(has); /* its own provider's only */
    set_int(x->db, "UPDATE users SET banned_until = ? WHERE id = ?", 7000, a);
    assert_int_equal(gh_store_user_is_admin(x->db, a, 6000, &admin), GH_OK);
    assert_false(admin); /* banned: cannot act now */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(tenants),
        T(tenant_in_use_by_references),
        T(roles),
        T(role_and_group_lists),
        T(groups),
        T(users),
        T(user_sub_account_access),
        T(user_list_search),
        T(user_list_status),
        T(user_list_filters),
        T(user_list_sort_and_pages),
        T(user_scope),
        T(tenant_scope),
        T(audit),
        T(audit_names),
        T(tokens),
        T(setup_links),
        T(setup_link_use),
        T(lockout_failures),
        T(lockout_unban),
        T(credentials),
        T(totp_state),
        T(recovery_codes),
        T(passkeys),
        T(session_auth),
        T(session_list_delete),
        T(mail_claim_finish),
        T(mail_claim_two_connections),
        T(link_use_mint),
        T(link_void_count),
        T(user_rows_and_links),
        T(sso_sources),
        T(sso_source_lists),
        T(dormant),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
