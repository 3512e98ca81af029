/* Own two-factor enrolment: a pending secret, its confirmation with ten recovery codes, and the
 * fresh proof that replacing an enrolled device needs (see signin.h). */
#include "core/signin.h"

#include <sodium.h>

#include "auth/totp.h"
#include "core/internal.h"

/* enroll_totp is due only while no device is enrolled: a password-only session opened before
 * another one enrolled must neither replace that device nor skip its code (A13). */
static gh_err enrolment_due(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c)
{
    if (sess->stage == GH_STAGE_ENROLL_TOTP && c->mfa_enrolled)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       "two-factor is already set up for this account; sign in again");
    return GH_OK;
}

gh_err gh_core_reauth(gh_ctx *ctx, const gh_credentials *c, const gh_reauth *re, const char *why,
                      int64_t *step)
{
    if (re == NULL || (!re->password_given && re->code == NULL))
        return gh_fail(ctx, GH_EFORBIDDEN, "current_password", "required", why);
    if (re->password_given && re->password_ok)
        return GH_OK;
    if (!re->password_given && gh_signin_six_digits(re->code) &&
        gh_signin_check_totp(gh_signin_config_of(ctx)->secret_key, c->totp_secret, re->code,
                             ctx->now, c->totp_last_step, step) == GH_OK)
        return GH_OK;
    const char *field = re->password_given ? "current_password" : "code";
    if (gh_signin_count_failure(ctx, c, field) != GH_EUNAUTH)
        return GH_EDB;
    return gh_fail(ctx, GH_EINVAL, field, "wrong",
                   re->password_given ? "the current password is wrong"
                                      : "the code does not match; check the device clock");
}

gh_err gh_core_reauth_use_code(gh_ctx *ctx, const gh_credentials *c, int64_t step)
{
    gh_err err =
        step > 0 ? gh_store_totp_advance(ctx->db, c->user_id, c->totp_last_step, step) : GH_OK;
    return err == GH_ECONFLICT ? gh_fail(ctx, GH_EINVAL, "code", "used",
                                         "this code was used already; wait for the next one")
                               : err;
}

gh_err gh_totp_enrol_start(gh_ctx *ctx, const gh_session *sess, const gh_reauth *re,
                           gh_totp_enrolment *out)
{
    const gh_signin_config *cfg = gh_signin_config_of(ctx);
    if (cfg->secret_key == NULL)
        return gh_fail(ctx, GH_EINTERNAL, NULL, NULL, "no secret key is configured");
    gh_credentials c;
    int64_t step = 0;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK || (err = enrolment_due(ctx, sess, &c)) != GH_OK)
        return err;
    if (c.mfa_enrolled &&
        (err = gh_core_reauth(ctx, &c, re,
                              "to replace your two-factor device, confirm with your current "
                              "password or a code from the device",
                              &step)) != GH_OK)
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
    err = gh_core_reauth_use_code(ctx, &c, step);
    if (err == GH_OK)
        err = gh_store_totp_pending(ctx->db, ctx->who->user_id, sealed);
    gh_audit_obj detail =
        !c.mfa_enrolled
            ? GH_AUDIT_NOTHING
            : GH_AUDIT_DETAIL_OF(.replace = GH_AUDIT_TRUE, .proof = step > 0 ? "code" : "password");
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_TOTP_ENROL_START, "user", ctx->who->user_id,
                            ctx->who->user_id, ctx->who->provider_id, GH_AUDIT_NOTHING, detail);
    return gh_core_finish(ctx, err);
}

gh_err gh_core_recovery_codes_new(gh_ctx *ctx, int64_t user_id, char ***shown)
{
    char codes[GH_RECOVERY_CODES][GH_RECOVERY_CODE_CHARS + 1];
    char hashes[GH_RECOVERY_CODES][65];
    const char *hash_ptrs[GH_RECOVERY_CODES];
    char **out = gh_arena_alloc(ctx->a, (GH_RECOVERY_CODES + 1) * sizeof *out);
    gh_recovery_codes_new(codes);
    for (int i = 0; i < GH_RECOVERY_CODES; i++) {
        gh_recovery_code_hash(codes[i], hashes[i]);
        hash_ptrs[i] = hashes[i];
        out[i] = gh_arena_strdup(ctx->a, codes[i]);
    }
    out[GH_RECOVERY_CODES] = NULL;
    sodium_memzero(codes, sizeof codes);
    gh_err err = gh_store_recovery_replace(ctx->db, user_id, hash_ptrs, GH_RECOVERY_CODES);
    sodium_memzero(hashes, sizeof hashes);
    if (err == GH_OK)
        *shown = out;
    return err;
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
        return gh_fail(ctx, GH_ECONFLICT, NULL, NULL, "start the enrolment first");
    int64_t step = 0;
    if (gh_signin_check_totp(gh_signin_config_of(ctx)->secret_key, c.totp_pending, code, ctx->now,
                             0, &step) != GH_OK)
        return gh_fail(ctx, GH_EINVAL, "code", "wrong",
                       "the code does not match; check the device clock");
    char **shown = NULL;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_store_totp_confirm(ctx->db, c.user_id, step);
    if (err == GH_OK)
        err = gh_core_recovery_codes_new(ctx, c.user_id, &shown);
    bool replaced = c.mfa_enrolled;
    c.mfa_enrolled = true;
    *next = sess->stage;
    if (err == GH_OK && sess->stage == GH_STAGE_ENROLL_TOTP)
        err = gh_signin_advance(ctx, sess, &c, GH_STAGE_ENROLL_TOTP, next);
    if (err == GH_OK)
        err =
            gh_core_audit(ctx, replaced ? GH_ACT_TOTP_REPLACED : GH_ACT_TOTP_ENROLLED, "user",
                          c.user_id, c.user_id, c.provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    err = gh_core_finish(ctx, err);
    if (err == GH_OK)
        *recovery_codes = shown;
    return err;
}
