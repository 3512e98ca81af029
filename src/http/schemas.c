/* The response bodies' shapes (gh_schema, internal.h: the spec language), one per resource and
 * answer, that the OpenAPI document publishes as components.schemas and its operations reference
 * through gh_route.response. They describe what the encoders (encode.c, audit/audit.c and the
 * handlers) write; the enumerations come from model/model.h's own lists. Objects are closed, so
 * tests/api/openapi.test.mjs, which checks every answer of the examples' replay against these,
 * fails on a member an encoder writes and its schema here lacks. */
#include "model/model.h"
#include "http/internal.h"

/* "a|b|c|" from a model.h X-macro list (the enum reader skips the empty last one) */
#define ALT(id, name) name "|"

#define TENANT_KINDS   GH_TENANT_KINDS(ALT)
#define ROLE_KINDS     GH_ROLE_KINDS(ALT)
#define ACCESS_LEVELS  GH_ACCESS_LEVELS(ALT)
#define USER_STATUSES  GH_USER_STATUSES(ALT)
#define SIGNIN_STAGES  GH_SIGNIN_STAGES(ALT)
#define LINK_STATES    GH_LINK_STATES(ALT)
#define MAIL_STATES    GH_MAIL_STATES(ALT)
#define PAGE(of)       "items:[" of "] next_cursor:str?"
#define NAMED_LIST(of) "items:[" of "]"

/* the members of a user that every encoding of one has (audit/audit.c user_json) but the ones a
 * list leaves out (role_ids, group_ids, access, onboarding) */
#define USER_CORE                                                                                  \
    "id:int provider_id:int? username:str first_name:str last_name:str email:str phone:str "       \
    "language:str timezone:str country:str status:" USER_STATUSES " login_enabled:bool "           \
    "enforce_sso:bool sso_source:str? sso_id:str? mfa_required:bool mfa_enrolled:bool "            \
    "banned_until:time? last_login_at:time? created_at:time? updated_at:time? created_by:int? "    \
    "updated_by:int? "
#define USER_RECORD USER_CORE "role_ids:[int] group_ids:[int] access:Access onboarding:Onboarding "
/* what the user routes add: names beside the ids, and what the reader may do now (h_users.c) */
#define USER_VIEW "dormant_at:time? provider:Named? roles:[Named] allowed_actions:[str] "

const gh_schema gh_schemas[] = {
    /* ---- shared parts ---- */
    {"Named", "id:int name:str?", "an object by id, with its name when the reader may see it"},
    {"Access",
     "level:" ACCESS_LEVELS " ~account_ids:AccountIds ~sub_account_ids:AccountIds "
     "~sub_account_count:int",
     "where a user may act: account_ids for account and sub_account access, sub_account_ids "
     "and sub_account_count for sub_account access"},
    {"AccountIds", "=[int]|all", NULL},
    {"Onboarding",
     "state:pending|expired|completed|none sent_at:time? expires_at:time? delivery:Delivery?",
     "the onboarding link and its e-mail"},
    {"Delivery", "state:" MAIL_STATES " error:str? attempts:int", "an e-mail's delivery"},
    {"Next", "next:" SIGNIN_STAGES, "the next sign-in step (done: signed in)"},
    /* ---- operations ---- */
    {"Health", "status:ok| version:str commit:str libraries:Libraries",
     "the process answers; its version, the commit it was built from and its libraries"},
    {"Libraries", "sqlite:str libpq:str libmicrohttpd:str libsodium:str libcurl:str jansson:str",
     "the versions of the libraries as linked at run time (util/version.c)"},
    {"PasswordPolicy", "min_length:int max_length:int min_distinct:int own_data_min:int", NULL},
    {"OpenApiDocument", "=object", "this document"},
    {"Permissions", NAMED_LIST("Permission"), NULL},
    {"Permission", "name:str description:str", NULL},
    /* ---- tenants, roles, groups ---- */
    {"Tenant",
     "id:int kind:" TENANT_KINDS " parent_id:int? provider_id:int? name:str created_at:time? "
     "updated_at:time? ~dormant_days:int ~dormant_warn_days:int ~passkey_signin:bool",
     "a tenant; a service provider's has its dormant rule and whether its users may sign in "
     "with a passkey alone"},
    {"TenantPage", PAGE("Tenant"), NULL},
    {"Role",
     "id:int provider_id:int? name:str description:str kind:" ROLE_KINDS " permissions:[str] "
     "mfa_required:bool created_at:time? updated_at:time?",
     NULL},
    {"RolePage", PAGE("Role"), NULL},
    {"Group",
     "id:int provider_id:int? name:str description:str role_ids:[int] member_count:int "
     "created_at:time? updated_at:time?",
     NULL},
    {"GroupPage", PAGE("Group"), NULL},
    /* ---- users ---- */
    {"UserRecord", USER_RECORD, "a user as its own routes and the audit trail show it"},
    {"User",
     USER_RECORD USER_VIEW "groups:[Named] created_by_user:Named? updated_by_user:Named? "
                           "~accounts:[Named] ~sub_accounts:[Named] ~generated_password:str",
     "a user as the user routes show it (generated_password: once, on a create that asked for "
     "it; accounts and sub_accounts: the tenants of account and sub_account access)"},
    {"UserListItem", USER_CORE USER_VIEW "~lockout:Lockout",
     "a row of the list (read the user for its ids, access and onboarding); lockout in the "
     "banned tab"},
    {"Lockout", "failures:int last_failure_at:time? ~last_failure_ip:str", NULL},
    {"UserPage", "items:[UserListItem] next_cursor:str? partial:bool",
     "partial: a search stopped early (more may match)"},
    {"UserCount", "count:int more:bool", NULL},
    {"UserCounts",
     "cap:int exact:bool active:UserCount? invited:UserCount? disabled:UserCount? "
     "banned:UserCount? deleted:UserCount?",
     "null counts: a search no index serves"},
    {"BulkResult", "action:str results:[BulkItem] succeeded:int failed:int", NULL},
    {"BulkItem", "id:int status:int ~detail:str", "one user's outcome, as an HTTP status"},
    {"ImportResult",
     "dry_run:bool created:int updated:int unchanged:int refused:int rows:[ImportRow]", NULL},
    {"ImportRow",
     "line:int username:str? outcome:created|updated|unchanged|refused ~field:str? ~code:str? "
     "~message:str",
     "a refused row has field, code and message"},
    {"OnboardingLink", "url:str expires_at:time?", "the link (its last segment is the token)"},
    {"LinkState", "state:" LINK_STATES " expires_at:time? ~username:str ~language:str",
     "an onboarding or password-reset link's state"},
    {"LinkUsed", "state:completed| username:str next:sign_in|", NULL},
    {"SetupState", "state:" LINK_STATES " expires_at:time?", NULL},
    {"SetupDone", "state:completed| id:int username:str next:sign_in|", NULL},
    {"Accepted", "detail:str", NULL},
    /* ---- sessions, me ---- */
    {"Session",
     "id:int created_at:time? last_seen_at:time? expires_at:time? ip:str user_agent:str "
     "~current:bool",
     "current: in my own list, the session asking"},
    {"SessionPage", PAGE("Session"), NULL},
    {"SignOut", "logout_url:str",
     "200 instead of 204: a session of an SSO source that signs out at the provider too goes on "
     "to logout_url"},
    {"SignIn", "next:" SIGNIN_STAGES " session:Session", NULL},
    {"WhoAmI",
     "next:" SIGNIN_STAGES " ~language:str ~user:UserRecord ~permissions:[str] ~scope:Access "
     "~session:Session",
     "before the last step only next and language"},
    {"Token", "id:int user_id:int name:str created_at:time? expires_at:time? ~token:str",
     "an API token; token: once, in the create's answer"},
    {"TokenPage", PAGE("Token"), NULL},
    {"Passkey",
     "id:int name:str credential_id:str aaguid:str user_verified:bool backed_up:bool "
     "transports:str created_at:time? last_used_at:time? ~recovery_codes:[str]",
     "a registered passkey (credential_id base64url; transports space-separated); the first one "
     "of an account without TOTP comes with ten recovery codes, shown once"},
    {"PasskeyPage", PAGE("Passkey"), "all of my passkeys (next_cursor always null)"},
    {"CredentialDescriptor", "type:public-key| id:str", NULL},
    {"CreationOptions",
     "challenge:str rp:RelyingParty user:WebAuthnUser pubKeyCredParams:[CredentialParameter] "
     "timeout:int excludeCredentials:[CredentialDescriptor] "
     "authenticatorSelection:AuthenticatorSelection attestation:none|",
     "PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create()"},
    {"RelyingParty", "id:str name:str", NULL},
    {"WebAuthnUser", "id:str name:str displayName:str", "id: the user handle, base64url"},
    {"CredentialParameter", "type:public-key| alg:int", NULL},
    {"AuthenticatorSelection",
     "residentKey:discouraged|preferred|required| requireResidentKey:bool "
     "userVerification:discouraged|preferred|required|",
     NULL},
    {"RequestOptions",
     "challenge:str rpId:str timeout:int allowCredentials:[CredentialDescriptor] "
     "userVerification:discouraged|preferred|required|",
     "PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get()"},
    {"TotpState", "enrolled:bool pending:bool required:bool", NULL},
    {"TotpEnrolment", "secret:str otpauth_uri:str qr_svg:str", NULL},
    {"RecoveryCodes", "recovery_codes:[str] next:" SIGNIN_STAGES, "shown once"},
    {"Grantable",
     "level:" ACCESS_LEVELS " provider:Named? account:Named? providers:[GrantableProvider] "
     "partial:bool",
     NULL},
    {"GrantableProvider",
     "id:int? name:str? levels:[" ACCESS_LEVELS "] accounts_all:bool accounts:[GrantableAccount] "
     "roles:[GrantableRole] groups:[GrantableGroup]",
     NULL},
    {"GrantableAccount",
     "id:int name:str account_level:bool sub_accounts_all:bool sub_accounts:[Named?]", NULL},
    {"GrantableRole", "id:int name:str kind:" ROLE_KINDS " provider_id:int? mfa_required:bool",
     NULL},
    {"GrantableGroup", "id:int name:str provider_id:int? role_ids:[int]", NULL},
    {"ForwardIdentity", "user:str application:str", NULL},
    /* ---- settings ---- */
    {"SsoSource",
     "id:int provider_id:int? name:str display_name:str issuer:str client_id:str scopes:str "
     "claim:str trust_idp_mfa:bool rp_logout:bool client_secret_set:bool created_at:time? "
     "updated_at:time?",
     "never the client secret"},
    {"SsoSourcePage", PAGE("SsoSource"), NULL},
    {"SsoButtons", NAMED_LIST("SsoButton"), NULL},
    {"SsoButton", "name:str display_name:str start_url:str", NULL},
    {"SsoTest",
     "ok:bool ~stage:str ~error:str ~issuer:str ~authorization_endpoint:str ~token_endpoint:str "
     "~jwks_uri:str ~end_session_endpoint:str? ~token_auth_methods:[str] ~signing_algs:[str] "
     "~keys:int",
     "ok false: the stage that failed and why; ok true: what was found"},
    {"ScimClient",
     "id:int name:str provider_id:int access:Access role_ids:[int] created_by:int "
     "created_by_name:str? created_at:time? ~token:str ~scim_base_url:str",
     "token and scim_base_url: once, in the create's answer"},
    {"ScimClientPage", PAGE("ScimClient"), NULL},
    {"Webhook",
     "id:int provider_id:int? url:str events:[str] enabled:bool created_by:int? "
     "created_at:time? ~secret:str",
     "secret: once, in the create's answer"},
    {"WebhookPage", PAGE("Webhook"), NULL},
    {"WebhookDelivery",
     "id:int event:str event_id:str state:" MAIL_STATES " attempts:int response_code:int? "
     "error:str? created_at:time? last_attempt_at:time? next_attempt_at:time? sent_at:time?",
     NULL},
    {"WebhookDeliveries", NAMED_LIST("WebhookDelivery"), "newest first"},
    {"Resent", "id:int state:queued|", NULL},
    /* ---- audit ---- */
    {"AuditEntry",
     "id:int at:time? actor_id:int? actor:str action:str target_type:str target_id:int? "
     "target_user_id:int? provider_id:int? outcome:str ip:str request_id:str before:any "
     "after:any actor_name:str? target_name:str? target_visible:bool",
     "before and after: the object as the API showed it, or null"},
    {"AuditPage", PAGE("AuditEntry"), NULL},
    {"AuditActions", NAMED_LIST("AuditAction"), NULL},
    {"AuditAction", "name:str", NULL},
    {NULL},
};
