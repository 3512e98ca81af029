/* The store: every query Gatehouse runs, written once over the db/ interface. Callers speak in
 * the typed structs below; strings in results are allocated from the caller's arena. Functions
 * that change data expect the caller (core/) to hold a transaction (gh_db_begin) so that a change
 * and its audit row commit together. Not thread-safe beyond the connection's own rules. */
#ifndef GH_STORE_STORE_H
#define GH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "db/db.h"
#include "util/arena.h"
#include "util/err.h"

typedef struct gh_audit_entry {
    int64_t id, at, actor_id, target_id, target_user_id, provider_id;
    const char *actor, *action, *target_type, *outcome, *ip, *request_id;
    const char *before_json, *after_json; /* NULL when not applicable */
    /* Not stored: filled by gh_core_audit_list as the reader may see them (NULL: no name). */
    const char *actor_name;  /* the acting user's full name (its username when it has none) */
    const char *target_name; /* the target's name: live, else as its snapshot last named it */
    bool target_visible;     /* target_name is the live object's, which the reader may open */
} gh_audit_entry;

typedef enum {
    GH_SORT_NAME,
    GH_SORT_USERNAME,
    GH_SORT_EMAIL,
    GH_SORT_LAST_LOGIN,
    GH_SORT_CREATED,
    GH_SORT_ID, /* the order the search index streams: fastest with q */
} gh_user_sort;

typedef struct gh_user_filter {
    const char *q; /* substring of username, names, e-mail; NULL: none */
    gh_user_list_status status;
    int64_t role_id, group_id, tenant_id;
    /* > 0: only users whose inactivity reference (the latest of last sign-in, creation and
     * active_since, as the dormant rule counts) is more than this many days before now */
    int64_t inactive_days;
    gh_user_sort sort;
    bool desc;
    int limit;
    bool has_cursor;
    const char *cursor_key; /* sort value of the last row of the previous page */
    int64_t cursor_id;
    int64_t now;
} gh_user_filter;

typedef struct gh_user_page {
    gh_user *items;
    size_t n;
    bool more;            /* another page follows */
    bool partial;         /* a search stopped at its budget: rows past next_key were not read */
    const char *next_key; /* cursor of the last item, when more */
    int64_t next_id;
} gh_user_page;

typedef struct gh_audit_filter {
    int64_t actor_id, target_id;
    const char *actor; /* the actor's username as recorded; NULL: any */
    const char *action, *target_type;
    int64_t since, until; /* 0: open */
    int limit;
    int64_t before_id; /* cursor: rows with id below; 0: first page */
} gh_audit_filter;

/* The kinds of object the store names by id (gh_store_name_of, gh_store_audit_names). */
typedef enum {
    GH_NAMED_TENANT,
    GH_NAMED_ROLE,
    GH_NAMED_GROUP,
    GH_NAMED_USER,
    GH_NAMED_SSO_SOURCE,
} gh_store_named;

/* Users. Reads return GH_ENOTFOUND for a missing id. Unique violations give GH_ECONFLICT. */
gh_err gh_store_user_insert(gh_db *db, const gh_user *u, int64_t *id) GH_MUST_USE;
gh_err gh_store_user_update(gh_db *db, const gh_user *u) GH_MUST_USE;
gh_err gh_store_user_get(gh_db *db, gh_arena *a, int64_t id, gh_user *out) GH_MUST_USE;
/* The user if it lies inside viewer's scope, else GH_ENOTFOUND (one query for both). */
gh_err gh_store_user_get_visible(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t id,
                                 gh_user *out) GH_MUST_USE;
gh_err gh_store_user_by_username(gh_db *db, gh_arena *a, const char *username,
                                 gh_user *out) GH_MUST_USE;
/* The same in one statement: the user's row only (no roles, groups, access ids or onboarding). */
gh_err gh_store_user_row_by_username(gh_db *db, gh_arena *a, const char *username,
                                     gh_user *out) GH_MUST_USE;
gh_err gh_store_user_set_status(gh_db *db, int64_t id, gh_user_status status, int64_t now,
                                int64_t by) GH_MUST_USE;
gh_err gh_store_user_set_password(gh_db *db, int64_t id, const char *hash, bool must_change,
                                  int64_t now) GH_MUST_USE;
/* Removes a user's roles, groups and access (for a deleted user). */
gh_err gh_store_user_unlink(gh_db *db, int64_t id) GH_MUST_USE;
gh_err gh_store_username_taken(gh_db *db, const char *username, bool *taken) GH_MUST_USE;
gh_err gh_store_user_count(gh_db *db, int64_t *count) GH_MUST_USE;
/* The tenants a user's access lists (its accounts, or its sub-accounts), as stored now. */
gh_err gh_store_user_access_ids(gh_db *db, gh_arena *a, int64_t user_id, gh_ids *out) GH_MUST_USE;
/* The folded text a user is found by (store/search.c): *key the username, names and e-mail
 * address folded (case, compatibility forms and accents), *grams the short terms (word starts,
 * CJK characters and pairs), both in a. Exported for the seeder (bench/) and the unit tests. */
void gh_store_search_fields(gh_arena *a, const char *username, const char *first, const char *last,
                            const char *email, char **key, char **grams);
/* s case-folded, decomposed and without combining marks ("Émile" -> "emile"), in a. */
char *gh_store_search_fold(gh_arena *a, const char *s);
/* How many users a search may walk through in sort order before it answers a page marked
 * partial (users.c); its quarter is how many matches the index may find for the database to sort
 * them instead. Set once at start-up, before any request. */
#define GH_SEARCH_BUDGET_DEFAULT 15000
#define GH_SEARCH_BUDGET_MIN     20
#define GH_SEARCH_BUDGET_MAX     10000000
void gh_store_set_search_budget(int rows);
/* Fills the search columns of rows written before migration 009 (none after): *filled rows. */
gh_err gh_store_search_backfill(gh_db *db, int64_t *filled) GH_MUST_USE;
gh_err gh_store_user_list(gh_db *db, gh_arena *a, const gh_principal *viewer,
                          const gh_user_filter *f, gh_user_page *out) GH_MUST_USE;
/* What a list page shows beside each of users[0..n): its provider's name (NULL for the platform's
 * staff), its roles by name (in name order), and with lockout its lock-out: the failed sign-ins
 * since its last successful one (counted up to GH_STORE_FAILURES_MAX) and the last failure's time
 * and address (0 and NULL when none). Two queries for the page. */
#define GH_STORE_FAILURES_MAX 1000
typedef struct gh_user_extras {
    gh_named provider;
    gh_named *roles;
    size_t n_roles;
    int64_t failures, last_failure_at;
    const char *last_failure_ip;
} gh_user_extras;
gh_err gh_store_users_extras(gh_db *db, gh_arena *a, const gh_user *users, size_t n, bool lockout,
                             gh_user_extras *out) GH_MUST_USE;
/* The users list's tab counts for f's filters (its status and cursor ignored) inside viewer's
 * scope, so that the cost is bounded at a million users. Without a search or a role, group or
 * tenant filter each tab counts at most cap + 1 entries of a status index (exact: n > cap means
 * "more than cap"). With one, one pass over the filter's matches sorts them into the tabs, at
 * most budget of them: exact is false when there were more (then each n is a lower bound).
 * known is false (and n all 0) for a search term that no index serves: counting it would read
 * every user. Tabs in the order of GH_TALLY_TABS: active, invited, disabled, banned, deleted. */
#define GH_TALLY_TABS 5
typedef struct gh_user_tally {
    int64_t n[GH_TALLY_TABS];
    bool known, exact;
} gh_user_tally;
gh_err gh_store_user_tallies(gh_db *db, gh_arena *a, const gh_principal *viewer,
                             const gh_user_filter *f, int64_t cap, int64_t budget,
                             gh_user_tally *out) GH_MUST_USE;
/* What an export shows beside each of users[0..n) besides gh_user_extras: its groups by name
 * (in name order), the tenants its access lists (accounts, or sub-accounts, in name order) and
 * the account of sub-account access (0 and NULL when none). Three queries for the page. */
typedef struct gh_user_links {
    gh_named *groups, *access;
    size_t n_groups, n_access;
    gh_named account;
} gh_user_links;
gh_err gh_store_users_links(gh_db *db, gh_arena *a, const gh_user *users, size_t n,
                            gh_user_links *out) GH_MUST_USE;

/* Tenants. */
gh_err gh_store_tenant_insert(gh_db *db, const gh_tenant *t, int64_t *id) GH_MUST_USE;
gh_err gh_store_tenant_rename(gh_db *db, int64_t id, const char *name, int64_t now) GH_MUST_USE;
gh_err gh_store_tenant_delete(gh_db *db, int64_t id) GH_MUST_USE;
gh_err gh_store_tenant_get(gh_db *db, gh_arena *a, int64_t id, gh_tenant *out) GH_MUST_USE;
gh_err gh_store_tenant_visible(gh_db *db, const gh_principal *viewer, int64_t id,
                               bool *visible) GH_MUST_USE;
gh_err gh_store_tenant_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t parent_id,
                            const gh_tenant_kind *kind, int limit, int64_t after_id,
                            gh_tenant **items, size_t *n) GH_MUST_USE;
/* Dormant accounts (store/dormant.c; the rules are core/dormant.c's). A provider's rule. */
typedef struct gh_dormant_rule {
    int64_t provider_id, days, warn_days; /* days > 0; warn_days 0: no warning */
} gh_dormant_rule;
/* Sets a tenant's dormant_days and dormant_warn_days; GH_ENOTFOUND when there is no such tenant. */
gh_err gh_store_tenant_set_dormant(gh_db *db, int64_t id, int64_t days, int64_t warn_days,
                                   int64_t now) GH_MUST_USE;
/* The service providers with a rule (days > 0), by id, at most max (in a). */
gh_err gh_store_dormant_providers(gh_db *db, gh_arena *a, size_t max, gh_dormant_rule **items,
                                  size_t *n) GH_MUST_USE;
/* The ids (ids: room for max) of provider_id's active users whose inactivity reference (the
 * latest of last_login_at, created_at, active_since) is older than cutoff, after after_id by id;
 * unwarned: only those not warned since that reference. */
gh_err gh_store_dormant_candidates(gh_db *db, int64_t provider_id, int64_t cutoff, bool unwarned,
                                   int64_t after_id, size_t max, int64_t *ids,
                                   size_t *n) GH_MUST_USE;
/* Conditional writes: only while the user is still active, still inactive since before cutoff
 * (and, to warn, not warned since); GH_ENOTFOUND when the condition no longer holds (another
 * instance did it, or the user signed in or was changed meanwhile). */
gh_err gh_store_dormant_mark_warned(gh_db *db, int64_t id, int64_t cutoff, int64_t now) GH_MUST_USE;
gh_err gh_store_dormant_disable(gh_db *db, int64_t id, int64_t cutoff, int64_t now) GH_MUST_USE;
/* Takes the provider's row lock (PostgreSQL; SQLite's writer lock covers it) for the rest of the
 * transaction, so that checks of its administrators are serialised between instances. */
gh_err gh_store_provider_lock(gh_db *db, int64_t provider_id) GH_MUST_USE;
/* Whether user id can manage users now: active, not banned, login enabled, a superadmin or
 * holding every users.* permission (its roles' and its groups' roles'). */
gh_err gh_store_user_is_admin(gh_db *db, int64_t id, int64_t now, bool *admin) GH_MUST_USE;
/* Whether provider_id (0: the platform's staff) has such a user. */
gh_err gh_store_provider_has_admin(gh_db *db, int64_t provider_id, int64_t now,
                                   bool *has) GH_MUST_USE;
/* A user enabled or unbanned again: its inactivity runs from now. */
gh_err gh_store_user_set_active_since(gh_db *db, int64_t id, int64_t now) GH_MUST_USE;
/* Whether anything still refers to the tenant (children, users, roles, groups, SSO sources). */
gh_err gh_store_tenant_in_use(gh_db *db, int64_t id, bool *in_use) GH_MUST_USE;

/* Roles. */
gh_err gh_store_role_insert(gh_db *db, const gh_role *r, int64_t *id) GH_MUST_USE;
gh_err gh_store_role_update(gh_db *db, const gh_role *r) GH_MUST_USE;
gh_err gh_store_role_delete(gh_db *db, int64_t id) GH_MUST_USE;
gh_err gh_store_role_get(gh_db *db, gh_arena *a, int64_t id, gh_role *out) GH_MUST_USE;
gh_err gh_store_role_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                          int limit, int64_t after_id, gh_role **items, size_t *n) GH_MUST_USE;
gh_err gh_store_role_in_use(gh_db *db, int64_t id, bool *in_use) GH_MUST_USE;

/* Groups. */
gh_err gh_store_group_insert(gh_db *db, const gh_group *g, int64_t *id) GH_MUST_USE;
gh_err gh_store_group_update(gh_db *db, const gh_group *g) GH_MUST_USE;
gh_err gh_store_group_delete(gh_db *db, int64_t id) GH_MUST_USE;
/* member_count counts only the members viewer sees (viewer NULL: all of them). */
gh_err gh_store_group_get(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t id,
                          gh_group *out) GH_MUST_USE;
gh_err gh_store_group_list(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                           int limit, int64_t after_id, gh_group **items, size_t *n) GH_MUST_USE;

/* SSO sources (model/model.h). The sealed client secret is written by insert (required) and
 * update (NULL keeps the stored one) and never read back; has_client_secret says whether one is
 * stored. Names are unique (GH_ECONFLICT). Update changes everything but the name, the provider
 * and created_at, compare-and-set on s->version: GH_EPRECOND when the row has another version or
 * is gone. Delete gives GH_ENOTFOUND when there is no such row (its flows go with it). */
gh_err gh_store_sso_source_insert(gh_db *db, const gh_sso_source *s, int64_t *id) GH_MUST_USE;
gh_err gh_store_sso_source_update(gh_db *db, const gh_sso_source *s) GH_MUST_USE;
gh_err gh_store_sso_source_delete(gh_db *db, int64_t id) GH_MUST_USE;
gh_err gh_store_sso_source_get(gh_db *db, gh_arena *a, int64_t id, gh_sso_source *out) GH_MUST_USE;
/* By id, after after_id, at most limit: of provider_id (> 0), of the platform only (-1) or of
 * every provider and the platform (0). Scope is the caller's (core/) to decide. */
gh_err gh_store_sso_source_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                                int64_t after_id, gh_sso_source **items, size_t *n) GH_MUST_USE;
/* The sources by display name (then id), at most max, of provider_id as in list (0: all): for
 * the sign-in page and the user form's picker. */
gh_err gh_store_sso_source_public(gh_db *db, gh_arena *a, int64_t provider_id, size_t max,
                                  gh_sso_source **items, size_t *n) GH_MUST_USE;
/* The source named name with its sealed client secret (*sealed_secret, in a): for signing in.
 * GH_ENOTFOUND when there is none. */
gh_err gh_store_sso_source_by_name(gh_db *db, gh_arena *a, const char *name, gh_sso_source *out,
                                   const char **sealed_secret) GH_MUST_USE;
/* Flows of single sign-on (model/model.h). Insert also deletes the flows that expired more than
 * GH_STORE_SSO_FLOW_KEEP_S before f->created_at. Take uses the flow whose state hashes to
 * state_hash once: it marks it used and returns it when it is unused and not expired at now
 * (one conditional UPDATE: of two callbacks with one state, one wins); GH_ENOTFOUND otherwise. */
#define GH_STORE_SSO_FLOW_KEEP_S 3600
gh_err gh_store_sso_flow_insert(gh_db *db, const gh_sso_flow *f) GH_MUST_USE;
gh_err gh_store_sso_flow_take(gh_db *db, gh_arena *a, const char *state_hash, int64_t now,
                              gh_sso_flow *out) GH_MUST_USE;

/* Audit. */
gh_err gh_store_audit_insert(gh_db *db, const gh_audit_entry *e) GH_MUST_USE;
gh_err gh_store_audit_list(gh_db *db, gh_arena *a, const gh_principal *viewer,
                           const gh_audit_filter *f, gh_audit_entry **items, size_t *n) GH_MUST_USE;
/* The display names of the objects of kind what among ids[0..n-1], in one statement, as viewer
 * may read them (its scope for that kind; an SSO source: the platform's or its own provider's):
 * names[i] is ids[i]'s, or NULL when it is gone or out of scope. A user is named by its full
 * name, or its username when it has none; an SSO source by its display name. */
gh_err gh_store_audit_names(gh_db *db, gh_arena *a, const gh_principal *viewer, gh_store_named what,
                            const int64_t *ids, size_t n, const char **names) GH_MUST_USE;

/* API tokens: only the hash is stored. */
gh_err gh_store_token_insert(gh_db *db, int64_t user_id, const char *name, const char *hash,
                             int64_t now, int64_t expires_at, int64_t *id) GH_MUST_USE;
/* Deletes the user's expired tokens (they never work again; keeps the table small). */
gh_err gh_store_token_purge(gh_db *db, int64_t user_id, int64_t now) GH_MUST_USE;
/* The live (unexpired) tokens of user_id (0: of every user), by id, at most max. */
gh_err gh_store_token_list(gh_db *db, gh_arena *a, int64_t user_id, int64_t now, size_t max,
                           gh_api_token **items, size_t *n) GH_MUST_USE;
/* One live token by id, whoever owns it; GH_ENOTFOUND when none. */
gh_err gh_store_token_get(gh_db *db, gh_arena *a, int64_t id, int64_t now,
                          gh_api_token *out) GH_MUST_USE;
/* Deletes one token of the user (id > 0) or all of them (id == 0), expired ones included;
 * *count (may be NULL) receives how many live ones went. */
gh_err gh_store_token_delete(gh_db *db, int64_t user_id, int64_t id, int64_t now,
                             int64_t *count) GH_MUST_USE;
/* The revocation counters a cached principal is checked against (migration 010): the global one
 * (roles, group roles, groups, tenants) and its user's (the user's row, links, sessions and
 * tokens). Every write that changes what a principal is made of moves one of them, in its own
 * transaction (the triggers of migration 010), so equal counters in a later snapshot mean the
 * principal read with them is still what the database says. expires_at: the token's (0: never). */
typedef struct gh_auth_stamp {
    int64_t global, user, expires_at;
} gh_auth_stamp;
/* The counters of user_id in the current snapshot into out (expires_at untouched). */
gh_err gh_store_auth_epochs(gh_db *db, int64_t user_id, gh_auth_stamp *out) GH_MUST_USE;
/* Loads the principal behind a token hash; GH_EUNAUTH when the token is unknown or expired or the
 * user cannot act (not active, login disabled, banned). *stamp (may be NULL) receives the
 * counters read in the same statement and the token's expiry. */
gh_err gh_store_principal_by_token(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                                   gh_principal *out, gh_auth_stamp *stamp) GH_MUST_USE;
/* Loads a user's principal (permissions, scope) whatever its status. */
gh_err gh_store_principal_by_user(gh_db *db, gh_arena *a, int64_t user_id,
                                  gh_principal *out) GH_MUST_USE;

/* Sessions: server-side, found by the hash of the cookie's token (gh_session: model/model.h). */
gh_err gh_store_session_insert(gh_db *db, const gh_session *s, const char *hash,
                               int64_t *id) GH_MUST_USE;
/* The session behind hash and its user's principal. GH_EUNAUTH when unknown, idle since before
 * idle_cutoff, past its absolute expiry, or when its user cannot act (not active, login disabled,
 * banned). *stamp (may be NULL) receives the revocation counters read in the same statement. */
gh_err gh_store_session_auth(gh_db *db, gh_arena *a, const char *hash, int64_t now,
                             int64_t idle_cutoff, gh_session *s, gh_principal *p,
                             gh_auth_stamp *stamp) GH_MUST_USE;
gh_err gh_store_session_touch(gh_db *db, int64_t id, int64_t now) GH_MUST_USE;
gh_err gh_store_session_set_stage(gh_db *db, int64_t id, gh_signin_stage stage) GH_MUST_USE;
/* Deletes one session of the user (id > 0), all of them (id == 0) or all but keep_id (id < 0,
 * keep_id = -id). *count (may be NULL) receives how many went. */
gh_err gh_store_session_delete(gh_db *db, int64_t user_id, int64_t id, int64_t *count) GH_MUST_USE;
gh_err gh_store_session_list(gh_db *db, gh_arena *a, int64_t user_id, int64_t now,
                             int64_t idle_cutoff, gh_session **items, size_t *n) GH_MUST_USE;

gh_err gh_store_credentials(gh_db *db, gh_arena *a, const char *username, int64_t user_id,
                            gh_credentials *out) GH_MUST_USE;
/* The live (not deleted) user whose sso_source is source and whose sso_id is sso_id (exactly);
 * GH_ENOTFOUND when there is none, GH_ECONFLICT when there are several (an SSO ID must name one
 * account: the caller refuses rather than picks). */
gh_err gh_store_credentials_by_sso(gh_db *db, gh_arena *a, const char *source, const char *sso_id,
                                   gh_credentials *out) GH_MUST_USE;
/* The same by id inside a write transaction, holding the row until it ends (FOR UPDATE on
 * PostgreSQL), so that a ban or a disable committed meanwhile by another instance is seen. */
gh_err gh_store_credentials_locked(gh_db *db, gh_arena *a, int64_t user_id,
                                   gh_credentials *out) GH_MUST_USE;
/* Lock-out, one conditional UPDATE each (A4): a failure counts only while the user is not banned;
 * the max_failures-th consecutive one bans until now + ban_seconds and restarts the count.
 * *banned_now says whether this failure imposed the ban. */
gh_err gh_store_login_failed(gh_db *db, int64_t user_id, int64_t now, int max_failures,
                             int64_t ban_seconds, bool *banned_now) GH_MUST_USE;
gh_err gh_store_login_reset(gh_db *db, int64_t user_id) GH_MUST_USE;
gh_err gh_store_set_last_login(gh_db *db, int64_t user_id, int64_t now) GH_MUST_USE;
/* GH_ENOTFOUND when the user was not banned at now. */
gh_err gh_store_user_unban(gh_db *db, int64_t user_id, int64_t now) GH_MUST_USE;
gh_err gh_store_set_must_change(gh_db *db, int64_t user_id, bool must_change) GH_MUST_USE;

/* Two-factor state. */
gh_err gh_store_totp_pending(gh_db *db, int64_t user_id, const char *sealed) GH_MUST_USE;
/* Moves the pending secret to the active one (enrolled), at last_step. */
gh_err gh_store_totp_confirm(gh_db *db, int64_t user_id, int64_t last_step) GH_MUST_USE;
/* Compare-and-set of the last accepted step: GH_ECONFLICT when another request used it first. */
gh_err gh_store_totp_advance(gh_db *db, int64_t user_id, int64_t old_step,
                             int64_t new_step) GH_MUST_USE;
/* Forgets the device and the recovery codes (Refresh two-factor). */
gh_err gh_store_totp_clear(gh_db *db, int64_t user_id) GH_MUST_USE;
/* Turns the user's own two-factor requirement on (after reset-MFA of an enrolled user). */
gh_err gh_store_set_mfa_required(gh_db *db, int64_t user_id) GH_MUST_USE;
gh_err gh_store_recovery_replace(gh_db *db, int64_t user_id, const char *const *hashes,
                                 size_t n) GH_MUST_USE;
/* Marks an unused code used; GH_ENOTFOUND when there is none with that hash. */
gh_err gh_store_recovery_use(gh_db *db, int64_t user_id, const char *hash, int64_t now) GH_MUST_USE;

/* Mail: the outbox and the single-use links (onboarding, password reset) that messages carry.
 * A token is minted by the sender when it sends the message; only its hash is stored. */
typedef struct gh_mail {
    int64_t id, user_id, provider_id, attempts, next_attempt_at, created_at, sent_at;
    const char *kind; /* onboarding, password_reset, mfa_enrol, force_reset, mfa_reset */
    const char *to_addr, *to_name, *username, *language, *last_error;
    gh_mail_state state;
    /* read by gh_store_mail_claim: the message's link (link_id 0 when it has none) */
    int64_t link_id, link_ttl;
    gh_link_purpose link_purpose; /* with link_id */
    /* an onboarding message of a user who signs in through single sign-on only: the source's
     * name and button text (then it carries no link); NULL otherwise */
    const char *sso_source, *sso_display_name;
    /* a dormant_warning: when the account will be disabled, and the rule's days; 0 otherwise */
    int64_t dormant_at, dormant_days;
} gh_mail;

typedef struct gh_link {
    int64_t id, user_id, outbox_id, ttl, created_at, sent_at, expires_at, used_at, voided_at;
    gh_link_purpose purpose; /* onboarding or password_reset */
    const char *origin;      /* create, resend, request, copy, dropped */
} gh_link;

/* Queues a message (state m->state; due at m->next_attempt_at; user_id 0 is
 * stored as none). A message written cancelled is never claimed: it stands for a request that
 * must cost what a real one does without sending anything (A6). */
gh_err gh_store_mail_insert(gh_db *db, const gh_mail *m, int64_t *id) GH_MUST_USE;
/* Claims the oldest due queued message for one attempt: counts the attempt and moves its
 * next_attempt_at to now + lease so that no other sender takes it meanwhile. GH_ENOTFOUND when
 * nothing is due. Run it in a write transaction. */
gh_err gh_store_mail_claim(gh_db *db, gh_arena *a, int64_t now, int64_t lease,
                           gh_mail *out) GH_MUST_USE;
/* Records an attempt's outcome: state sent (sent_at now), failed or cancelled, or queued again
 * until next_attempt_at; error may be NULL. */
gh_err gh_store_mail_finish(gh_db *db, int64_t id, gh_mail_state state, const char *error,
                            int64_t next_attempt_at, int64_t now) GH_MUST_USE;

/* Inserts a link (void at once when l->voided_at is set; user_id 0 is stored as none). */
gh_err gh_store_link_insert(gh_db *db, const gh_link *l, int64_t *id) GH_MUST_USE;
/* Voids every live (unused, not voided) link of the user for purpose. */
gh_err gh_store_link_void(gh_db *db, int64_t user_id, gh_link_purpose purpose,
                          int64_t now) GH_MUST_USE;
/* How many links of purpose (and origin, when not NULL) the user got since `since`, and when the
 * oldest of them was made (0 when none); dropped requests (origin dropped) do not count. */
gh_err gh_store_link_count(gh_db *db, int64_t user_id, gh_link_purpose purpose, const char *origin,
                           int64_t since, int64_t *count, int64_t *oldest) GH_MUST_USE;
/* The link whose token hashes to hash; GH_ENOTFOUND when none. */
gh_err gh_store_link_by_hash(gh_db *db, gh_arena *a, const char *hash, gh_link *out) GH_MUST_USE;
/* Marks a live link used at now (compare-and-set: unused, not voided, not expired); GH_ENOTFOUND
 * when another request used it first or it is no longer live. */
gh_err gh_store_link_use(gh_db *db, int64_t id, int64_t now) GH_MUST_USE;
/* Sets a live link's token hash for a delivery attempt at now (expiring at now + ttl); any
 * earlier token of it stops working. GH_ENOTFOUND when the link is used or voided. */
gh_err gh_store_link_mint(gh_db *db, int64_t id, const char *hash, int64_t now) GH_MUST_USE;
/* The message of outbox_id was delivered at now: the link's lifetime runs from now. */
/* A copied link (no e-mail): its token hash, and sent (handed over) now. */
gh_err gh_store_link_handed(gh_db *db, int64_t id, const char *hash, int64_t now) GH_MUST_USE;
gh_err gh_store_link_sent(gh_db *db, int64_t outbox_id, int64_t now) GH_MUST_USE;
/* Active users with this e-mail address (case-insensitive), at most max of them. */
gh_err gh_store_users_by_email(gh_db *db, gh_arena *a, const char *email, size_t max,
                               gh_user **items, size_t *n) GH_MUST_USE;

/* Set-up links (core/setup.h): while no account exists, the link at which the operator creates
 * the first administrator. Only the token's hash is stored. */
typedef struct gh_setup_link {
    int64_t id, created_at, expires_at, used_at, voided_at; /* times: 0 when not yet */
    int64_t user_id;                                        /* the administrator it created */
} gh_setup_link;

/* Voids every live set-up link at now and adds one for the token of hash, expiring at
 * expires_at; *id gets it. Run it in a transaction. */
gh_err gh_store_setup_replace(gh_db *db, const char *hash, int64_t now, int64_t expires_at,
                              int64_t *id) GH_MUST_USE;
/* The set-up link whose token hashes to hash; GH_ENOTFOUND when none. */
gh_err gh_store_setup_by_hash(gh_db *db, const char *hash, gh_setup_link *out) GH_MUST_USE;
/* Uses link id at now for the new administrator user_id, in the transaction that inserted it
 * (compare-and-set: unused, not voided, not expired, and no account exists but user_id);
 * GH_ENOTFOUND when any of that fails, e.g. a parallel request used it first. */
gh_err gh_store_setup_use(gh_db *db, int64_t id, int64_t user_id, int64_t now) GH_MUST_USE;

/* For the rules of grants (core/rights.c), store/grants.c. The tenants of kind under provider_id,
 * whoever reads (core filters them), by name, at most limit. */
gh_err gh_store_tenants_of_provider(gh_db *db, gh_arena *a, int64_t provider_id,
                                    gh_tenant_kind kind, int limit, gh_tenant **items,
                                    size_t *n) GH_MUST_USE;
/* The principals (permissions, scope) of the users ids[0..n) whatever their status, in one
 * query: out[i] and found[i] for ids[i]. */
gh_err gh_store_principals_of(gh_db *db, gh_arena *a, const int64_t *ids, size_t n,
                              gh_principal *out, bool *found) GH_MUST_USE;
/* The name of a tenant, role or group, or a user's username (*name in a); GH_ENOTFOUND when
 * there is no such row. */
gh_err gh_store_name_of(gh_db *db, gh_arena *a, gh_store_named what, int64_t id,
                        const char **name) GH_MUST_USE;
/* The other way, for an import: the id of the tenant named name under the parent owner (0: a
 * service provider), or of the role or group named name of provider owner or global (0: global
 * only), or of the user of that username in provider owner. GH_ENOTFOUND when none has it,
 * GH_ECONFLICT when two do (a role or group of the provider and a global one of that name). */
gh_err gh_store_id_by_name(gh_db *db, gh_store_named what, const char *name, int64_t owner,
                           int64_t *id) GH_MUST_USE;

/* ---- SCIM 2.0 (issue 15) ----
 * A filter of GET /scim/v2/Users as a tree (parsed by core/scim_filter.c): comparisons of one
 * mapped attribute with one value, joined by and, or, not. store/scim.c turns it into bound
 * parameters through the query builder, never into SQL text. At most GH_SCIM_FILTER_MAX_CMP
 * comparisons (each binds at most one parameter). */
#define GH_SCIM_FILTER_MAX_CMP 16
typedef enum {
    GH_SF_AND,
    GH_SF_OR,
    GH_SF_NOT,
    GH_SF_CMP,
    GH_SF_CONST, /* true (num 1) or false: what a user's one e-mail is (type work, primary) */
} gh_scim_node;
typedef enum {
    GH_SA_ID,
    GH_SA_USERNAME,
    GH_SA_EXTERNAL_ID,
    GH_SA_EMAIL,         /* emails.value (emails, emails[...].value) */
    GH_SA_GIVEN_NAME,    /* name.givenName */
    GH_SA_FAMILY_NAME,   /* name.familyName */
    GH_SA_ACTIVE,        /* boolean */
    GH_SA_CREATED,       /* meta.created: a time */
    GH_SA_LAST_MODIFIED, /* meta.lastModified: a time */
    GH_SA_GROUP,         /* a user's groups.value: a group id */
    GH_SA_GROUP_ID,      /* a group's id */
    GH_SA_DISPLAY_NAME,  /* a group's displayName */
    GH_SA_MEMBER,        /* a group's members.value: a user id */
} gh_scim_attr;
typedef enum {
    GH_SO_EQ,
    GH_SO_NE,
    GH_SO_CO,
    GH_SO_SW,
    GH_SO_EW,
    GH_SO_PR,
    GH_SO_GT,
    GH_SO_GE,
    GH_SO_LT,
    GH_SO_LE,
} gh_scim_op;
typedef struct gh_scim_filter {
    gh_scim_node node;
    gh_scim_attr attr; /* GH_SF_CMP */
    gh_scim_op op;
    const char *text; /* string attributes; lower-cased by the parser unless externalId */
    int64_t num;      /* ids, times (Unix seconds), booleans (0/1) */
    const struct gh_scim_filter *l, *r; /* AND, OR: both; NOT: l */
} gh_scim_filter;

/* Users in viewer's scope and not deleted that f (NULL: every one) matches, by id: at most
 * count from the offset-th (0-based) into items (a), and *total the matches counted up to
 * cap + 1. */
gh_err gh_store_scim_users(gh_db *db, gh_arena *a, const gh_principal *viewer,
                           const gh_scim_filter *f, int64_t offset, int count, int64_t cap,
                           gh_user **items, size_t *n, int64_t *total) GH_MUST_USE;

/* The ids of provider_id's own groups that f (NULL: every one; its attributes a group's) matches,
 * by id: at most count from the offset-th into ids (a), and *total up to cap + 1. A members.value
 * comparison sees only the members viewer sees. */
gh_err gh_store_scim_groups(gh_db *db, gh_arena *a, const gh_principal *viewer, int64_t provider_id,
                            const gh_scim_filter *f, int64_t offset, int count, int64_t cap,
                            int64_t **ids, size_t *n, int64_t *total) GH_MUST_USE;

/* SCIM clients (model.h). Insert writes its roles and accounts; get and list read live clients
 * only (revoked_at 0), list those of provider_id (0: all) by id after after_id, at most limit;
 * revoke gives GH_ENOTFOUND when no live client has that id. */
gh_err gh_store_scim_client_insert(gh_db *db, const gh_scim_client *c, const char *token_hash,
                                   int64_t *id) GH_MUST_USE;
gh_err gh_store_scim_client_get(gh_db *db, gh_arena *a, int64_t id,
                                gh_scim_client *out) GH_MUST_USE;
gh_err gh_store_scim_client_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                                 int64_t after_id, gh_scim_client **items, size_t *n) GH_MUST_USE;
gh_err gh_store_scim_client_revoke(gh_db *db, int64_t id, int64_t now) GH_MUST_USE;
/* The live client whose token hashes to hash and its creator's principal (active, login
 * enabled); GH_EUNAUTH otherwise. Only reads. */
gh_err gh_store_scim_client_auth(gh_db *db, gh_arena *a, const char *hash, gh_scim_client *client,
                                 gh_principal *creator) GH_MUST_USE;

/* Webhook subscriptions and their deliveries (model.h; the deliveries are the mail outbox's twin,
 * claimed the same way). list gives those of provider_id (-1: every provider's) by id after
 * after_id, at most limit; delete removes the subscription and its deliveries (GH_ENOTFOUND when
 * there is none). matching gives the ids of the enabled subscriptions of provider_id (0: the
 * platform's) that take event, at most max. */
gh_err gh_store_webhook_insert(gh_db *db, const gh_webhook *w, int64_t *id) GH_MUST_USE;
gh_err gh_store_webhook_get(gh_db *db, gh_arena *a, int64_t id, gh_webhook *out) GH_MUST_USE;
gh_err gh_store_webhook_list(gh_db *db, gh_arena *a, int64_t provider_id, int limit,
                             int64_t after_id, gh_webhook **items, size_t *n) GH_MUST_USE;
gh_err gh_store_webhook_delete(gh_db *db, int64_t id) GH_MUST_USE;
/* Writes w's url, events and enabled (GH_ENOTFOUND when there is no such subscription). */
gh_err gh_store_webhook_update(gh_db *db, const gh_webhook *w) GH_MUST_USE;
/* How many subscriptions provider_id (0: the platform) has. */
gh_err gh_store_webhook_count(gh_db *db, int64_t provider_id, int64_t *n) GH_MUST_USE;
gh_err gh_store_webhook_matching(gh_db *db, gh_arena *a, int64_t provider_id, const char *event,
                                 size_t max, int64_t **ids, size_t *n) GH_MUST_USE;
gh_err gh_store_delivery_insert(gh_db *db, const gh_webhook_delivery *d, int64_t *id) GH_MUST_USE;
gh_err gh_store_delivery_get(gh_db *db, gh_arena *a, int64_t id,
                             gh_webhook_delivery *out) GH_MUST_USE;
/* The newest deliveries of a subscription first, at most limit. */
gh_err gh_store_delivery_list(gh_db *db, gh_arena *a, int64_t webhook_id, int limit,
                              gh_webhook_delivery **items, size_t *n) GH_MUST_USE;
/* Queues delivery id again at once with its attempts counted from zero. */
gh_err gh_store_delivery_resend(gh_db *db, int64_t id, int64_t now) GH_MUST_USE;
/* Claims a due delivery for lease seconds (counting the attempt) and gives its subscription's URL
 * and sealed secret; GH_ENOTFOUND when none is due. Several senders never take one row. */
gh_err gh_store_delivery_claim(gh_db *db, gh_arena *a, int64_t now, int64_t lease,
                               gh_webhook_delivery *out, const char **url,
                               const char **secret_sealed) GH_MUST_USE;
/* Records an attempt: state, the HTTP status (0: none), the error (NULL: none), when to try
 * again (while queued). */
gh_err gh_store_delivery_finish(gh_db *db, int64_t id, gh_mail_state state, int64_t status,
                                const char *error, int64_t next_attempt_at,
                                int64_t now) GH_MUST_USE;

/* ---- operations (store/ops.c) ---- */

/* E-mails (*mail) and webhook deliveries (*hooks) queued for delivery, due or not. */
gh_err gh_store_outbox_depth(gh_db *db, int64_t *mail, int64_t *hooks) GH_MUST_USE;

/* ---- passkeys (store/passkeys.c) ----
 * WebAuthn credentials and ceremonies' challenges; see migration 015. Strings of results in a. */
#define GH_STORE_MAX_PASSKEYS 50 /* listed per user at most (registration refuses more) */
/* GH_ECONFLICT when the credential id is registered already. */
gh_err gh_store_passkey_insert(gh_db *db, const gh_passkey *p, int64_t *id) GH_MUST_USE;
gh_err gh_store_passkey_list(gh_db *db, gh_arena *a, int64_t user_id, gh_passkey **items,
                             size_t *n) GH_MUST_USE;
gh_err gh_store_passkey_by_credential(gh_db *db, gh_arena *a, const char *credential_id,
                                      gh_passkey *out) GH_MUST_USE;
/* GH_ENOTFOUND when user_id has no passkey id. */
gh_err gh_store_passkey_rename(gh_db *db, int64_t user_id, int64_t id,
                               const char *name) GH_MUST_USE;
gh_err gh_store_passkey_delete(gh_db *db, int64_t user_id, int64_t id) GH_MUST_USE;
/* Deletes every passkey of the user; *count (may be NULL) how many. */
gh_err gh_store_passkeys_clear(gh_db *db, int64_t user_id, int64_t *count) GH_MUST_USE;
/* Compare-and-set of the signature counter (and last_used_at): GH_ECONFLICT when another
 * assertion moved it first. */
gh_err gh_store_passkey_used(gh_db *db, int64_t id, int64_t old_count, int64_t new_count,
                             int64_t now) GH_MUST_USE;
/* The user's WebAuthn user handle; fresh becomes it when it has none yet. */
gh_err gh_store_webauthn_handle(gh_db *db, gh_arena *a, int64_t user_id, const char *fresh,
                                const char **out) GH_MUST_USE;
/* The handle or NULL when none was made. */
gh_err gh_store_webauthn_handle_of(gh_db *db, gh_arena *a, int64_t user_id,
                                   const char **out) GH_MUST_USE;
/* Records a challenge (purpose register, signin or passwordless) and drops expired ones. */
gh_err gh_store_challenge_insert(gh_db *db, const char *challenge, const char *purpose,
                                 int64_t session_id, int64_t user_id, int64_t now,
                                 int64_t expires_at) GH_MUST_USE;
/* Spends a challenge: one conditional UPDATE (unused, unexpired, of this purpose and session);
 * GH_ENOTFOUND when there is no such challenge (replayed, expired, another session's). */
gh_err gh_store_challenge_use(gh_db *db, const char *challenge, const char *purpose,
                              int64_t session_id, int64_t now) GH_MUST_USE;
/* Whether service provider provider_id allows password-less sign-in with passkeys. */
gh_err gh_store_passkey_signin_allowed(gh_db *db, int64_t provider_id, bool *out) GH_MUST_USE;
gh_err gh_store_tenant_set_passkey_signin(gh_db *db, int64_t tenant_id, bool on) GH_MUST_USE;

#endif
