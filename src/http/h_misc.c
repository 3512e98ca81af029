/* Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document; and the
 * password policy's figures, for forms to show before anyone types. */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "core/signin.h"
#include "http/encode.h"
#include "http/internal.h"

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

gh_err gh_h_health(gh_req *r)
{
    r->content_type = "text/plain; charset=utf-8";
    r->text = "ok\n";
    return GH_OK;
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

gh_err gh_h_metrics(gh_req *r)
{
    char *t =
        gh_arena_printf(r->a,
                        "# HELP gatehouse_http_responses_total HTTP responses by status class.\n"
                        "# TYPE gatehouse_http_responses_total counter\n"
                        "gatehouse_http_responses_total{class=\"2xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"3xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"4xx\"} %llu\n"
                        "gatehouse_http_responses_total{class=\"5xx\"} %llu\n",
                        gh_http_responses(r, 2), gh_http_responses(r, 3), gh_http_responses(r, 4),
                        gh_http_responses(r, 5));
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->text = t;
    return GH_OK;
}

gh_err gh_h_openapi(gh_req *r)
{
    r->out = gh_openapi();
    return GH_OK;
}
