/* See harness.h.
 *
 * Reaching the server: gh_server_add_connection hands it one end of a socketpair, with a
 * loopback peer address. A socketpair rather than TCP: no port, no TIME_WAIT, and SIOCOUTQ below
 * tells exactly when the server has read everything.
 *
 * When an exchange ends: libmicrohttpd keeps a connection open after answering (keep-alive) and,
 * reading with edge-triggered epoll, does not see an end of stream that arrives together with
 * the request. So the harness sends the request, waits until libmicrohttpd has read all of it
 * (SIOCOUTQ of the socketpair drops to 0), then shuts its sending side down: the server sees the
 * end of stream, finishes the request at hand and closes. When the input holds several request
 * lines, the harness first waits for QUIET_MS of silence, so that the later ones are answered
 * too (a request still unanswered then, e.g. behind a sign-in's Argon2id check, may be cut). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/totp.h"
#include "core/core.h"
#include "core/signin.h"
#include "harness.h"
#include "http/server.h"
#include "http/limits.h"

#define EXCHANGE_MS 3000 /* longest wait for one exchange (an Argon2id check takes ~50 ms) */
#define QUIET_MS    3    /* with several requests: silence that means all are answered */

static gh_server *server;
static char dir[96], db_path[128], key_path[128];
static char admin[64], admin_password[32], token[128], session[128];
static char session2[128]; /* a user's first sign-in: stage change_password */
static unsigned char secret_key[GH_SECRET_KEY_BYTES];
static gh_signin_config signin; /* gh_signin_defaults with secret_key, filled once at start */
static bool verbose;            /* GH_FUZZ_VERBOSE set: one line per exchange */
static FILE *report; /* stderr as it was at start: libFuzzer's -close_fd_mask=2 silences fd 2 */

FILE *gh_fuzz_report(void)
{
    return report != NULL ? report : stderr;
}

static void die(const char *what)
{
    fprintf(gh_fuzz_report(), "fuzz harness: %s\n", what);
    abort();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cleanup(void)
{
    if (server != NULL)
        gh_server_stop(server);
    server = NULL;
    static const char *const suffixes[] = {"", "-wal", "-shm", NULL};
    for (const char *const *s = suffixes; *s != NULL; s++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", db_path, *s);
        unlink(p);
    }
    unlink(key_path);
    rmdir(dir);
}

/* Removes the folders of earlier runs that died (a crash skips atexit): gh-fuzz-<pid>-* whose
 * process is gone. */
static void sweep(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        long pid = 0;
        char path[512];
        if (sscanf(e->d_name, "gh-fuzz-%ld-", &pid) != 1 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
            errno != ESRCH)
            continue;
        static const char *const files[] = {"gh.db", "gh.db-wal", "gh.db-shm", "gh.key", NULL};
        for (const char *const *f = files; *f != NULL; f++) {
            snprintf(path, sizeof path, "%s/%s/%s", base, e->d_name, *f);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        rmdir(path);
    }
    if (d != NULL)
        closedir(d);
}

/* A new administrator and its token, made as `gatehouse admin create` and `token create` make
 * them. The username is random, so that no input can lock it out by guessing it. */
static void new_admin(void)
{
    gh_principal sys = gh_core_system_principal();
    gh_ctx ctx = {
        .a = gh_arena_new(), .who = &sys, .ip = "cli", .request_id = "fuzz", .signin = &signin};
    ctx.now = time(NULL);
    if (gh_db_open(db_path, &ctx.db) != GH_OK || gh_db_migrate(ctx.db, NULL) != GH_OK)
        die("cannot open or migrate the database");
    unsigned char raw[6];
    randombytes_buf(raw, sizeof raw);
    snprintf(admin, sizeof admin, "fuzz-admin-%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2],
             raw[3], raw[4], raw[5]);
    gh_password_generate(admin_password, sizeof admin_password);
    char email[96];
    snprintf(email, sizeof email, "%s@fuzz.example", admin);
    int64_t id = 0;
    if (gh_core_admin_create(&ctx, admin, email, admin_password, NULL, &id) != GH_OK)
        die("cannot create the administrator");
    char *t = NULL;
    int64_t tid = 0;
    if (gh_core_token_create(&ctx, admin, "fuzz", GH_TOKEN_NEVER, &t, &tid) != GH_OK ||
        strlen(t) >= sizeof token)
        die("cannot create the token");
    snprintf(token, sizeof token, "%s", t);
    gh_db_close(ctx.db);
    gh_arena_free(ctx.a);
}

/* Sends one request built from fmt and returns the reply (static: valid until the next call). */
static const gh_fuzz_reply *request(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const gh_fuzz_reply *request(const char *fmt, ...)
{
    static char req[2048];
    static gh_fuzz_reply rep;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof req)
        die("request too long");
    gh_fuzz_exchange(req, (size_t)n, &rep);
    return &rep;
}

static const gh_fuzz_reply *post_json(const char *path, const char *body)
{
    return request("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   path, token, strlen(body), body);
}

/* Signs user in through the API; true when the answer's next step is `next`, with the session
 * cookie's value in cookie (of 128 bytes). */
static bool sign_in_as(const char *user, const char *password, const char *next, char *cookie)
{
    char body[256], want[64];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
    snprintf(want, sizeof want, "\"next\":\"%s\"", next);
    const gh_fuzz_reply *rep = post_json("/api/v1/session", body);
    const char *c = strstr(rep->text, "gh_session=");
    if (rep->status != 200 || c == NULL || strstr(rep->text, want) == NULL)
        return false;
    c += strlen("gh_session=");
    snprintf(cookie, 128, "%.*s", (int)strcspn(c, ";\r\n"), c);
    return true;
}

static bool sign_in(void)
{
    return sign_in_as(admin, admin_password, "done", session);
}

/* A user made through the API with an initial password, signed in once: the session has to
 * change the password before anything else (stage change_password). */
static bool new_user_session(void)
{
    char user[64], password[32], body[256];
    unsigned char raw[6];
    randombytes_buf(raw, sizeof raw);
    snprintf(user, sizeof user, "fuzz-user-%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2],
             raw[3], raw[4], raw[5]);
    gh_password_generate(password, sizeof password);
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"email\":\"%s@fuzz.example\",\"password\":\"%s\"}", user, user,
             password);
    const gh_fuzz_reply *rep = post_json("/api/v1/users", body);
    return rep->status == 201 && sign_in_as(user, password, "change_password", session2);
}

/* Whether cookie still opens a session at stage `next`. */
static bool session_works(const char *cookie, const char *next)
{
    char want[64];
    snprintf(want, sizeof want, "\"next\":\"%s\"", next);
    const gh_fuzz_reply *rep = request(
        "GET /api/v1/session HTTP/1.1\r\nHost: localhost\r\nCookie: gh_session=%s\r\n\r\n", cookie);
    return rep->status == 200 && strstr(rep->text, want) != NULL;
}

/* Rows for the seeds to work on: tenants 1-3, role 1.., group 1, user "ann". */
static void add_fixtures(void)
{
    static const char *const fixtures[][2] = {
        {"/api/v1/tenants", "{\"kind\":\"service_provider\",\"name\":\"Acme\"}"},
        {"/api/v1/tenants", "{\"kind\":\"platform_account\",\"parent_id\":1,\"name\":\"Acme A\"}"},
        {"/api/v1/tenants", "{\"kind\":\"sub_account\",\"parent_id\":2,\"name\":\"Acme A1\"}"},
        {"/api/v1/roles", "{\"name\":\"Helpdesk\",\"kind\":\"service_provider\",\"provider_id\":1,"
                          "\"permissions\":[\"users.read\"]}"},
        {"/api/v1/groups", "{\"name\":\"Ops\",\"provider_id\":1}"},
        {"/api/v1/users", "{\"username\":\"ann\",\"email\":\"ann@example.com\",\"provider_id\":1,"
                          "\"password\":\"plum orchard lantern 42\"}"},
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        const gh_fuzz_reply *rep = post_json(fixtures[i][0], fixtures[i][1]);
        if (rep->status != 201 && rep->status != 200)
            fprintf(gh_fuzz_report(), "fuzz harness: fixture %s %s gave %d\n", fixtures[i][0],
                    fixtures[i][1], rep->status);
    }
}

void gh_fuzz_server_init(void)
{
    if (server != NULL)
        return;
    signal(SIGPIPE, SIG_IGN);
    verbose = getenv("GH_FUZZ_VERBOSE") != NULL;
    int fd = dup(STDERR_FILENO);
    report = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (report != NULL)
        setvbuf(report, NULL, _IOLBF, 0);
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    sweep(base);
    snprintf(dir, sizeof dir, "%s/gh-fuzz-%ld-XXXXXX", base, (long)getpid());
    if (mkdtemp(dir) == NULL || gh_auth_init() != GH_OK)
        die("cannot make a temporary folder or start libsodium");
    snprintf(db_path, sizeof db_path, "%s/gh.db", dir);
    snprintf(key_path, sizeof key_path, "%s/gh.key", dir);
    atexit(cleanup);
    if (gh_secret_key_load(key_path, secret_key) != GH_OK)
        die("cannot make the secret key");
    signin = gh_signin_defaults;
    signin.secret_key = secret_key;
    new_admin();
    gh_server_config cfg = {.listen_host = "127.0.0.1",
                            .port = 0,
                            .db_url = db_path,
                            .threads = 2,
                            .per_ip_limit = GH_MAX_CONNECTIONS,
                            /* the harness's peer address: X-Forwarded-For is then parsed */
                            .trusted_proxies = "127.0.0.1",
                            .signin = &signin,
                            .hash_workers = 1,
                            .hash_queue = 64};
    if (gh_server_start(&cfg, &server) != GH_OK)
        die("cannot start the server");
    if (!sign_in())
        die("cannot sign the administrator in");
    add_fixtures();
    if (!new_user_session())
        die("cannot sign a new user in");
}

bool gh_fuzz_refresh(void)
{
    const gh_fuzz_reply *rep = request(
        "GET /api/v1/permissions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n\r\n",
        token);
    bool ok = true;
    if (rep->status != 200) { /* disabled, deleted, banned...: start over with a new one */
        new_admin();
        ok = sign_in();
    } else if (!session_works(session, "done") && !sign_in()) {
        new_admin(); /* its sign-in needs a step first (forced reset, two-factor) */
        ok = sign_in();
    }
    if (ok && !session_works(session2, "change_password"))
        ok = new_user_session();
    return ok;
}

const char *gh_fuzz_token(void)
{
    return token;
}

const char *gh_fuzz_session(void)
{
    return session;
}

const char *gh_fuzz_session2(void)
{
    return session2;
}

size_t gh_fuzz_expand(const uint8_t *in, size_t n, char **out)
{
    static const size_t tl = sizeof GH_FUZZ_TOKEN_MARK - 1, sl = sizeof GH_FUZZ_SESSION_MARK - 1,
                        s2l = sizeof GH_FUZZ_SESSION2_MARK - 1;
    size_t cap = n + 1, len = 0;
    for (size_t i = 0; i < n; i++) /* room for every marker at its longest */
        if (in[i] == '@')
            cap += sizeof token + sizeof session + sizeof session2;
    char *b = malloc(cap);
    if (b == NULL)
        die("out of memory");
    for (size_t i = 0; i < n;) {
        if (n - i >= tl && memcmp(in + i, GH_FUZZ_TOKEN_MARK, tl) == 0) {
            len += (size_t)sprintf(b + len, "%s", token);
            i += tl;
        } else if (n - i >= s2l && memcmp(in + i, GH_FUZZ_SESSION2_MARK, s2l) == 0) {
            len += (size_t)sprintf(b + len, "%s", session2);
            i += s2l;
        } else if (n - i >= sl && memcmp(in + i, GH_FUZZ_SESSION_MARK, sl) == 0) {
            len += (size_t)sprintf(b + len, "%s", session);
            i += sl;
        } else {
            b[len++] = (char)in[i++];
        }
    }
    b[len] = '\0';
    *out = b;
    return len;
}

/* A client socket connected to the server: one end of a socketpair given to the daemon. */
static int open_client(void)
{
    int sv[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair failed");
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (gh_server_add_connection(server, sv[1], (struct sockaddr *)&peer, sizeof peer) != GH_OK)
        die("the server refused the connection");
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    return sv[0];
}

/* One response found in a reply by its framing. */
typedef struct response {
    const char *start; /* "HTTP/1." */
    int status;
    const char *head_end; /* the blank line after the headers; NULL when cut off */
    const char *body;
    size_t body_len;
    bool body_known; /* false when cut off by the kept length */
} response;

static bool starts_response(const char *p, const char *end)
{
    return end - p >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
}

/* Splits text[0..len) (NUL-terminated) into responses, by their Content-Length. A HEAD answer
 * announces a length it does not send: when the next response starts right after the headers,
 * the body is taken as absent. Returns how many were found (at most cap). */
static size_t split_responses(const char *text, size_t len, response *v, size_t cap)
{
    const char *p = text, *end = text + len;
    size_t n = 0;
    while (n < cap && starts_response(p, end)) {
        response *r = &v[n++];
        *r = (response){.start = p};
        sscanf(p, "HTTP/1.%*d %d", &r->status);
        const char *h = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (h == NULL)
            break;
        r->head_end = h;
        r->body = h + 4;
        const char *cl = memmem(p, (size_t)(h - p), "\r\nContent-Length: ", 18);
        size_t want = cl != NULL ? strtoul(cl + 18, NULL, 10) : 0;
        bool bodiless = r->status < 200 || r->status == 204 || r->status == 304;
        if (!bodiless && want <= (size_t)(end - r->body) &&
            (r->body + want == end || starts_response(r->body + want, end)))
            r->body_len = want;
        else if (!bodiless && !starts_response(r->body, end))
            break; /* cut off */
        r->body_known = true;
        p = r->body + r->body_len;
    }
    return n;
}

static void count_statuses(gh_fuzz_reply *out)
{
    static response v[64];
    size_t kept = out->len < sizeof out->text ? out->len : sizeof out->text - 1;
    size_t n = split_responses(out->text, kept, v, sizeof v / sizeof *v);
    out->responses = (int)n;
    out->status = n > 0 ? v[0].status : 0;
}

/* Whether req holds more than one request line (pipelined, or smuggled in a body). */
static bool several_requests(const char *req, size_t n)
{
    int lines = 0;
    for (const char *p = req, *end = req + n;
         lines < 2 && (p = memmem(p, (size_t)(end - p), " HTTP/1.", 8)) != NULL; p += 8)
        lines++;
    return lines >= 2;
}

static void keep_bytes(gh_fuzz_reply *out, const char *buf, size_t r)
{
    if (out->len < sizeof out->text - 1) {
        size_t room = sizeof out->text - 1 - out->len;
        memcpy(out->text + out->len, buf, r < room ? r : room);
    }
    out->len += r;
}

void gh_fuzz_exchange(const char *req, size_t n, gh_fuzz_reply *out)
{
    memset(out, 0, sizeof *out);
    int fd = open_client();
    size_t sent = 0;
    bool shut = false, several = several_requests(req, n);
    int64_t start = now_ms(), deadline = start + EXCHANGE_MS, last_news = start;
    for (;;) {
        int outq = 0;
        /* once the server has read everything (and, for several requests, has gone quiet, so
         * that it answers them all before it sees the end) */
        if (sent == n && !shut && (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq == 0) &&
            (!several || now_ms() - last_news >= QUIET_MS)) {
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            out->timed_out = true;
            break;
        }
        struct pollfd p = {fd, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 0};
        int wait = sent == n && !shut ? 1 : (int)left; /* poll SIOCOUTQ while it drains */
        if (poll(&p, 1, wait) < 0 && errno != EINTR)
            die("poll failed");
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, req + sent, n - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                sent = n, shut = true; /* the server stopped reading and closed */
            last_news = now_ms();
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[8192];
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                out->closed = true;
                break;
            }
            if (r > 0) {
                keep_bytes(out, buf, (size_t)r);
                last_news = now_ms();
            }
        }
    }
    close(fd);
    out->text[out->len < sizeof out->text ? out->len : sizeof out->text - 1] = '\0';
    count_statuses(out);
    if (verbose)
        fprintf(gh_fuzz_report(),
                "fuzz harness: %lld ms, %zu bytes sent, %d responses, first %d, %zu bytes%s%s\n",
                (long long)(now_ms() - start), n, out->responses, out->status, out->len,
                out->closed ? ", closed" : "", out->timed_out ? ", timed out" : "");
}

void gh_fuzz_check_alive(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    static gh_fuzz_reply rep;
    gh_fuzz_exchange(req, sizeof req - 1, &rep);
    if (rep.status != 200) {
        fprintf(gh_fuzz_report(), "fuzz harness: GET /healthz gave %d (%s)\n", rep.status,
                rep.timed_out ? "timed out"
                : rep.closed  ? "closed"
                              : "?");
        abort();
    }
}

/* What a problem+json body must hold: the HTTP status, a detail, an errors array. */
static const char *bad_problem(const char *body, size_t len, int status)
{
    json_error_t e;
    json_t *p = json_loadb(body, len, 0, &e);
    const char *detail = json_string_value(json_object_get(p, "detail"));
    const char *why = NULL;
    if (!json_is_object(p))
        why = "a problem+json body that is not a JSON object";
    else if (json_integer_value(json_object_get(p, "status")) != status)
        why = "a problem+json body whose status is not the HTTP status";
    else if (detail == NULL || detail[0] == '\0' || !json_is_array(json_object_get(p, "errors")))
        why = "a problem+json body without a detail or errors";
    json_decref(p);
    return why;
}

/* Why a response is wrong, or NULL. */
static const char *bad_response(const response *r)
{
    if (r->status == 500)
        return "a 500 answer (malformed input must give 4xx)";
    if (r->head_end == NULL)
        return NULL; /* cut off by the kept length */
    char *h = strndup(r->start, (size_t)(r->head_end - r->start));
    if (h == NULL)
        die("out of memory");
    const char *why = NULL;
    /* libmicrohttpd's own answers to what it cannot parse carry none of our headers */
    if (strstr(h, "\r\nX-Request-Id: ") != NULL &&
        (strstr(h, "\r\nContent-Security-Policy: ") == NULL ||
         strstr(h, "\r\nX-Content-Type-Options: nosniff") == NULL ||
         strstr(h, "\r\nReferrer-Policy: no-referrer") == NULL ||
         strstr(h, "\r\nCache-Control: ") == NULL))
        why = "an answer without the security headers (SECURITY.md S8)";
    bool problem = strstr(h, "application/problem+json") != NULL;
    if (why == NULL && problem && strstr(h, "\r\nContent-Length: 0\r\n") != NULL)
        why = "an empty problem+json answer";
    if (why == NULL && problem && r->body_known && r->body_len > 0)
        why = bad_problem(r->body, r->body_len, r->status);
    free(h);
    return why;
}

void gh_fuzz_check_reply(const char *req, size_t n, const gh_fuzz_reply *rep)
{
    static response v[64];
    const char *why = NULL;
    size_t kept = rep->len < sizeof rep->text ? rep->len : sizeof rep->text - 1;
    size_t count = split_responses(rep->text, kept, v, sizeof v / sizeof *v);
    for (size_t i = 0; i < count && why == NULL; i++)
        why = bad_response(&v[i]);
    if (why == NULL)
        return;
    fprintf(gh_fuzz_report(), "fuzz harness: %s to %zu bytes of request:\n%.*s\n--- reply:\n%s\n",
            why, n, (int)(n < 2000 ? n : 2000), req, rep->text);
    abort();
}
