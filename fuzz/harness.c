/* See harness.h.
 *
 * Reaching the daemon: gh_server keeps its MHD_Daemon to itself, and the product needs no
 * accessor, so the fuzz targets are linked with -Wl,--wrap=MHD_get_daemon_info and catch the
 * daemon when gh_server_start asks it for its port. Should that ever stop happening, the
 * harness connects over TCP to 127.0.0.1 instead (same server code, one more hop).
 *
 * When an exchange ends: libmicrohttpd keeps a connection open after answering (keep-alive) and,
 * reading with edge-triggered epoll, does not see an end of stream that arrives together with
 * the request. So the harness sends the request, waits until libmicrohttpd has read all of it
 * (SIOCOUTQ of the socketpair drops to 0), then shuts its sending side down: the server sees the
 * end of stream, finishes what it has and closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <microhttpd.h>
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
#include "auth/hashpool.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "core/core.h"
#include "core/signin.h"
#include "harness.h"
#include "http/http.h"
#include "http/limits.h"

#define EXCHANGE_MS 3000 /* longest wait for one exchange (an Argon2id check takes ~50 ms) */

static struct MHD_Daemon *daemon_seen;
static gh_server *server;
static char dir[64], db_path[96], key_path[96];
static char admin[64], admin_password[32], token[128], session[128];
static unsigned char secret_key[GH_SECRET_KEY_BYTES];
static bool verbose; /* GH_FUZZ_VERBOSE set: one line per exchange */
static FILE *report; /* stderr as it was at start: libFuzzer's -close_fd_mask=2 silences fd 2 */

const union MHD_DaemonInfo *__real_MHD_get_daemon_info(struct MHD_Daemon *d,
                                                       enum MHD_DaemonInfoType type, ...);
const union MHD_DaemonInfo *__wrap_MHD_get_daemon_info(struct MHD_Daemon *d,
                                                       enum MHD_DaemonInfoType type, ...);

/* Only the daemon-level queries without extra arguments are used by server.c. */
const union MHD_DaemonInfo *__wrap_MHD_get_daemon_info(struct MHD_Daemon *d,
                                                       enum MHD_DaemonInfoType type, ...)
{
    daemon_seen = d;
    return __real_MHD_get_daemon_info(d, type);
}

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
    gh_hashpool_stop();
    gh_throttle_stop();
    static const char *const suffixes[] = {"", "-wal", "-shm", NULL};
    for (const char *const *s = suffixes; *s != NULL; s++) {
        char p[128];
        snprintf(p, sizeof p, "%s%s", db_path, *s);
        unlink(p);
    }
    unlink(key_path);
    rmdir(dir);
}

/* A new administrator and its token, made as `gatehouse admin create` and `token create` make
 * them. The username is random, so that no input can lock it out by guessing it. */
static void new_admin(void)
{
    gh_principal sys = gh_core_system_principal();
    gh_ctx ctx = {.a = gh_arena_new(), .who = &sys, .ip = "cli", .request_id = "fuzz"};
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
    if (gh_core_admin_create(&ctx, admin, email, admin_password, &id) != GH_OK)
        die("cannot create the administrator");
    char *t = NULL;
    if (gh_core_token_create(&ctx, admin, "fuzz", 0, &t) != GH_OK || strlen(t) >= sizeof token)
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

/* Signs the administrator in through the API and keeps the session cookie's value; true when
 * the session is fully signed in. */
static bool sign_in(void)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", admin, admin_password);
    const gh_fuzz_reply *rep = post_json("/api/v1/session", body);
    const char *c = strstr(rep->text, "gh_session=");
    if (rep->status != 200 || c == NULL || strstr(rep->text, "\"next\":\"done\"") == NULL)
        return false;
    c += strlen("gh_session=");
    snprintf(session, sizeof session, "%.*s", (int)strcspn(c, ";\r\n"), c);
    return true;
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
    snprintf(dir, sizeof dir, "%s/gh-fuzz-XXXXXX", base);
    if (mkdtemp(dir) == NULL || gh_auth_init() != GH_OK)
        die("cannot make a temporary folder or start libsodium");
    snprintf(db_path, sizeof db_path, "%s/gh.db", dir);
    snprintf(key_path, sizeof key_path, "%s/gh.key", dir);
    atexit(cleanup);
    if (gh_secret_key_load(key_path, secret_key) != GH_OK)
        die("cannot make the secret key");
    gh_signin_config sc = *gh_signin_config_get();
    sc.secret_key = secret_key;
    gh_signin_configure(&sc);
    new_admin();
    gh_server_config cfg = {.listen_host = "127.0.0.1",
                            .port = 0,
                            .db_url = db_path,
                            .threads = 2,
                            .per_ip_limit = GH_MAX_CONNECTIONS};
    if (gh_throttle_start(GH_SIGNIN_RATE_PER_MINUTE, GH_SIGNIN_THROTTLE_ADDRESSES) != GH_OK ||
        gh_hashpool_start(1, 64) != GH_OK || gh_server_start(&cfg, &server) != GH_OK)
        die("cannot start the server");
    if (daemon_seen == NULL)
        fprintf(gh_fuzz_report(), "fuzz harness: daemon not seen, connecting over TCP\n");
    if (!sign_in())
        die("cannot sign the administrator in");
    add_fixtures();
}

bool gh_fuzz_refresh(void)
{
    const gh_fuzz_reply *rep = request(
        "GET /api/v1/permissions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n\r\n",
        token);
    if (rep->status != 200) { /* disabled, deleted, banned...: start over with a new one */
        new_admin();
        return sign_in();
    }
    rep =
        request("GET /api/v1/session HTTP/1.1\r\nHost: localhost\r\nCookie: gh_session=%s\r\n\r\n",
                session);
    if (rep->status == 200 && strstr(rep->text, "\"next\":\"done\"") != NULL)
        return true;
    if (sign_in())
        return true;
    new_admin(); /* its sign-in needs a step first (forced reset, two-factor) */
    return sign_in();
}

const char *gh_fuzz_token(void)
{
    return token;
}

const char *gh_fuzz_session(void)
{
    return session;
}

size_t gh_fuzz_expand(const uint8_t *in, size_t n, char **out)
{
    static const size_t tl = sizeof GH_FUZZ_TOKEN_MARK - 1, sl = sizeof GH_FUZZ_SESSION_MARK - 1;
    size_t cap = n + 1, len = 0;
    for (size_t i = 0; i < n; i++) /* room for every marker at its longest */
        if (in[i] == '@')
            cap += sizeof token + sizeof session;
    char *b = malloc(cap);
    if (b == NULL)
        die("out of memory");
    for (size_t i = 0; i < n;) {
        if (n - i >= tl && memcmp(in + i, GH_FUZZ_TOKEN_MARK, tl) == 0) {
            len += (size_t)sprintf(b + len, "%s", token);
            i += tl;
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
    if (daemon_seen != NULL) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            die("socketpair failed");
        struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (MHD_add_connection(daemon_seen, sv[1], (struct sockaddr *)&peer, sizeof peer) !=
            MHD_YES)
            die("MHD_add_connection refused the connection");
    } else {
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(gh_server_port(server))};
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&to, sizeof to) != 0)
            die("cannot connect to the server");
    }
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    return sv[0];
}

static void count_statuses(gh_fuzz_reply *out)
{
    out->responses = 0;
    for (const char *p = out->text; (p = strstr(p, "HTTP/1.")) != NULL; p += 7) {
        if (p != out->text && p[-1] != '\n')
            continue;
        int status = 0;
        if (sscanf(p, "HTTP/1.%*d %d", &status) == 1) {
            if (out->responses++ == 0)
                out->status = status;
        }
    }
}

void gh_fuzz_exchange(const char *req, size_t n, gh_fuzz_reply *out)
{
    memset(out, 0, sizeof *out);
    int fd = open_client();
    size_t sent = 0;
    bool shut = false;
    int64_t deadline = now_ms() + EXCHANGE_MS;
    for (;;) {
        int outq = 0;
        if (sent == n && !shut && (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq == 0)) {
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
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[8192];
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                out->closed = true;
                break;
            }
            if (r > 0) {
                size_t keep = sizeof out->text - 1 - out->len;
                if (out->len < sizeof out->text - 1)
                    memcpy(out->text + out->len, buf, (size_t)r < keep ? (size_t)r : keep);
                out->len += (size_t)r;
            }
        }
    }
    close(fd);
    out->text[out->len < sizeof out->text ? out->len : sizeof out->text - 1] = '\0';
    count_statuses(out);
    if (verbose)
        fprintf(gh_fuzz_report(),
                "fuzz harness: %zu bytes sent, %d responses, first %d, %zu bytes%s%s\n", n,
                out->responses, out->status, out->len, out->closed ? ", closed" : "",
                out->timed_out ? ", timed out" : "");
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

/* The reason a response (from "HTTP/1." to the end of the kept text) is wrong, or NULL. */
static const char *bad_response(const char *p, size_t avail)
{
    int status = 0;
    if (sscanf(p, "HTTP/1.%*d %d", &status) != 1)
        return NULL;
    if (status == 500)
        return "a 500 answer (malformed input must give 4xx)";
    const char *end = strstr(p, "\r\n\r\n");
    if (end == NULL || (size_t)(end - p) > avail)
        return NULL; /* cut off by the kept length */
    size_t head = (size_t)(end - p);
    char *h = strndup(p, head);
    bool problem = h != NULL && strstr(h, "application/problem+json") != NULL;
    const char *cl = h != NULL ? strstr(h, "Content-Length: ") : NULL;
    size_t body = cl != NULL ? strtoul(cl + 16, NULL, 10) : 0;
    free(h);
    if (!problem || head + 4 + body > avail)
        return NULL;
    const char *b = end + 4;
    if (body == 0 || b[0] != '{' || memmem(b, body, "\"detail\":\"", 10) == NULL)
        return "a problem+json answer without a detail";
    return NULL;
}

void gh_fuzz_check_reply(const char *req, size_t n, const gh_fuzz_reply *rep)
{
    const char *why = NULL;
    size_t kept = strlen(rep->text);
    for (const char *p = rep->text; p != NULL && why == NULL; p = strstr(p + 1, "\nHTTP/1.")) {
        p += *p == '\n';
        why = bad_response(p, kept - (size_t)(p - rep->text));
    }
    if (why == NULL)
        return;
    fprintf(gh_fuzz_report(), "fuzz harness: %s to %zu bytes of request:\n%.*s\n--- reply:\n%s\n",
            why, n, (int)(n < 2000 ? n : 2000), req, rep->text);
    abort();
}
