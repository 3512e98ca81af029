/* Internal to http/: the request (gh_req) as the server hands it to a handler, the route table
 * and its matching, the JSON body checks, query and header helpers, the handlers, and what the
 * handlers reach of their server (database connections, hash pool, throttle, --web-dir, counters).
 * Included by the files of http/ and by the unit and fuzz tests of them; everything else uses
 * http/server.h. */
#ifndef GH_HTTP_INTERNAL_H
#define GH_HTTP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth/hashpool.h"
#include "auth/throttle.h"
#include "core/core.h"
#include "http/server.h"

struct MHD_Connection;

typedef enum {
    GH_T_STRING,      /* string */
    GH_T_STRING_NULL, /* string or null */
    GH_T_BOOL,
    GH_T_ID_NULL,    /* positive integer or null */
    GH_T_IDS,        /* array of positive integers */
    GH_T_IDS_OR_ALL, /* array of positive integers or the string "all" */
    GH_T_STRINGS,    /* array of strings */
    GH_T_OBJECT,     /* object described by sub */
    GH_T_COUNT,      /* integer from 1 to max */
    GH_T_NUMBER,     /* integer from 0 to max */
} gh_ftype;

typedef struct gh_field {
    const char *name;
    gh_ftype type;
    unsigned max; /* characters for strings, items for arrays */
    bool required;
    const struct gh_field *sub; /* GH_T_OBJECT: its fields, ended by {NULL} */
    const char *desc;
} gh_field;

/* A query parameter a route takes (gh_route.query): the server refuses any other one
 * (<name>.unknown) and the OpenAPI document lists exactly these, with a schema by type. */
typedef enum {
    GH_Q_ID,     /* positive integer */
    GH_Q_ID_OR,  /* positive integer, or the word in values ("platform", "global") */
    GH_Q_COUNT,  /* integer from 1 to max */
    GH_Q_TEXT,   /* string of at most max characters */
    GH_Q_ENUM,   /* one of the space-separated words of values */
    GH_Q_TIME,   /* RFC 3339 date-time */
    GH_Q_CURSOR, /* the next_cursor of the previous page, opaque */
} gh_qtype;

typedef struct gh_qparam {
    const char *name;
    gh_qtype type;
    unsigned max;
    const char *values;
    const char *desc;
} gh_qparam;

typedef struct gh_req gh_req;
typedef gh_err (*gh_handler)(gh_req *r);

#define GH_REQ_HEADERS 8
typedef struct gh_header {
    const char *name, *value;
} gh_header;
/* A body produced while it is sent (instead of out or text): libmicrohttpd calls read on the
 * connection's own thread, after the handler's transaction has ended, for at most max bytes at
 * offset pos; read answers how many it wrote, MHD_CONTENT_READER_END_OF_STREAM at the end or
 * MHD_CONTENT_READER_END_WITH_ERROR (the connection is cut: the client never takes a truncated
 * body for a whole one). free(cls) runs once, whether the response was sent, cut or never made.
 * The chunks are GH_STREAM_BLOCK_BYTES at most. */
#define GH_STREAM_BLOCK_BYTES (64 * 1024)
typedef struct gh_stream {
    ssize_t (*read)(void *cls, uint64_t pos, char *buf, size_t max);
    void (*free)(void *cls);
    void *cls;
} gh_stream;

struct gh_req {
    struct MHD_Connection *conn;
    /* the server the request came to: its configuration, database connections, hash pool,
     * throttle and counters */
    gh_server *srv;
    bool started; /* the headers are in and the fields below are set (else only the three next) */
    const char *raw_target_end; /* where the undecoded request target ended (at its first NUL) */
    bool bad_target;            /* %00, a control byte or a NUL in the request target */
    bool close;                 /* answer with Connection: close (framing errors, I9) */
    const char *allow;          /* the Allow header of a 405 */
    const char *method, *path;
    gh_arena *a;
    char *body;
    size_t body_len;
    size_t dropped; /* bytes of an oversized body read and thrown away */
    bool body_too_large;
    int64_t id, sub_id; /* {id} and {sid} path parameters */
    json_t *in;         /* parsed body, when the route takes one */
    gh_principal who;
    gh_ctx ctx;
    bool has_session;   /* authenticated by the session cookie (else by a bearer token) */
    const char *cookie; /* the session cookie's token when has_session (libmicrohttpd's copy) */
    gh_session session;
    /* asynchronous Argon2id: the handler suspends the connection, the job runs on the hash
     * pool, and `resume` finishes the request on the server thread */
    gh_hash_job job;
    gh_handler resume;
    bool suspended;
    /* outbound work off the server threads (gh_http_run_async): what it works on, and its
     * result for `resume` */
    void (*work)(gh_req *r);
    void *work_arg;
    gh_err work_err;
    char *set_cookie; /* Set-Cookie value to send */
    const char *retry_after;
    char request_id[65]; /* ours (32 hex digits) or a trusted proxy's X-Request-Id (at most 64) */
    char ip[64];
    /* metrics: when the headers were in (CLOCK_MONOTONIC, ns), and the route's pattern (a
     * constant string; "unmatched" until a route matched) */
    int64_t started_ns;
    const char *route_label;
    /* response */
    int status;
    json_t *out;
    int64_t etag_version; /* >0: send ETag */
    const char *content_type;
    const char *text;          /* non-JSON body (metrics, health) */
    size_t text_len;           /* its length when it is not NUL-terminated text (0: strlen) */
    const char *cache_control; /* instead of no-store (the console's files) */
    const char *etag;          /* an ETag header of its own (quoted) */
    const char *location;      /* the Location of a redirect */
    gh_header headers[GH_REQ_HEADERS]; /* more headers of a success (forward-auth's identity) */
    int n_headers;
    const char *disposition; /* a Content-Disposition header (a download) */
    gh_stream stream;        /* a streamed body (read NULL: none) */
    /* SCIM (scim.c): answers in its media type and error schema; scim_type is the error's
     * scimType (NULL: from the error); the client behind the token */
    bool scim;
    const char *scim_type;
    const gh_scim_client *scim_client;
    gh_scim_client scim_client_v;
};

/* What /metrics reads of r's server at scrape time: open connections, requests in flight, and
 * Argon2id checks queued or running with the queue's capacity. */
typedef struct gh_http_gauges {
    long connections, in_flight, hash_queue, hash_capacity;
} gh_http_gauges;
void gh_http_gauges_of(const gh_req *r, gh_http_gauges *out);

/* PUBLIC: anyone. PERM: a bearer token or a session that finished signing in, holding `perm`.
 * STAGE: a session (not a token) at one of the sign-in stages in the bit set `stages`. */
typedef enum { GH_AUTH_PUBLIC, GH_AUTH_PERM, GH_AUTH_STAGE } gh_auth_mode;

#define GH_STAGE_BIT(stage) (1u << (stage))

typedef struct gh_route {
    const char *method, *pattern;
    gh_handler handler;
    gh_auth_mode auth;
    uint64_t perm; /* every bit needed (GH_AUTH_PERM); 0 means "any signed-in principal" */
    const gh_field *body;
    const char *summary, *tag;
    unsigned stages;        /* GH_AUTH_STAGE: the session stages allowed, GH_STAGE_BIT()s */
    int success;            /* the success status when not the usual one (201 create, 204 delete) */
    bool body_optional;     /* body: may also be left out (then every field is absent) */
    const char *produces;   /* the success answer's media type when it is not JSON (text/csv) */
    const char *consumes;   /* a body of this media type (text/csv) kept as it is in r->body */
    const gh_qparam *query; /* the query parameters it takes, ended by {NULL}; NULL: none */
    bool query_open;        /* also ignores others (an identity provider's redirect, a page) */
    /* the success answer's JSON body: the name of a schema of gh_schemas (openapi.c emits it as
     * components.schemas.<name>); NULL for redirects and produces; on a 204 route, the body of
     * the 200 it answers instead at times */
    const char *response;
} gh_route;

/* A response body's shape (schemas.c), components.schemas.<name> of the OpenAPI document. spec
 * lists its members, space-separated, each "name:type": type is str, int, bool, time (RFC 3339
 * text), object (any object), any (any JSON), a schema's name (an object of that shape), [type]
 * (an array of it), a|b|c (one of those strings; "a|" is the one string a) or type|word (either);
 * a trailing ? also allows null, and a leading ~ on the name marks a member that is not always
 * there. Every object is closed (additionalProperties false), so
 * the replay of the examples (tests/api/openapi.test.mjs) fails on a member an encoder adds
 * without its schema. A spec starting with "=" is a whole type instead ("=[Role]"). */
typedef struct gh_schema {
    const char *name, *spec, *desc;
} gh_schema;

extern const gh_schema gh_schemas[]; /* ended by {NULL} */

/* One example request of the OpenAPI document (examples.c), in the order they replay against a
 * fresh server (x-examples of each operation, with its step). params, query and body are JSON
 * written with ' for " (body is text for a consumes route); a string "$name.path" in them stands
 * for a member of the answer an earlier step saved as name ("$totp:name.path": the current TOTP
 * code of that base32 secret). as: "token" (the administrator's bearer token), "session" (the
 * cookie of the last sign-in) or "none". */
typedef struct gh_example {
    const char *method, *pattern, *as;
    const char *params, *query, *body;
    int status;
    const char *save; /* keep the answer under this name for later steps */
    const char *desc;
} gh_example;

extern const gh_example gh_examples[]; /* ended by {NULL} */

extern const gh_route gh_routes[];

/* Finds the route for method and path; fills r->id / r->sub_id. *method_ok false when the path
 * exists with another method. NULL when nothing matches. */
const gh_route *gh_route_match(const char *method, const char *path, int64_t *id, int64_t *sub_id,
                               bool *path_known);
/* Writes into buf (cap bytes, always NUL-terminated) the methods path accepts, for the Allow
 * header of a 405: "GET, HEAD, PATCH, DELETE"; "" when none. */
void gh_route_allow(const char *path, char *buf, size_t cap);

/* The stable code of a field error, "<field>.<reason>" (errors[].code of a problem answer),
 * always matching ^[a-z0-9_]+(\.[a-z0-9_]+)+$ whatever the bytes of field (a query parameter's
 * or a body key's name is the client's): ASCII letters lower-cased, other bytes than letters,
 * digits, '_' and '.' become one '_' a run, empty path segments are dropped, the field part is cut
 * at GH_ERROR_CODE_FIELD_MAX bytes ("field" when nothing is left); reason NULL gives "invalid".
 * In the arena a. Thread-safe. */
#define GH_ERROR_CODE_FIELD_MAX 64
const char *gh_error_code(gh_arena *a, const char *field, const char *reason);

/* Checks a parsed body against fields; on failure fills ctx (field, reason, detail) and returns
 * GH_EINVAL. obj is not const only because jansson's iteration takes a json_t *. */
gh_err gh_json_check(gh_req *r, json_t *obj, const gh_field *fields, const char *prefix);
/* Parses the body strictly: size, depth, duplicate keys, an object at the top. */
gh_err gh_json_parse_body(gh_req *r, json_t **out);
/* Reads a query parameter (NULL when absent). */
const char *gh_query(gh_req *r, const char *name);
/* GH_EINVAL when the URL with its query exceeds GH_MAX_URL_BYTES or holds more than
 * GH_MAX_QUERY_PARAMS parameters; checked for every request. */
gh_err gh_query_limits(gh_req *r);
/* GH_EINVAL (naming the parameter) when the query holds a parameter not in allowed (NULL-ended). */
gh_err gh_query_only(gh_req *r, const char *const *allowed);
/* gh_query_only with the names of route->query (none when NULL), unless route->query_open. */
gh_err gh_query_route(gh_req *r, const gh_route *route);
/* Parses a positive id parameter; absent gives 0. */
gh_err gh_query_id(gh_req *r, const char *name, int64_t *out);
gh_err gh_query_limit(gh_req *r, int *out);
/* The provider_id parameter of a list of a provider's objects: "platform" -1 (the platform's
 * own), an id, absent 0 (every provider the reader sees). */
gh_err gh_query_provider(gh_req *r, int64_t *out);
/* The limit and cursor of a list paged by id (cursor: the last id of the previous page, 0 when
 * absent). */
gh_err gh_query_page(gh_req *r, int *limit, int64_t *after);
/* A page of a list keyed by id: {"items": items, "next_cursor": last_id as text when more, else
 * null} (the list asked for limit + 1 rows: more when it got them). */
json_t *gh_id_page(json_t *items, bool more, int64_t last_id);
/* Parses If-Match into a version (0 when absent). */
gh_err gh_if_match(gh_req *r, int64_t *version);
/* Fills ids from a JSON array already checked by gh_json_check. */
void gh_json_ids_in(gh_arena *a, const json_t *arr, gh_ids *out);
/* String member or NULL. */
const char *gh_json_str(const json_t *o, const char *key);

/* The OpenAPI document of gh_routes. */
json_t *gh_openapi(void);
/* The text json_dumps(v, JSON_COMPACT) gives (malloc'd; the caller frees it), its length in
 * *len; NULL where json_dumps gives NULL (a string that is not UTF-8, v not an object or array)
 * or without memory. Thread-safe. */
char *gh_json_dump(json_t *v, size_t *len);

/* The database connection of this thread of r's server (opened on first use, owned and closed
 * by the server); NULL when it cannot be opened. */
gh_db *gh_http_db(gh_req *r);
/* The same for a stream's reader, which has no request: the connection of this thread of s. */
gh_db *gh_http_server_db(gh_server *s);

/* Handlers. */
gh_err gh_h_health(gh_req *r);
gh_err gh_h_ready(gh_req *r);
gh_err gh_h_metrics(gh_req *r);
gh_err gh_h_openapi(gh_req *r);
gh_err gh_h_permissions(gh_req *r);
gh_err gh_h_users_list(gh_req *r);
gh_err gh_h_auth_verify(gh_req *r);
gh_err gh_h_auth_forward(gh_req *r);
gh_err gh_h_auth_return(gh_req *r);
gh_err gh_h_users_counts(gh_req *r);
gh_err gh_h_users_csv(gh_req *r);
gh_err gh_h_users_import(gh_req *r);
/* The users list's filter and sort from the query (q, status, role_id, group_id, tenant_id,
 * sort), as GET /api/v1/users reads them; the caller checks which parameters are allowed. */
gh_err gh_h_users_filter(gh_req *r, gh_user_filter *f);
gh_err gh_h_users_create(gh_req *r);
gh_err gh_h_users_get(gh_req *r);
gh_err gh_h_users_patch(gh_req *r);
gh_err gh_h_users_delete(gh_req *r);
gh_err gh_h_users_disable(gh_req *r);
gh_err gh_h_users_enable(gh_req *r);
gh_err gh_h_users_bulk(gh_req *r);
gh_err gh_h_tenants_list(gh_req *r);
gh_err gh_h_tenants_create(gh_req *r);
gh_err gh_h_tenants_get(gh_req *r);
gh_err gh_h_tenants_patch(gh_req *r);
gh_err gh_h_tenants_delete(gh_req *r);
gh_err gh_h_roles_list(gh_req *r);
gh_err gh_h_roles_create(gh_req *r);
gh_err gh_h_roles_get(gh_req *r);
gh_err gh_h_roles_patch(gh_req *r);
gh_err gh_h_roles_delete(gh_req *r);
gh_err gh_h_groups_list(gh_req *r);
gh_err gh_h_groups_create(gh_req *r);
gh_err gh_h_groups_get(gh_req *r);
gh_err gh_h_groups_patch(gh_req *r);
gh_err gh_h_groups_delete(gh_req *r);
gh_err gh_h_audit_list(gh_req *r);
gh_err gh_h_audit_actions(gh_req *r);
gh_err gh_h_session_create(gh_req *r);
gh_err gh_h_session_get(gh_req *r);
gh_err gh_h_session_delete(gh_req *r);
gh_err gh_h_session_totp(gh_req *r);
gh_err gh_h_session_password(gh_req *r);
gh_err gh_h_me_sessions(gh_req *r);
gh_err gh_h_me_session_delete(gh_req *r);
gh_err gh_h_me_password(gh_req *r);
gh_err gh_h_me_totp_get(gh_req *r);
gh_err gh_h_me_totp_start(gh_req *r);
gh_err gh_h_me_totp_confirm(gh_req *r);
gh_err gh_h_users_unban(gh_req *r);
gh_err gh_h_users_force_reset(gh_req *r);
gh_err gh_h_users_reset_mfa(gh_req *r);
gh_err gh_h_users_sessions(gh_req *r);
gh_err gh_h_users_sessions_delete(gh_req *r);
gh_err gh_h_users_session_delete(gh_req *r);
gh_err gh_h_me_tokens(gh_req *r); /* API tokens (h_tokens.c) */
gh_err gh_h_me_token_delete(gh_req *r);
gh_err gh_h_me_token_create(gh_req *r);
gh_err gh_h_password_policy(gh_req *r); /* h_misc.c */
/* Shared by the sign-in handlers (h_session.c): the client's User-Agent as stored; the
 * per-address throttle of failed steps (true: answered 429) and its settling after the step;
 * a session's JSON. */
const char *gh_http_user_agent(gh_req *r);
bool gh_http_signin_throttled(gh_req *r, const char *factor);
void gh_http_signin_settle(gh_req *r, gh_err err);
json_t *gh_http_session_json(const gh_session *s);
gh_err gh_h_me_passkey_options(gh_req *r); /* passkeys (h_passkeys.c) */
gh_err gh_h_me_passkeys(gh_req *r);
gh_err gh_h_me_passkey_create(gh_req *r);
gh_err gh_h_me_passkey_rename(gh_req *r);
gh_err gh_h_me_passkey_delete(gh_req *r);
gh_err gh_h_session_webauthn_options(gh_req *r);
gh_err gh_h_session_webauthn(gh_req *r);
gh_err gh_h_session_passkey_options(gh_req *r);
gh_err gh_h_session_passkey(gh_req *r);
gh_err gh_h_users_tokens(gh_req *r);
gh_err gh_h_users_token_delete(gh_req *r);
gh_err gh_h_web(gh_req *r);          /* the web console's files and pages (h_web.c) */
gh_err gh_h_me_profile(gh_req *r);   /* own language and timezone (h_me.c) */
gh_err gh_h_me_grantable(gh_req *r); /* what the caller may grant (h_me.c) */
/* Adds allowed_actions (what r's principal may do to u now, core/rights.c) to the user object
 * out (h_users.c). */
gh_err gh_h_user_allowed(gh_req *r, const gh_user *u, json_t *out) GH_MUST_USE;
/* The same for each user of a list page: items[i] (an object) for users[i], in one query. */
gh_err gh_h_users_allowed(gh_req *r, const gh_user *users, size_t n, json_t *items) GH_MUST_USE;
gh_err gh_h_users_resend_onboarding(gh_req *r);
gh_err gh_h_users_onboarding_link(gh_req *r);
gh_err gh_h_onboarding_get(gh_req *r);
gh_err gh_h_onboarding_complete(gh_req *r);
gh_err gh_h_setup_get(gh_req *r);
gh_err gh_h_setup_complete(gh_req *r);
gh_err gh_h_password_reset_request(gh_req *r);
gh_err gh_h_password_reset_get(gh_req *r);
gh_err gh_h_password_reset_complete(gh_req *r);
gh_err gh_h_webhooks_list(gh_req *r); /* webhooks (h_webhooks.c) */
gh_err gh_h_webhooks_create(gh_req *r);
gh_err gh_h_webhooks_get(gh_req *r);
gh_err gh_h_webhooks_patch(gh_req *r);
gh_err gh_h_webhooks_delete(gh_req *r);
gh_err gh_h_webhooks_deliveries(gh_req *r);
gh_err gh_h_webhooks_resend(gh_req *r);
gh_err gh_h_sso_list(gh_req *r); /* SSO sources (h_sso.c) */
gh_err gh_h_sso_create(gh_req *r);
gh_err gh_h_sso_get(gh_req *r);
gh_err gh_h_sso_patch(gh_req *r);
gh_err gh_h_sso_delete(gh_req *r);
gh_err gh_h_sso_public(gh_req *r);
gh_err gh_h_scim_clients_list(gh_req *r); /* SCIM clients (h_scim_clients.c) */
gh_err gh_h_scim_clients_create(gh_req *r);
gh_err gh_h_scim_clients_get(gh_req *r);
gh_err gh_h_scim_clients_delete(gh_req *r);
gh_err gh_h_sso_test(gh_req *r); /* single sign-on's pages and the Test action (h_sso_flow.c) */
gh_err gh_h_sso_start(gh_req *r);
gh_err gh_h_sso_callback(gh_req *r);
gh_err gh_h_sso_logout(gh_req *r);

/* /scim/v2 (scim.c): runs a request whose path is under it (its own routes, a SCIM client's
 * token only, its media type); and the SCIM error body (RFC 7644 3.12) of a failed one. */
gh_err gh_scim_dispatch(gh_req *r);
json_t *gh_scim_error(gh_req *r, gh_err err);

/* Suspends the request until the hash job finishes, then runs `then` on the server thread.
 * GH_ERATE (answer 429) when the hash pool is full. */
gh_err gh_http_hash_async(gh_req *r, gh_handler then);
/* A route whose change needs the S10 proof (h_session.c): hash_of says whether a given
 * current_password must be verified and against what; then one Argon2id job checks it and
 * verified runs (its gh_reauth from r->job), else plain runs at once with the body's code. */
typedef gh_err (*gh_reauth_hash_fn)(gh_ctx *ctx, bool password_given, const char **verify_hash);
gh_err gh_http_with_proof(gh_req *r, gh_reauth_hash_fn hash_of, gh_handler verified,
                          gh_err (*plain)(gh_req *, const struct gh_reauth *));
/* Suspends the request and runs work(r) on a thread of its own (outbound calls that may take up
 * to their timeouts: single sign-on), then `then` on the server thread; work must not touch the
 * connection or a database connection of the server. GH_ERATE (429) when GH_MAX_OUTBOUND_JOBS
 * are running. If the thread cannot start, `then` runs with r->work_err GH_EINTERNAL. The
 * server's stop waits for every such job. */
gh_err gh_http_run_async(gh_req *r, void (*work)(gh_req *r), gh_handler then);
/* A request header's value, or NULL. */
const char *gh_http_header(gh_req *r, const char *name);
/* A cookie's value sent with the request, or NULL. */
const char *gh_http_cookie(gh_req *r, const char *name);
/* The relying party's environment of r's server (core/sso.h), NULL when it has none. */
struct gh_sso_env *gh_http_sso(const gh_req *r);
/* The absolute URL of path on this server (arena): --external-url's origin and path prefix, or,
 * without one, http://{Host} when the Host header names a loopback address (development and
 * tests); NULL otherwise. */
char *gh_http_absolute_url(gh_req *r, const char *path);
/* Whether cookies are Secure (--external-url is https, S6). */
bool gh_http_cookie_secure(const gh_req *r);

/* The Set-Cookie value for a new session token, or (token NULL) one that clears it. */
char *gh_http_session_cookie(gh_req *r, const char *token, int64_t max_age);
/* Forward-auth: the protected application of host (NULL: none), the origin of --external-url
 * (NULL: not set), and a header to send with a success (at most GH_REQ_HEADERS). */
struct gh_forward_app;
const struct gh_forward_app *gh_http_forward_app(const gh_req *r, const char *host);
const char *gh_http_external_origin(const gh_req *r);
void gh_http_add_header(gh_req *r, const char *name, const char *value);
/* Forward-auth's routes are public (they answer a proxy about a browser's request with 401 or a
 * redirect, not a demand for a token) and authenticate here: a bearer token, or a session that
 * finished signing in (its activity recorded); GH_EUNAUTH otherwise, GH_EDB. */
gh_err gh_http_signed_in(gh_req *r);

/* The sign-in throttle of r's server (auth/throttle.h; owned by the server, thread-safe). */
gh_throttle *gh_http_throttle(const gh_req *r);
/* The folder r's server serves the console from (--web-dir), "" for the embedded files. */
const char *gh_http_web_dir(const gh_req *r);
/* The responses of status class c (1 to 5: 1xx to 5xx) r's server has sent so far; 0 for
 * another c. Thread-safe. */
unsigned long long gh_http_responses(const gh_req *r, int c);

#endif
