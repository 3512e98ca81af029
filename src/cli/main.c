/* The gatehouse command: serve, migrate and the operator's commands. Each command calls the same
 * core functions as the HTTP handlers, acting as the platform's system principal. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "cli/ops.h"
#include "cli/conffile.h"
#include "http/encode.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "core/core.h"
#include "core/setup.h"
#include "core/signin.h"
#include "core/sso.h"
#include "db/backup.h"
#include "http/server.h"
#include "http/limits.h"
#include "hooks/hooks.h"
#include "mail/mail.h"
#include "util/clock.h"
#include "util/csv.h"
#include "util/log.h"

/* The configuration file read when neither --config nor GATEHOUSE_CONFIG names one (if it
 * exists): the Debian package's conffile. */
#define GH_DEFAULT_CONFIG "/etc/gatehouse/gatehouse.conf"

typedef struct opts {
    const char *db, *listen, *trusted_proxy, *external_url, *secret_key_file, *clock_file;
    int lockout_threshold, lockout_seconds, session_idle, session_lifetime, password_min;
    const char *username, *email, *user, *name, *expires_in, *q, *status;
    int threads, per_ip, limit, signin_rate, search_budget;
    int header_deadline, body_deadline;
    bool password_stdin;
    bool dry_run;       /* user import: check every row, keep nothing */
    const char *report; /* user import: the per-row report as CSV into this file */
    const char *smtp_url, *smtp_user, *smtp_password_file, *mail_from, *to; /* mail */
    int mail_retry_seconds;
    int dormant_interval;                /* serve: seconds between the dormant job's runs */
    const char *web_dir;                 /* serve the console from this folder (developing) */
    const char *protect, *cookie_domain; /* forward-auth (http/forward.h) */
    /* sso add */
    const char *display_name, *issuer, *client_id, *client_secret_file, *scopes, *claim;
    const char *provider_id;       /* a number, or "platform" */
    const char *role_ids, *access; /* scim add: "1,2"; provider, all or "3,4" (accounts) */
    const char *url, *events;      /* webhook add: the receiver; "user.created,user.deleted" */
    bool trust_idp_mfa, rp_logout;
    bool sso_allow_loopback;   /* serve: providers on this machine may be called (I13) */
    bool hooks_allow_loopback; /* serve: webhook receivers on this machine or network (I13) */
    const char *log_format;    /* json or text; default: text at a terminal, else json */
    bool banner;               /* serve: the start banner even when stderr is no terminal */
    gh_signin_config signin;   /* gh_signin_defaults with the options above applied (main) */
    const char *config;        /* the configuration file read (NULL: none) */
    const char *from;          /* restore: the backup to restore */
    bool force;                /* backup, restore: replace an existing file */
} opts;

typedef struct opt_def {
    const char *flag, *env;
    size_t off;
    char kind;   /* s: string, i: int, b: bool */
    bool reload; /* serve applies a new value on SIGHUP (reload_opts); others need a restart */
} opt_def;

static const opt_def opt_defs[] = {
    {"--db", "GATEHOUSE_DB", offsetof(opts, db), 's'},
    {"--listen", "GATEHOUSE_LISTEN", offsetof(opts, listen), 's'},
    {"--threads", "GATEHOUSE_THREADS", offsetof(opts, threads), 'i'},
    {"--per-ip-connection-limit", "GATEHOUSE_PER_IP_CONNECTION_LIMIT", offsetof(opts, per_ip), 'i'},
    {"--trusted-proxy", "GATEHOUSE_TRUSTED_PROXY", offsetof(opts, trusted_proxy), 's'},
    {"--external-url", "GATEHOUSE_EXTERNAL_URL", offsetof(opts, external_url), 's'},
    {"--web-dir", "GATEHOUSE_WEB_DIR", offsetof(opts, web_dir), 's'},
    {"--protect", "GATEHOUSE_PROTECT", offsetof(opts, protect), 's'},
    {"--cookie-domain", "GATEHOUSE_COOKIE_DOMAIN", offsetof(opts, cookie_domain), 's'},
    {"--secret-key-file", "GATEHOUSE_SECRET_KEY_FILE", offsetof(opts, secret_key_file), 's'},
    {"--lockout-threshold", "GATEHOUSE_LOCKOUT_THRESHOLD", offsetof(opts, lockout_threshold), 'i',
     true},
    {"--lockout-seconds", "GATEHOUSE_LOCKOUT_SECONDS", offsetof(opts, lockout_seconds), 'i', true},
    {"--session-idle-seconds", "GATEHOUSE_SESSION_IDLE_SECONDS", offsetof(opts, session_idle), 'i',
     true},
    {"--session-lifetime-seconds", "GATEHOUSE_SESSION_LIFETIME_SECONDS",
     offsetof(opts, session_lifetime), 'i', true},
    {"--password-min-length", "GATEHOUSE_PASSWORD_MIN_LENGTH", offsetof(opts, password_min), 'i',
     true},
    {"--signin-rate-per-minute", "GATEHOUSE_SIGNIN_RATE_PER_MINUTE", offsetof(opts, signin_rate),
     'i'},
    {"--smtp-url", "GATEHOUSE_SMTP_URL", offsetof(opts, smtp_url), 's'},
    {"--smtp-user", "GATEHOUSE_SMTP_USER", offsetof(opts, smtp_user), 's'},
    {"--smtp-password-file", "GATEHOUSE_SMTP_PASSWORD_FILE", offsetof(opts, smtp_password_file),
     's'},
    {"--mail-from", "GATEHOUSE_MAIL_FROM", offsetof(opts, mail_from), 's'},
    {"--mail-retry-seconds", "GATEHOUSE_MAIL_RETRY_SECONDS", offsetof(opts, mail_retry_seconds),
     'i'},
    {"--header-deadline-seconds", "GATEHOUSE_HEADER_DEADLINE_SECONDS",
     offsetof(opts, header_deadline), 'i'},
    {"--body-deadline-seconds", "GATEHOUSE_BODY_DEADLINE_SECONDS", offsetof(opts, body_deadline),
     'i'},
    {"--sso-allow-loopback", "GATEHOUSE_SSO_ALLOW_LOOPBACK", offsetof(opts, sso_allow_loopback),
     'b'},
    {"--webhooks-allow-loopback", "GATEHOUSE_WEBHOOKS_ALLOW_LOOPBACK",
     offsetof(opts, hooks_allow_loopback), 'b'},
    {"--search-budget", "GATEHOUSE_SEARCH_BUDGET", offsetof(opts, search_budget), 'i'},
    {"--dormant-interval-seconds", "GATEHOUSE_DORMANT_INTERVAL_SECONDS",
     offsetof(opts, dormant_interval), 'i', true},
    {"--config", "GATEHOUSE_CONFIG", offsetof(opts, config), 's'},
    {"--log-format", "GATEHOUSE_LOG_FORMAT", offsetof(opts, log_format), 's'},
    {"--banner", "GATEHOUSE_BANNER", offsetof(opts, banner), 'b'},
    {"--to", NULL, offsetof(opts, to), 's'},
    {"--from", NULL, offsetof(opts, from), 's'},
    {"--force", NULL, offsetof(opts, force), 'b'},
    /* tests only, and never from the environment: an inherited variable must not move the clock
     * of a real server */
    {"--test-clock", NULL, offsetof(opts, clock_file), 's'},
    {"--username", NULL, offsetof(opts, username), 's'},
    {"--email", NULL, offsetof(opts, email), 's'},
    {"--user", NULL, offsetof(opts, user), 's'},
    {"--name", NULL, offsetof(opts, name), 's'},
    {"--expires-in", NULL, offsetof(opts, expires_in), 's'},
    {"--q", NULL, offsetof(opts, q), 's'},
    {"--status", NULL, offsetof(opts, status), 's'},
    {"--limit", NULL, offsetof(opts, limit), 'i'},
    {"--dry-run", NULL, offsetof(opts, dry_run), 'b'},
    {"--report", NULL, offsetof(opts, report), 's'},
    {"--password-stdin", NULL, offsetof(opts, password_stdin), 'b'},
    {"--display-name", NULL, offsetof(opts, display_name), 's'},
    {"--issuer", NULL, offsetof(opts, issuer), 's'},
    {"--client-id", NULL, offsetof(opts, client_id), 's'},
    {"--client-secret-file", NULL, offsetof(opts, client_secret_file), 's'},
    {"--scopes", NULL, offsetof(opts, scopes), 's'},
    {"--claim", NULL, offsetof(opts, claim), 's'},
    {"--provider-id", NULL, offsetof(opts, provider_id), 's'},
    {"--trust-idp-mfa", NULL, offsetof(opts, trust_idp_mfa), 'b'},
    {"--role-ids", NULL, offsetof(opts, role_ids), 's'},
    {"--access", NULL, offsetof(opts, access), 's'},
    {"--rp-logout", NULL, offsetof(opts, rp_logout), 'b'},
    {"--url", NULL, offsetof(opts, url), 's'},
    {"--events", NULL, offsetof(opts, events), 's'},
};

static int usage(void)
{
    const gh_signin_config *d = &gh_signin_defaults; /* the defaults shown are the ones used */
    fprintf(
        stderr,
        "usage: gatehouse COMMAND [options]\n"
        "  serve     [--listen 127.0.0.1:8080] [--db gatehouse.db] [--threads N]\n"
        "            [--per-ip-connection-limit N] [--trusted-proxy ADDR[,ADDR...]]\n"
        "            [--external-url URL] [--secret-key-file PATH] [--lockout-threshold %d]\n"
        "            [--lockout-seconds %lld] [--session-idle-seconds %lld]\n"
        "            [--session-lifetime-seconds %lld] [--password-min-length %d]\n"
        "            [--signin-rate-per-minute 20]  (failed sign-ins per client address)\n"
        "            [--protect HOST[=PERMISSION|=group:NAME][,...]]  (forward-auth apps)\n"
        "            [--cookie-domain PARENT.DOMAIN]  (the session cookie reaches the apps)\n"
        "            [--smtp-url smtp://HOST:PORT[?starttls=required|try]|smtps://...]\n"
        "            [--smtp-user U --smtp-password-file PATH] [--mail-from \"Name <ADDR>\"]\n"
        "            [--mail-retry-seconds 30]  (first retry; then twice as long each time)\n"
        "            [--web-dir DIR]  (serve the web console from DIR, not the built-in copy)\n"
        "            [--header-deadline-seconds 10] [--body-deadline-seconds 30]\n"
        "            [--sso-allow-loopback]  (SSO providers on this machine, http to them:\n"
        "            development and tests; otherwise https and public addresses only)\n"
        "            [--webhooks-allow-loopback]  (webhook receivers on loopback and private\n"
        "            addresses, plain http to a loopback host; otherwise https and public only)\n"
        "            (a request's headers, then its body, must arrive whole within these)\n"
        "            [--search-budget %d]  (users a search may walk through before it answers\n"
        "            a page marked partial)\n"
        "            [--dormant-interval-seconds 3600]  (how often the dormant rules run)\n"
        "            [--log-format json|text]  (default: text at a terminal, else JSON lines)\n"
        "            [--banner]  (the start banner even when stderr is not a terminal)\n"
        "            [--test-clock FILE]  (tests only: adds the seconds written in FILE to the\n"
        "            clock; refused unless --listen is a loopback address)\n"
        "  version   (also --version) the version, its commit and the libraries' versions\n"
        "  migrate   [--db gatehouse.db]\n"
        "  backup --to FILE [--force]  an online, consistent copy of the SQLite database (the\n"
        "            server may run); PostgreSQL: use pg_dump\n"
        "  restore --from FILE [--force]  replace the SQLite database by a checked backup; "
        "refused\n"
        "            while a server runs on it\n"
        "  admin create --username U --email E [--password-stdin]\n"
        "  token create --user U [--name N] [--expires-in 30d|12h|3600|never]  (default 90d)\n"
        "  token list [--user U]\n"
        "  token revoke ID\n"
        "  user list [--q TEXT] [--status S] [--limit N]\n"
        "  user show|disable|enable|unban ID|USERNAME\n"
        "  user import FILE [--dry-run] [--report REPORT.csv]  (the columns of GET\n"
        "            /api/v1/users.csv; a row per user: created, updated, unchanged or refused)\n"
        "  sso add --name N --display-name D --issuer URL --client-id ID\n"
        "          --client-secret-file FILE [--scopes \"openid email profile\"] [--claim sub]\n"
        "          [--provider-id P|platform] [--trust-idp-mfa] [--rp-logout]\n"
        "          [--secret-key-file PATH]  (seals the client secret, as serve's key does)\n"
        "  sso list\n"
        "  sso delete ID\n"
        "  sso test ID [--sso-allow-loopback]  (discovery and keys, as a sign-in would)\n"
        "  scim add --name N --provider-id P --user CREATOR [--role-ids 1,2]\n"
        "           [--access provider|all|ACCOUNT,ACCOUNT]  print a SCIM client's token (shown\n"
        "           once); it acts with CREATOR's rights inside provider P\n"
        "  scim list\n"
        "  scim delete ID\n"
        "  dormant run  disable the users of each service provider's dormant rule, warn those\n"
        "            due a warning; prints each user and the counts\n"
        "  webhook add --url URL --events user.created,user.deleted,... [--provider-id "
        "P|platform]\n"
        "          [--secret-key-file PATH]  print the signing secret (whsec_..., shown once)\n"
        "  webhook list\n"
        "  webhook delete ID\n"
        "  mail test --to ADDRESS [--smtp-url URL] [--smtp-user U --smtp-password-file PATH]\n"
        "            [--mail-from ADDR]  send a test message and print the SMTP outcome\n"
        "Every option but --test-clock can also come from the environment as GATEHOUSE_<NAME>,\n"
        "and serve's and --db from the configuration file: --config FILE (or GATEHOUSE_CONFIG;\n"
        "default " GH_DEFAULT_CONFIG " when it exists), `name = value` lines with the\n"
        "option's name without its dashes. Flags win over the environment, which wins over the\n"
        "file. serve re-reads the file on SIGHUP (see the README's Operations section).\n",
        d->max_failures, (long long)d->ban_seconds, (long long)d->idle_seconds,
        (long long)d->absolute_seconds, d->password_min, GH_SEARCH_BUDGET_DEFAULT);
    return 2;
}

#define N_OPT_DEFS (sizeof opt_defs / sizeof *opt_defs)

/* Sets d's field of o from v (kept, not copied). A bool takes no value on the command line (v
 * is "") and true/false, yes/no, on/off or 1/0 from the environment and the file. An int must
 * be a whole decimal number that fits. */
static bool set_opt(opts *o, const opt_def *d, const char *v)
{
    char *end = NULL;
    switch (d->kind) {
    case 's':
        *(const char **)((char *)o + d->off) = v;
        return true;
    case 'i': {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (end == v || *end != '\0' || errno != 0 || n < INT_MIN || n > INT_MAX)
            return false;
        *(int *)((char *)o + d->off) = (int)n;
        return true;
    }
    default: {
        bool on = *v == '\0' || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
                  strcmp(v, "on") == 0 || strcmp(v, "1") == 0;
        bool off = strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
                   strcmp(v, "0") == 0;
        *(bool *)((char *)o + d->off) = on;
        return on || off;
    }
    }
}

static const opt_def *flag_def(const char *flag)
{
    for (size_t k = 0; k < N_OPT_DEFS; k++)
        if (strcmp(flag, opt_defs[k].flag) == 0)
            return &opt_defs[k];
    return NULL;
}

/* Why the last parse_opts failed, for serve's reload to log (the start prints it). */
static char opt_error[600];

/* The configuration file of this run: --config in argv, else GATEHOUSE_CONFIG, else
 * GH_DEFAULT_CONFIG when it exists; NULL for none. */
static const char *config_path(int argc, char **argv, int first)
{
    for (int i = first; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0)
            return argv[i + 1];
    const char *env = getenv("GATEHOUSE_CONFIG");
    if (env != NULL && *env != '\0')
        return env;
    return access(GH_DEFAULT_CONFIG, F_OK) == 0 ? GH_DEFAULT_CONFIG : NULL;
}

/* Every file read stays loaded: the options (and a running server's configuration) point into
 * it. A reload adds one; they are reachable from here until the process ends. */
static struct loaded_conf {
    gh_conf_file f;
    struct loaded_conf *next;
} * loaded_confs;

/* The settings of path into o: the names of the options that have an environment variable
 * (serve's and the database's), without their dashes; not config itself. */
static bool apply_file(opts *o, const char *path)
{
    struct loaded_conf *l = calloc(1, sizeof *l);
    if (l == NULL || gh_conffile_read(path, &l->f, opt_error, sizeof opt_error) != 0) {
        if (l == NULL)
            snprintf(opt_error, sizeof opt_error, "%s: out of memory", path);
        free(l);
        return false;
    }
    l->next = loaded_confs;
    loaded_confs = l;
    for (size_t i = 0; i < l->f.n; i++) {
        const gh_conf_entry *e = &l->f.v[i];
        char flag[80];
        snprintf(flag, sizeof flag, "--%s", e->name);
        const opt_def *d = flag_def(flag);
        if (d == NULL || d->env == NULL || d->off == offsetof(opts, config)) {
            snprintf(opt_error, sizeof opt_error, "%s:%d: unknown setting %s", path, e->line,
                     e->name);
            return false;
        }
        if (!set_opt(o, d, e->value)) { /* the value is not repeated: it may be secret */
            snprintf(opt_error, sizeof opt_error, "%s:%d: bad value for %s", path, e->line,
                     e->name);
            return false;
        }
    }
    return true;
}

/* Fills o from the defaults, the configuration file, the environment, then argv[first..] (each
 * overriding the one before); positional words go to *pos. 0, 1 (a bad file or variable:
 * opt_error says why) or 2 (bad flags: the usage applies). */
static int parse_opts(int argc, char **argv, int first, opts *o, const char **pos)
{
    *o = (opts){.db = "gatehouse.db",
                .listen = "127.0.0.1:8080",
                .threads = 2,
                .per_ip = GH_MAX_CONNECTIONS_PER_IP,
                .limit = 20};
    opt_error[0] = '\0';
    o->config = config_path(argc, argv, first);
    if (o->config != NULL && !apply_file(o, o->config))
        return 1;
    for (size_t i = 0; i < N_OPT_DEFS; i++) {
        const char *v = opt_defs[i].env ? getenv(opt_defs[i].env) : NULL;
        if (v != NULL && !set_opt(o, &opt_defs[i], v)) {
            snprintf(opt_error, sizeof opt_error, "bad value in the environment for %s",
                     opt_defs[i].env);
            return 1;
        }
    }
    for (int i = first; i < argc; i++) {
        const opt_def *d = flag_def(argv[i]);
        if (d == NULL && argv[i][0] != '-' && *pos == NULL) {
            *pos = argv[i];
            continue;
        }
        if (d == NULL || (d->kind != 'b' && i + 1 >= argc)) {
            fprintf(stderr, "gatehouse: unknown or incomplete option %s\n", argv[i]);
            return 2;
        }
        if (!set_opt(o, d, d->kind == 'b' ? "" : argv[++i])) {
            fprintf(stderr, "gatehouse: bad value for %s\n", d->flag);
            return 2;
        }
    }
    return 0;
}

/* Opens and migrates the database and prepares a system context. */
static int open_ctx(const opts *o, gh_ctx *ctx, gh_principal *sys)
{
    if (gh_auth_init() != GH_OK)
        return 1;
    *sys = gh_core_system_principal();
    *ctx = (gh_ctx){.a = gh_arena_new(),
                    .who = sys,
                    .ip = "cli",
                    .request_id = "cli",
                    .now = gh_clock_now(),
                    .signin = &o->signin};
    if (gh_db_open(o->db, &ctx->db) != GH_OK || gh_db_migrate(ctx->db, NULL) != GH_OK) {
        char where[512];
        gh_db_describe_url(o->db, where, sizeof where); /* no password on the terminal */
        fprintf(stderr, "gatehouse: cannot open or migrate the database %s\n", where);
        gh_db_close(ctx->db);
        gh_arena_free(ctx->a);
        return 1;
    }
    if (gh_core_upgrade_data(ctx->db) != GH_OK) {
        fprintf(stderr, "gatehouse: cannot bring the users' search columns up to date\n");
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
    gh_err err = gh_core_admin_create(&ctx, o->username, o->email, pw, NULL, &id);
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

/* --expires-in: a duration, "never", or (absent) the default lifetime (0); -2 when malformed. */
static int64_t token_lifetime(const char *s)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "never") == 0)
        return GH_TOKEN_NEVER;
    int64_t d = parse_duration(s);
    return d > 0 ? d : -2;
}

static int cmd_token_create(const opts *o)
{
    if (o->user == NULL)
        return usage();
    int64_t expires = token_lifetime(o->expires_in);
    if (expires < GH_TOKEN_NEVER) {
        fputs("gatehouse: --expires-in takes 30d, 12h, 45m, seconds or never\n", stderr);
        return 2;
    }
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    char *token = NULL;
    int64_t id = 0;
    int rc = report(
        &ctx, gh_core_token_create(&ctx, o->user, o->name ? o->name : "cli", expires, &token, &id));
    if (rc == 0) {
        printf("%s\n", token);
        sodium_memzero(token, strlen(token));
    }
    close_ctx(&ctx);
    return rc;
}

/* token list [--user U]: id, user, name, created, expires (never the token). */
static int cmd_token_list(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_api_token *items = NULL;
    size_t n = 0;
    gh_err err = gh_core_token_list_by_username(&ctx, o->user, &items, &n);
    if (err == GH_OK)
        printf("ID\tUSER\tNAME\tCREATED\tEXPIRES\n");
    for (size_t i = 0; err == GH_OK && i < n; i++) {
        char created[32], expires[32];
        gh_clock_format(items[i].created_at, created, sizeof created);
        gh_clock_format(items[i].expires_at, expires, sizeof expires);
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)items[i].id, items[i].username, items[i].name,
               created, items[i].expires_at != 0 ? expires : "never");
    }
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

/* ref as a positive id (a whole decimal number), or 0 when it is none (NULL too). */
static long long parse_id(const char *ref)
{
    char *end = NULL;
    long long id = ref != NULL ? strtoll(ref, &end, 10) : 0;
    return ref != NULL && end != ref && *end == '\0' && id > 0 ? id : 0;
}

/* token revoke ID */
static int cmd_token_revoke(const char *ref, const opts *o)
{
    long long id = parse_id(ref);
    if (id <= 0)
        return usage();
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    int rc = report(&ctx, gh_core_token_revoke(&ctx, 0, id));
    if (rc == 0)
        printf("token %lld revoked\n", id);
    close_ctx(&ctx);
    return rc;
}

/* Finds a user by id or username. */
static gh_err find_user(gh_ctx *ctx, const char *ref, gh_user *out)
{
    long long id = parse_id(ref);
    if (id > 0)
        return gh_core_user_get(ctx, id, out);
    return gh_core_user_by_username(ctx, ref, out);
}

/* The CLI's per-user actions: the same core function as POST /api/v1/users/{id}/<verb>. */
static const struct user_verb {
    const char *verb, *done;
    gh_user_action action;
} user_verbs[] = {
    {"disable", "disabled", GH_USER_DISABLE},
    {"enable", "enabled", GH_USER_ENABLE},
    {"unban", "unbanned", GH_USER_UNBAN},
};

static const struct user_verb *user_verb(const char *verb)
{
    for (size_t i = 0; i < sizeof user_verbs / sizeof *user_verbs; i++)
        if (strcmp(verb, user_verbs[i].verb) == 0)
            return &user_verbs[i];
    return NULL;
}

/* Runs the action on a user and says what it did; an unban of a user who is not banned
 * changes nothing and says so. */
static gh_err user_act(gh_ctx *ctx, const struct user_verb *v, const char *ref)
{
    gh_user u;
    gh_err err = find_user(ctx, ref, &u);
    if (err != GH_OK)
        return err;
    bool banned = u.banned_until > ctx->now;
    if ((err = gh_core_user_act(ctx, u.id, v->action)) != GH_OK)
        return err;
    char until[32];
    gh_clock_format(u.banned_until, until, sizeof until);
    if (v->action == GH_USER_UNBAN && !banned)
        printf("%s was not banned; nothing changed\n", u.username);
    else if (v->action == GH_USER_UNBAN)
        printf("%s unbanned (was banned until %s)\n", u.username, until);
    else
        printf("%s %s\n", u.username, v->done);
    return GH_OK;
}

/* ---- user import ---- */

/* The whole of path into *text (malloc'd, NUL-terminated; the caller frees it) and *len. */
static int read_whole(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *w = realloc(buf, cap * 2);
            if (w == NULL)
                free(buf);
            buf = w;
            cap *= 2;
        }
    }
    bool failed = ferror(f) != 0 || buf == NULL;
    fclose(f);
    if (failed) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Which column each field of the header names (map[i]); refuses unknown and repeated names
 * and a header without username. */
static int import_header(const gh_csv_record *h, int *map)
{
    bool seen[GH_COL_COUNT] = {false};
    for (size_t i = 0; i < h->n; i++) {
        map[i] = -1;
        for (int c = 0; c < GH_COL_COUNT; c++)
            if (strcmp(h->fields[i], gh_user_columns[c]) == 0)
                map[i] = c;
        if (map[i] < 0 || seen[map[i]]) {
            fprintf(stderr, "gatehouse: the header's column \"%s\" is %s\n", h->fields[i],
                    map[i] < 0 ? "not one of the export's columns" : "there twice");
            return -1;
        }
        seen[map[i]] = true;
    }
    if (!seen[GH_COL_USERNAME]) {
        fputs("gatehouse: the header has no username column\n", stderr);
        return -1;
    }
    return 0;
}

typedef struct import_run {
    gh_ctx *ctx;
    FILE *report;  /* NULL: none */
    size_t by[4];  /* rows by outcome */
    bool progress; /* stderr is a terminal: a progress line */
} import_run;

/* One line of the report: line, username, outcome, field, reason, message. */
static void report_row(import_run *run, size_t line, const char *username, gh_import_outcome o,
                       gh_err err)
{
    const gh_ctx *ctx = run->ctx;
    const char *detail = ctx->err_detail ? ctx->err_detail : gh_err_str(err);
    if (o == GH_IMPORT_REFUSED)
        fprintf(stderr, "%sline %zu: %s%srefused: %s%s%s\n", run->progress ? "\r\033[K" : "", line,
                username ? username : "", username && username[0] ? " " : "",
                ctx->err_field ? ctx->err_field : "", ctx->err_field ? ": " : "", detail);
    if (run->report == NULL)
        return;
    gh_csv_buf b = {0};
    char num[24];
    snprintf(num, sizeof num, "%zu", line);
    gh_csv_cell(&b, num);
    gh_csv_cell(&b, username);
    gh_csv_cell(&b, gh_import_outcome_name(o));
    gh_csv_cell(&b, o == GH_IMPORT_REFUSED ? ctx->err_field : NULL);
    gh_csv_cell(&b, o == GH_IMPORT_REFUSED ? ctx->err_reason : NULL);
    gh_csv_cell(&b, o == GH_IMPORT_REFUSED ? detail : NULL);
    gh_csv_end_row(&b);
    fwrite(b.p, 1, b.len, run->report);
    gh_csv_buf_free(&b);
}

static void import_tally(const import_run *run, const char *end)
{
    const size_t *n = run->by;
    if (run->ctx->dry_run)
        fprintf(stderr,
                "dry run: %zu rows: %zu to create, %zu to update, %zu unchanged, %zu "
                "refused%s",
                n[0] + n[1] + n[2] + n[3], n[0], n[1], n[2], n[3], end);
    else
        fprintf(stderr, "import: %zu rows: %zu created, %zu updated, %zu unchanged, %zu refused%s",
                n[0] + n[1] + n[2] + n[3], n[0], n[1], n[2], n[3], end);
}

/* One record: its cells by column, then core's import in a transaction of its own. */
static void import_record(import_run *run, const gh_csv_record *rec, const int *map, size_t ncols)
{
    gh_ctx *ctx = run->ctx;
    const char *cells[GH_COL_COUNT] = {NULL};
    gh_import_outcome o = GH_IMPORT_REFUSED;
    gh_err err = GH_EINVAL;
    ctx->err_field = ctx->err_reason = ctx->err_detail = NULL;
    for (size_t i = 0; i < rec->n && i < ncols; i++)
        cells[map[i]] = gh_csv_value(rec->fields[i]);
    if (rec->n != ncols)
        gh_fail(ctx, GH_EINVAL, "row", "invalid",
                gh_arena_printf(ctx->a, "%zu fields where the header has %zu", rec->n, ncols));
    else if ((err = gh_core_user_import(ctx, cells, &o)) != GH_OK)
        o = GH_IMPORT_REFUSED;
    run->by[o]++;
    report_row(run, rec->line, cells[GH_COL_USERNAME], o, err);
}

/* gatehouse user import FILE: every row through gh_core_user_import, a summary (and on a
 * terminal a progress line) on stderr; 0 when no row was refused. */
static int cmd_user_import(const char *path, const opts *o)
{
    char *text = NULL;
    size_t len = 0;
    if (read_whole(path, &text, &len) != 0) {
        fprintf(stderr, "gatehouse: cannot read %s\n", path);
        return 1;
    }
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0) {
        free(text);
        return 1;
    }
    ctx.dry_run = o->dry_run;
    import_run run = {.ctx = &ctx, .progress = isatty(2)};
    gh_csv_reader r;
    gh_csv_reader_init(&r, text, len);
    gh_csv_record head;
    const char *why = NULL;
    int *map = NULL;
    int rc = 2;
    if (gh_csv_read(&r, ctx.a, &head, &why) != GH_CSV_RECORD) {
        fprintf(stderr, "gatehouse: %s has no header row\n", path);
        goto out;
    }
    map = gh_arena_alloc(ctx.a, head.n * sizeof *map);
    if (import_header(&head, map) != 0)
        goto out;
    if (o->report != NULL && (run.report = fopen(o->report, "wb")) == NULL) {
        fprintf(stderr, "gatehouse: cannot write %s\n", o->report);
        goto out;
    }
    if (run.report != NULL)
        fputs("line,username,outcome,field,reason,message\r\n", run.report);
    gh_arena *keep = ctx.a;
    for (size_t n = 1;; n++) {
        ctx.a = gh_arena_new(); /* one row's memory */
        ctx.now = gh_clock_now();
        gh_csv_record rec;
        gh_csv_result res = gh_csv_read(&r, ctx.a, &rec, &why);
        if (res == GH_CSV_RECORD)
            import_record(&run, &rec, map, head.n);
        if (res == GH_CSV_BAD) {
            ctx.err_field = "row";
            ctx.err_reason = "invalid";
            ctx.err_detail = why;
            run.by[GH_IMPORT_REFUSED]++;
            report_row(&run, r.line - 1, NULL, GH_IMPORT_REFUSED, GH_EINVAL);
        }
        gh_arena_free(ctx.a);
        if (res == GH_CSV_END)
            break;
        if (run.progress && n % 500 == 0)
            import_tally(&run, "\r");
    }
    ctx.a = keep;
    import_tally(&run, run.progress ? "\033[K\n" : "\n");
    rc = run.by[GH_IMPORT_REFUSED] > 0 ? 1 : 0;
    if (run.report != NULL && fclose(run.report) != 0) {
        fprintf(stderr, "gatehouse: cannot write %s\n", o->report);
        rc = 1;
    }
out:
    close_ctx(&ctx);
    free(text);
    return rc;
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
    gh_user_list_status status = GH_LIST_LIVE;
    if (o->status != NULL && !gh_user_list_status_parse(o->status, &status)) {
        fputs("gatehouse: --status takes active, invited, disabled, banned or deleted\n", stderr);
        close_ctx(&ctx);
        return 2;
    }
    if (strcmp(verb, "list") == 0) {
        gh_user_filter f = {
            .q = o->q, .status = status, .limit = o->limit > 0 && o->limit <= 1000 ? o->limit : 20};
        gh_user_page page;
        err = gh_core_user_list(&ctx, &f, &page);
        for (size_t i = 0; err == GH_OK && i < page.n; i++)
            printf("%lld\t%s\t%s %s\t%s\t%s\n", (long long)page.items[i].id, page.items[i].username,
                   page.items[i].first_name, page.items[i].last_name, page.items[i].email,
                   gh_user_status_name(page.items[i].status));
    } else if (strcmp(verb, "show") == 0) {
        if ((err = find_user(&ctx, ref, &u)) == GH_OK) {
            printf("%s\n", gh_json_text(ctx.a, gh_json_user(&u)));
        }
    } else if (user_verb(verb) != NULL) {
        err = user_act(&ctx, user_verb(verb), ref);
    } else {
        close_ctx(&ctx);
        return usage();
    }
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

/* While the database holds no account: a new one-time set-up link for the first administrator
 * (core/setup.h), shown once on the terminal as a plain line for a person, not as a log record
 * (no token in any log, L3); the log only says that one was printed. Each start voids the links
 * of earlier starts. */
static int announce_setup(gh_ctx *ctx, char **for_banner)
{
    char *url = NULL;
    int64_t expires_at = 0;
    ctx->now = gh_clock_now();
    int rc = report(ctx, gh_core_setup_issue(ctx, &url, &expires_at));
    if (rc == 0 && url != NULL && for_banner != NULL) { /* the banner shows it (serve_banner) */
        char until[32];
        gh_clock_format(expires_at, until, sizeof until);
        *for_banner = url; /* ctx's arena: wiped by serve_banner */
        gh_log("info", "setup_link_printed", "expires_at", until, NULL);
    } else if (rc == 0 && url != NULL) {
        char until[32];
        gh_clock_format(expires_at, until, sizeof until);
        fprintf(stderr,
                "\n  Gatehouse has no administrator yet. Open this link to create the first one"
                "\n  (it works once, until %s; every start prints a new one while there is no"
                "\n  administrator, and `gatehouse admin create` is the scripted way):\n\n"
                "    %s\n\n",
                until, url);
        gh_log("info", "setup_link_printed", "expires_at", until, NULL);
        sodium_memzero(url, strlen(url));
    }
    return rc;
}

static unsigned char secret_key[GH_SECRET_KEY_BYTES];

/* The sign-in settings of the command line: signin's defaults, with what the options set (a
 * value of 0 or less keeps the default). Every command runs with them: `admin create` checks
 * passwords against the same minimum as the server. */
static gh_signin_config signin_policy(const opts *o)
{
    gh_signin_config c = gh_signin_defaults;
    if (o->lockout_threshold > 0)
        c.max_failures = o->lockout_threshold;
    if (o->lockout_seconds > 0)
        c.ban_seconds = o->lockout_seconds;
    if (o->session_idle > 0)
        c.idle_seconds = o->session_idle;
    if (o->session_lifetime > 0)
        c.absolute_seconds = o->session_lifetime;
    if (o->password_min > 0)
        c.password_min = o->password_min < GH_PASSWORD_FLOOR ? GH_PASSWORD_FLOOR : o->password_min;
    return c;
}

/* The secret key (generated on first start next to the database unless --secret-key-file says
 * otherwise) into secret_key, for serve. */
static int load_secret_key(const opts *o)
{
    const char *path = o->secret_key_file;
    if (path == NULL &&
        (strncmp(o->db, "postgres://", 11) == 0 || strncmp(o->db, "postgresql://", 13) == 0)) {
        fputs("gatehouse: with PostgreSQL, give --secret-key-file (the same file on every "
              "instance: it encrypts the TOTP seeds)\n",
              stderr);
        return 1;
    }
    if (path == NULL) {
        static char derived[4096];
        snprintf(derived, sizeof derived, "%s.key", o->db);
        path = derived;
    }
    if (gh_secret_key_load(path, secret_key) != GH_OK) {
        fprintf(stderr, "gatehouse: cannot read or create the secret key file %s\n", path);
        return 1;
    }
    return 0;
}

/* The first line of path (without its line end) into buf; -1 when it cannot be read, is empty
 * or does not fit. */
static int read_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    bool got = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    size_t n = got ? strcspn(buf, "\r\n") : 0;
    bool whole = got && (buf[n] != '\0' || n + 1 < cap);
    if (got)
        buf[n] = '\0';
    return got && whole && n > 0 ? 0 : -1;
}

/* --provider-id: an id, "platform" (0), or absent (*given false: the platform's, as the system
 * acts at platform level). -1 when malformed. */
static int sso_provider(const char *s, int64_t *id, bool *given)
{
    char *end = NULL;
    *given = s != NULL;
    *id = 0;
    if (s == NULL || strcmp(s, "platform") == 0)
        return 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v <= 0)
        return -1;
    *id = v;
    return 0;
}

/* sso add: the same core function as POST /api/v1/sso-sources; the secret comes from a file (not
 * the command line, which other users may see) and is sealed with the server's secret key. */
static int cmd_sso_add(const opts *o)
{
    if (o->name == NULL || o->display_name == NULL || o->issuer == NULL || o->client_id == NULL ||
        o->client_secret_file == NULL)
        return usage();
    gh_sso_write in = {.source = {.name = o->name,
                                  .display_name = o->display_name,
                                  .issuer = o->issuer,
                                  .client_id = o->client_id,
                                  .scopes = o->scopes,
                                  .claim = o->claim,
                                  .trust_idp_mfa = o->trust_idp_mfa,
                                  .rp_logout = o->rp_logout}};
    if (sso_provider(o->provider_id, &in.source.provider_id, &in.provider_given) != 0) {
        fputs("gatehouse: --provider-id takes a service provider's id or platform\n", stderr);
        return 2;
    }
    char secret[GH_MAX_SSO_CLIENT_SECRET + 2];
    if (read_first_line(o->client_secret_file, secret, sizeof secret) != 0) {
        fprintf(stderr,
                "gatehouse: cannot read a client secret (one line, at most %d characters) from "
                "%s\n",
                GH_MAX_SSO_CLIENT_SECRET, o->client_secret_file);
        sodium_memzero(secret, sizeof secret);
        return 1;
    }
    in.client_secret = secret;
    gh_ctx ctx;
    gh_principal sys;
    int rc = open_ctx(o, &ctx, &sys);
    if (rc == 0 && (rc = load_secret_key(o)) != 0)
        close_ctx(&ctx);
    if (rc != 0) {
        sodium_memzero(secret, sizeof secret);
        return rc;
    }
    gh_signin_config signin = o->signin;
    signin.secret_key = secret_key;
    ctx.signin = &signin;
    gh_sso_source out;
    rc = report(&ctx, gh_core_sso_create(&ctx, &in, &out));
    if (rc == 0)
        printf("SSO source %s created (id %lld)\n", out.name, (long long)out.id);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(secret_key, sizeof secret_key);
    close_ctx(&ctx);
    return rc;
}

/* sso list: id, name, display name, issuer, provider (never a secret). */
static int cmd_sso_list(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_sso_source *items = NULL;
    size_t n = 0;
    int64_t after = 0;
    gh_err err = GH_OK;
    printf("ID\tNAME\tDISPLAY NAME\tISSUER\tPROVIDER\n");
    do {
        err = gh_core_sso_list(&ctx, 0, GH_PAGE_MAX, after, &items, &n);
        for (size_t i = 0; err == GH_OK && i < n; i++) {
            char provider[24];
            snprintf(provider, sizeof provider, "%lld", (long long)items[i].provider_id);
            printf("%lld\t%s\t%s\t%s\t%s\n", (long long)items[i].id, items[i].name,
                   items[i].display_name, items[i].issuer,
                   items[i].provider_id != 0 ? provider : "platform");
            after = items[i].id;
        }
    } while (err == GH_OK && n == GH_PAGE_MAX);
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

/* sso delete, scim delete, webhook delete: act on the object of id ref, say "WHAT ID VERB". */
static int cmd_by_id(const char *ref, const opts *o, gh_err (*act)(gh_ctx *, int64_t),
                     const char *what, const char *verb)
{
    long long id = parse_id(ref);
    if (id <= 0)
        return usage();
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    int rc = report(&ctx, act(&ctx, id));
    if (rc == 0)
        printf("%s %lld %s\n", what, id, verb);
    close_ctx(&ctx);
    return rc;
}

/* sso delete ID */
static int cmd_sso_delete(const char *ref, const opts *o)
{
    return cmd_by_id(ref, o, gh_core_sso_delete, "SSO source", "deleted");
}

/* sso test ID: what the provider's discovery and JWKS hold, as the console's Test action. */
static int cmd_sso_test(const char *ref, const opts *o)
{
    long long id = parse_id(ref);
    if (id <= 0)
        return usage();
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_sso_source s;
    gh_sso_env *env = NULL;
    gh_sso_test t;
    int rc = report(&ctx, gh_core_sso_get(&ctx, id, &s));
    if (rc == 0 && gh_sso_env_new(o->sso_allow_loopback, &env) != GH_OK)
        rc = 1;
    if (rc == 0)
        rc = report(&ctx, gh_sso_probe(env, ctx.a, &s, ctx.now, &t));
    if (rc == 0 && !t.ok) {
        printf("%s: FAILED at %s: %s\n", s.name, t.stage, t.error);
        rc = 1;
    } else if (rc == 0) {
        printf("%s: ok\nissuer\t%s\nauthorization_endpoint\t%s\ntoken_endpoint\t%s\n"
               "jwks_uri\t%s\nend_session_endpoint\t%s\ntoken auth\t%s%s\nsigning keys\t%zu\n",
               s.name, t.provider.issuer, t.provider.authorization_endpoint,
               t.provider.token_endpoint, t.provider.jwks_uri,
               t.provider.end_session_endpoint ? t.provider.end_session_endpoint : "-",
               t.provider.auth_basic ? "client_secret_basic " : "",
               t.provider.auth_post ? "client_secret_post" : "", t.keys);
    }
    gh_sso_env_free(env);
    close_ctx(&ctx);
    return rc;
}

static char smtp_password[1024];

/* The mail settings of the command line; reads --smtp-password-file (first line). */
static int mail_config(const opts *o, const char *external_url, gh_mail_config *c)
{
    *c = (gh_mail_config){.db_url = o->db,
                          .smtp = {.url = o->smtp_url, .user = o->smtp_user},
                          .from = o->mail_from,
                          .external_url = external_url,
                          .retry_base_s = o->mail_retry_seconds > 0 ? o->mail_retry_seconds : 0};
    if (o->smtp_password_file == NULL)
        return 0;
    FILE *f = fopen(o->smtp_password_file, "r");
    if (f == NULL || fgets(smtp_password, sizeof smtp_password, f) == NULL) {
        fprintf(stderr, "gatehouse: cannot read --smtp-password-file %s\n", o->smtp_password_file);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    fclose(f);
    smtp_password[strcspn(smtp_password, "\r\n")] = '\0';
    c->smtp.password = smtp_password;
    return 0;
}

/* Makes the mail sender (not started yet); links point at --external-url or, when it is not
 * given, at the server's own address, which start_mail sets once the server listens. */
static int make_mail(const opts *o, gh_mailer **out)
{
    gh_mail_config c;
    if (mail_config(o, o->external_url, &c) != 0)
        return 1;
    gh_err err = gh_mailer_new(&c, out); /* it keeps its own copy of the password */
    sodium_memzero(smtp_password, sizeof smtp_password);
    return err == GH_OK ? 0 : 1;
}

/* Starts the mail sender, or says that e-mails stay queued without --smtp-url. */
static int start_mail(const opts *o, gh_mailer *m, const char *host, int port)
{
    char site[300];
    snprintf(site, sizeof site, "http://%s:%d", strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host,
             port);
    if (o->smtp_url == NULL)
        gh_log("warn", "mail_not_configured", "detail",
               "no --smtp-url: e-mails (onboarding, password resets, notices) stay queued and are "
               "sent once the server runs with one",
               NULL);
    return gh_mailer_start(m, site) == GH_OK ? 0 : 1;
}

static int cmd_mail_test(const opts *o)
{
    if (o->to == NULL)
        return usage();
    if (o->smtp_url == NULL) {
        fputs("gatehouse: mail test needs --smtp-url (or GATEHOUSE_SMTP_URL)\n", stderr);
        return 2;
    }
    gh_mail_config c;
    char result[600];
    if (mail_config(o, o->external_url ? o->external_url : "gatehouse", &c) != 0)
        return 1;
    gh_err err = gh_mail_send_test(&c, o->to, result, sizeof result);
    sodium_memzero(smtp_password, sizeof smtp_password);
    if (err != GH_OK) {
        fprintf(stderr, "gatehouse: sending the test message to %s failed: %s\n", o->to, result);
        return 1;
    }
    printf("test message to %s accepted: %s\n", o->to, result);
    return 0;
}

/* Whether host (of --listen) is a loopback address: 127.0.0.0/8, ::1 (bracketed or not) or
 * localhost. */
static bool is_loopback(const char *host)
{
    char bare[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(bare, sizeof bare, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(bare, sizeof bare, "%s", host);
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(bare, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, bare, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The test clock moves time for every rule (sessions, bans, links, TOTP): a server that others
 * can reach must never run with it, whatever the flags say. */
static int use_test_clock(const opts *o, const char *host)
{
    if (o->clock_file == NULL)
        return 0;
    if (!is_loopback(host)) {
        fprintf(stderr,
                "gatehouse: --test-clock is for tests only and needs a loopback --listen "
                "address (127.0.0.0/8, ::1 or localhost), not %s\n",
                host);
        return 2;
    }
    gh_clock_use_file(o->clock_file);
    gh_log("warn", "test_clock", "file", o->clock_file, "detail",
           "the clock adds the seconds written in this file: a test server, not a real one", NULL);
    return 0;
}

/* Whether serve greets a person: stderr is a terminal, or --banner. */
static bool wants_banner(const opts *o)
{
    return o->banner || isatty(STDERR_FILENO);
}

/* The start banner (cli/ops.h) for the server on host:port; wipes setup (the link's token). */
static void serve_banner(const opts *o, const char *host, int port, char *setup)
{
    char console[300], db[512];
    if (o->external_url != NULL)
        snprintf(console, sizeof console, "%s", o->external_url);
    else
        snprintf(console, sizeof console, "http://%s:%d/",
                 strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, port);
    gh_db_describe_url(o->db, db, sizeof db); /* no password (A7) */
    bool pg = strncmp(o->db, "postgres://", 11) == 0 || strncmp(o->db, "postgresql://", 13) == 0;
    gh_cli_banner b = {
        .console = console, .database = db, .engine = pg ? "PostgreSQL" : "SQLite", .setup = setup};
    gh_cli_print_banner(stderr, &b);
    if (setup != NULL)
        sodium_memzero(setup, strlen(setup));
}

#define GH_DORMANT_INTERVAL_MAX (7 * 86400)

/* --dormant-interval-seconds, 0 meaning the default of an hour. */
static int dormant_interval(const opts *o)
{
    return o->dormant_interval > 0 ? o->dormant_interval : 3600;
}

/* serve's argv, for a reload to parse again exactly as the start did (main sets them). */
static int serve_argc, serve_first;
static char **serve_argv;

/* The sign-in settings each reload made: the server's requests may use any of them until it
 * stops, so they are freed only then (free_snapshots). */
typedef struct signin_snapshot {
    gh_signin_config c;
    struct signin_snapshot *next;
} signin_snapshot;

static void free_snapshots(signin_snapshot *k)
{
    while (k != NULL) {
        signin_snapshot *next = k->next;
        free(k);
        k = next;
    }
}

static bool opt_differs(const opts *a, const opts *b, const opt_def *d)
{
    const char *pa = (const char *)a + d->off, *pb = (const char *)b + d->off;
    switch (d->kind) {
    case 's': {
        const char *x = *(const char *const *)pa, *y = *(const char *const *)pb;
        return (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0);
    }
    case 'i':
        return *(const int *)pa != *(const int *)pb;
    default:
        return *(const bool *)pa != *(const bool *)pb;
    }
}

/* Appends name (without its dashes) to the comma-separated list buf. */
static void add_name(char *buf, size_t cap, const char *flag)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n > 0 ? "," : "", flag + 2);
}

/* SIGHUP: the configuration file (and the environment and flags, which still win) read again.
 * What can change while serving, the options marked reload, takes effect: the password minimum,
 * lock-out and session lifetimes (one gh_signin_config swapped atomically, for the requests that
 * start from now on) and the dormant job's interval (counted from now); the others are named in a
 * log line and stay as they started. A file that does not parse changes nothing (logged). Only
 * option names reach the log, never values. live: what the last reload applied; started: what serve
 * started with. */
static void reload_opts(const opts *started, opts *live, const gh_signin_config *base, gh_server *s,
                        gh_job *job, signin_snapshot **kept)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    opts n;
    const char *pos = NULL;
    int rc = parse_opts(serve_argc, serve_argv, serve_first, &n, &pos);
    if (rc == 0 && (n.dormant_interval < 0 || n.dormant_interval > GH_DORMANT_INTERVAL_MAX)) {
        snprintf(opt_error, sizeof opt_error, "dormant-interval-seconds takes 1 to %d",
                 GH_DORMANT_INTERVAL_MAX);
        rc = 1;
    }
    signin_snapshot *k = rc == 0 ? calloc(1, sizeof *k) : NULL;
    if (k == NULL) {
        gh_log("error", "reload_failed", "detail", rc == 0 ? "out of memory" : opt_error, "kept",
               "the configuration that was running", NULL);
        sd_notify(0, "READY=1");
        return;
    }
    char applied[1024] = "", restart[1024] = "";
    for (size_t i = 0; i < N_OPT_DEFS; i++) {
        const opt_def *d = &opt_defs[i];
        if (d->env == NULL || d->off == offsetof(opts, config))
            continue;
        if (d->reload && opt_differs(live, &n, d))
            add_name(applied, sizeof applied, d->flag);
        else if (!d->reload && opt_differs(started, &n, d))
            add_name(restart, sizeof restart, d->flag);
    }
    k->c = signin_policy(&n);
    k->c.secret_key = base->secret_key;
    k->c.issuer = base->issuer;
    k->next = *kept;
    *kept = k;
    gh_server_set_signin(s, &k->c);
    if (n.dormant_interval != live->dormant_interval)
        gh_core_job_set_interval(job, dormant_interval(&n));
    *live = n;
    gh_log("info", "reloaded", "config", n.config != NULL ? n.config : "(none)", "applied",
           applied[0] ? applied : "(nothing changed)", NULL);
    if (restart[0] != '\0')
        gh_log("warn", "reload_needs_restart", "settings", restart, "detail",
               "these settings changed but apply only when the server starts again: kept as they "
               "were",
               NULL);
    sd_notify(0, "READY=1");
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
    int rc = use_test_clock(o, host);
    if (rc != 0)
        return rc;
    if (o->signin_rate < 0 || o->signin_rate > GH_THROTTLE_MAX_RATE) { /* 0: the default */
        fprintf(stderr, "gatehouse: --signin-rate-per-minute takes 1 to %d\n",
                GH_THROTTLE_MAX_RATE);
        return 2;
    }
    if (o->search_budget != 0 &&
        (o->search_budget < GH_SEARCH_BUDGET_MIN || o->search_budget > GH_SEARCH_BUDGET_MAX)) {
        fprintf(stderr, "gatehouse: --search-budget takes %d to %d\n", GH_SEARCH_BUDGET_MIN,
                GH_SEARCH_BUDGET_MAX);
        return 2;
    }
    if (o->search_budget != 0)
        gh_core_set_search_budget(o->search_budget);
    if (o->dormant_interval < 0 || o->dormant_interval > GH_DORMANT_INTERVAL_MAX) { /* 0: default */
        fprintf(stderr, "gatehouse: --dormant-interval-seconds takes 1 to %d\n",
                GH_DORMANT_INTERVAL_MAX);
        return 2;
    }
    int live_fd = -1; /* held until the process ends: restore refuses while it is */
    gh_err held = gh_db_hold_live(o->db, &live_fd);
    if (held != GH_OK) {
        fprintf(stderr, "gatehouse: %s\n",
                held == GH_ECONFLICT ? "a restore is running on this database"
                                     : "cannot create the database's lock file (DB.lock)");
        return 1;
    }
    gh_ctx ctx; /* the database, migrated before the first request; kept for the set-up link */
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    if (load_secret_key(o) != 0) {
        close_ctx(&ctx);
        return 1;
    }
    gh_signin_config signin = o->signin; /* filled here once, unchanged until the server stops */
    signin.secret_key = secret_key;
    ctx.signin = &signin;
    gh_mailer *mail = NULL;
    if (make_mail(o, &mail) != 0) {
        close_ctx(&ctx);
        return 1;
    }
    ctx.mail = mail;
    gh_sso_env *sso = NULL;
    if (gh_sso_env_new(o->sso_allow_loopback, &sso) != GH_OK) {
        gh_log("error", "sso_init_failed", NULL);
        gh_mailer_free(mail);
        close_ctx(&ctx);
        return 1;
    }
    if (o->sso_allow_loopback)
        gh_log("warn", "sso_allow_loopback", "detail",
               "SSO providers on loopback addresses, over plain http, may be called", NULL);
    gh_hooks *hooks = NULL;
    gh_hooks_config hc = {.db_url = o->db,
                          .secret_key = secret_key,
                          .net = {.allow_loopback = o->hooks_allow_loopback}};
    if (gh_hooks_new(&hc, &hooks) != GH_OK) {
        gh_sso_env_free(sso);
        gh_mailer_free(mail);
        close_ctx(&ctx);
        return 1;
    }
    if (o->hooks_allow_loopback)
        gh_log("warn", "webhooks_allow_loopback", "detail",
               "webhook receivers on loopback and private addresses, over plain http to a "
               "loopback host, may be called",
               NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);                /* reload_opts */
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* server threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    gh_server_config cfg = {.listen_host = host,
                            .port = atoi(colon + 1),
                            .db_url = o->db,
                            .threads = o->threads > 0 ? o->threads : 2,
                            .per_ip_limit = o->per_ip > 0 ? o->per_ip : GH_MAX_CONNECTIONS_PER_IP,
                            .trusted_proxies = o->trusted_proxy,
                            .external_url = o->external_url,
                            .web_dir = o->web_dir,
                            .protect = o->protect,
                            .cookie_domain = o->cookie_domain,
                            .header_deadline_s = o->header_deadline,
                            .body_deadline_s = o->body_deadline,
                            .signin = &signin,
                            .signin_rate_per_minute = o->signin_rate,
                            .mail = mail,
                            .sso = sso,
                            .hooks = hooks};
    gh_server *s = NULL;
    char *setup = NULL; /* the set-up link, for the banner */
    bool banner = wants_banner(o);
    if (gh_server_start(&cfg, &s) != GH_OK || start_mail(o, mail, host, gh_server_port(s)) != 0 ||
        gh_hooks_start(hooks) != GH_OK ||
        announce_setup(&ctx, banner ? &setup : NULL) != 0) { /* after start_mail: the link
                                                              * points at the site */
        close_ctx(&ctx);
        return 1;
    }
    if (banner)
        serve_banner(o, host, gh_server_port(s), setup);
    close_ctx(&ctx);
    gh_job *job = NULL;
    if (gh_core_job_start(o->db, dormant_interval(o), &signin, &job) != GH_OK) {
        gh_log("error", "dormant_job_failed", NULL);
        gh_server_stop(s);
        gh_mailer_free(mail);
        gh_sso_env_free(sso);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", gh_server_port(s));
    char db[512];
    gh_db_describe_url(o->db, db, sizeof db); /* no password in the log */
    gh_log("info", "listening", "host", host, "port", port, "db", db, NULL);
    sd_notify(0, "READY=1"); /* systemd's Type=notify: migrated, listening, jobs running */
    int sig = 0;
    opts live = *o;
    signin_snapshot *kept = NULL;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        reload_opts(o, &live, &signin, s, job, &kept);
    sd_notify(0, "STOPPING=1");
    gh_log("info", "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    gh_core_job_stop(job);
    gh_server_stop(s);
    gh_mailer_free(mail); /* after the server: no request kicks it any more */
    gh_hooks_free(hooks);
    gh_sso_env_free(sso);
    free_snapshots(kept); /* after the server: no request reads them any more */
    sodium_memzero(secret_key, sizeof secret_key);
    if (live_fd >= 0)
        close(live_fd);
    gh_log("info", "stopped", NULL);
    return 0;
}

/* "1,2,3" as ids in a; false when any is not a positive number. */
static bool parse_id_list(gh_arena *a, const char *s, gh_ids *out)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    int64_t *v = gh_arena_alloc(a, n * sizeof *v);
    out->v = v;
    out->n = 0;
    while (*s != '\0') {
        char *end = NULL;
        long long id = strtoll(s, &end, 10);
        if (end == s || id <= 0 || (*end != ',' && *end != '\0'))
            return false;
        v[out->n++] = id;
        s = *end == ',' ? end + 1 : end;
    }
    return out->n > 0;
}

/* scim add: the client acts with --user's rights, so core checks them as for the API. */
static int cmd_scim_add(const opts *o)
{
    long long provider = parse_id(o->provider_id);
    if (o->name == NULL || o->user == NULL || provider <= 0)
        return usage();
    gh_ctx ctx;
    gh_principal sys, creator;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_scim_client in = {
        .name = o->name, .provider_id = provider, .access = {.level = GH_ACCESS_PROVIDER}};
    const char *acc = o->access != NULL ? o->access : "provider";
    bool ok = o->role_ids == NULL || parse_id_list(ctx.a, o->role_ids, &in.role_ids);
    if (ok && strcmp(acc, "all") == 0)
        in.access = (gh_access){.level = GH_ACCESS_ACCOUNT, .all = true};
    else if (ok && strcmp(acc, "provider") != 0) {
        in.access.level = GH_ACCESS_ACCOUNT;
        ok = parse_id_list(ctx.a, acc, &in.access.ids);
    }
    if (!ok) {
        fputs("gatehouse: --role-ids and --access take ids like 1,2 (--access also provider or "
              "all)\n",
              stderr);
        close_ctx(&ctx);
        return 2;
    }
    char *token = NULL;
    gh_scim_client out;
    gh_err err = gh_core_scim_creator(&ctx, o->user, &creator);
    if (err == GH_OK) {
        ctx.who = &creator;
        err = gh_core_scim_client_create(&ctx, &in, &token, &out);
    }
    int rc = report(&ctx, err);
    if (rc == 0) {
        printf("SCIM client %lld created. Its token, shown once:\n%s\n", (long long)out.id, token);
        sodium_memzero(token, strlen(token));
    }
    close_ctx(&ctx);
    return rc;
}

static int cmd_scim_list(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_scim_client *items = NULL;
    size_t n = 0;
    int64_t after = 0;
    gh_err err = GH_OK;
    printf("ID\tNAME\tPROVIDER\tCREATED BY\tCREATED\n");
    do {
        err = gh_core_scim_client_list(&ctx, 0, GH_PAGE_MAX, after, &items, &n);
        for (size_t i = 0; err == GH_OK && i < n; i++) {
            char created[32];
            gh_clock_format(items[i].created_at, created, sizeof created);
            printf("%lld\t%s\t%lld\t%s\t%s\n", (long long)items[i].id, items[i].name,
                   (long long)items[i].provider_id,
                   items[i].created_by_name ? items[i].created_by_name : "?", created);
            after = items[i].id;
        }
    } while (err == GH_OK && n == GH_PAGE_MAX);
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

static int cmd_scim_delete(const char *ref, const opts *o)
{
    return cmd_by_id(ref, o, gh_core_scim_client_revoke, "SCIM client", "revoked");
}

/* "a,b" split into names (in a); n 0 for an empty list. */
static const char **split_names(gh_arena *a, const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    const char **v = gh_arena_alloc(a, cap * sizeof *v);
    *n = 0;
    for (const char *p = s; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        v[(*n)++] = gh_arena_printf(a, "%.*s", (int)len, p);
        p = comma != NULL ? comma + 1 : p + len;
    }
    return v;
}

/* webhook add: the same core function as POST /api/v1/webhooks; the secret is sealed with the
 * server's secret key and printed once. */
static int cmd_webhook_add(const opts *o)
{
    gh_webhook_write in = {.url = o->url};
    if (o->url == NULL || o->events == NULL)
        return usage();
    if (sso_provider(o->provider_id, &in.provider_id, &in.provider_given) != 0) {
        fputs("gatehouse: --provider-id takes a service provider's id or platform\n", stderr);
        return 2;
    }
    gh_ctx ctx;
    gh_principal sys;
    int rc = open_ctx(o, &ctx, &sys);
    if (rc == 0 && (rc = load_secret_key(o)) != 0)
        close_ctx(&ctx);
    if (rc != 0)
        return rc;
    gh_signin_config signin = o->signin;
    signin.secret_key = secret_key;
    ctx.signin = &signin;
    in.events = split_names(ctx.a, o->events, &in.n_events);
    gh_webhook out;
    char *secret = NULL;
    rc = report(&ctx, gh_core_webhook_create(&ctx, &in, &out, &secret));
    if (rc == 0) {
        printf("webhook %lld created for %s. Its signing secret, shown once:\n%s\n",
               (long long)out.id, out.events, secret);
        sodium_memzero(secret, strlen(secret));
    }
    sodium_memzero(secret_key, sizeof secret_key);
    close_ctx(&ctx);
    return rc;
}

static int cmd_webhook_list(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_webhook *items = NULL;
    size_t n = 0;
    int64_t after = 0;
    gh_err err = GH_OK;
    printf("ID\tPROVIDER\tURL\tEVENTS\tCREATED\n");
    do {
        err = gh_core_webhook_list(&ctx, 0, GH_PAGE_MAX, after, &items, &n);
        for (size_t i = 0; err == GH_OK && i < n; i++) {
            char created[32];
            gh_clock_format(items[i].created_at, created, sizeof created);
            printf("%lld\t%lld\t%s\t%s\t%s\n", (long long)items[i].id,
                   (long long)items[i].provider_id, items[i].url, items[i].events, created);
            after = items[i].id;
        }
    } while (err == GH_OK && n == GH_PAGE_MAX);
    int rc = report(&ctx, err);
    close_ctx(&ctx);
    return rc;
}

static int cmd_webhook_delete(const char *ref, const opts *o)
{
    return cmd_by_id(ref, o, gh_core_webhook_delete, "webhook", "deleted");
}

/* dormant run: the dormant rules once, as the server's job runs them (core/dormant.c); a line
 * per user warned, disabled or kept (the last administrator), then the counts. */
static int cmd_dormant_run(const opts *o)
{
    gh_ctx ctx;
    gh_principal sys;
    if (open_ctx(o, &ctx, &sys) != 0)
        return 1;
    gh_dormant_report r;
    gh_err err = gh_core_dormant_run(&ctx, &r);
    int rc = report(&ctx, err);
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        gh_user u;
        const char *name =
            gh_core_user_get(&ctx, r.events[i].user_id, &u) == GH_OK ? u.username : "?";
        printf("%s\t%lld\t%s\tprovider %lld\n", r.events[i].what, (long long)r.events[i].user_id,
               name, (long long)r.events[i].provider_id);
    }
    if (rc == 0)
        printf("warned %lld, disabled %lld, kept %lld (the last administrator)\n",
               (long long)r.warned, (long long)r.disabled, (long long)r.kept);
    close_ctx(&ctx);
    return rc;
}

/* The log's format: --log-format (or GATEHOUSE_LOG_FORMAT), else text for a person at a
 * terminal and JSON lines for a machine. False for a name that is neither. */
static bool set_log_format(const opts *o)
{
    gh_log_format f = isatty(STDERR_FILENO) ? GH_LOG_TEXT : GH_LOG_JSON;
    if (o->log_format != NULL && !gh_log_parse_format(o->log_format, &f)) {
        fprintf(stderr, "gatehouse: --log-format takes json or text\n");
        return false;
    }
    gh_log_set_format(f);
    return true;
}

/* backup --to OUT: an online copy of the SQLite database, while servers go on. The secret key
 * is not in it: the command says where it is, to be kept with the copy (but apart from it). */
static int cmd_backup(const opts *o)
{
    if (o->to == NULL)
        return usage();
    char why[600] = "";
    gh_db_copy_info info;
    if (gh_db_backup(o->db, o->to, o->force, &info, why, sizeof why) != GH_OK) {
        fprintf(stderr, "gatehouse: backup: %s\n", why);
        return 1;
    }
    printf("copied %s to %s: %lld pages, %lld bytes, schema version %d, one consistent "
           "snapshot\n",
           o->db, o->to, info.pages, info.bytes, info.schema_version);
    printf("the secret key (%s%s, or --secret-key-file) is not in the copy: keep a copy of it "
           "too, apart from the backup\n",
           o->secret_key_file ? o->secret_key_file : o->db, o->secret_key_file ? "" : ".key");
    return 0;
}

/* restore --from IN: the database replaced by a checked backup, never under a running server. */
static int cmd_restore(const opts *o)
{
    if (o->from == NULL)
        return usage();
    char why[600] = "";
    gh_db_copy_info info;
    if (gh_db_restore(o->db, o->from, o->force, &info, why, sizeof why) != GH_OK) {
        fprintf(stderr, "gatehouse: restore: %s\n", why);
        return 1;
    }
    printf("restored %s from %s: %lld pages, %lld bytes, schema version %d (integrity ok)\n", o->db,
           o->from, info.pages, info.bytes, info.schema_version);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        gh_cli_print_version(stdout);
        return 0;
    }
    const char *cmd = argv[1], *sub = argc > 2 ? argv[2] : "";
    const char *pos = NULL;
    opts o;
    bool two_words = strcmp(cmd, "admin") == 0 || strcmp(cmd, "token") == 0 ||
                     strcmp(cmd, "user") == 0 || strcmp(cmd, "mail") == 0 ||
                     strcmp(cmd, "sso") == 0 || strcmp(cmd, "scim") == 0 ||
                     strcmp(cmd, "webhook") == 0 || strcmp(cmd, "dormant") == 0;
    serve_argc = argc;
    serve_argv = argv;
    serve_first = two_words ? 3 : 2;
    int prc = parse_opts(argc, argv, serve_first, &o, &pos);
    if (prc == 2)
        return usage();
    if (prc != 0) {
        fprintf(stderr, "gatehouse: %s\n", opt_error);
        return 2;
    }
    if (!set_log_format(&o))
        return 2;
    if (gh_auth_init() != GH_OK || gh_smtp_init() != GH_OK)
        return 1;
    o.signin = signin_policy(&o);
    if (strcmp(cmd, "mail") == 0 && strcmp(sub, "test") == 0)
        return cmd_mail_test(&o);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&o); /* it checks its address before it uses a test clock */
    if (o.clock_file != NULL) /* the commands a test runs against a server with a test clock */
        gh_clock_use_file(o.clock_file);
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
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(&o);
    if (strcmp(cmd, "restore") == 0)
        return cmd_restore(&o);
    if (strcmp(cmd, "admin") == 0 && strcmp(sub, "create") == 0)
        return cmd_admin_create(&o);
    if (strcmp(cmd, "token") == 0 && strcmp(sub, "create") == 0)
        return cmd_token_create(&o);
    if (strcmp(cmd, "token") == 0 && strcmp(sub, "list") == 0)
        return cmd_token_list(&o);
    if (strcmp(cmd, "token") == 0 && strcmp(sub, "revoke") == 0)
        return cmd_token_revoke(pos, &o);
    if (strcmp(cmd, "user") == 0 && strcmp(sub, "import") == 0 && pos != NULL)
        return cmd_user_import(pos, &o);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(sub, pos, &o);
    if (strcmp(cmd, "sso") == 0 && strcmp(sub, "add") == 0)
        return cmd_sso_add(&o);
    if (strcmp(cmd, "sso") == 0 && strcmp(sub, "list") == 0)
        return cmd_sso_list(&o);
    if (strcmp(cmd, "sso") == 0 && strcmp(sub, "delete") == 0)
        return cmd_sso_delete(pos, &o);
    if (strcmp(cmd, "sso") == 0 && strcmp(sub, "test") == 0)
        return cmd_sso_test(pos, &o);
    if (strcmp(cmd, "scim") == 0 && strcmp(sub, "add") == 0)
        return cmd_scim_add(&o);
    if (strcmp(cmd, "scim") == 0 && strcmp(sub, "list") == 0)
        return cmd_scim_list(&o);
    if (strcmp(cmd, "scim") == 0 && strcmp(sub, "delete") == 0)
        return cmd_scim_delete(pos, &o);
    if (strcmp(cmd, "dormant") == 0 && strcmp(sub, "run") == 0)
        return cmd_dormant_run(&o);
    if (strcmp(cmd, "webhook") == 0 && strcmp(sub, "add") == 0)
        return cmd_webhook_add(&o);
    if (strcmp(cmd, "webhook") == 0 && strcmp(sub, "list") == 0)
        return cmd_webhook_list(&o);
    if (strcmp(cmd, "webhook") == 0 && strcmp(sub, "delete") == 0)
        return cmd_webhook_delete(pos, &o);
    return usage();
}
