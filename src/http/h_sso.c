/* /api/v1/sso-sources: the administrators' SSO sources, and the public list the sign-in page
 * shows. The client secret is write-only: no response carries it (gh_json_sso_source has only
 * client_secret_set). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "http/encode.h"
#include "http/internal.h"
#include "http/limits.h"

_Static_assert(GH_MAX_SSO_NAME == GH_SSO_NAME_MAX, "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_DISPLAY_NAME == GH_SSO_DISPLAY_NAME_MAX, "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_ISSUER == GH_SSO_ISSUER_MAX, "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_CLIENT_ID == GH_SSO_CLIENT_ID_MAX, "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_CLIENT_SECRET == GH_SSO_CLIENT_SECRET_MAX,
               "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_SCOPES == GH_SSO_SCOPES_MAX, "limits.h and core.h disagree");
_Static_assert(GH_MAX_SSO_CLAIM == GH_SSO_CLAIM_MAX, "limits.h and core.h disagree");

static void send_obj(gh_req *r, const gh_sso_source *s, int status)
{
    r->out = gh_json_sso_source(s);
    r->etag_version = s->version;
    r->status = status;
}

/* Copies the fields present in the body onto s (a PATCH merges onto the current record). */
static void merge_fields(const json_t *in, gh_sso_source *s)
{
    static const struct {
        const char *key;
        size_t off;
    } texts[] = {
        {"display_name", offsetof(gh_sso_source, display_name)},
        {"issuer", offsetof(gh_sso_source, issuer)},
        {"client_id", offsetof(gh_sso_source, client_id)},
        {"scopes", offsetof(gh_sso_source, scopes)},
        {"claim", offsetof(gh_sso_source, claim)},
    };
    json_t *v;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if ((v = json_object_get(in, texts[i].key)) != NULL)
            *(const char **)((char *)s + texts[i].off) = json_string_value(v);
    if ((v = json_object_get(in, "trust_idp_mfa")) != NULL)
        s->trust_idp_mfa = json_is_true(v);
    if ((v = json_object_get(in, "rp_logout")) != NULL)
        s->rp_logout = json_is_true(v);
}

gh_err gh_h_sso_list(gh_req *r)
{
    int limit;
    int64_t after, provider;
    gh_err err = gh_query_page(r, &limit, &after);
    if (err == GH_OK)
        err = gh_query_provider(r, &provider);
    gh_sso_source *items = NULL;
    size_t n = 0;
    if (err == GH_OK)
        err = gh_core_sso_list(&r->ctx, provider, limit + 1, after, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, gh_json_sso_source(&items[i]));
    r->out = gh_id_page(arr, n > (size_t)limit, shown ? items[shown - 1].id : 0);
    return GH_OK;
}

gh_err gh_h_sso_create(gh_req *r)
{
    json_t *provider = json_object_get(r->in, "provider_id");
    gh_sso_write in = {
        .source = {.name = gh_json_str(r->in, "name"), .provider_id = json_integer_value(provider)},
        .client_secret = gh_json_str(r->in, "client_secret"),
        .provider_given = provider != NULL};
    merge_fields(r->in, &in.source);
    gh_sso_source out;
    gh_err err = gh_core_sso_create(&r->ctx, &in, &out);
    if (err == GH_OK)
        send_obj(r, &out, 201);
    return err;
}

gh_err gh_h_sso_get(gh_req *r)
{
    gh_sso_source s;
    gh_err err = gh_core_sso_get(&r->ctx, r->id, &s);
    if (err == GH_OK)
        send_obj(r, &s, 200);
    return err;
}

gh_err gh_h_sso_patch(gh_req *r)
{
    int64_t version;
    gh_sso_write in = {.client_secret = gh_json_str(r->in, "client_secret")};
    gh_sso_source out;
    gh_err err = gh_if_match(r, &version);
    if (err == GH_OK)
        err = gh_core_sso_get(&r->ctx, r->id, &in.source);
    if (err != GH_OK)
        return err;
    merge_fields(r->in, &in.source);
    err = gh_core_sso_update(&r->ctx, &in, version, &out);
    if (err == GH_OK)
        send_obj(r, &out, 200);
    return err;
}

gh_err gh_h_sso_delete(gh_req *r)
{
    gh_err err = gh_core_sso_delete(&r->ctx, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* Public: what the sign-in page needs for its buttons, nothing more (no issuer, client or
 * provider). */
gh_err gh_h_sso_public(gh_req *r)
{
    int64_t provider = 0;
    gh_err err = gh_query_provider(r, &provider);
    if (err != GH_OK)
        return err;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    gh_sso_source *items = NULL;
    size_t n = 0;
    err = gh_core_sso_public(&r->ctx, provider, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char url[GH_MAX_SSO_NAME + 16];
        snprintf(url, sizeof url, "/sso/%s/start", items[i].name);
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s}", "name", items[i].name, "display_name",
                                        items[i].display_name, "start_url", url));
    }
    r->out = json_pack("{s:o}", "items", arr);
    return GH_OK;
}
