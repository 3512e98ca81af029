/* Unit tests of auth/policy: the table of lengths, code points and UTF-8, spaces kept as typed,
 * cracklib's verdicts and where policy.c departs from them, the user's own data, the passwords
 * the project's tests use, reasons that never repeat the password, and concurrent calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <crack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/policy.h"

/* An unrelated user, as in the project's other tests. */
static const gh_password_facts root_facts = {.username = "root", .email = "root@example.com"};

/* The alphabet of gh_password_generate(). */
static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/* xorshift32: the same "random" passwords on every run, so that a result never depends on luck. */
static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* n characters of the alphabet into buf (n + 1 bytes). */
static void fill(char *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[next_random(&seed) % (sizeof alphabet - 1)];
    buf[n] = '\0';
}

/* The refusal codes of policy.h and a part of the sentence each comes with. */
static const struct {
    const char *code, *words;
} codes[] = {
    {"required", "No password"},
    {"too_short", "characters long"},
    {"too_long", "longer than 256"},
    {"not_utf8", "not valid UTF-8"},
    {"contains_username", "your username"},
    {"contains_first_name", "your first name"},
    {"contains_last_name", "your last name"},
    {"contains_email", "your e-mail address"},
    {"contains_word", "this service or of your organisation"},
    {"based_on_name", "based on your name"},
    {"too_few_distinct", "too few different characters"},
    {"sequence", "sequences and repeats"},
    {"too_simple", "too regular a pattern"},
    {"dictionary", "dictionary word"},
    {"weak", "too easy to guess"},
};

/* A refusal's code must be one of the list, in [a-z0-9_], and go with its sentence. */
static void check_code(const gh_password_refusal *why)
{
    assert_non_null(why->code);
    assert_true(strspn(why->code, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(why->code));
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strcmp(codes[i].code, why->code) == 0) {
            if (strstr(why->text, codes[i].words) == NULL)
                fail_msg("code %s with the sentence \"%s\"", why->code, why->text);
            return;
        }
    fail_msg("unknown code %s", why->code);
}

/* Calls the policy; a refusal must come with a known code and one sentence that does not hold
 * the password, and an acceptance must leave *reason alone. */
static gh_err check(const char *pw, int min, const gh_password_facts *f, const char **reason)
{
    gh_password_refusal why = {NULL, NULL};
    gh_err err = gh_password_policy(pw, min, f, &why);
    const char *r = why.text;
    if (err == GH_EINVAL) {
        assert_non_null(r);
        check_code(&why);
        assert_true(strlen(r) > 10 && r[strlen(r) - 1] == '.');
        /* (a password "password" meets the sentence's own word "password") */
        if (pw != NULL && pw[0] != '\0' && strcasestr("The password", pw) == NULL)
            assert_null(strstr(r, pw));
    } else {
        assert_null(r);
        assert_null(why.code);
    }
    if (reason != NULL)
        *reason = r;
    return err;
}

/* Asserts a refusal whose sentence contains words. */
static void refused_with(const char *pw, int min, const gh_password_facts *f, const char *words)
{
    const char *reason;
    gh_err err = check(pw, min, f, &reason);
    if (err != GH_EINVAL || strstr(reason, words) == NULL)
        fail_msg("%s: expected a refusal mentioning \"%s\", got %s (%s)", pw, words,
                 gh_err_str(err), reason ? reason : "no reason");
}

static void accepted(const char *pw, int min, const gh_password_facts *f)
{
    const char *reason;
    gh_err err = check(pw, min, f, &reason);
    if (err != GH_OK)
        fail_msg("%s: expected acceptance, got %s (%s)", pw, gh_err_str(err),
                 reason ? reason : "no reason");
}

/* ---- length and encoding ---- */

static void length_table(void **state)
{
    static const struct {
        size_t chars;
        int min;
        gh_err want;
        const char *reason; /* part of the sentence on refusal */
    } rows[] = {
        {14, 15, GH_EINVAL, "at least 15 characters"},
        {15, 15, GH_OK, NULL},
        {256, 15, GH_OK, NULL},
        {257, 15, GH_EINVAL, "longer than 256"},
        {8, 8, GH_OK, NULL},
        {7, 8, GH_EINVAL, "at least 8 characters"},
        {8, 4, GH_OK, NULL}, /* min 4 is treated as 8 */
        {7, 4, GH_EINVAL, "at least 8 characters"},
        {7, 0, GH_EINVAL, "at least 8 characters"},
        {8, -5, GH_OK, NULL},
        {20, 20, GH_OK, NULL},
        {19, 20, GH_EINVAL, "at least 20 characters"},
        {256, 300, GH_OK, NULL}, /* a minimum above 256 is treated as 256 */
    };
    char buf[300];
    fill(buf, 257, 12345u);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char saved = buf[rows[i].chars];
        buf[rows[i].chars] = '\0';
        if (rows[i].want == GH_OK)
            accepted(buf, rows[i].min, &root_facts);
        else
            refused_with(buf, rows[i].min, &root_facts, rows[i].reason);
        buf[rows[i].chars] = saved;
    }
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 100 KB is refused from its size alone, long before any decoding or cracklib. */
static void huge_refused_quickly(void **state)
{
    size_t n = 100 * 1024;
    char *pw = malloc(n + 1);
    assert_non_null(pw);
    for (size_t i = 0; i < n; i++)
        pw[i] = alphabet[i * 7 % (sizeof alphabet - 1)];
    pw[n] = '\0';
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000; i++) {
        gh_password_refusal why = {NULL, NULL};
        assert_int_equal(gh_password_policy(pw, 15, &root_facts, &why), GH_EINVAL);
        assert_non_null(strstr(why.text, "longer than 256"));
        assert_string_equal(why.code, "too_long");
    }
    assert_true(seconds_since(&t0) < 0.5); /* 1000 calls: well under a millisecond each */
    free(pw);
}

/* 256 characters of 4 bytes (1024 bytes) pass; one more byte is over the byte limit. */
static void byte_limit(void **state)
{
    char pw[GH_PASSWORD_MAX_BYTES + 2];
    uint32_t seed = 99u;
    for (size_t i = 0; i < GH_PASSWORD_MAX; i++) {
        uint32_t c = 0x1f300 + next_random(&seed) % 0x300; /* pictographs, U+1F300-U+1F5FF */
        pw[4 * i] = (char)(0xf0 | c >> 18);
        pw[4 * i + 1] = (char)(0x80 | (c >> 12 & 0x3f));
        pw[4 * i + 2] = (char)(0x80 | (c >> 6 & 0x3f));
        pw[4 * i + 3] = (char)(0x80 | (c & 0x3f));
    }
    pw[GH_PASSWORD_MAX_BYTES] = '\0';
    accepted(pw, 15, &root_facts);
    pw[GH_PASSWORD_MAX_BYTES] = 'x';
    pw[GH_PASSWORD_MAX_BYTES + 1] = '\0';
    refused_with(pw, 15, &root_facts, "longer than 256");
}

static void code_points_counted(void **state)
{
    /* 15 CJK characters are 45 bytes: accepted at 15; 14 of them (42 bytes) are too few. */
    accepted("春眠不覚暁処処聞啼鳥夜来風雨声", 15, &root_facts);
    refused_with("春眠不覚暁処処聞啼鳥夜来風雨", 15, &root_facts, "at least 15 characters");
    accepted("Grüße aus Köln!", 15, &root_facts);
    refused_with("Grüße aus Köln", 15, &root_facts, "at least 15 characters");
}

static void invalid_utf8_refused(void **state)
{
    static const char *const bad[] = {
        "correct horse battery \xff staple",         /* not a UTF-8 byte */
        "correct horse battery \x80 staple",         /* a lone continuation byte */
        "correct horse battery \xc0\xaf staple",     /* overlong "/" */
        "correct horse battery \xe0\x80\xaf staple", /* overlong, 3 bytes */
        "correct horse battery \xed\xa0\x80 staple", /* a UTF-16 surrogate */
        "correct horse battery \xf4\x90\x80\x80 x",  /* above U+10FFFF */
        "correct horse battery \xf5\x80\x80\x80 x",  /* lead byte above F4 */
        "correct horse battery staple \xe6\x98",     /* truncated at the end */
        "correct horse battery \xc3 staple",         /* truncated inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        refused_with(bad[i], 15, &root_facts, "not valid UTF-8");
}

/* Spaces count and stay: a password that is 15 characters only with its spaces is accepted. */
static void spaces_kept(void **state)
{
    accepted(" kT7wq Zr4 mPx ", 15, &root_facts);
    accepted("kT7wq Zr4 mPx  ", 15, &root_facts);
    refused_with(" kT7wq Zr4 mPx", 15, &root_facts, "at least 15 characters");
    refused_with("kT7wq Zr4 mPx", 15, &root_facts, "at least 15 characters");
    refused_with("               ", 15, &root_facts, "too few different characters");
    refused_with(NULL, 15, &root_facts, "No password");
}

/* ---- cracklib and sequences ---- */

static void cracklib_refuses(void **state)
{
    refused_with("password123456789", 15, &root_facts, "sequences");
    refused_with("Responsibilities", 15, &root_facts, "dictionary word");
    refused_with("responsibilities123", 15, &root_facts, "dictionary word");
    refused_with("password", 8, &root_facts, "dictionary word");
    refused_with("Password1", 8, &root_facts, "dictionary word");
    refused_with("the the the the the", 15, &root_facts, "too few different characters");
    refused_with("abab abab abab abab", 15, &root_facts, "too few different characters");
    /* one plain word: cracklib's "systematic" verdict is followed even when long */
    refused_with("Constitutionally", 15, &root_facts, "too regular a pattern");
}

/* cracklib accepts keyboard walks; the sequence rule of policy.c refuses them. */
static void sequences_refused(void **state)
{
    refused_with("qwertyuiopasdfgh", 15, &root_facts, "sequences");
    refused_with("abcdefghijklmnopqrstuvwxyz", 15, &root_facts, "sequences");
    refused_with("!@#$%^&*()_+{}:\"", 15, &root_facts, "sequences");
    refused_with("QWERTZUIOP lamp!", 15, &root_facts, "sequences");
    refused_with("abolitionist123", 8, &root_facts, "too regular a pattern"); /* cracklib */
    refused_with("asdfjkl;9876", 8, &root_facts, "sequences");
    /* repeats: cracklib accepts all three */
    refused_with("monkey0000000000", 15, &root_facts, "repeats");
    refused_with("Basketball99999", 15, &root_facts, "repeats");
    refused_with("passwordpassword", 15, &root_facts, "repeats");
    refused_with("horse riverhorse river", 15, &root_facts, "repeats");
    accepted("bananas in pyjamas all day", 15, &root_facts); /* "anana": short copies are words */
    accepted("correct horse battery staple", 15, &root_facts);
    accepted("asdfjkl;9876 plus river lamps", 15, &root_facts);
}

/* What cracklib itself says about the inputs that made policy.c depart from it (see the top of
 * policy.c). If this fails, cracklib or its dictionary changed; re-read that comment. */
static void cracklib_findings(void **state)
{
    static const char *const scattered[] = {"jiggled reefed acted", "phDjtHfG6uiSrUTChtUV",
                                            "9SKCqSLrefSTBAc6rQp4"};
    const char *dict = GetDefaultCracklibDict();
    for (size_t i = 0; i < sizeof scattered / sizeof *scattered; i++) {
        const char *msg = FascistCheckUser(scattered[i], dict, "root", "");
        assert_non_null(msg);
        assert_string_equal(msg, "it is too simplistic/systematic");
        accepted(scattered[i], 15, &root_facts);
    }
    assert_null(FascistCheckUser("qwertyuiopasdfgh", dict, "root", ""));
    assert_null(FascistCheckUser("correct horse battery staple", dict, "root", ""));
    assert_null(FascistCheckUser("a long enough password for tests", dict, "root", ""));
}

/* ---- the user's own data ---- */

static const char *const extra_words[] = {"gatehouse", "Acme Widgets", NULL};
static const gh_password_facts jo = {.username = "jsmith",
                                     .first_name = "Johanna",
                                     .last_name = "Jürgens",
                                     .email = "jo.hanna@example.org",
                                     .words = extra_words};

static void own_data_refused(void **state)
{
    static const struct {
        const char *pw, *fact, *reason;
    } rows[] = {
        {"blue JSMITH river lamp", "jsmith", "your username"},
        {"blue river joHANNA lamp", "johanna", "your first name"},
        {"JÜRGENS blue river lamp", "jürgens", "your last name"},
        {"lamp Jo.Hanna blue river", "jo.hanna", "your e-mail address"},
        {"GateHouse blue river lamp", "gatehouse", "this service or of your organisation"},
        {"blue river ACME WIDGETS", "acme widgets", "this service or of your organisation"},
    };
    accepted("blue river lamp pencil", 15, &jo);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *reason;
        refused_with(rows[i].pw, 15, &jo, rows[i].reason);
        assert_int_equal(check(rows[i].pw, 15, &jo, &reason), GH_EINVAL);
        assert_null(strcasestr(reason, rows[i].fact)); /* nor the fact, part of the password */
    }
}

/* Names, local parts and words under 3 characters are not sought; NULL facts are allowed. */
static void short_and_missing_facts(void **state)
{
    static const char *const short_words[] = {"HR", "", NULL};
    const gh_password_facts shorts = {.username = "al",
                                      .first_name = "Al",
                                      .last_name = "Wu",
                                      .email = "wu@example.org",
                                      .words = short_words};
    accepted("always wu hr blue lamp", 15, &shorts);
    const gh_password_facts empty = {.username = NULL};
    accepted("correct horse battery staple", 15, &empty);
    accepted("correct horse battery staple", 15, NULL);
    const gh_password_facts no_at = {.email = "staple"};
    refused_with("correct horse battery staple", 15, &no_at, "your e-mail address");
}

/* ---- codes ---- */

/* One password for each code the policy gives (based_on_name and weak come from cracklib's
 * rarer verdicts, checked through the sentences above when they occur). */
static void refusal_codes(void **state)
{
    static const struct {
        const char *pw, *code;
        int min;
    } rows[] = {
        {NULL, "required", 15},
        {"short one", "too_short", 15},
        {"correct horse battery \xff staple", "not_utf8", 15},
        {"blue JSMITH river lamp", "contains_username", 15},
        {"blue river joHANNA lamp", "contains_first_name", 15},
        {"JÜRGENS blue river lamp", "contains_last_name", 15},
        {"lamp Jo.Hanna blue river", "contains_email", 15},
        {"GateHouse blue river lamp", "contains_word", 15},
        {"               ", "too_few_distinct", 15},
        {"qwertyuiopasdfgh", "sequence", 15},
        {"Constitutionally", "too_simple", 15},
        {"Responsibilities", "dictionary", 15},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        gh_password_refusal why = {NULL, NULL};
        gh_err err = gh_password_policy(rows[i].pw, rows[i].min, &jo, &why);
        if (err != GH_EINVAL || strcmp(why.code, rows[i].code) != 0)
            fail_msg("%s: expected %s, got %s %s", rows[i].pw ? rows[i].pw : "NULL", rows[i].code,
                     gh_err_str(err), why.code ? why.code : "no code");
    }
    char pw[300];
    fill(pw, 257, 7u);
    gh_password_refusal why = {NULL, NULL};
    assert_int_equal(gh_password_policy(pw, 15, &jo, &why), GH_EINVAL);
    assert_string_equal(why.code, "too_long");
}

/* ---- the passwords of the project's tests ---- */

static void project_passwords_accepted(void **state)
{
    accepted("correct horse battery staple", 15, &root_facts);
    accepted("a long enough password for tests", 15, &root_facts);
    char pw[21];
    for (uint32_t seed = 1; seed <= 5000; seed++) {
        fill(pw, 20, seed * 2654435761u);
        accepted(pw, 15, &root_facts);
    }
}

/* ---- threads ---- */

static const struct {
    const char *pw;
    gh_err want;
} mixed[] = {
    {"correct horse battery staple", GH_OK},
    {"password123456789", GH_EINVAL},
    {"a long enough password for tests", GH_OK},
    {"Responsibilities", GH_EINVAL},
    {"phDjtHfG6uiSrUTChtUV", GH_OK},
    {"blue root river lamp", GH_EINVAL},
    {"qwertyuiopasdfgh", GH_EINVAL},
    {"春眠不覚暁処処聞啼鳥夜来風雨声", GH_OK},
};

static void *worker(void *arg)
{
    size_t offset = (size_t)(uintptr_t)arg, wrong = 0;
    for (size_t i = 0; i < 400; i++) {
        size_t k = (i + offset) % (sizeof mixed / sizeof *mixed);
        gh_password_refusal why = {NULL, NULL};
        gh_err err = gh_password_policy(mixed[k].pw, 15, &root_facts, &why);
        if (err != mixed[k].want || (err == GH_EINVAL) != (why.text != NULL && why.code != NULL))
            wrong++;
    }
    return (void *)(uintptr_t)wrong;
}

static void concurrent_calls(void **state)
{
    pthread_t t[4];
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
    for (size_t i = 0; i < 4; i++) {
        void *wrong;
        assert_int_equal(pthread_join(t[i], &wrong), 0);
        assert_int_equal((uintptr_t)wrong, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(length_table),
        cmocka_unit_test(huge_refused_quickly),
        cmocka_unit_test(byte_limit),
        cmocka_unit_test(code_points_counted),
        cmocka_unit_test(invalid_utf8_refused),
        cmocka_unit_test(spaces_kept),
        cmocka_unit_test(cracklib_refuses),
        cmocka_unit_test(sequences_refused),
        cmocka_unit_test(cracklib_findings),
        cmocka_unit_test(own_data_refused),
        cmocka_unit_test(short_and_missing_facts),
        cmocka_unit_test(refusal_codes),
        cmocka_unit_test(project_passwords_accepted),
        cmocka_unit_test(concurrent_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
