/* The users' substring search in each engine's SQL, over the search_text column of migration 001:
 * FTS5's trigram index on SQLite, pg_trgm's GIN index on PostgreSQL. See query.h. */
#include <string.h>

#include "store/query.h"

/* FTS5 trigram needs three characters and streams matches in rowid order; shorter terms scan
 * with LIKE. The term goes in as one FTS5 phrase (its double quotes doubled). */
static void sqlite_search(gh_arena *a, const char *q, gh_store_search *out)
{
    size_t n = strlen(q);
    if (n >= 3) {
        char *phrase = gh_arena_alloc(a, 2 * n + 3), *p = phrase;
        *p++ = '"';
        for (const char *c = q; *c; c++) {
            if (*c == '"')
                *p++ = '"';
            *p++ = *c;
        }
        *p++ = '"';
        *out = (gh_store_search){.join = " JOIN users_fts ON users_fts.rowid = u.id",
                                 .where = "users_fts MATCH ?",
                                 .param = phrase,
                                 .id_col = "users_fts.rowid"};
        return;
    }
    char *like = gh_arena_alloc(a, 2 * n + 3), *p = like;
    *p++ = '%';
    for (const char *c = q; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            *p++ = '\\';
        *p++ = *c;
    }
    *p++ = '%';
    *out = (gh_store_search){
        .join = "", .where = "u.search_text LIKE ? ESCAPE '\\'", .param = like, .id_col = "u.id"};
}

/* pg_trgm's GIN index serves LIKE '%q%' for three characters and more; shorter terms scan.
 * search_text is lower-cased in the C collation (ASCII only, as SQLite's lower()), so the term
 * is lowered the same way here. Planned for its term at each execution: whether the trigram
 * index or the id order finds the first page sooner depends on how common the term is (the
 * column's statistics say, see migration 001). */
static void postgres_search(gh_arena *a, const char *q, gh_store_search *out)
{
    size_t n = strlen(q);
    char *like = gh_arena_alloc(a, 2 * n + 3), *p = like;
    *p++ = '%';
    for (const char *c = q; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            *p++ = '\\';
        *p++ = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
    }
    *p++ = '%';
    *p = '\0';
    *out = (gh_store_search){.join = "",
                             .where = "u.search_text LIKE ? " GH_DB_PLAN_EACH_TIME,
                             .param = like,
                             .id_col = "u.id"};
}

void gh_store_user_search(gh_db *db, gh_arena *a, const char *q, gh_store_search *out)
{
    if (gh_db_kind_of(db) == GH_DB_POSTGRES)
        postgres_search(a, q, out);
    else
        sqlite_search(a, q, out);
}
