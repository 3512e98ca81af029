/* See passkeys.h. */
#include "core/passkeys.h"

#include <sodium.h>
#include <string.h>

#include "core/internal.h"
#include "util/log.h"

#define PURPOSE_REGISTER     "register"
#define PURPOSE_SIGNIN       "signin"
#define PURPOSE_PASSWORDLESS "passwordless"

static gh_err unavailable(gh_ctx *ctx)
{
    return gh_fail(ctx, GH_ECONFLICT, NULL, NULL,
                   "passkeys need the server's external URL (--external-url)");
}

static bool has_second_factor(const gh_credentials *c)
{
    return c->mfa_enrolled || c->has_passkeys;
}

/* The S10 proof is asked of accounts that have something to prove it with. */
static bool needs_proof(const gh_credentials *c)
{
    return has_second_factor(c) && (c->password_hash != NULL || c->totp_secret != NULL);
}

static const char **credential_ids(gh_ctx *ctx, const gh_passkey *items, size_t n)
{
    const char **v = gh_arena_alloc(ctx->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = items[i].credential_id;
    v[n] = NULL;
    return v;
}

/* A new challenge of purpose, recorded in the caller's transaction. */
static gh_err issue_challenge(gh_ctx *ctx, const char *purpose, int64_t session_id, int64_t user_id,
                              const char **out)
{
    const char *ch = gh_webauthn_new_challenge(ctx->a);
    gh_err err = gh_store_challenge_insert(ctx->db, ch, purpose, session_id, user_id, ctx->now,
                                           ctx->now + GH_PASSKEY_CHALLENGE_SECONDS);
    if (err == GH_OK)
        *out = ch;
    return err;
}

gh_err gh_passkey_register_options(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                                   gh_passkey_options *out)
{
    if (rp == NULL)
        return unavailable(ctx);
    unsigned char h[GH_WEBAUTHN_HANDLE_BYTES];
    randombytes_buf(h, sizeof h);
    const char *fresh = gh_webauthn_b64(ctx->a, h, sizeof h), *handle = NULL, *ch = NULL;
    gh_passkey *items = NULL;
    size_t n = 0;
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = gh_store_webauthn_handle(ctx->db, ctx->a, ctx->who->user_id, fresh, &handle);
    if (err == GH_OK)
        err = gh_store_passkey_list(ctx->db, ctx->a, ctx->who->user_id, &items, &n);
    if (err == GH_OK)
        err = issue_challenge(ctx, PURPOSE_REGISTER, sess->id, ctx->who->user_id, &ch);
    if ((err = gh_core_finish(ctx, err)) != GH_OK)
        return err;
    *out = (gh_passkey_options){.challenge = ch,
                                .user_handle = handle,
                                .user_name = ctx->who->username,
                                .display_name = ctx->who->username,
                                .credential_ids = credential_ids(ctx, items, n)};
    return GH_OK;
}

gh_err gh_core_passkey_reauth_hash(gh_ctx *ctx, bool password_given, const char **verify_hash)
{
    gh_credentials c;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK)
        return err;
    *verify_hash = password_given && has_second_factor(&c) ? c.password_hash : NULL;
    return GH_OK;
}

/* The raw bytes of a base64url field of the response; false when it is not base64url. */
static bool field_bytes(gh_ctx *ctx, const char *b64, unsigned char **p, size_t *n)
{
    return b64 != NULL && gh_webauthn_unb64(ctx->a, b64, p, n) == GH_OK && *n > 0;
}

static bool response_names_itself(const gh_webauthn_response *resp)
{
    return resp->id != NULL && resp->raw_id != NULL && strcmp(resp->id, resp->raw_id) == 0 &&
           resp->type != NULL && strcmp(resp->type, "public-key") == 0;
}

static gh_err register_failed(gh_ctx *ctx, gh_webauthn_failure why)
{
    gh_log("info", "passkey_register_refused", "reason", gh_webauthn_failure_name(why), NULL);
    return gh_fail(ctx, GH_EINVAL, "credential", gh_webauthn_failure_name(why),
                   "the passkey could not be registered; try again");
}

/* The registration ceremony's checks (no writes): *cred on success. */
static gh_err verify_registration(gh_ctx *ctx, const gh_webauthn_rp *rp,
                                  const gh_webauthn_response *resp, const char **challenge,
                                  gh_webauthn_cred *cred)
{
    unsigned char *cdj = NULL, *att = NULL;
    size_t cdj_len = 0, att_len = 0;
    gh_webauthn_failure why = GH_WA_MALFORMED;
    if (!response_names_itself(resp) || !field_bytes(ctx, resp->client_data_json, &cdj, &cdj_len) ||
        !field_bytes(ctx, resp->attestation_object, &att, &att_len))
        return register_failed(ctx, why);
    if (gh_webauthn_client_data(ctx->a, rp, cdj, cdj_len, "webauthn.create", challenge, &why) !=
            GH_OK ||
        gh_webauthn_register(ctx->a, rp, att, att_len, false, cred, &why) != GH_OK)
        return register_failed(ctx, why);
    if (strcmp(cred->id, resp->raw_id) != 0)
        return register_failed(ctx, GH_WA_MALFORMED);
    return GH_OK;
}

static gh_err register_in_tx(gh_ctx *ctx, const gh_session *sess, const gh_credentials *c,
                             const char *challenge, int64_t step, gh_passkey *pk,
                             char ***recovery_codes)
{
    gh_err err = gh_store_challenge_use(ctx->db, challenge, PURPOSE_REGISTER, sess->id, ctx->now);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, GH_EINVAL, "credential", "challenge",
                       "the passkey took too long or its request was used already; try again");
    if (err == GH_OK)
        err = gh_core_reauth_use_code(ctx, c, step);
    if (err == GH_OK)
        err = gh_store_passkey_insert(ctx->db, pk, &pk->id);
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, GH_ECONFLICT, "credential", "taken",
                       "this passkey is registered already");
    /* the account's first second factor: recovery codes, as a TOTP enrolment gives */
    if (err == GH_OK && !has_second_factor(c))
        err = gh_core_recovery_codes_new(ctx, c->user_id, recovery_codes);
    gh_credentials with = *c;
    with.has_passkeys = true;
    gh_signin_stage next = GH_STAGE_DONE;
    if (err == GH_OK && sess->stage == GH_STAGE_ENROLL_TOTP) /* the second factor it was due */
        err = gh_signin_advance(ctx, sess, &with, GH_STAGE_ENROLL_TOTP, &next);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_PASSKEY_ADDED, "user", c->user_id, c->user_id,
                            c->provider_id, GH_AUDIT_NOTHING,
                            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(pk->id), .name = pk->name,
                                               .proof = step > 0         ? "code"
                                                        : needs_proof(c) ? "password"
                                                                         : NULL));
    return err;
}

gh_err gh_passkey_register(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                           const char *name, const gh_webauthn_response *resp, const gh_reauth *re,
                           gh_passkey *out, char ***recovery_codes)
{
    *recovery_codes = NULL;
    if (rp == NULL)
        return unavailable(ctx);
    gh_credentials c;
    gh_passkey *items = NULL;
    size_t n = 0;
    int64_t step = 0;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err == GH_OK)
        err = gh_store_passkey_list(ctx->db, ctx->a, c.user_id, &items, &n);
    if (err != GH_OK)
        return err;
    if (n >= GH_PASSKEY_MAX_PER_USER)
        return gh_fail(ctx, GH_ECONFLICT, NULL, NULL, "remove a passkey before adding another");
    /* at the enrolment step only while no second factor is there: a session opened before
     * another one enrolled neither adds to it nor skips it (A13) */
    if (sess->stage == GH_STAGE_ENROLL_TOTP && has_second_factor(&c))
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       "two-factor is already set up for this account; sign in again");
    if (needs_proof(&c) &&
        (err = gh_core_reauth(ctx, &c, re,
                              "to add a passkey, confirm with your current password or a code "
                              "from your two-factor device",
                              &step)) != GH_OK)
        return err;
    const char *challenge = NULL;
    gh_webauthn_cred cred;
    if ((err = verify_registration(ctx, rp, resp, &challenge, &cred)) != GH_OK)
        return err;
    gh_passkey pk = {.user_id = c.user_id,
                     .name = name,
                     .credential_id = cred.id,
                     .public_key = cred.public_key,
                     .alg = cred.alg,
                     .sign_count = cred.sign_count,
                     .aaguid = cred.aaguid,
                     .uv = cred.uv,
                     .backup_eligible = cred.backup_eligible,
                     .backed_up = cred.backed_up,
                     .transports = resp->transports,
                     .created_at = ctx->now};
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    char **codes = NULL;
    err = gh_core_finish(ctx, register_in_tx(ctx, sess, &c, challenge, step, &pk, &codes));
    if (err == GH_OK) {
        *out = pk;
        *recovery_codes = codes;
    }
    return err;
}

gh_err gh_passkey_list(gh_ctx *ctx, gh_passkey **items, size_t *n)
{
    return gh_store_passkey_list(ctx->db, ctx->a, ctx->who->user_id, items, n);
}

static gh_err no_such_passkey(gh_ctx *ctx)
{
    return gh_fail(ctx, GH_ENOTFOUND, NULL, NULL, "no such passkey");
}

gh_err gh_passkey_rename(gh_ctx *ctx, int64_t id, const char *name)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = gh_store_passkey_rename(ctx->db, ctx->who->user_id, id, name);
    if (err == GH_ENOTFOUND) {
        gh_db_rollback(ctx->db);
        return no_such_passkey(ctx);
    }
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_PASSKEY_RENAMED, "user", ctx->who->user_id,
                            ctx->who->user_id, ctx->who->provider_id, GH_AUDIT_NOTHING,
                            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(id), .name = name));
    return gh_core_finish(ctx, err);
}

gh_err gh_passkey_remove(gh_ctx *ctx, int64_t id, const gh_reauth *re)
{
    gh_credentials c;
    int64_t step = 0;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, ctx->who->user_id, &c);
    if (err != GH_OK)
        return err;
    if (needs_proof(&c) &&
        (err = gh_core_reauth(ctx, &c, re,
                              "to remove a passkey, confirm with your current password or a code "
                              "from your two-factor device",
                              &step)) != GH_OK)
        return err;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = gh_core_reauth_use_code(ctx, &c, step);
    if (err == GH_OK)
        err = gh_store_passkey_delete(ctx->db, c.user_id, id);
    if (err == GH_ENOTFOUND) {
        gh_db_rollback(ctx->db);
        return no_such_passkey(ctx);
    }
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_PASSKEY_REMOVED, "user", c.user_id, c.user_id, c.provider_id,
            GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(id), .proof = step > 0 ? "code" : "password"));
    return gh_core_finish(ctx, err);
}

/* ---- sign-in ---- */

gh_err gh_signin_webauthn_options(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                                  gh_passkey_options *out)
{
    if (rp == NULL)
        return unavailable(ctx);
    if (sess->stage != GH_STAGE_WEBAUTHN)
        return gh_signin_refused(ctx);
    gh_passkey *items = NULL;
    size_t n = 0;
    const char *ch = NULL;
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = gh_store_passkey_list(ctx->db, ctx->a, sess->user_id, &items, &n);
    if (err == GH_OK)
        err = issue_challenge(ctx, PURPOSE_SIGNIN, sess->id, sess->user_id, &ch);
    if ((err = gh_core_finish(ctx, err)) != GH_OK)
        return err;
    *out = (gh_passkey_options){.challenge = ch, .credential_ids = credential_ids(ctx, items, n)};
    return GH_OK;
}

gh_err gh_passkey_signin_options(gh_ctx *ctx, const gh_webauthn_rp *rp, gh_passkey_options *out)
{
    if (rp == NULL)
        return unavailable(ctx);
    static const char *none[] = {NULL};
    const char *ch = NULL;
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = issue_challenge(ctx, PURPOSE_PASSWORDLESS, 0, 0, &ch);
    if ((err = gh_core_finish(ctx, err)) != GH_OK)
        return err;
    *out = (gh_passkey_options){.challenge = ch, .credential_ids = none, .require_uv = true};
    return GH_OK;
}

/* An assertion's parts, decoded. */
typedef struct assertion {
    unsigned char *cdj, *ad, *sig;
    size_t cdj_len, ad_len, sig_len;
    const char *challenge;
} assertion;

/* Decodes resp and checks its client data; *why on failure. */
static bool assertion_parse(gh_ctx *ctx, const gh_webauthn_rp *rp, const gh_webauthn_response *resp,
                            assertion *as, gh_webauthn_failure *why)
{
    *why = GH_WA_MALFORMED;
    return response_names_itself(resp) &&
           field_bytes(ctx, resp->client_data_json, &as->cdj, &as->cdj_len) &&
           field_bytes(ctx, resp->authenticator_data, &as->ad, &as->ad_len) &&
           field_bytes(ctx, resp->signature, &as->sig, &as->sig_len) &&
           gh_webauthn_client_data(ctx->a, rp, as->cdj, as->cdj_len, "webauthn.get", &as->challenge,
                                   why) == GH_OK;
}

/* Spends the assertion's challenge in a transaction of its own, before the signature is
 * checked: a challenge serves one attempt, whatever its outcome. */
static gh_err spend_challenge(gh_ctx *ctx, const char *challenge, const char *purpose,
                              int64_t session_id)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    return gh_core_finish(
        ctx, gh_store_challenge_use(ctx->db, challenge, purpose, session_id, ctx->now));
}

/* A failed assertion of c's user: counted like a failed code (A4), a cloned authenticator also
 * recorded as such. GH_EUNAUTH (or GH_EDB). */
static gh_err assertion_failed(gh_ctx *ctx, const gh_credentials *c, const gh_passkey *pk,
                               gh_webauthn_failure why, const char *factor)
{
    gh_log("info", "passkey_assertion_refused", "reason", gh_webauthn_failure_name(why), NULL);
    if (why == GH_WA_COUNTER && pk != NULL)
        gh_signin_audit_alone(
            ctx, GH_ACT_PASSKEY_CLONE_REFUSED, c,
            GH_AUDIT_DETAIL_OF(.id = GH_AUDIT_INT(pk->id), .name = pk->name, .factor = factor));
    return gh_signin_count_failure(ctx, c, factor);
}

static gh_err blocked(gh_ctx *ctx, const gh_credentials *c, const char *factor)
{
    gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, c,
                          c->banned_until > ctx->now
                              ? GH_AUDIT_DETAIL_OF(.factor = factor, .banned = GH_AUDIT_TRUE)
                              : GH_AUDIT_DETAIL_OF(.factor = factor, .blocked = GH_AUDIT_TRUE));
    return gh_signin_refused(ctx);
}

/* The assertion's signature and counter against pk; GH_OK with *count, else *why. */
static bool assertion_verify(const gh_webauthn_rp *rp, const gh_passkey *pk, const assertion *as,
                             bool require_uv, uint32_t *count, gh_webauthn_failure *why)
{
    gh_webauthn_cred cred = {
        .public_key = pk->public_key, .alg = pk->alg, .sign_count = (uint32_t)pk->sign_count};
    bool uv = false;
    return gh_webauthn_verify(rp, &cred, as->ad, as->ad_len, as->cdj, as->cdj_len, as->sig,
                              as->sig_len, require_uv, count, &uv, why) == GH_OK;
}

gh_err gh_signin_webauthn(gh_ctx *ctx, const gh_session *sess, const gh_webauthn_rp *rp,
                          const gh_webauthn_response *resp, gh_signin_stage *next)
{
    if (rp == NULL)
        return unavailable(ctx);
    gh_credentials c, fresh;
    gh_err err = gh_store_credentials(ctx->db, ctx->a, NULL, sess->user_id, &c);
    if (err != GH_OK)
        return err == GH_ENOTFOUND ? gh_signin_refused(ctx) : err;
    if (sess->stage != GH_STAGE_WEBAUTHN)
        return gh_signin_refused(ctx);
    if (!gh_signin_can_continue(&c, ctx->now))
        return blocked(ctx, &c, "webauthn");
    assertion as = {0};
    gh_webauthn_failure why = GH_WA_MALFORMED;
    bool parsed = assertion_parse(ctx, rp, resp, &as, &why);
    err = as.challenge != NULL ? spend_challenge(ctx, as.challenge, PURPOSE_SIGNIN, sess->id)
                               : GH_ENOTFOUND;
    if (err != GH_OK && err != GH_ENOTFOUND)
        return err;
    if (!parsed || err == GH_ENOTFOUND)
        return assertion_failed(ctx, &c, NULL, why, "webauthn");
    gh_passkey pk;
    err = gh_store_passkey_by_credential(ctx->db, ctx->a, resp->raw_id, &pk);
    if (err == GH_ENOTFOUND || (err == GH_OK && pk.user_id != c.user_id))
        return assertion_failed(ctx, &c, NULL, GH_WA_MALFORMED, "webauthn");
    if (err != GH_OK)
        return err;
    uint32_t count = 0;
    if (!assertion_verify(rp, &pk, &as, false, &count, &why))
        return assertion_failed(ctx, &c, &pk, why, "webauthn");
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    /* a ban by parallel failures, or a disable, committed since the read above still holds */
    if ((err = gh_store_credentials_locked(ctx->db, ctx->a, c.user_id, &fresh)) == GH_OK &&
        !gh_signin_can_continue(&fresh, ctx->now)) {
        gh_db_rollback(ctx->db);
        return blocked(ctx, &fresh, "webauthn");
    }
    /* the counter moves by compare-and-set: of two assertions with one count, one wins */
    if (err == GH_OK && (err = gh_store_passkey_used(ctx->db, pk.id, pk.sign_count, count,
                                                     ctx->now)) == GH_ECONFLICT) {
        gh_db_rollback(ctx->db);
        return assertion_failed(ctx, &c, &pk, GH_WA_COUNTER, "webauthn");
    }
    if (err == GH_OK)
        err = gh_store_login_reset(ctx->db, c.user_id);
    if (err == GH_OK)
        err = gh_signin_advance(ctx, sess, &fresh, GH_STAGE_WEBAUTHN, next);
    return gh_core_finish(ctx, err);
}

/* Password-less: whether c's provider allows it (platform staff never: see README). */
static gh_err passwordless_allowed(gh_ctx *ctx, const gh_credentials *c, bool *out)
{
    *out = false;
    return c->provider_id != 0 ? gh_store_passkey_signin_allowed(ctx->db, c->provider_id, out)
                               : GH_OK;
}

static gh_err passwordless_open(gh_ctx *ctx, const gh_credentials *c, const gh_passkey *pk,
                                uint32_t count, const char *user_agent, gh_signin_result *out)
{
    gh_credentials fresh;
    gh_err err = gh_store_credentials_locked(ctx->db, ctx->a, c->user_id, &fresh);
    if (err != GH_OK)
        return err;
    if (!gh_signin_can_sign_in(&fresh, ctx->now))
        return GH_EFORBIDDEN; /* the caller rolls back and refuses */
    if ((err = gh_store_passkey_used(ctx->db, pk->id, pk->sign_count, count, ctx->now)) != GH_OK)
        return err;
    gh_signin_stage next = gh_signin_next_stage(&fresh, GH_STAGE_WEBAUTHN);
    err = gh_store_login_reset(ctx->db, c->user_id);
    if (err == GH_OK)
        err = gh_signin_open_session(ctx, &fresh, next, user_agent, 0, out);
    if (err == GH_OK && next == GH_STAGE_DONE)
        err = gh_store_set_last_login(ctx->db, c->user_id, ctx->now);
    if (err == GH_OK)
        err =
            gh_core_audit(ctx, GH_ACT_LOGIN_SUCCESS, "user", c->user_id, c->user_id, c->provider_id,
                          GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.factor = "passkey", .next = &next));
    if (err == GH_OK && next == GH_STAGE_DONE)
        err = gh_core_emit_id(ctx, "user.signed_in", c->provider_id, c->user_id);
    return err;
}

/* The checks before the session opens; GH_OK with *c, *pk and *count, else the refusal. */
static gh_err passwordless_check(gh_ctx *ctx, const gh_webauthn_rp *rp,
                                 const gh_webauthn_response *resp, gh_credentials *c,
                                 gh_passkey *pk, uint32_t *count)
{
    assertion as = {0};
    gh_webauthn_failure why = GH_WA_MALFORMED;
    const char *handle = NULL;
    bool allowed = false;
    bool parsed = assertion_parse(ctx, rp, resp, &as, &why);
    gh_err err = as.challenge != NULL ? spend_challenge(ctx, as.challenge, PURPOSE_PASSWORDLESS, 0)
                                      : GH_ENOTFOUND;
    if (err == GH_OK && !parsed)
        err = GH_ENOTFOUND;
    if (err == GH_OK)
        err = gh_store_passkey_by_credential(ctx->db, ctx->a, resp->raw_id, pk);
    if (err == GH_OK)
        err = gh_store_credentials(ctx->db, ctx->a, NULL, pk->user_id, c);
    if (err == GH_ENOTFOUND) {
        gh_signin_audit_alone(ctx, GH_ACT_LOGIN_FAILURE, NULL,
                              GH_AUDIT_DETAIL_OF(.factor = "passkey", .known = GH_AUDIT_FALSE));
        return gh_signin_refused(ctx);
    }
    if (err == GH_OK)
        err = gh_store_webauthn_handle_of(ctx->db, ctx->a, c->user_id, &handle);
    if (err == GH_OK)
        err = passwordless_allowed(ctx, c, &allowed);
    if (err != GH_OK)
        return err;
    if (!allowed || !gh_signin_can_sign_in(c, ctx->now))
        return blocked(ctx, c, "passkey");
    if (handle == NULL || resp->user_handle == NULL || strcmp(handle, resp->user_handle) != 0)
        return assertion_failed(ctx, c, NULL, GH_WA_MALFORMED, "passkey");
    if (!assertion_verify(rp, pk, &as, true, count, &why))
        return assertion_failed(ctx, c, pk, why, "passkey");
    return GH_OK;
}

gh_err gh_signin_passkey(gh_ctx *ctx, const gh_webauthn_rp *rp, const gh_webauthn_response *resp,
                         const char *user_agent, gh_signin_result *out)
{
    if (rp == NULL)
        return unavailable(ctx);
    gh_credentials c;
    gh_passkey pk;
    uint32_t count = 0;
    gh_err err = passwordless_check(ctx, rp, resp, &c, &pk, &count);
    if (err != GH_OK)
        return err;
    gh_principal self = gh_signin_self(&c);
    const gh_principal *saved = ctx->who;
    ctx->who = &self;
    if ((err = gh_db_begin(ctx->db)) == GH_OK) {
        err = passwordless_open(ctx, &c, &pk, count, user_agent, out);
        if (err == GH_EFORBIDDEN || err == GH_ECONFLICT) {
            gh_db_rollback(ctx->db);
            ctx->who = saved;
            return err == GH_ECONFLICT ? assertion_failed(ctx, &c, &pk, GH_WA_COUNTER, "passkey")
                                       : blocked(ctx, &c, "passkey");
        }
        err = gh_core_finish(ctx, err);
    }
    ctx->who = saved;
    return err;
}
