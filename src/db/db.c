/* Driver dispatch, the per-connection statement cache, reconnection after a lost connection and
 * the migration runner. */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/driver.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define CACHE_SLOTS 512

struct gh_stmt {
    gh_db *db;
    void *raw;
    char *sql; /* owned copy, the cache key */
    size_t len;
    uint64_t hash;
    bool busy;   /* between prepare and done */
    bool cached; /* false: finalised by gh_stmt_done() */
};

struct gh_db {
    const gh_db_driver *drv;
    void *conn;
    char *url; /* to open the connection again */
    gh_stmt *slots[CACHE_SLOTS];
    int busy; /* statements between prepare and done */
    bool in_tx;
};

/* The cache key of SQL text of n bytes: eight bytes a step (FNV-1a's multiplier, then a shift
 * that brings the high bits down to the slot index), since statements are up to a few KB and
 * this runs for every statement of every request. */
static uint64_t sql_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 32);
}

static bool is_postgres_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* err, counted in gatehouse_db_errors_total under op when it is a database error. */
static gh_err counted(gh_err err, const char *op)
{
    if (err == GH_EDB)
        gh_metric_add(GH_M_DB_ERRORS, 1, GH_LABELS(op));
    return err;
}

gh_err gh_db_open(const char *url, gh_db **out)
{
    gh_db *db = calloc(1, sizeof *db);
    if (db == NULL || (db->url = strdup(url)) == NULL) {
        free(db);
        return GH_ENOMEM;
    }
    db->drv = is_postgres_url(url) ? &gh_db_postgres_driver : &gh_db_sqlite_driver;
    gh_err err = counted(db->drv->open(url, &db->conn), "connect");
    if (err != GH_OK) {
        free(db->url);
        free(db);
        return err;
    }
    *out = db;
    return GH_OK;
}

/* Replaces [from, to) of the string buf (of cap bytes) by "***", or cuts the string at from when
 * that does not fit; returns the end of the mask. */
static char *mask(char *buf, size_t cap, char *from, char *to)
{
    size_t tail = strlen(to);
    if ((size_t)(from - buf) + 3 + tail + 1 > cap) {
        *from = '\0';
        return from;
    }
    memmove(from + 3, to, tail + 1);
    memcpy(from, "***", 3);
    return from + 3;
}

void gh_db_describe_url(const char *url, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", url);
    if (!is_postgres_url(url))
        return;
    if (strlen(url) >= cap) { /* cut, it could end inside the password */
        snprintf(buf, cap, "%s", "postgresql://...");
        return;
    }
    /* scheme://user:password@host...: from the first ':' of the user part to the last '@' */
    char *auth = strstr(buf, "://") + 3;
    char *end = auth + strcspn(auth, "/?");
    char *at = NULL;
    for (char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL)
        mask(buf, cap, colon + 1, at);
    /* ...?password=...&... */
    for (char *q = strchr(buf, '?'); q != NULL; q = strchr(q, '&')) {
        q++;
        if (strncmp(q, "password=", 9) == 0)
            q = mask(buf, cap, q + 9, q + 9 + strcspn(q + 9, "&"));
    }
}

static void stmt_free(gh_stmt *st)
{
    st->db->drv->finalize(st->raw);
    free(st->sql);
    free(st);
}

/* Finalises every cached statement and closes the connection. */
static void close_conn(gh_db *db)
{
    if (db->drv->forget != NULL)
        db->drv->forget(db->conn);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (db->slots[i] != NULL)
            stmt_free(db->slots[i]);
        db->slots[i] = NULL;
    }
    db->drv->close(db->conn);
    db->conn = NULL;
}

void gh_db_close(gh_db *db)
{
    if (db == NULL)
        return;
    close_conn(db);
    free(db->url);
    free(db);
}

static bool is_broken(gh_db *db)
{
    return db->drv->broken != NULL && db->drv->broken(db->conn);
}

/* Outside a transaction and with no statement in use, replaces a lost connection by a new one
 * (and its statement cache by an empty one). GH_EDB while the database cannot be reached. */
static gh_err revive(gh_db *db)
{
    if (db->in_tx || db->busy > 0 || !is_broken(db))
        return GH_OK;
    void *conn = NULL;
    gh_err err = db->drv->open(db->url, &conn);
    if (err != GH_OK)
        return counted(GH_EDB, "connect");
    close_conn(db);
    db->conn = conn;
    gh_log("info", "db_reconnected", NULL);
    return GH_OK;
}

gh_db_kind gh_db_kind_of(const gh_db *db)
{
    return db->drv->kind;
}

gh_err gh_db_exec(gh_db *db, const char *sql)
{
    gh_err err = revive(db);
    return err != GH_OK ? err : counted(db->drv->exec(db->conn, sql), "exec");
}

/* Transaction control through the statement cache: parsed once per connection, not per request. */
static gh_err run_cached(gh_db *db, const char *sql)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

gh_err gh_db_begin(gh_db *db)
{
    gh_err err = revive(db);
    if (err == GH_OK)
        err = run_cached(db, db->drv->begin_sql);
    if (err == GH_OK)
        db->in_tx = true;
    return err;
}

gh_err gh_db_begin_read(gh_db *db)
{
    gh_err err = revive(db);
    if (err == GH_OK)
        err = run_cached(db, db->drv->begin_read_sql);
    if (err == GH_OK)
        db->in_tx = true;
    return err;
}

gh_err gh_db_commit(gh_db *db)
{
    gh_err err = counted(run_cached(db, "COMMIT"), "commit");
    if (err != GH_OK) {
        gh_db_rollback(db);
        return err;
    }
    db->in_tx = false;
    return GH_OK;
}

void gh_db_rollback(gh_db *db)
{
    if (!db->in_tx)
        return;
    db->in_tx = false;
    if (!is_broken(db)) /* a lost connection took its transaction with it */
        (void)run_cached(db, "ROLLBACK");
}

gh_err gh_db_prepare(gh_db *db, const char *sql, gh_stmt **out)
{
    gh_err err = revive(db);
    if (err != GH_OK)
        return err;
    size_t len = strlen(sql);
    uint64_t h = sql_hash(sql, len);
    gh_stmt **slot = &db->slots[h % CACHE_SLOTS];
    gh_stmt *st = *slot;
    if (st != NULL && !st->busy && st->hash == h && st->len == len &&
        memcmp(st->sql, sql, len) == 0) {
        st->busy = true;
        db->busy++;
        *out = st;
        return GH_OK;
    }
    void *raw = NULL;
    err = counted(db->drv->prepare(db->conn, sql, &raw), "prepare");
    if (err != GH_OK)
        return err;
    st = calloc(1, sizeof *st);
    char *copy = strdup(sql);
    if (st == NULL || copy == NULL) {
        free(st);
        free(copy);
        db->drv->finalize(raw);
        return GH_ENOMEM;
    }
    *st = (gh_stmt){.db = db, .raw = raw, .sql = copy, .len = len, .hash = h, .busy = true};
    if (*slot == NULL || !(*slot)->busy) {
        if (*slot != NULL)
            stmt_free(*slot);
        *slot = st;
        st->cached = true;
    }
    db->busy++;
    *out = st;
    return GH_OK;
}

void gh_stmt_bind_int(gh_stmt *st, int idx, int64_t v)
{
    st->db->drv->bind_int(st->raw, idx, v);
}

void gh_stmt_bind_text(gh_stmt *st, int idx, const char *v)
{
    if (v == NULL)
        st->db->drv->bind_null(st->raw, idx);
    else
        st->db->drv->bind_text(st->raw, idx, v);
}

void gh_stmt_bind_null(gh_stmt *st, int idx)
{
    st->db->drv->bind_null(st->raw, idx);
}

gh_err gh_stmt_step(gh_stmt *st, bool *row)
{
    return counted(st->db->drv->step(st->raw, row), "step");
}

int64_t gh_stmt_int(gh_stmt *st, int col)
{
    return st->db->drv->col_int(st->raw, col);
}

bool gh_stmt_is_null(gh_stmt *st, int col)
{
    return st->db->drv->col_null(st->raw, col);
}

char *gh_stmt_text(gh_stmt *st, int col, gh_arena *a)
{
    return gh_arena_strdup(a, st->db->drv->col_text(st->raw, col));
}

int64_t gh_stmt_changes(gh_stmt *st)
{
    return st->db->drv->changes(st->db->conn, st->raw);
}

void gh_stmt_done(gh_stmt *st)
{
    if (st == NULL)
        return;
    st->db->drv->reset(st->raw);
    st->busy = false;
    st->db->busy--;
    if (!st->cached)
        stmt_free(st);
}

const char *gh_db_skip_locked(const gh_db *db)
{
    return db->drv->skip_locked;
}

const char *gh_db_for_update(const gh_db *db)
{
    return db->drv->for_update;
}

gh_err gh_db_integrity(gh_db *db)
{
    return db->drv->integrity(db->conn);
}

int gh_db_schema_target(const gh_db *db)
{
    int v = 0;
    for (const gh_migration *m = db->drv->migrations; m->sql != NULL; m++)
        v = m->version;
    return v;
}

gh_err gh_db_schema_version(gh_db *db, int *out)
{
    gh_err err = gh_db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                "applied_at BIGINT NOT NULL)");
    if (err != GH_OK)
        return err;
    gh_stmt *st = NULL;
    err = gh_db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    if (err == GH_OK && row)
        *out = (int)gh_stmt_int(st, 0);
    gh_stmt_done(st);
    return err;
}

static gh_err apply_one(gh_db *db, const gh_migration *m)
{
    gh_err err = gh_db_begin(db);
    if (err != GH_OK)
        return err;
    err = gh_db_exec(db, m->sql);
    if (err == GH_OK) {
        gh_stmt *st = NULL;
        err = gh_db_prepare(db,
                            "INSERT INTO schema_migrations (version, name, applied_at) "
                            "VALUES (?, ?, ?)",
                            &st);
        if (err == GH_OK) {
            bool row;
            gh_stmt_bind_int(st, 1, m->version);
            gh_stmt_bind_text(st, 2, m->name);
            gh_stmt_bind_int(st, 3, gh_clock_now());
            err = gh_stmt_step(st, &row);
            gh_stmt_done(st);
        }
    }
    if (err == GH_OK)
        err = gh_db_commit(db);
    else
        gh_db_rollback(db);
    return err;
}

static gh_err migrate_locked(gh_db *db, int *applied)
{
    int have = 0, count = 0;
    gh_err err = gh_db_schema_version(db, &have);
    if (err != GH_OK)
        return err;
    if (have > gh_db_schema_target(db)) {
        gh_log("error", "schema_too_new", "detail",
               "the database was migrated by a newer gatehouse; refusing to run", NULL);
        return GH_EDB;
    }
    /* one line for the lot, however many ran: a new database takes every migration, and a person
     * reading `make run`'s terminal wants the banner, not a page of them */
    const char *first = NULL, *last = NULL;
    for (const gh_migration *m = db->drv->migrations; m->sql != NULL; m++) {
        if (m->version <= have)
            continue;
        err = apply_one(db, m);
        if (err != GH_OK) {
            char n[16];
            snprintf(n, sizeof n, "%d", count);
            gh_log("error", "migration_failed", "name", m->name, "applied_before", n, NULL);
            return err;
        }
        if (first == NULL)
            first = m->name;
        last = m->name;
        count++;
    }
    if (count > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", count);
        gh_log("info", "migrations_applied", "count", n, "first", first, "last", last, NULL);
    }
    if (applied != NULL)
        *applied = count;
    return GH_OK;
}

gh_err gh_db_migrate(gh_db *db, int *applied)
{
    gh_err err = db->drv->lock_sql != NULL ? gh_db_exec(db, db->drv->lock_sql) : GH_OK;
    if (err != GH_OK)
        return err;
    err = migrate_locked(db, applied);
    if (db->drv->unlock_sql != NULL && gh_db_exec(db, db->drv->unlock_sql) != GH_OK)
        err = err == GH_OK ? GH_EDB : err;
    return err;
}
