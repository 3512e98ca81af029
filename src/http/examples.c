/* The example requests of the OpenAPI document (gh_example, internal.h): one sequence that runs
 * in this order against a fresh server whose only account is the administrator $admin, each step
 * with the status it gets. tests/api/openapi.test.mjs replays it and checks every answer against
 * the operation's documented schema; every operation of gh_routes but the console's must have a
 * step here (the test names the ones that do not). Steps build on earlier ones: a tenant, a role
 * and a group first, then users, then the signed-in user's own routes as ex-alice, then the
 * settings (SSO, SCIM, webhooks), the audit trail, and the deletes last. */
#include "http/internal.h"

#define TOKEN   "token"
#define SESSION "session"
#define NONE    "none"

/* the initial password of ex-alice (a forced change at first sign-in), then the ones she sets */
#define ALICE_FIRST "an initial password for testing"
#define ALICE_NEXT  "Qpw7-zorbel-kwinth-fentrax"
#define ALICE_LAST  "Qpw7-zorbel-kwinth-brenquist"

/* what an assertion or attestation that answers no challenge of ours gets */
#define PASSKEY_REFUSED        400
#define PASSKEY_SIGNIN_REFUSED 401
#define AN_ASSERTION                                                                               \
    "{'credential': {'id': 'AAAA', 'rawId': 'AAAA', 'type': 'public-key', 'response': "            \
    "{'clientDataJSON': 'e30', 'authenticatorData': 'AA', 'signature': 'AA'}}}"

/* a failed sign-in of ex-carol */
#define WRONG_PASSWORD                                                                             \
    {                                                                                              \
        "POST", "/api/v1/session", NONE, NULL, NULL,                                               \
            "{'username': 'ex-carol', 'password': 'not her password at all'}", 401, NULL,          \
            "a wrong password"                                                                     \
    }

const gh_example gh_examples[] = {
    /* ---- operations ---- */
    {"GET", "/healthz", NONE, NULL, NULL, NULL, 200, NULL, "liveness"},
    {"GET", "/readyz", NONE, NULL, NULL, NULL, 200, NULL, "readiness"},
    {"GET", "/metrics", NONE, NULL, NULL, NULL, 200, NULL, "metrics"},
    {"GET", "/api/v1/password-policy", NONE, NULL, NULL, NULL, 200, NULL, "the policy"},
    {"GET", "/api/v1/openapi.json", NONE, NULL, NULL, NULL, 200, NULL, "this document"},
    {"GET", "/api/v1/permissions", TOKEN, NULL, NULL, NULL, 200, NULL, "the catalogue"},
    /* ---- tenants ---- */
    {"POST", "/api/v1/tenants", TOKEN, NULL, NULL,
     "{'kind': 'service_provider', 'name': 'Example Provider'}", 201, "provider",
     "a service provider"},
    {"POST", "/api/v1/tenants", TOKEN, NULL, NULL,
     "{'kind': 'platform_account', 'parent_id': '$provider.id', 'name': 'Example Account'}", 201,
     "account", "a platform account of it"},
    {"GET", "/api/v1/tenants", TOKEN, NULL, "{'kind': 'service_provider', 'limit': '10'}", NULL,
     200, NULL, "the service providers"},
    {"GET", "/api/v1/tenants/{id}", TOKEN, "{'id': '$provider.id'}", NULL, NULL, 200, NULL,
     "the provider"},
    {"PATCH", "/api/v1/tenants/{id}", TOKEN, "{'id': '$provider.id'}", NULL,
     "{'dormant_days': 90, 'dormant_warn_days': 7}", 200, NULL, "a dormant rule"},
    /* ---- roles and groups ---- */
    {"POST", "/api/v1/roles", TOKEN, NULL, NULL,
     "{'name': 'Example readers', 'kind': 'service_provider', 'permissions': ['users.read']}", 201,
     "role", "a global role"},
    {"GET", "/api/v1/roles", TOKEN, NULL, "{'provider_id': 'global'}", NULL, 200, NULL,
     "the global roles"},
    {"GET", "/api/v1/roles/{id}", TOKEN, "{'id': '$role.id'}", NULL, NULL, 200, NULL, "the role"},
    {"PATCH", "/api/v1/roles/{id}", TOKEN, "{'id': '$role.id'}", NULL,
     "{'description': 'read users'}", 200, NULL, "a description"},
    {"POST", "/api/v1/groups", TOKEN, NULL, NULL,
     "{'name': 'Example group', 'role_ids': ['$role.id']}", 201, "group", "a group with the role"},
    {"GET", "/api/v1/groups", TOKEN, NULL, "{'limit': '5'}", NULL, 200, NULL, "the groups"},
    {"GET", "/api/v1/groups/{id}", TOKEN, "{'id': '$group.id'}", NULL, NULL, 200, NULL,
     "the group"},
    {"PATCH", "/api/v1/groups/{id}", TOKEN, "{'id': '$group.id'}", NULL,
     "{'description': 'everyone who reads'}", 200, NULL, "a description"},
    /* ---- users ---- */
    {"POST", "/api/v1/users", TOKEN, NULL, NULL,
     "{'username': 'ex-alice', 'email': 'alice@example.com', 'password': '" ALICE_FIRST
     "', 'first_name': 'Alice', 'group_ids': ['$group.id']}",
     201, "alice", "with an initial password"},
    {"POST", "/api/v1/users", TOKEN, NULL, NULL,
     "{'username': 'ex-bob', 'email': 'bob@example.com', 'generate_password': true}", 201, "bob",
     "with a generated password"},
    {"POST", "/api/v1/users", TOKEN, NULL, NULL,
     "{'username': 'ex-carol', 'email': 'carol@example.com'}", 201, "carol", "invited by e-mail"},
    {"GET", "/api/v1/users", TOKEN, NULL, "{'q': 'ex', 'sort': 'username', 'limit': '2'}", NULL,
     200, "users", "a search"},
    {"GET", "/api/v1/users/counts", TOKEN, NULL, "{'q': 'ex'}", NULL, 200, NULL, "its tabs"},
    {"GET", "/api/v1/users.csv", TOKEN, NULL, "{'status': 'active'}", NULL, 200, NULL,
     "the active users"},
    {"POST", "/api/v1/users/import", TOKEN, NULL, "{'dry_run': '1'}",
     "username,email\nex-dave,dave@example.com\n", 200, NULL, "a dry run"},
    {"GET", "/api/v1/users/{id}", TOKEN, "{'id': '$alice.id'}", NULL, NULL, 200, NULL, "ex-alice"},
    {"PATCH", "/api/v1/users/{id}", TOKEN, "{'id': '$alice.id'}", NULL,
     "{'last_name': 'Example', 'timezone': 'Europe/London'}", 200, NULL, "her name and zone"},
    {"POST", "/api/v1/users/{id}/disable", TOKEN, "{'id': '$bob.id'}", NULL, NULL, 200, NULL,
     "disable ex-bob"},
    {"POST", "/api/v1/users/{id}/enable", TOKEN, "{'id': '$bob.id'}", NULL, NULL, 200, NULL,
     "enable him again"},
    {"POST", "/api/v1/users/bulk", TOKEN, NULL, NULL, "{'action': 'disable', 'ids': ['$bob.id']}",
     200, NULL, "disable a selection"},
    {"POST", "/api/v1/users/{id}/resend-onboarding", TOKEN, "{'id': '$carol.id'}", NULL, NULL, 200,
     NULL, "a new e-mail"},
    {"POST", "/api/v1/users/{id}/onboarding-link", TOKEN, "{'id': '$carol.id'}", NULL, NULL, 201,
     "link", "a link to hand over"},
    {"GET", "/api/v1/onboarding/{token}", NONE, "{'token': '$tail:link.url'}", NULL, NULL, 200,
     NULL, "the link is pending"},
    {"POST", "/api/v1/onboarding/{token}", NONE, "{'token': '$tail:link.url'}", NULL,
     "{'password': 'Qpw7-zorbel-marrow-fentrax'}", 200, NULL, "ex-carol chooses her password"},
    /* ---- ex-alice signs in and uses her own routes ---- */
    {"POST", "/api/v1/session", NONE, NULL, NULL,
     "{'username': 'ex-alice', 'password': '" ALICE_FIRST "'}", 200, NULL,
     "a forced change follows"},
    {"POST", "/api/v1/session/password", SESSION, NULL, NULL, "{'password': '" ALICE_NEXT "'}", 200,
     NULL, "the forced change"},
    {"GET", "/api/v1/session", SESSION, NULL, NULL, NULL, 200, NULL, "who am I"},
    {"GET", "/api/v1/me/sessions", SESSION, NULL, NULL, NULL, 200, "mysessions", "my sessions"},
    {"PATCH", "/api/v1/me/profile", SESSION, NULL, NULL, "{'language': 'zh'}", 200, NULL,
     "Chinese"},
    {"GET", "/api/v1/me/grantable", SESSION, NULL, NULL, NULL, 200, NULL, "nothing to grant"},
    {"POST", "/api/v1/me/tokens", SESSION, NULL, NULL,
     "{'name': 'a script', 'expires_in_days': 30, 'current_password': '" ALICE_NEXT "'}", 201,
     "mytoken", "a token of my own"},
    {"GET", "/api/v1/me/tokens", SESSION, NULL, NULL, NULL, 200, NULL, "my tokens"},
    {"DELETE", "/api/v1/me/tokens/{id}", SESSION, "{'id': '$mytoken.id'}", NULL, NULL, 204, NULL,
     "revoke it"},
    /* passkeys: a real registration needs an authenticator (tests/api/passkeys.test.mjs has a
     * software one), so the replay shows the options and the refusals */
    {"GET", "/api/v1/me/passkeys", SESSION, NULL, NULL, NULL, 200, NULL, "no passkeys yet"},
    {"POST", "/api/v1/me/passkeys/options", SESSION, NULL, NULL, NULL, 200, NULL,
     "options for navigator.credentials.create()"},
    {"POST", "/api/v1/me/passkeys", SESSION, NULL, NULL,
     "{'name': 'Work laptop', 'credential': {'id': 'AAAA', 'rawId': 'AAAA', 'type': "
     "'public-key', 'response': {'clientDataJSON': 'e30', 'attestationObject': 'oA'}}}",
     PASSKEY_REFUSED, NULL, "an answer to no challenge of ours is refused"},
    {"PATCH", "/api/v1/me/passkeys/{id}", SESSION, "{'id': '999999'}", NULL, "{'name': 'Phone'}",
     404, NULL, "not one of my passkeys"},
    {"DELETE", "/api/v1/me/passkeys/{id}", SESSION, "{'id': '999999'}", NULL, NULL, 404, NULL,
     "not one of my passkeys"},
    {"GET", "/api/v1/me/totp", SESSION, NULL, NULL, NULL, 200, NULL, "not enrolled"},
    {"POST", "/api/v1/me/totp", SESSION, NULL, NULL, NULL, 201, "enrol", "start enrolment"},
    {"POST", "/api/v1/me/totp/confirm", SESSION, NULL, NULL, "{'code': '$totp:enrol.secret'}", 200,
     "confirmed", "confirm with a code"},
    {"POST", "/api/v1/me/password", SESSION, NULL, NULL,
     "{'current_password': '" ALICE_NEXT "', 'password': '" ALICE_LAST "'}", 204, NULL,
     "a new password"},
    {"DELETE", "/api/v1/session", SESSION, NULL, NULL, NULL, 204, NULL, "sign out"},
    {"POST", "/api/v1/session", NONE, NULL, NULL,
     "{'username': 'ex-alice', 'password': '" ALICE_LAST "'}", 200, NULL,
     "the two-factor step follows"},
    {"POST", "/api/v1/session/totp", SESSION, NULL, NULL, "{'code': '$confirmed.recovery_codes.0'}",
     200, NULL, "with a recovery code"},
    {"GET", "/api/v1/me/sessions", SESSION, NULL, NULL, NULL, 200, "mysessions", "my sessions"},
    {"DELETE", "/api/v1/me/sessions/{id}", SESSION, "{'id': '$mysessions.items.0.id'}", NULL, NULL,
     204, NULL, "end one of them"},
    {"GET", "/auth/verify", NONE, NULL, NULL, NULL, 403, NULL,
     "a server without --protect protects no application"},
    {"GET", "/auth/forward", NONE, NULL, NULL, NULL, 403, NULL,
     "a server without --protect protects no application"},
    {"GET", "/auth/return", NONE, NULL, "{'rd': 'https://app.example.com/'}", NULL, 302, NULL,
     "back to the console"},
    /* ---- what an administrator does to ex-alice ---- */
    {"GET", "/api/v1/users/{id}/sessions", TOKEN, "{'id': '$alice.id'}", NULL, NULL, 200, NULL,
     "her sessions"},
    {"DELETE", "/api/v1/users/{id}/sessions/{sid}", TOKEN,
     "{'id': '$alice.id', 'sid': '$mysessions.items.0.id'}", NULL, NULL, 404, NULL,
     "a session that ended already"},
    {"DELETE", "/api/v1/users/{id}/sessions", TOKEN, "{'id': '$alice.id'}", NULL, NULL, 204, NULL,
     "end them all"},
    {"GET", "/api/v1/users/{id}/tokens", TOKEN, "{'id': '$alice.id'}", NULL, NULL, 200, NULL,
     "her tokens"},
    {"DELETE", "/api/v1/users/{id}/tokens/{tid}", TOKEN,
     "{'id': '$alice.id', 'tid': '$mytoken.id'}", NULL, NULL, 404, NULL, "a revoked token"},

    {"POST", "/api/v1/users/{id}/force-password-reset", TOKEN, "{'id': '$alice.id'}", NULL, NULL,
     200, NULL, "a new password at next sign-in"},
    {"POST", "/api/v1/users/{id}/reset-mfa", TOKEN, "{'id': '$alice.id'}", NULL, NULL, 200, NULL,
     "a new device at next sign-in"},
    /* ---- five wrong passwords ban ex-carol; the banned tab shows it, unban lifts it ---- */
    WRONG_PASSWORD,
    WRONG_PASSWORD,
    WRONG_PASSWORD,
    WRONG_PASSWORD,
    WRONG_PASSWORD,
    {"GET", "/api/v1/users", TOKEN, NULL, "{'status': 'banned'}", NULL, 200, NULL,
     "the banned tab, with each one's lock-out"},
    {"POST", "/api/v1/users/{id}/unban", TOKEN, "{'id': '$carol.id'}", NULL, NULL, 200, NULL,
     "lift the ban"},
    {"GET", "/api/v1/me/grantable", TOKEN, NULL, "{'provider_id': '$provider.id'}", NULL, 200, NULL,
     "what the administrator may grant in the provider"},
    /* ---- passkeys at sign-in: password-less (public options) and the webauthn step ---- */
    {"POST", "/api/v1/session/passkey/options", NONE, NULL, NULL, NULL, 200, NULL,
     "options for navigator.credentials.get(), no user named"},
    {"POST", "/api/v1/session/passkey", NONE, NULL, NULL, AN_ASSERTION, PASSKEY_SIGNIN_REFUSED,
     NULL, "an assertion of no passkey signs no one in"},
    {"POST", "/api/v1/session/webauthn/options", NONE, NULL, NULL, NULL, 401, NULL,
     "only for a session at the webauthn step"},
    {"POST", "/api/v1/session/webauthn", NONE, NULL, NULL, AN_ASSERTION, 401, NULL,
     "only for a session at the webauthn step"},
    /* ---- sign-in links without a valid token ---- */
    {"POST", "/api/v1/password-reset", NONE, NULL, NULL, "{'username': 'ex-alice'}", 202, NULL,
     "e-mail a link"},
    {"GET", "/api/v1/password-reset/{token}", NONE, "{'token': 'no-such-link'}", NULL, NULL, 404,
     NULL, "a link that does not exist"},
    {"POST", "/api/v1/password-reset/{token}", NONE, "{'token': 'no-such-link'}", NULL,
     "{'password': 'Qpw7-zorbel-nobody-fentrax'}", 404, NULL, "a link that does not exist"},
    {"GET", "/api/v1/setup/{token}", NONE, "{'token': 'no-such-link'}", NULL, NULL, 404, NULL,
     "a link that does not exist"},
    {"POST", "/api/v1/setup/{token}", NONE, "{'token': 'no-such-link'}", NULL,
     "{'username': 'first', 'email': 'first@example.com', 'password': "
     "'Qpw7-zorbel-first-fentrax'}",
     404, NULL, "a link that does not exist"},
    /* ---- single sign-on ---- */
    {"POST", "/api/v1/sso-sources", TOKEN, NULL, NULL,
     "{'name': 'example-idp', 'display_name': 'Example IdP', 'issuer': 'http://127.0.0.1:9', "
     "'client_id': 'gatehouse', 'client_secret': 'an example secret', 'provider_id': null}",
     201, "sso", "an OpenID Connect provider"},
    {"GET", "/api/v1/sso-sources", TOKEN, NULL, "{'provider_id': 'platform'}", NULL, 200, NULL,
     "the platform's"},
    {"GET", "/api/v1/sso-sources/public", NONE, NULL, NULL, NULL, 200, NULL, "the buttons"},
    {"GET", "/api/v1/sso-sources/{id}", TOKEN, "{'id': '$sso.id'}", NULL, NULL, 200, NULL,
     "the source"},
    {"PATCH", "/api/v1/sso-sources/{id}", TOKEN, "{'id': '$sso.id'}", NULL,
     "{'display_name': 'Example SSO'}", 200, NULL, "a new button text"},
    {"POST", "/api/v1/sso-sources/{id}/test", TOKEN, "{'id': '$sso.id'}", NULL, NULL, 200, NULL,
     "its provider cannot be reached"},
    {"GET", "/sso/{name}/start", NONE, "{'name': 'example-idp'}", "{'next': '/users'}", NULL, 302,
     NULL, "the provider cannot be reached"},
    {"GET", "/sso/{name}/callback", NONE, "{'name': 'example-idp'}",
     "{'state': 'unknown', 'code': 'unknown'}", NULL, 302, NULL, "a flow that was never started"},
    {"GET", "/sso/{name}/logout", NONE, "{'name': 'example-idp'}", NULL, NULL, 302, NULL,
     "nothing to sign out of"},
    /* ---- SCIM clients ---- */
    {"POST", "/api/v1/scim-clients", TOKEN, NULL, NULL,
     "{'name': 'Example directory', 'provider_id': '$provider.id'}", 201, "scim",
     "a client for the provider"},
    {"GET", "/api/v1/scim-clients", TOKEN, NULL, "{'provider_id': '$provider.id'}", NULL, 200, NULL,
     "the provider's"},
    {"GET", "/api/v1/scim-clients/{id}", TOKEN, "{'id': '$scim.id'}", NULL, NULL, 200, NULL,
     "the client"},
    {"DELETE", "/api/v1/scim-clients/{id}", TOKEN, "{'id': '$scim.id'}", NULL, NULL, 204, NULL,
     "revoke it"},
    /* ---- webhooks ---- */
    {"POST", "/api/v1/webhooks", TOKEN, NULL, NULL,
     "{'provider_id': '$provider.id', 'url': 'http://127.0.0.1:9/hook', 'events': "
     "['user.created']}",
     201, "hook", "a subscription to the provider's new users"},
    {"POST", "/api/v1/users", TOKEN, NULL, NULL,
     "{'username': 'ex-erin', 'email': 'erin@example.com', 'provider_id': '$provider.id', "
     "'access': {'level': 'account', 'account_ids': ['$account.id']}, 'role_ids': ['$role.id']}",
     201, NULL, "a provider's user with access to one account, invited (the webhook hears it)"},
    {"GET", "/api/v1/webhooks", TOKEN, NULL, "{'provider_id': '$provider.id'}", NULL, 200, NULL,
     "the provider's"},
    {"GET", "/api/v1/webhooks/{id}", TOKEN, "{'id': '$hook.id'}", NULL, NULL, 200, NULL,
     "the subscription"},
    {"PATCH", "/api/v1/webhooks/{id}", TOKEN, "{'id': '$hook.id'}", NULL, "{'enabled': false}", 200,
     NULL, "pause it"},
    {"GET", "/api/v1/webhooks/{id}/deliveries", TOKEN, "{'id': '$hook.id'}", NULL, NULL, 200,
     "deliveries", "ex-erin's creation"},
    {"POST", "/api/v1/webhooks/{id}/deliveries/{sid}/resend", TOKEN,
     "{'id': '$hook.id', 'sid': '$deliveries.items.0.id'}", NULL, NULL, 202, NULL, "send it again"},
    {"DELETE", "/api/v1/webhooks/{id}", TOKEN, "{'id': '$hook.id'}", NULL, NULL, 204, NULL,
     "delete it"},
    /* ---- the audit trail ---- */
    {"GET", "/api/v1/audit", TOKEN, NULL, "{'target_id': '$alice.id', 'limit': '3'}", NULL, 200,
     NULL, "what happened to ex-alice"},
    {"GET", "/api/v1/audit/actions", TOKEN, NULL, NULL, NULL, 200, NULL, "for the filter"},
    /* ---- deletes, last ---- */
    {"DELETE", "/api/v1/sso-sources/{id}", TOKEN, "{'id': '$sso.id'}", NULL, NULL, 204, NULL,
     "delete the source"},
    {"DELETE", "/api/v1/users/{id}", TOKEN, "{'id': '$bob.id'}", NULL, NULL, 204, NULL,
     "delete ex-bob"},
    {"DELETE", "/api/v1/groups/{id}", TOKEN, "{'id': '$group.id'}", NULL, NULL, 204, NULL,
     "delete the group"},
    {"DELETE", "/api/v1/roles/{id}", TOKEN, "{'id': '$role.id'}", NULL, NULL, 409, NULL,
     "a role ex-erin still holds"},
    {"POST", "/api/v1/tenants", TOKEN, NULL, NULL,
     "{'kind': 'sub_account', 'parent_id': '$account.id', 'name': 'Example Sub-account'}", 201,
     "sub", "a sub-account of the account"},
    {"DELETE", "/api/v1/tenants/{id}", TOKEN, "{'id': '$sub.id'}", NULL, NULL, 204, NULL,
     "remove it while it is empty"},
    {NULL},
};
