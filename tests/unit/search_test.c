/* White-box tests of store/search.c: folding, the search columns a user is written with, how a
 * term is served (gram, substring, scan) and that each engine's SQL runs against the schema and
 * finds what it should. Runs on SQLite (search_test) and on PostgreSQL (search_test_pg, see
 * testdb.h). Through the public store API the search is tested by store_test's user_list_search,
 * and end to end by tests/api/search.test.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "store/query.h"
#include "testdb.h"

static int setup(void **state)
{
    testdb *t = calloc(1, sizeof *t);
    testdb_open(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    testdb *t = *state;
    testdb_close(t);
    free(t);
    return 0;
}

static void folding(void **state)
{
    gh_arena *a = gh_arena_new();
    static const char *const cases[][2] = {
        {"Émile", "emile"},       {"ÉMILE", "emile"},
        {"Núñez", "nunez"},       {"Ｊｕｌｉａ", "julia"},
        {"Straße", "strasse"},    {"李伟", "李伟"},
        {"ÅNGSTRÖM", "angstrom"}, {"İstanbul", "istanbul"},
        {"O'Brien", "o'brien"},   {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(gh_store_search_fold(a, cases[i][0]), cases[i][1]);
    assert_string_equal(gh_store_search_fold(a, NULL), "");
    gh_arena_free(a);
}

static bool has_gram(const char *grams, const char *g)
{
    size_t n = strlen(g);
    for (const char *p = grams; (p = strstr(p, g)) != NULL; p++)
        if ((p == grams || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static void fields(void **state)
{
    gh_arena *a = gh_arena_new();
    char *key, *grams;
    gh_store_search_fields(a, "wei.li", "伟", "李", "Wei.Li@Example.CN", &key, &grams);
    assert_string_equal(key, "wei.li 伟 李 李伟 wei.li@example.cn");
    static const char *const want[] = {"w",    "we", "l",  "li", "伟", "李",
                                       "李伟", "e",  "ex", "c",  "cn"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!has_gram(grams, want[i]))
            fail_msg("gram %s missing from \"%s\"", want[i], grams);
    assert_false(has_gram(grams, "wei"));  /* three letters are the trigram index's */
    assert_false(has_gram(grams, "ei"));   /* not a word's start */
    assert_false(has_gram(grams, "伟李")); /* the fields are apart */
    /* each gram once: as many words as wanted grams */
    size_t words = 1;
    for (const char *p = grams; *p; p++)
        words += *p == ' ';
    assert_int_equal(words, sizeof want / sizeof *want);

    gh_store_search_fields(a, "emile", "Émile", "Zola", "emile@lettres.example", &key, &grams);
    assert_string_equal(key, "emile emile zola emile@lettres.example");
    assert_true(has_gram(grams, "em") && has_gram(grams, "zo") && has_gram(grams, "le"));
    gh_arena_free(a);
}

static void kinds(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    gh_store_search s;
    assert_false(gh_store_user_search(t->db, a, "   ", &s)); /* nothing to search */
    assert_true(gh_store_user_search(t->db, a, "Li", &s));
    assert_int_equal(s.kind, GH_SEARCH_GRAM);
    assert_true(gh_store_user_search(t->db, a, "李", &s));
    assert_int_equal(s.kind, GH_SEARCH_GRAM);
    assert_true(gh_store_user_search(t->db, a, "李伟", &s));
    assert_int_equal(s.kind, GH_SEARCH_GRAM);
    assert_true(gh_store_user_search(t->db, a, "李w", &s)); /* mixed: no gram holds it */
    assert_int_equal(s.kind, GH_SEARCH_SCAN);
    assert_true(gh_store_user_search(t->db, a, "x@", &s));
    assert_int_equal(s.kind, GH_SEARCH_SCAN);
    assert_string_equal(s.walk_param, "%x@%");
    assert_true(gh_store_user_search(t->db, a, "%_", &s));
    assert_string_equal(s.walk_param, "%\\%\\_%");
    assert_true(gh_store_user_search(t->db, a, " ÉMI ", &s));
    assert_int_equal(s.kind, GH_SEARCH_SUBSTRING);
    assert_string_equal(s.walk_param, "%emi%");
    if (gh_db_kind_of(t->db) == GH_DB_POSTGRES) {
        assert_non_null(strstr(s.where, GH_DB_PLAN_EACH_TIME)); /* planned for each term */
        assert_true(gh_store_user_search(t->db, a, "欧阳娜", &s));
        assert_string_equal(s.param, "欧阳 阳娜"); /* the pairs, then LIKE */
        assert_string_equal(s.param2, "%欧阳娜%");
    } else {
        assert_string_equal(s.param, "\"emi\"");
        assert_true(gh_store_user_search(t->db, a, "o\"brien", &s));
        assert_string_equal(s.param, "\"o\"\"brien\"");
    }
    gh_arena_free(a);
}

/* Each form of the SQL runs against the schema and counts the rows it should. */
static void against_schema(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    char *key, *grams;
    gh_store_search_fields(a, "Alice", "Alice", "O\"Brien", "alice@example.com", &key, &grams);
    gh_stmt *ins = NULL;
    assert_int_equal(gh_db_prepare(t->db,
                                   "INSERT INTO users (username, username_key, first_name, "
                                   "last_name, email, status, access_level, sort_name, "
                                   "search_key, search_grams, created_at, updated_at) VALUES "
                                   "('Alice', 'alice', 'Alice', 'O\"Brien', 'alice@example.com', "
                                   "'active', 'platform', 'alice o\"brien', ?, ?, 0, 0)",
                                   &ins),
                     GH_OK);
    gh_stmt_bind_text(ins, 1, key);
    gh_stmt_bind_text(ins, 2, grams);
    bool row = false;
    assert_int_equal(gh_stmt_step(ins, &row), GH_OK);
    gh_stmt_done(ins);
    static const struct {
        const char *q;
        int hits;
    } cases[] = {{"LIC", 1}, {"o\"b", 1}, {"Al", 1},  {"li", 0}, {"ex", 1}, {"zzz", 0},
                 {"zz", 0},  {"e.c", 1},  {"e_c", 0}, {"'", 0},  {"ÁLÍ", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_store_search s;
        assert_true(gh_store_user_search(t->db, a, cases[i].q, &s));
        gh_stmt *st = NULL;
        const char *sql =
            s.kind == GH_SEARCH_SCAN
                ? gh_arena_printf(a,
                                  "SELECT COUNT(*) FROM (SELECT search_key AS wk, search_grams "
                                  "AS wg FROM users) w WHERE %s",
                                  s.walk_match)
                : gh_arena_printf(a, "SELECT COUNT(*) FROM users u%s WHERE %s", s.join, s.where);
        assert_int_equal(gh_db_prepare(t->db, sql, &st), GH_OK);
        if (s.kind == GH_SEARCH_SCAN) {
            gh_stmt_bind_text(st, 1, s.walk_param);
        } else {
            gh_stmt_bind_text(st, 1, s.param);
            if (s.param2 != NULL)
                gh_stmt_bind_text(st, 2, s.param2);
        }
        assert_int_equal(gh_stmt_step(st, &row), GH_OK);
        if (gh_stmt_int(st, 0) != cases[i].hits)
            fail_msg("q=%s: %lld hits", cases[i].q, (long long)gh_stmt_int(st, 0));
        gh_stmt_done(st);
        /* the walk's test agrees with the index */
        assert_int_equal(gh_db_prepare(t->db,
                                       gh_arena_printf(a,
                                                       "SELECT COUNT(*) FROM (SELECT search_key "
                                                       "AS wk, search_grams AS wg FROM users) w "
                                                       "WHERE %s",
                                                       s.walk_match),
                                       &st),
                         GH_OK);
        gh_stmt_bind_text(st, 1, s.walk_param);
        assert_int_equal(gh_stmt_step(st, &row), GH_OK);
        if (gh_stmt_int(st, 0) != cases[i].hits)
            fail_msg("q=%s: the walk counts %lld", cases[i].q, (long long)gh_stmt_int(st, 0));
        gh_stmt_done(st);
    }
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folding),
        cmocka_unit_test(fields),
        cmocka_unit_test_setup_teardown(kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(against_schema, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
