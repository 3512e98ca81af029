/* Unit tests of auth/webauthn against committed vectors (tests/unit/webauthn_vectors.h, made by
 * the API tests' software authenticator): a good registration and assertion, and each refusal:
 * wrong RP ID hash, wrong origin and type, attestation other than none, a bad signature, the
 * counter going back, UP missing, UV missing when required. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "auth/webauthn.h"
#include "webauthn_vectors.h"

static const gh_webauthn_rp rp = {.id = WV_RP_ID, .origin = WV_ORIGIN};

typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

static bytes dec(gh_arena *a, const char *s)
{
    bytes b = {0};
    assert_int_equal(gh_webauthn_unb64(a, s, &b.p, &b.n), GH_OK);
    return b;
}

static gh_webauthn_failure reg(gh_arena *a, const char *att, bool require_uv, gh_webauthn_cred *out)
{
    bytes b = dec(a, att);
    gh_webauthn_failure why = GH_WA_OK;
    gh_err err = gh_webauthn_register(a, &rp, b.p, b.n, require_uv, out, &why);
    assert_int_equal(err == GH_OK, why == GH_WA_OK);
    return why;
}

static gh_webauthn_failure cdj(gh_arena *a, const char *s, const char *type, const char **ch)
{
    bytes b = dec(a, s);
    gh_webauthn_failure why = GH_WA_OK;
    gh_err err = gh_webauthn_client_data(a, &rp, b.p, b.n, type, ch, &why);
    assert_int_equal(err == GH_OK, why == GH_WA_OK);
    return why;
}

static void test_registration(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    gh_webauthn_cred c;
    const char *ch = NULL;
    assert_int_equal(cdj(a, WV_REG_CDJ, "webauthn.create", &ch), GH_WA_OK);
    assert_string_equal(ch, WV_REG_CHALLENGE);
    assert_int_equal(reg(a, WV_REG_ATT, true, &c), GH_WA_OK);
    assert_string_equal(c.id, WV_REG_ID);
    assert_int_equal(c.alg, -7);
    assert_true(c.uv);
    assert_int_equal(c.sign_count, 0);
    assert_int_equal(strlen(c.aaguid), 36);
    assert_int_equal(dec(a, c.public_key).n, 64); /* x | y */
    gh_arena_free(a);
}

static void test_registration_refusals(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    gh_webauthn_cred c;
    const char *ch = NULL;
    assert_int_equal(reg(a, WV_REG_ATT_WRONG_RP, false, &c), GH_WA_RP_ID);
    assert_int_equal(reg(a, WV_REG_ATT_NO_UP, false, &c), GH_WA_UP);
    assert_int_equal(reg(a, WV_REG_ATT_NO_UV, true, &c), GH_WA_UV);
    assert_int_equal(reg(a, WV_REG_ATT_NO_UV, false, &c), GH_WA_OK); /* UV only when required */
    assert_false(c.uv);
    assert_int_equal(reg(a, WV_REG_ATT_PACKED, false, &c), GH_WA_FORMAT);
    assert_int_equal(reg(a, WV_REG_CDJ, false, &c), GH_WA_MALFORMED); /* JSON is no CBOR */
    assert_int_equal(cdj(a, WV_REG_CDJ_WRONG_ORIGIN, "webauthn.create", &ch), GH_WA_ORIGIN);
    assert_int_equal(cdj(a, WV_REG_CDJ_WRONG_TYPE, "webauthn.create", &ch), GH_WA_TYPE);
    assert_int_equal(cdj(a, WV_REG_CDJ, "webauthn.get", &ch), GH_WA_TYPE);
    gh_arena_free(a);
}

/* Verifies an assertion (base64url parts) by the registered credential with stored count. */
static gh_webauthn_failure verify(gh_arena *a, const char *ad, const char *cd, const char *sig,
                                  uint32_t stored, bool require_uv, uint32_t *count)
{
    gh_webauthn_cred c;
    assert_int_equal(reg(a, WV_REG_ATT, false, &c), GH_WA_OK);
    c.sign_count = stored;
    bytes bad = dec(a, ad), bcd = dec(a, cd), bsig = dec(a, sig);
    bool uv = false;
    gh_webauthn_failure why = GH_WA_OK;
    gh_err err = gh_webauthn_verify(&rp, &c, bad.p, bad.n, bcd.p, bcd.n, bsig.p, bsig.n, require_uv,
                                    count, &uv, &why);
    assert_int_equal(err == GH_OK, why == GH_WA_OK);
    return why;
}

static void test_assertion(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    uint32_t n = 0;
    const char *ch = NULL;
    assert_int_equal(cdj(a, WV_AS_CDJ, "webauthn.get", &ch), GH_WA_OK);
    assert_string_equal(ch, "YXNzZXJ0");
    assert_int_equal(verify(a, WV_AS_AD, WV_AS_CDJ, WV_AS_SIG, 0, true, &n), GH_WA_OK);
    assert_int_equal(n, 5);
    assert_int_equal(verify(a, WV_AS_AD, WV_AS_CDJ, WV_AS_SIG, 4, true, &n), GH_WA_OK);
    gh_arena_free(a);
}

static void test_assertion_refusals(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    uint32_t n = 0;
    /* the counter going back, or standing still: a cloned authenticator */
    assert_int_equal(verify(a, WV_AS_AD, WV_AS_CDJ, WV_AS_SIG, 5, false, &n), GH_WA_COUNTER);
    assert_int_equal(verify(a, WV_AS_AD, WV_AS_CDJ, WV_AS_SIG, 9, false, &n), GH_WA_COUNTER);
    assert_int_equal(verify(a, WV_AS_BAD_AD, WV_AS_BAD_CDJ, WV_AS_BAD_SIG, 0, false, &n),
                     GH_WA_SIGNATURE);
    /* a good signature over other client data */
    assert_int_equal(verify(a, WV_AS_AD, WV_REG_CDJ, WV_AS_SIG, 0, false, &n), GH_WA_SIGNATURE);
    assert_int_equal(verify(a, WV_AS_NO_UP_AD, WV_AS_NO_UP_CDJ, WV_AS_NO_UP_SIG, 0, false, &n),
                     GH_WA_UP);
    assert_int_equal(verify(a, WV_AS_NO_UV_AD, WV_AS_NO_UV_CDJ, WV_AS_NO_UV_SIG, 0, true, &n),
                     GH_WA_UV);
    assert_int_equal(verify(a, WV_AS_NO_UV_AD, WV_AS_NO_UV_CDJ, WV_AS_NO_UV_SIG, 0, false, &n),
                     GH_WA_OK);
    assert_int_equal(
        verify(a, WV_AS_WRONG_RP_AD, WV_AS_WRONG_RP_CDJ, WV_AS_WRONG_RP_SIG, 0, false, &n),
        GH_WA_RP_ID);
    gh_arena_free(a);
}

static void test_rp_and_base64(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    gh_webauthn_rp r;
    assert_int_equal(gh_webauthn_rp_of(a, "http://LocalHost:8080/x", &r), GH_OK);
    assert_string_equal(r.id, "localhost");
    assert_string_equal(r.origin, "http://localhost:8080");
    assert_int_equal(gh_webauthn_rp_of(a, "https://id.example.com", &r), GH_OK);
    assert_string_equal(r.id, "id.example.com");
    assert_string_equal(r.origin, "https://id.example.com");
    assert_int_equal(gh_webauthn_rp_of(a, "ftp://x", &r), GH_EINVAL);
    assert_int_equal(gh_webauthn_rp_of(a, NULL, &r), GH_EINVAL);
    unsigned char *p = NULL;
    size_t n = 0;
    assert_int_equal(gh_webauthn_unb64(a, "YWJj", &p, &n), GH_OK);
    assert_int_equal(n, 3);
    assert_int_equal(gh_webauthn_unb64(a, "YWJj=", &p, &n), GH_EINVAL); /* no padding */
    assert_int_equal(gh_webauthn_unb64(a, "YW+j", &p, &n), GH_EINVAL);  /* not url-safe */
    assert_int_equal(strlen(gh_webauthn_new_challenge(a)), 43);
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registration),  cmocka_unit_test(test_registration_refusals),
        cmocka_unit_test(test_assertion),     cmocka_unit_test(test_assertion_refusals),
        cmocka_unit_test(test_rp_and_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
