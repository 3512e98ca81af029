/* See signin.h. */
#include "core/signin.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth/policy.h"
#include "auth/totp.h"
#include "core/internal.h"
#include "util/log.h"

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
    case GH_STAGE_TOTP:
        return c->mfa_enrolled;
    case GH_STAGE_CHANGE_PASSWORD:
        return c->must_change_password;
    case GH_STAGE_ENROLL_TOTP:
        return c->mfa_required && !c->mfa_enrolled;
    default:
        return true;
    }
}

static gh_signin_stage next_stage(const gh_credentials *c, gh_signin_stage passed)
{
    for (int i = (int)passed + 1; i < GH_STAGE_DONE; i++)
        if (stage_applies(c, (gh_signin_stage)i))
            return (gh_signin_stage)i;
    return GH_STAGE_DONE;
}

static gh_principal self_of(const gh_credentials *c)
{
    return (gh_principal){
        .user_id = c->user_id, .username = c->username, .provider_id = c->provider_id};
}

/* Records an audit row in its own transaction, acting as the signing-in user. */
static void audit_alone(gh_ctx *ctx, const char *action, const gh_credentials *c,
                        gh_audit_obj detail)
{
    gh_principal self = c != NULL ? self_of(c) : (gh_principal){.username = "unknown"};
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    if (gh_db_begin(ctx->db) == GH_OK &&
        gh_core_finish(ctx, gh_core_audit(ctx, action, "user", self.user_id, self.user_id,
                                          self.provider_id, GH_AUDIT_NOTHING, detail)) != GH_OK)
        gh_log("error", "audit_failed", "action", action, NULL);
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

static gh_err refused(gh_ctx *ctx)
{
    return gh_fail(ctx, GH_EUNAUTH, NULL, GH_SIGNIN_REFUSED);
}

/* A failed step: counts towards the ban (one conditional UPDATE) and records it. */
static gh_err count_failure(gh_ctx *ctx, const gh_credentials *c, const char *factor)
{
    bool banned_now = false;
    gh_principal self = self_of(c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    gh_err err = gh_db_begin(ctx->db);
    if (err == GH_OK) {
        err = gh_store_login_failed(ctx->db, c->user_id, ctx->now,
                                    gh_signin_config_of(ctx)->max_failures,
                                    gh_signin_config_of(ctx)->ban_seconds, &banned_now);
        if (err == GH_OK)
            err =
                gh_core_audit(ctx, "login.failure", "user", c->user_id, c->user_id, c->provider_id,
                              GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.factor = factor));
        if (err == GH_OK && banned_now)
            err = gh_core_audit(ctx, "user.ban", "user", c->user_id, c->user_id, c->provider_id,
                                GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
        err = gh_core_finish(ctx, err);
    }
    ctx->who = saved;
    return err != GH_OK ? err : refused(ctx);
}

static bool can_sign_in(const gh_credentials *c, int64_t now)
{
    return c->status == GH_STATUS_ACTIVE && c->login_enabled && !c->enforce_sso &&
           c->banned_until <= now;
}

static gh_err open_session(gh_ctx *ctx, const gh_credentials *c, gh_signin_stage next,
                           const char *user_agent, gh_signin_result *out)
{
    char token[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS];
    gh_token_new(token, hash);
    gh_session s = {.user_id = c->user_id,
                    .stage = next,
                    .created_at = ctx->now,
                    .last_seen_at = ctx->now,
                    .expires_at = ctx->now + gh_signin_config_of(ctx)->absolute_seconds,
                    .ip = ctx->ip,
                    .user_agent = user_agent};
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
        audit_alone(ctx, "login.failure", NULL,
                    GH_AUDIT_DETAIL_OF(.factor = "password", .known = GH_AUDIT_FALSE));
        return refused(ctx);
    }
    if (c->banned_until > ctx->now) {
        audit_alone(ctx, "login.failure", c,
                    GH_AUDIT_DETAIL_OF(.factor = "password", .banned = GH_AUDIT_TRUE));
        return refused(ctx);
    }
    if (!password_ok)
        return count_failure(ctx, c, "password");
    if (!can_sign_in(c, ctx->now)) {
        audit_alone(ctx, "login.failure", c,
                    GH_AUDIT_DETAIL_OF(.factor = "password", .blocked = GH_AUDIT_TRUE));
        return refused(ctx);
    }
    gh_principal self = self_of(c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    gh_signin_stage next = next_stage(c, GH_STAGE_PASSWORD);
    gh_credentials fresh;
    gh_err err = gh_db_begin(ctx->db);
    /* The Argon2id check took a while: a ban (parallel wrong passwords) or a disable committed
     * since the read above still holds (A4, A5). Read again inside the write transaction. */
    if (err == GH_OK &&
        (err = gh_store_credentials_locked(ctx->db, ctx->a, c->user_id, &fresh)) == GH_OK &&
        !can_sign_in(&fresh, ctx->now)) {
        gh_db_rollback(ctx->db);
        ctx->who = saved;
        audit_alone(ctx, "login.failure", c,
                    GH_AUDIT_DETAIL_OF(.factor = "password", .blocked = GH_AUDIT_TRUE));
        return refused(ctx);
    }
    if (err == GH_OK) {
        /* The count restarts only once every guessable factor passed: were the password step
         * to reset it, someone holding the password could try four codes per sign-in for ever
         * (A4, A10). The TOTP step resets it when it passes. */
        if (next != GH_STAGE_TOTP)
            err = gh_store_login_reset(ctx->db, c->user_id);
        if (err == GH_OK && rehash != NULL)
            err = gh_store_user_set_password(ctx->db, c->user_id, rehash, c->must_change_password,
                                             ctx->now);
        if (err == GH_OK)
            err = open_session(ctx, c, next, user_agent, out);
        if (err == GH_OK && next == GH_STAGE_DONE)
            err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
        if (err == GH_OK)
            err = gh_core_audit(ctx, "login.success", "user", c->user_id, c->user_id,
                                c->provider_id, GH_AUDIT_NOTHING,
                                GH_AUDIT_DETAIL_OF(.factor = "password", .next = &next));
        err = gh_core_finish(ctx, err);
    }
    ctx->who = saved;
    return err;
}

/* Moves the session past a step; the last step records the completed sign-in. */
static gh_err advance(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                      gh_signin_stage passed, gh_signin_stage *next)
{
    *next = next_stage(c, passed);
    gh_err err = gh_store_session_set_stage(ctx->db, sess->id, *next);
    if (err == GH_OK && *next == GH_STAGE_DONE)
        err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, "login.success", "user", c->user_id, c->user_id, c->provider_id, GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.factor = gh_signin_stage_name(passed), .next = next));
    return err;
}

static bool is_six_digits(const char *code)
{
    for (int i = 0; i < 6; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[6] == '\0';
}

/* Checks a TOTP code against the user's sealed secret; *step gets the step on success. */
static gh_err check_totp(const unsigned char *key, const char *sealed, const char *code,
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
    audit_alone(ctx, "login.failure", c,
                c->banned_until > ctx->now
                    ? GH_AUDIT_DETAIL_OF(.factor = "totp", .banned = GH_AUDIT_TRUE)
                    : GH_AUDIT_DETAIL_OF(.factor = "totp", .blocked = GH_AUDIT_TRUE));
    return refused(ctx);
}

gh_err gh_signin_totp(gh_ctx *ctx, const gh_session *sess, const char *code, gh_signin_stage *next)
{
    gh_credentials c, fresh;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, sess->user_id, &c);
    if (err != GH_OK)
        return err == GH_ENOTFOUND ? refused(ctx) : err;
    if (sess->stage != GH_STAGE_TOTP)
        return refused(ctx);
    if (!can_sign_in(&c, ctx->now))
        return totp_blocked(ctx, &c);
    int64_t step = 0;
    bool totp = is_six_digits(code);
    if (totp && check_totp(gh_signin_config_of(ctx)->secret_key, c.totp_secret, code, ctx->now,
                           c.totp_last_step, &step) != GH_OK)
        return count_failure(ctx, &c, "totp");
    char hash[65];
    gh_recovery_code_hash(code, hash);
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    /* A ban by parallel failures committed since the read above still holds (A4, A5). */
    if ((err = gh_store_credentials_locked(ctx->db, ctx->a, c.user_id, &fresh)) == GH_OK &&
        !can_sign_in(&fresh, ctx->now)) {
        gh_db_rollback(ctx->db);
        return totp_blocked(ctx, &fresh);
    }
    /* the step moves by compare-and-set: of two requests with one code, one wins (A10) */
    if (err == GH_OK)
        err = totp ? gh_store_totp_advance(ctx->db, c.user_id, c.totp_last_step, step)
                   : gh_store_recovery_use(ctx->db, c.user_id, hash, ctx->now);
    if (err == GH_ECONFLICT || err == GH_ENOTFOUND) {
        gh_db_rollback(ctx->db);
        return count_failure(ctx, &c, totp ? "totp" : "recovery_code");
    }
    if (err == GH_OK)
        err = gh_store_login_reset(ctx->db, c.user_id);
    if (err == GH_OK)
        err = advance(ctx, sess, &c, GH_STAGE_TOTP, next);
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
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, "no password change is due in this session");
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_user_set_password(ctx->db, c.user_id, new_hash, false, ctx->now);
    if (err == GH_OK) /* the other sessions, every token and reset link end (S4, S11) */
        err = gh_core_end_credentials(ctx, c.user_id, sess->id);
    c.must_change_password = false;
    if (err == GH_OK)
        err = gh_core_audit(ctx, "user.password_change", "user", c.user_id, c.user_id,
                            c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    if (err == GH_OK)
        err = advance(ctx, sess, &c, GH_STAGE_CHANGE_PASSWORD, next);
    return gh_core_finish(ctx, err);
}

gh_err gh_session_authenticate(const gh_signin_config *c, gh_db *db, gh_arena *a, const char *token,
                               int64_t now, gh_session *s, gh_principal *p)
{
    int64_t idle = (c != NULL ? c : &gh_signin_defaults)->idle_seconds;
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_err err = gh_store_session_auth(db, a, hash, now, now - idle, s, p);
    return err == GH_ENOTFOUND ? GH_EUNAUTH : err;
}

gh_err gh_session_touch(gh_db *db, gh_session *s, int64_t now)
{
    if (now - s->last_seen_at < 60)
        return GH_OK;
    gh_err err = gh_store_session_touch(db, s->id, now);
    if (err == GH_OK)
        s->last_seen_at = now;
    return err;
}

gh_err gh_session_end(gh_ctx *ctx, const gh_session *sess)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = gh_store_session_delete(ctx->db, sess->user_id, sess->id, NULL);
    if (err == GH_OK)
        err = gh_core_audit(ctx, "session.end", "session", sess->id, sess->user_id,
                            ctx->who->provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    return gh_core_finish(ctx, err);
}

/* enroll_totp is due only while no device is enrolled: a password-only session opened before
 * another one enrolled must neither replace that device nor skip its code (A13). */
static gh_err enrolment_due(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c)
{
    if (sess->stage == GH_STAGE_ENROLL_TOTP && c->mfa_enrolled)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL,
                       "two-factor is already set up for this account; sign in again");
    return GH_OK;
}

/* Replacing an enrolled device needs a fresh proof (S10): the current password or a current
 * code of that device (its step is then used up, A10). A wrong proof counts as a failed
 * sign-in step (A4) and is answered like a wrong current password (400, not 401). */
static gh_err check_reauth(gh_ctx *ctx, const gh_credentials *c, const gh_reauth *re, int64_t *step)
{
    if (re == NULL || (!re->password_given && re->code == NULL))
        return gh_fail(ctx, GH_EFORBIDDEN, "current_password",
                       "to replace your two-factor device, confirm with your current password or "
                       "a code from the device");
    if (re->password_given && re->password_ok)
        return GH_OK;
    if (!re->password_given && is_six_digits(re->code) &&
        check_totp(gh_signin_config_of(ctx)->secret_key, c->totp_secret, re->code, ctx->now,
                   c->totp_last_step, step) == GH_OK)
        return GH_OK;
    const char *field = re->password_given ? "current_password" : "code";
    if (count_failure(ctx, c, field) != GH_EUNAUTH)
        return GH_EDB;
    return gh_fail(ctx, GH_EINVAL, field,
                   re->password_given ? "the current password is wrong"
                                      : "the code does not match; check the device clock");
}

gh_err gh_totp_enrol_start(gh_ctx *ctx, const gh_session *sess, const gh_reauth *re,
                           gh_totp_enrolment *out)
{
    const gh_signin_config *cfg = gh_signin_config_of(ctx);
    if (cfg->secret_key == NULL)
        return gh_fail(ctx, GH_EINTERNAL, NULL, "no secret key is configured");
    gh_credentials c;
    int64_t step = 0;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK || (err = enrolment_due(ctx, sess, &c)) != GH_OK)
        return err;
    if (c.mfa_enrolled && (err = check_reauth(ctx, &c, re, &step)) != GH_OK)
        return err;
    unsigned char secret[GH_TOTP_SECRET_BYTES];
    gh_totp_new_secret(secret);
    char *sealed = gh_seal(ctx->a, cfg->secret_key, secret, sizeof secret);
    out->secret_base32 = gh_totp_base32(ctx->a, secret);
    out->otpauth_uri = gh_totp_uri(ctx->a, cfg->issuer, ctx->who->username, secret);
    out->qr_svg = gh_totp_qr_svg(ctx->a, out->otpauth_uri);
    sodium_memzero(secret, sizeof secret);
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    /* a code used as the proof is used up by compare-and-set, like a sign-in code (A10) */
    if (step > 0 &&
        (err = gh_store_totp_advance(ctx->db, c.user_id, c.totp_last_step, step)) == GH_ECONFLICT)
        err = gh_fail(ctx, GH_EINVAL, "code", "this code was used already; wait for the next one");
    if (err == GH_OK)
        err = gh_store_totp_pending(ctx->db, ctx->who->user_id, sealed);
    gh_audit_obj detail =
        !c.mfa_enrolled
            ? GH_AUDIT_NOTHING
            : GH_AUDIT_DETAIL_OF(.replace = GH_AUDIT_TRUE, .proof = step > 0 ? "code" : "password");
    if (err == GH_OK)
        err = gh_core_audit(ctx, "totp.enrol_start", "user", ctx->who->user_id, ctx->who->user_id,
                            ctx->who->provider_id, GH_AUDIT_NOTHING, detail);
    return gh_core_finish(ctx, err);
}

gh_err gh_totp_enrol_confirm(gh_ctx *ctx, const gh_session *sess, const char *code,
                             char ***recovery_codes, gh_signin_stage *next)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK)
        return err;
    if ((err = enrolment_due(ctx, sess, &c)) != GH_OK)
        return err;
    if (c.totp_pending == NULL)
        return gh_fail(ctx, GH_ECONFLICT, NULL, "start the enrolment first");
    int64_t step = 0;
    if (check_totp(gh_signin_config_of(ctx)->secret_key, c.totp_pending, code, ctx->now, 0,
                   &step) != GH_OK)
        return gh_fail(ctx, GH_EINVAL, "code", "the code does not match; check the device clock");
    char codes[GH_RECOVERY_CODES][GH_RECOVERY_CODE_CHARS + 1];
    char hashes[GH_RECOVERY_CODES][65];
    const char *hash_ptrs[GH_RECOVERY_CODES];
    char **shown = gh_arena_alloc(ctx->a, (GH_RECOVERY_CODES + 1) * sizeof *shown);
    gh_recovery_codes_new(codes);
    for (int i = 0; i < GH_RECOVERY_CODES; i++) {
        gh_recovery_code_hash(codes[i], hashes[i]);
        hash_ptrs[i] = hashes[i];
        shown[i] = gh_arena_strdup(ctx->a, codes[i]);
    }
    sodium_memzero(codes, sizeof codes);
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_totp_confirm(ctx->db, c.user_id, step);
    if (err == GH_OK)
        err = gh_store_recovery_replace(ctx->db, c.user_id, hash_ptrs, GH_RECOVERY_CODES);
    bool replaced = c.mfa_enrolled;
    c.mfa_enrolled = true;
    *next = sess->stage;
    if (err == GH_OK && sess->stage == GH_STAGE_ENROLL_TOTP)
        err = advance(ctx, sess, &c, GH_STAGE_ENROLL_TOTP, next);
    if (err == GH_OK)
        err = gh_core_audit(ctx, replaced ? "totp.replaced" : "totp.enrolled", "user", c.user_id,
                            c.user_id, c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    err = gh_core_finish(ctx, err);
    if (err == GH_OK)
        *recovery_codes = shown;
    return err;
}

gh_err gh_password_change_own(gh_ctx *ctx, const gh_session *sess, bool current_ok,
                              const char *new_hash)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK)
        return err;
    if (current_ok && new_hash == NULL)
        return GH_EINTERNAL;
    if (!current_ok)
        return count_failure(ctx, &c, "current_password") == GH_EUNAUTH
                   ? gh_fail(ctx, GH_EINVAL, "current_password", "the current password is wrong")
                   : GH_EDB;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_user_set_password(ctx->db, c.user_id, new_hash, false, ctx->now);
    /* whoever had the old password is out: every other session, every API token and pending
     * reset link end; the session that changed it stays (S11) */
    if (err == GH_OK)
        err = gh_core_end_credentials(ctx, c.user_id, sess != NULL ? sess->id : 0);
    if (err == GH_OK)
        err = gh_core_audit(ctx, "user.password_change", "user", c.user_id, c.user_id,
                            c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
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
        gh_core_finish(ctx,
                       gh_core_audit(ctx, "login.throttled", "user", who->user_id, who->user_id,
                                     who->provider_id, GH_AUDIT_NOTHING, detail)) != GH_OK)
        gh_log("error", "audit_failed", "action", "login.throttled", NULL);
    ctx->who = saved;
}

gh_err gh_core_password_policy(gh_ctx *ctx, const gh_user *u, const char *password,
                               const char *field)
{
    /* the product's name and the name of the user's service provider (A2); an unknown
     * provider is left to the caller's own checks */
    const char *words[] = {"gatehouse", NULL, NULL};
    gh_tenant provider;
    gh_err err = GH_OK;
    if (u->provider_id != 0 &&
        (err = gh_store_tenant_get(ctx->db, ctx->a, u->provider_id, &provider)) == GH_OK)
        words[1] = provider.name;
    if (err != GH_OK && err != GH_ENOTFOUND)
        return err;
    gh_password_facts facts = {.username = u->username,
                               .first_name = u->first_name,
                               .last_name = u->last_name,
                               .email = u->email,
                               .words = words};
    const char *reason = NULL;
    err = gh_password_policy(password, gh_signin_config_of(ctx)->password_min, &facts, &reason);
    /* another error: the policy could not check (no dictionary): fail closed, as a 5xx */
    return err == GH_EINVAL ? gh_fail(ctx, GH_EINVAL, field, reason) : err;
}

gh_err gh_signin_password_policy(gh_ctx *ctx, int64_t user_id, const char *password)
{
    gh_user u;
    gh_err err = gh_store_user_get(ctx->db, ctx->a, user_id, &u);
    return err != GH_OK ? err : gh_core_password_policy(ctx, &u, password, "password");
}
