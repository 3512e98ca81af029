/* The database driver interface: connections, prepared statements, transactions, migrations.
 * store/ writes its SQL once against this interface in a portable subset (`?` placeholders,
 * RETURNING, partial and expression indexes, integers for booleans); a driver (sqlite.c,
 * postgres.c) maps it onto its engine. The few dialect-specific pieces come from here:
 * gh_db_kind_of(), gh_db_skip_locked(), gh_db_for_update() and GH_DB_PLAN_EACH_TIME.
 *
 * A gh_db is one connection and is not thread-safe: each server thread opens its own. Statements
 * are cached per connection by their SQL text; every gh_db_prepare() must be paired with
 * gh_stmt_done(), which resets the statement for the next use. When a PostgreSQL connection is
 * lost (server restart), the statements that needed it fail with GH_EDB; the next transaction or
 * statement begun outside a transaction opens a new connection first (and fails with GH_EDB while
 * the server stays away), so that a long-lived gh_db recovers on its own. */
#ifndef GH_DB_DB_H
#define GH_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

typedef struct gh_db gh_db;
typedef struct gh_stmt gh_stmt;

typedef enum { GH_DB_SQLITE, GH_DB_POSTGRES } gh_db_kind;

/* Opens a connection: a postgres:// or postgresql:// URL (libpq's syntax) means PostgreSQL,
 * anything else is a SQLite file path. Applies and verifies the durability settings (WAL +
 * synchronous=FULL for SQLite, D1; synchronous_commit=on and fsync=on for PostgreSQL, D2); on
 * failure returns GH_EDB and logs why. The caller closes it with gh_db_close(). */
gh_err gh_db_open(const char *url, gh_db **out) GH_MUST_USE;
/* Closes the connection and every cached statement; NULL is a no-op. */
void gh_db_close(gh_db *db);
gh_db_kind gh_db_kind_of(const gh_db *db);
/* Writes url into buf (of cap bytes) fit for logs: a PostgreSQL URL's password becomes "***". */
void gh_db_describe_url(const char *url, char *buf, size_t cap);

/* Applies every migration not yet recorded, each in its own transaction. *applied (may be NULL)
 * receives how many ran. On PostgreSQL it holds an advisory lock meanwhile, so that instances
 * starting together migrate one after the other. */
gh_err gh_db_migrate(gh_db *db, int *applied) GH_MUST_USE;
/* The highest migration version this binary knows, and the one the database has. */
int gh_db_schema_target(const gh_db *db);
gh_err gh_db_schema_version(gh_db *db, int *out) GH_MUST_USE;

/* A read transaction: one consistent snapshot (and one lock) for several reads; end it with
 * gh_db_commit(). Nothing may write inside it. */
gh_err gh_db_begin_read(gh_db *db) GH_MUST_USE;

/* Transactions. gh_db_begin() starts a write transaction (SQLite: BEGIN IMMEDIATE, so writers
 * queue instead of failing on upgrade). gh_db_rollback() is safe to call when none is open. */
gh_err gh_db_begin(gh_db *db) GH_MUST_USE;
gh_err gh_db_commit(gh_db *db) GH_MUST_USE;
void gh_db_rollback(gh_db *db);

/* Runs SQL without parameters or results (schema, pragmas). */
gh_err gh_db_exec(gh_db *db, const char *sql) GH_MUST_USE;

/* Prepares (or takes from the cache) a statement; parameters are `?`, numbered from 1. */
gh_err gh_db_prepare(gh_db *db, const char *sql, gh_stmt **out) GH_MUST_USE;
void gh_stmt_bind_int(gh_stmt *st, int idx, int64_t v);
/* A NULL string binds SQL NULL. The string must stay valid until gh_stmt_done(). */
void gh_stmt_bind_text(gh_stmt *st, int idx, const char *v);
void gh_stmt_bind_null(gh_stmt *st, int idx);
/* Advances; *row says whether a row is available. Constraint violations give GH_ECONFLICT,
 * a busy or unreachable database GH_EDB. */
gh_err gh_stmt_step(gh_stmt *st, bool *row) GH_MUST_USE;
int64_t gh_stmt_int(gh_stmt *st, int col);
bool gh_stmt_is_null(gh_stmt *st, int col);
/* Text of a column, copied into the arena; NULL for SQL NULL. */
char *gh_stmt_text(gh_stmt *st, int col, gh_arena *a);
/* Resets the statement and returns it to the cache (or frees it); NULL is a no-op. */
void gh_stmt_done(gh_stmt *st);
/* Rows changed by the last INSERT/UPDATE/DELETE that ran on this statement. */
int64_t gh_stmt_changes(gh_stmt *st);

/* Written into a statement's SQL (it is an SQL comment), asks for a plan made for the bound values
 * at each execution rather than one plan for all: PostgreSQL then sends the statement unprepared
 * each time; SQLite ignores it. For a predicate whose best plan depends on the value, such as how
 * common a search term is. */
#define GH_DB_PLAN_EACH_TIME "/* gh:plan-each-time */"

/* What a SELECT ... LIMIT n that picks queue rows to change appends so that concurrent writers
 * take different rows: " FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite, whose write
 * transactions already exclude each other. Only inside gh_db_begin(). */
const char *gh_db_skip_locked(const gh_db *db);

/* What a SELECT of one row that the transaction goes on to decide about appends, so that a
 * concurrent writer's change is waited for and seen: " FOR UPDATE" on PostgreSQL, "" on SQLite.
 * Only inside gh_db_begin(). */
const char *gh_db_for_update(const gh_db *db);

/* Integrity check of the whole database (SQLite: PRAGMA integrity_check; PostgreSQL: amcheck's
 * bt_index_check of every index when the extension is installed, else a read of the main tables);
 * GH_OK when sound. */
gh_err gh_db_integrity(gh_db *db) GH_MUST_USE;

#endif
