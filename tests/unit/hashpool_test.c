/* Unit tests of auth/hashpool (A12): a verified hash made with weaker Argon2id parameters, or by
 * Argon2i, comes back re-hashed at today's parameters; a hash at today's parameters or stronger
 * is kept; a wrong password re-hashes nothing; the sign-in stores the new hash; a full queue
 * refuses and stopping a pool finishes its queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/hashpool.h"
#include "core/core.h"
#include "core/signin.h"
#include "testdb.h"

#define PW "Qpw7-zorbel-fentrax-korvid"

/* "$argon2id$v=19$m=19456,t=2,p=1$": what today's parameters look like in a hash string. */
static char today_prefix[64];

static gh_hashpool *pool; /* started by setup for the whole group */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void job_done(gh_hash_job *job)
{
    pthread_mutex_lock(&mu);
    *(bool *)job->arg = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* Runs one verification job through the pool and waits for it. */
static gh_hash_job verify(const char *password, const char *hash)
{
    bool finished = false;
    gh_hash_job job = {.password = password, .hash = hash, .done = job_done, .arg = &finished};
    assert_int_equal(gh_hashpool_submit(pool, &job), GH_OK);
    pthread_mutex_lock(&mu);
    while (!finished)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return job;
}

/* A hash of password with the given algorithm and parameters, into out (GH_HASH_BYTES). */
static void hash_with(char *out, const char *password, unsigned long long ops, size_t mem, int alg)
{
    assert_int_equal(crypto_pwhash_str_alg(out, password, strlen(password), ops, mem, alg), 0);
}

/* The job re-hashed: the new hash is at today's parameters and verifies the password. */
static void assert_rehashed_to_today(const gh_hash_job *job, const char *password)
{
    assert_true(job->ok);
    assert_true(job->rehashed);
    assert_memory_equal(job->new_hash, today_prefix, strlen(today_prefix));
    assert_int_equal(
        crypto_pwhash_str_needs_rehash(job->new_hash, GH_ARGON2_OPSLIMIT, GH_ARGON2_MEMLIMIT), 0);
    assert_int_equal(crypto_pwhash_str_verify(job->new_hash, password, strlen(password)), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(today_prefix, sizeof today_prefix, "$argon2id$v=19$m=%u,t=%u,p=1$",
             GH_ARGON2_MEMLIMIT / 1024u, GH_ARGON2_OPSLIMIT);
    return gh_auth_init() == GH_OK && gh_hashpool_start(2, 8, &pool) == GH_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gh_hashpool_stop(pool);
    pool = NULL;
    return 0;
}

/* Argon2id with t=1 and 8 MiB verifies and comes back at t=2, 19 MiB. */
static void weak_hash_is_rehashed(void **state)
{
    (void)state;
    char weak[GH_HASH_BYTES];
    hash_with(weak, PW, 1, 8u * 1024u * 1024u, crypto_pwhash_ALG_ARGON2ID13);
    assert_non_null(strstr(weak, "$m=8192,t=1,p=1$"));
    gh_hash_job job = verify(PW, weak);
    assert_rehashed_to_today(&job, PW);
}

/* Only one parameter below today's is enough. */
static void fewer_passes_or_less_memory_is_rehashed(void **state)
{
    (void)state;
    char h[GH_HASH_BYTES];
    hash_with(h, PW, GH_ARGON2_OPSLIMIT - 1, GH_ARGON2_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
    gh_hash_job job = verify(PW, h);
    assert_rehashed_to_today(&job, PW);
    hash_with(h, PW, GH_ARGON2_OPSLIMIT, GH_ARGON2_MEMLIMIT / 2, crypto_pwhash_ALG_ARGON2ID13);
    job = verify(PW, h);
    assert_rehashed_to_today(&job, PW);
}

/* A hash made by gh_password_hash today is verified and left alone. */
static void current_hash_is_kept(void **state)
{
    (void)state;
    char h[GH_HASH_BYTES];
    assert_int_equal(gh_password_hash(PW, h), GH_OK);
    assert_memory_equal(h, today_prefix, strlen(today_prefix));
    gh_hash_job job = verify(PW, h);
    assert_true(job.ok);
    assert_false(job.rehashed);
}

/* A stronger hash (more passes, more memory) is not turned into a weaker one. */
static void stronger_hash_is_kept(void **state)
{
    (void)state;
    char h[GH_HASH_BYTES];
    hash_with(h, PW, GH_ARGON2_OPSLIMIT + 1, GH_ARGON2_MEMLIMIT + 1024u * 1024u,
              crypto_pwhash_ALG_ARGON2ID13);
    gh_hash_job job = verify(PW, h);
    assert_true(job.ok);
    assert_false(job.rehashed);
}

/* Argon2i (libsodium's other algorithm) verifies and is moved to Argon2id. */
static void argon2i_hash_becomes_argon2id(void **state)
{
    (void)state;
    char h[GH_HASH_BYTES];
    hash_with(h, PW, 3, GH_ARGON2_MEMLIMIT, crypto_pwhash_ALG_ARGON2I13);
    assert_memory_equal(h, "$argon2i$", 9);
    gh_hash_job job = verify(PW, h);
    assert_rehashed_to_today(&job, PW);
}

/* A wrong password, or the right one in another case or without its trailing space, neither
 * verifies nor re-hashes. */
static void wrong_password_rehashes_nothing(void **state)
{
    (void)state;
    char weak[GH_HASH_BYTES];
    hash_with(weak, PW " ", 1, 8u * 1024u * 1024u, crypto_pwhash_ALG_ARGON2ID13);
    static const char *const wrong[] = {PW, "QPW7-ZORBEL-FENTRAX-KORVID ", "another password"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        gh_hash_job job = verify(wrong[i], weak);
        assert_false(job.ok);
        assert_false(job.rehashed);
    }
}

/* The whole sign-in: a stored weak hash is replaced by the new one at the password step, which
 * still verifies the password; the next sign-in keeps it. */
static void signin_stores_the_new_hash(void **state)
{
    (void)state;
    testdb t;
    testdb_open(&t);
    gh_principal sys = gh_core_system_principal();
    gh_ctx ctx = {.db = t.db,
                  .a = gh_arena_new(),
                  .who = &sys,
                  .ip = "192.0.2.7",
                  .request_id = "req-test",
                  .now = 1000};
    int64_t id = 0;
    assert_int_equal(gh_core_admin_create(&ctx, "weakling", "weakling@example.com", PW, NULL, &id),
                     GH_OK);
    char weak[GH_HASH_BYTES];
    hash_with(weak, PW, 1, 8u * 1024u * 1024u, crypto_pwhash_ALG_ARGON2ID13);
    assert_int_equal(gh_store_user_set_password(t.db, id, weak, false, ctx.now), GH_OK);

    char stored[GH_HASH_BYTES] = "";
    for (int round = 0; round < 2; round++) {
        gh_signin s;
        gh_signin_result res;
        assert_int_equal(gh_signin_begin(&ctx, "weakling", &s), GH_OK);
        assert_true(s.found);
        if (round == 0)
            assert_string_equal(s.hash, weak);
        else
            assert_string_equal(s.hash, stored);
        gh_hash_job job = verify(PW, s.hash);
        assert_true(job.ok);
        assert_int_equal(job.rehashed, round == 0);
        assert_int_equal(
            gh_signin_finish(&ctx, &s, job.ok, job.rehashed ? job.new_hash : NULL, "test", &res),
            GH_OK);
        assert_int_equal(res.next, GH_STAGE_DONE);

        gh_credentials c;
        assert_int_equal(gh_store_credentials(t.db, ctx.a, NULL, id, &c), GH_OK);
        assert_memory_equal(c.password_hash, today_prefix, strlen(today_prefix));
        assert_int_equal(crypto_pwhash_str_verify(c.password_hash, PW, strlen(PW)), 0);
        assert_false(c.must_change_password);
        if (round == 1)
            assert_string_equal(c.password_hash, stored); /* kept, not re-hashed again */
        snprintf(stored, sizeof stored, "%s", c.password_hash);
    }
    gh_arena_free(ctx.a);
    testdb_close(&t);
}

/* A pool of its own: a full queue refuses at once (GH_ERATE), and stopping runs what is queued
 * before it joins the workers. */
static void full_queue_refuses_and_stop_finishes_the_queue(void **state)
{
    (void)state;
    gh_hashpool *p = NULL;
    assert_int_equal(gh_hashpool_start(1, 2, &p), GH_OK);
    bool finished[2] = {false, false};
    gh_hash_job jobs[2] = {{.password = PW, .done = job_done, .arg = &finished[0]},
                           {.password = PW, .done = job_done, .arg = &finished[1]}};
    assert_int_equal(gh_hashpool_reserve(p), GH_OK);
    assert_int_equal(gh_hashpool_reserve(p), GH_OK);
    assert_int_equal(gh_hashpool_reserve(p), GH_ERATE); /* two places, both reserved */
    gh_hashpool_submit_reserved(p, &jobs[0]);
    gh_hashpool_submit_reserved(p, &jobs[1]);
    gh_hashpool_stop(p);
    assert_true(finished[0] && finished[1]);
    assert_true(jobs[0].ok && jobs[1].ok);
    assert_int_equal(crypto_pwhash_str_verify(jobs[1].new_hash, PW, strlen(PW)), 0);
    gh_hashpool_stop(NULL); /* nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weak_hash_is_rehashed),
        cmocka_unit_test(fewer_passes_or_less_memory_is_rehashed),
        cmocka_unit_test(current_hash_is_kept),
        cmocka_unit_test(stronger_hash_is_kept),
        cmocka_unit_test(argon2i_hash_becomes_argon2id),
        cmocka_unit_test(wrong_password_rehashes_nothing),
        cmocka_unit_test(signin_stores_the_new_hash),
        cmocka_unit_test(full_queue_refuses_and_stop_finishes_the_queue),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
