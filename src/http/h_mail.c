/* Links and onboarding: /api/v1/onboarding/{token}, /api/v1/password-reset[/{token}] and the
 * first administrator's /api/v1/setup/{token} (public: the token is the credential), and
 * /api/v1/users/{id}/resend-onboarding. Every response already carries Referrer-Policy:
 * no-referrer, so the token in the page's URL never leaks to another site (A8). */
#include <sodium.h>
#include <string.h>

#include "http/encode.h"
#include "core/links.h"
#include "core/setup.h"
#include "core/signin.h"
#include "http/internal.h"
#include "util/clock.h"

/* The {token} segment: the route matched, so it is the last one and base64url-shaped. */
static const char *path_token(gh_req *r)
{
    const char *slash = strrchr(r->path, '/');
    return slash != NULL ? slash + 1 : "";
}

static gh_err open_db(gh_req *r)
{
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    return GH_OK;
}

static gh_err link_get(gh_req *r, gh_link_purpose purpose)
{
    gh_link_status st;
    gh_err err = open_db(r);
    if (err == GH_OK)
        err = gh_core_link_status(&r->ctx, purpose, path_token(r), &st);
    if (err != GH_OK)
        return err;
    r->out = json_pack("{s:s, s:o}", "state", gh_link_state_name(st.state), "expires_at",
                       gh_json_time(st.expires_at));
    if (st.username != NULL)
        json_object_set_new(r->out, "username", json_string(st.username));
    if (st.language != NULL)
        json_object_set_new(r->out, "language", json_string(st.language));
    return GH_OK;
}

/* After the new password was hashed on the pool: use the token and set it. */
static gh_err link_finish(gh_req *r, gh_link_purpose purpose)
{
    gh_link_status st;
    gh_err err = open_db(r);
    r->ctx.now = gh_clock_now();
    if (err == GH_OK && !r->job.ok)
        err = GH_ENOMEM;
    if (err == GH_OK)
        err = gh_core_link_complete(&r->ctx, purpose, path_token(r), r->job.new_hash, &st);
    sodium_memzero(r->job.new_hash, sizeof r->job.new_hash);
    if (err == GH_OK) /* no session: the user signs in, two-factor included (A9) */
        r->out = json_pack("{s:s, s:s, s:s}", "state", "completed", "username", st.username, "next",
                           "sign_in");
    return err;
}

static gh_err onboarding_finish(gh_req *r)
{
    return link_finish(r, GH_LINK_ONBOARDING);
}

static gh_err reset_finish(gh_req *r)
{
    return link_finish(r, GH_LINK_PASSWORD_RESET);
}

/* Checks the token and the password policy first, so that a dead link costs no Argon2id. */
static gh_err link_complete(gh_req *r, gh_link_purpose purpose, gh_handler then)
{
    gh_link_status st;
    const char *pw = gh_json_str(r->in, "password");
    gh_err err = open_db(r);
    if (err == GH_OK)
        err = gh_core_link_check(&r->ctx, purpose, path_token(r), &st);
    if (err == GH_OK)
        err = gh_signin_password_policy(&r->ctx, st.user_id, pw);
    if (err != GH_OK)
        return err;
    r->job = (gh_hash_job){.password = pw};
    return gh_http_hash_async(r, then);
}

gh_err gh_h_onboarding_get(gh_req *r)
{
    return link_get(r, GH_LINK_ONBOARDING);
}

gh_err gh_h_onboarding_complete(gh_req *r)
{
    return link_complete(r, GH_LINK_ONBOARDING, onboarding_finish);
}

gh_err gh_h_password_reset_get(gh_req *r)
{
    return link_get(r, GH_LINK_PASSWORD_RESET);
}

gh_err gh_h_password_reset_complete(gh_req *r)
{
    return link_complete(r, GH_LINK_PASSWORD_RESET, reset_finish);
}

gh_err gh_h_password_reset_request(gh_req *r)
{
    gh_err err = open_db(r);
    if (err == GH_OK)
        err = gh_core_password_reset_request(&r->ctx, gh_json_str(r->in, "username"),
                                             gh_json_str(r->in, "email"));
    if (err != GH_OK)
        return err;
    r->status = 202; /* the same answer whether or not an account matched (A6) */
    r->out = json_pack("{s:s}", "detail",
                       "If an account matches, a link to choose a new password is on its way to "
                       "its e-mail address. The link works once, within 1 hour.");
    return GH_OK;
}

gh_err gh_h_users_onboarding_link(gh_req *r)
{
    char *url = NULL;
    int64_t expires_at = 0;
    gh_err err = gh_core_onboarding_link(&r->ctx, r->id, &url, &expires_at);
    if (err == GH_ERATE && r->ctx.retry_after > 0)
        r->retry_after = gh_arena_printf(r->a, "%lld", (long long)r->ctx.retry_after);
    if (err != GH_OK)
        return err;
    r->status = 201; /* shown once: only its hash is kept */
    r->out = json_pack("{s:s, s:o}", "url", url, "expires_at", gh_json_time(expires_at));
    return GH_OK;
}

gh_err gh_h_users_resend_onboarding(gh_req *r)
{
    gh_user u;
    gh_err err = gh_core_onboarding_resend(&r->ctx, r->id, &u);
    if (err == GH_ERATE && r->ctx.retry_after > 0)
        r->retry_after = gh_arena_printf(r->a, "%lld", (long long)r->ctx.retry_after);
    if (err != GH_OK)
        return err;
    r->out = gh_json_user(&u);
    r->etag_version = u.version;
    return GH_OK;
}

gh_err gh_h_setup_get(gh_req *r)
{
    gh_setup_status st;
    gh_err err = open_db(r);
    if (err == GH_OK)
        err = gh_core_setup_status(&r->ctx, path_token(r), &st);
    if (err != GH_OK)
        return err;
    r->out = json_pack("{s:s, s:o}", "state", gh_link_state_name(st.state), "expires_at",
                       gh_json_time(st.expires_at));
    return GH_OK;
}

/* The token is checked before the password is hashed (on this thread: the link works once, and
 * a dead or unknown one costs no Argon2id). No session: the administrator signs in afterwards. */
gh_err gh_h_setup_complete(gh_req *r)
{
    int64_t id = 0;
    const char *username = gh_json_str(r->in, "username");
    gh_err err = open_db(r);
    if (err == GH_OK)
        err = gh_core_setup_complete(&r->ctx, path_token(r), username, gh_json_str(r->in, "email"),
                                     gh_json_str(r->in, "password"), &id);
    if (err != GH_OK)
        return err;
    r->status = 201;
    r->out = json_pack("{s:s, s:I, s:s, s:s}", "state", "completed", "id", (json_int_t)id,
                       "username", username, "next", "sign_in");
    return GH_OK;
}
