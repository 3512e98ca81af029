/* The route table: every path, its permission (deny by default: a route either names the
 * permissions it needs or is explicitly public), its body schema and its OpenAPI summary. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "http/http.h"
#include "http/limits.h"

#define P(id) GH_PERM(id)

static const gh_field access_fields[] = {
    {"level", GH_T_STRING, 16, true, NULL, "platform, provider, account or sub_account"},
    {"account_ids", GH_T_IDS_OR_ALL, GH_MAX_IDS, false, NULL,
     "platform accounts, or \"all\"; exactly one for sub_account access"},
    {"sub_account_ids", GH_T_IDS_OR_ALL, GH_MAX_IDS, false, NULL,
     "sub-accounts of that one account, or \"all\" (Platform User roles only)"},
    {NULL},
};

#define USER_PROFILE_FIELDS                                                                        \
    {"first_name", GH_T_STRING, GH_MAX_NAME, false, NULL, "first name"},                           \
        {"last_name", GH_T_STRING, GH_MAX_NAME, false, NULL, "last name"},                         \
        {"phone", GH_T_STRING, GH_MAX_PHONE, false, NULL, "E.164, e.g. +442071234567"},            \
        {"language", GH_T_STRING, 2, false, NULL, "en or zh"},                                     \
        {"timezone", GH_T_STRING, GH_MAX_TIMEZONE, false, NULL, "IANA zone, e.g. Asia/Shanghai"},  \
        {"country", GH_T_STRING, 2, false, NULL, "ISO 3166-1 alpha-2"},                            \
        {"role_ids", GH_T_IDS, GH_MAX_IDS, false, NULL, "roles"},                                  \
        {"group_ids", GH_T_IDS, GH_MAX_IDS, false, NULL, "groups"},                                \
        {"access", GH_T_OBJECT, 0, false, access_fields, "where the user may act"},                \
        {"login_enabled", GH_T_BOOL, 0, false, NULL, "may sign in"},                               \
        {"enforce_sso", GH_T_BOOL, 0, false, NULL, "may sign in only through SSO"},                \
        {"sso_source", GH_T_STRING_NULL, GH_MAX_NAME, false, NULL, "SSO source"},                  \
        {"sso_id", GH_T_STRING_NULL, GH_MAX_SSO_ID, false, NULL, "SSO ID"},                        \
    {                                                                                              \
        "mfa_required", GH_T_BOOL, 0, false, NULL, "two-factor authentication required"            \
    }

static const gh_field user_create_fields[] = {
    {"provider_id", GH_T_ID_NULL, 0, false, NULL, "service provider; null: platform staff"},
    {"username", GH_T_STRING, GH_MAX_USERNAME, true, NULL, "unique for ever"},
    {"email", GH_T_STRING, GH_MAX_EMAIL, true, NULL, "e-mail address"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "initial password (changed at first sign-in); omit to invite by e-mail"},
    {"generate_password", GH_T_BOOL, 0, false, NULL,
     "generate an initial password, returned once as generated_password"},
    USER_PROFILE_FIELDS,
    {NULL},
};

static const gh_field user_patch_fields[] = {
    {"email", GH_T_STRING, GH_MAX_EMAIL, false, NULL, "e-mail address"},
    USER_PROFILE_FIELDS,
    {NULL},
};

static const gh_field bulk_fields[] = {
    {"action", GH_T_STRING, 16, true, NULL, "disable, enable or delete"},
    {"ids", GH_T_IDS, GH_MAX_BULK_IDS, true, NULL, "user ids"},
    {NULL},
};

static const gh_field tenant_create_fields[] = {
    {"kind", GH_T_STRING, 32, true, NULL, "service_provider, platform_account or sub_account"},
    {"parent_id", GH_T_ID_NULL, 0, false, NULL,
     "the provider of an account, the account of a sub-account"},
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {NULL},
};

static const gh_field tenant_patch_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {NULL},
};

static const gh_field role_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"provider_id", GH_T_ID_NULL, 0, false, NULL, "service provider; null: global"},
    {"kind", GH_T_STRING, 32, true, NULL, "service_provider, platform_account or platform_user"},
    {"permissions", GH_T_STRINGS, 64, true, NULL, "names from /api/v1/permissions"},
    {"mfa_required", GH_T_BOOL, 0, false, NULL, "its holders must pass two-factor at sign-in"},
    {NULL},
};

static const gh_field role_patch_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, false, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"kind", GH_T_STRING, 32, false, NULL, "service_provider, platform_account or platform_user"},
    {"permissions", GH_T_STRINGS, 64, false, NULL, "names from /api/v1/permissions"},
    {"mfa_required", GH_T_BOOL, 0, false, NULL, "its holders must pass two-factor at sign-in"},
    {NULL},
};

static const gh_field group_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"provider_id", GH_T_ID_NULL, 0, false, NULL, "service provider; null: global"},
    {"role_ids", GH_T_IDS, GH_MAX_IDS, false, NULL, "roles the members get"},
    {NULL},
};

static const gh_field group_patch_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, false, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"role_ids", GH_T_IDS, GH_MAX_IDS, false, NULL, "roles the members get"},
    {NULL},
};

static const gh_field signin_fields[] = {
    {"username", GH_T_STRING, GH_MAX_USERNAME, true, NULL, "username"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "password"},
    {NULL},
};

static const gh_field code_fields[] = {
    {"code", GH_T_STRING, 32, true, NULL, "6-digit TOTP code, or a recovery code"},
    {NULL},
};

static const gh_field totp_start_fields[] = {
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "to replace an enrolled device: the current password"},
    {"code", GH_T_STRING, 32, false, NULL, "or, instead, a current 6-digit code of that device"},
    {NULL},
};

static const gh_field new_password_fields[] = {
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "the new password"},
    {NULL},
};

static const gh_field reset_request_fields[] = {
    {"username", GH_T_STRING, GH_MAX_USERNAME, false, NULL, "the account's username"},
    {"email", GH_T_STRING, GH_MAX_EMAIL, false, NULL, "or its e-mail address"},
    {NULL},
};

static const gh_field setup_fields[] = {
    {"username", GH_T_STRING, GH_MAX_USERNAME, true, NULL, "the first administrator's username"},
    {"email", GH_T_STRING, GH_MAX_EMAIL, true, NULL, "its e-mail address"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL,
     "its password (the policy applies)"},
    {NULL},
};

static const gh_field me_profile_fields[] = {
    {"language", GH_T_STRING, 2, false, NULL, "en or zh"},
    {"timezone", GH_T_STRING, GH_MAX_TIMEZONE, false, NULL, "IANA zone, e.g. Asia/Shanghai"},
    {NULL},
};

static const gh_field change_password_fields[] = {
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "the current password"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "the new password"},
    {NULL},
};

/* A page or file of the web console: GET, public, tag "console". */
#define CONSOLE(path)                                                                              \
    {                                                                                              \
        "GET", path, gh_h_web, GH_AUTH_PUBLIC, 0, NULL, "Web console", "console"                   \
    }

#define S(stage)    GH_STAGE_BIT(GH_STAGE_##stage)
#define SESSION_ANY (S(TOTP) | S(ENROLL_TOTP) | S(CHANGE_PASSWORD) | S(DONE))

const gh_route gh_routes[] = {
    {"GET", "/healthz", gh_h_health, GH_AUTH_PUBLIC, 0, NULL, "Liveness", "operations"},
    {"GET", "/readyz", gh_h_ready, GH_AUTH_PUBLIC, 0, NULL, "Readiness: the database answers",
     "operations"},
    {"GET", "/metrics", gh_h_metrics, GH_AUTH_PUBLIC, 0, NULL, "Prometheus metrics", "operations"},
    {"GET", "/api/v1/openapi.json", gh_h_openapi, GH_AUTH_PUBLIC, 0, NULL, "This document",
     "operations"},
    /* the web console (h_web.c): its files, and its pages, which all get index.html; public, as
     * the app signs in through the API; not in the OpenAPI document */
    CONSOLE("/"),
    CONSOLE("/index.html"),
    CONSOLE("/style.css"),
    CONSOLE("/favicon.svg"),
    CONSOLE("/app/*"),
    CONSOLE("/i18n/*"),
    CONSOLE("/signin"),
    CONSOLE("/signin/*"),
    CONSOLE("/forgot"),
    CONSOLE("/onboarding/*"),
    CONSOLE("/reset/*"),
    CONSOLE("/setup/*"),
    CONSOLE("/users"),
    CONSOLE("/users/*"),
    CONSOLE("/roles"),
    CONSOLE("/roles/*"),
    CONSOLE("/groups"),
    CONSOLE("/groups/*"),
    CONSOLE("/tenants"),
    CONSOLE("/audit"),
    CONSOLE("/profile"),
    {"GET", "/api/v1/permissions", gh_h_permissions, GH_AUTH_PERM, 0, NULL,
     "The permission catalogue", "roles"},
    {"GET", "/api/v1/users", gh_h_users_list, GH_AUTH_PERM, P(USERS_READ), NULL,
     "List and search users (q, status, role_id, group_id, tenant_id, sort, limit, cursor)",
     "users"},
    {"POST", "/api/v1/users", gh_h_users_create, GH_AUTH_PERM, P(USERS_CREATE), user_create_fields,
     "Create a user", "users"},
    {"POST", "/api/v1/users/bulk", gh_h_users_bulk, GH_AUTH_PERM, P(USERS_DISABLE), bulk_fields,
     "Disable, enable or delete many users (delete also needs users.delete)", "users"},
    {"GET", "/api/v1/users/{id}", gh_h_users_get, GH_AUTH_PERM, P(USERS_READ), NULL,
     "Read a user (ETag)", "users"},
    {"PATCH", "/api/v1/users/{id}", gh_h_users_patch, GH_AUTH_PERM, P(USERS_UPDATE),
     user_patch_fields, "Edit a user (If-Match)", "users"},
    {"DELETE", "/api/v1/users/{id}", gh_h_users_delete, GH_AUTH_PERM, P(USERS_DELETE), NULL,
     "Delete a user (the username stays reserved)", "users"},
    {"POST", "/api/v1/users/{id}/disable", gh_h_users_disable, GH_AUTH_PERM, P(USERS_DISABLE), NULL,
     "Disable a user", "users"},
    {"POST", "/api/v1/users/{id}/enable", gh_h_users_enable, GH_AUTH_PERM, P(USERS_DISABLE), NULL,
     "Enable a user", "users"},
    {"GET", "/api/v1/tenants", gh_h_tenants_list, GH_AUTH_PERM, P(TENANTS_READ), NULL,
     "List tenants (parent_id, kind, limit, cursor)", "tenants"},
    {"POST", "/api/v1/tenants", gh_h_tenants_create, GH_AUTH_PERM, P(TENANTS_CREATE),
     tenant_create_fields, "Create a service provider, platform account or sub-account", "tenants"},
    {"GET", "/api/v1/tenants/{id}", gh_h_tenants_get, GH_AUTH_PERM, P(TENANTS_READ), NULL,
     "Read a tenant", "tenants"},
    {"PATCH", "/api/v1/tenants/{id}", gh_h_tenants_patch, GH_AUTH_PERM, P(TENANTS_UPDATE),
     tenant_patch_fields, "Rename a tenant", "tenants"},
    {"DELETE", "/api/v1/tenants/{id}", gh_h_tenants_delete, GH_AUTH_PERM, P(TENANTS_DELETE), NULL,
     "Remove an empty tenant", "tenants"},
    {"GET", "/api/v1/roles", gh_h_roles_list, GH_AUTH_PERM, P(ROLES_READ), NULL,
     "List roles (provider_id, limit, cursor)", "roles"},
    {"POST", "/api/v1/roles", gh_h_roles_create, GH_AUTH_PERM, P(ROLES_CREATE), role_create_fields,
     "Create a role", "roles"},
    {"GET", "/api/v1/roles/{id}", gh_h_roles_get, GH_AUTH_PERM, P(ROLES_READ), NULL, "Read a role",
     "roles"},
    {"PATCH", "/api/v1/roles/{id}", gh_h_roles_patch, GH_AUTH_PERM, P(ROLES_UPDATE),
     role_patch_fields, "Edit a role (If-Match)", "roles"},
    {"DELETE", "/api/v1/roles/{id}", gh_h_roles_delete, GH_AUTH_PERM, P(ROLES_DELETE), NULL,
     "Delete an unused role", "roles"},
    {"GET", "/api/v1/groups", gh_h_groups_list, GH_AUTH_PERM, P(GROUPS_READ), NULL,
     "List groups (provider_id, limit, cursor)", "groups"},
    {"POST", "/api/v1/groups", gh_h_groups_create, GH_AUTH_PERM, P(GROUPS_CREATE),
     group_create_fields, "Create a group", "groups"},
    {"GET", "/api/v1/groups/{id}", gh_h_groups_get, GH_AUTH_PERM, P(GROUPS_READ), NULL,
     "Read a group", "groups"},
    {"PATCH", "/api/v1/groups/{id}", gh_h_groups_patch, GH_AUTH_PERM, P(GROUPS_UPDATE),
     group_patch_fields, "Edit a group (If-Match)", "groups"},
    {"DELETE", "/api/v1/groups/{id}", gh_h_groups_delete, GH_AUTH_PERM, P(GROUPS_DELETE), NULL,
     "Delete a group", "groups"},
    {"GET", "/api/v1/audit", gh_h_audit_list, GH_AUTH_PERM, P(AUDIT_READ), NULL,
     "The audit trail (actor_id, target_id, target_type, action, since, until, limit, cursor)",
     "audit"},
    {"POST", "/api/v1/session", gh_h_session_create, GH_AUTH_PUBLIC, 0, signin_fields,
     "Sign in with username and password; the body's next says what follows", "session", 0, 200},
    {"GET", "/api/v1/session", gh_h_session_get, GH_AUTH_STAGE, 0, NULL,
     "Who am I: user, permissions, scope and the next sign-in step", "session", SESSION_ANY},
    {"DELETE", "/api/v1/session", gh_h_session_delete, GH_AUTH_STAGE, 0, NULL, "Sign out",
     "session", SESSION_ANY, 204},
    {"POST", "/api/v1/session/totp", gh_h_session_totp, GH_AUTH_STAGE, 0, code_fields,
     "The two-factor step", "session", S(TOTP), 200},
    {"POST", "/api/v1/session/password", gh_h_session_password, GH_AUTH_STAGE, 0,
     new_password_fields, "The forced password change", "session", S(CHANGE_PASSWORD), 200},
    {"GET", "/api/v1/me/sessions", gh_h_me_sessions, GH_AUTH_STAGE, 0, NULL, "My sessions", "me",
     S(DONE)},
    {"DELETE", "/api/v1/me/sessions/{id}", gh_h_me_session_delete, GH_AUTH_STAGE, 0, NULL,
     "End one of my sessions", "me", S(DONE)},
    {"GET", "/api/v1/me/tokens", gh_h_me_tokens, GH_AUTH_STAGE, 0, NULL,
     "My API tokens (id, name, created_at, expires_at; never the token)", "me", S(DONE)},
    {"DELETE", "/api/v1/me/tokens/{id}", gh_h_me_token_delete, GH_AUTH_STAGE, 0, NULL,
     "Revoke one of my API tokens", "me", S(DONE)},
    {"POST", "/api/v1/me/password", gh_h_me_password, GH_AUTH_STAGE, 0, change_password_fields,
     "Change my password (needs the current one)", "me", S(DONE), 204},
    {"PATCH", "/api/v1/me/profile", gh_h_me_profile, GH_AUTH_STAGE, 0, me_profile_fields,
     "Set my own language and timezone", "me", S(DONE)},
    {"GET", "/api/v1/me/totp", gh_h_me_totp_get, GH_AUTH_STAGE, 0, NULL, "My two-factor state",
     "me", S(ENROLL_TOTP) | S(DONE)},
    {"POST", "/api/v1/me/totp", gh_h_me_totp_start, GH_AUTH_STAGE, 0, totp_start_fields,
     "Start two-factor enrolment: secret, otpauth URI and QR code (SVG); replacing an enrolled "
     "device needs current_password or a current code",
     "me", S(ENROLL_TOTP) | S(DONE), 201, true},
    {"POST", "/api/v1/me/totp/confirm", gh_h_me_totp_confirm, GH_AUTH_STAGE, 0, code_fields,
     "Confirm enrolment with a code; returns ten recovery codes once", "me",
     S(ENROLL_TOTP) | S(DONE), 200},
    {"POST", "/api/v1/users/{id}/unban", gh_h_users_unban, GH_AUTH_PERM, P(USERS_UNBAN), NULL,
     "Lift a lock-out ban", "users"},
    {"POST", "/api/v1/users/{id}/force-password-reset", gh_h_users_force_reset, GH_AUTH_PERM,
     P(USERS_FORCE_RESET), NULL, "Make the user set a new password at next sign-in", "users"},
    {"POST", "/api/v1/users/{id}/reset-mfa", gh_h_users_reset_mfa, GH_AUTH_PERM, P(USERS_MFA_RESET),
     NULL, "Refresh two-factor: enrol a new device at next sign-in", "users"},
    {"GET", "/api/v1/users/{id}/sessions", gh_h_users_sessions, GH_AUTH_PERM, P(USERS_READ), NULL,
     "A user's sessions", "users"},
    {"DELETE", "/api/v1/users/{id}/sessions", gh_h_users_sessions_delete, GH_AUTH_PERM,
     P(USERS_UPDATE), NULL, "End all of a user's sessions", "users"},
    {"DELETE", "/api/v1/users/{id}/sessions/{sid}", gh_h_users_session_delete, GH_AUTH_PERM,
     P(USERS_UPDATE), NULL, "End one of a user's sessions", "users"},
    {"GET", "/api/v1/users/{id}/tokens", gh_h_users_tokens, GH_AUTH_PERM, P(USERS_READ), NULL,
     "A user's API tokens (never the token itself)", "users"},
    {"DELETE", "/api/v1/users/{id}/tokens/{tid}", gh_h_users_token_delete, GH_AUTH_PERM,
     P(USERS_UPDATE), NULL, "Revoke one of a user's API tokens", "users"},
    {"POST", "/api/v1/users/{id}/resend-onboarding", gh_h_users_resend_onboarding, GH_AUTH_PERM,
     P(USERS_ONBOARD), NULL,
     "Re-send the onboarding e-mail with a new link, voiding the old one (needs every users.* "
     "permission)",
     "users"},
    {"POST", "/api/v1/users/{id}/onboarding-link", gh_h_users_onboarding_link, GH_AUTH_PERM,
     P(USERS_ONBOARD), NULL,
     "Make a new onboarding link to hand over (shown once), voiding the old one and its e-mail "
     "(needs every users.* permission)",
     "users", 0, 201},
    {"GET", "/api/v1/onboarding/{token}", gh_h_onboarding_get, GH_AUTH_PUBLIC, 0, NULL,
     "Whether an onboarding link is pending, expired or used (does not use it)", "onboarding"},
    {"POST", "/api/v1/onboarding/{token}", gh_h_onboarding_complete, GH_AUTH_PUBLIC, 0,
     new_password_fields,
     "Complete onboarding: choose the password (the link works once; sign in afterwards)",
     "onboarding", 0, 200},
    {"POST", "/api/v1/password-reset", gh_h_password_reset_request, GH_AUTH_PUBLIC, 0,
     reset_request_fields,
     "Forgot password: e-mail a reset link (always 202, whether or not the account exists)",
     "onboarding", 0, 202},
    {"GET", "/api/v1/password-reset/{token}", gh_h_password_reset_get, GH_AUTH_PUBLIC, 0, NULL,
     "Whether a password-reset link is pending, expired or used (does not use it)", "onboarding"},
    {"POST", "/api/v1/password-reset/{token}", gh_h_password_reset_complete, GH_AUTH_PUBLIC, 0,
     new_password_fields, "Set a new password from a reset link; ends every session", "onboarding",
     0, 200},
    {"GET", "/api/v1/setup/{token}", gh_h_setup_get, GH_AUTH_PUBLIC, 0, NULL,
     "Whether the set-up link that serve printed is pending, expired, used or void (does not use "
     "it)",
     "setup"},
    {"POST", "/api/v1/setup/{token}", gh_h_setup_complete, GH_AUTH_PUBLIC, 0, setup_fields,
     "Create the first platform administrator from the set-up link (works once, within 1 hour, "
     "only while no account exists; sign in afterwards)",
     "setup", 0, 201},
    {NULL},
};

/* Whether pat is the "{token}" segment: a link token (handlers read it from the path). */
static bool is_token_segment(const char *pat, size_t plen)
{
    return plen == 7 && memcmp(pat, "{token}", 7) == 0;
}

/* Matches one path segment pattern; "{id}", "{sid}" and "{tid}" take a positive integer, "{token}"
 * 1 to GH_MAX_LINK_TOKEN characters of the base64url alphabet. */
static bool match_segment(const char *pat, size_t plen, const char *seg, size_t slen, int64_t *val)
{
    if (is_token_segment(pat, plen)) {
        if (slen == 0 || slen > GH_MAX_LINK_TOKEN)
            return false;
        for (size_t i = 0; i < slen; i++)
            if (!isalnum((unsigned char)seg[i]) && seg[i] != '_' && seg[i] != '-')
                return false;
        return true;
    }
    if (plen >= 2 && pat[0] == '{') {
        if (slen == 0 || slen > 18 || seg[0] == '0')
            return false;
        int64_t v = 0;
        for (size_t i = 0; i < slen; i++) {
            if (seg[i] < '0' || seg[i] > '9')
                return false;
            v = v * 10 + (seg[i] - '0');
        }
        *val = v;
        return true;
    }
    return plen == slen && memcmp(pat, seg, plen) == 0;
}

static bool match_path(const char *pat, const char *path, int64_t *id, int64_t *sub_id)
{
    int params = 0;
    while (*pat == '/' && *path == '/') {
        pat++;
        path++;
        if (pat[0] == '*' && pat[1] == '\0') /* a last "*" segment: the rest, not empty */
            return *path != '\0';
        size_t plen = strcspn(pat, "/"), slen = strcspn(path, "/");
        int64_t v = 0;
        if (!match_segment(pat, plen, path, slen, &v))
            return false;
        if (pat[0] == '{' && !is_token_segment(pat, plen))
            *(params++ == 0 ? id : sub_id) = v;
        pat += plen;
        path += slen;
    }
    return *pat == '\0' && *path == '\0';
}

const gh_route *gh_route_match(const char *method, const char *path, int64_t *id, int64_t *sub_id,
                               bool *path_known)
{
    *path_known = false;
    for (const gh_route *r = gh_routes; r->method != NULL; r++) {
        int64_t a = 0, b = 0;
        if (!match_path(r->pattern, path, &a, &b))
            continue;
        *path_known = true;
        if (strcmp(r->method, method) == 0) {
            *id = a;
            *sub_id = b;
            return r;
        }
    }
    return NULL;
}

void gh_route_allow(const char *path, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const gh_route *r = gh_routes; r->method != NULL; r++) {
        int64_t a = 0, b = 0;
        if (!match_path(r->pattern, path, &a, &b))
            continue;
        /* a GET route answers HEAD too (dispatch turns HEAD into GET) */
        const char *m = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
        int n = snprintf(buf + len, cap - len, "%s%s", len > 0 ? ", " : "", m);
        if (n < 0 || (size_t)n >= cap - len) {
            buf[len] = '\0'; /* what fits, whole methods only */
            return;
        }
        len += (size_t)n;
    }
}
