/* Webhook subscriptions (issue 16, C10): who manages them, what a URL and an event list may be,
 * the secret made here and sealed, and gh_core_emit, which writes one delivery per matching
 * subscription in the transaction of the change it reports. The sending is hooks/'s. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/totp.h"
#include "core/internal.h"
#include "core/signin.h"
#include "hooks/hooks.h"
#include "oidc/oidc.h"
#include "util/clock.h"

#define NOT_FOUND "no such webhook"

#define EVENT_NAME(n) n,
static const char *const events[] = {GH_WEBHOOK_EVENTS(EVENT_NAME)};
#undef EVENT_NAME
#define N_EVENTS (sizeof events / sizeof events[0])

static int event_index(const char *e)
{
    for (size_t i = 0; i < N_EVENTS; i++)
        if (strcmp(events[i], e) == 0)
            return (int)i;
    return -1;
}

/* The events of in as the stored list (in the order of GH_WEBHOOK_EVENTS, each once). */
static gh_err event_list(gh_ctx *ctx, const gh_webhook_write *in, const char **out)
{
    bool on[N_EVENTS] = {false};
    size_t len = 1;
    if (in->n_events == 0)
        return gh_fail(ctx, GH_EINVAL, "events", "required", "select at least one event");
    for (size_t i = 0; i < in->n_events; i++) {
        int k = event_index(in->events[i]);
        if (k < 0)
            return gh_fail(ctx, GH_EINVAL, "events", "invalid",
                           "use user.created, user.updated, user.disabled, user.enabled, "
                           "user.deleted, user.banned, user.unbanned or user.signed_in");
        on[k] = true;
    }
    for (size_t i = 0; i < N_EVENTS; i++)
        len += strlen(events[i]) + 1;
    char *s = gh_arena_alloc(ctx->a, len), *p = s;
    for (size_t i = 0; i < N_EVENTS; i++)
        if (on[i])
            p += sprintf(p, "%s%s", p == s ? "" : ",", events[i]);
    *out = s;
    return GH_OK;
}

static gh_err check_url(gh_ctx *ctx, const char *url)
{
    char reason[96];
    if (url == NULL || strlen(url) > GH_WEBHOOK_URL_MAX)
        return gh_fail(ctx, GH_EINVAL, "url", url == NULL ? "required" : "too_long",
                       "enter the receiver's URL (at most 2048 bytes)");
    /* stored when it could be reached; whether this server may call a loopback or private
     * address is the sender's setting, checked at each delivery (SECURITY I13) */
    if (gh_oidc_check_target(&(gh_oidc_net){.allow_loopback = true}, url, reason, sizeof reason) !=
        GH_OK)
        return gh_fail(ctx, GH_EINVAL, "url", "invalid",
                       gh_arena_printf(ctx->a,
                                       "enter an https URL without user name or fragment (http "
                                       "only on a loopback host): %s",
                                       reason));
    return GH_OK;
}

/* A new secret (arena) and its sealed form. */
static gh_err new_secret(gh_ctx *ctx, char **secret, const char **sealed)
{
    const gh_signin_config *cfg = gh_signin_config_of(ctx);
    unsigned char raw[GH_WEBHOOK_SECRET_BYTES];
    char b64[sodium_base64_ENCODED_LEN(GH_WEBHOOK_SECRET_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    if (cfg->secret_key == NULL)
        return gh_fail(ctx, GH_EINTERNAL, NULL, NULL,
                       "no secret key is configured: webhook secrets are sealed with it");
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    char *s = gh_arena_printf(ctx->a, "whsec_%s", b64);
    *sealed = gh_seal(ctx->a, cfg->secret_key, (const unsigned char *)s, strlen(s));
    *secret = s;
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(b64, sizeof b64);
    return *sealed != NULL ? GH_OK : GH_ENOMEM;
}

static gh_err create_tx(gh_ctx *ctx, const gh_webhook_write *in, gh_webhook *out, char **secret)
{
    gh_webhook w = {
        .url = in->url, .enabled = true, .created_by = ctx->who->user_id, .created_at = ctx->now};
    gh_err err =
        gh_core_bind_provider(ctx, in->provider_given, in->provider_id, "webhooks", &w.provider_id);
    int64_t count = 0;
    if (err == GH_OK && (err = gh_store_webhook_count(ctx->db, w.provider_id, &count)) == GH_OK &&
        count >= GH_WEBHOOK_PER_PROVIDER)
        err = gh_fail(ctx, GH_ECONFLICT, NULL, NULL,
                      "this service provider has as many webhooks as it may (20): delete one "
                      "first");
    if (err == GH_OK)
        err = check_url(ctx, in->url);
    if (err == GH_OK)
        err = event_list(ctx, in, &w.events);
    if (err == GH_OK)
        err = new_secret(ctx, secret, &w.secret_sealed);
    if (err == GH_OK)
        err = gh_store_webhook_insert(ctx->db, &w, &w.id);
    if (err == GH_OK)
        err = gh_store_webhook_get(ctx->db, ctx->a, w.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_WEBHOOK_CREATE, "webhook", w.id, 0, w.provider_id,
                            GH_AUDIT_NOTHING,
                            GH_AUDIT_DETAIL_OF(.url = out->url, .events = out->events));
    return err;
}

gh_err gh_core_webhook_create(gh_ctx *ctx, const gh_webhook_write *in, gh_webhook *out,
                              char **secret)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, create_tx(ctx, in, out, secret));
}

/* The subscription if ctx->who sees it (C10); every other answers like a missing id. */
gh_err gh_core_webhook_get(gh_ctx *ctx, int64_t id, gh_webhook *out)
{
    gh_webhook w;
    gh_err err = gh_store_webhook_get(ctx->db, ctx->a, id, &w);
    if (err == GH_OK && !gh_core_manages_provider(ctx->who, w.provider_id))
        err = GH_ENOTFOUND;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, NOT_FOUND);
    if (err == GH_OK)
        *out = w;
    return err;
}

gh_err gh_core_webhook_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                            gh_webhook **items, size_t *n)
{
    const gh_principal *who = ctx->who;
    if (who->access.level == GH_ACCESS_PROVIDER && provider_id == 0)
        provider_id = who->provider_id;
    if (who->access.level != GH_ACCESS_PLATFORM &&
        (provider_id <= 0 || !gh_core_manages_provider(who, provider_id))) {
        *items = NULL;
        *n = 0;
        return GH_OK; /* nothing it may see */
    }
    /* the store's filter: -1 every provider's, 0 the platform's, else that provider's */
    int64_t filter = provider_id == 0 ? -1 : provider_id == -1 ? 0 : provider_id;
    return gh_store_webhook_list(ctx->db, ctx->a, filter, limit, after_id, items, n);
}

static gh_err update_tx(gh_ctx *ctx, int64_t id, const gh_webhook_write *in, gh_webhook *out)
{
    gh_webhook cur, w;
    gh_err err = gh_core_webhook_get(ctx, id, &cur);
    if (err != GH_OK)
        return err;
    w = cur;
    if (in->provider_given && in->provider_id != cur.provider_id)
        return gh_fail(ctx, GH_EINVAL, "provider_id", "immutable",
                       "a webhook's provider cannot change");
    if (in->url != NULL && (err = check_url(ctx, in->url)) == GH_OK)
        w.url = in->url;
    if (err == GH_OK && in->events_given)
        err = event_list(ctx, in, &w.events);
    if (err != GH_OK)
        return err;
    if (in->enabled_given)
        w.enabled = in->enabled;
    err = gh_store_webhook_update(ctx->db, &w);
    if (err == GH_OK)
        err = gh_store_webhook_get(ctx->db, ctx->a, id, out);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_WEBHOOK_UPDATE, "webhook", id, 0, cur.provider_id,
            GH_AUDIT_DETAIL_OF(.url = cur.url, .events = cur.events,
                               .enabled = cur.enabled ? GH_AUDIT_TRUE : GH_AUDIT_FALSE),
            GH_AUDIT_DETAIL_OF(.url = out->url, .events = out->events,
                               .enabled = out->enabled ? GH_AUDIT_TRUE : GH_AUDIT_FALSE));
    return err;
}

gh_err gh_core_webhook_update(gh_ctx *ctx, int64_t id, const gh_webhook_write *in, gh_webhook *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, update_tx(ctx, id, in, out));
}

static gh_err delete_tx(gh_ctx *ctx, int64_t id)
{
    gh_webhook cur;
    gh_err err = gh_core_webhook_get(ctx, id, &cur);
    if (err == GH_OK)
        err = gh_store_webhook_delete(ctx->db, id);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_WEBHOOK_DELETE, "webhook", id, 0, cur.provider_id,
                            GH_AUDIT_DETAIL_OF(.url = cur.url, .events = cur.events),
                            GH_AUDIT_NOTHING);
    return err;
}

gh_err gh_core_webhook_delete(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, delete_tx(ctx, id));
}

gh_err gh_core_webhook_deliveries(gh_ctx *ctx, int64_t id, gh_webhook_delivery **items, size_t *n)
{
    gh_webhook w;
    gh_err err = gh_core_webhook_get(ctx, id, &w);
    if (err == GH_OK)
        err = gh_store_delivery_list(ctx->db, ctx->a, id, GH_WEBHOOK_DELIVERIES, items, n);
    return err;
}

static gh_err resend_tx(gh_ctx *ctx, int64_t id, int64_t did)
{
    gh_webhook w;
    gh_webhook_delivery d;
    gh_err err = gh_core_webhook_get(ctx, id, &w);
    if (err == GH_OK && (err = gh_store_delivery_get(ctx->db, ctx->a, did, &d)) == GH_OK &&
        d.webhook_id != id)
        err = GH_ENOTFOUND;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, "no such delivery");
    if (err == GH_OK)
        err = gh_store_delivery_resend(ctx->db, did, ctx->now);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_WEBHOOK_RESEND, "webhook", id, 0, w.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.delivery_id = GH_AUDIT_INT(did)));
    return err;
}

gh_err gh_core_webhook_resend(gh_ctx *ctx, int64_t id, int64_t did)
{
    gh_err err = gh_db_begin(ctx->db);
    err = err != GH_OK ? err : gh_core_finish(ctx, resend_tx(ctx, id, did));
    if (err == GH_OK)
        gh_hooks_kick(ctx->hooks);
    return err;
}

/* ---- events ---- */

static gh_err emit(gh_ctx *ctx, const char *event, int64_t provider_id, int64_t user_id,
                   const gh_user *u)
{
    int64_t *ids = NULL;
    size_t n = 0;
    gh_user loaded;
    gh_err err = gh_store_webhook_matching(ctx->db, ctx->a, provider_id, event,
                                           GH_WEBHOOK_PER_PROVIDER, &ids, &n);
    if (err != GH_OK || n == 0)
        return err;
    if (u == NULL && (err = gh_store_user_get(ctx->db, ctx->a, user_id, &loaded)) != GH_OK)
        return err;
    const char *data = gh_audit_snapshot(ctx->a, GH_AUDIT_OF_USER(u != NULL ? u : &loaded));
    if (data == NULL)
        return GH_ENOMEM;
    char when[32], rnd[16], hex[2 * sizeof rnd + 1];
    gh_clock_format(ctx->now, when, sizeof when);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, (const unsigned char *)rnd, sizeof rnd);
    gh_webhook_delivery d = {
        .event = event,
        .event_id = gh_arena_printf(ctx->a, "evt_%s", hex),
        .payload = gh_arena_printf(ctx->a, "{\"type\":\"%s\",\"timestamp\":\"%s\",\"data\":%s}",
                                   event, when, data),
        .next_attempt_at = ctx->now,
        .created_at = ctx->now,
    };
    for (size_t i = 0; err == GH_OK && i < n; i++) {
        int64_t id;
        d.webhook_id = ids[i];
        err = gh_store_delivery_insert(ctx->db, &d, &id);
    }
    if (err == GH_OK)
        gh_hooks_kick(ctx->hooks); /* its claim waits for our commit */
    return err;
}

gh_err gh_core_emit(gh_ctx *ctx, const char *event, const gh_user *u)
{
    return emit(ctx, event, u->provider_id, u->id, u);
}

gh_err gh_core_emit_id(gh_ctx *ctx, const char *event, int64_t provider_id, int64_t user_id)
{
    return emit(ctx, event, provider_id, user_id, NULL);
}
