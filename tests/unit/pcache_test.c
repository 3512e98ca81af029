/* Unit tests of auth/pcache (the per-instance principal cache) and of the rule that makes it safe
 * (core/session.c over migration 010's counters): an item is used only while the revocation
 * counters read in the request's snapshot equal those read with it. The counters' triggers are
 * exercised on a real SQLite database: every kind of write that changes a principal moves the
 * global counter or its user's, and a session's activity (last_seen_at) moves neither. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/pcache.h"
#include "db/db.h"
#include "store/store.h"

static gh_pcache_item item_of(int64_t user_id, const char *name, int64_t g, int64_t u)
{
    return (gh_pcache_item){
        .who = {.user_id = user_id, .username = name, .perms = 0x5, .superadmin = false},
        .session = {.id = 7, .user_id = user_id, .ip = "127.0.0.1", .user_agent = NULL},
        .stamp = {.global = g, .user = u, .expires_at = 0}};
}

static void put_get_drop(void **state)
{
    (void)state;
    gh_pcache *c = NULL;
    assert_int_equal(gh_pcache_open(64, &c), GH_OK);
    gh_arena *a = gh_arena_new();
    gh_pcache_item it = item_of(3, "alice", 1, 2), got;
    assert_false(gh_pcache_get(c, GH_PCACHE_TOKEN, "h1", a, &got));
    gh_pcache_put(c, GH_PCACHE_TOKEN, "h1", &it);
    assert_true(gh_pcache_get(c, GH_PCACHE_TOKEN, "h1", a, &got));
    assert_int_equal(got.who.user_id, 3);
    assert_string_equal(got.who.username, "alice");
    assert_int_equal(got.who.perms, 0x5);
    assert_int_equal(got.stamp.global, 1);
    assert_int_equal(got.stamp.user, 2);
    assert_string_equal(got.session.ip, "127.0.0.1");
    assert_null(got.session.user_agent);
    /* kinds are apart: a session hash never finds a token's item */
    assert_false(gh_pcache_get(c, GH_PCACHE_SESSION, "h1", a, &got));
    gh_pcache_drop(c, GH_PCACHE_TOKEN, "h1");
    assert_false(gh_pcache_get(c, GH_PCACHE_TOKEN, "h1", a, &got));
    /* strings too long for a slot: not held, and the older item of the key goes */
    gh_pcache_put(c, GH_PCACHE_TOKEN, "h2", &it);
    char long_name[300];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    gh_pcache_item big = item_of(3, long_name, 1, 2);
    gh_pcache_put(c, GH_PCACHE_TOKEN, "h2", &big);
    assert_false(gh_pcache_get(c, GH_PCACHE_TOKEN, "h2", a, &got));
    gh_arena_free(a);
    gh_pcache_close(c);
    gh_pcache_close(NULL);
}

static void bounded_and_touch(void **state)
{
    (void)state;
    gh_pcache *c = NULL;
    assert_int_equal(gh_pcache_open(8, &c), GH_OK);
    gh_arena *a = gh_arena_new();
    gh_pcache_item it = item_of(1, "u", 1, 1), got;
    char key[32];
    for (int i = 0; i < 100; i++) { /* 100 keys in 8 slots: at most 8 held */
        snprintf(key, sizeof key, "k%d", i);
        it.who.user_id = i;
        gh_pcache_put(c, GH_PCACHE_SESSION, key, &it);
    }
    int held = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        if (gh_pcache_get(c, GH_PCACHE_SESSION, key, a, &got)) {
            held++;
            assert_int_equal(got.who.user_id, i); /* a slot never answers for another key */
        }
    }
    assert_true(held >= 1 && held <= 8);
    it = item_of(1, "u", 1, 1);
    it.session.last_seen_at = 100;
    gh_pcache_put(c, GH_PCACHE_SESSION, "s", &it);
    gh_pcache_touch(c, "s", 7, 160);
    assert_true(gh_pcache_get(c, GH_PCACHE_SESSION, "s", a, &got));
    assert_int_equal(got.session.last_seen_at, 160);
    gh_pcache_touch(c, "s", 8, 999); /* another session id: not this item */
    gh_pcache_touch(c, "s", 7, 120); /* never backwards */
    assert_true(gh_pcache_get(c, GH_PCACHE_SESSION, "s", a, &got));
    assert_int_equal(got.session.last_seen_at, 160);
    gh_arena_free(a);
    gh_pcache_close(c);
}

typedef struct worker {
    gh_pcache *c;
    int id;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    gh_arena *a = gh_arena_new();
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", i % 50);
        gh_pcache_item it = item_of(i % 50, "name", w->id, i), got;
        gh_pcache_put(w->c, GH_PCACHE_TOKEN, key, &it);
        if (gh_pcache_get(w->c, GH_PCACHE_TOKEN, key, a, &got))
            assert_int_equal(got.who.user_id, i % 50); /* whole items, never torn */
    }
    gh_arena_free(a);
    return NULL;
}

static void threads(void **state)
{
    (void)state;
    gh_pcache *c = NULL;
    assert_int_equal(gh_pcache_open(16, &c), GH_OK);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    gh_pcache_close(c);
}

/* ---- the counters (migration 010) on SQLite ---- */

typedef struct cdb {
    char path[64];
    gh_db *db;
} cdb;

static int csetup(void **state)
{
    cdb *x = calloc(1, sizeof *x);
    snprintf(x->path, sizeof x->path, "/tmp/gh-pcache-test-%d.db", (int)getpid());
    unlink(x->path);
    if (gh_db_open(x->path, &x->db) != GH_OK || gh_db_migrate(x->db, NULL) != GH_OK)
        return -1;
    *state = x;
    return 0;
}

static int cteardown(void **state)
{
    cdb *x = *state;
    gh_db_close(x->db);
    char p[80];
    unlink(x->path);
    snprintf(p, sizeof p, "%s-wal", x->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", x->path);
    unlink(p);
    free(x);
    return 0;
}

static gh_auth_stamp stamp(gh_db *db, int64_t user_id)
{
    gh_auth_stamp s = {0};
    assert_int_equal(gh_store_auth_epochs(db, user_id, &s), GH_OK);
    return s;
}

/* Runs sql (no parameters); asserts which counters moved. */
static void expect_moves(gh_db *db, const char *sql, bool global, bool user1)
{
    gh_auth_stamp before = stamp(db, 1);
    assert_int_equal(gh_db_exec(db, sql), GH_OK);
    gh_auth_stamp after = stamp(db, 1);
    if (global != (after.global > before.global) || user1 != (after.user > before.user))
        fail_msg("%s: global %lld -> %lld, user %lld -> %lld", sql, (long long)before.global,
                 (long long)after.global, (long long)before.user, (long long)after.user);
}

static void counters_move_with_every_revoking_write(void **state)
{
    gh_db *db = ((cdb *)*state)->db;
    assert_int_equal(gh_db_exec(db, "PRAGMA foreign_keys = ON"), GH_OK);
    assert_int_equal(
        gh_db_exec(db,
                   "INSERT INTO tenants (id, kind, name, created_at, updated_at) VALUES "
                   "(10, 'service_provider', 'p', 0, 0);"
                   "INSERT INTO users (id, provider_id, username, username_key, email, sort_name, "
                   "status, access_level, created_at, updated_at) VALUES (1, 10, 'a', 'a', "
                   "'a@x', 'a', 'active', 'provider', 0, 0), (2, 10, 'b', 'b', 'b@x', 'b', "
                   "'active', 'provider', 0, 0);"
                   "INSERT INTO roles (id, provider_id, name, kind, permissions, created_at, "
                   "updated_at) VALUES (5, 10, 'r', 'service_provider', 3, 0, 0);"
                   "INSERT INTO user_group (id, provider_id, name, created_at, updated_at) "
                   "VALUES (6, 10, 'g', 0, 0);"
                   "INSERT INTO sessions (id, token_hash, user_id, stage, created_at, "
                   "last_seen_at, expires_at, ip, user_agent) VALUES (8, 'sh', 1, 'done', 0, 0, "
                   "99, '', '');"
                   "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, "
                   "expires_at) VALUES (9, 1, 't', 'th', 0, 0)"),
        GH_OK);
    /* the user's own links and row */
    expect_moves(db, "INSERT INTO user_roles (user_id, role_id) VALUES (1, 5)", false, true);
    expect_moves(db, "INSERT INTO user_group_members (group_id, user_id) VALUES (6, 1)", false,
                 true);
    expect_moves(db, "INSERT INTO user_access (user_id, tenant_id) VALUES (1, 10)", false, true);
    expect_moves(db, "DELETE FROM user_access WHERE user_id = 1", false, true);
    expect_moves(db, "UPDATE users SET status = 'disabled' WHERE id = 1", false, true);
    expect_moves(db, "UPDATE users SET status = 'active' WHERE id = 1", false, true);
    expect_moves(db, "UPDATE users SET login_enabled = 0 WHERE id = 1", false, true);
    expect_moves(db, "UPDATE users SET banned_until = 500 WHERE id = 1", false, true);
    expect_moves(db, "UPDATE users SET is_superadmin = 1 WHERE id = 1", false, true);
    expect_moves(db, "UPDATE users SET access_level = 'account' WHERE id = 1", false, true);
    /* what does not change a principal moves nothing */
    expect_moves(db, "UPDATE users SET first_name = 'x', last_login_at = 5 WHERE id = 1", false,
                 false);
    expect_moves(db, "UPDATE users SET status = status WHERE id = 1", false, false);
    expect_moves(db, "UPDATE sessions SET last_seen_at = 50 WHERE id = 8", false, false);
    expect_moves(db, "UPDATE users SET status = 'disabled' WHERE id = 2", false, false);
    /* credentials */
    expect_moves(db, "UPDATE sessions SET stage = 'totp' WHERE id = 8", false, true);
    expect_moves(db, "DELETE FROM sessions WHERE id = 8", false, true);
    expect_moves(db, "UPDATE api_tokens SET expires_at = 5 WHERE id = 9", false, true);
    expect_moves(db, "DELETE FROM api_tokens WHERE id = 9", false, true);
    /* what reaches many users */
    expect_moves(db, "UPDATE roles SET permissions = 1 WHERE id = 5", true, false);
    expect_moves(db, "INSERT INTO user_group_roles (group_id, role_id) VALUES (6, 5)", true, false);
    expect_moves(db, "DELETE FROM user_group_roles WHERE group_id = 6", true, false);
    expect_moves(db, "UPDATE tenants SET name = 'q' WHERE id = 10", true, false);
    /* a group's deletion: global, and its members' through the cascade */
    expect_moves(db, "DELETE FROM user_group WHERE id = 6", true, true);
    expect_moves(db, "DELETE FROM user_roles WHERE user_id = 1", false, true);
    expect_moves(db, "DELETE FROM roles WHERE id = 5", true, false);
    /* a rolled-back write moves nothing */
    gh_auth_stamp before = stamp(db, 1);
    assert_int_equal(gh_db_begin(db), GH_OK);
    assert_int_equal(gh_db_exec(db, "UPDATE users SET status = 'deleted' WHERE id = 1"), GH_OK);
    gh_db_rollback(db);
    gh_auth_stamp after = stamp(db, 1);
    assert_int_equal(after.user, before.user);
    /* a user without a counter row reads 0; the global row exists from the start */
    assert_int_equal(stamp(db, 424242).user, 0);
    assert_true(stamp(db, 424242).global >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_drop),
        cmocka_unit_test(bounded_and_touch),
        cmocka_unit_test(threads),
        cmocka_unit_test_setup_teardown(counters_move_with_every_revoking_write, csetup, cteardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
