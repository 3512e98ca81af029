/* The domain: every rule about users, roles, groups and tenants, with permission, scope and
 * escalation checks. Core never sees HTTP or SQL text; it runs each change and its audit row in
 * one transaction. On failure the context's err_field/err_detail say what to show the client.
 * A gh_ctx belongs to one request (one thread). */
#ifndef GH_CORE_CORE_H
#define GH_CORE_CORE_H

#include "audit/audit.h"
#include "store/store.h"

struct gh_signin_config;
struct gh_mailer;
struct gh_hooks;

typedef struct gh_ctx {
    gh_db *db;
    gh_arena *a;
    const gh_principal *who; /* the acting user; for the CLI, a platform superadmin */
    const char *ip, *request_id;
    int64_t now;
    /* the sign-in settings (core/signin.h), owned by whoever made the context (the server, the
     * CLI) and not changed while it lives; NULL: gh_signin_defaults */
    const struct gh_signin_config *signin;
    /* the outbox's sender (mail/mail.h), kicked after a message is queued, and the site of the
     * links core hands out; NULL: none runs (messages wait), links are paths */
    struct gh_mailer *mail;
    /* single sign-on's outbound policy and key cache (core/sso.h), owned by the program; NULL:
     * none */
    struct gh_sso_env *sso;
    /* the webhook sender (hooks/hooks.h), kicked after a delivery is queued; NULL: none runs
     * (deliveries wait) */
    struct gh_hooks *hooks;
    /* set on failure (gh_fail) */
    const char *err_field;
    const char *err_reason;
    const char *err_detail;
    int64_t retry_after; /* with GH_ERATE: seconds until a retry can succeed (0: unknown) */
    /* every write runs its checks and is rolled back (gh_core_finish): an import's dry run */
    bool dry_run;
} gh_ctx;

/* Records a failure on ctx and returns err. field names what the client got wrong (NULL: the
 * request as a whole); reason says how, as a short snake_case token of the list in README.md
 * ("required", "invalid", "too_long", "taken", ...), given with the field (NULL without one): the
 * answer's errors[].code is "<field>.<reason>" (http/server.c), stable for clients to translate,
 * while detail is the English sentence. The strings must outlive the request (literals or the
 * request's arena). */
gh_err gh_fail(gh_ctx *ctx, gh_err err, const char *field, const char *reason, const char *detail);

/* The principal the CLI acts as. */
gh_principal gh_core_system_principal(void);

/* Users. `in` carries every field (http/ merges a PATCH onto the current record). */
typedef struct gh_user_create {
    gh_user user;
    const char *password; /* NULL: invited (onboarding by e-mail) unless generate */
    bool generate_password;
    /* which of enforce_sso, sso_source and sso_id the request gave; for the others the user's
     * provider's SSO sources give defaults: its only source, the SSO ID its claim names when
     * Gatehouse knows it (email, preferred_username: the username), and enforce_sso on when both
     * are then known */
    bool enforce_sso_given, sso_source_given, sso_id_given;
} gh_user_create;

gh_err gh_core_user_create(gh_ctx *ctx, const gh_user_create *in, gh_user *out,
                           char **generated_password) GH_MUST_USE;
/* A user inside ctx->who's scope, a deleted one included (a tombstone: read-only, every write
 * refuses it as not found); GH_ENOTFOUND otherwise. */
gh_err gh_core_user_get(gh_ctx *ctx, int64_t id, gh_user *out) GH_MUST_USE;
/* By username (the CLI names users so), live users only: GH_ENOTFOUND for an unknown name (no
 * detail set), a user outside ctx->who's scope or a deleted one. Reads only, in
 * the caller's transaction. */
gh_err gh_core_user_by_username(gh_ctx *ctx, const char *username, gh_user *out) GH_MUST_USE;
/* expect_version 0: no If-Match; otherwise GH_EPRECOND when the record changed meanwhile. */
gh_err gh_core_user_update(gh_ctx *ctx, const gh_user *in, int64_t expect_version,
                           gh_user *out) GH_MUST_USE;
/* Disable, delete, force-reset and reset-MFA end every session of the user at once (S4). */
typedef enum {
    GH_USER_DISABLE,
    GH_USER_ENABLE,
    GH_USER_DELETE,
    GH_USER_UNBAN,
    GH_USER_FORCE_RESET,
    GH_USER_RESET_MFA,
} gh_user_action;
gh_err gh_core_user_act(gh_ctx *ctx, int64_t id, gh_user_action action) GH_MUST_USE;
/* Dormant accounts (core/dormant.c): one run over every service provider's rule, as ctx->who
 * (the system principal). Each user is warned or disabled in its own transaction, at most once
 * across instances running at once; the report (in ctx->a) lists what this run did. A failure
 * stops the run and is returned; what was committed before it stays. */
typedef struct gh_dormant_event {
    const char *what; /* "warned", "disabled" or "kept" (the last administrator) */
    int64_t user_id, provider_id;
} gh_dormant_event;
typedef struct gh_dormant_report {
    int64_t warned, disabled, kept;
    gh_dormant_event *events;
    size_t n, cap;
} gh_dormant_report;
gh_err gh_core_dormant_run(gh_ctx *ctx, gh_dormant_report *out) GH_MUST_USE;
/* When a rule of days (0: none) disables u: its inactivity reference + days; 0 when there is no
 * rule or u is not active. */
int64_t gh_core_dormant_at(const gh_user *u, int64_t days);
/* The server's periodic job (core/jobs.c): gh_core_dormant_run every interval_s seconds on a
 * thread with its own connection to db_url, as the system; failures are logged and the next run
 * tries again. signin must outlive the job. gh_core_job_stop wakes it, waits for a run under way
 * and frees it (NULL: nothing). */
typedef struct gh_job gh_job;
struct gh_signin_config;
gh_err gh_core_job_start(const char *db_url, int interval_s, const struct gh_signin_config *signin,
                         gh_job **out) GH_MUST_USE;
void gh_core_job_stop(gh_job *j);
/* Makes the job wait interval_s seconds between runs, counted from now (a reload of serve's
 * configuration). Thread-safe. */
void gh_core_job_set_interval(gh_job *j, int interval_s);
/* at[i]: when the rule of users[i]'s provider disables it (0: none), for the API's dormant_at. */
gh_err gh_core_users_dormant_at(gh_ctx *ctx, const gh_user *users, size_t n,
                                int64_t *at) GH_MUST_USE;
gh_err gh_core_user_list(gh_ctx *ctx, const gh_user_filter *f, gh_user_page *out) GH_MUST_USE;
/* The users list's tab counts for ctx->who (gh_store_user_tallies). */
gh_err gh_core_user_tallies(gh_ctx *ctx, const gh_user_filter *f, int64_t cap, int64_t budget,
                            gh_user_tally *out) GH_MUST_USE;
/* The roles and lock-outs of a list page's users (gh_store_users_extras); users were read in
 * ctx->who's scope. */
gh_err gh_core_users_extras(gh_ctx *ctx, const gh_user *users, size_t n, bool lockout,
                            gh_user_extras *out) GH_MUST_USE;
/* The groups and access tenants of a list page's users (gh_store_users_links); users were read
 * in ctx->who's scope. */
gh_err gh_core_users_links(gh_ctx *ctx, const gh_user *users, size_t n,
                           gh_user_links *out) GH_MUST_USE;
/* The columns of a users CSV file: GET /api/v1/users.csv writes them in this order, an import
 * reads them by name from its header row (any order, any subset with username). status is
 * written, never read: it is read-only, as in the API (a new user is invited). */
#define GH_USER_COLUMNS(X)                                                                         \
    X(GH_COL_USERNAME, "username")                                                                 \
    X(GH_COL_FIRST_NAME, "first_name")                                                             \
    X(GH_COL_LAST_NAME, "last_name")                                                               \
    X(GH_COL_EMAIL, "email")                                                                       \
    X(GH_COL_PHONE, "phone")                                                                       \
    X(GH_COL_LANGUAGE, "language")                                                                 \
    X(GH_COL_TIMEZONE, "timezone")                                                                 \
    X(GH_COL_COUNTRY, "country")                                                                   \
    X(GH_COL_STATUS, "status")                                                                     \
    X(GH_COL_PROVIDER, "provider")                                                                 \
    X(GH_COL_ACCESS, "access")                                                                     \
    X(GH_COL_ACCOUNTS, "accounts")                                                                 \
    X(GH_COL_SUB_ACCOUNTS, "sub_accounts")                                                         \
    X(GH_COL_ROLES, "roles")                                                                       \
    X(GH_COL_GROUPS, "groups")                                                                     \
    X(GH_COL_LOGIN_ENABLED, "login_enabled")                                                       \
    X(GH_COL_MFA_REQUIRED, "mfa_required")                                                         \
    X(GH_COL_ENFORCE_SSO, "enforce_sso")                                                           \
    X(GH_COL_SSO_SOURCE, "sso_source")                                                             \
    X(GH_COL_SSO_ID, "sso_id")
#define GH_COL_ENUM(id, name) id,
typedef enum { GH_USER_COLUMNS(GH_COL_ENUM) GH_COL_COUNT } gh_user_column;
#undef GH_COL_ENUM
extern const char *const gh_user_columns[GH_COL_COUNT];

/* What an import did with one row. */
typedef enum {
    GH_IMPORT_CREATED,
    GH_IMPORT_UPDATED,
    GH_IMPORT_UNCHANGED,
    GH_IMPORT_REFUSED
} gh_import_outcome;
const char *gh_import_outcome_name(gh_import_outcome o);

/* Imports one row: cells[GH_COL_COUNT], each the cell's value (the CSV's apostrophe already
 * removed; lists as util/csv.h writes them), NULL for a column the file does not have. The user
 * of that username inside ctx->who's scope is updated (a column left out keeps its value), or,
 * when there is none, created without a password: invited, with its onboarding e-mail queued in
 * the outbox. Names resolve to the roles, groups and tenants of the user's service provider (and
 * global roles and groups). The row is one transaction through gh_core_user_create or
 * gh_core_user_update, so the same scope, grant and validation rules hold as for the API; with
 * ctx->dry_run it runs them all and keeps nothing. *out: created, updated or unchanged (nothing
 * written); on failure the error, with ctx's field, reason and detail set (a refusal). */
gh_err gh_core_user_import(gh_ctx *ctx, const char *const *cells,
                           gh_import_outcome *out) GH_MUST_USE;

/* Brings data written by an older version up to date after the migrations (today: the users'
 * search columns of migration 009); logs what it did. Once per start, before serving. */
gh_err gh_core_upgrade_data(gh_db *db) GH_MUST_USE;
/* How many users a search may walk (GH_SEARCH_BUDGET_MIN..MAX, store.h); before serving. */
void gh_core_set_search_budget(int rows);
/* A user's live sessions, and ending one (sid > 0) or all (sid == 0) of them. */
gh_err gh_core_user_sessions(gh_ctx *ctx, int64_t id, gh_session **items, size_t *n) GH_MUST_USE;
gh_err gh_core_user_session_revoke(gh_ctx *ctx, int64_t id, int64_t sid) GH_MUST_USE;
/* The permission an action needs. */
uint64_t gh_core_user_action_perm(gh_user_action action);
/* The rights an admin may hold on one user, in the order of allowed_actions. Each is checked
 * by one rule (core/rights.c) that the action itself runs: the permission it needs (resend:
 * every users.* permission), never on a more powerful user (403), disable and delete never on
 * oneself (409), resend only for an invited user (409). */
typedef enum {
    GH_RIGHT_UPDATE,
    GH_RIGHT_DISABLE,
    GH_RIGHT_ENABLE,
    GH_RIGHT_DELETE,
    GH_RIGHT_RESET_MFA,
    GH_RIGHT_FORCE_RESET,
    GH_RIGHT_RESEND,
    GH_RIGHT_UNBAN,
    GH_RIGHT_COUNT
} gh_user_right;
/* The name of a right as the API shows it ("update", "disable", ...). */
const char *gh_user_right_name(gh_user_right right);
/* The rights ctx->who holds on u (a user it has read, in its scope) now: bit i is right i;
 * nothing on a deleted user. Reads only; leaves ctx's error fields as they were. */
gh_err gh_core_user_rights(gh_ctx *ctx, const gh_user *u, unsigned *mask) GH_MUST_USE;
/* The same for users[0..n) (a list page) in one query: masks[i] for users[i]. */
gh_err gh_core_users_rights(gh_ctx *ctx, const gh_user *users, size_t n,
                            unsigned *masks) GH_MUST_USE;

/* The names of what a user refers to: its provider, roles, groups, who created and last changed
 * it (the actors the audit trail names too), and its access's accounts or
 * sub-accounts (access: as many as u->access.ids, account: the account of sub-account access).
 * Arrays parallel the user's id lists. */
typedef struct gh_user_names {
    gh_named provider, account;
    gh_named created_by, updated_by; /* by username (id 0: the CLI, no name) */
    gh_named *roles, *groups, *access;
} gh_user_names;
gh_err gh_core_user_names(gh_ctx *ctx, const gh_user *u, gh_user_names *out) GH_MUST_USE;

/* What ctx->who may grant (GET /api/v1/me/grantable), by the rules the writes run: per service
 * provider it may place users at (id 0: the platform's staff), the access levels, accounts and
 * sub-accounts, roles and groups that a create or an edit would accept. Each list is cut at
 * GH_GRANTABLE_MAX (then partial). Nothing without users.create or users.update. */
#define GH_GRANTABLE_MAX 1000
typedef struct gh_grant_account {
    gh_named account;
    bool at_account; /* account-level access may name it */
    bool sub_all;    /* sub-account access may take all of its sub-accounts */
    gh_named *subs;  /* the sub-accounts sub-account access may name */
    size_t n_subs;
} gh_grant_account;
typedef struct gh_grant_provider {
    gh_named provider;
    bool at_platform, at_provider, accounts_all;
    gh_grant_account *accounts;
    size_t n_accounts;
    gh_role *roles;
    size_t n_roles;
    gh_group *groups;
    size_t n_groups;
} gh_grant_provider;
typedef struct gh_grantable {
    gh_access_level level; /* ctx->who's own */
    gh_named provider;     /* ctx->who's provider (id 0: the platform) */
    gh_named account;      /* at sub-account level, its account (else id 0) */
    gh_grant_provider *providers;
    size_t n;
    bool partial;
} gh_grantable;
/* only: 0 every provider, -1 only the platform's staff, > 0 only that provider (an unknown or
 * unplaceable one gives no entry). */
gh_err gh_core_grantable(gh_ctx *ctx, int64_t only, gh_grantable *out) GH_MUST_USE;

/* Sets the signed-in user's own language and/or timezone (NULL: unchanged); needs no
 * permission, changes nothing else (audit user.update_own). GH_EINVAL naming the field. */
/* The signed-in user's own record and the names of its groups (parallel to out->group_ids), for
 * forward-auth's identity headers. Reads only. */
gh_err gh_core_me_identity(gh_ctx *ctx, gh_user *out, const char ***group_names) GH_MUST_USE;
gh_err gh_core_me_update(gh_ctx *ctx, const char *language, const char *timezone,
                         gh_user *out) GH_MUST_USE;

/* A step that must succeed in the same transaction as an administrator's creation, after the
 * insert (id: the new user), or nothing is created: the set-up link's compare-and-set. */
typedef struct gh_admin_guard {
    gh_err (*check)(gh_ctx *ctx, int64_t id, void *arg);
    void *arg;
} gh_admin_guard;

/* Creates a platform administrator holding every permission, for the CLI's `admin create`
 * (guard NULL) and for the set-up link (core/setup.h): checks username, e-mail and the password
 * policy (GH_EINVAL naming the field), hashes the password on the calling thread, then inserts
 * and audits (admin.create) in one transaction with guard's step. *id on success. */
gh_err gh_core_admin_create(gh_ctx *ctx, const char *username, const char *email,
                            const char *password, const gh_admin_guard *guard,
                            int64_t *id) GH_MUST_USE;
/* API tokens (S11). A token lives GH_TOKEN_DEFAULT_TTL_S unless expires_in says otherwise
 * (seconds > 0, or GH_TOKEN_NEVER); only its hash is kept, and only its id, name and times are
 * ever shown again. */
#define GH_TOKEN_DEFAULT_TTL_S (90 * 86400)
#define GH_TOKEN_NEVER         (-1)
#define GH_TOKEN_LIST_MAX      200
/* Issues a token for a user; *token (arena) is shown once and *id names it. expires_in 0: the
 * default lifetime. */
gh_err gh_core_token_create(gh_ctx *ctx, const char *username, const char *name, int64_t expires_in,
                            char **token, int64_t *id) GH_MUST_USE;
/* Own tokens from the console (S11), for a signed-in session only (a token does not mint
 * tokens): name (blank: GH_EINVAL naming name), a lifetime of days (0: the default 90). The
 * proof of gh_core_reauth unless the account has neither a password nor a device; refused
 * for accounts that must use single sign-on (GH_EFORBIDDEN) and beyond GH_TOKEN_LIST_MAX live
 * tokens (GH_ECONFLICT). Audited as token.create with the proof used. *verify_hash from
 * gh_core_token_reauth_hash: what a given current password is to be verified against. */
gh_err gh_core_token_reauth_hash(gh_ctx *ctx, bool password_given,
                                 const char **verify_hash) GH_MUST_USE;
struct gh_reauth;
gh_err gh_core_token_create_own(gh_ctx *ctx, const struct gh_reauth *re, const char *name,
                                int64_t days, char **token, gh_api_token *out) GH_MUST_USE;
/* The live tokens of user_id: the actor's own (no permission needed), a user inside the actor's
 * scope (GH_ENOTFOUND otherwise), or, with user_id 0, every user's (platform principals only,
 * for the CLI). At most GH_TOKEN_LIST_MAX. */
gh_err gh_core_token_list(gh_ctx *ctx, int64_t user_id, gh_api_token **items,
                          size_t *n) GH_MUST_USE;
/* The same for the user named username, whatever its status (GH_ENOTFOUND naming user for an
 * unknown name), or with username NULL for every user's (as user_id 0). */
gh_err gh_core_token_list_by_username(gh_ctx *ctx, const char *username, gh_api_token **items,
                                      size_t *n) GH_MUST_USE;
/* Revokes (deletes) token_id of user_id, audited as token.revoke with the token's id. The rules
 * of session revoke: own tokens always; another user's inside the actor's scope (404) and only
 * when the actor holds every permission of that user (403). A token of someone else, an expired
 * or unknown one is GH_ENOTFOUND. user_id 0: whoever owns it (platform principals only). */
gh_err gh_core_token_revoke(gh_ctx *ctx, int64_t user_id, int64_t token_id) GH_MUST_USE;
/* Ends what stands for the user's password in the caller's transaction: every session but
 * keep_session_id (0: all), every API token, every pending password-reset link. Called wherever
 * the password changes or the account is disabled, deleted, forced to reset or its two-factor
 * reset (S4, S11). */
gh_err gh_core_end_credentials(gh_ctx *ctx, int64_t user_id, int64_t keep_session_id) GH_MUST_USE;
/* After an edit of a user (in the caller's transaction): turning on enforce_sso or turning off
 * login_enabled ends the user's credentials as above (S11). */
gh_err gh_core_user_edited(gh_ctx *ctx, const gh_user *before, const gh_user *after) GH_MUST_USE;

/* Tenants. */
gh_err gh_core_tenant_create(gh_ctx *ctx, const gh_tenant *in, gh_tenant *out) GH_MUST_USE;
gh_err gh_core_tenant_get(gh_ctx *ctx, int64_t id, gh_tenant *out) GH_MUST_USE;
gh_err gh_core_tenant_rename(gh_ctx *ctx, int64_t id, const char *name, int64_t expect_version,
                             gh_tenant *out) GH_MUST_USE;
/* A change of a tenant: its name (NULL: unchanged) and, for a service provider, its dormant rule
 * (each only when given). At least one; one audit row tenant.update. */
#define GH_DORMANT_MAX_DAYS 3650
typedef struct gh_tenant_change {
    const char *name;
    bool dormant_days_given, dormant_warn_days_given;
    int64_t dormant_days, dormant_warn_days;
    bool passkey_signin_given, passkey_signin; /* password-less sign-in with passkeys */
} gh_tenant_change;
gh_err gh_core_tenant_update(gh_ctx *ctx, int64_t id, const gh_tenant_change *c,
                             int64_t expect_version, gh_tenant *out) GH_MUST_USE;
gh_err gh_core_tenant_delete(gh_ctx *ctx, int64_t id) GH_MUST_USE;

/* Roles. */
gh_err gh_core_role_create(gh_ctx *ctx, const gh_role *in, gh_role *out) GH_MUST_USE;
gh_err gh_core_role_get(gh_ctx *ctx, int64_t id, gh_role *out) GH_MUST_USE;
gh_err gh_core_role_update(gh_ctx *ctx, const gh_role *in, int64_t expect_version,
                           gh_role *out) GH_MUST_USE;
gh_err gh_core_role_delete(gh_ctx *ctx, int64_t id) GH_MUST_USE;

/* Groups. */
gh_err gh_core_group_create(gh_ctx *ctx, const gh_group *in, gh_group *out) GH_MUST_USE;
gh_err gh_core_group_get(gh_ctx *ctx, int64_t id, gh_group *out) GH_MUST_USE;
gh_err gh_core_group_update(gh_ctx *ctx, const gh_group *in, int64_t expect_version,
                            gh_group *out) GH_MUST_USE;
gh_err gh_core_group_delete(gh_ctx *ctx, int64_t id) GH_MUST_USE;

/* SSO sources (C10): each bound to one service provider (provider_id 0: the platform's staff).
 * The platform manages any; a provider-level admin only its own provider's, and sees no other
 * (GH_ENOTFOUND, as for an id that does not exist); lower levels none. Every field is checked
 * (GH_EINVAL naming it); the client secret is sealed with the secret key (ctx->signin; none
 * configured: GH_EINTERNAL) and never returned or audited. Each write is audited
 * (sso_source.create, .update, .delete) in its transaction. Lengths in characters. */
#define GH_SSO_NAME_MAX          63
#define GH_SSO_DISPLAY_NAME_MAX  100
#define GH_SSO_ISSUER_MAX        1024
#define GH_SSO_CLIENT_ID_MAX     255
#define GH_SSO_CLIENT_SECRET_MAX 512
#define GH_SSO_SCOPES_MAX        1000
#define GH_SSO_CLAIM_MAX         64
#define GH_SSO_PUBLIC_MAX        200 /* sources on the sign-in page */
#define GH_SSO_DEFAULT_SCOPES    "openid email profile"
#define GH_SSO_DEFAULT_CLAIM     "sub"

/* A create or an update: source carries every field (http/ merges a PATCH onto the current
 * record; scopes or claim NULL: the defaults). */
typedef struct gh_sso_write {
    gh_sso_source source;
    const char *client_secret; /* required to create; NULL on update keeps the stored one */
    bool provider_given;       /* create: provider_id was given (else: the actor's own) */
} gh_sso_write;

gh_err gh_core_sso_create(gh_ctx *ctx, const gh_sso_write *in, gh_sso_source *out) GH_MUST_USE;
gh_err gh_core_sso_get(gh_ctx *ctx, int64_t id, gh_sso_source *out) GH_MUST_USE;
/* in->source.id names the source; its name and provider cannot change (GH_EINVAL).
 * expect_version 0: no If-Match; otherwise GH_EPRECOND when the source changed meanwhile. */
gh_err gh_core_sso_update(gh_ctx *ctx, const gh_sso_write *in, int64_t expect_version,
                          gh_sso_source *out) GH_MUST_USE;
gh_err gh_core_sso_delete(gh_ctx *ctx, int64_t id) GH_MUST_USE;
/* The sources ctx->who sees, by id (provider_id as for gh_core_role_list: 0 no filter, -1 the
 * platform's only). */
gh_err gh_core_sso_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                        gh_sso_source **items, size_t *n) GH_MUST_USE;
/* The sources by display name, at most GH_SSO_PUBLIC_MAX, for the sign-in page and the user
 * form's picker: of provider_id (> 0), of the platform (-1) or all (0). Needs no principal
 * (ctx->who may be NULL); show only their name and display name. */
gh_err gh_core_sso_public(gh_ctx *ctx, int64_t provider_id, gh_sso_source **items,
                          size_t *n) GH_MUST_USE;

/* Webhooks (issue 16, C10; core/webhooks.c). A subscription is bound to one service provider
 * (provider_id 0: the platform's staff) and receives the events of that provider's users only.
 * Managed as SSO sources are: the platform any, a provider-level admin its own provider's (others
 * answer GH_ENOTFOUND), lower levels none. The URL must be https (http only to a loopback host);
 * whether the server may call a loopback or private address is the sender's setting, checked at
 * each delivery (SECURITY I13). The secret ("whsec_" and the base64 of GH_WEBHOOK_SECRET_BYTES
 * random bytes) is made here, given once in *secret (arena) and stored sealed with the secret key
 * (none configured: GH_EINTERNAL). Audited webhook.create, .update, .delete, .resend. */
#define GH_WEBHOOK_EVENTS(X)                                                                       \
    X("user.created")                                                                              \
    X("user.updated")                                                                              \
    X("user.disabled")                                                                             \
    X("user.enabled")                                                                              \
    X("user.deleted")                                                                              \
    X("user.banned")                                                                               \
    X("user.unbanned")                                                                             \
    X("user.signed_in")
#define GH_WEBHOOK_URL_MAX      2048
#define GH_WEBHOOK_SECRET_BYTES 24
#define GH_WEBHOOK_PER_PROVIDER 20 /* subscriptions of one provider (more: GH_ECONFLICT) */
#define GH_WEBHOOK_DELIVERIES   50 /* shown per subscription, newest first */

typedef struct gh_webhook_write {
    int64_t provider_id;
    bool provider_given; /* else: the actor's own */
    const char *url;     /* update: NULL keeps it */
    const char *const *events;
    size_t n_events;
    bool events_given;           /* update: else the events stay */
    bool enabled, enabled_given; /* update: else it stays as it is */
} gh_webhook_write;

gh_err gh_core_webhook_create(gh_ctx *ctx, const gh_webhook_write *in, gh_webhook *out,
                              char **secret) GH_MUST_USE;
gh_err gh_core_webhook_get(gh_ctx *ctx, int64_t id, gh_webhook *out) GH_MUST_USE;
/* provider_id as for gh_core_sso_list: 0 no filter, -1 the platform's only. */
gh_err gh_core_webhook_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                            gh_webhook **items, size_t *n) GH_MUST_USE;
/* Changes the URL, the events or enabled of subscription id (a disabled one receives nothing);
 * its provider and secret cannot change. Audited webhook.update. */
gh_err gh_core_webhook_update(gh_ctx *ctx, int64_t id, const gh_webhook_write *in,
                              gh_webhook *out) GH_MUST_USE;
gh_err gh_core_webhook_delete(gh_ctx *ctx, int64_t id) GH_MUST_USE;
/* The last GH_WEBHOOK_DELIVERIES deliveries of a subscription ctx->who sees, newest first. */
gh_err gh_core_webhook_deliveries(gh_ctx *ctx, int64_t id, gh_webhook_delivery **items,
                                  size_t *n) GH_MUST_USE;
/* Queues delivery did of subscription id again now, its attempts counted afresh (a queued one
 * is tried at once; its webhook-id stays, so that a receiver drops a copy it already has). */
gh_err gh_core_webhook_resend(gh_ctx *ctx, int64_t id, int64_t did) GH_MUST_USE;
/* In the caller's transaction: one delivery of event (a name of GH_WEBHOOK_EVENTS) about u for
 * each enabled subscription of u's provider that takes it. The payload is
 * {"type", "timestamp", "data": u as the API shows it (the audit's snapshot: no secret)}. */
gh_err gh_core_emit(gh_ctx *ctx, const char *event, const gh_user *u) GH_MUST_USE;
/* The same for user user_id of provider provider_id, read only when a subscription wants it. */
gh_err gh_core_emit_id(gh_ctx *ctx, const char *event, int64_t provider_id,
                       int64_t user_id) GH_MUST_USE;

/* SCIM clients (issue 15, C10; core/scim.c). Managed by whoever manages their provider (the
 * platform, or that provider's admins; others see none and get GH_ENOTFOUND), as SSO sources.
 * Create: in->name, provider_id (a service provider), access (PROVIDER, or ACCOUNT with all or
 * the provider's accounts) and role_ids (the provider's or global, each grantable by ctx->who,
 * no Platform User role), GH_EINVAL naming the field or GH_EFORBIDDEN for a role beyond
 * ctx->who's rights; ctx->who becomes its creator (the CLI must act as a named user). *token
 * (arena) is shown once; only its hash is stored. Audited scim_client.create / .revoke. */
gh_err gh_core_scim_client_create(gh_ctx *ctx, const gh_scim_client *in, char **token,
                                  gh_scim_client *out) GH_MUST_USE;
gh_err gh_core_scim_client_get(gh_ctx *ctx, int64_t id, gh_scim_client *out) GH_MUST_USE;
/* provider_id 0: every client ctx->who sees. */
gh_err gh_core_scim_client_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                                gh_scim_client **items, size_t *n) GH_MUST_USE;
gh_err gh_core_scim_client_revoke(gh_ctx *ctx, int64_t id) GH_MUST_USE;
/* The principal behind a SCIM client's token: its creator's (active, login enabled, still
 * managing the client's provider; GH_EUNAUTH otherwise) with its effective permissions, never a
 * superadmin, a platform creator narrowed to provider access of the client's provider, and
 * named "scim:<client name>" for the audit trail. *client gets the client. Only reads; no
 * cache: every request reads the client and its creator again (C5). */
gh_err gh_scim_authenticate(gh_db *db, gh_arena *a, const char *token, gh_scim_client *client,
                            gh_principal *out) GH_MUST_USE;
/* The CLI's `scim add --user U`: the principal of the active user U (GH_EINVAL naming user
 * otherwise), for ctx->who while it creates a client that acts with U's rights. */
gh_err gh_core_scim_creator(gh_ctx *ctx, const char *username, gh_principal *out) GH_MUST_USE;
/* Sets what a user created by c gets: c's provider, default access and roles, login enabled. */
void gh_core_scim_user_defaults(const gh_scim_client *c, gh_user *u);
/* GET /scim/v2/Users: live users of ctx->who's scope matching f (NULL: all), by id, count from
 * offset; *total counts matches up to GH_SCIM_TOTAL_CAP + 1. */
#define GH_SCIM_TOTAL_CAP 10000
gh_err gh_core_scim_users(gh_ctx *ctx, const gh_scim_filter *f, int64_t offset, int count,
                          gh_user **items, size_t *n, int64_t *total) GH_MUST_USE;
/* GET /scim/v2/Groups: the groups of the client's provider (provider_id; global groups are no
 * SCIM group) matching f, by id, count from offset: ids, *total as above. */
gh_err gh_core_scim_groups(gh_ctx *ctx, int64_t provider_id, const gh_scim_filter *f,
                           int64_t offset, int count, int64_t **ids, size_t *n,
                           int64_t *total) GH_MUST_USE;
/* Parses a SCIM filter (RFC 7644 3.4.2.2) over the attributes gh_scim_attr maps for res (a
 * user's, or a group's: id, displayName, members.value): attrPath op value, "pr", and, or, not,
 * parentheses, and a value path emails[type eq "work"] (its filter constrains nothing Gatehouse
 * stores apart: a user has one e-mail) or members[value eq "7"]. Operators: eq ne co sw ew pr on
 * strings (case-insensitively but for externalId); eq ne pr on active (a JSON boolean); eq ne gt
 * ge lt le pr on id, meta.created and meta.lastModified (RFC 3339 times); eq ne pr on
 * groups.value and members.value (ids). *out in a;
 * false with *detail (a literal or in a) on malformed input, an unknown attribute or operator,
 * or more than GH_SCIM_FILTER_MAX_CMP comparisons. Thread-safe. */
#define GH_SCIM_FILTER_MAX_BYTES 2048
typedef enum { GH_SCIM_USERS, GH_SCIM_GROUPS } gh_scim_resource;
bool gh_scim_filter_parse(gh_arena *a, gh_scim_resource res, const char *text,
                          const gh_scim_filter **out, const char **detail) GH_MUST_USE;

/* Lists within ctx->who's scope, paged by id (after_id: the last id of the previous page). A
 * provider_id of -1 means global rows only, 0 no provider filter; kind NULL: tenants of any kind.
 */
gh_err gh_core_tenant_list(gh_ctx *ctx, int64_t parent_id, const gh_tenant_kind *kind, int limit,
                           int64_t after_id, gh_tenant **items, size_t *n) GH_MUST_USE;
gh_err gh_core_role_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                         gh_role **items, size_t *n) GH_MUST_USE;
gh_err gh_core_group_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                          gh_group **items, size_t *n) GH_MUST_USE;
/* Newest first; f->before_id pages. Each row gets actor_name, target_name and target_visible as
 * ctx->who may read them (the permission of the kind and its scope; else the name the row's own
 * snapshot gives, for an object gone or out of scope), one query per kind for the page, in the
 * caller's transaction. */
gh_err gh_core_audit_list(gh_ctx *ctx, const gh_audit_filter *f, gh_audit_entry **items,
                          size_t *n) GH_MUST_USE;

/* Writes an audit row for a change made in the caller's transaction, acting as ctx->who: before
 * and after are typed snapshots (GH_AUDIT_OF_USER(&u)...), a detail (GH_AUDIT_DETAIL_OF(...)) or
 * GH_AUDIT_NOTHING; audit/ serialises them. */
gh_err gh_core_audit(gh_ctx *ctx, gh_audit_action action, const char *target_type,
                     int64_t target_id, int64_t target_user_id, int64_t provider_id,
                     gh_audit_obj before, gh_audit_obj after) GH_MUST_USE;
/* Records a denied authorization in its own transaction (best effort). */
void gh_core_audit_denied(gh_ctx *ctx, const char *action);

#endif
