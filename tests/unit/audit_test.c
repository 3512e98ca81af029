/* Unit tests of audit/: the stored snapshots keep their text byte for byte (and the API's response
 * bodies, encoded through them, say the same), and the typed details give exactly the text the
 * audit rows have always held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "audit/audit.h"
#include "http/encode.h"

static int64_t ids3[] = {3, 5, 8};

static gh_user sample_user(void)
{
    return (gh_user){.id = 42,
                     .provider_id = 7,
                     .username = "ann.lee",
                     .first_name = "Ann",
                     .last_name = "L\xc3\xa9"
                                  "e \"quoted\"",
                     .email = "ann@example.com",
                     .phone = "+442071234567",
                     .language = "zh",
                     .timezone = "Asia/Shanghai",
                     .country = "CN",
                     .status = GH_STATUS_ACTIVE,
                     .sso_source = "okta",
                     .login_enabled = true,
                     .mfa_required = true,
                     .banned_until = 1700000000,
                     .last_login_at = 1690000000,
                     .created_at = 1600000000,
                     .updated_at = 1650000000,
                     .created_by = 1,
                     .access = {.level = GH_ACCESS_ACCOUNT, .ids = {ids3, 3}},
                     .role_ids = {ids3, 2},
                     .onboarding = {.exists = true,
                                    .sent_at = 1600000100,
                                    .expires_at = 1600086500,
                                    .attempts = 2,
                                    .has_delivery = true,
                                    .delivery = GH_MAIL_FAILED,
                                    .error = "550 no such user"}};
}

/* The stored text of each snapshot below, in order: the format the audit trail has always held
 * and the API's response bodies show (http/encode.c encodes through gh_audit_json). */
static const char *const golden[] = {
    "{\"id\":42,\"provider_id\":7,\"username\":\"ann.lee\",\"first_name\":\"Ann\",\"last"
    "_name\":\"L\\u00E9e \\\"quoted\\\"\",\"email\":\"ann@example.com\",\"phone\":\"+44207"
    "1234567\",\"language\":\"zh\",\"timezone\":\"Asia/Shanghai\",\"country\":\"CN\",\"st"
    "atus\":\"active\",\"login_enabled\":true,\"enforce_sso\":false,\"sso_source\":\""
    "okta\",\"sso_id\":null,\"mfa_required\":true,\"mfa_enrolled\":false,\"banned_u"
    "ntil\":\"2023-11-14T22:13:20Z\",\"role_ids\":[3,5],\"group_ids\":[],\"access\":"
    "{\"level\":\"account\",\"account_ids\":[3,5,8]},\"last_login_at\":\"2023-07-22T"
    "04:26:40Z\",\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":\"2022-04-1"
    "5T05:20:00Z\",\"created_by\":1,\"updated_by\":null,\"onboarding\":{\"state\":\"e"
    "xpired\",\"sent_at\":\"2020-09-13T12:28:20Z\",\"expires_at\":\"2020-09-14T12:2"
    "8:20Z\",\"delivery\":{\"state\":\"failed\",\"error\":\"550 no such user\",\"attemp"
    "ts\":2}}}",
    "{\"id\":42,\"provider_id\":null,\"username\":\"ann.lee\",\"first_name\":\"Ann\",\"l"
    "ast_name\":\"L\\u00E9e \\\"quoted\\\"\",\"email\":\"ann@example.com\",\"phone\":\"+44"
    "2071234567\",\"language\":\"zh\",\"timezone\":\"Asia/Shanghai\",\"country\":\"CN\","
    "\"status\":\"invited\",\"login_enabled\":true,\"enforce_sso\":false,\"sso_sourc"
    "e\":null,\"sso_id\":null,\"mfa_required\":true,\"mfa_enrolled\":false,\"banned"
    "_until\":\"2023-11-14T22:13:20Z\",\"role_ids\":[3,5],\"group_ids\":[],\"access"
    "\":{\"level\":\"platform\"},\"last_login_at\":\"2023-07-22T04:26:40Z\",\"created"
    "_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":\"2022-04-15T05:20:00Z\",\"creat"
    "ed_by\":1,\"updated_by\":null,\"onboarding\":{\"state\":\"expired\",\"sent_at\":\""
    "2020-09-13T12:28:20Z\",\"expires_at\":\"2020-09-14T12:28:20Z\",\"delivery\":{"
    "\"state\":\"failed\",\"error\":\"550 no such user\",\"attempts\":2}}}",
    "{\"id\":42,\"provider_id\":1,\"username\":\"ann.lee\",\"first_name\":\"Ann\",\"last"
    "_name\":\"L\\u00E9e \\\"quoted\\\"\",\"email\":\"ann@example.com\",\"phone\":\"+44207"
    "1234567\",\"language\":\"zh\",\"timezone\":\"Asia/Shanghai\",\"country\":\"CN\",\"st"
    "atus\":\"active\",\"login_enabled\":true,\"enforce_sso\":false,\"sso_source\":n"
    "ull,\"sso_id\":null,\"mfa_required\":true,\"mfa_enrolled\":false,\"banned_unt"
    "il\":\"2023-11-14T22:13:20Z\",\"role_ids\":[3,5],\"group_ids\":[],\"access\":{\""
    "level\":\"provider\"},\"last_login_at\":\"2023-07-22T04:26:40Z\",\"created_at\""
    ":\"2020-09-13T12:26:40Z\",\"updated_at\":\"2022-04-15T05:20:00Z\",\"created_b"
    "y\":1,\"updated_by\":null,\"onboarding\":{\"state\":\"expired\",\"sent_at\":\"2020"
    "-09-13T12:28:20Z\",\"expires_at\":\"2020-09-14T12:28:20Z\",\"delivery\":{\"sta"
    "te\":\"failed\",\"error\":\"550 no such user\",\"attempts\":2}}}",
    "{\"id\":42,\"provider_id\":2,\"username\":\"ann.lee\",\"first_name\":\"Ann\",\"last"
    "_name\":\"L\\u00E9e \\\"quoted\\\"\",\"email\":\"ann@example.com\",\"phone\":\"+44207"
    "1234567\",\"language\":\"zh\",\"timezone\":\"Asia/Shanghai\",\"country\":\"CN\",\"st"
    "atus\":\"disabled\",\"login_enabled\":true,\"enforce_sso\":false,\"sso_source\""
    ":null,\"sso_id\":null,\"mfa_required\":true,\"mfa_enrolled\":false,\"banned_u"
    "ntil\":\"2023-11-14T22:13:20Z\",\"role_ids\":[3,5],\"group_ids\":[],\"access\":"
    "{\"level\":\"account\",\"account_ids\":[]},\"last_login_at\":\"2023-07-22T04:26"
    ":40Z\",\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":\"2022-04-15T05:"
    "20:00Z\",\"created_by\":1,\"updated_by\":null,\"onboarding\":{\"state\":\"none\","
    "\"sent_at\":\"2020-09-13T12:28:20Z\",\"expires_at\":\"2020-09-14T12:28:20Z\",\""
    "delivery\":null}}",
    "{\"id\":42,\"provider_id\":3,\"username\":\"ann.lee\",\"first_name\":\"Ann\",\"last"
    "_name\":\"L\\u00E9e \\\"quoted\\\"\",\"email\":\"ann@example.com\",\"phone\":\"+44207"
    "1234567\",\"language\":\"zh\",\"timezone\":\"Asia/Shanghai\",\"country\":\"CN\",\"st"
    "atus\":\"deleted\",\"login_enabled\":true,\"enforce_sso\":false,\"sso_source\":"
    "null,\"sso_id\":null,\"mfa_required\":true,\"mfa_enrolled\":false,\"banned_un"
    "til\":\"2023-11-14T22:13:20Z\",\"role_ids\":[3,5],\"group_ids\":[],\"access\":{"
    "\"level\":\"sub_account\",\"account_ids\":[9],\"sub_account_ids\":\"all\",\"sub_a"
    "ccount_count\":0},\"last_login_at\":\"2023-07-22T04:26:40Z\",\"created_at\":\""
    "2020-09-13T12:26:40Z\",\"updated_at\":\"2022-04-15T05:20:00Z\",\"created_by\""
    ":1,\"updated_by\":null,\"onboarding\":{\"state\":\"expired\",\"sent_at\":\"2020-0"
    "9-13T12:28:20Z\",\"expires_at\":\"2020-09-14T12:28:20Z\",\"delivery\":{\"state"
    "\":\"failed\",\"error\":\"550 no such user\",\"attempts\":2}}}",
    "{\"id\":4,\"provider_id\":null,\"name\":\"Support\",\"description\":\"first line\""
    ",\"kind\":\"platform_user\",\"permissions\":[\"users.read\",\"audit.read\"],\"mfa"
    "_required\":true,\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null}",
    "{\"id\":4,\"provider_id\":7,\"name\":\"Support\",\"description\":\"first line\",\"k"
    "ind\":\"service_provider\",\"permissions\":[\"users.read\",\"audit.read\"],\"mfa"
    "_required\":true,\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null}",
    "{\"id\":5,\"provider_id\":7,\"name\":\"Ops\",\"description\":\"\",\"role_ids\":[3,5,"
    "8],\"member_count\":12,\"created_at\":null,\"updated_at\":\"2020-09-13T12:26:"
    "40Z\"}",
    "{\"id\":10,\"kind\":\"service_provider\",\"parent_id\":null,\"provider_id\":10,\""
    "name\":\"Acme\",\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null,"
    "\"dormant_days\":0,\"dormant_warn_days\":0,\"passkey_signin\":false}",
    "{\"id\":11,\"kind\":\"platform_account\",\"parent_id\":9,\"provider_id\":7,\"name"
    "\":\"Acme\",\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null}",
    "{\"id\":12,\"kind\":\"sub_account\",\"parent_id\":9,\"provider_id\":7,\"name\":\"Ac"
    "me\",\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null}",
    /* SSO sources: never a client secret, only whether one is stored */
    "{\"id\":3,\"provider_id\":null,\"name\":\"okta\",\"display_name\":\"Okta \\\"corp\\\"\","
    "\"issuer\":\"https://corp.okta.com\",\"client_id\":\"abc\",\"scopes\":\"openid email\","
    "\"claim\":\"sub\",\"trust_idp_mfa\":true,\"rp_logout\":false,\"client_secret_set\":true,"
    "\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":null}",
    "{\"id\":3,\"provider_id\":7,\"name\":\"okta\",\"display_name\":\"Okta \\\"corp\\\"\","
    "\"issuer\":\"https://corp.okta.com\",\"client_id\":\"abc\",\"scopes\":\"openid email\","
    "\"claim\":\"email\",\"trust_idp_mfa\":false,\"rp_logout\":true,\"client_secret_set\":false,"
    "\"created_at\":\"2020-09-13T12:26:40Z\",\"updated_at\":\"2020-09-13T12:26:40Z\"}",
};

/* The snapshot of o is golden[*next] and the response body j says the same. */
static void expect_same(gh_arena *a, gh_audit_obj o, json_t *j, size_t *next)
{
    char *body = gh_json_text(a, j);
    char *snap = gh_audit_snapshot(a, o);
    assert_non_null(body);
    assert_non_null(snap);
    assert_true(*next < sizeof golden / sizeof *golden);
    assert_string_equal(snap, golden[(*next)++]);
    assert_string_equal(body, snap);
}

static void snapshots_match_response_bodies(void **state)
{
    gh_arena *a = gh_arena_new();
    size_t n = 0;
    gh_user u = sample_user();
    expect_same(a, GH_AUDIT_OF_USER(&u), gh_json_user(&u), &n);
    /* every access level, statuses, nulls */
    static const gh_access_level levels[] = {GH_ACCESS_PLATFORM, GH_ACCESS_PROVIDER,
                                             GH_ACCESS_ACCOUNT, GH_ACCESS_SUB_ACCOUNT};
    for (size_t i = 0; i < 4; i++) {
        u.access = (gh_access){.level = levels[i], .all = i % 2 == 1, .account_id = 9};
        u.status = (gh_user_status)i;
        u.sso_source = NULL;
        u.provider_id = (int64_t)i;
        u.onboarding.exists = i != 2;
        expect_same(a, GH_AUDIT_OF_USER(&u), gh_json_user(&u), &n);
    }
    gh_role r = {.id = 4,
                 .name = "Support",
                 .description = "first line",
                 .kind = GH_ROLE_PLATFORM_USER,
                 .permissions = GH_PERM(USERS_READ) | GH_PERM(AUDIT_READ),
                 .mfa_required = true,
                 .created_at = 1600000000};
    expect_same(a, GH_AUDIT_OF_ROLE(&r), gh_json_role(&r), &n);
    r.provider_id = 7;
    r.kind = GH_ROLE_SERVICE_PROVIDER;
    expect_same(a, GH_AUDIT_OF_ROLE(&r), gh_json_role(&r), &n);
    gh_group g = {.id = 5,
                  .provider_id = 7,
                  .name = "Ops",
                  .description = "",
                  .role_ids = {ids3, 3},
                  .member_count = 12,
                  .updated_at = 1600000000};
    expect_same(a, GH_AUDIT_OF_GROUP(&g), gh_json_group(&g), &n);
    static const gh_tenant_kind kinds[] = {GH_TENANT_SERVICE_PROVIDER, GH_TENANT_PLATFORM_ACCOUNT,
                                           GH_TENANT_SUB_ACCOUNT};
    for (size_t i = 0; i < 3; i++) {
        gh_tenant t = {.id = 10 + (int64_t)i,
                       .parent_id = i > 0 ? 9 : 0,
                       .provider_id = i > 0 ? 7 : 0,
                       .kind = kinds[i],
                       .name = "Acme",
                       .created_at = 1600000000};
        expect_same(a, GH_AUDIT_OF_TENANT(&t), gh_json_tenant(&t), &n);
    }
    gh_sso_source sso = {.id = 3,
                         .name = "okta",
                         .display_name = "Okta \"corp\"",
                         .issuer = "https://corp.okta.com",
                         .client_id = "abc",
                         .scopes = "openid email",
                         .claim = "sub",
                         .trust_idp_mfa = true,
                         .has_client_secret = true,
                         .client_secret_sealed = "never shown",
                         .created_at = 1600000000};
    expect_same(a, GH_AUDIT_OF_SSO_SOURCE(&sso), gh_json_sso_source(&sso), &n);
    sso.provider_id = 7;
    sso.claim = "email";
    sso.trust_idp_mfa = false;
    sso.rp_logout = true;
    sso.has_client_secret = false;
    sso.updated_at = 1600000000;
    expect_same(a, GH_AUDIT_OF_SSO_SOURCE(&sso), gh_json_sso_source(&sso), &n);
    assert_int_equal(n, sizeof golden / sizeof *golden);
    assert_null(gh_audit_snapshot(a, GH_AUDIT_NOTHING));
    gh_arena_free(a);
}

/* The details as the printf calls of core/ and the json_pack of mail/ wrote them. */
static void details_keep_their_text(void **state)
{
    gh_arena *a = gh_arena_new();
    gh_signin_stage done = GH_STAGE_DONE, totp = GH_STAGE_TOTP;
    static const struct {
        const char *want;
    } wants[] = {
        {"{\"factor\":\"password\"}"},
        {"{\"factor\":\"password\",\"known\":false}"},
        {"{\"factor\":\"password\",\"banned\":true}"},
        {"{\"factor\":\"totp\",\"blocked\":true}"},
        {"{\"factor\":\"password\",\"next\":\"totp\"}"},
        {"{\"factor\":\"change_password\",\"next\":\"done\"}"},
        {"{\"replace\":true,\"proof\":\"code\"}"},
        {"{\"factor\":\"totp\",\"retry_after\":0}"},
        {"{\"sessions\":0}"},
        {"{\"id\":12,\"expires_at\":0}"},
        {"{\"id\":12}"},
        {"{\"link_id\":77}"},
        {"{\"sent\":true}"},
        {"{\"sent\":false,\"reason\":\"rate\"}"},
        {"{\"setup_link_id\":3}"},
        {"{\"message_id\":9,\"kind\":\"onboarding\",\"attempts\":2}"},
        {"{\"message_id\":9,\"kind\":\"onboarding\",\"attempts\":3,\"error\":\"550 \\\"no\\\"\"}"},
    };
    const gh_audit_obj got[] = {
        GH_AUDIT_DETAIL_OF(.factor = "password"),
        GH_AUDIT_DETAIL_OF(.factor = "password", .known = GH_AUDIT_FALSE),
        GH_AUDIT_DETAIL_OF(.factor = "password", .banned = GH_AUDIT_TRUE),
        GH_AUDIT_DETAIL_OF(.factor = "totp", .blocked = GH_AUDIT_TRUE),
        GH_AUDIT_DETAIL_OF(.factor = "password", .next = &totp),
        GH_AUDIT_DETAIL_OF(.factor = gh_signin_stage_name(GH_STAGE_CHANGE_PASSWORD), .next = &done),
        GH_AUDIT_DETAIL_OF(.replace = GH_AUDIT_TRUE, .proof = "code"),
        GH_AUDIT_DETAIL_OF(.factor = "totp", .retry_after = GH_AUDIT_INT(0)),
        GH_AUDIT_DETAIL_OF(.sessions = GH_AUDIT_INT(0)),
        GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(12), .expires_at = GH_AUDIT_INT(0)),
        GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(12)),
        GH_AUDIT_DETAIL_OF(.link_id = GH_AUDIT_INT(77)),
        GH_AUDIT_DETAIL_OF(.sent = GH_AUDIT_TRUE),
        GH_AUDIT_DETAIL_OF(.sent = GH_AUDIT_FALSE, .reason = "rate"),
        GH_AUDIT_DETAIL_OF(.setup_link_id = GH_AUDIT_INT(3)),
        GH_AUDIT_DETAIL_OF(.message_id = GH_AUDIT_INT(9), .kind = "onboarding",
                           .attempts = GH_AUDIT_INT(2)),
        GH_AUDIT_DETAIL_OF(.message_id = GH_AUDIT_INT(9), .kind = "onboarding",
                           .attempts = GH_AUDIT_INT(3), .error = "550 \"no\""),
    };
    assert_int_equal(sizeof wants / sizeof *wants, sizeof got / sizeof *got);
    for (size_t i = 0; i < sizeof got / sizeof *got; i++)
        assert_string_equal(gh_audit_snapshot(a, got[i]), wants[i].want);
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snapshots_match_response_bodies),
        cmocka_unit_test(details_keep_their_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
