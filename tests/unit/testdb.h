/* A fresh, migrated SQLite database in its own temporary directory, for one test. Shared by the
 * unit tests of db/, store/ and core/; everything is static inline so that each test binary takes
 * only what it uses. Include after <cmocka.h>. */
#ifndef GH_TESTS_UNIT_TESTDB_H
#define GH_TESTS_UNIT_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

typedef struct testdb {
    char dir[64];
    char path[128];
    gh_db *db;
} testdb;

/* Makes the directory and opens (but does not migrate) the database file in it. */
static inline void testdb_open_raw(testdb *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/gh-unit-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/gatehouse.db", t->dir);
    assert_int_equal(gh_db_open(t->path, &t->db), GH_OK);
}

/* Opens and migrates to the newest schema. */
static inline void testdb_open(testdb *t)
{
    int applied = 0;
    testdb_open_raw(t);
    assert_int_equal(gh_db_migrate(t->db, &applied), GH_OK);
    assert_true(applied > 0);
}

/* Closes the connection and removes the files and the directory. */
static inline void testdb_close(testdb *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    gh_db_close(t->db);
    t->db = NULL;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", t->path, suffixes[i]);
        unlink(p);
    }
    if (t->dir[0] != '\0')
        rmdir(t->dir);
}

/* Runs one statement whose parameters are all integers (test-only writes the store has no
 * function for, such as banned_until or last_login_at). */
static inline void testdb_exec_ints(gh_db *db, const char *sql, int n, const int64_t *v)
{
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(db, sql, &st), GH_OK);
    for (int i = 0; i < n; i++)
        gh_stmt_bind_int(st, i + 1, v[i]);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    gh_stmt_done(st);
}

#endif
