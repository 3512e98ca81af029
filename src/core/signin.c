/* See signin.h. */
#include "core/signin.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth/totp.h"
#include "core/internal.h"
#include "core/sso.h"
#include "util/log.h"
#include "util/metrics.h"

const gh_signin_config gh_signin_defaults = {
    .max_failures = 5,
    .ban_seconds = 600,
    .idle_seconds = 1800,
    .absolute_seconds = 43200,
    .password_min = GH_PASSWORD_MIN,
    .issuer = "Gatehouse",
};
static char dummy_hash[GH_HASH_BYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

const gh_signin_config *gh_signin_config_of(const gh_ctx *ctx)
{
    return ctx->signin != NULL ? ctx->signin : &gh_signin_defaults;
}

/* A hash of a random password: unknown users are checked against it so that they cost the same
 * Argon2id work as known ones (A6). */
static void make_dummy(void)
{
    char pw[32];
    gh_password_generate(pw, sizeof pw);
    if (gh_password_hash(pw, dummy_hash) != GH_OK)
        gh_log("error", "dummy_hash_failed", NULL);
    sodium_memzero(pw, sizeof pw);
}

/* The steps of a sign-in come in their only order (GH_SIGNIN_STAGES); each applies to some
 * users. */
static bool stage_applies(const gh_credentials *c, gh_signin_stage stage)
{
    switch (stage) {
    case GH_STAGE_TOTP: /* a user with passkeys is offered them, its code as an alternative */
        return c->mfa_enrolled && !c->has_passkeys;
    case GH_STAGE_WEBAUTHN:
        return c->has_passkeys;
    case GH_STAGE_CHANGE_PASSWORD:
        return c->must_change_password;
    case GH_STAGE_ENROLL_TOTP:
        return c->mfa_required && !c->mfa_enrolled && !c->has_passkeys;
    default:
        return true;
    }
}

gh_signin_stage gh_signin_next_stage(const gh_credentials *c, gh_signin_stage passed)
{
    for (int i = (int)passed + 1; i < GH_STAGE_DONE; i++)
        if (stage_applies(c, (gh_signin_stage)i))
            return (gh_signin_stage)i;
    return GH_STAGE_DONE;
}

gh_principal gh_signin_self(const gh_credentials *c)
{
    return (gh_principal){
        .user_id = c->user_id, .username = c->username, .provider_id = c->provider_id};
}

/* Records an audit row in its own transaction, acting as the signing-in user. */
void gh_signin_audit_alone(gh_ctx *ctx, gh_audit_action action, const gh_credentials *c,
                           gh_audit_obj detail)
{
    gh_principal self = c != NULL ? gh_signin_self(c) : (gh_principal){.username = "unknown"};
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    if (gh_db_begin(ctx->db) == GH_OK &&
        gh_core_finish(ctx, gh_core_audit(ctx, action, "user", self.user_id, self.user_id,
                                          self.provider_id, GH_AUDIT_NOTHING, detail)) != GH_OK)
        gh_log("error", "audit_failed", "action", gh_audit_action_name(action), NULL);
    ctx->who = saved;
}

gh_err gh_signin_begin(gh_ctx *ctx, const char *username, gh_signin *s)
{
    pthread_once(&dummy_once, make_dummy);
    memset(s, 0, sizeof *s);
    gh_err err = gh_store_credentials(ctx->db, ctx->a, username, 0, &s->cred);
    if (err != GH_OK && err != GH_ENOTFOUND)
        return err;
    s->found = err == GH_OK && s->cred.password_hash != NULL;
    s->hash = s->found ? s->cred.password_hash : dummy_hash;
    return GH_OK;
}

gh_err gh_signin_refused(gh_ctx *ctx)
{
    return gh_fail(ctx, GH_EUNAUTH, NULL, NULL, GH_SIGNIN_REFUSED);
}

/* A failed step: counts towards the ban (one conditional UPDATE) and records it. */
gh_err gh_signin_count_failure(gh_ctx *ctx, const gh_credentials *c, const char *factor)
{
    bool banned_now = false;
    gh_principal self = gh_signin_self(c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    gh_err err = gh_db_begin(ctx->db);
    if (err == GH_OK) {
        err = gh_store_login_failed(ctx->db, c->user_id, ctx->now,
                                    gh_signin_config_of(ctx)->max_failures,
                                    gh_signin_config_of(ctx)->ban_seconds, &banned_now);
        if (err == GH_OK)
            err = gh_core_audit(ctx, GH_ACT_LOGIN_FAILURE, "user", c->user_id, c->user_id,
                                c->provider_id, GH_AUDIT_NOTHING,
                                GH_AUDIT_DETAIL_OF(.factor = factor));
        if (err == GH_OK && banned_now)
            err = gh_core_audit(ctx, GH_ACT_USER_BAN, "user", c->user_id, c->user_id,
                                c->provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
        if (err == GH_OK && banned_now)
            err = gh_core_emit_id(ctx, "user.banned", c->provider_id, c->user_id);
        err = gh_core_finish(ctx, err);
    }
    if (err == GH_OK && banned_now)
        gh_metric_add(GH_M_LOCKOUTS, 1, NULL);
    ctx->who = saved;
    return err != GH_OK ? err : gh_signin_refused(ctx);
}

bool gh_signin_can_sign_in(const gh_credentials *c, int64_t now)
{
    return c->status == GH_STATUS_ACTIVE && c->login_enabled && !c->enforce_sso &&
           c->banned_until <= now;
}

/* Whether c's session, past its first step, may go on: as can_sign_in, but whatever enforce_sso
 * says (a session of an SSO-only user was opened by single sign-on: a password one ended when
 * the flag was set, S11). */
bool gh_signin_can_continue(const gh_credentials *c, int64_t now)
{
    return c->status == GH_STATUS_ACTIVE && c->login_enabled && c->banned_until <= now;
}

gh_err gh_signin_open_session(gh_ctx *ctx, const gh_credentials *c, gh_signin_stage next,
                              const char *user_agent, int64_t sso_source_id, gh_signin_result *out)
{
    char token[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    gh_token_new(token, hash);
    gh_session s = {.user_id = c->user_id,
                    .stage = next,
                    .created_at = ctx->now,
                    .last_seen_at = ctx->now,
                    .expires_at = ctx->now + gh_signin_config_of(ctx)->absolute_seconds,
                    .ip = ctx->ip,
                    .user_agent = user_agent,
                    .sso_source_id = sso_source_id};
    gh_err err = gh_store_session_insert(ctx->db, &s, hash, &s.id);
    if (err == GH_OK) {
        out->token = gh_arena_strdup(ctx->a, token);
        out->session = s;
        out->next = next;
    }
    sodium_memzero(token, sizeof token);
    return err;
}

gh_err gh_signin_finish(gh_ctx *ctx, gh_signin *s, bool password_ok, const char *rehash,
                        const char *user_agent, gh_signin_result *out)
{
    gh_credentials *c = &s->cred;
    if (!s->found) {
        gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, NULL,
                              GH_AUDIT_DETAIL_OF(.factor = "password", .known = GH_AUDIT_FALSE));
        return gh_signin_refused(ctx);
    }
    if (c->banned_until > ctx->now) {
        gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, c,
                              GH_AUDIT_DETAIL_OF(.factor = "password", .banned = GH_AUDIT_TRUE));
        return gh_signin_refused(ctx);
    }
    if (!password_ok)
        return gh_signin_count_failure(ctx, c, "password");
    if (!gh_signin_can_sign_in(c, ctx->now)) {
        gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, c,
                              GH_AUDIT_DETAIL_OF(.factor = "password", .blocked = GH_AUDIT_TRUE));
        return gh_signin_refused(ctx);
    }
    gh_principal self = gh_signin_self(c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    gh_signin_stage next = gh_signin_next_stage(c, GH_STAGE_PASSWORD);
    gh_credentials fresh;
    gh_err err = gh_db_begin(ctx->db);
    /* The Argon2id check took a while: a ban (parallel wrong passwords) or a disable committed
     * since the read above still holds (A4, A5). Read again inside the write transaction. */
    if (err == GH_OK &&
        (err = gh_store_credentials_locked(ctx->db, ctx->a, c->user_id, &fresh)) == GH_OK &&
        !gh_signin_can_sign_in(&fresh, ctx->now)) {
        gh_db_rollback(ctx->db);
        ctx->who = saved;
        gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, c,
                              GH_AUDIT_DETAIL_OF(.factor = "password", .blocked = GH_AUDIT_TRUE));
        return gh_signin_refused(ctx);
    }
    if (err == GH_OK) {
        /* The count restarts only once every guessable factor passed: were the password step
         * to reset it, someone holding the password could try four codes per sign-in for ever
         * (A4, A10). The TOTP step resets it when it passes. */
        if (next != GH_STAGE_TOTP && next != GH_STAGE_WEBAUTHN)
            err = gh_store_login_reset(ctx->db, c->user_id);
        if (err == GH_OK && rehash != NULL)
            err = gh_store_user_set_password(ctx->db, c->user_id, rehash, c->must_change_password,
                                             ctx->now);
        if (err == GH_OK)
            err = gh_signin_open_session(ctx, c, next, user_agent, 0, out);
        if (err == GH_OK && next == GH_STAGE_DONE)
            err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
        if (err == GH_OK)
            err = gh_core_audit(ctx, GH_ACT_LOGIN_SUCCESS, "user", c->user_id, c->user_id,
                                c->provider_id, GH_AUDIT_NOTHING,
                                GH_AUDIT_DETAIL_OF(.factor = "password", .next = &next));
        if (err == GH_OK && next == GH_STAGE_DONE)
            err = gh_core_emit_id(ctx, "user.signed_in", c->provider_id, c->user_id);
        err = gh_core_finish(ctx, err);
    }
    ctx->who = saved;
    return err;
}

/* ---- single sign-on ---- */

/* Whether c may open a session through single sign-on: as for a password (can_sign_in) but
 * enforce_sso is what it asks for, and an invited account may (its first sign-in completes the
 * onboarding: the administrator named its SSO ID). */
static bool can_sign_in_sso(const gh_credentials *c, int64_t now)
{
    return (c->status == GH_STATUS_ACTIVE || c->status == GH_STATUS_INVITED) && c->login_enabled &&
           c->banned_until <= now;
}

/* The steps after the provider's: no password to change; two-factor unless the source trusts
 * the provider's and its token says one was used. */
static gh_signin_stage sso_next_stage(const gh_credentials *c, const gh_sso_source *src,
                                      const gh_oidc_claims *claims)
{
    gh_credentials steps = *c;
    steps.must_change_password = false;
    if (src->trust_idp_mfa && claims->amr_mfa)
        steps.mfa_enrolled = steps.mfa_required = steps.has_passkeys = false;
    return gh_signin_next_stage(&steps, GH_STAGE_PASSWORD);
}

static gh_err sso_open(gh_ctx *ctx, const gh_credentials *c, const gh_sso_source *src,
                       const gh_oidc_claims *claims, const char *user_agent, gh_signin_result *out)
{
    gh_signin_stage next = sso_next_stage(c, src, claims);
    gh_err err = GH_OK;
    if (c->status == GH_STATUS_INVITED) { /* onboarded by its first sign-in */
        err = gh_store_user_set_status(ctx->db, c->user_id, GH_STATUS_ACTIVE, ctx->now, c->user_id);
        if (err == GH_OK)
            err = gh_store_link_void(ctx->db, c->user_id, GH_LINK_ONBOARDING, ctx->now);
        if (err == GH_OK)
            err = gh_core_audit(ctx, GH_ACT_ONBOARDING_COMPLETED, "user", c->user_id, c->user_id,
                                c->provider_id, GH_AUDIT_NOTHING,
                                GH_AUDIT_DETAIL_OF(.factor = "sso", .source = src->name));
    }
    if (err == GH_OK && next != GH_STAGE_TOTP &&
        next != GH_STAGE_WEBAUTHN) /* nothing guessable is left to pass (A4) */
        err = gh_store_login_reset(ctx->db, c->user_id);
    if (err == GH_OK)
        err = gh_signin_open_session(ctx, c, next, user_agent, src->id, out);
    if (err == GH_OK && next == GH_STAGE_DONE)
        err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
    if (err == GH_OK)
        err =
            gh_core_audit(ctx, GH_ACT_LOGIN_SUCCESS, "user", c->user_id, c->user_id, c->provider_id,
                          GH_AUDIT_NOTHING,
                          GH_AUDIT_DETAIL_OF(.factor = "sso", .source = src->name, .next = &next));
    if (err == GH_OK && next == GH_STAGE_DONE)
        err = gh_core_emit_id(ctx, "user.signed_in", c->provider_id, c->user_id);
    return err;
}

gh_err gh_signin_sso(gh_ctx *ctx, const gh_sso_source *src, const gh_oidc_claims *claims,
                     const char *user_agent, gh_signin_result *out)
{
    gh_credentials c, fresh;
    gh_err err = gh_store_credentials_by_sso(ctx->db, ctx->a, src->name, claims->value, &c);
    if (err == GH_ENOTFOUND || err == GH_ECONFLICT) {
        gh_sso_failed(ctx, src,
                      err == GH_ENOTFOUND ? "no account has this SSO ID"
                                          : "several accounts have this SSO ID");
        return gh_signin_refused(ctx);
    }
    if (err != GH_OK)
        return err;
    /* C10: a source serves its own provider's users only (0: the platform's staff) */
    bool ours = c.provider_id == src->provider_id;
    if (!ours || !can_sign_in_sso(&c, ctx->now)) {
        gh_signin_audit_alone(
            ctx, GH_ACT_LOGIN_FAILURE, &c,
            c.banned_until > ctx->now
                ? GH_AUDIT_DETAIL_OF(.factor = "sso", .source = src->name, .banned = GH_AUDIT_TRUE)
                : GH_AUDIT_DETAIL_OF(.factor = "sso", .source = src->name, .blocked = GH_AUDIT_TRUE,
                                     .reason = ours ? NULL
                                                    : "the SSO source serves another "
                                                      "service provider"));
        return gh_signin_refused(ctx);
    }
    gh_principal self = gh_signin_self(&c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    if ((err = gh_db_begin(ctx->db)) == GH_OK &&
        (err = gh_store_credentials_locked(ctx->db, ctx->a, c.user_id, &fresh)) == GH_OK &&
        !can_sign_in_sso(&fresh, ctx->now)) { /* a ban or a disable committed meanwhile */
        gh_db_rollback(ctx->db);
        ctx->who = saved;
        gh_signin_audit_alone(
            ctx, GH_ACT_LOGIN_FAILURE, &c,
            GH_AUDIT_DETAIL_OF(.factor = "sso", .source = src->name, .blocked = GH_AUDIT_TRUE));
        return gh_signin_refused(ctx);
    }
    if (err == GH_OK)
        err = gh_core_finish(ctx, sso_open(ctx, &fresh, src, claims, user_agent, out));
    ctx->who = saved;
    return err;
}

/* Moves the session past a step; the last step records the completed sign-in. */
gh_err gh_signin_advance(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                         gh_signin_stage passed, gh_signin_stage *next)
{
    return gh_signin_advance_by(ctx, sess, c, passed, gh_signin_stage_name(passed), next);
}

gh_err gh_signin_advance_by(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                            gh_signin_stage passed, const char *factor, gh_signin_stage *next)
{
    gh_credentials steps = *c;
    if (sess->sso_source_id != 0) /* signed in through its provider: no password to change */
        steps.must_change_password = false;
    *next = gh_signin_next_stage(&steps, passed);
    gh_err err = gh_store_session_set_stage(ctx->db, sess->id, *next);
    if (err == GH_OK && *next == GH_STAGE_DONE)
        err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
    if (err == GH_OK)
        err =
            gh_core_audit(ctx, GH_ACT_LOGIN_SUCCESS, "user", c->user_id, c->user_id, c->provider_id,
                          GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.factor = factor, .next = next));
    if (err == GH_OK && *next == GH_STAGE_DONE)
        err = gh_core_emit_id(ctx, "user.signed_in", c->provider_id, c->user_id);
    return err;
}

bool gh_signin_six_digits(const char *code)
{
    for (int i = 0; i < 6; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[6] == '\0';
}

/* Checks a TOTP code against the user's sealed secret; *step gets the step on success. */
gh_err gh_signin_check_totp(const unsigned char *key, const char *sealed, const char *code,
                            int64_t now, int64_t last_step, int64_t *step)
{
    unsigned char secret[GH_TOTP_SECRET_BYTES];
    size_t n = 0;
    if (sealed == NULL || key == NULL ||
        gh_unseal(key, sealed, secret, sizeof secret, &n) != GH_OK || n != sizeof secret)
        return GH_EUNAUTH;
    gh_err err = gh_totp_verify(secret, code, now, last_step, step);
    sodium_memzero(secret, sizeof secret);
    return err;
}

/* A TOTP step of an account that cannot sign in (banned, disabled...): refused like any failure
 * (A6) and recorded as one (L1), but not counted again. */
static gh_err totp_blocked(gh_ctx *ctx, const gh_credentials *c)
{
    gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, c,
                          c->banned_until > ctx->now
                              ? GH_AUDIT_DETAIL_OF(.factor = "totp", .banned = GH_AUDIT_TRUE)
                              : GH_AUDIT_DETAIL_OF(.factor = "totp", .blocked = GH_AUDIT_TRUE));
    return gh_signin_refused(ctx);
}

gh_err gh_signin_totp(gh_ctx *ctx, const gh_session *sess, const char *code, gh_signin_stage *next)
{
    gh_credentials c, fresh;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, sess->user_id, &c);
    if (err != GH_OK)
        return err == GH_ENOTFOUND ? gh_signin_refused(ctx) : err;
    /* the webauthn stage takes a code or a recovery code instead of the passkey */
    if (sess->stage != GH_STAGE_TOTP && sess->stage != GH_STAGE_WEBAUTHN)
        return gh_signin_refused(ctx);
    if (!gh_signin_can_continue(&c, ctx->now))
        return totp_blocked(ctx, &c);
    int64_t step = 0;
    bool totp = gh_signin_six_digits(code);
    if (totp && gh_signin_check_totp(gh_signin_config_of(ctx)->secret_key, c.totp_secret, code,
                                     ctx->now, c.totp_last_step, &step) != GH_OK)
        return gh_signin_count_failure(ctx, &c, "totp");
    char hash[65];
    gh_recovery_code_hash(code, hash);
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    /* A ban by parallel failures committed since the read above still holds (A4, A5). */
    if ((err = gh_store_credentials_locked(ctx->db, ctx->a, c.user_id, &fresh)) == GH_OK &&
        !gh_signin_can_continue(&fresh, ctx->now)) {
        gh_db_rollback(ctx->db);
        return totp_blocked(ctx, &fresh);
    }
    /* the step moves by compare-and-set: of two requests with one code, one wins (A10) */
    if (err == GH_OK)
        err = totp ? gh_store_totp_advance(ctx->db, c.user_id, c.totp_last_step, step)
                   : gh_store_recovery_use(ctx->db, c.user_id, hash, ctx->now);
    if (err == GH_ECONFLICT || err == GH_ENOTFOUND) {
        gh_db_rollback(ctx->db);
        return gh_signin_count_failure(ctx, &c, totp ? "totp" : "recovery_code");
    }
    if (err == GH_OK)
        err = gh_store_login_reset(ctx->db, c.user_id);
    if (err == GH_OK)
        err =
            gh_signin_advance_by(ctx, sess, &c, sess->stage, totp ? "totp" : "recovery_code", next);
    return gh_core_finish(ctx, err);
}

gh_err gh_signin_password_changed(gh_ctx *ctx, const gh_session *sess, const char *new_hash,
                                  gh_signin_stage *next)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, sess->user_id, &c);
    if (err != GH_OK)
        return err;
    if (sess->stage != GH_STAGE_CHANGE_PASSWORD)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, "no password change is due in this session");
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_user_set_password(ctx->db, c.user_id, new_hash, false, ctx->now);
    if (err == GH_OK) /* the other sessions, every token and reset link end (S4, S11) */
        err = gh_core_end_credentials(ctx, c.user_id, sess->id);
    c.must_change_password = false;
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_USER_PASSWORD_CHANGE, "user", c.user_id, c.user_id,
                            c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    if (err == GH_OK)
        err = gh_signin_advance(ctx, sess, &c, GH_STAGE_CHANGE_PASSWORD, next);
    return gh_core_finish(ctx, err);
}

void gh_signin_throttled(gh_ctx *ctx, const char *factor, int64_t retry_after)
{
    static const gh_principal nobody = {.username = "unknown"};
    const gh_principal *saved = ctx->who, *who = saved != NULL ? saved : &nobody;
    ctx->who = who;
    gh_audit_obj detail =
        GH_AUDIT_DETAIL_OF(.factor = factor, .retry_after = GH_AUDIT_INT(retry_after));
    if (gh_db_begin(ctx->db) == GH_OK &&
        gh_core_finish(ctx, gh_core_audit(ctx, GH_ACT_LOGIN_THROTTLED, "user", who->user_id,
                                          who->user_id, who->provider_id, GH_AUDIT_NOTHING,
                                          detail)) != GH_OK)
        gh_log("error", "audit_failed", "action", gh_audit_action_name(GH_ACT_LOGIN_THROTTLED),
               NULL);
    ctx->who = saved;
}
