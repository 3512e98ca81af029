/* API tokens: /api/v1/me/tokens (the signed-in user's own: listed, created from a session with a
 * fresh proof, revoked) and /api/v1/users/{id}/tokens (an admin's view of a user in its scope). A
 * token is shown by id, name and times; its value only once, in the answer that created it. */
#include "core/signin.h"
#include "http/encode.h"
#include "http/internal.h"
#include "util/clock.h"

static json_t *token_json(const gh_api_token *t)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)t->id, "user_id",
                     (json_int_t)t->user_id, "name", t->name ? t->name : "", "created_at",
                     gh_json_time(t->created_at), "expires_at", gh_json_time(t->expires_at));
}

static gh_err list(gh_req *r, int64_t user_id)
{
    gh_api_token *items = NULL;
    size_t n = 0;
    gh_err err = gh_core_token_list(&r->ctx, user_id, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, token_json(&items[i]));
    r->out = json_pack("{s:o, s:n}", "items", arr, "next_cursor");
    return GH_OK;
}

static gh_err revoke(gh_req *r, int64_t user_id, int64_t token_id)
{
    gh_err err = gh_core_token_revoke(&r->ctx, user_id, token_id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

gh_err gh_h_me_tokens(gh_req *r)
{
    return list(r, r->who.user_id);
}

static gh_err create_own(gh_req *r, const gh_reauth *re)
{
    json_int_t days = json_integer_value(json_object_get(r->in, "expires_in_days"));
    char *token = NULL;
    gh_api_token t;
    gh_err err =
        gh_core_token_create_own(&r->ctx, re, gh_json_str(r->in, "name"), days, &token, &t);
    if (err != GH_OK)
        return err;
    r->status = 201;
    r->out = token_json(&t);
    json_object_set_new(r->out, "token", json_string(token)); /* shown this once (S11) */
    return GH_OK;
}

static gh_err create_own_verified(gh_req *r)
{
    r->ctx.now = gh_clock_now();
    gh_reauth re = {.password_given = true, .password_ok = r->job.ok};
    return create_own(r, &re);
}

/* A token of one's own, from a signed-in session (the route admits no bearer token), with the
 * current password (checked by one Argon2id job first) or a current code as proof. */
gh_err gh_h_me_token_create(gh_req *r)
{
    const char *pw = gh_json_str(r->in, "current_password");
    const char *hash = NULL;
    gh_err err = gh_core_token_reauth_hash(&r->ctx, pw != NULL, &hash);
    if (err != GH_OK)
        return err;
    if (pw != NULL && hash != NULL) {
        r->job = (gh_hash_job){.password = pw, .hash = hash};
        return gh_http_hash_async(r, create_own_verified);
    }
    gh_reauth re = {.password_given = pw != NULL, .code = gh_json_str(r->in, "code")};
    return create_own(r, &re);
}

gh_err gh_h_me_token_delete(gh_req *r)
{
    return revoke(r, r->who.user_id, r->id);
}

gh_err gh_h_users_tokens(gh_req *r)
{
    return list(r, r->id);
}

gh_err gh_h_users_token_delete(gh_req *r)
{
    return revoke(r, r->id, r->sub_id);
}
