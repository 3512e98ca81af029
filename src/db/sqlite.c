/* The SQLite driver: WAL, synchronous=FULL (checked, D1), foreign keys and a busy timeout so
 * that writers queue. (The users' FTS5 trigram search is SQL of store/search.c.) */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db/driver.h"
#include "util/log.h"

#define BUSY_TIMEOUT_MS 5000

static gh_err map_rc(sqlite3 *conn, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return GH_OK;
    case SQLITE_CONSTRAINT:
        return GH_ECONFLICT;
    case SQLITE_NOMEM:
        return GH_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
        gh_log("error", "db_unavailable", "detail", conn ? sqlite3_errmsg(conn) : "", NULL);
        return GH_EDB;
    default:
        gh_log("error", "db_error", "detail", conn ? sqlite3_errmsg(conn) : "", NULL);
        return GH_EINTERNAL;
    }
}

static gh_err s_exec(void *conn, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return map_rc(conn, rc);
}

/* Reads a one-row, one-column pragma as text into buf. */
static int pragma_text(sqlite3 *conn, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int ok = -1;
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, cap, "%s", t ? (const char *)t : "");
        ok = 0;
    }
    sqlite3_finalize(st);
    return ok;
}

static gh_err check_durability(sqlite3 *conn, const char *path)
{
    char mode[32] = "", sync[32] = "";
    if (pragma_text(conn, "PRAGMA journal_mode", mode, sizeof mode) != 0 ||
        pragma_text(conn, "PRAGMA synchronous", sync, sizeof sync) != 0)
        return GH_EDB;
    bool memory = strcmp(path, ":memory:") == 0;
    if ((!memory && strcmp(mode, "wal") != 0) || strcmp(sync, "2") != 0) {
        gh_log("error", "db_durability", "journal_mode", mode, "synchronous", sync, "detail",
               "need journal_mode=wal and synchronous=FULL", NULL);
        return GH_EDB;
    }
    return GH_OK;
}

/* No global memory statistics: they take a process-wide mutex on every allocation. */
static void configure_once(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* bit_or(x): the bitwise OR of a group's integers, NULL for none, as PostgreSQL's aggregate of
 * that name, so that store/ can fold permission masks in SQL written once. */
static void bit_or_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_int64 *acc = sqlite3_aggregate_context(c, sizeof *acc);
    if (acc != NULL && sqlite3_value_type(argv[0]) != SQLITE_NULL)
        *acc |= sqlite3_value_int64(argv[0]);
}

static void bit_or_final(sqlite3_context *c)
{
    sqlite3_int64 *acc = sqlite3_aggregate_context(c, 0); /* NULL: no row was seen */
    if (acc != NULL)
        sqlite3_result_int64(c, *acc);
    else
        sqlite3_result_null(c);
}

/* string_agg(x, sep): the group's non-NULL values joined by sep, NULL for none, as PostgreSQL's
 * aggregate of that name (SQLite has it only from 3.44), so that store/ can read a row's link
 * lists in the row's own statement. */
static void string_agg_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_str **acc = sqlite3_aggregate_context(c, sizeof *acc);
    if (acc == NULL || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    if (*acc == NULL)
        *acc = sqlite3_str_new(sqlite3_context_db_handle(c));
    else
        sqlite3_str_appendall(*acc, (const char *)sqlite3_value_text(argv[1]));
    sqlite3_str_appendall(*acc, (const char *)sqlite3_value_text(argv[0]));
}

static void string_agg_final(sqlite3_context *c)
{
    sqlite3_str **acc = sqlite3_aggregate_context(c, 0);
    if (acc == NULL || *acc == NULL) {
        sqlite3_result_null(c);
        return;
    }
    int n = sqlite3_str_length(*acc);
    char *text = sqlite3_str_finish(*acc);
    *acc = NULL;
    if (text == NULL)
        sqlite3_result_error_nomem(c);
    else
        sqlite3_result_text(c, text, n, sqlite3_free);
}

static gh_err s_open(const char *path, void **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    sqlite3 *conn = NULL;
    int rc = sqlite3_open_v2(
        path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        gh_log("error", "db_open_failed", "path", path, "detail",
               conn ? sqlite3_errmsg(conn) : "out of memory", NULL);
        sqlite3_close(conn);
        return GH_EDB;
    }
    sqlite3_busy_timeout(conn, BUSY_TIMEOUT_MS);
    if (sqlite3_create_function(conn, "bit_or", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                bit_or_step, bit_or_final) != SQLITE_OK ||
        sqlite3_create_function(conn, "string_agg", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                NULL, string_agg_step, string_agg_final) != SQLITE_OK) {
        gh_log("error", "db_open_failed", "path", path, "detail", sqlite3_errmsg(conn), NULL);
        sqlite3_close(conn);
        return GH_EDB;
    }
    sqlite3_extended_result_codes(conn, 1);
    gh_err err = s_exec(conn, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                              "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                              "PRAGMA cache_size=-8192");
    if (err == GH_OK)
        err = check_durability(conn, path);
    if (err != GH_OK) {
        sqlite3_close(conn);
        return GH_EDB;
    }
    *out = conn;
    return GH_OK;
}

static void s_close(void *conn)
{
    sqlite3_close(conn);
}

static gh_err s_prepare(void *conn, const char *sql, void **st)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK) {
        gh_log("error", "db_prepare_failed", "detail", sqlite3_errmsg(conn), NULL);
        return map_rc(conn, rc) == GH_EDB ? GH_EDB : GH_EINTERNAL;
    }
    *st = s;
    return GH_OK;
}

static void s_finalize(void *st)
{
    sqlite3_finalize(st);
}

static void s_reset(void *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void s_bind_int(void *st, int idx, int64_t v)
{
    sqlite3_bind_int64(st, idx, v);
}

static void s_bind_text(void *st, int idx, const char *v)
{
    sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
}

static void s_bind_null(void *st, int idx)
{
    sqlite3_bind_null(st, idx);
}

static gh_err s_step(void *st, bool *row)
{
    int rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return GH_OK;
    return map_rc(sqlite3_db_handle(st), rc);
}

static int64_t s_col_int(void *st, int col)
{
    return sqlite3_column_int64(st, col);
}

static bool s_col_null(void *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static const char *s_col_text(void *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

static int64_t s_changes(void *conn, void *st)
{
    (void)st;
    return sqlite3_changes64(conn);
}

static gh_err s_integrity(void *conn)
{
    char res[64] = "";
    if (pragma_text(conn, "PRAGMA integrity_check", res, sizeof res) != 0)
        return GH_EDB;
    return strcmp(res, "ok") == 0 ? GH_OK : GH_EDB;
}

const gh_db_driver gh_db_sqlite_driver = {
    .kind = GH_DB_SQLITE,
    .migrations = gh_migrations_sqlite,
    .open = s_open,
    .close = s_close,
    .exec = s_exec,
    .prepare = s_prepare,
    .finalize = s_finalize,
    .reset = s_reset,
    .bind_int = s_bind_int,
    .bind_text = s_bind_text,
    .bind_null = s_bind_null,
    .step = s_step,
    .col_int = s_col_int,
    .col_null = s_col_null,
    .col_text = s_col_text,
    .changes = s_changes,
    .begin_sql = "BEGIN IMMEDIATE",
    .begin_read_sql = "BEGIN",
    .skip_locked = "", /* BEGIN IMMEDIATE already keeps every other writer out */
    .for_update = "",
    .integrity = s_integrity,
};
