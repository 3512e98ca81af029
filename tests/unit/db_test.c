/* Unit tests of db/: opening with the durability settings (D1, D2), migrations (and their lock on
 * PostgreSQL), statements and their cache, placeholders, constraint mapping, transactions,
 * reconnection after a lost connection and integrity. Runs on SQLite (db_test) and on
 * PostgreSQL (db_test_pg, see testdb.h); a few cases are for one engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "db/db.h"
#include "db/driver.h"
#include "testdb.h"

static int setup_raw(void **state)
{
    testdb *t = calloc(1, sizeof *t);
    testdb_open_raw(t);
    *state = t;
    return 0;
}

static int setup_migrated(void **state)
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

/* The single text value of a one-row query. */
static char *query_text(gh_db *db, gh_arena *a, const char *sql)
{
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(db, sql, &st), GH_OK);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    char *v = gh_stmt_text(st, 0, a);
    gh_stmt_done(st);
    return v;
}

static int64_t query_int(gh_db *db, const char *sql)
{
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(db, sql, &st), GH_OK);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    int64_t v = gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return v;
}

static bool on_postgres(const testdb *t)
{
    return gh_db_kind_of(t->db) == GH_DB_POSTGRES;
}

/* D2: commits wait for the disk, and a database whose settings would lose them is refused. */
static void postgres_durability(testdb *t)
{
    gh_arena *a = gh_arena_new();
    assert_string_equal(query_text(t->db, a, "SHOW synchronous_commit"), "on");
    assert_string_equal(query_text(t->db, a, "SHOW fsync"), "on");
    char *sql = gh_arena_printf(a, "ALTER DATABASE %s SET synchronous_commit = off", t->pg_name);
    assert_int_equal(gh_db_exec(t->db, sql), GH_OK);
    gh_db *db2 = (gh_db *)0x1;
    assert_int_equal(gh_db_open(t->path, &db2), GH_EDB);
    assert_ptr_equal(db2, (gh_db *)0x1);
    sql = gh_arena_printf(a, "ALTER DATABASE %s SET synchronous_commit = local", t->pg_name);
    assert_int_equal(gh_db_exec(t->db, sql), GH_OK);
    assert_int_equal(gh_db_open(t->path, &db2), GH_EDB);
    sql = gh_arena_printf(a, "ALTER DATABASE %s RESET synchronous_commit", t->pg_name);
    assert_int_equal(gh_db_exec(t->db, sql), GH_OK);
    assert_int_equal(gh_db_open(t->path, &db2), GH_OK);
    assert_string_equal(query_text(db2, a, "SHOW synchronous_commit"), "on");
    gh_db_close(db2);
    gh_arena_free(a);
}

static void open_sets_wal_and_full_sync(void **state)
{
    testdb *t = *state;
    if (on_postgres(t)) {
        postgres_durability(t);
        return;
    }
    gh_arena *a = gh_arena_new();
    assert_int_equal(gh_db_kind_of(t->db), GH_DB_SQLITE);
    assert_string_equal(query_text(t->db, a, "PRAGMA journal_mode"), "wal");
    assert_int_equal(query_int(t->db, "PRAGMA synchronous"), 2);
    assert_int_equal(query_int(t->db, "PRAGMA foreign_keys"), 1);
    gh_arena_free(a);

    /* a second connection to the same file gets the same settings */
    gh_db *db2 = NULL;
    assert_int_equal(gh_db_open(t->path, &db2), GH_OK);
    a = gh_arena_new();
    assert_string_equal(query_text(db2, a, "PRAGMA journal_mode"), "wal");
    assert_int_equal(query_int(db2, "PRAGMA synchronous"), 2);
    gh_arena_free(a);
    gh_db_close(db2);
}

static void open_failures(void **state)
{
    gh_db *db = (gh_db *)0x1;
    /* nothing listens on port 1 */
    assert_int_equal(gh_db_open("postgres://gatehouse@127.0.0.1:1/gatehouse", &db), GH_EDB);
    assert_ptr_equal(db, (gh_db *)0x1); /* output untouched */
    assert_int_equal(gh_db_open("postgresql://127.0.0.1:1/gatehouse?connect_timeout=2", &db),
                     GH_EDB);
    assert_ptr_equal(db, (gh_db *)0x1);
    assert_int_equal(gh_db_open("/nonexistent-dir/sub/gatehouse.db", &db), GH_EDB);
    assert_ptr_equal(db, (gh_db *)0x1);
    gh_db_close(NULL);
    gh_stmt_done(NULL);
}

static void migrate_applies_once(void **state)
{
    testdb *t = *state;
    int version = -1, applied = -1;
    assert_true(gh_db_schema_target(t->db) >= 1);
    assert_int_equal(gh_db_schema_version(t->db, &version), GH_OK);
    assert_int_equal(version, 0);
    assert_int_equal(gh_db_migrate(t->db, &applied), GH_OK);
    assert_true(applied >= 1);
    assert_int_equal(gh_db_schema_version(t->db, &version), GH_OK);
    assert_int_equal(version, gh_db_schema_target(t->db));
    assert_int_equal(gh_db_migrate(t->db, &applied), GH_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(gh_db_migrate(t->db, NULL), GH_OK);
    assert_int_equal(gh_db_schema_version(t->db, &version), GH_OK);
    assert_int_equal(version, gh_db_schema_target(t->db));
    /* the schema exists */
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM users"), 0);
    /* (versions may have gaps: a number is kept for a migration of another branch) */
    assert_int_equal(query_int(t->db, "SELECT MAX(version) FROM schema_migrations"),
                     gh_db_schema_target(t->db));
}

static void migrate_refuses_newer_schema(void **state)
{
    testdb *t = *state;
    int64_t v = gh_db_schema_target(t->db) + 1;
    testdb_exec_ints(t->db,
                     "INSERT INTO schema_migrations (version, name, applied_at) "
                     "VALUES (?, 'future', 0)",
                     1, &v);
    int applied = -1;
    assert_int_equal(gh_db_migrate(t->db, &applied), GH_EDB);
    assert_int_equal(applied, -1);
}

static void statements(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    bool row = true;
    assert_int_equal(
        gh_db_exec(t->db, "CREATE TABLE kv (k TEXT NOT NULL UNIQUE, v BIGINT, note TEXT)"), GH_OK);
    static const char ins[] = "INSERT INTO kv (k, v, note) VALUES (?, ?, ?)";
    const char *keys[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gh_db_prepare(t->db, ins, &st), GH_OK);
        gh_stmt_bind_text(st, 1, keys[i]);
        gh_stmt_bind_int(st, 2, (int64_t)1 << (40 + i));
        if (i == 1)
            gh_stmt_bind_null(st, 3);
        else
            gh_stmt_bind_text(st, 3, "it's \"quoted\"");
        assert_int_equal(gh_stmt_step(st, &row), GH_OK);
        assert_false(row);
        assert_int_equal(gh_stmt_changes(st), 1);
        gh_stmt_done(st);
    }
    /* a NULL string binds SQL NULL */
    assert_int_equal(gh_db_prepare(t->db, ins, &st), GH_OK);
    gh_stmt_bind_text(st, 1, "delta");
    gh_stmt_bind_int(st, 2, -5);
    gh_stmt_bind_text(st, 3, NULL);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    gh_stmt_done(st);

    assert_int_equal(gh_db_prepare(t->db, "SELECT k, v, note FROM kv WHERE v > ? ORDER BY v", &st),
                     GH_OK);
    gh_stmt_bind_int(st, 1, 0);
    int n = 0;
    while (gh_stmt_step(st, &row) == GH_OK && row) {
        assert_string_equal(gh_stmt_text(st, 0, a), keys[n]);
        assert_int_equal(gh_stmt_int(st, 1), (int64_t)1 << (40 + n));
        if (n == 1) {
            assert_true(gh_stmt_is_null(st, 2));
            assert_null(gh_stmt_text(st, 2, a));
        } else {
            assert_false(gh_stmt_is_null(st, 2));
            assert_string_equal(gh_stmt_text(st, 2, a), "it's \"quoted\"");
        }
        n++;
    }
    gh_stmt_done(st);
    assert_int_equal(n, 3);
    assert_int_equal(query_int(t->db, "SELECT v FROM kv WHERE k = 'delta'"), -5);
    assert_int_equal(query_int(t->db, "SELECT note IS NULL FROM kv WHERE k = 'delta'"), 1);

    /* gh_stmt_changes counts an UPDATE's rows */
    assert_int_equal(gh_db_prepare(t->db, "UPDATE kv SET note = 'x' WHERE v > ?", &st), GH_OK);
    gh_stmt_bind_int(st, 1, 0);
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_int_equal(gh_stmt_changes(st), 3);
    gh_stmt_done(st);

    /* a bad statement is an internal error, not a crash */
    assert_int_equal(gh_db_prepare(t->db, "SELECT nope FROM nowhere", &st), GH_EINTERNAL);
    gh_arena_free(a);
}

static void statement_cache(void **state)
{
    testdb *t = *state;
    static const char sql[] = "SELECT ? + 1";
    gh_stmt *s1 = NULL, *s2 = NULL, *s3 = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(t->db, sql, &s1), GH_OK);
    gh_stmt_bind_int(s1, 1, 41);
    assert_int_equal(gh_stmt_step(s1, &row), GH_OK);
    assert_int_equal(gh_stmt_int(s1, 0), 42);
    gh_stmt_done(s1);

    /* after done, the same SQL gives the cached statement back, reset and unbound */
    assert_int_equal(gh_db_prepare(t->db, sql, &s2), GH_OK);
    assert_ptr_equal(s1, s2);
    assert_int_equal(gh_stmt_step(s2, &row), GH_OK);
    assert_true(row);
    assert_true(gh_stmt_is_null(s2, 0)); /* bindings were cleared */

    /* while it is busy, the same SQL gives a separate statement that works on its own */
    assert_int_equal(gh_db_prepare(t->db, sql, &s3), GH_OK);
    assert_ptr_not_equal(s2, s3);
    gh_stmt_bind_int(s3, 1, 9);
    assert_int_equal(gh_stmt_step(s3, &row), GH_OK);
    assert_int_equal(gh_stmt_int(s3, 0), 10);
    gh_stmt_done(s3);
    gh_stmt_done(s2);

    assert_int_equal(gh_db_prepare(t->db, sql, &s3), GH_OK);
    assert_ptr_equal(s3, s1);
    gh_stmt_done(s3);
}

static void unique_violation_is_conflict(void **state)
{
    testdb *t = *state;
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_exec(t->db, "CREATE TABLE u (k TEXT NOT NULL UNIQUE)"), GH_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(gh_db_prepare(t->db, "INSERT INTO u (k) VALUES (?)", &st), GH_OK);
        gh_stmt_bind_text(st, 1, "same");
        assert_int_equal(gh_stmt_step(st, &row), i == 0 ? GH_OK : GH_ECONFLICT);
        gh_stmt_done(st);
    }
    /* the statement is usable again after the failure */
    assert_int_equal(gh_db_prepare(t->db, "INSERT INTO u (k) VALUES (?)", &st), GH_OK);
    gh_stmt_bind_text(st, 1, "other");
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    gh_stmt_done(st);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u"), 2);
    /* also through the migrated schema: a tenant name is unique under its parent */
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO tenants (kind, name, created_at, updated_at) "
                                       "VALUES ('service_provider', 'P', 0, 0)"),
                     GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO tenants (kind, name, created_at, updated_at) "
                                       "VALUES ('service_provider', 'P', 0, 0)"),
                     GH_ECONFLICT);
}

static void transactions(void **state)
{
    testdb *t = *state;
    assert_int_equal(gh_db_exec(t->db, "CREATE TABLE n (v INTEGER)"), GH_OK);
    gh_db_rollback(t->db); /* none open: harmless */

    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (1)"), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM n"), 1);
    gh_db_rollback(t->db);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM n"), 0);

    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (2)"), GH_OK);
    assert_int_equal(gh_db_commit(t->db), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT SUM(v) FROM n"), 2);

    /* a second connection sees only committed data */
    gh_db *db2 = NULL;
    assert_int_equal(gh_db_open(t->path, &db2), GH_OK);
    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (40)"), GH_OK);
    assert_int_equal(query_int(db2, "SELECT SUM(v) FROM n"), 2);
    assert_int_equal(gh_db_commit(t->db), GH_OK);
    assert_int_equal(query_int(db2, "SELECT SUM(v) FROM n"), 42);
    gh_db_close(db2);
}

static void integrity(void **state)
{
    testdb *t = *state;
    assert_int_equal(gh_db_integrity(t->db), GH_OK);
}

/* A `?` inside a string literal or a comment is not a placeholder (PostgreSQL gets $n). */
static void placeholders(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(t->db, "SELECT 'it''s ?', ? + 1, ? -- what?\n", &st), GH_OK);
    gh_stmt_bind_int(st, 1, 41);
    gh_stmt_bind_text(st, 2, "?");
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    assert_string_equal(gh_stmt_text(st, 0, a), "it's ?");
    assert_int_equal(gh_stmt_int(st, 1), 42);
    assert_string_equal(gh_stmt_text(st, 2, a), "?");
    gh_stmt_done(st);
    /* booleans read as 1 and 0 on both engines */
    assert_int_equal(query_int(t->db, "SELECT 1 = 1"), 1);
    assert_int_equal(query_int(t->db, "SELECT 1 = 2"), 0);
    gh_arena_free(a);
}

/* Transactions in every shape (PostgreSQL sends BEGIN with the first statement and does not
 * wait for a read-only COMMIT): empty ones, a failure as the first statement, a write right after
 * a read transaction, reads inside one snapshot. */
static void transaction_shapes(void **state)
{
    testdb *t = *state;
    assert_int_equal(gh_db_exec(t->db, "CREATE TABLE u (k TEXT NOT NULL UNIQUE)"), GH_OK);
    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_commit(t->db), GH_OK);
    assert_int_equal(gh_db_begin_read(t->db), GH_OK);
    gh_db_rollback(t->db);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gh_db_begin(t->db), GH_OK);
        assert_int_equal(gh_db_exec(t->db, "INSERT INTO u (k) VALUES ('a')"),
                         i == 0 ? GH_OK : GH_ECONFLICT);
        if (i == 0)
            assert_int_equal(gh_db_commit(t->db), GH_OK);
        else
            gh_db_rollback(t->db);
    }
    gh_stmt *st = NULL;
    bool row = false;
    for (int i = 0; i < 3; i++) { /* the first statement of the transaction fails */
        assert_int_equal(gh_db_begin(t->db), GH_OK);
        assert_int_equal(gh_db_prepare(t->db, "INSERT INTO u (k) VALUES (?)", &st), GH_OK);
        gh_stmt_bind_text(st, 1, "a");
        assert_int_equal(gh_stmt_step(st, &row), GH_ECONFLICT);
        gh_stmt_done(st);
        gh_db_rollback(t->db);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gh_db_begin_read(t->db), GH_OK);
        assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u"), 1 + i);
        assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u WHERE k = 'a'"), 1);
        assert_int_equal(gh_db_commit(t->db), GH_OK);
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO u (k) VALUES ('b%d')", i);
        assert_int_equal(gh_db_exec(t->db, sql), GH_OK); /* right after the read commit */
    }
    /* a read transaction sees one snapshot (SQLite: its read lock; PostgreSQL: REPEATABLE READ) */
    gh_db *db2 = NULL;
    assert_int_equal(gh_db_open(t->path, &db2), GH_OK);
    assert_int_equal(gh_db_begin_read(t->db), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u"), 4);
    assert_int_equal(gh_db_exec(db2, "INSERT INTO u (k) VALUES ('c')"), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u"), 4);
    assert_int_equal(gh_db_commit(t->db), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM u"), 5);
    gh_db_close(db2);
}

static uint64_t fnv1a(const char *s) /* db.c's cache key */
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A transaction whose BEGIN misses the statement cache (its slot is held by a busy statement)
 * is still one transaction: a rollback undoes what ran in it. */
static void begin_outside_the_cache(void **state)
{
    testdb *t = *state;
    const gh_db_driver *drv = on_postgres(t) ? &gh_db_postgres_driver : &gh_db_sqlite_driver;
    uint64_t want = fnv1a(drv->begin_sql) % 512;
    char sql[64];
    for (int i = 0;; i++) {
        snprintf(sql, sizeof sql, "SELECT %d", i);
        if (fnv1a(sql) % 512 == want)
            break;
    }
    assert_int_equal(gh_db_exec(t->db, "CREATE TABLE n (v BIGINT)"), GH_OK);
    gh_stmt *busy = NULL;
    assert_int_equal(gh_db_prepare(t->db, sql, &busy), GH_OK); /* first in the slot, kept busy */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(gh_db_begin(t->db), GH_OK);
        assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (1)"), GH_OK);
        gh_db_rollback(t->db);
    }
    gh_stmt_done(busy);
    assert_int_equal(query_int(t->db, "SELECT COUNT(*) FROM n"), 0);
}

/* Text that is not UTF-8 (a query string, a header) binds without error on both engines;
 * PostgreSQL, which keeps only UTF-8, gets U+FFFD for each bad byte. */
static void text_not_utf8(void **state)
{
    testdb *t = *state;
    gh_arena *a = gh_arena_new();
    gh_stmt *st = NULL;
    bool row = false;
    assert_int_equal(gh_db_prepare(t->db, "SELECT ?, ?", &st), GH_OK);
    gh_stmt_bind_text(st, 1, "a\xff\xc3(b");
    gh_stmt_bind_text(st, 2, "ok \xe4\xb8\xad");
    assert_int_equal(gh_stmt_step(st, &row), GH_OK);
    assert_true(row);
    assert_string_equal(gh_stmt_text(st, 0, a),
                        on_postgres(t) ? "a\xef\xbf\xbd\xef\xbf\xbd(b" : "a\xff\xc3(b");
    assert_string_equal(gh_stmt_text(st, 1, a), "ok \xe4\xb8\xad");
    gh_stmt_done(st);
    gh_arena_free(a);
}

/* Logs and messages name the database without its password. */
static void url_without_password(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"postgresql://gh:s3cret@db.internal:5432/gatehouse",
         "postgresql://gh:***@db.internal:5432/gatehouse"},
        {"postgres://gh:p@ss@db/gh?sslmode=require", "postgres://gh:***@db/gh?sslmode=require"},
        {"postgresql://gh@db/gh?sslmode=require&password=s3cret&x=1",
         "postgresql://gh@db/gh?sslmode=require&password=***&x=1"},
        {"postgresql://db/gh?password=s3cret", "postgresql://db/gh?password=***"},
        {"postgresql://gh@127.0.0.1:1/gh", "postgresql://gh@127.0.0.1:1/gh"},
        {"/var/lib/gatehouse/gh:x@y.db", "/var/lib/gatehouse/gh:x@y.db"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_db_describe_url(cases[i][0], buf, sizeof buf);
        assert_string_equal(buf, cases[i][1]);
    }
    for (size_t cap = 1; cap < 40; cap++) { /* too long for the buffer: no piece of the secret */
        gh_db_describe_url("postgresql://gh:s3cret@db/gh", buf, cap);
        assert_null(strstr(buf, "s3"));
        gh_db_describe_url("postgresql://gh:s@db/gh?password=x", buf, cap);
        assert_null(strstr(buf, ":s"));
        assert_null(strstr(buf, "=x"));
    }
}

/* Both dialects know the same migrations: a change to the schema is written for each. */
static void migrations_have_twins(void **state)
{
    (void)state;
    const gh_migration *s = gh_migrations_sqlite, *p = gh_migrations_postgres;
    for (; s->sql != NULL && p->sql != NULL; s++, p++) {
        assert_int_equal(s->version, p->version);
        assert_string_equal(s->name, p->name);
    }
    if (s->sql != NULL)
        fail_msg("src/db/migrations/postgres/ lacks %s.sql", s->name);
    if (p->sql != NULL)
        fail_msg("src/db/migrations/sqlite/ lacks %s.sql", p->name);
}

/* Ends the backend of db (PostgreSQL) from a second connection and waits until it is gone. */
static void kill_backend(testdb *t, int64_t pid)
{
    gh_db *db2 = NULL;
    assert_int_equal(gh_db_open(t->path, &db2), GH_OK);
    testdb_exec_ints(db2, "SELECT pg_terminate_backend(?)", 1, &pid);
    for (int i = 0; i < 100; i++) {
        gh_stmt *st = NULL;
        bool row = false;
        assert_int_equal(
            gh_db_prepare(db2, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?", &st), GH_OK);
        gh_stmt_bind_int(st, 1, pid);
        assert_int_equal(gh_stmt_step(st, &row), GH_OK);
        int64_t n = gh_stmt_int(st, 0);
        gh_stmt_done(st);
        if (n == 0)
            break;
        usleep(20000);
    }
    gh_db_close(db2);
}

/* PostgreSQL restarts: a connection lost while idle is replaced before the next statement (no
 * failed request); one lost inside a transaction fails that transaction with GH_EDB, and the
 * next one gets a new connection. */
static void reconnects(void **state)
{
    testdb *t = *state;
    if (!on_postgres(t))
        skip();
    assert_int_equal(gh_db_exec(t->db, "CREATE TABLE n (v BIGINT)"), GH_OK);
    int64_t pid = query_int(t->db, "SELECT pg_backend_pid()");
    kill_backend(t, pid);
    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (1)"), GH_OK);
    assert_int_equal(gh_db_commit(t->db), GH_OK);
    int64_t pid2 = query_int(t->db, "SELECT pg_backend_pid()");
    assert_true(pid2 != pid);

    assert_int_equal(gh_db_begin(t->db), GH_OK);
    assert_int_equal(gh_db_exec(t->db, "INSERT INTO n VALUES (2)"), GH_OK);
    kill_backend(t, pid2);
    gh_stmt *st = NULL;
    bool row = false;
    gh_err err = gh_db_prepare(t->db, "SELECT COUNT(*) FROM n", &st);
    if (err == GH_OK) /* preparing needs the server too: either fails */
        err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    assert_int_equal(err, GH_EDB);
    assert_int_equal(gh_db_commit(t->db), GH_EDB);
    assert_int_equal(gh_db_begin_read(t->db), GH_OK);
    assert_int_equal(query_int(t->db, "SELECT SUM(v) FROM n"), 1); /* the lost one never was */
    assert_int_equal(gh_db_commit(t->db), GH_OK);
}

static void *migrate_thread(void *arg)
{
    const testdb *t = arg;
    gh_db *db = NULL;
    intptr_t rc = gh_db_open(t->path, &db) == GH_OK && gh_db_migrate(db, NULL) == GH_OK ? 0 : 1;
    gh_db_close(db);
    return (void *)rc;
}

/* Instances starting together: PostgreSQL's migrations run under an advisory lock, so each
 * applies once and every instance starts. */
static void concurrent_migrations(void **state)
{
    testdb *t = *state;
    if (!on_postgres(t))
        skip();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, t), 0);
    for (int i = 0; i < 4; i++) {
        void *rc = NULL;
        pthread_join(th[i], &rc);
        assert_int_equal((intptr_t)rc, 0);
    }
    /* (versions may have gaps: a number is kept for a migration of another branch) */
    assert_int_equal(query_int(t->db, "SELECT MAX(version) FROM schema_migrations"),
                     gh_db_schema_target(t->db));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_sets_wal_and_full_sync, setup_raw, teardown),
        cmocka_unit_test(open_failures),
        cmocka_unit_test_setup_teardown(migrate_applies_once, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(migrate_refuses_newer_schema, setup_migrated, teardown),
        cmocka_unit_test_setup_teardown(statements, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(statement_cache, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(unique_violation_is_conflict, setup_migrated, teardown),
        cmocka_unit_test_setup_teardown(transactions, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(integrity, setup_migrated, teardown),
        cmocka_unit_test_setup_teardown(placeholders, setup_raw, teardown),
        cmocka_unit_test(migrations_have_twins),
        cmocka_unit_test(url_without_password),
        cmocka_unit_test_setup_teardown(transaction_shapes, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(text_not_utf8, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(begin_outside_the_cache, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(reconnects, setup_raw, teardown),
        cmocka_unit_test_setup_teardown(concurrent_migrations, setup_raw, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
