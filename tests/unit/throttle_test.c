/* Unit tests of auth/throttle: the per-address budget of failed sign-in steps, its sliding
 * window, giving attempts back, address keys (IPv4, IPv6 /64, IPv4-mapped), the fixed table when
 * it is full, exact counting under threads, and two throttles counting apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>

#include "auth/throttle.h"

#define T0 1800000000 /* some second; the window does not care where it starts */

/* Takes n attempts for addr at now from t; returns how many were allowed. */
static int take_n(gh_throttle *t, const char *addr, int64_t now, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int64_t retry = 0;
        bool first = false;
        ok += gh_throttle_take(t, addr, now, &retry, &first) == GH_OK;
    }
    return ok;
}

static bool allowed(gh_throttle *t, const char *addr, int64_t now)
{
    return take_n(t, addr, now, 1) == 1;
}

/* A throttle for the test, kept in *state for teardown (a second one replaces the first). */
static gh_throttle *start(void **state, int per_minute, int addresses)
{
    gh_throttle_stop(*state);
    *state = NULL;
    gh_throttle *t = NULL;
    assert_int_equal(gh_throttle_start(per_minute, addresses, &t), GH_OK);
    assert_non_null(t);
    *state = t;
    return t;
}

static int teardown(void **state)
{
    gh_throttle_stop(*state);
    return 0;
}

static void budget_then_refusal_with_retry_after(void **state)
{
    gh_throttle *t = start(state, 20, 64);
    assert_int_equal(take_n(t, "192.0.2.1", T0, 20), 20);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take(t, "192.0.2.1", T0, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 60);
    assert_true(first);
    assert_int_equal(gh_throttle_take(t, "192.0.2.1", T0 + 1, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 59);
    assert_false(first); /* one report per window, not one per request of a flood */
    assert_int_equal(gh_throttle_take(t, "192.0.2.1", T0 + 59, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 1);
    /* refusals were not counted: after the window the whole budget is back */
    assert_int_equal(take_n(t, "192.0.2.1", T0 + 60, 20), 20);
    assert_int_equal(gh_throttle_take(t, "192.0.2.1", T0 + 60, &retry, &first), GH_ERATE);
    assert_true(first); /* a new window, a new report */
}

static void window_slides_second_by_second(void **state)
{
    gh_throttle *t = start(state, 20, 64);
    assert_int_equal(take_n(t, "192.0.2.2", T0, 10), 10);
    assert_int_equal(take_n(t, "192.0.2.2", T0 + 30, 10), 10);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take(t, "192.0.2.2", T0 + 59, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 1);
    /* the ten of T0 left the window, the ten of T0+30 have not */
    assert_int_equal(take_n(t, "192.0.2.2", T0 + 60, 11), 10);
    assert_int_equal(gh_throttle_take(t, "192.0.2.2", T0 + 60, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 30);
    assert_int_equal(take_n(t, "192.0.2.2", T0 + 90, 11), 10);
    /* a long silence forgets everything */
    assert_int_equal(take_n(t, "192.0.2.2", T0 + 100000, 21), 20);
}

static void given_back_attempts_do_not_count(void **state)
{
    gh_throttle *t = start(state, 20, 64);
    for (int i = 0; i < 100; i++) {
        assert_true(allowed(t, "192.0.2.3", T0 + i / 10));
        gh_throttle_give_back(t, "192.0.2.3", T0 + i / 10);
    }
    assert_int_equal(take_n(t, "192.0.2.3", T0 + 10, 19), 19);
    /* a success in between gives back only its own attempt */
    assert_true(allowed(t, "192.0.2.3", T0 + 10));
    gh_throttle_give_back(t, "192.0.2.3", T0 + 11);
    assert_int_equal(take_n(t, "192.0.2.3", T0 + 11, 2), 1);
    /* giving back more than was taken never makes room beyond the budget */
    for (int i = 0; i < 50; i++)
        gh_throttle_give_back(t, "192.0.2.4", T0);
    assert_int_equal(take_n(t, "192.0.2.4", T0, 25), 20);
    /* an attempt taken in a window that has passed is not given back into the next one */
    assert_int_equal(take_n(t, "192.0.2.5", T0, 20), 20);
    gh_throttle_give_back(t, "192.0.2.5", T0 + 60);
    assert_int_equal(take_n(t, "192.0.2.5", T0 + 60, 25), 20);
}

static void addresses_have_their_own_budgets(void **state)
{
    gh_throttle *t = start(state, 3, 256);
    assert_int_equal(take_n(t, "192.0.2.10", T0, 3), 3);
    assert_false(allowed(t, "192.0.2.10", T0));
    assert_true(allowed(t, "192.0.2.11", T0));
    /* an IPv4-mapped IPv6 address is the same client as the IPv4 one */
    assert_false(allowed(t, "::ffff:192.0.2.10", T0));
    /* IPv6 by its /64: one subscriber cannot rotate through its own network */
    assert_int_equal(take_n(t, "2001:db8:1:2::1", T0, 2), 2);
    assert_true(allowed(t, "2001:db8:1:2:ffff:ffff:ffff:fffe", T0));
    assert_false(allowed(t, "2001:db8:1:2::abcd", T0));
    assert_true(allowed(t, "2001:db8:1:3::1", T0));
    /* anything that is not an address shares one budget */
    assert_int_equal(take_n(t, "unknown", T0, 3), 3);
    assert_false(allowed(t, "", T0));
    assert_false(allowed(t, NULL, T0));
}

static void no_throttle_allows_and_bad_settings_are_refused(void **state)
{
    assert_int_equal(take_n(NULL, "192.0.2.20", T0, 1000), 1000);
    gh_throttle_give_back(NULL, "192.0.2.20", T0); /* harmless */
    gh_throttle_stop(NULL);
    gh_throttle *bad = NULL;
    assert_int_equal(gh_throttle_start(0, 64, &bad), GH_EINVAL);
    assert_int_equal(gh_throttle_start(-1, 64, &bad), GH_EINVAL);
    assert_int_equal(gh_throttle_start(GH_THROTTLE_MAX_RATE + 1, 64, &bad), GH_EINVAL);
    assert_int_equal(gh_throttle_start(5, 0, &bad), GH_EINVAL);
    assert_null(bad); /* written only on success */
    gh_throttle *t = start(state, GH_THROTTLE_MAX_RATE, 64);
    assert_int_equal(take_n(t, "192.0.2.21", T0, GH_THROTTLE_MAX_RATE + 5), GH_THROTTLE_MAX_RATE);
    /* a new throttle has counted nothing */
    t = start(state, 2, 64);
    assert_int_equal(take_n(t, "192.0.2.21", T0, 5), 2);
}

/* Two throttles count apart: each server has its own. */
static void throttles_are_separate(void **state)
{
    gh_throttle *t = start(state, 2, 64);
    gh_throttle *other = NULL;
    assert_int_equal(gh_throttle_start(3, 64, &other), GH_OK);
    assert_int_equal(take_n(t, "192.0.2.22", T0, 5), 2);
    assert_int_equal(take_n(other, "192.0.2.22", T0, 5), 3);
    gh_throttle_give_back(other, "192.0.2.22", T0);
    assert_false(allowed(t, "192.0.2.22", T0));
    gh_throttle_stop(other);
}

static void a_full_table_forgets_the_least_throttled(void **state)
{
    /* 8 addresses: a single set, so every address competes for the same ways */
    gh_throttle *t = start(state, 5, 8);
    assert_int_equal(take_n(t, "198.51.100.1", T0, 5), 5);
    char addr[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(addr, sizeof addr, "203.0.113.%d", i % 250);
        assert_true(allowed(t, addr, T0 + i / 100));
    }
    assert_false(allowed(t, "198.51.100.1", T0 + 10)); /* churn did not wash the flooder clean */
    assert_true(allowed(t, "198.51.100.1", T0 + 60));
}

static void clock_stepping_back_keeps_counting(void **state)
{
    gh_throttle *t = start(state, 4, 64);
    assert_int_equal(take_n(t, "192.0.2.30", T0, 2), 2);
    assert_int_equal(take_n(t, "192.0.2.30", T0 - 30, 3), 2);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take(t, "192.0.2.30", T0 - 30, &retry, &first), GH_ERATE);
    assert_true(retry >= 1);
}

#define THREADS    8
#define PER_THREAD 200

/* What one hammering thread is given and counts. */
typedef struct hammer_arg {
    gh_throttle *t;
    int ok, kept; /* attempts allowed; of those, not given back */
} hammer_arg;

static void *hammer(void *arg)
{
    hammer_arg *h = arg;
    gh_throttle *t = h->t;
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t retry = 0;
        bool first = false;
        if (gh_throttle_take(t, "192.0.2.40", T0, &retry, &first) == GH_OK) {
            ++h->ok;
            if (i % 2 == 0)
                gh_throttle_give_back(t, "192.0.2.40", T0);
            else
                ++h->kept;
        }
        /* a neighbour address shares no counts */
        if (gh_throttle_take(t, "192.0.2.41", T0, &retry, &first) == GH_OK)
            gh_throttle_give_back(t, "192.0.2.41", T0);
    }
    return NULL;
}

static void parallel_takes_never_overrun_the_budget(void **state)
{
    gh_throttle *t = start(state, 50, 64);
    pthread_t th[THREADS];
    hammer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (hammer_arg){.t = t};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    int kept = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        kept += args[i].kept;
    }
    /* every attempt kept (not given back) stays counted, and never more than the budget */
    assert_true(kept > 0 && kept <= 50);
    assert_int_equal(kept + take_n(t, "192.0.2.40", T0, 60), 50);
    assert_int_equal(take_n(t, "192.0.2.41", T0, 60), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(budget_then_refusal_with_retry_after, teardown),
        cmocka_unit_test_teardown(window_slides_second_by_second, teardown),
        cmocka_unit_test_teardown(given_back_attempts_do_not_count, teardown),
        cmocka_unit_test_teardown(addresses_have_their_own_budgets, teardown),
        cmocka_unit_test_teardown(no_throttle_allows_and_bad_settings_are_refused, teardown),
        cmocka_unit_test_teardown(throttles_are_separate, teardown),
        cmocka_unit_test_teardown(a_full_table_forgets_the_least_throttled, teardown),
        cmocka_unit_test_teardown(clock_stepping_back_keeps_counting, teardown),
        cmocka_unit_test_teardown(parallel_takes_never_overrun_the_budget, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
