/* Online backups of a SQLite database and their restore (`gatehouse backup`, `gatehouse
 * restore`), and the lock by which a restore knows that a server has the database open.
 * PostgreSQL databases are backed up with pg_dump: these functions refuse them (GH_EINVAL). */
#ifndef GH_DB_BACKUP_H
#define GH_DB_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* What a backup or a restore copied. */
typedef struct gh_db_copy_info {
    long long pages, bytes;
    int schema_version; /* of the copy */
} gh_db_copy_info;

/* Copies the database at path into out while servers go on writing to it: the copy is one
 * consistent snapshot (a read transaction on the source, held across the backup API's steps;
 * in WAL mode writers are not blocked by it), written to a temporary name next to out, synced,
 * then renamed. Refuses an existing out unless force. On failure nothing is left at out and why
 * (cap bytes) says what went wrong. Thread-safe; opens its own connections. */
gh_err gh_db_backup(const char *path, const char *out, bool force, gh_db_copy_info *info, char *why,
                    size_t cap) GH_MUST_USE;

/* Replaces the database at path by the backup in: in must pass PRAGMA integrity_check and be at
 * a schema version this program knows; path must not be open by a server (gh_db_hold_live) and
 * must not exist unless force. Copies into a temporary file, removes a stale -wal and -shm of
 * path, then renames. On failure path is unchanged and why says why. */
gh_err gh_db_restore(const char *path, const char *in, bool force, gh_db_copy_info *info, char *why,
                     size_t cap) GH_MUST_USE;

/* For a server on url: a shared lock (flock) on url's lock file (<path>.lock), held on *fd
 * until the process ends, which restore's exclusive lock cannot take while it is held. -1 in
 * *fd and GH_OK for a PostgreSQL url or ":memory:"; GH_ECONFLICT while
 * a restore holds it; GH_EDB when the lock file cannot be made. */
gh_err gh_db_hold_live(const char *url, int *fd) GH_MUST_USE;

/* Whether url names a PostgreSQL database (postgres:// or postgresql://). */
bool gh_db_url_is_postgres(const char *url);

#endif
