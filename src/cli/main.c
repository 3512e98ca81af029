/* The gatehouse command: serve, migrate and the operator's commands. Each command calls the same
 * core functions as the HTTP handlers, acting as the platform's system principal. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/hashpool.h"
#include "auth/policy.h"
#include "auth/totp.h"
#include "core/core.h"
#include "core/signin.h"
#include "http/http.h"
#include "http/limits.h"
#include "util/clock.h"
#include "util/log.h"

typedef struct opts {
    const char *db, *listen, *trusted_proxy, *external_url, *secret_key_file, *clock_file;
    int lockout_threshold, lockout_seconds, session_idle, session_lifetime, password_min;
    const char *username, *email, *user, *name, *expires_in, *q, *status;
    int threads, per_ip, limit;
    bool password_stdin;
} opts;

typedef struct opt_def {
    const char *flag, *env;
    size_t off;
    char kind; /* s: string, i: int, b: bool */
} opt_def;

static const opt_def opt_defs[] = {
    {"--db", "GATEHOUSE_DB", offsetof(opts, db), 's'},
    {"--listen", "GATEHOUSE_LISTEN", offsetof(opts, listen), 's'},
    {"--threads", "GATEHOUSE_THREADS", offsetof(opts, threads), 'i'},
    {"--per-ip-connection-limit", "GATEHOUSE_PER_IP_CONNECTION_LIMIT", offsetof(opts, per_ip), 'i'},
    {"--trusted-proxy", "GATEHOUSE_TRUSTED_PROXY", offsetof(opts, trusted_proxy), 's'},
    {"--external-url", "GATEHOUSE_EXTERNAL_URL", offsetof(opts, external_url), 's'},
    {"--secret-key-file", "GATEHOUSE_SECRET_KEY_FILE", offsetof(opts, secret_key_file), 's'},
    {"--lockout-threshold", "GATEHOUSE_LOCKOUT_THRESHOLD", offsetof(opts, lockout_threshold), 'i'},
    {"--lockout-seconds", "GATEHOUSE_LOCKOUT_SECONDS", offsetof(opts, lockout_seconds), 'i'},
    {"--session-idle-seconds", "GATEHOUSE_SESSION_IDLE_SECONDS", offsetof(opts, session_idle), 'i'},
    {"--session-lifetime-seconds", "GATEHOUSE_SESSION_LIFETIME_SECONDS",
     offsetof(opts, session_lifetime), 'i'},
    {"--password-min-length", "GATEHOUSE_PASSWORD_MIN_LENGTH", offsetof(opts, password_min), 'i'},
    {NULL, "GATEHOUSE_TEST_CLOCK_FILE", offsetof(opts, clock_file), 's'},
    {"--username", NULL, offsetof(opts, username), 's'},
    {"--email", NULL, offsetof(opts, email), 's'},
    {"--user", NULL, offsetof(opts, user), 's'},
    {"--name", NULL, offsetof(opts, name), 's'},
    {"--expires-in", NULL, offsetof(opts, expires_in), 's'},
    {"--q", NULL, offsetof(opts, q), 's'},
    {"--status", NULL, offsetof(opts, status), 's'},
    {"--limit", NULL, offsetof(opts, limit), 'i'},
    {"--password-stdin", NULL, offsetof(opts, password_stdin), 'b'},
};

static int usage(void)
{
    fputs("usage: gatehouse COMMAND [options]\n"
          "  serve     [--listen 127.0.0.1:8080] [--db gatehouse.db] [--threads N]\n"
          "            [--per-ip-connection-limit N] [--trusted-proxy ADDR[,ADDR...]]\n"
          "            [--external-url URL] [--secret-key-file PATH] [--lockout-threshold 5]\n"
          "            [--lockout-seconds 600] [--session-idle-seconds 1800]\n"
          "            [--session-lifetime-seconds 43200] [--password-min-length 15]\n"
          "  migrate   [--db gatehouse.db]\n"
          "  admin create --username U --email E [--password-stdin]\n"
          "  token create --user U [--name N] [--expires-in 30d|12h|3600]\n"
          "  user list [--q TEXT] [--status S] [--limit N] | user show|disable|enable ID|USERNAME\n"
          "Every option can also come from the environment as GATEHOUSE_<NAME>.\n",
          stderr);
    return 2;
}

static bool set_opt(opts *o, const opt_def *d, const char *v)
{
    char *end = NULL;
    switch (d->kind) {
    case 's':
        *(const char **)((char *)o + d->off) = v;
        return true;
    case 'i':
        *(int *)((char *)o + d->off) = (int)strtol(v, &end, 10);
        return end != v && *end == '\0';
    default:
        *(bool *)((char *)o + d->off) = true;
        return true;
    }
}

/* Fills o from the environment, then from argv[first..]; positional words go to *pos. */
static bool parse_opts(int argc, char **argv, int first, opts *o, const char **pos)
{
    *o = (opts){.db = "gatehouse.db",
                .listen = "127.0.0.1:8080",
                .threads = 2,
                .per_ip = GH_MAX_CONNECTIONS_PER_IP,
                .limit = 20};
    for (size_t i = 0; i < sizeof opt_defs / sizeof *opt_defs; i++) {
        const char *v = opt_defs[i].env ? getenv(opt_defs[i].env) : NULL;
        if (v != NULL && !set_opt(o, &opt_defs[i], v))
            return false;
    }
    for (int i = first; i < argc; i++) {
        const opt_def *d = NULL;
        for (size_t k = 0; k < sizeof opt_defs / sizeof *opt_defs; k++)
            if (opt_defs[k].flag != NULL && strcmp(argv[i], opt_defs[k].flag) == 0)
                d = &opt_defs[k];
        if (d == NULL && argv[i][0] != '-' && *pos == NULL) {
            *pos = argv[i];
            continue;
        }
        if (d == NULL || (d->kind != 'b' && i + 1 >= argc)) {
            fprintf(stderr, "gatehouse: unknown or incomplete option %s\n", argv[i]);
            return false;
        }
        if (!set_opt(o, d, d->kind == 'b' ? "" : argv[++i])) {
            fprintf(stderr, "gatehouse: bad value for %s\n", d->flag);
            return false;
        }
    }
    return true;
}

/* Opens and migrates the database and prepares a system context. */
static int open_ctx(const opts *o, gh_ctx *ctx, gh_principal *sys)
{
    if (gh_auth_init() != GH_OK)
        return 1;
    *sys = gh_core_system_principal();
    *ctx = (gh_ctx){
        .a = gh_arena_new(), .who = sys, .ip = "cli", .request_id = "cli", .now = gh_clock_now()};
    if (gh_db_open(o->db, &ctx->db) != GH_OK || gh_db_migrate(ctx->db, NULL) != GH_OK) {
        fprintf(stderr, "gatehouse: cannot open or migrate the database %s\n", o->db);
        gh_db_close(ctx->db);
        gh_arena_free(ctx->a);
        return 1;
    }
    return 0;
}

static void close_ctx(gh_ctx *ctx)
{
    gh_db_close(ctx->db);
    gh_arena_free(ctx->a);
}

static int report(gh_ctx *ctx, gh_err err)
{
    if (err == GH_OK)
        return 0;
    fprintf(stderr, "gatehouse: %s%s%s%s\n", ctx->err_field ? ctx->err_field : "",
            ctx->err_field ? ": " : "", ctx->err_detail ? ctx->err_detail : gh_err_str(err), "");
    return 1;
}

static int read_password_stdin(char *buf, size_t cap)
{
    if (fgets(buf, (int)cap, stdin) == NULL)
        return -1;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(stdin))
        return -1; /* longer than cap */
    return 0;
}

static int cmd_admin_create(const opts *o)
{
    if (o->username == NULL || o->email == NULL)
        return usage();
    char pw[GH_MAX_PASSWORD_BYTES + 2] = "";
    bool generated = !o->password_stdin;
    if (o->password_stdin && read_password_stdin(pw, sizeof pw) != 0) {
        fputs("gatehouse: could not read a password (at most 1024 bytes) from stdin\n", stderr);
        return 1;
    }
    if (generated)
        gh_password_generate(pw, 21);
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    int64_t id = 0;
    gh_err err = gh_core_admin_create(&ctx, o->username, o->email, pw, &id);
    int rc = report(&ctx, err);
    if (rc == 0 && generated)
        printf("Created administrator %s (id %lld). Password, shown once: %s\n", o->username,
               (long long)id, pw);
    else if (rc == 0)
        printf("Created administrator %s (id %lld).\n", o->username, (long long)id);
    sodium_memzero(pw, sizeof pw);
    close_ctx(&ctx);
    return rc;
}

/* "30d", "12h", "45m" or seconds. */
static int64_t parse_duration(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0)
        return -1;
    int64_t mult = *end == 'd'    ? 86400
                   : *end == 'h'  ? 3600
                   : *end == 'm'  ? 60
                   : *end == '\0' ? 1
                                  : -1;
    if (mult < 0 || (*end != '\0' && end[1] != '\0'))
        return -1;
    return (int64_t)v * mult;
}

static int cmd_token_create(const opts *o)
{
    if (o->user == NULL)
        return usage();
    int64_t expires = o->expires_in ? parse_duration(o->expires_in) : 0;
    if (expires < 0) {
        fputs("gatehouse: --expires-in takes 30d, 12h, 45m or seconds\n", stderr);
        return 2;
    }
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    char *token = NULL;
    int rc = report(
        &ctx, gh_core_token_create(&ctx, o->user, o->name ? o->name : "cli", expires, &token));
    if (rc == 0) {
        printf("%s\n", token);
        sodium_memzero(token, strlen(token));
    }
    close_ctx(&ctx);
    return rc;
}

/* Finds a user by id or username. */
static gh_err find_user(gh_ctx *ctx, const char *ref, gh_user *out)
{
    char *end = NULL;
    long long id = strtoll(ref, &end, 10);
    if (end != ref && *end == '\0' && id > 0)
        return gh_core_user_get(ctx, id, out);
    gh_err err = gh_store_user_by_username(ctx->db, ctx->a, ref, out);
    return err == GH_OK ? gh_core_user_get(ctx, out->id, out) : err;
}

static int cmd_user(const char *verb, const char *ref, const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (strcmp(verb, "list") != 0 && ref == NULL)
        return usage();
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_err err = GH_OK;
    gh_user u;
    static const char *const statuses[] = {"active", "invited", "disabled", "banned", "deleted"};
    bool status_ok = o->status == NULL;
    for (size_t i = 0; i < 5 && !status_ok; i++)
        status_ok = strcmp(o->status, statuses[i]) == 0;
    if (!status_ok) {
        fputs("gatehouse: --status takes active, invited, disabled, banned or deleted\n", stderr);
        close_ctx(&ctx);
        return 2;
    }
    if (strcmp(verb, "list") == 0) {
        gh_user_filter f = {.q = o->q,
                            .status = o->status,
                            .limit = o->limit > 0 && o->limit <= 1000 ? o->limit : 20};
        gh_user_page page;
        err = gh_core_user_list(&ctx, &f, &page);
        for (size_t i = 0; err == GH_OK && i < page.n; i++)
            printf("%lld\t%s\t%s %s\t%s\t%s\n", (long long)page.items[i].id, page.items[i].username,
                   page.items[i].first_name, page.items[i].last_name, page.items[i].email,
                   page.items[i].status);
    } else if (strcmp(verb, "show") == 0) {
        if ((err = find_user(&ctx, ref, &u)) == GH_OK) {
            printf("%s\n", gh_json_text(ctx.a, gh_json_user(&u)));
        }
    } else if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0) {
        if ((err = find_user(&ctx, ref, &u)) == GH_OK)
            err = gh_core_user_act(&ctx, u.id, verb[0] == 'd' ? GH_USER_DISABLE : GH_USER_ENABLE);
        if (err == GH_OK)
            printf("%s %sd\n", u.username, verb);
    } else {
        close_ctx(&ctx);
        return usage();
    }
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

/* On an empty database: the first administrator "admin" with a random password, printed once. */
static int bootstrap_admin(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    int64_t count = 0;
    gh_err err = gh_store_user_count(ctx.db, &count);
    if (err == GH_OK && count == 0) {
        char pw[32];
        gh_password_generate(pw, 21);
        int64_t id;
        err = gh_core_admin_create(&ctx, "admin", "admin@localhost.localdomain", pw, &id);
        if (err == GH_OK)
            printf("\n  First administrator created.\n  username: admin\n  password: %s\n"
                   "  (shown once; keep it safe)\n\n",
                   pw);
        fflush(stdout);
        sodium_memzero(pw, sizeof pw);
    }
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

static unsigned char secret_key[GH_SECRET_KEY_BYTES];

/* The secret key (generated on first start next to the database unless --secret-key-file says
 * otherwise) and the sign-in settings. */
static int configure_signin(const opts *o)
{
    const char *path = o->secret_key_file;
    if (path == NULL) {
        static char derived[4096];
        snprintf(derived, sizeof derived, "%s.key", o->db);
        path = derived;
    }
    if (gh_secret_key_load(path, secret_key) != GH_OK) {
        fprintf(stderr, "gatehouse: cannot read or create the secret key file %s\n", path);
        return 1;
    }
    if (o->clock_file != NULL)
        gh_clock_use_file(o->clock_file);
    gh_signin_config c = {
        .max_failures = o->lockout_threshold > 0 ? o->lockout_threshold : 5,
        .ban_seconds = o->lockout_seconds > 0 ? o->lockout_seconds : 600,
        .idle_seconds = o->session_idle > 0 ? o->session_idle : 1800,
        .absolute_seconds = o->session_lifetime > 0 ? o->session_lifetime : 43200,
        .password_min = o->password_min <= 0                  ? GH_PASSWORD_MIN
                        : o->password_min < GH_PASSWORD_FLOOR ? GH_PASSWORD_FLOOR
                                                              : o->password_min,
        .secret_key = secret_key,
        .issuer = "Gatehouse",
    };
    gh_signin_configure(&c);
    return 0;
}

static int cmd_serve(const opts *o)
{
    char host[64];
    const char *colon = strrchr(o->listen, ':');
    if (colon == NULL || (size_t)(colon - o->listen) >= sizeof host) {
        fputs("gatehouse: --listen takes HOST:PORT\n", stderr);
        return 2;
    }
    memcpy(host, o->listen, (size_t)(colon - o->listen));
    host[colon - o->listen] = '\0';
    if (bootstrap_admin(o) != 0 || configure_signin(o) != 0)
        return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* server threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    gh_server_config cfg = {.listen_host = host,
                            .port = atoi(colon + 1),
                            .db_url = o->db,
                            .threads = o->threads > 0 ? o->threads : 2,
                            .per_ip_limit = o->per_ip > 0 ? o->per_ip : GH_MAX_CONNECTIONS_PER_IP,
                            .trusted_proxies = o->trusted_proxy,
                            .external_url = o->external_url};
    gh_server *s = NULL;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (gh_hashpool_start(cores > 0 ? (int)cores : 2, 64) != GH_OK ||
        gh_server_start(&cfg, &s) != GH_OK)
        return 1;
    char port[16];
    snprintf(port, sizeof port, "%d", gh_server_port(s));
    gh_log("info", "listening", "host", host, "port", port, "db", o->db, NULL);
    int sig = 0;
    sigwait(&set, &sig);
    gh_log("info", "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    gh_server_stop(s);
    gh_hashpool_stop();
    sodium_memzero(secret_key, sizeof secret_key);
    gh_log("info", "stopped", NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1], *sub = argc > 2 ? argv[2] : "";
    const char *pos = NULL;
    opts o;
    bool two_words =
        strcmp(cmd, "admin") == 0 || strcmp(cmd, "token") == 0 || strcmp(cmd, "user") == 0;
    if (!parse_opts(argc, argv, two_words ? 3 : 2, &o, &pos))
        return usage();
    if (gh_auth_init() != GH_OK)
        return 1;
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&o);
    if (strcmp(cmd, "migrate") == 0) {
        gh_ctx ctx;
        gh_principal sys;
        if (open_ctx(&o, &ctx, &sys) != 0)
            return 1;
        int version = 0;
        gh_err err = gh_db_schema_version(ctx.db, &version);
        if (err == GH_OK)
            printf("database is at schema version %d\n", version);
        close_ctx(&ctx);
        return err == GH_OK ? 0 : 1;
    }
    if (strcmp(cmd, "admin") == 0 && strcmp(sub, "create") == 0)
        return cmd_admin_create(&o);
    if (strcmp(cmd, "token") == 0 && strcmp(sub, "create") == 0)
        return cmd_token_create(&o);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(sub, pos, &o);
    return usage();
}
