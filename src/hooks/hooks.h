/* The webhook sender (issue 16): a thread that claims due deliveries (the rows core writes in the
 * transaction of each change, store/webhooks.c), POSTs them signed as Standard Webhooks say, and
 * records each attempt, retrying with backoff. With several instances on one PostgreSQL database
 * a row is claimed by one sender only (FOR UPDATE SKIP LOCKED and a lease), so each event goes
 * out once (twice only when an instance dies during an attempt: the lease then runs out).
 *
 * Outbound calls follow oidc/'s policy (SECURITY I13, gh_oidc_net): https only, no redirect
 * followed (a 3xx is a failed attempt), timeouts, and the address connected to checked before the
 * socket opens; allow_loopback (--webhooks-allow-loopback) lets loopback and private targets in,
 * and plain http to a loopback host. Nothing secret is logged (L3): the log names the delivery,
 * its status and the error only. */
#ifndef GH_HOOKS_HOOKS_H
#define GH_HOOKS_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "oidc/oidc.h"
#include "util/err.h"

#define GH_HOOKS_LEASE_S      60 /* a claimed row waits this long before another may take it */
#define GH_HOOKS_MAX_ATTEMPTS 6  /* then the delivery is failed */
#define GH_HOOKS_ERR_CHARS    256

typedef struct gh_hooks_config {
    const char *db_url;
    const unsigned char *secret_key; /* GH_SECRET_KEY_BYTES: opens the sealed secrets; copied */
    gh_oidc_net net;
} gh_hooks_config;

typedef struct gh_hooks gh_hooks;

/* Seconds before the attempt after attempts failed ones: 30 s, 2 min, 10 min, 1 h, 6 h. */
int64_t gh_hooks_backoff(int64_t attempts);

/* The signature header's value for (id, timestamp, body) under secret ("whsec_" and base64), in
 * out (cap bytes): "v1," and the base64 of HMAC-SHA256(key, id "." timestamp "." body), key
 * being the decoded secret. GH_EINVAL for a malformed secret or a short out. Thread-safe. */
gh_err gh_hooks_sign(const char *secret, const char *id, int64_t timestamp, const char *body,
                     char *out, size_t cap) GH_MUST_USE;

/* Claims one due delivery and attempts it; *did says whether there was one. GH_OK when the
 * attempt was recorded, whatever its outcome. */
gh_err gh_hooks_deliver_one(gh_db *db, const gh_hooks_config *c, bool *did) GH_MUST_USE;

/* The sender, not started; it copies c. gh_hooks_free(NULL) is a no-op; free stops the thread. */
gh_err gh_hooks_new(const gh_hooks_config *c, gh_hooks **out) GH_MUST_USE;
gh_err gh_hooks_start(gh_hooks *h) GH_MUST_USE;
void gh_hooks_free(gh_hooks *h);
/* Wakes the sender: a delivery was queued. NULL: no-op. Thread-safe. */
void gh_hooks_kick(gh_hooks *h);

#endif
