/* Unit tests of hooks/: the Standard Webhooks signature (the specification's own test vector),
 * malformed secrets, and the retry schedule. The sending itself is tested against a real
 * receiver in tests/api/webhooks.test.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "hooks/hooks.h"

static void signs_the_specification_vector(void **state)
{
    (void)state;
    char sig[64];
    assert_int_equal(gh_hooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                   "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   "{\"test\": 2432232314}", sig, sizeof sig),
                     GH_OK);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void refuses_malformed_secrets(void **state)
{
    (void)state;
    char sig[64];
    const char *bad[] = {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!",
                         "whsek_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(gh_hooks_sign(bad[i], "msg_1", 1, "{}", sig, sizeof sig), GH_EINVAL);
    char small[8];
    assert_int_equal(gh_hooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1, "{}",
                                   small, sizeof small),
                     GH_EINVAL);
}

static void backoff_follows_the_schedule(void **state)
{
    (void)state;
    const int64_t want[] = {30, 120, 600, 3600, 21600, 21600};
    for (int64_t a = 1; a <= 6; a++)
        assert_int_equal(gh_hooks_backoff(a), want[a - 1]);
    assert_int_equal(gh_hooks_backoff(0), 30);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signs_the_specification_vector),
        cmocka_unit_test(refuses_malformed_secrets),
        cmocka_unit_test(backoff_follows_the_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
