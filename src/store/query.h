/* A small builder for statements whose shape depends on the request (filters, sort, scope).
 * Every fragment passed in is a string literal from store/; values only ever travel as bound
 * parameters. Private to store/. */
#ifndef GH_STORE_QUERY_H
#define GH_STORE_QUERY_H

#include "store/store.h"

#define GH_QB_MAX_PARAMS 24

typedef struct gh_qb {
    gh_arena *a;
    char *sql;
    size_t len, cap;
    int n;
    struct {
        bool is_text;
        int64_t i;
        const char *t;
        const int64_t *ids; /* gh_qb_ids: n_ids values, bound in turn */
        size_t n_ids;
    } p[GH_QB_MAX_PARAMS];
} gh_qb;

void gh_qb_init(gh_qb *q, gh_arena *a);
void gh_qb_sql(gh_qb *q, const char *frag);
void gh_qb_int(gh_qb *q, int64_t v);
void gh_qb_text(gh_qb *q, const char *v);
/* Appends " IN (?, ?, ...)", one placeholder for each of the n ids (n > 0), which stay the
 * caller's until the statement is prepared; the list counts as one of GH_QB_MAX_PARAMS. */
void gh_qb_ids(gh_qb *q, const int64_t *ids, size_t n);
/* Prepares the statement and binds every parameter. */
gh_err gh_qb_prepare(gh_qb *q, gh_db *db, gh_stmt **out) GH_MUST_USE;
/* Runs a statement that answers one integer (a COUNT): *out, or 0 when it gives no row. */
gh_err gh_qb_int_result(gh_qb *q, gh_db *db, int64_t *out) GH_MUST_USE;

/* Appends " AND <users u visible to viewer>" (the single definition of user scope). */
void gh_qb_user_scope(gh_qb *q, const gh_principal *viewer);
/* Appends " AND <tenant t visible to viewer>" (tenants.c, the single definition of tenant scope).
 */
void gh_qb_tenant_scope(gh_qb *q, const gh_principal *viewer);

/* The users' search (search.c). A term is served in one of three ways:
 *   GH_SEARCH_GRAM       one or two letters or digits: a word's start, through search_grams;
 *   GH_SEARCH_SUBSTRING  three characters or more: anywhere in search_key;
 *   GH_SEARCH_SCAN       one or two characters that are not all letters or digits: anywhere in
 *                        search_key, with no index (only a bounded walk serves it).
 * For the first two the pieces go into a query over `users u`: `join` after the FROM (may be
 * ""), `where` a boolean expression with one `?` bound to `param` (two when `param2` is not
 * NULL), and `id_col` a column equal to u.id whose ascending order the index streams (so that
 * "first N matches by id" stops after N). `count_sql` (SQLite; NULL on PostgreSQL) counts matches
 * up to a limit from the index alone (two parameters: `param` and the limit). For a walk over an
 * index in sort order, `walk_match` tests the walk's columns w.wk (search_key) and w.wg
 * (search_grams) with one `?` bound to `walk_param`. The strings are literals or in the arena. */
typedef enum gh_search_kind { GH_SEARCH_GRAM, GH_SEARCH_SUBSTRING, GH_SEARCH_SCAN } gh_search_kind;
typedef struct gh_store_search {
    gh_search_kind kind;
    const char *join, *where, *param, *param2, *id_col, *count_sql;
    const char *walk_match, *walk_param;
} gh_store_search;
/* Fills out for the term q; false when q folds to nothing (no search). */
bool gh_store_user_search(gh_db *db, gh_arena *a, const char *q, gh_store_search *out);

/* The principal of the user aliased u: its row and its permission mask, the OR of its roles'
 * masks and of its groups' roles' masks (bit_or: PostgreSQL's aggregate, a function of the
 * driver on SQLite), in one statement, so that authenticating a request is one round trip. Then
 * GH_STORE_STAMP_COLS: its revocation counters (see gh_auth_stamp). */
#define GH_STORE_PRINCIPAL_COLS                                                                    \
    "u.id, u.username, u.provider_id, u.is_superadmin, u.access_level, u.access_all, "             \
    "u.access_account_id, COALESCE((SELECT bit_or(r.permissions) FROM user_roles ur JOIN roles r " \
    "ON r.id = ur.role_id WHERE ur.user_id = u.id), 0) | COALESCE((SELECT bit_or(r.permissions) "  \
    "FROM user_group_members m JOIN user_group_roles gr ON gr.group_id = m.group_id JOIN roles r " \
    "ON r.id = gr.role_id WHERE m.user_id = u.id), 0)"
#define GH_STORE_PRINCIPAL_NCOLS 8
/* NULL (no counter row yet) reads as 0 */
#define GH_STORE_STAMP_COLS                                                                        \
    "(SELECT n FROM auth_epochs WHERE id = 0), (SELECT n FROM auth_epochs WHERE id = u.id)"
/* Reads GH_STORE_PRINCIPAL_COLS from column col on. The scope queries look the principal's own
 * access list up by user id, so the ids are not loaded here. */
void gh_store_read_principal(gh_stmt *st, gh_arena *a, int col, gh_principal *out);

/* The columns of a user's row (users u) without its links, and their reader (store/users.c). */
extern const char gh_store_user_cols[];
void gh_store_read_user_row(gh_stmt *st, gh_arena *a, gh_user *u);

/* Loads one column of ids from a statement with one int parameter. */
/* head, then "?, ?, ... ?)" (n placeholders, n > 0), then tail: the text of a statement that
 * takes a page's ids as an IN list (a page has at most a few hundred; the query builder's
 * parameter list is shorter). head ends with "IN ("; the ids bind after head's own parameters. */
char *gh_store_in_list(gh_arena *a, const char *head, size_t n, const char *tail);
gh_err gh_store_load_ids(gh_db *db, gh_arena *a, const char *sql, int64_t id,
                         gh_ids *out) GH_MUST_USE;
/* Replaces the link rows of owner: runs del_sql(owner) then ins_sql(owner, id) for each id. */
gh_err gh_store_replace_ids(gh_db *db, const char *del_sql, const char *ins_sql, int64_t owner,
                            const gh_ids *ids) GH_MUST_USE;
/* Steps a prepared, bound INSERT ... RETURNING id and finishes it: *id on success, GH_EINTERNAL
 * when no row came back. */
gh_err gh_store_step_returning(gh_stmt *st, int64_t *id) GH_MUST_USE;
/* Binds an optional reference: id, or SQL NULL when id is 0 (no user, no provider, ...). */
void gh_store_bind_opt_id(gh_stmt *st, int idx, int64_t id);
/* Steps a prepared, bound statement that returns no row and finishes it; GH_ENOTFOUND when it
 * changed nothing. */
gh_err gh_store_step_changing(gh_stmt *st) GH_MUST_USE;
/* Runs a statement whose parameters are all ints (n of them) and that returns no row. */
gh_err gh_store_exec_ints(gh_db *db, const char *sql, int n, const int64_t *v) GH_MUST_USE;

/* The state columns (TEXT) as enums, the store's one conversion on the way in. The columns'
 * CHECK constraints admit only the names; anything else (or NULL) reads as the value that grants
 * least: a disabled user, the narrowest access, a session at its password step, the lowest
 * tenant and role kinds. The names are
 * written with the gh_*_name() functions of model/model.h. */
gh_user_status gh_store_status_from(const char *s);
gh_access_level gh_store_level_from(const char *s);
gh_signin_stage gh_store_stage_from(const char *s);
gh_tenant_kind gh_store_tenant_kind_from(const char *s);
gh_role_kind gh_store_role_kind_from(const char *s);
/* An unknown link purpose reads as setup, which no user link has, so that it opens nothing; an
 * unknown message state as cancelled, which is never sent. */
gh_link_purpose gh_store_link_purpose_from(const char *s);
gh_mail_state gh_store_mail_state_from(const char *s);

#endif
