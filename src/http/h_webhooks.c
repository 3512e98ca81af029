/* /api/v1/webhooks: the administrators' webhook subscriptions (issue 16, C10) and their
 * deliveries. The secret is in the answer of the create only; no other response carries it. */
#include <stdio.h>
#include <string.h>

#include "http/encode.h"
#include "http/internal.h"
#include "http/limits.h"

_Static_assert(GH_MAX_WEBHOOK_URL == GH_WEBHOOK_URL_MAX, "limits.h and core.h disagree");

/* "a,b" as a JSON array of its names. */
static json_t *event_array(const char *list)
{
    json_t *arr = json_array();
    for (const char *p = list; p != NULL && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(arr, json_stringn(p, n));
        p = comma != NULL ? comma + 1 : p + n;
    }
    return arr;
}

static json_t *hook_json(const gh_webhook *w)
{
    return json_pack("{s:I, s:o, s:s, s:o, s:b, s:o, s:o}", "id", (json_int_t)w->id, "provider_id",
                     w->provider_id ? json_integer(w->provider_id) : json_null(), "url", w->url,
                     "events", event_array(w->events), "enabled", w->enabled, "created_by",
                     w->created_by ? json_integer(w->created_by) : json_null(), "created_at",
                     gh_json_time(w->created_at));
}

static json_t *delivery_json(const gh_webhook_delivery *d)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:I, s:o, s:s?, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)d->id, "event", d->event, "event_id", d->event_id, "state",
                     gh_mail_state_name(d->state), "attempts", (json_int_t)d->attempts,
                     "response_code", d->last_status ? json_integer(d->last_status) : json_null(),
                     "error", d->last_error, "created_at", gh_json_time(d->created_at),
                     "last_attempt_at", gh_json_time(d->last_attempt_at), "next_attempt_at",
                     d->state == GH_MAIL_QUEUED ? gh_json_time(d->next_attempt_at) : json_null(),
                     "sent_at", gh_json_time(d->sent_at));
}

gh_err gh_h_webhooks_list(gh_req *r)
{
    int limit;
    int64_t after, provider;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = gh_query_provider(r, &provider);
    gh_webhook *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_webhook_list(&r->ctx, provider, limit + 1, after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, hook_json(&items[i]));
    r->out = gh_id_page(arr, n > (size_t)limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_webhooks_create(gh_req *r)
{
    const json_t *prov = json_object_get(r->in, "provider_id");
    const json_t *evs = json_object_get(r->in, "events");
    size_t n = json_array_size(evs);
    const char **names = gh_arena_alloc(r->a, (n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(evs, i));
    gh_webhook_write in = {.provider_id = json_integer_value(prov),
                           .provider_given = prov != NULL,
                           .url = gh_json_str(r->in, "url"),
                           .events = names,
                           .n_events = n};
    gh_webhook out;
    char *secret = NULL;
    gh_err err = gh_core_webhook_create(&r->ctx, &in, &out, &secret);
    if (err != GH_OK)
        return err;
    r->out = hook_json(&out);
    json_object_set_new(r->out, "secret", json_string(secret));
    r->status = 201;
    return GH_OK;
}

gh_err gh_h_webhooks_get(gh_req *r)
{
    gh_webhook w;
    gh_err err = gh_core_webhook_get(&r->ctx, r->id, &w);
    if (err == GH_OK)
        r->out = hook_json(&w);
    return err;
}

gh_err gh_h_webhooks_patch(gh_req *r)
{
    const json_t *prov = json_object_get(r->in, "provider_id");
    const json_t *evs = json_object_get(r->in, "events");
    const json_t *en = json_object_get(r->in, "enabled");
    size_t n = json_array_size(evs);
    const char **names = gh_arena_alloc(r->a, (n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(evs, i));
    gh_webhook_write in = {.provider_id = json_integer_value(prov),
                           .provider_given = prov != NULL,
                           .url = gh_json_str(r->in, "url"),
                           .events = names,
                           .n_events = n,
                           .events_given = evs != NULL,
                           .enabled = json_is_true(en),
                           .enabled_given = en != NULL};
    gh_webhook out;
    gh_err err = gh_core_webhook_update(&r->ctx, r->id, &in, &out);
    if (err == GH_OK)
        r->out = hook_json(&out);
    return err;
}

gh_err gh_h_webhooks_delete(gh_req *r)
{
    gh_err err = gh_core_webhook_delete(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

gh_err gh_h_webhooks_deliveries(gh_req *r)
{
    gh_webhook_delivery *items = NULL;
    size_t n = 0;
    gh_err err = gh_core_webhook_deliveries(&r->ctx, r->id, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, delivery_json(&items[i]));
    r->out = json_pack("{s:o}", "items", arr);
    return GH_OK;
}

gh_err gh_h_webhooks_resend(gh_req *r)
{
    gh_err err = gh_core_webhook_resend(&r->ctx, r->id, r->sub_id);
    if (err != GH_OK)
        return err;
    r->out = json_pack("{s:I, s:s}", "id", (json_int_t)r->sub_id, "state", "queued");
    r->status = 202;
    return GH_OK;
}
