/* The audit trail. Callers hand typed snapshots (a user, role, group, tenant or SSO source as it
 * was before and is after a change) or a typed detail of an event (a sign-in step, a token, a
 * link...); audit/ alone turns them into the stored before_json/after_json text, so core/ never
 * sees JSON. The stored text is the canonical compact JSON that the audit API returns parsed: a
 * snapshot encodes an object exactly as the API's response body does (http/encode.c; a unit test
 * checks that the two agree), and it never carries a hash or a secret (gh_user holds no hash,
 * gh_sso_source no client secret). Thread-safe; text lives in the caller's arena. */
#ifndef GH_AUDIT_AUDIT_H
#define GH_AUDIT_AUDIT_H

#include "store/store.h"

/* Every action the trail records, written once: the write sites name them by GH_ACT_*, and
 * GET /api/v1/audit/actions lists them from here, so the list cannot drift from what is written.
 * (A denied request is recorded under its route instead, "POST /api/v1/users": see
 * gh_core_audit_denied.) */
#define GH_AUDIT_ACTIONS(X)                                                                        \
    X(ADMIN_CREATE, "admin.create")                                                                \
    X(GROUP_CREATE, "group.create")                                                                \
    X(GROUP_DELETE, "group.delete")                                                                \
    X(GROUP_UPDATE, "group.update")                                                                \
    X(LOGIN_FAILURE, "login.failure")                                                              \
    X(LOGIN_SUCCESS, "login.success")                                                              \
    X(LOGIN_THROTTLED, "login.throttled")                                                          \
    X(MAIL_FAILED, "mail.failed")                                                                  \
    X(MAIL_SENT, "mail.sent")                                                                      \
    X(ONBOARDING_COMPLETED, "onboarding.completed")                                                \
    X(ONBOARDING_LINK_COPIED, "onboarding.link_copied")                                            \
    X(ONBOARDING_RESEND, "onboarding.resend")                                                      \
    X(ONBOARDING_SENT, "onboarding.sent")                                                          \
    X(PASSKEY_ADDED, "passkey.added")                                                              \
    X(PASSKEY_CLONE_REFUSED, "passkey.clone_refused")                                              \
    X(PASSKEY_REMOVED, "passkey.removed")                                                          \
    X(PASSKEY_RENAMED, "passkey.renamed")                                                          \
    X(PASSWORD_RESET_COMPLETED, "password_reset.completed")                                        \
    X(PASSWORD_RESET_REQUESTED, "password_reset.requested")                                        \
    X(ROLE_CREATE, "role.create")                                                                  \
    X(ROLE_DELETE, "role.delete")                                                                  \
    X(ROLE_UPDATE, "role.update")                                                                  \
    X(SCIM_CLIENT_CREATE, "scim_client.create")                                                    \
    X(SCIM_CLIENT_REVOKE, "scim_client.revoke")                                                    \
    X(SESSION_END, "session.end")                                                                  \
    X(SESSION_REVOKE, "session.revoke")                                                            \
    X(SETUP_COMPLETED, "setup.completed")                                                          \
    X(SETUP_LINK_ISSUED, "setup.link_issued")                                                      \
    X(SSO_SOURCE_CREATE, "sso_source.create")                                                      \
    X(SSO_SOURCE_DELETE, "sso_source.delete")                                                      \
    X(SSO_SOURCE_UPDATE, "sso_source.update")                                                      \
    X(TENANT_CREATE, "tenant.create")                                                              \
    X(TENANT_DELETE, "tenant.delete")                                                              \
    X(TENANT_UPDATE, "tenant.update")                                                              \
    X(TOKEN_CREATE, "token.create")                                                                \
    X(TOKEN_REVOKE, "token.revoke")                                                                \
    X(TOTP_ENROL_START, "totp.enrol_start")                                                        \
    X(TOTP_ENROLLED, "totp.enrolled")                                                              \
    X(TOTP_REPLACED, "totp.replaced")                                                              \
    X(USER_BAN, "user.ban")                                                                        \
    X(USER_CREATE, "user.create")                                                                  \
    X(USER_DELETE, "user.delete")                                                                  \
    X(USER_DISABLE, "user.disable")                                                                \
    X(USER_DORMANT_DISABLE, "user.dormant_disable")                                                \
    X(USER_DORMANT_WARN, "user.dormant_warn")                                                      \
    X(USER_ENABLE, "user.enable")                                                                  \
    X(USER_FORCE_PASSWORD_RESET, "user.force_password_reset")                                      \
    X(USER_PASSWORD_CHANGE, "user.password_change")                                                \
    X(USER_RESET_MFA, "user.reset_mfa")                                                            \
    X(USER_UNBAN, "user.unban")                                                                    \
    X(USER_UPDATE, "user.update")                                                                  \
    X(USER_UPDATE_OWN, "user.update_own")                                                          \
    X(WEBHOOK_CREATE, "webhook.create")                                                            \
    X(WEBHOOK_DELETE, "webhook.delete")                                                            \
    X(WEBHOOK_RESEND, "webhook.resend")                                                            \
    X(WEBHOOK_UPDATE, "webhook.update")

typedef enum {
#define GH_AUDIT_ACTION_ID(id, name) GH_ACT_##id,
    GH_AUDIT_ACTIONS(GH_AUDIT_ACTION_ID)
#undef GH_AUDIT_ACTION_ID
        GH_ACT_COUNT
} gh_audit_action;

/* The stored name of action a ("user.disable"); NULL outside 0..GH_ACT_COUNT-1. */
const char *gh_audit_action_name(gh_audit_action a);

/* An optional number or flag of a detail; unset ones are left out of the stored text. */
typedef struct gh_audit_int {
    bool set;
    int64_t v;
} gh_audit_int;
#define GH_AUDIT_INT(x) ((gh_audit_int){true, (x)})
typedef enum { GH_AUDIT_UNSET, GH_AUDIT_FALSE, GH_AUDIT_TRUE } gh_audit_bool;

/* What an event that changes no object records, as one JSON object whose keys come in this
 * order, each only when set (strings: when not NULL). Never a secret: a token or link is named by
 * its id. */
typedef struct gh_audit_detail {
    const char *factor; /* sign-in: the factor checked (password, totp, recovery_code...) */
    const gh_signin_stage *next; /* sign-in: the step that follows */
    gh_audit_bool known;         /* sign-in: false for an unknown username */
    gh_audit_bool banned;        /* sign-in: refused because the account is banned */
    gh_audit_bool blocked;       /* sign-in: refused because the account cannot sign in */
    gh_audit_bool replace;       /* two-factor enrolment replacing an enrolled device */
    const char *proof;           /* ... confirmed with: password or code */
    gh_audit_int retry_after;    /* throttled: seconds until a retry can succeed */
    gh_audit_int sessions;       /* sessions ended */
    gh_audit_int id;             /* an API token's id */
    gh_audit_int expires_at;     /* an API token's expiry (0: never) */
    gh_audit_int link_id;        /* an onboarding or reset link */
    gh_audit_int setup_link_id;  /* the set-up link that created the first administrator */
    gh_audit_bool sent;          /* password reset requested: whether an e-mail goes */
    const char *reason;          /* ... and why not; a refused single sign-on: why */
    const char *source;          /* sign-in through single sign-on: the SSO source's name */
    gh_audit_int message_id;     /* mail: the outbox message */
    const char *kind;            /* mail: the message's kind */
    gh_audit_int attempts;       /* mail: delivery attempts so far */
    const char *error;           /* mail: the last SMTP error */
    const char *url;             /* webhook: its target */
    const char *events;          /* webhook: the events it takes, comma-separated */
    gh_audit_int delivery_id;    /* webhook: a delivery sent again */
    gh_audit_bool enabled;       /* webhook: whether it receives events */
    const char *name;            /* passkey: its name (id: its id) */
} gh_audit_detail;

typedef enum {
    GH_AUDIT_NONE, /* stored as NULL */
    GH_AUDIT_USER,
    GH_AUDIT_ROLE,
    GH_AUDIT_GROUP,
    GH_AUDIT_TENANT,
    GH_AUDIT_SSO_SOURCE,
    GH_AUDIT_DETAIL,
} gh_audit_kind;

/* One before or after of an audit row; the pointer it holds must stay valid for the call. */
typedef struct gh_audit_obj {
    gh_audit_kind kind;
    union {
        const gh_user *user;
        const gh_role *role;
        const gh_group *group;
        const gh_tenant *tenant;
        const gh_sso_source *sso_source;
        const gh_audit_detail *detail;
    };
} gh_audit_obj;

#define GH_AUDIT_NOTHING          ((gh_audit_obj){.kind = GH_AUDIT_NONE})
#define GH_AUDIT_OF_USER(p)       ((gh_audit_obj){.kind = GH_AUDIT_USER, .user = (p)})
#define GH_AUDIT_OF_ROLE(p)       ((gh_audit_obj){.kind = GH_AUDIT_ROLE, .role = (p)})
#define GH_AUDIT_OF_GROUP(p)      ((gh_audit_obj){.kind = GH_AUDIT_GROUP, .group = (p)})
#define GH_AUDIT_OF_TENANT(p)     ((gh_audit_obj){.kind = GH_AUDIT_TENANT, .tenant = (p)})
#define GH_AUDIT_OF_SSO_SOURCE(p) ((gh_audit_obj){.kind = GH_AUDIT_SSO_SOURCE, .sso_source = (p)})
#define GH_AUDIT_OF_DETAIL(p)     ((gh_audit_obj){.kind = GH_AUDIT_DETAIL, .detail = (p)})
/* A detail written in place: GH_AUDIT_DETAIL_OF(.factor = "totp", .banned = GH_AUDIT_TRUE). */
#define GH_AUDIT_DETAIL_OF(...)                                                                    \
    ((gh_audit_obj){.kind = GH_AUDIT_DETAIL, .detail = &(gh_audit_detail){__VA_ARGS__}})

/* The stored text of o (compact JSON in the arena), or NULL for GH_AUDIT_NONE or when memory ran
 * out. */
char *gh_audit_snapshot(gh_arena *a, gh_audit_obj o);
/* The same as a JSON value (a new reference the caller owns; NULL for GH_AUDIT_NONE or no
 * memory): the one encoding of users, roles, groups, tenants and SSO sources, which the API's
 * response bodies use too (http/encode.c), so that the trail records an object exactly as clients
 * see it. */
struct json_t;
struct json_t *gh_audit_json(gh_audit_obj o);

/* The name a stored snapshot (gh_audit_snapshot's text) of an object of kind gave it, for a
 * trail that outlives the object: a user's full name (its username when it has none), a role's,
 * group's or tenant's name, an SSO source's display name. NULL when text is NULL, not such a
 * snapshot or names nothing. In the arena; thread-safe. */
const char *gh_audit_snapshot_name(gh_arena *a, const char *text, gh_audit_kind kind);

/* Appends the row e with before and after serialised into its before_json/after_json (whatever
 * e held there is replaced); the caller's transaction makes it atomic with the change it
 * records. */
gh_err gh_audit_record(gh_db *db, gh_arena *a, const gh_audit_entry *e, gh_audit_obj before,
                       gh_audit_obj after) GH_MUST_USE;

#endif
