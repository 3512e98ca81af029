/* /api/v1/session (sign-in steps, who am I, sign out), /api/v1/me/... (own sessions, password,
 * two-factor) and the admin's per-user sign-in actions. */
#include <microhttpd.h>
#include <sodium.h>
#include <string.h>

#include "http/encode.h"
#include "auth/throttle.h"
#include "model/model.h"
#include "core/signin.h"
#include "core/sso.h"
#include "http/internal.h"
#include "http/limits.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

json_t *gh_http_session_json(const gh_session *s)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:s, s:s}", "id", (json_int_t)s->id, "created_at",
                     gh_json_time(s->created_at), "last_seen_at", gh_json_time(s->last_seen_at),
                     "expires_at", gh_json_time(s->expires_at), "ip", s->ip ? s->ip : "",
                     "user_agent", s->user_agent ? s->user_agent : "");
}

/* The client's User-Agent as stored with the session (I11): valid UTF-8, at most
 * GH_MAX_USER_AGENT bytes, cut between characters; jansson could not show it otherwise. */
const char *gh_http_user_agent(gh_req *r)
{
    const char *ua = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "User-Agent");
    return gh_utf8_clean(r->a, ua, GH_MAX_USER_AGENT);
}

/* ---- per-address throttle of sign-in steps (I8) ---- */

/* Whether the client address has no failed sign-in steps left in its budget: then the request
 * gets 429 with Retry-After before any Argon2id work (and whatever the account). Otherwise one
 * attempt is taken, which settle() gives back unless the step fails. */
bool gh_http_signin_throttled(gh_req *r, const char *factor)
{
    int64_t retry = 0;
    bool first = false;
    if (gh_throttle_take(gh_http_throttle(r), r->ip, r->ctx.now, &retry, &first) == GH_OK)
        return false;
    r->retry_after = gh_arena_printf(r->a, "%lld", (long long)retry);
    if (first) { /* one audit row per address and window, not one per request */
        if (r->ctx.db == NULL)
            r->ctx.db = gh_http_db(r);
        if (r->ctx.db != NULL)
            gh_signin_throttled(&r->ctx, factor, retry);
        gh_log("warn", "signin_throttled", "ip", r->ip, "factor", factor, NULL);
    }
    gh_fail(&r->ctx, GH_ERATE, NULL, NULL,
            "too many failed sign-ins from this address; retry later");
    return true;
}

/* Only a failed step (GH_EUNAUTH, whatever the reason: A6) keeps its attempt. */
void gh_http_signin_settle(gh_req *r, gh_err err)
{
    if (err != GH_EUNAUTH)
        gh_throttle_give_back(gh_http_throttle(r), r->ip, gh_clock_now());
}

/* ---- sign-in ---- */

typedef struct signin_state {
    gh_signin s;
} signin_state;

static gh_err signin_finish(gh_req *r)
{
    signin_state *st = (signin_state *)r->job.arg2;
    gh_signin_result res;
    const char *rehash = r->job.rehashed ? r->job.new_hash : NULL;
    r->ctx.db = gh_http_db(r);
    if (r->ctx.db == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    r->ctx.now = gh_clock_now();
    gh_err err = gh_signin_finish(&r->ctx, &st->s, r->job.ok, rehash, gh_http_user_agent(r), &res);
    gh_http_signin_settle(r, err);
    sodium_memzero(r->job.new_hash, sizeof r->job.new_hash);
    if (err != GH_OK)
        return err;
    r->set_cookie =
        gh_http_session_cookie(r, res.token, gh_signin_config_of(&r->ctx)->absolute_seconds);
    r->out = json_pack("{s:s, s:o}", "next", gh_signin_stage_name(res.next), "session",
                       gh_http_session_json(&res.session));
    sodium_memzero(res.token, strlen(res.token));
    return GH_OK;
}

gh_err gh_h_session_create(gh_req *r)
{
    if (gh_http_signin_throttled(r, "password"))
        return GH_ERATE;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    signin_state *st = gh_arena_alloc(r->a, sizeof *st);
    gh_err err = gh_signin_begin(&r->ctx, gh_json_str(r->in, "username"), &st->s);
    if (err != GH_OK)
        return err;
    r->job =
        (gh_hash_job){.password = gh_json_str(r->in, "password"), .hash = st->s.hash, .arg2 = st};
    return gh_http_hash_async(r, signin_finish);
}

static json_t *perms_json(uint64_t perms)
{
    json_t *a = json_array();
    for (int i = 0; i < GH_PERM_COUNT; i++)
        if (perms & ((uint64_t)1 << i))
            json_array_append_new(a, json_string(gh_perm_name(i)));
    return a;
}

/* Until sign-in is finished the session reads only its next step and what the step's page needs
 * (S9): the language to speak; no profile, no permissions, no scope for a session that has
 * passed only the password. */
gh_err gh_h_session_get(gh_req *r)
{
    gh_whoami w;
    gh_err err = gh_core_session_whoami(&r->ctx, &r->session, &w);
    if (err != GH_OK)
        return err;
    const char *next = gh_signin_stage_name(w.next);
    if (!w.signed_in) {
        r->out = json_pack("{s:s, s:s}", "next", next, "language", w.language);
        return GH_OK;
    }
    json_t *user = gh_json_user(&w.user);
    r->out = json_pack("{s:s, s:o, s:o, s:O, s:o}", "next", next, "user", user, "permissions",
                       perms_json(w.permissions), "scope", json_object_get(user, "access"),
                       "session", gh_http_session_json(&r->session));
    return GH_OK;
}

/* Signing out; a session that came through an SSO source asking for sign-out at the provider
 * too answers 200 with where the browser goes next (logout_url), else 204. */
gh_err gh_h_session_delete(gh_req *r)
{
    const char *source = NULL;
    gh_err err = gh_sso_session_logout_name(&r->ctx, &r->session, &source);
    if (err == GH_OK)
        err = gh_session_end(&r->ctx, &r->session);
    if (err != GH_OK)
        return err;
    r->set_cookie = gh_http_session_cookie(r, NULL, 0);
    if (source == NULL)
        r->status = 204;
    else
        r->out = json_pack("{s:s}", "logout_url", gh_arena_printf(r->a, "/sso/%s/logout", source));
    return GH_OK;
}

gh_err gh_h_session_totp(gh_req *r)
{
    if (gh_http_signin_throttled(r, "totp"))
        return GH_ERATE;
    gh_signin_stage next = GH_STAGE_DONE;
    gh_err err = gh_signin_totp(&r->ctx, &r->session, gh_json_str(r->in, "code"), &next);
    gh_http_signin_settle(r, err);
    if (err == GH_OK)
        r->out = json_pack("{s:s}", "next", gh_signin_stage_name(next));
    return err;
}

static gh_err forced_change_finish(gh_req *r)
{
    gh_signin_stage next = GH_STAGE_DONE;
    r->ctx.now = gh_clock_now();
    gh_err err = r->job.ok
                     ? gh_signin_password_changed(&r->ctx, &r->session, r->job.new_hash, &next)
                     : GH_EINTERNAL;
    sodium_memzero(r->job.new_hash, sizeof r->job.new_hash);
    if (err == GH_OK)
        r->out = json_pack("{s:s}", "next", gh_signin_stage_name(next));
    return err;
}

/* The forced change, second job: the new password did not verify against the old hash. */
static gh_err forced_change_hash(gh_req *r)
{
    if (r->job.ok)
        return gh_fail(&r->ctx, GH_EINVAL, "password", "same", GH_PASSWORD_SAME);
    r->job = (gh_hash_job){.password = gh_json_str(r->in, "password")};
    return gh_http_hash_async(r, forced_change_finish);
}

/* A forced change must really change the password: the new one is first checked against the
 * current hash (one Argon2id verification), then hashed. */
gh_err gh_h_session_password(gh_req *r)
{
    const char *pw = gh_json_str(r->in, "password");
    const char *hash = NULL;
    gh_err err = gh_core_forced_change_prepare(&r->ctx, pw, &hash);
    if (err != GH_OK)
        return err;
    r->job = (gh_hash_job){.password = pw, .hash = hash};
    return gh_http_hash_async(r, hash != NULL ? forced_change_hash : forced_change_finish);
}

/* ---- me ---- */

gh_err gh_h_me_sessions(gh_req *r)
{
    gh_session *items = NULL;
    size_t n = 0;
    gh_err err = gh_core_user_sessions(&r->ctx, r->who.user_id, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = gh_http_session_json(&items[i]);
        json_object_set_new(s, "current", json_boolean(items[i].id == r->session.id));
        json_array_append_new(arr, s);
    }
    r->out = json_pack("{s:o, s:n}", "items", arr, "next_cursor");
    return GH_OK;
}

gh_err gh_h_me_session_delete(gh_req *r)
{
    gh_err err = gh_core_user_session_revoke(&r->ctx, r->who.user_id, r->id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

static gh_err me_password_finish(gh_req *r)
{
    r->ctx.now = gh_clock_now();
    gh_err err = gh_password_change_own(&r->ctx, r->has_session ? &r->session : NULL, r->job.ok,
                                        r->job.rehashed ? r->job.new_hash : NULL);
    sodium_memzero(r->job.new_hash, sizeof r->job.new_hash);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

gh_err gh_h_me_password(gh_req *r)
{
    const char *pw = gh_json_str(r->in, "password");
    const char *current = gh_json_str(r->in, "current_password");
    const char *hash = NULL;
    gh_err err = gh_core_password_change_prepare(&r->ctx, pw, current, &hash);
    if (err != GH_OK)
        return err;
    r->job = (gh_hash_job){.password = current, .hash = hash, .new_password = pw};
    return gh_http_hash_async(r, me_password_finish);
}

gh_err gh_h_me_totp_get(gh_req *r)
{
    gh_totp_state t;
    gh_err err = gh_core_totp_state(&r->ctx, &t);
    if (err == GH_OK)
        r->out = json_pack("{s:b, s:b, s:b}", "enrolled", t.enrolled, "pending", t.pending,
                           "required", t.required);
    return err;
}

static gh_err totp_start(gh_req *r, const gh_reauth *re)
{
    gh_totp_enrolment e;
    gh_err err = gh_totp_enrol_start(&r->ctx, &r->session, re, &e);
    if (err == GH_OK) {
        r->status = 201;
        r->out = json_pack("{s:s, s:s, s:s}", "secret", e.secret_base32, "otpauth_uri",
                           e.otpauth_uri, "qr_svg", e.qr_svg ? e.qr_svg : "");
    }
    return err;
}

static gh_err totp_start_verified(gh_req *r)
{
    r->ctx.now = gh_clock_now();
    gh_reauth re = {.password_given = true, .password_ok = r->job.ok};
    return totp_start(r, &re);
}

gh_err gh_http_with_proof(gh_req *r, gh_reauth_hash_fn hash_of, gh_handler verified,
                          gh_err (*plain)(gh_req *, const struct gh_reauth *))
{
    const char *pw = r->in != NULL ? gh_json_str(r->in, "current_password") : NULL;
    const char *hash = NULL;
    gh_err err = hash_of(&r->ctx, pw != NULL, &hash);
    if (err != GH_OK)
        return err;
    if (hash != NULL) {
        r->job = (gh_hash_job){.password = pw, .hash = hash};
        return gh_http_hash_async(r, verified);
    }
    gh_reauth re = {.password_given = pw != NULL,
                    .code = r->in != NULL ? gh_json_str(r->in, "code") : NULL};
    return plain(r, &re);
}

/* Enrolment, or the replacement of an enrolled device with the current password (checked by one
 * Argon2id job first) or a current code as proof (S10). */
gh_err gh_h_me_totp_start(gh_req *r)
{
    return gh_http_with_proof(r, gh_core_totp_reauth_hash, totp_start_verified, totp_start);
}

gh_err gh_h_me_totp_confirm(gh_req *r)
{
    char **codes = NULL;
    gh_signin_stage next = GH_STAGE_DONE;
    gh_err err =
        gh_totp_enrol_confirm(&r->ctx, &r->session, gh_json_str(r->in, "code"), &codes, &next);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (int i = 0; codes[i] != NULL; i++)
        json_array_append_new(arr, json_string(codes[i]));
    r->out = json_pack("{s:o, s:s}", "recovery_codes", arr, "next", gh_signin_stage_name(next));
    return GH_OK;
}

/* ---- admin actions on a user ---- */

static gh_err act_and_show(gh_req *r, gh_user_action action)
{
    gh_user u;
    gh_err err = gh_core_user_act(&r->ctx, r->id, action);
    if (err == GH_OK)
        err = gh_core_user_get(&r->ctx, r->id, &u);
    if (err == GH_OK) {
        r->out = gh_json_user(&u);
        r->etag_version = u.version;
    }
    return err;
}

gh_err gh_h_users_unban(gh_req *r)
{
    return act_and_show(r, GH_USER_UNBAN);
}

gh_err gh_h_users_force_reset(gh_req *r)
{
    return act_and_show(r, GH_USER_FORCE_RESET);
}

gh_err gh_h_users_reset_mfa(gh_req *r)
{
    return act_and_show(r, GH_USER_RESET_MFA);
}

gh_err gh_h_users_sessions(gh_req *r)
{
    gh_session *items = NULL;
    size_t n = 0;
    gh_err err = gh_core_user_sessions(&r->ctx, r->id, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, gh_http_session_json(&items[i]));
    r->out = json_pack("{s:o, s:n}", "items", arr, "next_cursor");
    return GH_OK;
}

gh_err gh_h_users_sessions_delete(gh_req *r)
{
    gh_err err = gh_core_user_session_revoke(&r->ctx, r->id, 0);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

gh_err gh_h_users_session_delete(gh_req *r)
{
    gh_err err = gh_core_user_session_revoke(&r->ctx, r->id, r->sub_id);
    if (err == GH_OK)
        r->status = 204;
    return err;
}
