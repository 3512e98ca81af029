/* What a database driver provides to db.c. Private to db/. */
#ifndef GH_DB_DRIVER_H
#define GH_DB_DRIVER_H

#include "db/db.h"

typedef struct gh_migration {
    int version;
    const char *name;
    const char *sql;
} gh_migration;

typedef struct gh_db_driver {
    gh_db_kind kind;
    const gh_migration *migrations; /* ends with an entry whose sql is NULL */
    gh_err (*open)(const char *url, void **conn);
    void (*close)(void *conn);
    /* Optional. forget: the connection closes next, finalize need not tell the server. broken:
     * the connection is lost and must be opened again (checked outside transactions only). */
    void (*forget)(void *conn);
    bool (*broken)(void *conn);
    gh_err (*exec)(void *conn, const char *sql);
    gh_err (*prepare)(void *conn, const char *sql, void **st);
    void (*finalize)(void *st);
    void (*reset)(void *st);
    void (*bind_int)(void *st, int idx, int64_t v);
    void (*bind_text)(void *st, int idx, const char *v);
    void (*bind_null)(void *st, int idx);
    gh_err (*step)(void *st, bool *row);
    int64_t (*col_int)(void *st, int col);
    bool (*col_null)(void *st, int col);
    const char *(*col_text)(void *st, int col);
    int64_t (*changes)(void *conn, void *st);
    const char *begin_sql, *begin_read_sql;
    /* Held by gh_db_migrate while it checks and applies migrations (NULL: no lock needed). */
    const char *lock_sql, *unlock_sql;
    const char *skip_locked; /* see gh_db_skip_locked() */
    const char *for_update;  /* see gh_db_for_update() */
    gh_err (*integrity)(void *conn);
} gh_db_driver;

extern const gh_db_driver gh_db_sqlite_driver;
extern const gh_db_driver gh_db_postgres_driver;
extern const gh_migration gh_migrations_sqlite[];
extern const gh_migration gh_migrations_postgres[];

#endif
