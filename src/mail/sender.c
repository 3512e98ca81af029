/* See mail.h. */
#include "mail/mail.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "mail/mime.h"
#include "mail/templates.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define POLL_MS        1000 /* without a kick, look for due messages this often */
#define SMTP_ERR_CHARS 512

/* The sender: its own copies of the configuration, the thread and its wake-up. The site is set
 * once, before the thread starts; mu guards it for the request threads that build links. */
struct gh_mailer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stopping, kicked;
    gh_mail_config cfg; /* its strings point into own */
    struct {
        char *db_url, *smtp_url, *smtp_user, *smtp_password, *from, *external_url;
    } own; /* the copies (strdup) the sender owns */
};

int64_t gh_mail_backoff(int64_t base_s, int64_t attempts)
{
    int64_t d = base_s > 0 ? base_s : GH_MAIL_RETRY_BASE_S;
    for (int64_t i = 1; i < attempts && d < GH_MAIL_RETRY_MAX_S; i++)
        d *= 2;
    return d < GH_MAIL_RETRY_MAX_S ? d : GH_MAIL_RETRY_MAX_S;
}

static const char *link_path(gh_link_purpose purpose)
{
    switch (purpose) {
    case GH_LINK_SETUP:
        return "/setup/";
    case GH_LINK_PASSWORD_RESET:
        return "/reset/";
    default:
        return "/onboarding/";
    }
}

char *gh_mail_link(gh_mailer *m, gh_arena *a, gh_link_purpose purpose, const char *token)
{
    if (m == NULL)
        return gh_arena_printf(a, "%s%s", link_path(purpose), token);
    pthread_mutex_lock(&m->mu);
    const char *site = m->cfg.external_url != NULL ? m->cfg.external_url : "";
    char *url = gh_arena_printf(a, "%s%s%s", site, link_path(purpose), token);
    pthread_mutex_unlock(&m->mu);
    return url;
}

gh_err gh_mail_compose(gh_arena *a, const gh_mail_config *c, const gh_mail *m, const char *token,
                       int64_t now, char **out)
{
    const char *from_name = NULL, *from_addr = NULL;
    if (gh_mail_parse_mailbox(a, c->from ? c->from : GH_MAIL_DEFAULT_FROM, &from_name,
                              &from_addr) != GH_OK)
        return GH_EINVAL;
    const char *site = c->external_url ? c->external_url : "";
    gh_mail_vars v = {
        .name = m->to_name != NULL && m->to_name[0] != '\0' ? m->to_name : m->username,
        .username = m->username,
        .link = token != NULL && m->link_id != 0
                    ? gh_arena_printf(a, "%s%s%s", site, link_path(m->link_purpose), token)
                    : "",
        .validity = m->link_ttl > 0 ? gh_mail_validity(a, m->language, m->link_ttl) : "",
        .site = site,
    };
    const char *kind = m->kind;
    if (m->sso_source != NULL && strcmp(kind, "onboarding") == 0) { /* SSO only: no password */
        kind = "onboarding_sso";
        v.link = gh_arena_printf(a, "%s/sso/%s/start", site, m->sso_source);
        v.sso = m->sso_display_name;
    }
    if (m->dormant_at > 0) {
        time_t t = (time_t)m->dormant_at;
        struct tm tm;
        char day[16] = "";
        if (gmtime_r(&t, &tm) != NULL)
            strftime(day, sizeof day, "%Y-%m-%d", &tm);
        v.date = gh_arena_strdup(a, day);
        v.days = gh_arena_printf(a, "%lld", (long long)m->dormant_days);
    }
    gh_mail_rendered r;
    gh_err err = gh_mail_render(a, kind, m->language ? m->language : "en", &v, &r);
    if (err != GH_OK)
        return err;
    gh_mime_message msg = {.from_name = from_name,
                           .from_addr = from_addr,
                           .to_name = m->to_name,
                           .to_addr = m->to_addr,
                           .subject = r.subject,
                           .text = r.text,
                           .html = r.html,
                           .date = now};
    return gh_mime_build(a, &msg, out);
}

/* An audit row by the system about a message of user m->user_id. */
static gh_err audit_mail(gh_db *db, gh_arena *a, const gh_mail *m, gh_audit_action action,
                         const char *error, int64_t now)
{
    gh_audit_entry e = {.at = now,
                        .actor = "system",
                        .action = gh_audit_action_name(action),
                        .target_type = "user",
                        .target_id = m->user_id,
                        .target_user_id = m->user_id,
                        .provider_id = m->provider_id,
                        .outcome = action != GH_ACT_MAIL_FAILED ? "success" : "failure",
                        .ip = "",
                        .request_id = "mail"};
    return gh_audit_record(db, a, &e, GH_AUDIT_NOTHING,
                           GH_AUDIT_DETAIL_OF(.message_id = GH_AUDIT_INT(m->id), .kind = m->kind,
                                              .attempts = GH_AUDIT_INT(m->attempts),
                                              .error = error));
}

/* Claims a due message and, when it carries a link, mints the token for this attempt (into
 * token). *cancelled is set when the link was voided or used meanwhile. */
static gh_err claim(gh_db *db, gh_arena *a, int64_t now, gh_mail *m, char *token, bool *cancelled)
{
    char hash[GH_TOKEN_HASH_CHARS];
    gh_err err = gh_db_begin(db);
    if (err != GH_OK)
        return err;
    err = gh_store_mail_claim(db, a, now, GH_MAIL_LEASE_S, m);
    if (err == GH_OK && m->link_id != 0) {
        gh_token_new(token, hash);
        err = gh_store_link_mint(db, m->link_id, hash, now);
        if (err == GH_ENOTFOUND) {
            *cancelled = true;
            err = gh_store_mail_finish(db, m->id, GH_MAIL_CANCELLED, "superseded by a newer link",
                                       0, now);
        }
    }
    if (err != GH_OK) {
        gh_db_rollback(db);
        return err;
    }
    return gh_db_commit(db);
}

/* Records the outcome of an attempt. */
static gh_err record(gh_db *db, gh_arena *a, const gh_mail_config *c, const gh_mail *m, bool ok,
                     bool permanent, const char *error)
{
    int64_t now = gh_clock_now();
    int max = c->max_attempts > 0 ? c->max_attempts : GH_MAIL_MAX_ATTEMPTS;
    bool failed = !ok && (permanent || m->attempts >= max);
    if (!ok)
        gh_metric_add(GH_M_DELIVERY_FAILURES, 1, GH_LABELS("mail", failed ? "failed" : "retry"));
    gh_err err = gh_db_begin(db);
    if (err != GH_OK)
        return err;
    if (ok) {
        err = gh_store_mail_finish(db, m->id, GH_MAIL_SENT, NULL, 0, now);
        if (err == GH_OK && m->link_id != 0)
            err = gh_store_link_sent(db, m->id, now);
        if (err == GH_OK)
            err = audit_mail(db, a, m, GH_ACT_MAIL_SENT, NULL, now);
        if (err == GH_OK && strcmp(m->kind, "onboarding") == 0)
            err = audit_mail(db, a, m, GH_ACT_ONBOARDING_SENT, NULL, now);
    } else if (failed) {
        err = gh_store_mail_finish(db, m->id, GH_MAIL_FAILED, error, 0, now);
        if (err == GH_OK)
            err = audit_mail(db, a, m, GH_ACT_MAIL_FAILED, error, now);
    } else {
        err = gh_store_mail_finish(db, m->id, GH_MAIL_QUEUED, error,
                                   now + gh_mail_backoff(c->retry_base_s, m->attempts), now);
    }
    if (err != GH_OK) {
        gh_db_rollback(db);
        return err;
    }
    return gh_db_commit(db);
}

static void log_outcome(const gh_mail *m, gh_arena *a, bool ok, const char *smtp)
{
    gh_log(ok ? "info" : "warn", ok ? "mail_sent" : "mail_attempt_failed", "message_id",
           gh_arena_printf(a, "%lld", (long long)m->id), "kind", m->kind, "attempt",
           gh_arena_printf(a, "%lld", (long long)m->attempts), "smtp", smtp, NULL);
}

gh_err gh_mail_deliver_one(gh_db *db, const gh_mail_config *c, bool *did)
{
    gh_arena *a = gh_arena_new();
    char token[GH_TOKEN_CHARS] = "", smtp_err[SMTP_ERR_CHARS] = "";
    const char *from_name = NULL, *from_addr = NULL;
    bool cancelled = false;
    char *msg = NULL;
    gh_mail m;
    bool permanent = false, ok = false;
    gh_err err = claim(db, a, gh_clock_now(), &m, token, &cancelled);
    *did = err == GH_OK;
    if (err == GH_ENOTFOUND)
        err = GH_OK;
    if (err != GH_OK || !*did || cancelled)
        goto out;
    if (gh_mail_compose(a, c, &m, token[0] ? token : NULL, gh_clock_now(), &msg) != GH_OK ||
        gh_mail_parse_mailbox(a, c->from ? c->from : GH_MAIL_DEFAULT_FROM, &from_name,
                              &from_addr) != GH_OK) {
        permanent = true; /* I4: a header value with CR/LF is never sent, nor retried */
        snprintf(smtp_err, sizeof smtp_err, "refused before sending: unsafe header value");
    } else {
        ok = gh_smtp_send(&c->smtp, from_addr, m.to_addr, msg, smtp_err, sizeof smtp_err,
                          &permanent) == GH_OK;
    }
    log_outcome(&m, a, ok, smtp_err);
    err = record(db, a, c, &m, ok, permanent, ok ? NULL : smtp_err);
out:
    if (msg != NULL)
        sodium_memzero(msg, strlen(msg)); /* it holds the link */
    sodium_memzero(token, sizeof token);
    gh_arena_free(a);
    return err;
}

static void wait_for_work(gh_mailer *m)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POLL_MS / 1000;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping && !m->kicked)
        if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0)
            break;
    m->kicked = false;
    pthread_mutex_unlock(&m->mu);
}

static bool stopping(gh_mailer *m)
{
    pthread_mutex_lock(&m->mu);
    bool s = m->stopping;
    pthread_mutex_unlock(&m->mu);
    return s;
}

static void *run(void *arg)
{
    gh_mailer *m = arg;
    gh_db *db = NULL;
    while (!stopping(m)) {
        bool did = false;
        if (db == NULL && gh_db_open(m->cfg.db_url, &db) != GH_OK)
            db = NULL;
        gh_err err = db != NULL ? gh_mail_deliver_one(db, &m->cfg, &did) : GH_EDB;
        if (err != GH_OK)
            gh_log("error", "mail_sender_error", "detail", gh_err_str(err), NULL);
        if (!did || err != GH_OK)
            wait_for_work(m);
    }
    gh_db_close(db);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Links and messages name the site without a trailing slash. */
static char *site_dup(const char *site)
{
    char *s = dup_or_null(site);
    for (size_t n = s != NULL ? strlen(s) : 0; n > 0 && s[n - 1] == '/';)
        s[--n] = '\0';
    return s;
}

static gh_err check_config(const gh_mail_config *c)
{
    gh_arena *a = gh_arena_new();
    const char *name, *addr, *curl_url;
    gh_smtp_tls tls;
    gh_err err = GH_EINVAL;
    if (gh_mail_parse_mailbox(a, c->from ? c->from : GH_MAIL_DEFAULT_FROM, &name, &addr) != GH_OK)
        gh_log("error", "bad_mail_from", "detail", "--mail-from takes ADDR or \"Name <ADDR>\"",
               NULL);
    else if (gh_smtp_url_parse(a, c->smtp.url, &curl_url, &tls) != GH_OK)
        gh_log("error", "bad_smtp_url", "detail",
               "--smtp-url takes smtp://HOST:PORT[?starttls=required|try] or smtps://HOST:PORT",
               NULL);
    else
        err = GH_OK;
    gh_arena_free(a);
    return err;
}

gh_err gh_mailer_new(const gh_mail_config *c, gh_mailer **out)
{
    if (c->smtp.url != NULL && check_config(c) != GH_OK)
        return GH_EINVAL;
    gh_mailer *m = calloc(1, sizeof *m);
    if (m == NULL)
        return GH_ENOMEM;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->cfg = *c;
    m->cfg.db_url = m->own.db_url = dup_or_null(c->db_url);
    m->cfg.smtp.url = m->own.smtp_url = dup_or_null(c->smtp.url);
    m->cfg.smtp.user = m->own.smtp_user = dup_or_null(c->smtp.user);
    m->cfg.smtp.password = m->own.smtp_password = dup_or_null(c->smtp.password);
    m->cfg.from = m->own.from = dup_or_null(c->from);
    m->cfg.external_url = m->own.external_url = site_dup(c->external_url);
    *out = m;
    return GH_OK;
}

gh_err gh_mailer_start(gh_mailer *m, const char *site)
{
    if (m->running)
        return GH_EINTERNAL;
    pthread_mutex_lock(&m->mu);
    if (m->own.external_url == NULL && site != NULL)
        m->cfg.external_url = m->own.external_url = site_dup(site);
    pthread_mutex_unlock(&m->mu);
    if (m->cfg.smtp.url == NULL)
        return GH_OK;
    if (pthread_create(&m->thread, NULL, run, m) != 0)
        return GH_EINTERNAL;
    m->running = true;
    return GH_OK;
}

void gh_mailer_free(gh_mailer *m)
{
    if (m == NULL)
        return;
    if (m->running) {
        pthread_mutex_lock(&m->mu);
        m->stopping = true;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    if (m->own.smtp_password != NULL)
        sodium_memzero(m->own.smtp_password, strlen(m->own.smtp_password));
    free(m->own.db_url);
    free(m->own.smtp_url);
    free(m->own.smtp_user);
    free(m->own.smtp_password);
    free(m->own.from);
    free(m->own.external_url);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void gh_mail_kick(gh_mailer *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    m->kicked = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

gh_err gh_mail_send_test(const gh_mail_config *c, const char *to, char *result, size_t cap)
{
    gh_arena *a = gh_arena_new();
    const char *from_name = NULL, *from_addr = NULL;
    char *msg = NULL;
    bool permanent = false;
    gh_mail m = {.kind = "test", .to_addr = to, .to_name = "", .username = "", .language = "en"};
    gh_err err = GH_EINVAL;
    if (!gh_mail_address_ok(to))
        snprintf(result, cap, "not a valid e-mail address: refused before sending");
    else if (gh_mail_parse_mailbox(a, c->from ? c->from : GH_MAIL_DEFAULT_FROM, &from_name,
                                   &from_addr) != GH_OK)
        snprintf(result, cap, "--mail-from takes ADDR or \"Name <ADDR>\"");
    else if (gh_mail_compose(a, c, &m, NULL, gh_clock_now(), &msg) != GH_OK)
        snprintf(result, cap, "could not build the message");
    else
        err = gh_smtp_send(&c->smtp, from_addr, to, msg, result, cap, &permanent);
    gh_arena_free(a);
    return err;
}
