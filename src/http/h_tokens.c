/* API tokens: /api/v1/me/tokens (the signed-in user's own) and /api/v1/users/{id}/tokens (an
 * admin's view of a user in its scope). A token is shown by id, name and times, never by value. */
#include "http/encode.h"
#include "http/internal.h"

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
