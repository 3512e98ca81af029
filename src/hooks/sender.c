/* See hooks.h. */
#include "hooks/hooks.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/totp.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define POLL_MS      1000 /* without a kick, look for due deliveries this often */
#define SECRET_MAX   128  /* a secret's text, "whsec_" included */
#define SIG_CHARS    64   /* "v1," and the base64 of 32 bytes */
#define HEADER_CHARS 160

struct gh_hooks {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stopping, kicked, has_key;
    gh_hooks_config cfg; /* db_url and secret_key point into the copies below */
    char *db_url;
    unsigned char key[GH_SECRET_KEY_BYTES];
};

int64_t gh_hooks_backoff(int64_t attempts)
{
    static const int64_t delays[] = {30, 120, 600, 3600, 21600};
    size_t n = sizeof delays / sizeof delays[0];
    size_t i = attempts < 1 ? 0 : (size_t)attempts - 1;
    return delays[i < n ? i : n - 1];
}

gh_err gh_hooks_sign(const char *secret, const char *id, int64_t timestamp, const char *body,
                     char *out, size_t cap)
{
    unsigned char key[96], mac[crypto_auth_hmacsha256_BYTES];
    size_t key_len = 0;
    char ts[24];
    crypto_auth_hmacsha256_state st;
    if (strncmp(secret, "whsec_", 6) != 0 ||
        sodium_base642bin(key, sizeof key, secret + 6, strlen(secret + 6), NULL, &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        key_len == 0 ||
        cap < 3 + sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_ORIGINAL))
        return GH_EINVAL;
    snprintf(ts, sizeof ts, "%lld", (long long)timestamp);
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, cap - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    return GH_OK;
}

/* Claims a due delivery in its own transaction. */
static gh_err claim(gh_db *db, gh_arena *a, gh_webhook_delivery *d, const char **url,
                    const char **sealed)
{
    gh_err err = gh_db_begin(db);
    if (err != GH_OK)
        return err;
    err = gh_store_delivery_claim(db, a, gh_clock_now(), GH_HOOKS_LEASE_S, d, url, sealed);
    if (err != GH_OK) {
        gh_db_rollback(db);
        return err;
    }
    return gh_db_commit(db);
}

/* Records the attempt: sent on a 2xx; else queued again after the backoff, or failed when it
 * was the last attempt or cannot succeed (permanent). */
static gh_err record(gh_db *db, const gh_webhook_delivery *d, long status, bool permanent,
                     const char *error)
{
    int64_t now = gh_clock_now();
    bool ok = error == NULL;
    gh_mail_state state = ok                                                  ? GH_MAIL_SENT
                          : permanent || d->attempts >= GH_HOOKS_MAX_ATTEMPTS ? GH_MAIL_FAILED
                                                                              : GH_MAIL_QUEUED;
    int64_t next = state == GH_MAIL_QUEUED ? now + gh_hooks_backoff(d->attempts) : 0;
    if (!ok)
        gh_metric_add(GH_M_DELIVERY_FAILURES, 1,
                      GH_LABELS("webhooks", state == GH_MAIL_FAILED ? "failed" : "retry"));
    gh_err err = gh_db_begin(db);
    if (err != GH_OK)
        return err;
    err = gh_store_delivery_finish(db, d->id, state, status, error, next, now);
    if (err == GH_ENOTFOUND) /* its subscription was deleted meanwhile: nothing to record */
        err = GH_OK;
    if (err != GH_OK) {
        gh_db_rollback(db);
        return err;
    }
    return gh_db_commit(db);
}

/* Signs and POSTs d; *status and error (empty: success) say how it went. */
static void attempt(const gh_hooks_config *c, const gh_webhook_delivery *d, const char *url,
                    const char *sealed, long *status, bool *permanent, char *error, size_t cap)
{
    char secret[SECRET_MAX + 1], sig[SIG_CHARS], id[40];
    char h_id[HEADER_CHARS], h_ts[HEADER_CHARS], h_sig[HEADER_CHARS];
    size_t n = 0;
    int64_t ts = gh_clock_now();
    *permanent = true;
    if (c->secret_key == NULL ||
        gh_unseal(c->secret_key, sealed, (unsigned char *)secret, SECRET_MAX, &n) != GH_OK) {
        snprintf(error, cap, "the secret cannot be opened with this server's secret key");
        return;
    }
    secret[n] = '\0';
    snprintf(id, sizeof id, "msg_%lld", (long long)d->id);
    gh_err err = gh_hooks_sign(secret, id, ts, d->payload, sig, sizeof sig);
    sodium_memzero(secret, sizeof secret);
    if (err != GH_OK) {
        snprintf(error, cap, "the stored secret is malformed");
        return;
    }
    snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *headers[] = {h_id, h_ts, h_sig};
    err =
        gh_oidc_post(&c->net, url, headers, 3, d->payload, strlen(d->payload), status, error, cap);
    *permanent = err == GH_EINVAL; /* the URL fails the policy: no retry can pass it */
    if (err == GH_OK && *status >= 200 && *status < 300)
        error[0] = '\0';
    else if (err == GH_OK && *status >= 300 && *status < 400)
        snprintf(error, cap, "redirect (HTTP %ld) not followed", *status);
    else if (err == GH_OK)
        snprintf(error, cap, "HTTP %ld", *status);
}

gh_err gh_hooks_deliver_one(gh_db *db, const gh_hooks_config *c, bool *did)
{
    gh_arena *a = gh_arena_new();
    gh_webhook_delivery d;
    const char *url = NULL, *sealed = NULL;
    char error[GH_HOOKS_ERR_CHARS] = "";
    long status = 0;
    bool permanent = false;
    gh_err err = claim(db, a, &d, &url, &sealed);
    *did = err == GH_OK;
    if (err == GH_ENOTFOUND)
        err = GH_OK;
    if (err != GH_OK || !*did)
        goto out;
    attempt(c, &d, url, sealed, &status, &permanent, error, sizeof error);
    char sid[24], sst[16], sat[16];
    snprintf(sid, sizeof sid, "%lld", (long long)d.id);
    snprintf(sst, sizeof sst, "%ld", status);
    snprintf(sat, sizeof sat, "%lld", (long long)d.attempts);
    gh_log(error[0] ? "warn" : "info", error[0] ? "webhook_attempt_failed" : "webhook_sent",
           "delivery_id", sid, "webhook_event", d.event, "attempt", sat, "status", sst, "error",
           error, NULL);
    err = record(db, &d, status, permanent, error[0] ? error : NULL);
out:
    gh_arena_free(a);
    return err;
}

static void wait_for_work(gh_hooks *h)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POLL_MS / 1000;
    pthread_mutex_lock(&h->mu);
    while (!h->stopping && !h->kicked)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) != 0)
            break;
    h->kicked = false;
    pthread_mutex_unlock(&h->mu);
}

static bool stopping(gh_hooks *h)
{
    pthread_mutex_lock(&h->mu);
    bool s = h->stopping;
    pthread_mutex_unlock(&h->mu);
    return s;
}

static void *run(void *arg)
{
    gh_hooks *h = arg;
    gh_db *db = NULL;
    while (!stopping(h)) {
        bool did = false;
        if (db == NULL && gh_db_open(h->cfg.db_url, &db) != GH_OK)
            db = NULL;
        gh_err err = db != NULL ? gh_hooks_deliver_one(db, &h->cfg, &did) : GH_EDB;
        if (err != GH_OK)
            gh_log("error", "webhook_sender_error", "detail", gh_err_str(err), NULL);
        if (!did || err != GH_OK)
            wait_for_work(h);
    }
    gh_db_close(db);
    return NULL;
}

gh_err gh_hooks_new(const gh_hooks_config *c, gh_hooks **out)
{
    gh_hooks *h = calloc(1, sizeof *h);
    if (h == NULL)
        return GH_ENOMEM;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->cfg = *c;
    h->db_url = c->db_url != NULL ? strdup(c->db_url) : NULL;
    h->cfg.db_url = h->db_url;
    h->cfg.secret_key = NULL;
    if (c->secret_key != NULL) {
        memcpy(h->key, c->secret_key, sizeof h->key);
        h->cfg.secret_key = h->key;
    }
    *out = h;
    return GH_OK;
}

gh_err gh_hooks_start(gh_hooks *h)
{
    if (h->running)
        return GH_EINTERNAL;
    if (pthread_create(&h->thread, NULL, run, h) != 0)
        return GH_EINTERNAL;
    h->running = true;
    return GH_OK;
}

void gh_hooks_free(gh_hooks *h)
{
    if (h == NULL)
        return;
    if (h->running) {
        pthread_mutex_lock(&h->mu);
        h->stopping = true;
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->thread, NULL);
    }
    sodium_memzero(h->key, sizeof h->key);
    free(h->db_url);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void gh_hooks_kick(gh_hooks *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->mu);
    h->kicked = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}
