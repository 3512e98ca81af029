/* Unit tests of auth/throttle: the per-address budget of failed sign-in steps, its sliding
 * window, giving attempts back, address keys (IPv4, IPv6 /64, IPv4-mapped), the fixed table when
 * it is full, and exact counting under threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>

#include "auth/throttle.h"

#define T0 1800000000 /* some second; the window does not care where it starts */

/* Takes n attempts for addr at now; returns how many were allowed. */
static int take_n(const char *addr, int64_t now, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int64_t retry = 0;
        bool first = false;
        ok += gh_throttle_take(addr, now, &retry, &first) == GH_OK;
    }
    return ok;
}

static bool allowed(const char *addr, int64_t now)
{
    return take_n(addr, now, 1) == 1;
}

static int teardown(void **state)
{
    gh_throttle_stop();
    return 0;
}

static void budget_then_refusal_with_retry_after(void **state)
{
    assert_int_equal(gh_throttle_start(20, 64), GH_OK);
    assert_int_equal(take_n("192.0.2.1", T0, 20), 20);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take("192.0.2.1", T0, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 60);
    assert_true(first);
    assert_int_equal(gh_throttle_take("192.0.2.1", T0 + 1, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 59);
    assert_false(first); /* one report per window, not one per request of a flood */
    assert_int_equal(gh_throttle_take("192.0.2.1", T0 + 59, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 1);
    /* refusals were not counted: after the window the whole budget is back */
    assert_int_equal(take_n("192.0.2.1", T0 + 60, 20), 20);
    assert_int_equal(gh_throttle_take("192.0.2.1", T0 + 60, &retry, &first), GH_ERATE);
    assert_true(first); /* a new window, a new report */
}

static void window_slides_second_by_second(void **state)
{
    assert_int_equal(gh_throttle_start(20, 64), GH_OK);
    assert_int_equal(take_n("192.0.2.2", T0, 10), 10);
    assert_int_equal(take_n("192.0.2.2", T0 + 30, 10), 10);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take("192.0.2.2", T0 + 59, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 1);
    /* the ten of T0 left the window, the ten of T0+30 have not */
    assert_int_equal(take_n("192.0.2.2", T0 + 60, 11), 10);
    assert_int_equal(gh_throttle_take("192.0.2.2", T0 + 60, &retry, &first), GH_ERATE);
    assert_int_equal(retry, 30);
    assert_int_equal(take_n("192.0.2.2", T0 + 90, 11), 10);
    /* a long silence forgets everything */
    assert_int_equal(take_n("192.0.2.2", T0 + 100000, 21), 20);
}

static void given_back_attempts_do_not_count(void **state)
{
    assert_int_equal(gh_throttle_start(20, 64), GH_OK);
    for (int i = 0; i < 100; i++) {
        assert_true(allowed("192.0.2.3", T0 + i / 10));
        gh_throttle_give_back("192.0.2.3", T0 + i / 10);
    }
    assert_int_equal(take_n("192.0.2.3", T0 + 10, 19), 19);
    /* a success in between gives back only its own attempt */
    assert_true(allowed("192.0.2.3", T0 + 10));
    gh_throttle_give_back("192.0.2.3", T0 + 11);
    assert_int_equal(take_n("192.0.2.3", T0 + 11, 2), 1);
    /* giving back more than was taken never makes room beyond the budget */
    for (int i = 0; i < 50; i++)
        gh_throttle_give_back("192.0.2.4", T0);
    assert_int_equal(take_n("192.0.2.4", T0, 25), 20);
    /* an attempt taken in a window that has passed is not given back into the next one */
    assert_int_equal(take_n("192.0.2.5", T0, 20), 20);
    gh_throttle_give_back("192.0.2.5", T0 + 60);
    assert_int_equal(take_n("192.0.2.5", T0 + 60, 25), 20);
}

static void addresses_have_their_own_budgets(void **state)
{
    assert_int_equal(gh_throttle_start(3, 256), GH_OK);
    assert_int_equal(take_n("192.0.2.10", T0, 3), 3);
    assert_false(allowed("192.0.2.10", T0));
    assert_true(allowed("192.0.2.11", T0));
    /* an IPv4-mapped IPv6 address is the same client as the IPv4 one */
    assert_false(allowed("::ffff:192.0.2.10", T0));
    /* IPv6 by its /64: one subscriber cannot rotate through its own network */
    assert_int_equal(take_n("2001:db8:1:2::1", T0, 2), 2);
    assert_true(allowed("2001:db8:1:2:ffff:ffff:ffff:fffe", T0));
    assert_false(allowed("2001:db8:1:2::abcd", T0));
    assert_true(allowed("2001:db8:1:3::1", T0));
    /* anything that is not an address shares one budget */
    assert_int_equal(take_n("unknown", T0, 3), 3);
    assert_false(allowed("", T0));
    assert_false(allowed(NULL, T0));
}

static void unstarted_allows_and_bad_settings_are_refused(void **state)
{
    gh_throttle_stop();
    assert_int_equal(take_n("192.0.2.20", T0, 1000), 1000);
    gh_throttle_give_back("192.0.2.20", T0); /* harmless */
    assert_int_equal(gh_throttle_start(0, 64), GH_EINVAL);
    assert_int_equal(gh_throttle_start(-1, 64), GH_EINVAL);
    assert_int_equal(gh_throttle_start(GH_THROTTLE_MAX_RATE + 1, 64), GH_EINVAL);
    assert_int_equal(gh_throttle_start(5, 0), GH_EINVAL);
    assert_int_equal(gh_throttle_start(GH_THROTTLE_MAX_RATE, 64), GH_OK);
    assert_int_equal(take_n("192.0.2.21", T0, GH_THROTTLE_MAX_RATE + 5), GH_THROTTLE_MAX_RATE);
    /* a second start forgets the counts */
    assert_int_equal(gh_throttle_start(2, 64), GH_OK);
    assert_int_equal(take_n("192.0.2.21", T0, 5), 2);
}

static void a_full_table_forgets_the_least_throttled(void **state)
{
    /* 8 addresses: a single set, so every address competes for the same ways */
    assert_int_equal(gh_throttle_start(5, 8), GH_OK);
    assert_int_equal(take_n("198.51.100.1", T0, 5), 5);
    char addr[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(addr, sizeof addr, "203.0.113.%d", i % 250);
        assert_true(allowed(addr, T0 + i / 100));
    }
    assert_false(allowed("198.51.100.1", T0 + 10)); /* churn did not wash the flooder clean */
    assert_true(allowed("198.51.100.1", T0 + 60));
}

static void clock_stepping_back_keeps_counting(void **state)
{
    assert_int_equal(gh_throttle_start(4, 64), GH_OK);
    assert_int_equal(take_n("192.0.2.30", T0, 2), 2);
    assert_int_equal(take_n("192.0.2.30", T0 - 30, 3), 2);
    int64_t retry = 0;
    bool first = false;
    assert_int_equal(gh_throttle_take("192.0.2.30", T0 - 30, &retry, &first), GH_ERATE);
    assert_true(retry >= 1);
}

#define THREADS    8
#define PER_THREAD 200

static void *hammer(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t retry = 0;
        bool first = false;
        if (gh_throttle_take("192.0.2.40", T0, &retry, &first) == GH_OK) {
            ++*ok;
            if (i % 2 == 0)
                gh_throttle_give_back("192.0.2.40", T0);
            else
                ++ok[1];
        }
        /* a neighbour address shares no counts */
        if (gh_throttle_take("192.0.2.41", T0, &retry, &first) == GH_OK)
            gh_throttle_give_back("192.0.2.41", T0);
    }
    return NULL;
}

static void parallel_takes_never_overrun_the_budget(void **state)
{
    assert_int_equal(gh_throttle_start(50, 64), GH_OK);
    pthread_t t[THREADS];
    int counts[THREADS][2] = {{0}};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, counts[i]), 0);
    int kept = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        kept += counts[i][1];
    }
    /* every attempt kept (not given back) stays counted, and never more than the budget */
    assert_true(kept > 0 && kept <= 50);
    assert_int_equal(kept + take_n("192.0.2.40", T0, 60), 50);
    assert_int_equal(take_n("192.0.2.41", T0, 60), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(budget_then_refusal_with_retry_after, teardown),
        cmocka_unit_test_teardown(window_slides_second_by_second, teardown),
        cmocka_unit_test_teardown(given_back_attempts_do_not_count, teardown),
        cmocka_unit_test_teardown(addresses_have_their_own_budgets, teardown),
        cmocka_unit_test_teardown(unstarted_allows_and_bad_settings_are_refused, teardown),
        cmocka_unit_test_teardown(a_full_table_forgets_the_least_throttled, teardown),
        cmocka_unit_test_teardown(clock_stepping_back_keeps_counting, teardown),
        cmocka_unit_test_teardown(parallel_takes_never_overrun_the_budget, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
