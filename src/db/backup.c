/* Online backup and restore of a SQLite database (db/backup.h), with SQLite's backup API; and
 * the lock file that tells a restore a server is running on the database. */
#include "db/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db/driver.h"

#define BUSY_TIMEOUT_MS   5000
#define BACKUP_STEP_PAGES 256 /* per sqlite3_backup_step: progress in bounded pieces */

bool gh_db_url_is_postgres(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

__attribute__((format(printf, 4, 5))) static gh_err fail(gh_err err, char *why, size_t cap,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return err;
}

static int schema_target(void)
{
    int v = 0;
    for (const gh_migration *m = gh_migrations_sqlite; m->sql != NULL; m++)
        v = m->version;
    return v;
}

/* The one integer of sql's first row, or -1. */
static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static sqlite3 *open_db(const char *path, int flags)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    return db;
}

/* Copies src's main database into dst, BACKUP_STEP_PAGES at a time; the page count in *pages.
 * The caller holds a read transaction on src when the copy must be one snapshot. */
static int copy_pages(sqlite3 *src, sqlite3 *dst, long long *pages)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL)
        return sqlite3_errcode(dst);
    int rc;
    do {
        rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(10);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    *pages = sqlite3_backup_pagecount(b);
    int fin = sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? fin : rc;
}

/* Makes the rename of a file in path's directory durable. */
static void sync_dir_of(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static void remove_with_sidecars(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* Puts tmp at out: without force only when out does not exist (link fails on an existing
 * name, so two backups cannot both win), with force over it. */
static int place(const char *tmp, const char *out, bool force)
{
    if (force)
        return rename(tmp, out);
    if (link(tmp, out) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

/* The snapshot of path into the fresh file tmp; its schema version and size into info. */
static gh_err snapshot(const char *path, const char *tmp, gh_db_copy_info *info, char *why,
                       size_t cap)
{
    gh_err err = GH_EDB;
    sqlite3 *src = open_db(path, SQLITE_OPEN_READWRITE), *dst = NULL;
    if (src == NULL)
        return fail(GH_EDB, why, cap, "cannot open the database %s", path);
    /* the read transaction pins one snapshot for every step: writers go on (WAL), and the
     * backup neither restarts on their commits nor mixes two states */
    if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
        SQLITE_OK) {
        fail(GH_EDB, why, cap, "cannot read the database %s: %s", path, sqlite3_errmsg(src));
        goto out;
    }
    info->schema_version =
        (int)query_int(src, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if ((dst = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) == NULL) {
        fail(GH_EDB, why, cap, "cannot create %s", tmp);
        goto out;
    }
    if (copy_pages(src, dst, &info->pages) != SQLITE_OK) {
        fail(GH_EDB, why, cap, "the copy failed: %s", sqlite3_errmsg(dst));
        goto out;
    }
    /* a rollback-journal file is whole by itself: no -wal or -shm appears next to it when it
     * is read (restore opens it read-only); gh_db_open turns WAL on again */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        fail(GH_EDB, why, cap, "cannot finish %s: %s", tmp, sqlite3_errmsg(dst));
        goto out;
    }
    info->bytes = info->pages * query_int(dst, "PRAGMA page_size");
    err = GH_OK;
out:
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(src);
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && err == GH_OK)
        err = fail(GH_EDB, why, cap, "cannot finish %s", tmp);
    return err;
}

gh_err gh_db_backup(const char *path, const char *out, bool force, gh_db_copy_info *info, char *why,
                    size_t cap)
{
    if (gh_db_url_is_postgres(path))
        return fail(GH_EINVAL, why, cap,
                    "a PostgreSQL database is backed up with pg_dump (and restored with "
                    "pg_restore)");
    if (access(path, F_OK) != 0)
        return fail(GH_ENOTFOUND, why, cap, "no database at %s", path);
    if (!force && access(out, F_OK) == 0)
        return fail(GH_ECONFLICT, why, cap, "%s exists (--force replaces it)", out);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", out, (long)getpid());
    remove_with_sidecars(tmp);
    gh_db_copy_info got = {0};
    gh_err err = snapshot(path, tmp, &got, why, cap);
    if (err == GH_OK && place(tmp, out, force) != 0)
        err = fail(errno == EEXIST ? GH_ECONFLICT : GH_EDB, why, cap, "cannot write %s: %s", out,
                   strerror(errno));
    remove_with_sidecars(tmp);
    if (err != GH_OK)
        return err;
    sync_dir_of(out);
    *info = got;
    return GH_OK;
}

/* in's integrity and schema version; its version into *version. */
static gh_err check_backup(const char *in, int *version, char *why, size_t cap)
{
    sqlite3 *db = open_db(in, SQLITE_OPEN_READONLY);
    if (db == NULL)
        return fail(GH_EINVAL, why, cap, "cannot open the backup %s", in);
    sqlite3_stmt *st = NULL;
    char res[64] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(res, sizeof res, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    long long v = query_int(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    sqlite3_close(db);
    if (strcmp(res, "ok") != 0)
        return fail(GH_EINVAL, why, cap, "%s fails its integrity check (%s)", in,
                    res[0] ? res : "not a database");
    if (v <= 0)
        return fail(GH_EINVAL, why, cap, "%s is not a gatehouse database", in);
    if (v > schema_target())
        return fail(GH_EINVAL, why, cap,
                    "%s was made by a newer gatehouse (schema version too high)", in);
    *version = (int)v;
    return GH_OK;
}

/* The exclusive lock of path's lock file on *fd: no server runs on path while it is held. */
static gh_err lock_exclusive(const char *path, int *fd, char *why, size_t cap)
{
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", path);
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return fail(GH_EDB, why, cap, "cannot open %s: %s", lock, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return fail(GH_ECONFLICT, why, cap,
                    "a gatehouse server is running on %s: stop it before restoring", path);
    }
    return GH_OK;
}

gh_err gh_db_restore(const char *path, const char *in, bool force, gh_db_copy_info *info, char *why,
                     size_t cap)
{
    if (gh_db_url_is_postgres(path))
        return fail(GH_EINVAL, why, cap,
                    "a PostgreSQL database is restored with pg_restore (from pg_dump)");
    gh_db_copy_info got = {0};
    int fd = -1;
    gh_err err = check_backup(in, &got.schema_version, why, cap);
    if (err == GH_OK)
        err = lock_exclusive(path, &fd, why, cap);
    if (err == GH_OK && !force && access(path, F_OK) == 0)
        err = fail(GH_ECONFLICT, why, cap, "%s exists (--force replaces it)", path);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.restore-%ld", path, (long)getpid());
    if (err == GH_OK) {
        remove_with_sidecars(tmp);
        sqlite3 *src = open_db(in, SQLITE_OPEN_READONLY);
        sqlite3 *dst =
            src != NULL ? open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : NULL;
        if (dst == NULL || copy_pages(src, dst, &got.pages) != SQLITE_OK)
            err = fail(GH_EDB, why, cap, "cannot copy %s into %s", in, tmp);
        if (err == GH_OK)
            got.bytes = got.pages * query_int(dst, "PRAGMA page_size");
        sqlite3_close(src);
        if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && err == GH_OK)
            err = fail(GH_EDB, why, cap, "cannot finish %s", tmp);
    }
    if (err == GH_OK) { /* the old WAL belongs to the old file: replayed on the new one, it would
                         * corrupt it */
        char side[4200];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        if (rename(tmp, path) != 0)
            err = fail(GH_EDB, why, cap, "cannot put the copy at %s: %s", path, strerror(errno));
        else
            sync_dir_of(path);
    }
    remove_with_sidecars(tmp);
    if (fd >= 0)
        close(fd); /* and with it the lock */
    if (err == GH_OK)
        *info = got;
    return err;
}

gh_err gh_db_hold_live(const char *url, int *fd)
{
    *fd = -1;
    if (gh_db_url_is_postgres(url) || strcmp(url, ":memory:") == 0)
        return GH_OK;
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", url);
    int f = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return GH_EDB;
    if (flock(f, LOCK_SH | LOCK_NB) != 0) {
        close(f);
        return GH_ECONFLICT;
    }
    *fd = f;
    return GH_OK;
}
