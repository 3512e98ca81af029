/* The route table: every path, its permission (deny by default: a route either names the
 * permissions it needs or is explicitly public), its body schema and its OpenAPI summary. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "http/internal.h"
#include "http/limits.h"

#define P(id) GH_PERM(id)

static const gh_field access_fields[] = {
    {"level", GH_T_STRING, GH_MAX_ACCESS_LEVEL, true, NULL,
     "platform, provider, account or sub_account"},
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
        {"language", GH_T_STRING, GH_MAX_LANGUAGE, false, NULL, "en or zh"},                       \
        {"timezone", GH_T_STRING, GH_MAX_TIMEZONE, false, NULL, "IANA zone, e.g. Asia/Shanghai"},  \
        {"country", GH_T_STRING, GH_MAX_COUNTRY, false, NULL, "ISO 3166-1 alpha-2"},               \
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

static const gh_field scim_access_fields[] = {
    {"level", GH_T_STRING, GH_MAX_ACCESS_LEVEL, true, NULL, "provider or account"},
    {"account_ids", GH_T_IDS_OR_ALL, GH_MAX_IDS, false, NULL,
     "platform accounts of the provider, or \"all\" (account access)"},
    {NULL},
};

static const gh_field scim_client_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "what the client is (e.g. Okta)"},
    {"provider_id", GH_T_ID_NULL, 0, true, NULL, "the service provider it provisions"},
    {"role_ids", GH_T_IDS, GH_MAX_IDS, false, NULL,
     "roles of the users it creates (each one the creator may grant)"},
    {"access", GH_T_OBJECT, 0, false, scim_access_fields,
     "access of the users it creates (default: the whole provider)"},
    {NULL},
};

static const gh_field webhook_fields[] = {
    {"provider_id", GH_T_ID_NULL, 0, false, NULL,
     "the service provider whose users' events it receives (default: your own); null: platform "
     "staff"},
    {"url", GH_T_STRING, GH_MAX_WEBHOOK_URL, true, NULL,
     "the receiver: https (http only to a loopback host)"},
    {"events", GH_T_STRINGS, GH_MAX_WEBHOOK_EVENTS, true, NULL,
     "user.created, user.updated, user.disabled, user.enabled, user.deleted, user.banned, "
     "user.unbanned, user.signed_in"},
    {NULL},
};

static const gh_field webhook_patch_fields[] = {
    {"provider_id", GH_T_ID_NULL, 0, false, NULL, "cannot change (only the current value)"},
    {"url", GH_T_STRING, GH_MAX_WEBHOOK_URL, false, NULL,
     "the receiver: https (http only to a loopback host)"},
    {"events", GH_T_STRINGS, GH_MAX_WEBHOOK_EVENTS, false, NULL, "the events it receives"},
    {"enabled", GH_T_BOOL, 0, false, NULL, "false: it receives nothing until enabled again"},
    {NULL},
};

static const gh_field bulk_fields[] = {
    {"action", GH_T_STRING, GH_MAX_BULK_ACTION, true, NULL, "disable, enable or delete"},
    {"ids", GH_T_IDS, GH_MAX_BULK_IDS, true, NULL, "user ids"},
    {NULL},
};

static const gh_field tenant_create_fields[] = {
    {"kind", GH_T_STRING, GH_MAX_KIND, true, NULL,
     "service_provider, platform_account or sub_account"},
    {"parent_id", GH_T_ID_NULL, 0, false, NULL,
     "the provider of an account, the account of a sub-account"},
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {NULL},
};

static const gh_field tenant_patch_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, false, NULL, "name"},
    {"dormant_days", GH_T_NUMBER, GH_MAX_DORMANT_DAYS, false, NULL,
     "service providers: disable users not signed in for this many days (0: never)"},
    {"dormant_warn_days", GH_T_NUMBER, GH_MAX_DORMANT_DAYS - 1, false, NULL,
     "service providers: e-mail a warning this many days before (0: none; < dormant_days)"},
    {"passkey_signin", GH_T_BOOL, 0, false, NULL,
     "service providers: its users may sign in with a passkey alone (user verified)"},
    {NULL},
};

static const gh_field role_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"provider_id", GH_T_ID_NULL, 0, false, NULL, "service provider; null: global"},
    {"kind", GH_T_STRING, GH_MAX_KIND, true, NULL,
     "service_provider, platform_account or platform_user"},
    {"permissions", GH_T_STRINGS, GH_MAX_ROLE_PERMISSIONS, true, NULL,
     "names from /api/v1/permissions"},
    {"mfa_required", GH_T_BOOL, 0, false, NULL, "its holders must pass two-factor at sign-in"},
    {NULL},
};

static const gh_field role_patch_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, false, NULL, "name"},
    {"description", GH_T_STRING, GH_MAX_DESCRIPTION, false, NULL, "description"},
    {"kind", GH_T_STRING, GH_MAX_KIND, false, NULL,
     "service_provider, platform_account or platform_user"},
    {"permissions", GH_T_STRINGS, GH_MAX_ROLE_PERMISSIONS, false, NULL,
     "names from /api/v1/permissions"},
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

static const gh_field sso_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_SSO_NAME, true, NULL,
     "slug [a-z0-9][a-z0-9-]{0,62}: the value of a user's sso_source; cannot change"},
    {"display_name", GH_T_STRING, GH_MAX_SSO_DISPLAY_NAME, true, NULL,
     "the button's text: Sign in with {display_name}"},
    {"issuer", GH_T_STRING, GH_MAX_SSO_ISSUER, true, NULL,
     "https URL (http only on loopback); discovery at {issuer}/.well-known/openid-configuration"},
    {"client_id", GH_T_STRING, GH_MAX_SSO_CLIENT_ID, true, NULL, "the client's id at the issuer"},
    {"client_secret", GH_T_STRING, GH_MAX_SSO_CLIENT_SECRET, true, NULL,
     "write-only: sealed at rest, never returned"},
    {"scopes", GH_T_STRING, GH_MAX_SSO_SCOPES, false, NULL,
     "space-separated, with openid (default: openid email profile)"},
    {"claim", GH_T_STRING, GH_MAX_SSO_CLAIM, false, NULL,
     "the ID-token claim that is the user's SSO ID: sub (default), email, preferred_username..."},
    {"provider_id", GH_T_ID_NULL, 0, false, NULL,
     "the service provider whose users it serves (null: platform staff; default: your own); "
     "cannot change"},
    {"trust_idp_mfa", GH_T_BOOL, 0, false, NULL,
     "an ID token whose amr says mfa, otp or hwk satisfies two-factor (default false)"},
    {"rp_logout", GH_T_BOOL, 0, false, NULL,
     "sign out at the provider too when it offers end_session_endpoint (default false)"},
    {NULL},
};

/* the same but name and provider_id, which cannot change; client_secret replaces the stored one */
static const gh_field sso_patch_fields[] = {
    {"display_name", GH_T_STRING, GH_MAX_SSO_DISPLAY_NAME, false, NULL,
     "the button's text: Sign in with {display_name}"},
    {"issuer", GH_T_STRING, GH_MAX_SSO_ISSUER, false, NULL,
     "https URL (http only on loopback); discovery at {issuer}/.well-known/openid-configuration"},
    {"client_id", GH_T_STRING, GH_MAX_SSO_CLIENT_ID, false, NULL, "the client's id at the issuer"},
    {"client_secret", GH_T_STRING, GH_MAX_SSO_CLIENT_SECRET, false, NULL,
     "write-only: replaces the stored one, never returned"},
    {"scopes", GH_T_STRING, GH_MAX_SSO_SCOPES, false, NULL, "space-separated, with openid"},
    {"claim", GH_T_STRING, GH_MAX_SSO_CLAIM, false, NULL,
     "the ID-token claim that is the user's SSO ID"},
    {"trust_idp_mfa", GH_T_BOOL, 0, false, NULL,
     "an ID token whose amr says mfa, otp or hwk satisfies two-factor"},
    {"rp_logout", GH_T_BOOL, 0, false, NULL,
     "sign out at the provider too when it offers end_session_endpoint"},
    {NULL},
};

static const gh_field signin_fields[] = {
    {"username", GH_T_STRING, GH_MAX_USERNAME, true, NULL, "username"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "password"},
    {NULL},
};

static const gh_field code_fields[] = {
    {"code", GH_T_STRING, GH_MAX_CODE, true, NULL, "6-digit TOTP code, or a recovery code"},
    {NULL},
};

static const gh_field totp_start_fields[] = {
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "to replace an enrolled device: the current password"},
    {"code", GH_T_STRING, GH_MAX_CODE, false, NULL,
     "or, instead, a current 6-digit code of that device"},
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
    {"language", GH_T_STRING, GH_MAX_LANGUAGE, false, NULL, "en or zh"},
    {"timezone", GH_T_STRING, GH_MAX_TIMEZONE, false, NULL, "IANA zone, e.g. Asia/Shanghai"},
    {NULL},
};

static const gh_field token_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "what the token is for"},
    {"expires_in_days", GH_T_COUNT, 365, false, NULL, "its lifetime in days (default 90)"},
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "the proof: the current password"},
    {"code", GH_T_STRING, GH_MAX_CODE, false, NULL,
     "or, instead, a current 6-digit code of the two-factor device"},
    {NULL},
};

static const gh_field change_password_fields[] = {
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "the current password"},
    {"password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, true, NULL, "the new password"},
    {NULL},
};

/* ---- query parameters: the only ones each route takes (json.c gh_query_route) ---- */

#define PAGE_QUERY                                                                                 \
    {"limit", GH_Q_COUNT, GH_PAGE_MAX, NULL, "page size (default 50)"},                            \
    {                                                                                              \
        "cursor", GH_Q_CURSOR, GH_MAX_CURSOR, NULL, "next_cursor of the previous page"             \
    }

#define USER_FILTER_QUERY                                                                          \
    {"q", GH_Q_TEXT, GH_MAX_QUERY_TEXT, NULL,                                                      \
     "search: username, names or e-mail (words match prefixes)"},                                  \
        {"role_id", GH_Q_ID, 0, NULL, "holding this role"},                                        \
        {"group_id", GH_Q_ID, 0, NULL, "in this group"},                                           \
        {"tenant_id", GH_Q_ID, 0, NULL, "with access to this tenant"},                             \
    {                                                                                              \
        "inactive_days", GH_Q_COUNT, GH_MAX_DORMANT_DAYS, NULL,                                    \
            "not signed in for at least this many days"                                            \
    }

#define USER_STATUS_QUERY                                                                          \
    {"status", GH_Q_ENUM, 0, "active invited disabled banned deleted", "the status tab"},          \
    {                                                                                              \
        "sort", GH_Q_ENUM, 0,                                                                      \
            "name username email last_login created id -name -username -email -last_login "        \
            "-created -id",                                                                        \
            "sort order, - to reverse (default: name, or id for a search)"                         \
    }

static const gh_qparam users_list_query[] = {
    USER_FILTER_QUERY, USER_STATUS_QUERY, PAGE_QUERY, {NULL}};
static const gh_qparam users_counts_query[] = {USER_FILTER_QUERY, {NULL}};
static const gh_qparam users_csv_query[] = {
    USER_FILTER_QUERY,
    USER_STATUS_QUERY,
    {"bom", GH_Q_ENUM, 0, "0 1", "1: start with a byte-order mark (for Excel)"},
    {NULL}};
static const gh_qparam import_query[] = {
    {"dry_run", GH_Q_ENUM, 0, "0 1", "1: check every row and keep nothing"}, {NULL}};
static const gh_qparam tenants_query[] = {
    {"parent_id", GH_Q_ID, 0, NULL, "children of this tenant"},
    {"kind", GH_Q_ENUM, 0, "service_provider platform_account sub_account", "of this kind"},
    PAGE_QUERY,
    {NULL}};
/* roles and groups: a provider's, or "global" (the global ones) */
static const gh_qparam catalog_query[] = {
    {"provider_id", GH_Q_ID_OR, 0, "global", "a service provider's, or global"},
    PAGE_QUERY,
    {NULL}};
/* SSO sources, SCIM clients and webhooks: a provider's, or "platform" (the platform staff's) */
static const gh_qparam provider_page_query[] = {
    {"provider_id", GH_Q_ID_OR, 0, "platform", "a service provider's, or the platform's"},
    PAGE_QUERY,
    {NULL}};
static const gh_qparam scim_page_query[] = {
    {"provider_id", GH_Q_ID, 0, NULL, "a service provider's"}, PAGE_QUERY, {NULL}};
static const gh_qparam provider_query[] = {
    {"provider_id", GH_Q_ID_OR, 0, "platform", "one service provider, or the platform"}, {NULL}};
static const gh_qparam audit_query[] = {
    {"actor_id", GH_Q_ID, 0, NULL, "by this user"},
    {"actor", GH_Q_TEXT, GH_MAX_USERNAME, NULL, "by this username"},
    {"target_id", GH_Q_ID, 0, NULL, "about this object"},
    {"target_type", GH_Q_TEXT, GH_MAX_NAME, NULL, "about objects of this type (user, role...)"},
    {"action", GH_Q_TEXT, GH_MAX_NAME, NULL, "this action (GET /api/v1/audit/actions)"},
    {"since", GH_Q_TIME, 0, NULL, "at or after"},
    {"until", GH_Q_TIME, 0, NULL, "before"},
    PAGE_QUERY,
    {NULL}};
static const gh_qparam sso_start_query[] = {
    {"next", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the console path to return to"}, {NULL}};
/* the identity provider's redirect: these, and whatever else it adds (query_open) */
static const gh_qparam sso_callback_query[] = {
    {"code", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the authorization code"},
    {"state", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the flow's state"},
    {"error", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the provider's error"},
    {"iss", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the issuer (RFC 9207)"},
    {NULL}};
static const gh_qparam auth_return_query[] = {
    {"rd", GH_Q_TEXT, GH_MAX_URL_BYTES, NULL, "the application URL to return to"}, {NULL}};

/* Passkeys: a PublicKeyCredential in the WebAuthn JSON serialisation (base64url fields). */
static const gh_field attestation_response_fields[] = {
    {"clientDataJSON", GH_T_STRING, GH_MAX_WEBAUTHN_DATA, true, NULL, "base64url"},
    {"attestationObject", GH_T_STRING, GH_MAX_WEBAUTHN_DATA, true, NULL,
     "base64url CBOR; attestation format none"},
    {"transports", GH_T_STRINGS, 8, false, NULL, "as getTransports() reports them"},
    {NULL},
};

static const gh_field assertion_response_fields[] = {
    {"clientDataJSON", GH_T_STRING, GH_MAX_WEBAUTHN_DATA, true, NULL, "base64url"},
    {"authenticatorData", GH_T_STRING, GH_MAX_WEBAUTHN_DATA, true, NULL, "base64url"},
    {"signature", GH_T_STRING, GH_MAX_WEBAUTHN_DATA, true, NULL, "base64url"},
    {"userHandle", GH_T_STRING_NULL, GH_MAX_WEBAUTHN_ID, false, NULL,
     "base64url (a discoverable passkey: needed for password-less sign-in)"},
    {NULL},
};

#define CREDENTIAL_FIELDS(response)                                                                \
    {"id", GH_T_STRING, GH_MAX_WEBAUTHN_ID, true, NULL, "credential id, base64url"},               \
        {"rawId", GH_T_STRING, GH_MAX_WEBAUTHN_ID, true, NULL, "the same"},                        \
        {"type", GH_T_STRING, GH_MAX_WEBAUTHN_WORD, true, NULL, "public-key"},                     \
        {"authenticatorAttachment",   GH_T_STRING_NULL, GH_MAX_WEBAUTHN_WORD, false, NULL,         \
         "platform or cross-platform"},                                                            \
        {"clientExtensionResults", GH_T_OBJECT, 0, false, empty_fields, "{} (none asked for)"},    \
    {                                                                                              \
        "response", GH_T_OBJECT, 0, true, response, "the authenticator's response"                 \
    }

static const gh_field empty_fields[] = {{NULL}};
static const gh_field attestation_fields[] = {CREDENTIAL_FIELDS(attestation_response_fields),
                                              {NULL}};
static const gh_field assertion_fields[] = {CREDENTIAL_FIELDS(assertion_response_fields), {NULL}};

static const gh_field passkey_create_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "what the passkey is (e.g. Work laptop)"},
    {"credential", GH_T_OBJECT, 0, true, attestation_fields,
     "navigator.credentials.create()'s answer to the options"},
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "once the account has a second factor: the current password"},
    {"code", GH_T_STRING, GH_MAX_CODE, false, NULL,
     "or, instead, a current 6-digit code of the two-factor device"},
    {NULL},
};

static const gh_field passkey_rename_fields[] = {
    {"name", GH_T_STRING, GH_MAX_NAME, true, NULL, "the new name"},
    {NULL},
};

static const gh_field passkey_delete_fields[] = {
    {"current_password", GH_T_STRING, GH_MAX_PASSWORD_BYTES, false, NULL,
     "the proof: the current password"},
    {"code", GH_T_STRING, GH_MAX_CODE, false, NULL,
     "or, instead, a current 6-digit code of the two-factor device"},
    {NULL},
};

static const gh_field passkey_assert_fields[] = {
    {"credential", GH_T_OBJECT, 0, true, assertion_fields,
     "navigator.credentials.get()'s answer to the options"},
    {NULL},
};

/* A page or file of the web console: GET, public, tag "console". */
#define CONSOLE(path)                                                                              \
    {                                                                                              \
        .method = "GET", .pattern = path, .handler = gh_h_web, .auth = GH_AUTH_PUBLIC,             \
        .summary = "Web console", .tag = "console", .query_open = true                             \
    }

#define S(stage)    GH_STAGE_BIT(GH_STAGE_##stage)
#define SESSION_ANY (S(TOTP) | S(WEBAUTHN) | S(ENROLL_TOTP) | S(CHANGE_PASSWORD) | S(DONE))

const gh_route gh_routes[] = {
    {.method = "GET",
     .pattern = "/healthz",
     .handler = gh_h_health,
     .response = "Health",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Liveness",
     .tag = "operations"},
    {.method = "GET",
     .pattern = "/readyz",
     .handler = gh_h_ready,
     .produces = "text/plain",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Readiness: the database answers",
     .tag = "operations"},
    {.method = "GET",
     .pattern = "/metrics",
     .handler = gh_h_metrics,
     .produces = "text/plain",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Prometheus metrics",
     .tag = "operations"},
    {.method = "GET",
     .pattern = "/api/v1/password-policy",
     .handler = gh_h_password_policy,
     .response = "PasswordPolicy",
     .auth = GH_AUTH_PUBLIC,
     .summary = "The password policy's figures, for forms to show: min_length and max_length "
                "(characters), min_distinct (different characters), own_data_min (the length from "
                "which names, user name and e-mail are sought in a password); the server also "
                "refuses dictionary words and keyboard or alphabet runs",
     .tag = "operations"},
    {.method = "GET",
     .pattern = "/api/v1/openapi.json",
     .handler = gh_h_openapi,
     .response = "OpenApiDocument",
     .auth = GH_AUTH_PUBLIC,
     .summary = "This document",
     .tag = "operations"},
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
    CONSOLE("/sso-sources"),
    CONSOLE("/sso-sources/*"),
    CONSOLE("/scim-clients"),
    CONSOLE("/scim-clients/*"),
    CONSOLE("/webhooks"),
    CONSOLE("/webhooks/*"),
    {.method = "GET",
     .pattern = "/api/v1/permissions",
     .handler = gh_h_permissions,
     .response = "Permissions",
     .auth = GH_AUTH_PERM,
     .perm = 0, /* any signed-in principal */
     .summary = "The permission catalogue",
     .tag = "roles"},
    {.method = "GET",
     .pattern = "/api/v1/users",
     .handler = gh_h_users_list,
     .response = "UserPage",
     .query = users_list_query,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .summary =
         "List and search users (q, status, role_id, group_id, tenant_id, inactive_days, sort, "
         "limit, cursor)",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users",
     .handler = gh_h_users_create,
     .response = "User",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_CREATE),
     .body = user_create_fields,
     .summary = "Create a user",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/users.csv",
     .handler = gh_h_users_csv,
     .query = users_csv_query,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .produces = "text/csv",
     .summary = "Export the users list as CSV (the list's q, status, role_id, group_id, tenant_id "
                "and sort; bom=1 starts the file with a byte-order mark for Excel), streamed. "
                "Columns: username, first_name, last_name, email, phone, language, timezone, "
                "country, status, provider, access, accounts, sub_accounts, roles, groups "
                "(names, ';'-separated, '*' for all), login_enabled, mfa_required, enforce_sso, "
                "sso_source, sso_id. RFC 4180; a cell starting with = + - @ tab, CR or ' has an "
                "apostrophe added in front",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/import",
     .handler = gh_h_users_import,
     .response = "ImportResult",
     .query = import_query,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_CREATE) | P(USERS_UPDATE),
     .consumes = "text/csv",
     .success = 200,
     .summary = "Import users from CSV (the columns of GET /api/v1/users.csv, by the header's "
                "names; at most 64 KiB a request: send a big file in parts, each with the header): "
                "each row one create or update, answered per row as created, updated, unchanged "
                "or refused with its field and code; dry_run=1 checks every row and keeps nothing",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/bulk",
     .handler = gh_h_users_bulk,
     .response = "BulkResult",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_DISABLE),
     .body = bulk_fields,
     .summary = "Disable, enable or delete many users (delete also needs users.delete)",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/users/counts",
     .handler = gh_h_users_counts,
     .response = "UserCounts",
     .query = users_counts_query,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .summary = "Each status tab's user count for the list's filter (q, role_id, group_id, "
                "tenant_id): exact up to 10,000, then more",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/users/{id}",
     .handler = gh_h_users_get,
     .response = "User",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .summary = "Read a user (ETag)",
     .tag = "users"},
    {.method = "PATCH",
     .pattern = "/api/v1/users/{id}",
     .handler = gh_h_users_patch,
     .response = "User",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_UPDATE),
     .body = user_patch_fields,
     .summary = "Edit a user (If-Match)",
     .tag = "users"},
    {.method = "DELETE",
     .pattern = "/api/v1/users/{id}",
     .handler = gh_h_users_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_DELETE),
     .summary = "Delete a user (the username stays reserved)",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/disable",
     .handler = gh_h_users_disable,
     .response = "User",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_DISABLE),
     .summary = "Disable a user",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/enable",
     .handler = gh_h_users_enable,
     .response = "User",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_DISABLE),
     .summary = "Enable a user",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/tenants",
     .handler = gh_h_tenants_list,
     .response = "TenantPage",
     .query = tenants_query,
     .auth = GH_AUTH_PERM,
     .perm = P(TENANTS_READ),
     .summary = "List tenants (parent_id, kind, limit, cursor)",
     .tag = "tenants"},
    {.method = "POST",
     .pattern = "/api/v1/tenants",
     .handler = gh_h_tenants_create,
     .response = "Tenant",
     .auth = GH_AUTH_PERM,
     .perm = P(TENANTS_CREATE),
     .body = tenant_create_fields,
     .summary = "Create a service provider, platform account or sub-account",
     .tag = "tenants"},
    {.method = "GET",
     .pattern = "/api/v1/tenants/{id}",
     .handler = gh_h_tenants_get,
     .response = "Tenant",
     .auth = GH_AUTH_PERM,
     .perm = P(TENANTS_READ),
     .summary = "Read a tenant",
     .tag = "tenants"},
    {.method = "PATCH",
     .pattern = "/api/v1/tenants/{id}",
     .handler = gh_h_tenants_patch,
     .response = "Tenant",
     .auth = GH_AUTH_PERM,
     .perm = P(TENANTS_UPDATE),
     .body = tenant_patch_fields,
     .summary = "Rename a tenant; a service provider's dormant rule",
     .tag = "tenants"},
    {.method = "DELETE",
     .pattern = "/api/v1/tenants/{id}",
     .handler = gh_h_tenants_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(TENANTS_DELETE),
     .summary = "Remove an empty tenant",
     .tag = "tenants"},
    {.method = "GET",
     .pattern = "/api/v1/roles",
     .handler = gh_h_roles_list,
     .response = "RolePage",
     .query = catalog_query,
     .auth = GH_AUTH_PERM,
     .perm = P(ROLES_READ),
     .summary = "List roles (provider_id, limit, cursor)",
     .tag = "roles"},
    {.method = "POST",
     .pattern = "/api/v1/roles",
     .handler = gh_h_roles_create,
     .response = "Role",
     .auth = GH_AUTH_PERM,
     .perm = P(ROLES_CREATE),
     .body = role_create_fields,
     .summary = "Create a role",
     .tag = "roles"},
    {.method = "GET",
     .pattern = "/api/v1/roles/{id}",
     .handler = gh_h_roles_get,
     .response = "Role",
     .auth = GH_AUTH_PERM,
     .perm = P(ROLES_READ),
     .summary = "Read a role",
     .tag = "roles"},
    {.method = "PATCH",
     .pattern = "/api/v1/roles/{id}",
     .handler = gh_h_roles_patch,
     .response = "Role",
     .auth = GH_AUTH_PERM,
     .perm = P(ROLES_UPDATE),
     .body = role_patch_fields,
     .summary = "Edit a role (If-Match)",
     .tag = "roles"},
    {.method = "DELETE",
     .pattern = "/api/v1/roles/{id}",
     .handler = gh_h_roles_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(ROLES_DELETE),
     .summary = "Delete an unused role",
     .tag = "roles"},
    {.method = "GET",
     .pattern = "/api/v1/groups",
     .handler = gh_h_groups_list,
     .response = "GroupPage",
     .query = catalog_query,
     .auth = GH_AUTH_PERM,
     .perm = P(GROUPS_READ),
     .summary = "List groups (provider_id, limit, cursor)",
     .tag = "groups"},
    {.method = "POST",
     .pattern = "/api/v1/groups",
     .handler = gh_h_groups_create,
     .response = "Group",
     .auth = GH_AUTH_PERM,
     .perm = P(GROUPS_CREATE),
     .body = group_create_fields,
     .summary = "Create a group",
     .tag = "groups"},
    {.method = "GET",
     .pattern = "/api/v1/groups/{id}",
     .handler = gh_h_groups_get,
     .response = "Group",
     .auth = GH_AUTH_PERM,
     .perm = P(GROUPS_READ),
     .summary = "Read a group",
     .tag = "groups"},
    {.method = "PATCH",
     .pattern = "/api/v1/groups/{id}",
     .handler = gh_h_groups_patch,
     .response = "Group",
     .auth = GH_AUTH_PERM,
     .perm = P(GROUPS_UPDATE),
     .body = group_patch_fields,
     .summary = "Edit a group (If-Match)",
     .tag = "groups"},
    {.method = "DELETE",
     .pattern = "/api/v1/groups/{id}",
     .handler = gh_h_groups_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(GROUPS_DELETE),
     .summary = "Delete a group",
     .tag = "groups"},
    {.method = "GET",
     .pattern = "/api/v1/sso-sources",
     .handler = gh_h_sso_list,
     .response = "SsoSourcePage",
     .query = provider_page_query,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "List SSO sources (provider_id or platform, limit, cursor); never a client secret",
     .tag = "sso"},
    {.method = "POST",
     .pattern = "/api/v1/sso-sources",
     .handler = gh_h_sso_create,
     .response = "SsoSource",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .body = sso_create_fields,
     .summary = "Define an SSO source (OpenID Connect provider)",
     .tag = "sso"},
    {.method = "GET",
     .pattern = "/api/v1/sso-sources/public",
     .handler = gh_h_sso_public,
     .response = "SsoButtons",
     .query = provider_query,
     .auth = GH_AUTH_PUBLIC,
     .summary = "The SSO sources' buttons for the sign-in page: name, display_name, start_url",
     .tag = "sso"},
    {.method = "POST",
     .pattern = "/api/v1/sso-sources/{id}/test",
     .handler = gh_h_sso_test,
     .response = "SsoTest",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .summary = "Test an SSO source: fetch the provider's discovery document and keys, report "
                "what was found (ok, endpoints, methods, algorithms, keys) or where it failed",
     .tag = "sso"},
    /* single sign-on's browser pages (h_sso_flow.c): redirects, never JSON */
    {.method = "GET",
     .pattern = "/sso/{name}/start",
     .handler = gh_h_sso_start,
     .success = 302,
     .query = sso_start_query,
     .auth = GH_AUTH_PUBLIC,
     .summary = "Sign in through an SSO source: 302 to the provider (next: where to return)",
     .tag = "sso"},
    {.method = "GET",
     .pattern = "/sso/{name}/callback",
     .handler = gh_h_sso_callback,
     .success = 302,
     .query = sso_callback_query,
     .query_open = true,
     .auth = GH_AUTH_PUBLIC,
     .summary = "The provider's redirect back (code, state): signs in, 302 to next or to "
                "/signin?sso_error=",
     .tag = "sso"},
    {.method = "GET",
     .pattern = "/sso/{name}/logout",
     .handler = gh_h_sso_logout,
     .success = 302,
     .auth = GH_AUTH_PUBLIC,
     .summary = "After signing out: 302 to the provider's end_session_endpoint (RP logout)",
     .tag = "sso"},
    {.method = "GET",
     .pattern = "/auth/verify",
     .handler = gh_h_auth_verify,
     .query_open = true, /* a proxy may pass the application's query on (Caddy) */
     .response = "ForwardIdentity",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Forward-auth for nginx auth_request: 200 with Remote-User, Remote-Email, "
                "Remote-Name, Remote-Groups and Remote-Permissions; 401 when not signed in; 403 "
                "when the application (X-Original-URL's host) is not protected or needs more",
     .tag = "forward-auth"},
    {.method = "GET",
     .pattern = "/auth/forward",
     .handler = gh_h_auth_forward,
     .query_open = true, /* a proxy may pass the application's query on (Caddy) */
     .response = "ForwardIdentity",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Forward-auth for Traefik and Caddy: as /auth/verify, but 302 to the sign-in "
                "(with the X-Forwarded-Proto/Host/Uri URL to return to) when not signed in",
     .tag = "forward-auth"},
    {.method = "GET",
     .pattern = "/auth/return",
     .handler = gh_h_auth_return,
     .success = 302,
     .query = auth_return_query,
     .auth = GH_AUTH_PUBLIC,
     .summary = "After the sign-in: 302 to rd when its host is a protected application, else to "
                "the console",
     .tag = "forward-auth"},
    {.method = "GET",
     .pattern = "/api/v1/sso-sources/{id}",
     .handler = gh_h_sso_get,
     .response = "SsoSource",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "Read an SSO source (ETag)",
     .tag = "sso"},
    {.method = "PATCH",
     .pattern = "/api/v1/sso-sources/{id}",
     .handler = gh_h_sso_patch,
     .response = "SsoSource",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .body = sso_patch_fields,
     .summary = "Edit an SSO source (If-Match); a client_secret given replaces the stored one",
     .tag = "sso"},
    {.method = "DELETE",
     .pattern = "/api/v1/sso-sources/{id}",
     .handler = gh_h_sso_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .summary = "Delete an SSO source",
     .tag = "sso"},
    {.method = "GET",
     .pattern = "/api/v1/scim-clients",
     .handler = gh_h_scim_clients_list,
     .response = "ScimClientPage",
     .query = scim_page_query,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "List SCIM clients (provider_id, limit, cursor); never a token",
     .tag = "scim"},
    {.method = "POST",
     .pattern = "/api/v1/scim-clients",
     .handler = gh_h_scim_clients_create,
     .response = "ScimClient",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .body = scim_client_fields,
     .summary = "Add a SCIM client: a bearer token for /scim/v2 bound to one service provider, "
                "acting with the creator's rights (the token is shown once)",
     .tag = "scim",
     .success = 201},
    {.method = "GET",
     .pattern = "/api/v1/scim-clients/{id}",
     .handler = gh_h_scim_clients_get,
     .response = "ScimClient",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "Read a SCIM client",
     .tag = "scim"},
    {.method = "DELETE",
     .pattern = "/api/v1/scim-clients/{id}",
     .handler = gh_h_scim_clients_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .summary = "Revoke a SCIM client (its token stops working at once)",
     .tag = "scim"},
    {.method = "GET",
     .pattern = "/api/v1/webhooks",
     .handler = gh_h_webhooks_list,
     .response = "WebhookPage",
     .query = provider_page_query,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "List webhook subscriptions (provider_id, limit, cursor); never a secret",
     .tag = "webhooks"},
    {.method = "POST",
     .pattern = "/api/v1/webhooks",
     .handler = gh_h_webhooks_create,
     .response = "Webhook",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .body = webhook_fields,
     .summary = "Add a webhook subscription bound to one service provider; its signing secret "
                "(whsec_...) is in this answer only",
     .tag = "webhooks",
     .success = 201},
    {.method = "GET",
     .pattern = "/api/v1/webhooks/{id}",
     .handler = gh_h_webhooks_get,
     .response = "Webhook",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "Read a webhook subscription",
     .tag = "webhooks"},
    {.method = "PATCH",
     .pattern = "/api/v1/webhooks/{id}",
     .handler = gh_h_webhooks_patch,
     .response = "Webhook",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .body = webhook_patch_fields,
     .summary = "Change a webhook subscription's URL, events or enabled (not its provider or "
                "secret)",
     .tag = "webhooks"},
    {.method = "DELETE",
     .pattern = "/api/v1/webhooks/{id}",
     .handler = gh_h_webhooks_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .summary = "Delete a webhook subscription and its deliveries",
     .tag = "webhooks"},
    {.method = "GET",
     .pattern = "/api/v1/webhooks/{id}/deliveries",
     .handler = gh_h_webhooks_deliveries,
     .response = "WebhookDeliveries",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_READ),
     .summary = "The last deliveries of a subscription, newest first: state, attempts, response "
                "code, error, times",
     .tag = "webhooks"},
    {.method = "POST",
     .pattern = "/api/v1/webhooks/{id}/deliveries/{sid}/resend",
     .handler = gh_h_webhooks_resend,
     .response = "Resent",
     .auth = GH_AUTH_PERM,
     .perm = P(SETTINGS_UPDATE),
     .summary = "Send a delivery again now (same webhook-id), its attempts counted afresh",
     .tag = "webhooks",
     .success = 202},
    {.method = "GET",
     .pattern = "/api/v1/audit",
     .handler = gh_h_audit_list,
     .response = "AuditPage",
     .query = audit_query,
     .auth = GH_AUTH_PERM,
     .perm = P(AUDIT_READ),
     .summary = "The audit trail (actor_id, actor, target_id, target_type, action, since, until, "
                "limit, cursor), each row with actor_name, target_name and target_visible",
     .tag = "audit"},
    {.method = "GET",
     .pattern = "/api/v1/audit/actions",
     .handler = gh_h_audit_actions,
     .response = "AuditActions",
     .auth = GH_AUTH_PERM,
     .perm = P(AUDIT_READ),
     .summary = "The actions the audit trail records (for its filter)",
     .tag = "audit"},
    {.method = "POST",
     .pattern = "/api/v1/session",
     .handler = gh_h_session_create,
     .response = "SignIn",
     .auth = GH_AUTH_PUBLIC,
     .body = signin_fields,
     .summary = "Sign in with username and password; the body's next says what follows",
     .tag = "session",
     .success = 200},
    {.method = "GET",
     .pattern = "/api/v1/session",
     .handler = gh_h_session_get,
     .response = "WhoAmI",
     .auth = GH_AUTH_STAGE,
     .summary = "Who am I: user, permissions, scope and the next sign-in step",
     .tag = "session",
     .stages = SESSION_ANY},
    {.method = "DELETE",
     .pattern = "/api/v1/session",
     .handler = gh_h_session_delete,
     .response = "SignOut",
     .auth = GH_AUTH_STAGE,
     .summary = "Sign out",
     .tag = "session",
     .stages = SESSION_ANY,
     .success = 204},
    {.method = "POST",
     .pattern = "/api/v1/session/totp",
     .handler = gh_h_session_totp,
     .response = "Next",
     .auth = GH_AUTH_STAGE,
     .body = code_fields,
     .summary = "The two-factor step: a TOTP code or a recovery code (also at the webauthn step, "
                "instead of the passkey)",
     .tag = "session",
     .stages = S(TOTP) | S(WEBAUTHN),
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/session/webauthn/options",
     .handler = gh_h_session_webauthn_options,
     .response = "RequestOptions",
     .auth = GH_AUTH_STAGE,
     .summary = "The webauthn step's options (PublicKeyCredentialRequestOptionsJSON): a fresh "
                "single-use challenge and the user's passkeys",
     .tag = "session",
     .stages = S(WEBAUTHN),
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/session/webauthn",
     .handler = gh_h_session_webauthn,
     .response = "Next",
     .auth = GH_AUTH_STAGE,
     .body = passkey_assert_fields,
     .summary = "The webauthn step: an assertion of one of the user's passkeys",
     .tag = "session",
     .stages = S(WEBAUTHN),
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/session/passkey/options",
     .handler = gh_h_session_passkey_options,
     .response = "RequestOptions",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Password-less sign-in's options: a challenge, no user named, user verification "
                "required",
     .tag = "session",
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/session/passkey",
     .handler = gh_h_session_passkey,
     .response = "SignIn",
     .auth = GH_AUTH_PUBLIC,
     .body = passkey_assert_fields,
     .summary = "Password-less sign-in with a discoverable passkey (user verified), where the "
                "user's service provider allows it; the body's next says what follows",
     .tag = "session",
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/session/password",
     .handler = gh_h_session_password,
     .response = "Next",
     .auth = GH_AUTH_STAGE,
     .body = new_password_fields,
     .summary = "The forced password change",
     .tag = "session",
     .stages = S(CHANGE_PASSWORD),
     .success = 200},
    {.method = "GET",
     .pattern = "/api/v1/me/sessions",
     .handler = gh_h_me_sessions,
     .response = "SessionPage",
     .auth = GH_AUTH_STAGE,
     .summary = "My sessions",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "DELETE",
     .pattern = "/api/v1/me/sessions/{id}",
     .handler = gh_h_me_session_delete,
     .auth = GH_AUTH_STAGE,
     .summary = "End one of my sessions",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "GET",
     .pattern = "/api/v1/me/tokens",
     .handler = gh_h_me_tokens,
     .response = "TokenPage",
     .auth = GH_AUTH_STAGE,
     .summary = "My API tokens (id, name, created_at, expires_at; never the token)",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "POST",
     .pattern = "/api/v1/me/tokens",
     .handler = gh_h_me_token_create,
     .response = "Token",
     .auth = GH_AUTH_STAGE,
     .body = token_create_fields,
     .summary = "Create an API token of my own from a signed-in session, with the current password "
                "or a current code as proof (accounts with neither need none); the token is in "
                "this answer only",
     .tag = "me",
     .stages = S(DONE),
     .success = 201},
    {.method = "DELETE",
     .pattern = "/api/v1/me/tokens/{id}",
     .handler = gh_h_me_token_delete,
     .auth = GH_AUTH_STAGE,
     .summary = "Revoke one of my API tokens",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "GET",
     .pattern = "/api/v1/me/grantable",
     .handler = gh_h_me_grantable,
     .response = "Grantable",
     .query = provider_query,
     .auth = GH_AUTH_PERM,
     .perm = 0, /* any signed-in principal: it answers for itself */
     .summary = "What I may grant (provider_id: one provider, or platform): per service provider "
                "the access levels, accounts, sub-accounts, roles and groups, by id and name, "
                "that a user create or edit of mine accepts",
     .tag = "me"},
    {.method = "POST",
     .pattern = "/api/v1/me/password",
     .handler = gh_h_me_password,
     .auth = GH_AUTH_STAGE,
     .body = change_password_fields,
     .summary = "Change my password (needs the current one)",
     .tag = "me",
     .stages = S(DONE),
     .success = 204},
    {.method = "PATCH",
     .pattern = "/api/v1/me/profile",
     .handler = gh_h_me_profile,
     .response = "UserRecord",
     .auth = GH_AUTH_STAGE,
     .body = me_profile_fields,
     .summary = "Set my own language and timezone",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "POST",
     .pattern = "/api/v1/me/passkeys/options",
     .handler = gh_h_me_passkey_options,
     .response = "CreationOptions",
     .auth = GH_AUTH_STAGE,
     .summary = "Options to register a passkey (PublicKeyCredentialCreationOptionsJSON): a "
                "single-use challenge, the user handle, the passkeys to exclude",
     .tag = "me",
     .stages = S(ENROLL_TOTP) | S(DONE),
     .success = 200},
    {.method = "GET",
     .pattern = "/api/v1/me/passkeys",
     .handler = gh_h_me_passkeys,
     .response = "PasskeyPage",
     .auth = GH_AUTH_STAGE,
     .summary = "My passkeys",
     .tag = "me",
     .stages = S(DONE)},
    {.method = "POST",
     .pattern = "/api/v1/me/passkeys",
     .handler = gh_h_me_passkey_create,
     .response = "Passkey",
     .auth = GH_AUTH_STAGE,
     .body = passkey_create_fields,
     .summary = "Register a passkey; once the account has a second factor, with the current "
                "password or a current code as proof",
     .tag = "me",
     .stages = S(ENROLL_TOTP) | S(DONE),
     .success = 201},
    {.method = "PATCH",
     .pattern = "/api/v1/me/passkeys/{id}",
     .handler = gh_h_me_passkey_rename,
     .auth = GH_AUTH_STAGE,
     .body = passkey_rename_fields,
     .summary = "Rename one of my passkeys",
     .tag = "me",
     .stages = S(DONE),
     .success = 204},
    {.method = "DELETE",
     .pattern = "/api/v1/me/passkeys/{id}",
     .handler = gh_h_me_passkey_delete,
     .auth = GH_AUTH_STAGE,
     .body = passkey_delete_fields,
     .summary = "Remove one of my passkeys, with the current password or a current code as proof",
     .tag = "me",
     .stages = S(DONE),
     .success = 204,
     .body_optional = true},
    {.method = "GET",
     .pattern = "/api/v1/me/totp",
     .handler = gh_h_me_totp_get,
     .response = "TotpState",
     .auth = GH_AUTH_STAGE,
     .summary = "My two-factor state",
     .tag = "me",
     .stages = S(ENROLL_TOTP) | S(DONE)},
    {.method = "POST",
     .pattern = "/api/v1/me/totp",
     .handler = gh_h_me_totp_start,
     .response = "TotpEnrolment",
     .auth = GH_AUTH_STAGE,
     .body = totp_start_fields,
     .summary =
         "Start two-factor enrolment: secret, otpauth URI and QR code (SVG); replacing an enrolled "
         "device needs current_password or a current code",
     .tag = "me",
     .stages = S(ENROLL_TOTP) | S(DONE),
     .success = 201,
     .body_optional = true},
    {.method = "POST",
     .pattern = "/api/v1/me/totp/confirm",
     .handler = gh_h_me_totp_confirm,
     .response = "RecoveryCodes",
     .auth = GH_AUTH_STAGE,
     .body = code_fields,
     .summary = "Confirm enrolment with a code; returns ten recovery codes once",
     .tag = "me",
     .stages = S(ENROLL_TOTP) | S(DONE),
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/unban",
     .handler = gh_h_users_unban,
     .response = "UserRecord",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_UNBAN),
     .summary = "Lift a lock-out ban",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/force-password-reset",
     .handler = gh_h_users_force_reset,
     .response = "UserRecord",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_FORCE_RESET),
     .summary = "Make the user set a new password at next sign-in",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/reset-mfa",
     .handler = gh_h_users_reset_mfa,
     .response = "UserRecord",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_MFA_RESET),
     .summary = "Refresh two-factor: enrol a new device at next sign-in",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/users/{id}/sessions",
     .handler = gh_h_users_sessions,
     .response = "SessionPage",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .summary = "A user's sessions",
     .tag = "users"},
    {.method = "DELETE",
     .pattern = "/api/v1/users/{id}/sessions",
     .handler = gh_h_users_sessions_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_UPDATE),
     .summary = "End all of a user's sessions",
     .tag = "users"},
    {.method = "DELETE",
     .pattern = "/api/v1/users/{id}/sessions/{sid}",
     .handler = gh_h_users_session_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_UPDATE),
     .summary = "End one of a user's sessions",
     .tag = "users"},
    {.method = "GET",
     .pattern = "/api/v1/users/{id}/tokens",
     .handler = gh_h_users_tokens,
     .response = "TokenPage",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_READ),
     .summary = "A user's API tokens (never the token itself)",
     .tag = "users"},
    {.method = "DELETE",
     .pattern = "/api/v1/users/{id}/tokens/{tid}",
     .handler = gh_h_users_token_delete,
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_UPDATE),
     .summary = "Revoke one of a user's API tokens",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/resend-onboarding",
     .handler = gh_h_users_resend_onboarding,
     .response = "UserRecord",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_ONBOARD),
     .summary =
         "Re-send the onboarding e-mail with a new link, voiding the old one (needs every users.* "
         "permission)",
     .tag = "users"},
    {.method = "POST",
     .pattern = "/api/v1/users/{id}/onboarding-link",
     .handler = gh_h_users_onboarding_link,
     .response = "OnboardingLink",
     .auth = GH_AUTH_PERM,
     .perm = P(USERS_ONBOARD),
     .summary =
         "Make a new onboarding link to hand over (shown once), voiding the old one and its e-mail "
         "(needs every users.* permission)",
     .tag = "users",
     .success = 201},
    {.method = "GET",
     .pattern = "/api/v1/onboarding/{token}",
     .handler = gh_h_onboarding_get,
     .response = "LinkState",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Whether an onboarding link is pending, expired or used (does not use it)",
     .tag = "onboarding"},
    {.method = "POST",
     .pattern = "/api/v1/onboarding/{token}",
     .handler = gh_h_onboarding_complete,
     .response = "LinkUsed",
     .auth = GH_AUTH_PUBLIC,
     .body = new_password_fields,
     .summary =
         "Complete onboarding: choose the password (the link works once; sign in afterwards)",
     .tag = "onboarding",
     .success = 200},
    {.method = "POST",
     .pattern = "/api/v1/password-reset",
     .handler = gh_h_password_reset_request,
     .response = "Accepted",
     .auth = GH_AUTH_PUBLIC,
     .body = reset_request_fields,
     .summary =
         "Forgot password: e-mail a reset link (always 202, whether or not the account exists)",
     .tag = "onboarding",
     .success = 202},
    {.method = "GET",
     .pattern = "/api/v1/password-reset/{token}",
     .handler = gh_h_password_reset_get,
     .response = "LinkState",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Whether a password-reset link is pending, expired or used (does not use it)",
     .tag = "onboarding"},
    {.method = "POST",
     .pattern = "/api/v1/password-reset/{token}",
     .handler = gh_h_password_reset_complete,
     .response = "LinkUsed",
     .auth = GH_AUTH_PUBLIC,
     .body = new_password_fields,
     .summary = "Set a new password from a reset link; ends every session",
     .tag = "onboarding",
     .success = 200},
    {.method = "GET",
     .pattern = "/api/v1/setup/{token}",
     .handler = gh_h_setup_get,
     .response = "SetupState",
     .auth = GH_AUTH_PUBLIC,
     .summary = "Whether the set-up link that serve printed is pending, expired, used or void "
                "(does not use "
                "it)",
     .tag = "setup"},
    {.method = "POST",
     .pattern = "/api/v1/setup/{token}",
     .handler = gh_h_setup_complete,
     .response = "SetupDone",
     .auth = GH_AUTH_PUBLIC,
     .body = setup_fields,
     .summary =
         "Create the first platform administrator from the set-up link (works once, within 1 hour, "
         "only while no account exists; sign in afterwards)",
     .tag = "setup",
     .success = 201},
    {NULL},
};

/* Whether pat is the "{token}" segment: a link token (handlers read it from the path). */
static bool is_token_segment(const char *pat, size_t plen)
{
    return (plen == 7 && memcmp(pat, "{token}", 7) == 0) ||
           (plen == 6 && memcmp(pat, "{name}", 6) == 0);
}

/* Matches one path segment pattern; "{id}", "{sid}" and "{tid}" take a positive integer, "{token}"
 * and "{name}" 1 to GH_MAX_LINK_TOKEN characters of the base64url alphabet. */
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
