/* A fresh, migrated database for one test: SQLite in its own temporary directory, or, when the
 * test runs with GH_TEST_ENGINE=postgres (ctest's *_pg entries), a new database created in the
 * cluster of GATEHOUSE_TEST_PG_URL and dropped afterwards (the process exits 77, "skipped", when
 * that variable is unset). Shared by the unit tests of db/, store/ and core/; everything is static
 * inline so that each test binary takes only what it uses. Include after <cmocka.h>. */
#ifndef GH_TESTS_UNIT_TESTDB_H
#define GH_TESTS_UNIT_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"

typedef struct testdb {
    char dir[64];
    char path[512]; /* the SQLite file, or the PostgreSQL URL of the test's database */
    char pg_name[64];
    gh_db *db;
} testdb;

/* The cluster URL when this test runs on PostgreSQL, else NULL. */
static inline const char *testdb_pg_cluster(void)
{
    const char *engine = getenv("GH_TEST_ENGINE");
    if (engine == NULL || strcmp(engine, "postgres") != 0)
        return NULL;
    const char *url = getenv("GATEHOUSE_TEST_PG_URL");
    if (url == NULL || url[0] == '\0') {
        fprintf(stderr, "skipped: GATEHOUSE_TEST_PG_URL is not set (make pg sets it)\n");
        exit(77);
    }
    return url;
}

/* cluster with its database name replaced by name (libpq URL: scheme://authority/dbname?query). */
static inline void testdb_pg_url(const char *cluster, const char *name, char *buf, size_t cap)
{
    const char *auth = strstr(cluster, "://");
    auth = auth != NULL ? auth + 3 : cluster;
    size_t head = (size_t)(auth - cluster) + strcspn(auth, "/?");
    const char *query = strchr(cluster + head, '?');
    snprintf(buf, cap, "%.*s/%s%s", (int)head, cluster, name, query != NULL ? query : "");
}

/* Runs one statement on the cluster's maintenance database (CREATE or DROP DATABASE). */
static inline void testdb_pg_admin(const char *cluster, const char *sql)
{
    gh_db *admin = NULL;
    assert_int_equal(gh_db_open(cluster, &admin), GH_OK);
    assert_int_equal(gh_db_exec(admin, sql), GH_OK);
    gh_db_close(admin);
}

/* Makes the directory (SQLite) or the database (PostgreSQL) and opens it without migrating. */
static inline void testdb_open_raw(testdb *t)
{
    static unsigned serial;
    memset(t, 0, sizeof *t);
    const char *cluster = testdb_pg_cluster();
    if (cluster != NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(t->pg_name, sizeof t->pg_name, "gh_unit_%ld_%u_%ld", (long)getpid(), serial++,
                 (long)ts.tv_nsec);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->pg_name);
        testdb_pg_admin(cluster, sql);
        testdb_pg_url(cluster, t->pg_name, t->path, sizeof t->path);
        assert_int_equal(gh_db_open(t->path, &t->db), GH_OK);
        return;
    }
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

/* Closes the connection and removes the files and the directory, or drops the database. */
static inline void testdb_close(testdb *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    gh_db_close(t->db);
    t->db = NULL;
    if (t->pg_name[0] != '\0') {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->pg_name);
        testdb_pg_admin(testdb_pg_cluster(), sql);
        return;
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char p[sizeof t->path + 16];
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
