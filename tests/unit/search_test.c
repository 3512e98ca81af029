/* White-box tests of store/search.c: the pieces of the users' substring search in each engine's
 * SQL, and that each form runs against the schema. Runs on SQLite (search_test) and on PostgreSQL
 * (search_test_pg, see testdb.h). Through the public store API the search is tested by
 * store_test's user_list_search. */
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

static bool on_postgres(const testdb *t)
{
    return gh_db_kind_of(t->db) == GH_DB_POSTGRES;
}

static void substring_search(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    gh_store_search s;

    if (on_postgres(t)) { /* pg_trgm serves LIKE at any length; the term is lowered (ASCII) */
        gh_store_user_search(t->db, a, "AlI", &s);
        assert_string_equal(s.join, "");
        assert_string_equal(s.id_col, "u.id");
        assert_non_null(strstr(s.where, "LIKE ?"));
        assert_non_null(strstr(s.where, GH_DB_PLAN_EACH_TIME)); /* planned for each term */
        assert_string_equal(s.param, "%ali%");
        gh_store_user_search(t->db, a, "%_\\", &s);
        assert_string_equal(s.param, "%\\%\\_\\\\%");
    } else {
        gh_store_user_search(t->db, a, "ali", &s);
        assert_non_null(strstr(s.where, "MATCH ?"));
        assert_non_null(strstr(s.join, "JOIN"));
        assert_string_equal(s.param, "\"ali\"");
        gh_store_user_search(t->db, a, "o\"brien", &s);
        assert_non_null(strstr(s.where, "MATCH ?"));
        assert_string_equal(s.param, "\"o\"\"brien\"");

        gh_store_user_search(t->db, a, "al", &s);
        assert_null(strstr(s.where, "MATCH"));
        assert_string_equal(s.join, "");
        assert_string_equal(s.id_col, "u.id");
        assert_non_null(strstr(s.where, "LIKE ?"));
        assert_string_equal(s.param, "%al%");
        gh_store_user_search(t->db, a, "a", &s);
        assert_non_null(strstr(s.where, "LIKE ?"));
        assert_string_equal(s.param, "%a%");
        gh_store_user_search(t->db, a, "%_", &s);
        assert_string_equal(s.param, "%\\%\\_%");
    }
    /* exactly one placeholder */
    gh_store_user_search(t->db, a, "xyz", &s);
    assert_non_null(strchr(s.where, '?'));
    assert_null(strchr(strchr(s.where, '?') + 1, '?'));

    /* both forms run against the schema and find the row, case-insensitively */
    assert_int_equal(
        gh_db_exec(t->db,
                   "INSERT INTO users (username, username_key, first_name, last_name, email, "
                   "status, access_level, sort_name, created_at, updated_at) VALUES ('Alice', "
                   "'alice', 'Alice', 'O\"Brien', 'alice@example.com', 'active', 'platform', "
                   "'alice o\"brien', 0, 0)"),
        GH_OK);
    static const struct {
        const char *q;
        int hits;
    } cases[] = {{"LIC", 1}, {"o\"b", 1}, {"Li", 1},  {"@", 1},   {"%", 0},
                 {"zzz", 0}, {"zz", 0},   {"e.c", 1}, {"e_c", 0}, {"'", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_store_user_search(t->db, a, cases[i].q, &s);
        gh_stmt *st = NULL;
        bool row = false;
        assert_int_equal(gh_db_prepare(t->db,
                                       gh_arena_printf(a, "SELECT COUNT(*) FROM users u%s WHERE %s",
                                                       s.join, s.where),
                                       &st),
                         GH_OK);
        gh_stmt_bind_text(st, 1, s.param);
        assert_int_equal(gh_stmt_step(st, &row), GH_OK);
        if (gh_stmt_int(st, 0) != cases[i].hits)
            fail_msg("q=%s: %lld hits", cases[i].q, (long long)gh_stmt_int(st, 0));
        gh_stmt_done(st);
    }
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(substring_search, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
