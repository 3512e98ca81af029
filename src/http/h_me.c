/* PATCH /api/v1/me/profile: the signed-in user's own language and timezone (My profile). */
#include "http/encode.h"
#include "http/internal.h"

gh_err gh_h_me_profile(gh_req *r)
{
    gh_user u;
    gh_err err = gh_core_me_update(&r->ctx, gh_json_str(r->in, "language"),
                                   gh_json_str(r->in, "timezone"), &u);
    if (err == GH_OK) {
        r->out = gh_json_user(&u);
        r->etag_version = u.version;
    }
    return err;
}
