/* The PostgreSQL driver, over libpq: one connection per gh_db, `?` placeholders rewritten to
 * $1..$n, statements prepared once per connection, values sent as text (their types are inferred
 * by the server from the statement, as literals would be), READ COMMITTED write transactions
 * (store/ changes contended rows with conditional UPDATEs that PostgreSQL re-checks on the newest
 * row version) and REPEATABLE READ read transactions. Refuses a server that could lose an
 * acknowledged commit (synchronous_commit off or fsync off, D2). A connection that broke
 * (server restart, network) reports it through p_broken() so that db.c opens a new one.
 *
 * Round trips are what a request waits for, so two are saved per transaction: BEGIN is not sent
 * on its own but in one pipeline with the transaction's first statement, and the COMMIT of a
 * read-only transaction is sent without waiting (its answer is read before the connection's next
 * command; a read-only COMMIT changes nothing, so nothing waits on it). */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/driver.h"
#include "util/log.h"

#define BOOL_OID          16
#define MIN_SERVER        130000 /* trusted pg_trgm, generated columns */
#define INT_CHARS         24
#define MIGRATION_LOCK_ID "4747732165" /* pg_advisory_lock key of `gatehouse migrate` */

typedef struct pg_stmt pg_stmt;

typedef struct pg_conn {
    PGconn *c;
    unsigned next_name;
    bool broken;        /* a statement failed for want of the connection */
    bool closing;       /* statements finalised from now on need not be released */
    pg_stmt *begin;     /* a BEGIN to send with the next statement, or NULL */
    bool read_only;     /* the open transaction began READ ONLY */
    bool commit_unread; /* a read-only COMMIT was sent; its answer is not read yet */
} pg_conn;

typedef enum { PLAIN, BEGIN_TX, COMMIT_TX, ROLLBACK_TX } stmt_kind;

struct pg_stmt {
    pg_conn *pc;
    stmt_kind kind;
    bool read_only; /* a BEGIN ... READ ONLY */
    char *one_shot; /* SQL sent with each execution (not prepared), or NULL */
    char name[16];
    int nparams;
    const char **vals;       /* per parameter: the text sent, NULL for SQL NULL */
    char (*ints)[INT_CHARS]; /* storage of the integer parameters' text */
    char **fixed;            /* per parameter: a repaired copy of invalid UTF-8, or NULL */
    PGresult *res;           /* of the current execution, NULL before the first step */
    int row, rows;           /* row: the current row, -1 before the first */
    int64_t changes;
};

/* Messages the server sends outside a query's result. No NOTICE ("relation already exists,
 * skipping") reaches stderr: the log is JSON lines. A FATAL one while idle is the server ending
 * the connection (shutdown, restart, terminated backend): the connection is lost. */
static void on_notice(void *arg, const PGresult *res)
{
    pg_conn *pc = arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        pc->broken = true;
}

static bool state_is(const char *state, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strncmp(state, *list, strlen(*list)) == 0)
            return true;
    return false;
}

/* Maps a failed result. Integrity violations (class 23) are conflicts; a lost connection, a server
 * shutting down or starting, exhausted resources, serialization failures and a read-only server
 * mean the database is unavailable for now (HTTP 503, L5); anything else is a bug. */
static gh_err map_error(pg_conn *pc, const PGresult *res)
{
    static const char *const unavailable[] = {"08",    "53",    "57P01", "57P02", "57P03",
                                              "40001", "40P01", "25006", "55P03", "57014",
                                              "58",    "XX",    NULL};
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pc->c);
    if (state != NULL && strncmp(state, "23", 2) == 0)
        return GH_ECONFLICT;
    if (state != NULL && strncmp(state, "22", 2) == 0) /* data exception: a value out of range */
        return GH_EINVAL;
    if (state == NULL || PQstatus(pc->c) != CONNECTION_OK || state_is(state, unavailable)) {
        if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
            PQstatus(pc->c) != CONNECTION_OK)
            pc->broken = true;
        gh_log("error", "db_unavailable", "sqlstate", state ? state : "", "detail", msg, NULL);
        return GH_EDB;
    }
    gh_log("error", "db_error", "sqlstate", state, "detail", msg, NULL);
    return GH_EINTERNAL;
}

/* Reads the answer of a COMMIT sent without waiting (nothing was changed: a failure is only
 * logged). */
static void read_commit(pg_conn *pc)
{
    if (!pc->commit_unread)
        return;
    pc->commit_unread = false;
    PGresult *res;
    while ((res = PQgetResult(pc->c)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            (void)map_error(pc, res);
        PQclear(res);
    }
}

static gh_err exec_result(pg_conn *pc, PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    gh_err err = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? GH_OK : map_error(pc, res);
    PQclear(res);
    return err;
}

/* Sends a deferred BEGIN on its own, before a command that cannot share its pipeline. */
static gh_err flush_begin(pg_conn *pc)
{
    read_commit(pc);
    pg_stmt *b = pc->begin;
    if (b == NULL)
        return GH_OK;
    pc->begin = NULL;
    return exec_result(pc, PQexecPrepared(pc->c, b->name, 0, NULL, NULL, NULL, 0));
}

/* Runs SQL without parameters (one or several statements). */
static gh_err run(pg_conn *pc, const char *sql)
{
    gh_err err = flush_begin(pc);
    return err != GH_OK ? err : exec_result(pc, PQexec(pc->c, sql));
}

/* The single value of a one-row query, copied into buf; -1 when it failed. */
static int query_text(pg_conn *pc, const char *sql, char *buf, size_t cap)
{
    if (flush_begin(pc) != GH_OK)
        return -1;
    PGresult *res = PQexec(pc->c, sql);
    int ok = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 1) {
        snprintf(buf, cap, "%s", PQgetvalue(res, 0, 0));
        ok = 0;
    } else {
        (void)map_error(pc, res);
    }
    PQclear(res);
    return ok;
}

/* D2: a commit is acknowledged only once it is flushed to disk. */
static gh_err check_durability(pg_conn *pc)
{
    char sync[32] = "", fsync[32] = "", version[32] = "";
    if (query_text(pc, "SHOW synchronous_commit", sync, sizeof sync) != 0 ||
        query_text(pc, "SHOW fsync", fsync, sizeof fsync) != 0 ||
        query_text(pc, "SHOW server_version_num", version, sizeof version) != 0)
        return GH_EDB;
    if ((strcmp(sync, "on") != 0 && strcmp(sync, "remote_apply") != 0) ||
        strcmp(fsync, "on") != 0) {
        gh_log("error", "db_durability", "synchronous_commit", sync, "fsync", fsync, "detail",
               "need synchronous_commit=on and fsync=on: otherwise an acknowledged change can be "
               "lost",
               NULL);
        return GH_EDB;
    }
    if (atol(version) < MIN_SERVER) {
        gh_log("error", "db_version", "server_version_num", version, "detail",
               "need PostgreSQL 13 or later", NULL);
        return GH_EDB;
    }
    return GH_OK;
}

static gh_err p_open(const char *url, void **out)
{
    /* the URL's own parameters override these defaults (they come after them) */
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "application_name",
                                       "client_encoding",
                                       "dbname",
                                       NULL};
    const char *vals[] = {"5", "15", "5", "3", "gatehouse", "UTF8", url, NULL};
    pg_conn *pc = calloc(1, sizeof *pc);
    if (pc == NULL)
        return GH_ENOMEM;
    pc->c = PQconnectdbParams(keys, vals, 1);
    if (pc->c == NULL || PQstatus(pc->c) != CONNECTION_OK) {
        char where[256];
        gh_db_describe_url(url, where, sizeof where);
        gh_log("error", "db_open_failed", "url", where, "detail",
               pc->c ? PQerrorMessage(pc->c) : "out of memory", NULL);
        PQfinish(pc->c);
        free(pc);
        return GH_EDB;
    }
    PQsetNoticeReceiver(pc->c, on_notice, pc);
    if (check_durability(pc) != GH_OK) {
        PQfinish(pc->c);
        free(pc);
        return GH_EDB;
    }
    *out = pc;
    return GH_OK;
}

static void p_close(void *conn)
{
    pg_conn *pc = conn;
    if (pc == NULL)
        return;
    PQfinish(pc->c);
    free(pc);
}

static void p_forget(void *conn)
{
    ((pg_conn *)conn)->closing = true;
}

/* Whether the connection is gone. Outside a transaction it also notices a server that closed
 * the idle connection (restart, idle timeout): the socket is readable and input ends the
 * connection, so the next request reconnects instead of failing once. */
static bool p_broken(void *conn)
{
    pg_conn *pc = conn;
    if (!pc->broken)
        read_commit(pc);
    if (pc->broken || PQstatus(pc->c) != CONNECTION_OK)
        return true;
    if (PQtransactionStatus(pc->c) != PQTRANS_IDLE)
        return false;
    struct pollfd p = {.fd = PQsocket(pc->c), .events = POLLIN};
    if (p.fd < 0 || poll(&p, 1, 0) < 0)
        return true;
    if (p.revents != 0) {
        if (PQconsumeInput(pc->c) == 0)
            pc->broken = true;
        else
            (void)PQisBusy(pc->c); /* parses what was read: a FATAL message reaches on_notice() */
        if (PQstatus(pc->c) != CONNECTION_OK)
            pc->broken = true;
    }
    return pc->broken;
}

static gh_err p_exec(void *conn, const char *sql)
{
    return run(conn, sql);
}

/* Copies sql with each `?` outside quotes and comments replaced by $1, $2, ...; *n gets the
 * count. The caller frees the copy. */
static char *rewrite(const char *sql, int *n)
{
    size_t len = strlen(sql), cap = len + 1;
    for (const char *p = sql; *p; p++)
        cap += *p == '?' ? 6 : 0;
    char *out = malloc(cap), *o = out;
    if (out == NULL)
        return NULL;
    int count = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote != 0) {
            if (*p == quote)
                quote = 0; /* a doubled quote closes and reopens: same result */
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            size_t k = strcspn(p, "\n");
            memcpy(o, p, k);
            o += k;
            p += k;
            if (*p == '\0')
                break;
        } else if (*p == '?') {
            o += snprintf(o, 8, "$%d", ++count);
            continue;
        }
        *o++ = *p;
    }
    *o = '\0';
    *n = count;
    return out;
}

static void stmt_free(pg_stmt *st)
{
    if (st == NULL)
        return;
    free(st->vals);
    free(st->ints);
    free(st->fixed);
    free(st->one_shot);
    free(st);
}

static gh_err p_prepare(void *conn, const char *sql, void **out)
{
    pg_conn *pc = conn;
    int n = 0;
    char *text = rewrite(sql, &n);
    pg_stmt *st = calloc(1, sizeof *st);
    if (text == NULL || st == NULL)
        goto nomem;
    st->vals = calloc((size_t)n + 1, sizeof *st->vals);
    st->ints = calloc((size_t)n + 1, sizeof *st->ints);
    st->fixed = calloc((size_t)n + 1, sizeof *st->fixed);
    if (st->vals == NULL || st->ints == NULL || st->fixed == NULL)
        goto nomem;
    st->pc = pc;
    st->nparams = n;
    st->row = -1;
    st->kind = strncmp(sql, "BEGIN", 5) == 0  ? BEGIN_TX
               : strcmp(sql, "COMMIT") == 0   ? COMMIT_TX
               : strcmp(sql, "ROLLBACK") == 0 ? ROLLBACK_TX
                                              : PLAIN;
    st->read_only = st->kind == BEGIN_TX && strstr(sql, "READ ONLY") != NULL;
    snprintf(st->name, sizeof st->name, "gh%u", pc->next_name++);
    if (strstr(sql, GH_DB_PLAN_EACH_TIME) != NULL) { /* sent unprepared at each execution */
        st->one_shot = text;
        *out = st;
        return GH_OK;
    }
    read_commit(pc);
    PGresult *res = PQprepare(pc->c, st->name, text, 0, NULL);
    free(text);
    gh_err err = PQresultStatus(res) == PGRES_COMMAND_OK ? GH_OK : map_error(pc, res);
    PQclear(res);
    if (err != GH_OK) {
        stmt_free(st);
        return err;
    }
    *out = st;
    return GH_OK;
nomem:
    free(text);
    stmt_free(st);
    return GH_ENOMEM;
}

static void p_reset(void *raw)
{
    pg_stmt *st = raw;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->rows = 0;
    for (int i = 0; i < st->nparams; i++) {
        st->vals[i] = NULL;
        free(st->fixed[i]);
        st->fixed[i] = NULL;
    }
}

/* Releases the server's prepared statement unless the connection is going anyway. */
static void p_finalize(void *raw)
{
    pg_stmt *st = raw;
    p_reset(st);
    pg_conn *pc = st->pc;
    if (pc->begin == st && !pc->closing && !pc->broken && flush_begin(pc) != GH_OK)
        pc->broken = true; /* never run the transaction's statements without it */
    if (pc->begin == st)
        pc->begin = NULL;
    if (!pc->closing && !pc->broken)
        read_commit(pc);
    if (!pc->closing && !pc->broken && st->one_shot == NULL && PQstatus(pc->c) == CONNECTION_OK &&
        PQtransactionStatus(pc->c) == PQTRANS_IDLE) {
        char sql[40];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(pc->c, sql));
    }
    stmt_free(st);
}

static void p_bind_int(void *raw, int idx, int64_t v)
{
    pg_stmt *st = raw;
    if (idx < 1 || idx > st->nparams)
        return;
    snprintf(st->ints[idx - 1], INT_CHARS, "%lld", (long long)v);
    st->vals[idx - 1] = st->ints[idx - 1];
}

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
               : p[0] >= 0xe0 && p[0] <= 0xef ? 3
               : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] > 0x9f) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] > 0x8f))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
}

/* PostgreSQL holds only valid UTF-8, where SQLite keeps any bytes: text from outside the JSON
 * parser (a query string, a User-Agent) that is not UTF-8 is sent with U+FFFD for each bad byte,
 * as data that never matches anything stored from valid input. NULL when v is valid. */
static char *repair_utf8(const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n;
    while (*p && (n = utf8_seq(p)) > 0)
        p += n;
    if (*p == '\0')
        return NULL;
    char *out = malloc(3 * strlen(v) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (p = (const unsigned char *)v; *p;) {
        if ((n = utf8_seq(p)) > 0) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
        }
    }
    *o = '\0';
    return out;
}

static void p_bind_text(void *raw, int idx, const char *v)
{
    pg_stmt *st = raw;
    if (idx < 1 || idx > st->nparams)
        return;
    free(st->fixed[idx - 1]);
    st->fixed[idx - 1] = repair_utf8(v);
    st->vals[idx - 1] = st->fixed[idx - 1] != NULL ? st->fixed[idx - 1] : v;
}

static void p_bind_null(void *raw, int idx)
{
    pg_stmt *st = raw;
    if (idx >= 1 && idx <= st->nparams)
        st->vals[idx - 1] = NULL;
}

/* Queues st's execution (PQsendQuery*'s result). */
static int send_stmt(pg_stmt *st)
{
    if (st->one_shot != NULL)
        return PQsendQueryParams(st->pc->c, st->one_shot, st->nparams, NULL, st->vals, NULL, NULL,
                                 0);
    return PQsendQueryPrepared(st->pc->c, st->name, st->nparams, st->vals, NULL, NULL, 0);
}

static PGresult *exec_stmt(pg_stmt *st)
{
    if (st->one_shot != NULL)
        return PQexecParams(st->pc->c, st->one_shot, st->nparams, NULL, st->vals, NULL, NULL, 0);
    return PQexecPrepared(st->pc->c, st->name, st->nparams, st->vals, NULL, NULL, 0);
}

/* Executes st with the deferred BEGIN in one pipeline (one round trip); returns st's result, or
 * the BEGIN's when that failed (NULL when the connection went). */
static PGresult *exec_after_begin(pg_stmt *st)
{
    pg_conn *pc = st->pc;
    pg_stmt *b = pc->begin;
    pc->begin = NULL;
    if (PQenterPipelineMode(pc->c) != 1 ||
        PQsendQueryPrepared(pc->c, b->name, 0, NULL, NULL, NULL, 0) != 1 || send_stmt(st) != 1 ||
        PQpipelineSync(pc->c) != 1) {
        pc->broken = true; /* only a lost connection refuses to queue */
        return NULL;
    }
    /* BEGIN's result, NULL, st's result (or "aborted"), NULL, then the sync */
    PGresult *out = NULL, *res;
    bool first = true, synced = false;
    int nulls = 0;
    while (!synced && nulls < 2) {
        if ((res = PQgetResult(pc->c)) == NULL) {
            nulls++;
            continue;
        }
        nulls = 0;
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_PIPELINE_SYNC) {
            synced = true;
        } else if (out == NULL && !(first && s == PGRES_COMMAND_OK)) {
            out = res; /* st's result, or the failed BEGIN's */
            res = NULL;
        }
        first = false;
        PQclear(res);
    }
    if (!synced || PQexitPipelineMode(pc->c) != 1)
        pc->broken = true;
    return out;
}

/* BEGIN waits for the next statement; COMMIT of a read-only transaction does not wait. */
static bool control(pg_stmt *st, gh_err *err)
{
    pg_conn *pc = st->pc;
    *err = GH_OK;
    switch (st->kind) {
    case BEGIN_TX:
        read_commit(pc);
        pc->begin = st;
        pc->read_only = st->read_only;
        return true;
    case COMMIT_TX:
    case ROLLBACK_TX:
        if (pc->begin != NULL) { /* nothing ran: nothing to end */
            pc->begin = NULL;
            return true;
        }
        if (st->kind == COMMIT_TX && pc->read_only && !pc->broken) {
            pc->read_only = false;
            if (PQsendQueryPrepared(pc->c, st->name, 0, NULL, NULL, NULL, 0) != 1) {
                pc->broken = true;
                *err = GH_EDB;
            }
            pc->commit_unread = *err == GH_OK;
            return true;
        }
        pc->read_only = false;
        return false;
    case PLAIN:
        return false;
    }
    return false;
}

/* The first step executes the statement and keeps its whole result; later steps walk it. */
static gh_err p_step(void *raw, bool *row)
{
    pg_stmt *st = raw;
    *row = false;
    gh_err err;
    if (st->res == NULL && control(st, &err)) {
        st->res = err == GH_OK ? PQmakeEmptyPGresult(st->pc->c, PGRES_COMMAND_OK) : NULL;
        if (err != GH_OK)
            gh_log("error", "db_unavailable", "detail", "the connection is lost", NULL);
        return err;
    }
    if (st->res == NULL && st->pc->broken) {
        gh_log("error", "db_unavailable", "detail", "the connection is lost", NULL);
        return GH_EDB; /* until db.c opens a new one */
    }
    if (st->res == NULL) {
        read_commit(st->pc);
        PGresult *res = st->pc->begin != NULL ? exec_after_begin(st) : exec_stmt(st);
        ExecStatusType s = PQresultStatus(res);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            err = map_error(st->pc, res);
            PQclear(res);
            return err;
        }
        st->res = res;
        st->rows = PQntuples(res);
        const char *changed = PQcmdTuples(res);
        st->changes = changed[0] != '\0' ? strtoll(changed, NULL, 10) : 0;
    }
    if (st->row < st->rows)
        st->row++;
    *row = st->row < st->rows;
    return GH_OK;
}

static bool has_value(const pg_stmt *st, int col)
{
    return st->res != NULL && st->row >= 0 && st->row < st->rows && col >= 0 &&
           col < PQnfields(st->res) && !PQgetisnull(st->res, st->row, col);
}

/* Integers as SQLite gives them: booleans are 1 or 0, NULL is 0. */
static int64_t p_col_int(void *raw, int col)
{
    pg_stmt *st = raw;
    if (!has_value(st, col))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == BOOL_OID)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static bool p_col_null(void *raw, int col)
{
    return !has_value(raw, col);
}

static const char *p_col_text(void *raw, int col)
{
    pg_stmt *st = raw;
    return has_value(st, col) ? PQgetvalue(st->res, st->row, col) : NULL;
}

static int64_t p_changes(void *conn, void *raw)
{
    (void)conn;
    return ((pg_stmt *)raw)->changes;
}

/* With amcheck installed, verifies every B-tree index of the schema against its table; without
 * it, reads the main tables through. */
static gh_err p_integrity(void *conn)
{
    pg_conn *pc = conn;
    char have[16] = "";
    if (query_text(pc, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'amcheck'", have,
                   sizeof have) != 0)
        return GH_EDB;
    if (atoi(have) > 0)
        return run(pc, "SELECT bt_index_check(c.oid, true) FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE am.amname = 'btree' AND n.nspname = current_schema() "
                       "AND c.relpersistence <> 't'") == GH_OK
                   ? GH_OK
                   : GH_EDB;
    return run(pc, "SELECT COUNT(*) FROM users; SELECT COUNT(*) FROM audit; "
                   "SELECT COUNT(*) FROM tenants") == GH_OK
               ? GH_OK
               : GH_EDB;
}

const gh_db_driver gh_db_postgres_driver = {
    .kind = GH_DB_POSTGRES,
    .migrations = gh_migrations_postgres,
    .open = p_open,
    .close = p_close,
    .forget = p_forget,
    .broken = p_broken,
    .exec = p_exec,
    .prepare = p_prepare,
    .finalize = p_finalize,
    .reset = p_reset,
    .bind_int = p_bind_int,
    .bind_text = p_bind_text,
    .bind_null = p_bind_null,
    .step = p_step,
    .col_int = p_col_int,
    .col_null = p_col_null,
    .col_text = p_col_text,
    .changes = p_changes,
    .begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    .begin_read_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    .lock_sql = "SELECT pg_advisory_lock(" MIGRATION_LOCK_ID ")",
    .unlock_sql = "SELECT pg_advisory_unlock(" MIGRATION_LOCK_ID ")",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .for_update = " FOR UPDATE",
    .integrity = p_integrity,
};
