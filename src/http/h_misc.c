/* Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document; and the
 * password policy's figures, for forms to show before anyone types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "core/ops.h"
#include "core/signin.h"
#include "http/encode.h"
#include "http/internal.h"
#include "util/metrics.h"
#include "util/version.h"

/* The minimum as the policy applies it (gh_password_policy raises one below the floor). */
gh_err gh_h_password_policy(gh_req *r)
{
    int min = gh_signin_config_of(&r->ctx)->password_min;
    if (min < GH_PASSWORD_FLOOR)
        min = GH_PASSWORD_FLOOR;
    if (min > GH_PASSWORD_MAX)
        min = GH_PASSWORD_MAX;
    r->out =
        json_pack("{s:i, s:i, s:i, s:i}", "min_length", min, "max_length", GH_PASSWORD_MAX,
                  "min_distinct", GH_PASSWORD_MIN_DISTINCT, "own_data_min", GH_PASSWORD_FACT_MIN);
    return GH_OK;
}

/* Liveness: the process answers; and what it is (util/version.h), as `gatehouse version` says. */
gh_err gh_h_health(gh_req *r)
{
    json_t *libs = json_object();
    const gh_library *l = gh_libraries();
    for (int i = 0; libs != NULL && i < GH_LIBRARIES; i++)
        json_object_set_new(libs, l[i].name, json_string(l[i].version));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o*}", "status", "ok", "version", gh_version(),
                          "commit", gh_commit(), "libraries", libs);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    /* ended by a newline, as the "ok\n" of old: for a person with curl, and for clients that
     * read a kept-alive connection's answers line by line */
    r->text = text != NULL ? gh_arena_printf(r->a, "%s\n", text) : NULL;
    r->content_type = "application/json";
    free(text);
    return r->text != NULL ? GH_OK : GH_ENOMEM;
}

gh_err gh_h_ready(gh_req *r)
{
    gh_db *db = gh_http_db(r);
    int version = 0;
    if (db == NULL || gh_db_schema_version(db, &version) != GH_OK ||
        version != gh_db_schema_target(db))
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    r->content_type = "text/plain; charset=utf-8";
    r->text = "ready\n";
    return GH_OK;
}

/* The gauges read at scrape time: this server's connections, requests and Argon2id queue, and
 * the delivery queues' depth (left as last read when the database does not answer; the database
 * error is counted). */
static void read_gauges(gh_req *r)
{
    gh_http_gauges g;
    gh_http_gauges_of(r, &g);
    gh_metric_set(GH_M_HTTP_CONNECTIONS, g.connections, NULL);
    gh_metric_set(GH_M_HTTP_IN_FLIGHT, g.in_flight, NULL);
    gh_metric_set(GH_M_HASH_QUEUE, g.hash_queue, NULL);
    gh_metric_set(GH_M_HASH_QUEUE_CAP, g.hash_capacity, NULL);
    int64_t mail = 0, hooks = 0;
    r->ctx.db = gh_http_db(r);
    if (r->ctx.db != NULL && gh_core_outbox_depth(&r->ctx, &mail, &hooks) == GH_OK) {
        gh_metric_set(GH_M_OUTBOX_DEPTH, mail, GH_LABELS("mail"));
        gh_metric_set(GH_M_OUTBOX_DEPTH, hooks, GH_LABELS("webhooks"));
    }
    gh_version_metric();
    gh_core_signin_metrics_touch();
    gh_metric_add(GH_M_LOCKOUTS, 0, NULL);
    gh_metric_add(GH_M_DROPPED, 0, NULL);
}

gh_err gh_h_metrics(gh_req *r)
{
    read_gauges(r);
    char *text = NULL;
    size_t len = 0;
    if (!gh_metrics_render(&text, &len))
        return GH_ENOMEM;
    /* the response classes of this server, as before the registry (kept for existing readers) */
    char *t =
        gh_arena_printf(r->a,
                        "%s"
                        "# HELP gatehouse_http_responses_total HTTP responses by status class.\n"
                        "# TYPE gatehouse_http_responses_total counter\n"
                        "gatehouse_http_responses_total{class=\"2xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"3xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"4xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"5xx\"} %llu\n",
                        text, gh_http_responses(r, 2), gh_http_responses(r, 3),
                        gh_http_responses(r, 4), gh_http_responses(r, 5));
    free(text);
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->text = t;
    return t != NULL ? GH_OK : GH_ENOMEM;
}

gh_err gh_h_openapi(gh_req *r)
{
    r->out = gh_openapi();
    return GH_OK;
}
