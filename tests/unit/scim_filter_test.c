/* Unit tests of core/scim_filter.c: the filters Okta and Entra send, precedence and
 * parentheses, the value path of emails, values lower-cased but for externalId, times and
 * booleans, and malformed input refused with a sentence (the SCIM error invalidFilter). The
 * store turns the tree into SQL: tests/api/scim*.test.mjs prove that on both engines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/core.h"

static gh_arena *arena;

static int setup(void **state)
{
    arena = gh_arena_new();
    return arena == NULL;
}

static int teardown(void **state)
{
    gh_arena_free(arena);
    return 0;
}

static const gh_scim_filter *parse_ok(const char *text)
{
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    if (!gh_scim_filter_parse(arena, GH_SCIM_USERS, text, &f, &detail))
        fail_msg("%s: %s", text, detail);
    assert_non_null(f);
    return f;
}

static void parse_bad(const char *text)
{
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    if (gh_scim_filter_parse(arena, GH_SCIM_USERS, text, &f, &detail))
        fail_msg("accepted: %s", text);
    assert_non_null(detail);
    assert_true(strlen(detail) > 0);
}

static void cmp_is(const gh_scim_filter *f, gh_scim_attr attr, gh_scim_op op, const char *text)
{
    assert_int_equal(f->node, GH_SF_CMP);
    assert_int_equal(f->attr, attr);
    assert_int_equal(f->op, op);
    if (text != NULL)
        assert_string_equal(f->text, text);
}

static void okta_and_entra_lookups(void **state)
{
    cmp_is(parse_ok("userName eq \"test.user@okta.local\""), GH_SA_USERNAME, GH_SO_EQ,
           "test.user@okta.local");
    /* Entra: externalId is case-exact, userName is not */
    cmp_is(parse_ok("externalId eq \"0a21f0f2-8D2A-4f8e-bf98-7363c4aed4ef\""), GH_SA_EXTERNAL_ID,
           GH_SO_EQ, "0a21f0f2-8D2A-4f8e-bf98-7363c4aed4ef");
    cmp_is(parse_ok("userName eq \"Test_User_Ab6490ee-1e48-479e-a20b-2d77186b5dd1\""),
           GH_SA_USERNAME, GH_SO_EQ, "test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1");
    cmp_is(parse_ok("emails.value eq \"a@b.example\""), GH_SA_EMAIL, GH_SO_EQ, "a@b.example");
    cmp_is(parse_ok("name.familyName co \"Us\""), GH_SA_FAMILY_NAME, GH_SO_CO, "us");
    cmp_is(parse_ok("USERNAME SW \"te\""), GH_SA_USERNAME, GH_SO_SW, "te");
    cmp_is(parse_ok("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\""), GH_SA_USERNAME,
           GH_SO_EQ, "x");
    cmp_is(parse_ok("externalId pr"), GH_SA_EXTERNAL_ID, GH_SO_PR, NULL);
}

static void values(void **state)
{
    const gh_scim_filter *f = parse_ok("active eq true");
    cmp_is(f, GH_SA_ACTIVE, GH_SO_EQ, NULL);
    assert_int_equal(f->num, 1);
    assert_int_equal(parse_ok("active eq False")->num, 0);
    f = parse_ok("meta.lastModified gt \"2026-01-02T03:04:05Z\"");
    cmp_is(f, GH_SA_LAST_MODIFIED, GH_SO_GT, NULL);
    assert_int_equal(f->num, 1767323045);
    assert_int_equal(parse_ok("id eq \"42\"")->num, 42);
    assert_int_equal(parse_ok("id eq \"not-ours\"")->num, 0); /* matches nothing */
    assert_string_equal(parse_ok("userName eq \"a\\\"b\\u00C9\"")->text, "a\"b\xc3\x89");
}

static void precedence(void **state)
{
    /* and binds tighter than or */
    const gh_scim_filter *f = parse_ok("userName eq \"a\" or userName eq \"b\" and active eq true");
    assert_int_equal(f->node, GH_SF_OR);
    cmp_is(f->l, GH_SA_USERNAME, GH_SO_EQ, "a");
    assert_int_equal(f->r->node, GH_SF_AND);
    f = parse_ok("(userName eq \"a\" or userName eq \"b\") and active eq true");
    assert_int_equal(f->node, GH_SF_AND);
    assert_int_equal(f->l->node, GH_SF_OR);
    f = parse_ok("not (active eq false)");
    assert_int_equal(f->node, GH_SF_NOT);
    cmp_is(f->l, GH_SA_ACTIVE, GH_SO_EQ, NULL);
    f = parse_ok("emails[type eq \"work\" and value co \"@example.com\"]");
    assert_int_equal(f->node, GH_SF_AND);
    assert_int_equal(f->l->node, GH_SF_CONST);
    assert_int_equal(f->l->num, 1);
    cmp_is(f->r, GH_SA_EMAIL, GH_SO_CO, "@example.com");
    assert_int_equal(parse_ok("emails[type eq \"home\"]")->num, 0);
}

static void malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "userName",
        "userName eq",
        "userName eq \"x",
        "userName equals \"x\"",
        "nickName eq \"x\"", /* not an attribute Gatehouse filters on */
        "active eq \"yes\"", /* a boolean */
        "active co true",    /* co does not apply to booleans */
        "userName gt \"a\"", /* nor gt to strings */
        "meta.lastModified gt \"yesterday\"",
        "userName eq \"a\" and",
        "userName eq \"a\" or or userName eq \"b\"",
        "(userName eq \"a\"",
        "userName eq \"a\")",
        "not userName eq \"a\"",
        "emails[type eq \"work\"",
        "addresses[type eq \"work\"]",
        "userName eq \"a\\q\"",
        "userName eq \"\\u0000\"",
        "userName eq \"a\"andactive eq true",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        parse_bad(bad[i]);
}

static void groups(void **state)
{
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    assert_true(
        gh_scim_filter_parse(arena, GH_SCIM_GROUPS, "displayName eq \"Test SCIMv2\"", &f, &detail));
    cmp_is(f, GH_SA_DISPLAY_NAME, GH_SO_EQ, "test scimv2");
    assert_true(
        gh_scim_filter_parse(arena, GH_SCIM_GROUPS, "members[value eq \"12\"]", &f, &detail));
    cmp_is(f, GH_SA_MEMBER, GH_SO_EQ, NULL);
    assert_int_equal(f->num, 12);
    assert_true(gh_scim_filter_parse(arena, GH_SCIM_GROUPS, "id eq \"7\"", &f, &detail));
    cmp_is(f, GH_SA_GROUP_ID, GH_SO_EQ, NULL);
    /* a user's attributes are no group's, and the other way round */
    assert_false(gh_scim_filter_parse(arena, GH_SCIM_GROUPS, "userName eq \"x\"", &f, &detail));
    assert_false(gh_scim_filter_parse(arena, GH_SCIM_USERS, "displayName eq \"x\"", &f, &detail));
    assert_false(
        gh_scim_filter_parse(arena, GH_SCIM_GROUPS, "emails[type eq \"work\"]", &f, &detail));
    assert_true(gh_scim_filter_parse(arena, GH_SCIM_USERS, "groups.value eq \"3\"", &f, &detail));
    cmp_is(f, GH_SA_GROUP, GH_SO_EQ, NULL);
    /* a members comparison weighs four (it binds the viewer's scope too) */
    assert_false(gh_scim_filter_parse(arena, GH_SCIM_GROUPS,
                                      "members.value eq \"1\" or members.value eq \"2\" or "
                                      "members.value eq \"3\" or members.value eq \"4\" or "
                                      "members.value eq \"5\"",
                                      &f, &detail));
}

static void limits(void **state)
{
    char buf[4096] = "";
    for (int i = 0; i <= GH_SCIM_FILTER_MAX_CMP; i++)
        strcat(buf, i == 0 ? "userName eq \"a\"" : " or userName eq \"a\"");
    parse_bad(buf); /* one comparison too many */
    strcpy(buf, "");
    for (int i = 0; i < 40; i++)
        strcat(buf, "(");
    strcat(buf, "active eq true");
    for (int i = 0; i < 40; i++)
        strcat(buf, ")");
    parse_bad(buf); /* nested too deeply */
    memset(buf, 'a', GH_SCIM_FILTER_MAX_BYTES + 1);
    buf[GH_SCIM_FILTER_MAX_BYTES + 1] = '\0';
    parse_bad(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(okta_and_entra_lookups),
        cmocka_unit_test(values),
        cmocka_unit_test(precedence),
        cmocka_unit_test(malformed),
        cmocka_unit_test(groups),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
