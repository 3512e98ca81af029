/* libmicrohttpd glue: per-request arena and body buffering within limits, authentication,
 * deny-by-default permission checks, dispatch, problem+json errors, security headers, per-thread
 * database connections and graceful shutdown. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "model/model.h"
#include "core/signin.h"
#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/utf8.h"
#include "http/forward.h"

#define MAX_THREAD_DBS 64

/* What gh_server_start makes of its gh_server_config: filled once before the server is made,
 * then const in it and only read (by every server thread, without a lock). */
typedef struct server_conf {
    const char *db_url;
    const gh_signin_config *signin; /* the caller's; NULL: gh_signin_defaults */
    struct gh_mailer *mail;         /* the caller's; NULL: no sender */
    struct gh_hooks *hooks;         /* the caller's; NULL: no webhook sender */
    struct gh_sso_env *sso;         /* the caller's; NULL: no single sign-on */
    bool cookie_secure;             /* --external-url is https:// (S6) */
    bool access_log;                /* GATEHOUSE_ACCESS_LOG set: every request is logged */
    char external_origin[256];      /* scheme://host[:port] of --external-url, or empty */
    char trusted_proxies[512];      /* ",a,b," for whole-word search */
    char web_dir[1024];             /* --web-dir without trailing slashes; "": embedded files */
    int64_t header_deadline_ms, body_deadline_ms;
    char cookie_domain[254]; /* --cookie-domain: the session cookie's Domain; "": host-only */
    gh_forward_app apps[GH_FORWARD_APPS_MAX]; /* --protect: forward-auth's applications */
    size_t n_apps;
} server_conf;

struct conn_watch;

/* A server owns its configuration, its daemon, the database connections of its threads, the
 * deadline watches of its connections, its hash pool, its sign-in throttle and its response
 * counters; gh_server_stop frees them all. */
struct gh_server {
    struct MHD_Daemon *d;
    int port;
    const server_conf conf;
    gh_hashpool *hashes;       /* Argon2id off the server threads (gh_http_hash_async) */
    gh_throttle *throttle;     /* failed sign-in steps per client address (h_session.c) */
    gh_pcache *principals;     /* authenticated principals, checked per request (NULL: off) */
    atomic_ullong by_class[6]; /* responses by status class, [1] to [5]: 1xx to 5xx (metrics) */
    atomic_int inflight;       /* requests whose headers are in and that are not completed */
    atomic_int outbound;       /* gh_http_run_async jobs running */
    /* the sign-in settings a reload swapped in (gh_server_set_signin), NULL: conf.signin; each
     * request reads it once, so that it runs with one snapshot from start to end */
    _Atomic(const gh_signin_config *) live_signin;
    pthread_mutex_t dbs_mu;
    gh_db *dbs[MAX_THREAD_DBS]; /* one per server thread that asked for one */
    int n_dbs;
    /* deadlines (I10): the watched connections and the reaper thread */
    pthread_mutex_t watch_mu;
    pthread_cond_t watch_cv;
    struct conn_watch *watches;
    bool reaper_stop;
    pthread_t reaper;
};

static const gh_signin_config *current_signin(gh_server *s)
{
    const gh_signin_config *c = atomic_load(&s->live_signin);
    return c != NULL ? c : s->conf.signin;
}

void gh_server_set_signin(gh_server *s, const gh_signin_config *c)
{
    atomic_store(&s->live_signin, c);
}

/* The connection of this thread, and the server it belongs to (a thread serves one server). */
static __thread gh_server *thread_srv;
static __thread gh_db *thread_db;

gh_db *gh_http_db(gh_req *r)
{
    return gh_http_server_db(r->srv);
}

gh_db *gh_http_server_db(gh_server *s)
{
    if (thread_db != NULL && thread_srv == s)
        return thread_db;
    gh_db *db = NULL;
    if (gh_db_open(s->conf.db_url, &db) != GH_OK)
        return NULL;
    bool kept = false;
    pthread_mutex_lock(&s->dbs_mu);
    if (s->n_dbs < MAX_THREAD_DBS) {
        s->dbs[s->n_dbs++] = db;
        kept = true;
    }
    pthread_mutex_unlock(&s->dbs_mu);
    if (!kept) {
        gh_db_close(db);
        return NULL;
    }
    thread_srv = s;
    thread_db = db;
    return db;
}

gh_throttle *gh_http_throttle(const gh_req *r)
{
    return r->srv->throttle;
}

const char *gh_http_web_dir(const gh_req *r)
{
    return r->srv->conf.web_dir;
}

unsigned long long gh_http_responses(const gh_req *r, int c)
{
    return c >= 1 && c <= 5 ? atomic_load(&r->srv->by_class[c]) : 0;
}

/* Counts a response sent with status in its class. */
static void count_response(gh_server *s, int status)
{
    int c = status / 100;
    if (c >= 1 && c <= 5)
        atomic_fetch_add(&s->by_class[c], 1);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The method as a label: one of a fixed set (libmicrohttpd passes any token a client sends). */
static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (method != NULL && strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

/* The request's count and latency by route pattern, method and status (util/metrics.h). */
static void count_request(const gh_req *r)
{
    char status[8];
    snprintf(status, sizeof status, "%d", r->status);
    const char *const *labels = GH_LABELS(r->route_label != NULL ? r->route_label : "unmatched",
                                          method_label(r->method), status);
    gh_metric_add(GH_M_HTTP_REQUESTS, 1, labels);
    gh_metric_observe(GH_M_HTTP_DURATION, (double)(mono_ns() - r->started_ns) / 1e9, labels);
}

void gh_http_gauges_of(const gh_req *r, gh_http_gauges *out)
{
    /* the daemon through the connection (libmicrohttpd answers the master one, whose count sums
     * its thread pool's): s->d is written once the threads already run */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_DAEMON);
    const union MHD_DaemonInfo *di =
        ci != NULL ? MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
    int depth = 0, cap = 0;
    gh_hashpool_depth(r->srv->hashes, &depth, &cap);
    *out = (gh_http_gauges){.connections = di != NULL ? (long)di->num_connections : 0,
                            .in_flight = atomic_load(&r->srv->inflight),
                            .hash_queue = depth,
                            .hash_capacity = cap};
}

static void req_free(gh_req *r)
{
    if (r == NULL)
        return;
    json_decref(r->in);
    json_decref(r->out);
    if (r->stream.free != NULL) /* a stream no response took over */
        r->stream.free(r->stream.cls);
    if (r->body != NULL)
        sodium_memzero(r->body, r->body_len); /* may hold a password */
    free(r->body);
    gh_arena_free(r->a);
    free(r);
}

static bool is_trusted_proxy(const server_conf *conf, const char *ip)
{
    char needle[72];
    snprintf(needle, sizeof needle, ",%s,", ip);
    return conf->trusted_proxies[0] != '\0' && strstr(conf->trusted_proxies, needle) != NULL;
}

static bool is_ip(const char *s)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

/* The hops of every X-Forwarded-For line, in order (as if the lines were joined with commas);
 * only the right-most GH_MAX_FORWARDED_HOPS are kept, as only those are read. A hop too long to
 * be an address is kept as "" (not an address). */
typedef struct forwarded {
    char hop[GH_MAX_FORWARDED_HOPS][64];
    int n;
} forwarded;

static enum MHD_Result collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                         size_t key_size, const char *value, size_t value_size)
{
    forwarded *f = cls;
    if (strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    for (const char *p = value; *p != '\0';) {
        size_t len = strcspn(p, ",");
        const char *b = p, *e = p + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (f->n == GH_MAX_FORWARDED_HOPS) { /* keep the right-most ones */
            memmove(f->hop[0], f->hop[1], sizeof f->hop - sizeof f->hop[0]);
            f->n--;
        }
        size_t n = (size_t)(e - b) < sizeof f->hop[0] ? (size_t)(e - b) : 0;
        memcpy(f->hop[f->n], b, n);
        f->hop[f->n++][n] = '\0';
        p += len + (p[len] == ',');
    }
    return MHD_YES;
}

/* I11: behind a trusted proxy, X-Forwarded-For (all its lines, in order) is read from the right:
 * each trusted proxy appended the address it saw, so the client is the right-most address that
 * is not a trusted proxy; anything left of it could be forged by the client. A hop that is not
 * an address stops the walk at the last address known good (the peer to begin with). */
static void forwarded_ip(const server_conf *conf, struct MHD_Connection *c, char *buf, size_t cap)
{
    if (!is_trusted_proxy(conf, buf))
        return;
    forwarded *f = calloc(1, sizeof *f);
    if (f == NULL)
        return;
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_forwarded, f);
    for (int i = f->n - 1; i >= 0 && is_ip(f->hop[i]); i--) {
        snprintf(buf, cap, "%s", f->hop[i]);
        if (!is_trusted_proxy(conf, f->hop[i]))
            break;
    }
    free(f);
}

/* The address of the connection's peer (the proxy's, behind one) into buf, or "unknown". */
static void peer_ip(struct MHD_Connection *c, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, cap, "unknown");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)cap);
}

static void client_ip(const server_conf *conf, struct MHD_Connection *c, char *buf, size_t cap)
{
    peer_ip(c, buf, cap);
    forwarded_ip(conf, c, buf, cap);
}

/* An incoming X-Request-Id may name the request only when a trusted proxy sent it (the trust of
 * X-Forwarded-For) and it is 1 to 64 of [A-Za-z0-9._-]: it goes into log records, audit rows and
 * the answer's header, so nothing that could break a line or a header is taken. */
static bool safe_request_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    return n >= 1 && n < GH_REQUEST_ID_MAX + 1 &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* r's request id: the trusted proxy's, or 128 random bits in hex. */
static void request_id(gh_req *r, struct MHD_Connection *c)
{
    char peer[64];
    peer_ip(c, peer, sizeof peer);
    const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (is_trusted_proxy(&r->srv->conf, peer) && safe_request_id(given)) {
        snprintf(r->request_id, sizeof r->request_id, "%s", given);
        return;
    }
    unsigned char rid[16];
    randombytes_buf(rid, sizeof rid);
    sodium_bin2hex(r->request_id, sizeof r->request_id, rid, sizeof rid);
}

/* Behind TLS the cookie is __Host- prefixed and Secure (S6); scoped to a parent domain for
 * forward-auth (--cookie-domain) it cannot be __Host- (that forbids Domain), and is __Secure-. */
static const char *cookie_name(const server_conf *conf)
{
    if (!conf->cookie_secure)
        return "gh_session";
    return conf->cookie_domain[0] != '\0' ? "__Secure-gh_session" : "__Host-gh_session";
}

char *gh_http_session_cookie(gh_req *r, const char *token, int64_t max_age)
{
    const server_conf *c = &r->srv->conf;
    return gh_arena_printf(r->a, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s%s%s",
                           cookie_name(c), token ? token : "", token ? (long long)max_age : 0LL,
                           c->cookie_secure ? "; Secure" : "",
                           c->cookie_domain[0] != '\0' ? "; Domain=" : "", c->cookie_domain);
}

const gh_forward_app *gh_http_forward_app(const gh_req *r, const char *host)
{
    return gh_forward_find(r->srv->conf.apps, r->srv->conf.n_apps, host);
}

const char *gh_http_external_origin(const gh_req *r)
{
    return r->srv->conf.external_origin[0] != '\0' ? r->srv->conf.external_origin : NULL;
}

void gh_http_add_header(gh_req *r, const char *name, const char *value)
{
    if (r->n_headers < GH_REQ_HEADERS)
        r->headers[r->n_headers++] = (gh_header){name, value};
}

bool gh_http_cookie_secure(const gh_req *r)
{
    return r->srv->conf.cookie_secure;
}

const char *gh_http_header(gh_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *gh_http_cookie(gh_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

struct gh_sso_env *gh_http_sso(const gh_req *r)
{
    return r->srv->conf.sso;
}

/* Whether host (a Host header: name or address, optional port) is a loopback one. */
static bool loopback_host(const char *host)
{
    static const char *const names[] = {"127.0.0.1:", "localhost:", "[::1]:"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(host, names[i], n - 1) == 0 &&
            (host[n - 1] == '\0' ||
             (host[n - 1] == ':' && strspn(host + n, "0123456789") == strlen(host + n) &&
              host[n] != '\0')))
            return true;
    }
    return false;
}

char *gh_http_absolute_url(gh_req *r, const char *path)
{
    const server_conf *c = &r->srv->conf;
    if (c->external_origin[0] != '\0')
        return gh_arena_printf(r->a, "%s%s", c->external_origin, path);
    const char *host = gh_http_header(r, "Host");
    if (host == NULL || !loopback_host(host))
        return NULL;
    return gh_arena_printf(r->a, "http://%s%s", host, path);
}

/* Loads the principal from "Authorization: Bearer <token>" or the session cookie. */
static gh_err authenticate(gh_req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie =
        MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, cookie_name(&r->srv->conf));
    gh_err err = GH_EUNAUTH;
    if (h != NULL && strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) <= 128) {
        err =
            gh_token_authenticate(r->srv->principals, r->ctx.db, r->a, h + 7, r->ctx.now, &r->who);
    } else if (h == NULL && cookie != NULL && strlen(cookie) <= 128) {
        err = gh_session_authenticate(r->srv->principals, r->ctx.signin, r->ctx.db, r->a, cookie,
                                      r->ctx.now, &r->session, &r->who);
        r->has_session = err == GH_OK;
        r->cookie = err == GH_OK ? cookie : NULL;
    }
    if (err == GH_EUNAUTH)
        return gh_fail(&r->ctx, GH_EUNAUTH, NULL, NULL,
                       h != NULL || cookie != NULL ? "the token or session is not valid"
                                                   : "sign in or send a bearer token");
    return err;
}

gh_err gh_http_signed_in(gh_req *r)
{
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    gh_err err = authenticate(r);
    if (err == GH_OK && r->has_session && r->session.stage != GH_STAGE_DONE)
        err = gh_fail(&r->ctx, GH_EUNAUTH, NULL, NULL, "finish signing in first");
    if (err != GH_OK)
        return err;
    r->ctx.who = &r->who;
    return r->has_session
               ? gh_session_touch(r->srv->principals, r->cookie, r->ctx.db, &r->session, r->ctx.now)
               : GH_OK;
}

/* S7: a state change carried by the session cookie must come from our own pages: Sec-Fetch-Site
 * same-origin (or none: typed by the user), or an Origin naming this host. Bearer tokens are not
 * sent by browsers on their own and need no such check. */
static bool same_origin(gh_req *r)
{
    const char *site = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    if (origin == NULL)
        return site != NULL;
    const char *ours = r->srv->conf.external_origin;
    if (ours[0] != '\0') /* behind a proxy the Host header may be ours, not theirs */
        return strcmp(origin, ours) == 0;
    const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                            : NULL;
    return rest != NULL && host != NULL && strcmp(rest, host) == 0;
}

/* Authentication, the sign-in stage and the route's permission (deny by default). */
static gh_err authorize(gh_req *r, const gh_route *route)
{
    gh_err err = authenticate(r);
    if (err != GH_OK)
        return err;
    r->ctx.who = &r->who;
    bool state_change = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
    if (r->has_session && state_change && !same_origin(r))
        return gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL, "cross-site request refused");
    gh_signin_stage stage = r->has_session ? r->session.stage : GH_STAGE_DONE;
    if (route->auth == GH_AUTH_STAGE ? !r->has_session || (route->stages & GH_STAGE_BIT(stage)) == 0
                                     : stage != GH_STAGE_DONE)
        return gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL,
                       r->has_session ? "finish signing in first (see next in GET /api/v1/session)"
                                      : "this needs a signed-in session");
    return gh_perm_has(&r->who, route->perm) ? GH_OK : GH_EFORBIDDEN;
}

/* A body of route->consumes (kept as it is in r->body): its Content-Type, size, that it is. */
static gh_err raw_body_check(gh_req *r, const char *media)
{
    size_t n = strlen(media);
    if (r->body_too_large)
        return gh_fail(&r->ctx, GH_ETOOLARGE, NULL, NULL, "the request body is larger than 64 KiB");
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (ct == NULL || strncasecmp(ct, media, n) != 0 || (ct[n] != '\0' && ct[n] != ';'))
        return gh_fail(&r->ctx, GH_EMEDIA, NULL, NULL,
                       gh_arena_printf(r->a, "send the body as %s", media));
    if (r->body_len == 0)
        return gh_fail(&r->ctx, GH_EINVAL, NULL, NULL, "the request body is empty");
    return GH_OK;
}

static gh_err read_body(gh_req *r, const gh_route *route)
{
    gh_err qerr = gh_query_route(r, route); /* the route's query table, for every route */
    if (qerr != GH_OK)
        return qerr;
    if (route->consumes != NULL)
        return raw_body_check(r, route->consumes);
    if (route->body == NULL)
        return r->body_len > 0 || r->body_too_large
                   ? gh_fail(&r->ctx, GH_EINVAL, NULL, NULL, "this endpoint takes no request body")
                   : GH_OK;
    if (route->body_optional && r->body_len == 0 && !r->body_too_large)
        return GH_OK; /* r->in stays NULL */
    gh_err err = gh_json_parse_body(r, &r->in);
    return err == GH_OK ? gh_json_check(r, r->in, route->body, NULL) : err;
}

/* Runs an authenticated route. A GET runs inside one read transaction: one snapshot and one
 * lock for all of its queries instead of one per statement. */
static gh_err run_authenticated(gh_req *r, const gh_route *route)
{
    bool read_only = strcmp(r->method, "GET") == 0;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    /* A GET reads in one transaction, authentication included: one snapshot, one lock. The
     * session's activity is recorded after it (a write cannot join a read transaction). */
    gh_err err = read_only ? gh_db_begin_read(r->ctx.db) : GH_OK;
    if (err == GH_OK)
        err = authorize(r, route);

    if (err == GH_OK && !read_only && r->has_session)
        err = gh_session_touch(r->srv->principals, r->cookie, r->ctx.db, &r->session, r->ctx.now);
    gh_session seen = r->session; /* as stored, for the touch after the read transaction */
    if (err == GH_OK && read_only && r->has_session)
        r->session.last_seen_at = r->ctx.now; /* what the handler shows is what will be stored */
    if (err == GH_OK && (err = read_body(r, route)) == GH_OK)
        err = route->handler(r);
    if (read_only) {
        if (err != GH_OK)
            gh_db_rollback(r->ctx.db);
        else if ((err = gh_db_commit(r->ctx.db)) != GH_OK)
            return err;
        if (err == GH_OK && r->has_session &&
            gh_session_touch(r->srv->principals, r->cookie, r->ctx.db, &seen, r->ctx.now) != GH_OK)
            gh_log("error", "session_touch_failed", NULL);
    }
    if (err == GH_EFORBIDDEN && r->ctx.who != NULL) { /* L1: denied authorizations */
        gh_core_audit_denied(&r->ctx,
                             gh_arena_printf(r->a, "%s %s", route->method, route->pattern));
        if (r->ctx.err_detail == NULL)
            return gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL,
                           "your roles do not hold the permission this needs");
    }
    return err;
}

static void hash_done(gh_hash_job *job)
{
    gh_req *r = job->arg;
    MHD_resume_connection(r->conn);
}

gh_err gh_http_hash_async(gh_req *r, gh_handler then)
{
    r->job.done = hash_done;
    r->job.arg = r;
    if (gh_hashpool_reserve(r->srv->hashes) != GH_OK) {
        r->retry_after = "1";
        return gh_fail(&r->ctx, GH_ERATE, NULL, NULL,
                       "too many sign-ins at once; retry in a moment");
    }
    r->resume = then;
    r->suspended = true;             /* read and written by the server thread only */
    MHD_suspend_connection(r->conn); /* before the job can finish and resume it */
    gh_hashpool_submit_reserved(r->srv->hashes, &r->job);
    return GH_OK;
}

/* ---- outbound work (gh_http_run_async) ---- */

static void *outbound_main(void *arg)
{
    gh_req *r = arg;
    gh_server *s = r->srv;         /* r may be gone once the connection is resumed */
    gh_log_request(r->request_id); /* what the outbound call logs names the request */
    r->work(r);
    gh_log_request(NULL);
    MHD_resume_connection(r->conn);
    atomic_fetch_sub(&s->outbound, 1);
    return NULL;
}

gh_err gh_http_run_async(gh_req *r, void (*work)(gh_req *r), gh_handler then)
{
    gh_server *s = r->srv;
    if (atomic_fetch_add(&s->outbound, 1) >= GH_MAX_OUTBOUND_JOBS) {
        atomic_fetch_sub(&s->outbound, 1);
        r->retry_after = "1";
        return gh_fail(&r->ctx, GH_ERATE, NULL, NULL,
                       "too many sign-ins at once; retry in a moment");
    }
    r->work = work;
    r->work_err = GH_OK;
    r->resume = then;
    r->suspended = true;
    MHD_suspend_connection(r->conn); /* before the thread can resume it */
    pthread_attr_t attr;
    pthread_t t;
    bool started = pthread_attr_init(&attr) == 0;
    if (started) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &attr, outbound_main, r) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) { /* `then` runs at once, on this thread's next turn */
        r->work_err = gh_fail(&r->ctx, GH_EINTERNAL, NULL, NULL, "no thread for the outbound call");
        MHD_resume_connection(r->conn);
        atomic_fetch_sub(&s->outbound, 1);
    }
    return GH_OK;
}

static gh_err dispatch(gh_req *r)
{
    int64_t id = 0, sub = 0;
    bool path_known = false;
    gh_err err = gh_query_limits(r);
    if (err != GH_OK)
        return err;
    if (strcmp(r->method, "HEAD") == 0) /* a GET whose body libmicrohttpd leaves out */
        r->method = "GET";
    if (strncmp(r->path, "/scim/v2/", 9) == 0 || strcmp(r->path, "/scim/v2") == 0) {
        r->route_label = "/scim/v2/*";
        return gh_scim_dispatch(r);
    }
    const gh_route *route = gh_route_match(r->method, r->path, &id, &sub, &path_known);
    if (route != NULL)
        r->route_label = route->pattern; /* never the raw path: one series per route */
    if (route == NULL && path_known) {
        char allow[128];
        gh_route_allow(r->path, allow, sizeof allow);
        r->allow = gh_arena_strdup(r->a, allow);
        return gh_fail(&r->ctx, GH_EMETHOD, NULL, NULL, "method not allowed here");
    }
    if (route == NULL)
        return gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such resource");
    r->id = id;
    r->sub_id = sub;
    if (route->auth == GH_AUTH_PUBLIC) {
        err = read_body(r, route);
        return err == GH_OK ? route->handler(r) : err;
    }
    return run_authenticated(r, route);
}

static void add_security_headers(struct MHD_Response *resp, const char *cache_control)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; object-src 'none'; "
                            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cache-Control", cache_control);
}

/* S8 on the pages libmicrohttpd makes itself. libmicrohttpd 0.9.75 answers a malformed request
 * line or header (400), a Content-Length too large to parse (413), a request line or headers that
 * do not fit its pool (414, 431) and an unsupported HTTP version (505) from inside connection.c
 * (transmit_error_response_len), before any callback of ours runs and with no option to add
 * headers. It queues those pages through its exported MHD_queue_response, called through the
 * PLT, so this definition in our program takes the call first (ELF symbol interposition), adds
 * the security headers to any response that lacks them and hands it on to libmicrohttpd's own.
 * Our own responses already carry them (respond). tests/api/framing.test.mjs checks each of
 * those statuses, so a libmicrohttpd built to bind its calls internally (static, -Bsymbolic)
 * would fail there instead of silently losing the headers. */
static bool conn_secure(struct MHD_Connection *c);

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
static queue_fn real_queue;
static pthread_once_t real_queue_once = PTHREAD_ONCE_INIT;

static void find_real_queue(void)
{
    real_queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    pthread_once(&real_queue_once, find_real_queue);
    if (real_queue == NULL)
        return MHD_NO; /* libmicrohttpd then closes the connection */
    if (response != NULL && MHD_get_response_header(response, "Content-Security-Policy") == NULL) {
        add_security_headers(response, "no-store");
        if (conn_secure(connection))
            MHD_add_response_header(response, "Strict-Transport-Security", "max-age=31536000");
    }
    return real_queue(connection, status_code, response);
}

static json_t *problem(gh_req *r, gh_err err)
{
    static const char *const types[] = {
#define GH_ERR_TYPE(name, status, text) #name,
        GH_ERRORS(GH_ERR_TYPE)
#undef GH_ERR_TYPE
    };
    int status = gh_err_http_status(err);
    const char *detail = r->ctx.err_detail;
    if (detail == NULL || status >= 500)
        detail = gh_err_str(err); /* never leak internals on a 5xx */
    json_t *p =
        json_pack("{s:s, s:s, s:i, s:s, s:s}", "type",
                  gh_arena_printf(r->a, "urn:gatehouse:problem:%s", types[err] + 3), "title",
                  gh_err_str(err), "status", status, "detail", detail, "request_id", r->request_id);
    bool named = r->ctx.err_field != NULL && status < 500;
    /* NULL when the field is not UTF-8 (a query parameter's name is the client's bytes); the
     * code is ASCII whatever the field */
    json_t *errors = named ? json_pack("[{s:s, s:s, s:s}]", "field", r->ctx.err_field, "code",
                                       gh_error_code(r->a, r->ctx.err_field, r->ctx.err_reason),
                                       "message", detail)
                           : NULL;
    json_object_set_new(p, "errors", errors != NULL ? errors : json_array());
    return p;
}

/* The body of the response into *body (malloc'd, the caller frees it) and *len. False when there
 * is none though there must be: JSON that jansson cannot encode (a string that is not UTF-8), a
 * handler that left no body on a 200-202, or no memory. */
static bool render_body(gh_req *r, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    if (r->text != NULL) { /* text_len: the console's files, not NUL-terminated */
        size_t n = r->text_len > 0 ? r->text_len : strlen(r->text);
        if ((*body = malloc(n + 1)) == NULL)
            return false;
        memcpy(*body, r->text, n);
        *len = n;
        return true;
    }
    if (r->out != NULL) {
        return (*body = gh_json_dump(r->out, len)) != NULL;
    }
    return r->status < 200 || r->status > 202;
}

/* The path as the log may show it: a link's token is a credential, so it never reaches a log
 * record (L3); the link pages and their API routes are logged with "{token}" instead. */
static const char *loggable_path(gh_req *r)
{
    static const char *const links[] = {"/api/v1/onboarding/",
                                        "/api/v1/password-reset/",
                                        "/api/v1/setup/",
                                        "/onboarding/",
                                        "/reset/",
                                        "/setup/"};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        size_t n = strlen(links[i]);
        if (strncmp(r->path, links[i], n) == 0 && r->path[n] != '\0')
            return gh_arena_printf(r->a, "%s{token}", links[i]);
    }
    return r->path;
}

/* The response object: a stream's (taking the stream over) or the rendered body's. */
static struct MHD_Response *make_response(gh_req *r, char *body, size_t len)
{
    if (r->stream.read == NULL)
        return MHD_create_response_from_buffer(
            len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, GH_STREAM_BLOCK_BYTES, r->stream.read, r->stream.cls, r->stream.free);
    if (resp != NULL)
        r->stream = (gh_stream){0}; /* libmicrohttpd frees it when the response is done */
    return resp;
}

static enum MHD_Result respond(gh_req *r, gh_err err)
{
    const char *ctype = r->content_type ? r->content_type : "application/json";
    char *body = NULL;
    if (err != GH_OK) {
        r->status = gh_err_http_status(err);
        json_decref(r->out);
        r->out = r->scim ? gh_scim_error(r, err) : problem(r, err);
        r->text = NULL;
        if (r->stream.free != NULL)
            r->stream.free(r->stream.cls);
        r->stream = (gh_stream){0};
        ctype = r->scim ? "application/scim+json" : "application/problem+json";
    }
    if (r->status == 0)
        r->status = 200;
    size_t len = 0;
    if (r->stream.read == NULL && !render_body(r, &body, &len) && err == GH_OK) {
        /* fail closed: never a success without the body it stands for */
        gh_log("error", "response_not_encodable", "path", loggable_path(r), "request_id",
               r->request_id, NULL);
        return respond(r, GH_EINTERNAL);
    }
    struct MHD_Response *resp = make_response(r, body, len);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    if (r->disposition != NULL && err == GH_OK)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    if (len > 0 || r->status != 204)
        MHD_add_response_header(resp, "Content-Type", ctype);
    add_security_headers(resp,
                         r->cache_control != NULL && err == GH_OK ? r->cache_control : "no-store");
    if (r->etag != NULL && err == GH_OK)
        MHD_add_response_header(resp, "ETag", r->etag);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (r->set_cookie != NULL)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    for (int i = 0; i < r->n_headers && err == GH_OK; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    if (r->location != NULL && err == GH_OK)
        MHD_add_response_header(resp, "Location", r->location);
    if (r->retry_after != NULL)
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    if (r->status == 405 && r->allow != NULL)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->close) /* libmicrohttpd closes the connection once this response is sent */
        MHD_add_response_header(resp, "Connection", "close");
    if (r->srv->conf.cookie_secure)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (r->etag_version > 0 && err == GH_OK) {
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)r->etag_version);
        MHD_add_response_header(resp, "ETag", etag);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    count_response(r->srv, r->status);
    count_request(r);
    if (r->status >= 500 || r->srv->conf.access_log) {
        char status[8];
        snprintf(status, sizeof status, "%d", r->status);
        gh_log(r->status >= 500 ? "error" : "info", "request", "method", r->method, "path",
               loggable_path(r), "status", status, "ip", r->ip, "request_id", r->request_id, NULL);
    }
    return ret;
}

/* ---- whole-request deadlines (I10) ----
 * Every connection is watched from its accept (MHD_OPTION_NOTIFY_CONNECTION) to its close. Its
 * deadline is the header deadline until the headers are whole, then the body deadline until the
 * body is, then none while the request is handled and answered; a kept-alive connection starts
 * the header deadline again when a request completes. The reaper shuts a late connection's
 * socket down: libmicrohttpd then reads end-of-file and closes it. The fd stays valid while it is
 * watched, since libmicrohttpd notifies the close before it closes the socket. */

typedef struct conn_watch {
    struct conn_watch *prev, *next;
    gh_server *srv;
    MHD_socket fd;
    int64_t deadline_ms; /* CLOCK_MONOTONIC; 0: none */
    /* the request on_uri made and no completion has freed yet: libmicrohttpd answers some bad
     * requests itself (414, 431, ...) without calling on_request, and then never reports them
     * completed; such a request is freed here when the next one starts or the connection
     * closes. Touched only by the connection's own thread. */
    gh_req *pending;
} conn_watch;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    gh_server *s = cls;
    conn_watch *w = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci == NULL || (w = calloc(1, sizeof *w)) == NULL) {
            if (ci != NULL) /* unwatched would mean no deadline: refuse it instead */
                shutdown(ci->connect_fd, SHUT_RDWR);
            return;
        }
        w->fd = ci->connect_fd;
        w->srv = s;
        w->deadline_ms = mono_ms() + s->conf.header_deadline_ms;
        pthread_mutex_lock(&s->watch_mu);
        w->next = s->watches;
        if (s->watches != NULL)
            s->watches->prev = w;
        s->watches = w;
        pthread_mutex_unlock(&s->watch_mu);
        *socket_context = w;
    } else if (w != NULL) { /* MHD_CONNECTION_NOTIFY_CLOSED */
        req_free(w->pending);
        pthread_mutex_lock(&s->watch_mu);
        if (w->prev != NULL)
            w->prev->next = w->next;
        else
            s->watches = w->next;
        if (w->next != NULL)
            w->next->prev = w->prev;
        pthread_mutex_unlock(&s->watch_mu);
        free(w);
        *socket_context = NULL;
    }
}

/* The watch of c's connection (NULL when it has none). */
static conn_watch *watch_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

/* Whether c belongs to a server behind TLS (false for a connection without a watch). */
static bool conn_secure(struct MHD_Connection *c)
{
    const conn_watch *w = watch_of(c);
    return w != NULL && w->srv->conf.cookie_secure;
}

/* Sets the deadline of c's connection: after_ms from now, or none (after_ms 0). */
static void watch_set(struct MHD_Connection *c, int64_t after_ms)
{
    conn_watch *w = watch_of(c);
    if (w == NULL)
        return;
    int64_t deadline = after_ms > 0 ? mono_ms() + after_ms : 0;
    pthread_mutex_lock(&w->srv->watch_mu);
    w->deadline_ms = deadline;
    pthread_mutex_unlock(&w->srv->watch_mu);
}

static void *reap(void *arg)
{
    gh_server *s = arg;
    pthread_mutex_lock(&s->watch_mu);
    while (!s->reaper_stop) {
        int64_t now = mono_ms();
        for (conn_watch *w = s->watches; w != NULL; w = w->next) {
            if (w->deadline_ms == 0 || now < w->deadline_ms)
                continue;
            w->deadline_ms = 0;
            shutdown(w->fd, SHUT_RDWR);
            gh_log("info", "request_deadline", "detail",
                   "the request did not arrive whole in time; connection closed", NULL);
        }
        struct timespec wake;
        clock_gettime(CLOCK_MONOTONIC, &wake);
        wake.tv_nsec += 100 * 1000 * 1000; /* deadlines are whole seconds: 0.1 s is close enough */
        if (wake.tv_nsec >= 1000000000L) {
            wake.tv_sec++;
            wake.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->watch_cv, &s->watch_mu, &wake);
    }
    pthread_mutex_unlock(&s->watch_mu);
    return NULL;
}

static gh_err reaper_start(gh_server *s)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->watch_cv, &attr);
    pthread_condattr_destroy(&attr);
    s->reaper_stop = false;
    if (pthread_create(&s->reaper, NULL, reap, s) != 0) {
        pthread_cond_destroy(&s->watch_cv);
        return GH_ENOMEM;
    }
    return GH_OK;
}

static void reaper_join(gh_server *s)
{
    pthread_mutex_lock(&s->watch_mu);
    s->reaper_stop = true;
    pthread_cond_signal(&s->watch_cv);
    pthread_mutex_unlock(&s->watch_mu);
    pthread_join(s->reaper, NULL);
    pthread_cond_destroy(&s->watch_cv);
}

/* ---- framing (I9) ---- */

/* The request as libmicrohttpd 0.9.75 parsed it, in place, in its read buffer: each CRLF became
 * two NULs, a bare LF (which it takes as a line end, with no option to refuse it) one NUL, the
 * colon of each header a NUL, and a NUL sent by the client stays a NUL that ends the string it
 * is in. So a request whose lines all end in CRLF has, from the end of the HTTP version on: two
 * NULs, a header name where the next line starts, its NUL, blanks, its value, two NULs, ... and
 * four NULs that end the block exactly header_size bytes after the method. Any other spacing is
 * a bare LF, a NUL inside a header value (which hides the rest of the value from us and not
 * from a proxy) or a folded (obs-fold) header: all refused. */
typedef struct frame_scan {
    const char *end; /* where the previous line's text ended */
    int content_length, transfer_encoding;
    bool bad_te, bad_bytes, misplaced;
} frame_scan;

static bool two_nuls_before(const char *end, const char *next)
{
    return next == end + 2 && end[0] == '\0' && end[1] == '\0';
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    frame_scan *f = cls;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding++;
        f->bad_te |= strcmp(value, "chunked") != 0;
    }
    /* a bare CR stays in the text; RFC 9112 section 2.2: refuse it */
    f->bad_bytes |= memchr(key, '\r', key_size) != NULL || memchr(value, '\r', value_size) != NULL;
    if (f->misplaced || !two_nuls_before(f->end, key) || value < key + key_size + 1) {
        f->misplaced = true;
        return MHD_YES;
    }
    for (const char *p = key + key_size + 1; p < value; p++)
        f->misplaced |= *p != ' ' && *p != '\t';
    f->end = value + value_size;
    return MHD_YES;
}

/* The reason a request is refused for its framing (400 and close), or NULL. method and version
 * are libmicrohttpd's pointers into the request line. */
static const char *framing_error(gh_req *r, const char *method, const char *version)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (r->bad_target || r->raw_target_end == NULL || r->raw_target_end + 1 != version)
        return "the request target holds a NUL or a control character";
    frame_scan f = {.end = version + strlen(version)};
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &f);
    if (f.content_length > 1)
        return "more than one Content-Length";
    if (f.transfer_encoding > 1 || f.bad_te)
        return "Transfer-Encoding other than chunked";
    if (f.content_length > 0 && f.transfer_encoding > 0) /* I6 */
        return "Content-Length and Transfer-Encoding together are refused";
    if (f.bad_bytes)
        return "a bare CR in the header block";
    if (ci == NULL || f.misplaced || f.end + 4 != method + ci->header_size ||
        memcmp(f.end, "\0\0\0\0", 4) != 0)
        return "a bare LF, a NUL or a folded line in the header block";
    return NULL;
}

/* URI log callback: runs once the request line is read, with the target as sent (before the
 * query is split and %XX decoded), so that a NUL in it, sent raw or as %00, is seen before
 * libmicrohttpd cuts the path there. Its result is the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    gh_req *r = calloc(1, sizeof *r);
    if (r != NULL)
        r->srv = cls;
    conn_watch *w = watch_of(c);
    if (w != NULL) { /* an earlier request that libmicrohttpd refused itself */
        req_free(w->pending);
        w->pending = r;
    }
    if (r == NULL || uri == NULL)
        return r;
    r->raw_target_end = uri + strlen(uri);
    r->bad_target = strstr(uri, "%00") != NULL;
    for (const unsigned char *p = (const unsigned char *)uri; *p != '\0'; p++)
        r->bad_target |= *p < 0x20 || *p == 0x7f;
    return r;
}

/* Fills the request once its headers are in. */
static void req_start(gh_req *r, struct MHD_Connection *c, const char *url, const char *method)
{
    r->started = true;
    r->a = gh_arena_new();
    r->conn = c;
    r->method = gh_arena_strdup(r->a, method);
    r->path = gh_arena_strdup(r->a, url);
    request_id(r, c);
    r->started_ns = mono_ns();
    r->route_label = "unmatched";
    client_ip(&r->srv->conf, c, r->ip, sizeof r->ip);
    r->ctx = (gh_ctx){.a = r->a,
                      .ip = r->ip,
                      .request_id = r->request_id,
                      .now = gh_clock_now(),
                      .signin = current_signin(r->srv),
                      .mail = r->srv->conf.mail,
                      .sso = r->srv->conf.sso,
                      .hooks = r->srv->conf.hooks};
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    unsigned long long announced = cl != NULL ? strtoull(cl, NULL, 10) : 0;
    r->body_too_large = announced > GH_MAX_BODY_BYTES;
    r->dropped = announced > GH_MAX_DRAIN_BYTES ? GH_MAX_DRAIN_BYTES + 1 : 0;
}

/* The first call, once the headers are in: framing checks, then the body deadline. */
static enum MHD_Result on_headers(gh_req *r, const char *method, const char *version)
{
    atomic_fetch_add(&r->srv->inflight, 1);
    watch_set(r->conn, r->srv->conf.body_deadline_ms);
    const char *bad = framing_error(r, method, version);
    if (bad != NULL) { /* refused before any body is read; nothing after it on this connection
                        * is taken as a request (it could be a smuggled one) */
        r->close = true;
        return respond(r, gh_fail(&r->ctx, GH_EINVAL, NULL, NULL, bad));
    }
    if (r->dropped > GH_MAX_DRAIN_BYTES) /* far too large: answer before reading any */
        return respond(r, gh_fail(&r->ctx, GH_ETOOLARGE, NULL, NULL,
                                  "the request body is larger than 64 KiB"));
    return MHD_YES;
}

static enum MHD_Result handle(gh_req *r, struct MHD_Connection *c, const char *upload_data,
                              size_t *upload_size)
{
    if (r->status != 0) { /* answered already: drop whatever still arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!r->body_too_large && r->body_len + *upload_size <= GH_MAX_BODY_BYTES) {
            char *b = realloc(r->body, r->body_len + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            memcpy(b + r->body_len, upload_data, *upload_size);
            r->body = b;
            r->body_len += *upload_size;
            r->body[r->body_len] = '\0';
        } else {
            r->body_too_large = true;
            r->dropped += *upload_size;
        }
        *upload_size = 0;
        if (r->dropped > GH_MAX_DRAIN_BYTES)
            return respond(r, gh_fail(&r->ctx, GH_ETOOLARGE, NULL, NULL,
                                      "the request body is larger than 64 KiB"));
        return MHD_YES;
    }
    gh_err err;
    if (r->suspended) { /* resumed: the hash job is done */
        gh_handler then = r->resume;
        r->suspended = false;
        r->resume = NULL;
        err = then(r);
    } else {
        watch_set(c, 0); /* the request is whole */
        err = dispatch(r);
    }
    if (r->suspended && err == GH_OK)
        return MHD_YES; /* waits for the hash pool */
    return respond(r, err);
}

/* libmicrohttpd's request callback: the records logged while it runs name the request. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    gh_req *r = *con_cls;
    if (r == NULL)
        return MHD_NO; /* no memory in on_uri: libmicrohttpd closes the connection */
    enum MHD_Result ret;
    if (!r->started) {
        req_start(r, c, url, method);
        gh_log_request(r->request_id);
        ret = on_headers(r, method, version);
    } else {
        gh_log_request(r->request_id);
        ret = handle(r, c, upload_data, upload_size);
    }
    gh_log_request(NULL);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gh_server *s = cls;
    gh_req *r = *con_cls;
    conn_watch *w = watch_of(c);
    if (w != NULL && w->pending == r)
        w->pending = NULL;
    if (r != NULL) {
        if (r->started)
            atomic_fetch_sub(&s->inflight, 1);
        req_free(r);
        *con_cls = NULL;
    }
    watch_set(c,
              s->conf.header_deadline_ms); /* a kept-alive connection waits for its next request */
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    gh_log("warn", "http", "detail", msg, NULL);
}

/* The deadlines of cfg into conf (in milliseconds); GH_EINVAL when one is out of range. */
static gh_err conf_deadlines(server_conf *conf, const gh_server_config *cfg)
{
    int h = cfg->header_deadline_s != 0 ? cfg->header_deadline_s : GH_HEADER_DEADLINE_S;
    int b = cfg->body_deadline_s != 0 ? cfg->body_deadline_s : GH_BODY_DEADLINE_S;
    if (h < 1 || h > GH_DEADLINE_MAX_S || b < 1 || b > GH_DEADLINE_MAX_S) {
        gh_log("error", "bad_deadline", "detail", "deadlines take 1 to 3600 seconds", NULL);
        return GH_EINVAL;
    }
    conf->header_deadline_ms = (int64_t)h * 1000;
    conf->body_deadline_ms = (int64_t)b * 1000;
    return GH_OK;
}

/* Fills conf from cfg; GH_EINVAL (logged) for a bad deadline. */
static gh_err conf_fill(server_conf *conf, const gh_server_config *cfg)
{
    conf->db_url = cfg->db_url;
    conf->signin = cfg->signin;
    conf->mail = cfg->mail;
    conf->sso = cfg->sso;
    conf->hooks = cfg->hooks;
    conf->access_log = getenv("GATEHOUSE_ACCESS_LOG") != NULL;
    conf->cookie_secure =
        cfg->external_url != NULL && strncmp(cfg->external_url, "https://", 8) == 0;
    conf->external_origin[0] = '\0';
    if (cfg->external_url != NULL) { /* the origin is the URL up to its path */
        const char *host = strstr(cfg->external_url, "://");
        size_t n =
            host != NULL ? (size_t)(host + 3 - cfg->external_url) + strcspn(host + 3, "/?#") : 0;
        if (n < sizeof conf->external_origin)
            snprintf(conf->external_origin, sizeof conf->external_origin, "%.*s", (int)n,
                     cfg->external_url);
    }
    snprintf(conf->trusted_proxies, sizeof conf->trusted_proxies, ",%s,",
             cfg->trusted_proxies ? cfg->trusted_proxies : "");
    for (char *p = conf->trusted_proxies; *p; p++)
        if (*p == ' ')
            *p = ',';
    snprintf(conf->web_dir, sizeof conf->web_dir, "%s", cfg->web_dir != NULL ? cfg->web_dir : "");
    size_t n = strlen(conf->web_dir);
    while (n > 1 && conf->web_dir[n - 1] == '/')
        conf->web_dir[--n] = '\0';
    const char *why = NULL;
    if (!gh_forward_parse(cfg->protect, conf->apps, &conf->n_apps, &why)) {
        gh_log("error", "bad_protect", "detail", why, NULL);
        return GH_EINVAL;
    }
    const char *d = cfg->cookie_domain != NULL ? cfg->cookie_domain : "";
    if (*d != '\0' && !gh_forward_domain_ok(d)) {
        gh_log("error", "bad_cookie_domain", "detail", "not a domain name", NULL);
        return GH_EINVAL;
    }
    snprintf(conf->cookie_domain, sizeof conf->cookie_domain, "%s", d);
    return conf_deadlines(conf, cfg);
}

/* Frees s and what it owns once its daemon and reaper are stopped (or never ran): the hash pool
 * (after its queued jobs are done), the throttle and the database connections. */
static void server_free(gh_server *s)
{
    gh_hashpool_stop(s->hashes);
    gh_throttle_stop(s->throttle);
    gh_pcache_close(s->principals);
    for (int i = 0; i < s->n_dbs; i++)
        gh_db_close(s->dbs[i]);
    pthread_mutex_destroy(&s->dbs_mu);
    pthread_mutex_destroy(&s->watch_mu);
    free(s);
}

/* A new server holding conf (copied, const from here on), into *out; nothing runs yet. */
static gh_err server_new(const server_conf *conf, gh_server **out)
{
    gh_server *s = malloc(sizeof *s);
    if (s == NULL)
        return GH_ENOMEM;
    memcpy(s, &(gh_server){.conf = *conf}, sizeof *s); /* the only write of s->conf */
    pthread_mutex_init(&s->dbs_mu, NULL);
    pthread_mutex_init(&s->watch_mu, NULL);
    atomic_init(&s->inflight, 0);
    atomic_init(&s->outbound, 0);
    atomic_init(&s->live_signin, NULL);
    for (int c = 0; c < 6; c++)
        atomic_init(&s->by_class[c], 0);
    *out = s;
    return GH_OK;
}

/* Makes s's throttle and starts its hash pool, at cfg's sizes (0: the defaults). GH_EINVAL
 * (logged) for a bad sign-in rate; on failure server_free frees what was made. */
static gh_err owned_start(gh_server *s, const gh_server_config *cfg)
{
    int rate =
        cfg->signin_rate_per_minute != 0 ? cfg->signin_rate_per_minute : GH_SIGNIN_RATE_PER_MINUTE;
    int addresses =
        cfg->throttle_addresses != 0 ? cfg->throttle_addresses : GH_SIGNIN_THROTTLE_ADDRESSES;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = cfg->hash_workers != 0 ? cfg->hash_workers : cores > 0 ? (int)cores : 2;
    int queue = cfg->hash_queue != 0 ? cfg->hash_queue : GH_HASH_QUEUE;
    gh_err err = gh_throttle_start(rate, addresses, &s->throttle);
    if (err == GH_EINVAL)
        gh_log("error", "bad_signin_rate", "detail", "the sign-in rate takes 1 to 10000 a minute",
               NULL);
    /* GATEHOUSE_PRINCIPAL_CACHE=off: every request reads its principal (for comparisons) */
    const char *pc = getenv("GATEHOUSE_PRINCIPAL_CACHE");
    if (err == GH_OK && (pc == NULL || strcmp(pc, "off") != 0))
        err = gh_pcache_open(GH_PCACHE_SLOTS, &s->principals);
    return err == GH_OK ? gh_hashpool_start(workers, queue, &s->hashes) : err;
}

/* Starts the daemon of s on addr; GH_EINVAL (logged) when it cannot listen. */
static gh_err daemon_start(gh_server *s, const gh_server_config *cfg, struct sockaddr_in *addr)
{
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
        0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)GH_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)GH_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GH_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
    if (s->d == NULL) {
        gh_log("error", "listen_failed", "host", cfg->listen_host, NULL);
        return GH_EINVAL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : cfg->port;
    return GH_OK;
}

gh_err gh_server_start(const gh_server_config *cfg, gh_server **out)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1) {
        gh_log("error", "bad_listen_address", "host", cfg->listen_host, NULL);
        return GH_EINVAL;
    }
    server_conf conf = {0};
    gh_server *s = NULL;
    gh_err err = conf_fill(&conf, cfg);
    if (err == GH_OK)
        err = server_new(&conf, &s);
    if (err != GH_OK)
        return err;
    if ((err = owned_start(s, cfg)) != GH_OK || (err = reaper_start(s)) != GH_OK) {
        server_free(s);
        return err;
    }
    if ((err = daemon_start(s, cfg, &addr)) != GH_OK) {
        reaper_join(s);
        server_free(s);
        return err;
    }
    *out = s;
    return GH_OK;
}

int gh_server_port(const gh_server *s)
{
    return s->port;
}

gh_err gh_server_add_connection(gh_server *s, int fd, const struct sockaddr *peer, socklen_t len)
{
    /* libmicrohttpd closes fd when it refuses it */
    return MHD_add_connection(s->d, fd, peer, len) == MHD_YES ? GH_OK : GH_EINTERNAL;
}

void gh_server_stop(gh_server *s)
{
    if (s == NULL)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (int i = 0; i < GH_SHUTDOWN_GRACE_S * 50 && atomic_load(&s->inflight) > 0; i++)
        nanosleep(&tick, NULL);
    while (atomic_load(&s->outbound) > 0) /* each ends within its timeouts, then resumes */
        nanosleep(&tick, NULL);
    MHD_stop_daemon(s->d); /* joins the server threads: no request uses s->dbs, the throttle
                            * or submits to the hash pool any more */
    reaper_join(s);
    server_free(s);
}
