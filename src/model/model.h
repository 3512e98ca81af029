/* The domain's vocabulary: the types every module speaks (users, roles, groups, tenants, access,
 * principals, sessions), the states they are in as enums, and the permission catalogue. The
 * bottom of the domain: no I/O, no JSON, no SQL; it includes only util/ headers, so store/,
 * audit/, core/ and http/ can all build on it (scripts/check-layering keeps it a leaf). Each
 * state list is an X-macro that generates its enum and a name/parse pair (the strings the
 * database columns and the API carry); store/ and http/ convert at their edges and nothing else
 * compares these states as strings. The outbox's message kinds stay strings: each names its
 * mail template. Thread-safe (constant data). */
#ifndef GH_MODEL_MODEL_H
#define GH_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ---- states: X(enumerator, name as stored and shown) ---- */

/* The level a user's access is granted at (gh_access). */
#define GH_ACCESS_LEVELS(X)                                                                        \
    X(GH_ACCESS_PLATFORM, "platform")                                                              \
    X(GH_ACCESS_PROVIDER, "provider")                                                              \
    X(GH_ACCESS_ACCOUNT, "account")                                                                \
    X(GH_ACCESS_SUB_ACCOUNT, "sub_account")

/* A stored user status. "banned" is not one: it is an active user whose banned_until lies ahead
 * (a list filter value of store/, see gh_user_filter). */
#define GH_USER_STATUSES(X)                                                                        \
    X(GH_STATUS_INVITED, "invited")                                                                \
    X(GH_STATUS_ACTIVE, "active")                                                                  \
    X(GH_STATUS_DISABLED, "disabled")                                                              \
    X(GH_STATUS_DELETED, "deleted")

/* The steps of a sign-in in their only order (core/signin.c); a session is at one of them. */
#define GH_SIGNIN_STAGES(X)                                                                        \
    X(GH_STAGE_PASSWORD, "password")                                                               \
    X(GH_STAGE_TOTP, "totp")                                                                       \
    X(GH_STAGE_WEBAUTHN, "webauthn")                                                               \
    X(GH_STAGE_CHANGE_PASSWORD, "change_password")                                                 \
    X(GH_STAGE_ENROLL_TOTP, "enroll_totp")                                                         \
    X(GH_STAGE_DONE, "done")

/* The tenant tree: a provider owns platform accounts, an account owns sub-accounts. */
#define GH_TENANT_KINDS(X)                                                                         \
    X(GH_TENANT_SERVICE_PROVIDER, "service_provider")                                              \
    X(GH_TENANT_PLATFORM_ACCOUNT, "platform_account")                                              \
    X(GH_TENANT_SUB_ACCOUNT, "sub_account")

/* A role's kind: the access level it grants. */
#define GH_ROLE_KINDS(X)                                                                           \
    X(GH_ROLE_SERVICE_PROVIDER, "service_provider")                                                \
    X(GH_ROLE_PLATFORM_ACCOUNT, "platform_account")                                                \
    X(GH_ROLE_PLATFORM_USER, "platform_user")

/* What a single-use link is for: the e-mailed onboarding and password-reset links (user_links)
 * and the first administrator's set-up link (its own table). */
#define GH_LINK_PURPOSES(X)                                                                        \
    X(GH_LINK_ONBOARDING, "onboarding")                                                            \
    X(GH_LINK_PASSWORD_RESET, "password_reset")                                                    \
    X(GH_LINK_SETUP, "setup")

/* Where a link stands for whoever opens it: usable, used once already, replaced by a newer one
 * (or, for set-up, made moot by an account), or past its lifetime. Derived, never stored. */
#define GH_LINK_STATES(X)                                                                          \
    X(GH_LINK_PENDING, "pending")                                                                  \
    X(GH_LINK_USED, "used")                                                                        \
    X(GH_LINK_VOID, "void")                                                                        \
    X(GH_LINK_EXPIRED, "expired")

/* An outbox message: queued (also between attempts) until sent, failed once its attempts are
 * used up, or cancelled (superseded, or written cancelled to stand for a dropped request). */
#define GH_MAIL_STATES(X)                                                                          \
    X(GH_MAIL_QUEUED, "queued")                                                                    \
    X(GH_MAIL_SENT, "sent")                                                                        \
    X(GH_MAIL_FAILED, "failed")                                                                    \
    X(GH_MAIL_CANCELLED, "cancelled")

#define GH_MODEL_ENUM(id, name) id,
typedef enum { GH_ACCESS_LEVELS(GH_MODEL_ENUM) } gh_access_level;
typedef enum { GH_USER_STATUSES(GH_MODEL_ENUM) } gh_user_status;
typedef enum { GH_SIGNIN_STAGES(GH_MODEL_ENUM) } gh_signin_stage;
typedef enum { GH_TENANT_KINDS(GH_MODEL_ENUM) } gh_tenant_kind;
typedef enum { GH_ROLE_KINDS(GH_MODEL_ENUM) } gh_role_kind;
typedef enum { GH_LINK_PURPOSES(GH_MODEL_ENUM) } gh_link_purpose;
typedef enum { GH_LINK_STATES(GH_MODEL_ENUM) } gh_link_state;
typedef enum { GH_MAIL_STATES(GH_MODEL_ENUM) } gh_mail_state;
#undef GH_MODEL_ENUM

/* The name of a value (a constant string; "?" for a value outside the list, never NULL), and the
 * value of a name: parse writes *out and returns true only when s (may be NULL) is exactly one
 * of the names; otherwise *out is left alone. */
#define GH_MODEL_CONVERTERS(type)                                                                  \
    const char *type##_name(type v);                                                               \
    bool type##_parse(const char *s, type *out) GH_MUST_USE;
GH_MODEL_CONVERTERS(gh_access_level)
GH_MODEL_CONVERTERS(gh_user_status)
GH_MODEL_CONVERTERS(gh_signin_stage)
GH_MODEL_CONVERTERS(gh_tenant_kind)
GH_MODEL_CONVERTERS(gh_role_kind)
GH_MODEL_CONVERTERS(gh_link_purpose)
GH_MODEL_CONVERTERS(gh_link_state)
GH_MODEL_CONVERTERS(gh_mail_state)
#undef GH_MODEL_CONVERTERS

/* ---- types ---- */

typedef struct gh_ids {
    int64_t *v;
    size_t n;
} gh_ids;

/* Where a user may act. PLATFORM: the operator's own staff, everything. PROVIDER: all of
 * provider_id. ACCOUNT: `all` accounts of the provider or the accounts in ids. SUB_ACCOUNT: under
 * account_id, `all` its sub-accounts or those in ids. */
typedef struct gh_access {
    gh_access_level level;
    bool all;
    int64_t account_id;
    gh_ids ids;
    int64_t sub_account_count; /* read only: sub-accounts reachable at SUB_ACCOUNT level */
} gh_access;

/* Read only: a user's latest onboarding link and the delivery of its e-mail (exists false when
 * the user never had one). */
typedef struct gh_onboarding {
    bool exists;
    int64_t sent_at, expires_at, used_at, voided_at, attempts; /* times: 0 when not yet */
    bool has_delivery;      /* sent by e-mail (a copied link has no delivery) */
    gh_mail_state delivery; /* the state of that e-mail */
    const char *error;      /* the last SMTP error, or NULL */
} gh_onboarding;

typedef struct gh_user {
    int64_t id;
    int64_t provider_id; /* 0: the platform itself */
    const char *username, *first_name, *last_name, *email, *phone;
    const char *language, *timezone, *country;
    gh_user_status status;
    const char *sso_source, *sso_id; /* NULL when unset */
    const char *external_id;         /* its id at the provisioning IdP (SCIM); NULL when unset */
    bool login_enabled, enforce_sso, mfa_required, mfa_enrolled, is_superadmin;
    bool must_change_password;
    bool has_password; /* read only */
    int64_t banned_until, last_login_at, created_at, updated_at, created_by, updated_by, version;
    int64_t active_since; /* read only: last enabled or unbanned again (0: never) */
    /* read only: when the dormant rule of its provider disables it (0: no rule, not active);
     * filled by core (gh_core_user_get, gh_core_user_list), not by the store */
    int64_t dormant_at;
    gh_access access;
    gh_ids role_ids, group_ids;
    const char *password_hash; /* input to insert only; never read back */
    gh_onboarding onboarding;  /* read only; loaded by the single-user reads, not by lists */
} gh_user;

typedef struct gh_tenant {
    int64_t id, parent_id, provider_id; /* 0 when none */
    gh_tenant_kind kind;
    const char *name;
    int64_t created_at, updated_at, version;
    int64_t dormant_days, dormant_warn_days; /* service providers: the dormant rule (0: off) */
    bool passkey_signin; /* service providers: users may sign in with a passkey alone */
} gh_tenant;

typedef struct gh_role {
    int64_t id, provider_id; /* provider 0: global */
    const char *name, *description;
    gh_role_kind kind;
    uint64_t permissions;
    bool mfa_required; /* its holders must pass two-factor at sign-in */
    int64_t created_at, updated_at, version;
} gh_role;

typedef struct gh_group {
    int64_t id, provider_id;
    const char *name, *description;
    gh_ids role_ids;
    int64_t member_count, created_at, updated_at, version;
} gh_group;

/* An SSO source: one OpenID Connect provider's client registration, bound to one service
 * provider (C10). Its client secret is write-only: stored sealed, never read back into this
 * struct (has_client_secret says whether one is stored). */
typedef struct gh_sso_source {
    int64_t id;
    int64_t provider_id; /* the service provider whose users it serves; 0: platform staff */
    const char *name;    /* slug, the value of a user's sso_source */
    const char *display_name, *issuer, *client_id;
    const char *scopes;               /* space-separated, with openid */
    const char *claim;                /* the ID-token claim that is the user's SSO ID */
    bool trust_idp_mfa;               /* an amr of mfa/otp/hwk satisfies two-factor */
    bool rp_logout;                   /* sign-out also at the provider (end_session_endpoint) */
    bool has_client_secret;           /* read only */
    const char *client_secret_sealed; /* input to insert and update only; never read back */
    int64_t created_at, updated_at, version;
} gh_sso_source;

/* A SCIM client (issue 15, C10): a bearer token for /scim/v2 bound to one service provider, and
 * what the users it creates get: access (PROVIDER, or ACCOUNT with `all` or ids) and role_ids.
 * It acts with the rights of created_by, read again at every request. Its token is shown once
 * and only its hash is stored. */
typedef struct gh_scim_client {
    int64_t id, provider_id, created_by, created_at, revoked_at; /* revoked_at 0: live */
    const char *name;
    const char *created_by_name; /* read only */
    gh_access access;
    gh_ids role_ids;
} gh_scim_client;

/* A webhook subscription (issue 16, C10): bound to one service provider, it receives the events
 * of that provider's users only. Its secret is write-only: made by the server, shown once, stored
 * sealed and never read back into this struct. */
typedef struct gh_webhook {
    int64_t id, provider_id; /* provider 0: the platform's own staff */
    const char *url;
    const char *events; /* comma-separated, sorted, each once: "user.created,user.disabled" */
    bool enabled;
    int64_t created_by, created_at;
    const char *secret_sealed; /* input to insert only; never read back */
} gh_webhook;

/* One event for one subscription: the webhook sender's unit of work (the mail outbox's twin). */
typedef struct gh_webhook_delivery {
    int64_t id, webhook_id;
    const char *event, *event_id, *payload;
    gh_mail_state state; /* queued, sent or failed */
    int64_t attempts, next_attempt_at, last_status, last_attempt_at, created_at, sent_at;
    const char *last_error; /* NULL when none */
} gh_webhook_delivery;

/* Who is acting: loaded from a token or session for every request. */
typedef struct gh_principal {
    int64_t user_id;
    const char *username;
    int64_t provider_id;
    bool superadmin;
    uint64_t perms;
    gh_access access;
} gh_principal;

/* What is shown of an API token: never its value or hash. expires_at 0: never. */
typedef struct gh_api_token {
    int64_t id, user_id, created_at, expires_at;
    const char *username, *name;
} gh_api_token;

/* A server-side session, found by the hash of the cookie's token. */
typedef struct gh_session {
    int64_t id, user_id, created_at, last_seen_at, expires_at;
    gh_signin_stage stage;
    const char *ip, *user_agent;
    int64_t sso_source_id; /* the SSO source it was opened through; 0: a password sign-in */
} gh_session;

/* A single sign-on in progress, between the redirect to the provider and its callback: only
 * hashes of the state and of the browser binding are kept, the PKCE verifier sealed. Used once,
 * before expires_at. */
typedef struct gh_sso_flow {
    int64_t id, source_id, created_at, expires_at;
    const char *state_hash, *binding_hash; /* hex SHA-256 */
    const char *nonce;
    const char *code_verifier_sealed;
    const char *next_path; /* relative (I5) */
} gh_sso_flow;

/* What sign-in needs about a user. */
typedef struct gh_credentials {
    int64_t user_id, provider_id, banned_until, totp_last_step;
    gh_user_status status;
    const char *username, *password_hash, *totp_secret, *totp_pending;
    bool login_enabled, enforce_sso, mfa_required, mfa_enrolled, must_change_password;
    bool has_passkeys; /* at least one passkey registered: the second step is webauthn */
} gh_credentials;

/* A registered passkey (WebAuthn credential); binary values as unpadded base64url. */
typedef struct gh_passkey {
    int64_t id, user_id, sign_count, created_at, last_used_at;
    int alg; /* COSE algorithm */
    const char *name, *credential_id, *public_key, *aaguid, *transports;
    bool uv, backup_eligible, backed_up;
} gh_passkey;

/* A user list's status filter: every user but the deleted ones (LIVE, the default), one stored
 * status (ACTIVE then also means not banned), or BANNED: active users whose ban lies ahead, a list
 * filter value and not a stored status (gh_user_status has no banned). ALL (no filter at all) is
 * the store's own, for counting every tab in one pass; no request names it. */
typedef enum {
    GH_LIST_LIVE,
    GH_LIST_INVITED,
    GH_LIST_ACTIVE,
    GH_LIST_DISABLED,
    GH_LIST_DELETED,
    GH_LIST_BANNED,
    GH_LIST_ALL,
} gh_user_list_status;

/* The filter of a status name (invited, active, disabled, deleted or banned): writes *out and
 * returns true, or returns false for NULL or any other text. Thread-safe (no I/O). */
bool gh_user_list_status_parse(const char *s, gh_user_list_status *out) GH_MUST_USE;

/* ---- the permission catalogue ----
 * A role's permissions are a bit mask over it; effective permissions are the union over a
 * user's roles and its groups' roles. */

#define GH_PERMS(X)                                                                                \
    X(USERS_READ, "users.read", "See back-office users")                                           \
    X(USERS_CREATE, "users.create", "Add back-office users")                                       \
    X(USERS_UPDATE, "users.update", "Edit back-office users")                                      \
    X(USERS_DISABLE, "users.disable", "Disable and enable back-office users")                      \
    X(USERS_DELETE, "users.delete", "Delete back-office users")                                    \
    X(USERS_ONBOARD, "users.onboard", "Send onboarding e-mails")                                   \
    X(USERS_MFA_RESET, "users.mfa_reset", "Refresh two-factor authentication")                     \
    X(USERS_UNBAN, "users.unban", "Unban users")                                                   \
    X(USERS_FORCE_RESET, "users.force_reset", "Force password reset")                              \
    X(ROLES_READ, "roles.read", "See roles")                                                       \
    X(ROLES_CREATE, "roles.create", "Add roles")                                                   \
    X(ROLES_UPDATE, "roles.update", "Edit roles")                                                  \
    X(ROLES_DELETE, "roles.delete", "Delete roles")                                                \
    X(GROUPS_READ, "groups.read", "See groups")                                                    \
    X(GROUPS_CREATE, "groups.create", "Add groups")                                                \
    X(GROUPS_UPDATE, "groups.update", "Edit groups")                                               \
    X(GROUPS_DELETE, "groups.delete", "Delete groups")                                             \
    X(TENANTS_READ, "tenants.read", "See service providers and accounts")                          \
    X(TENANTS_CREATE, "tenants.create", "Add service providers and accounts")                      \
    X(TENANTS_UPDATE, "tenants.update", "Rename service providers and accounts")                   \
    X(TENANTS_DELETE, "tenants.delete", "Remove service providers and accounts")                   \
    X(AUDIT_READ, "audit.read", "Read the audit trail")                                            \
    X(SETTINGS_READ, "settings.read", "See settings")                                              \
    X(SETTINGS_UPDATE, "settings.update", "Change settings")

enum {
#define GH_PERM_BIT(id, name, text) GH_PERM_BIT_##id,
    GH_PERMS(GH_PERM_BIT)
#undef GH_PERM_BIT
        GH_PERM_COUNT
};

#define GH_PERM(id) ((uint64_t)1 << GH_PERM_BIT_##id)
#define GH_PERM_ALL (((uint64_t)1 << GH_PERM_COUNT) - 1)
#define GH_PERM_USERS_ALL                                                                          \
    (GH_PERM(USERS_READ) | GH_PERM(USERS_CREATE) | GH_PERM(USERS_UPDATE) |                         \
     GH_PERM(USERS_DISABLE) | GH_PERM(USERS_DELETE) | GH_PERM(USERS_ONBOARD) |                     \
     GH_PERM(USERS_MFA_RESET) | GH_PERM(USERS_UNBAN) | GH_PERM(USERS_FORCE_RESET))

/* Name and description of bit i (0 <= i < GH_PERM_COUNT). */
const char *gh_perm_name(int i);
const char *gh_perm_text(int i);
/* The bit of a permission name; 0 when unknown. */
uint64_t gh_perm_from_name(const char *name);
/* Effective mask of a principal (a superadmin holds everything). */
uint64_t gh_perm_effective(const gh_principal *p);
/* Whether p holds every bit of mask. */
bool gh_perm_has(const gh_principal *p, uint64_t mask);

/* An object named for a reader who may not read it (name NULL for id 0: the platform). */
typedef struct gh_named {
    int64_t id;
    const char *name;
} gh_named;

#endif
