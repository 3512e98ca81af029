/* Passkeys (WebAuthn): /api/v1/me/passkeys (own passkeys), /api/v1/session/webauthn (the
 * webauthn sign-in stage) and /api/v1/session/passkey (password-less). Options answer in the
 * WebAuthn JSON forms (PublicKeyCredentialCreationOptionsJSON, ...RequestOptionsJSON) that
 * PublicKeyCredential.parseCreationOptionsFromJSON takes; credentials come in the JSON
 * serialisation of a PublicKeyCredential. The relying party is --external-url's. */
#include <sodium.h>
#include <string.h>

#include "core/passkeys.h"
#include "http/encode.h"
#include "http/internal.h"
#include "util/clock.h"

/* The relying party of the server's external URL, or NULL (passkeys unavailable). */
static const gh_webauthn_rp *rp_of(gh_req *r)
{
    gh_webauthn_rp *rp = gh_arena_alloc(r->a, sizeof *rp);
    return gh_webauthn_rp_of(r->a, gh_http_external_origin(r), rp) == GH_OK ? rp : NULL;
}

static json_t *descriptors(const char **ids)
{
    json_t *a = json_array();
    for (size_t i = 0; ids[i] != NULL; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "type", "public-key", "id", ids[i]));
    return a;
}

/* Reads the credential object of the body (already checked against its fields). */
static gh_webauthn_response response_of(gh_req *r, const json_t *cred)
{
    const json_t *resp = json_object_get(cred, "response");
    const json_t *tr = json_object_get(resp, "transports");
    const char *transports = NULL;
    for (size_t i = 0; tr != NULL && i < json_array_size(tr); i++) {
        const char *t = json_string_value(json_array_get(tr, i));
        transports = transports == NULL ? t : gh_arena_printf(r->a, "%s %s", transports, t);
    }
    return (gh_webauthn_response){
        .id = gh_json_str(cred, "id"),
        .raw_id = gh_json_str(cred, "rawId"),
        .type = gh_json_str(cred, "type"),
        .client_data_json = gh_json_str(resp, "clientDataJSON"),
        .attestation_object = gh_json_str(resp, "attestationObject"),
        .authenticator_data = gh_json_str(resp, "authenticatorData"),
        .signature = gh_json_str(resp, "signature"),
        .user_handle = gh_json_str(resp, "userHandle"),
        .transports = transports,
    };
}

static json_t *passkey_json(const gh_passkey *p)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:s, s:o, s:o}", "id", (json_int_t)p->id,
                     "name", p->name, "credential_id", p->credential_id, "aaguid", p->aaguid,
                     "user_verified", p->uv, "backed_up", p->backed_up, "transports",
                     p->transports != NULL ? p->transports : "", "created_at",
                     gh_json_time(p->created_at), "last_used_at", gh_json_time(p->last_used_at));
}

/* ---- my passkeys ---- */

gh_err gh_h_me_passkey_options(gh_req *r)
{
    gh_passkey_options o;
    const gh_webauthn_rp *rp = rp_of(r);
    gh_err err = gh_passkey_register_options(&r->ctx, &r->session, rp, &o);
    if (err != GH_OK)
        return err;
    r->out = json_pack(
        "{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}], s:i, s:o, "
        "s:{s:s, s:b, s:s}, s:s}",
        "challenge", o.challenge, "rp", "id", rp->id, "name", "Gatehouse", "user", "id",
        o.user_handle, "name", o.user_name, "displayName", o.display_name, "pubKeyCredParams",
        "type", "public-key", "alg", -7, "type", "public-key", "alg", -257, "type", "public-key",
        "alg", -8, "timeout", GH_PASSKEY_CHALLENGE_SECONDS * 1000, "excludeCredentials",
        descriptors(o.credential_ids), "authenticatorSelection", "residentKey", "preferred",
        "requireResidentKey", 0, "userVerification", "preferred", "attestation", "none");
    return GH_OK;
}

gh_err gh_h_me_passkeys(gh_req *r)
{
    gh_passkey *items = NULL;
    size_t n = 0;
    gh_err err = gh_passkey_list(&r->ctx, &items, &n);
    if (err != GH_OK)
        return err;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, passkey_json(&items[i]));
    r->out = json_pack("{s:o, s:n}", "items", arr, "next_cursor");
    return GH_OK;
}

static gh_err create_with(gh_req *r, const gh_reauth *re)
{
    gh_passkey p;
    char **codes = NULL;
    gh_webauthn_response resp = response_of(r, json_object_get(r->in, "credential"));
    gh_err err = gh_passkey_register(&r->ctx, &r->session, rp_of(r), gh_json_str(r->in, "name"),
                                     &resp, re, &p, &codes);
    if (err == GH_OK) {
        r->status = 201;
        r->out = passkey_json(&p);
        if (codes != NULL) { /* the account's first second factor: shown once */
            json_t *arr = json_array();
            for (int i = 0; codes[i] != NULL; i++)
                json_array_append_new(arr, json_string(codes[i]));
            json_object_set_new(r->out, "recovery_codes", arr);
        }
    }
    return err;
}

static gh_err create_verified(gh_req *r)
{
    r->ctx.now = gh_clock_now();
    gh_reauth re = {.password_given = true, .password_ok = r->job.ok};
    return create_with(r, &re);
}

static gh_err delete_with(gh_req *r, const gh_reauth *re)
{
    gh_err err = gh_passkey_remove(&r->ctx, r->id, re);
    if (err == GH_OK)
        r->status = 204;
    return err;
}

static gh_err delete_verified(gh_req *r)
{
    r->ctx.now = gh_clock_now();
    gh_reauth re = {.password_given = true, .password_ok = r->job.ok};
    return delete_with(r, &re);
}

gh_err gh_h_me_passkey_create(gh_req *r)
{
    return gh_http_with_proof(r, gh_core_passkey_reauth_hash, create_verified, create_with);
}

gh_err gh_h_me_passkey_delete(gh_req *r)
{
    return gh_http_with_proof(r, gh_core_passkey_reauth_hash, delete_verified, delete_with);
}

gh_err gh_h_me_passkey_rename(gh_req *r)
{
    gh_err err = gh_passkey_rename(&r->ctx, r->id, gh_json_str(r->in, "name"));
    if (err == GH_OK)
        r->status = 204;
    return err;
}

/* ---- sign-in ---- */

static json_t *request_options(const gh_webauthn_rp *rp, const gh_passkey_options *o)
{
    return json_pack("{s:s, s:s, s:i, s:o, s:s}", "challenge", o->challenge, "rpId", rp->id,
                     "timeout", GH_PASSKEY_CHALLENGE_SECONDS * 1000, "allowCredentials",
                     descriptors(o->credential_ids), "userVerification",
                     o->require_uv ? "required" : "preferred");
}

gh_err gh_h_session_webauthn_options(gh_req *r)
{
    gh_passkey_options o;
    const gh_webauthn_rp *rp = rp_of(r);
    gh_err err = gh_signin_webauthn_options(&r->ctx, &r->session, rp, &o);
    if (err == GH_OK)
        r->out = request_options(rp, &o);
    return err;
}

gh_err gh_h_session_webauthn(gh_req *r)
{
    if (gh_http_signin_throttled(r, "webauthn"))
        return GH_ERATE;
    gh_signin_stage next = GH_STAGE_DONE;
    gh_webauthn_response resp = response_of(r, json_object_get(r->in, "credential"));
    gh_err err = gh_signin_webauthn(&r->ctx, &r->session, rp_of(r), &resp, &next);
    gh_http_signin_settle(r, err);
    if (err == GH_OK)
        r->out = json_pack("{s:s}", "next", gh_signin_stage_name(next));
    return err;
}

/* Public and writing a challenge row: an address out of sign-in attempts gets none (I8). */
gh_err gh_h_session_passkey_options(gh_req *r)
{
    if (gh_http_signin_throttled(r, "passkey"))
        return GH_ERATE;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    gh_passkey_options o;
    const gh_webauthn_rp *rp = rp_of(r);
    gh_err err = gh_passkey_signin_options(&r->ctx, rp, &o);
    gh_http_signin_settle(r, err);
    if (err == GH_OK)
        r->out = request_options(rp, &o);
    return err;
}

gh_err gh_h_session_passkey(gh_req *r)
{
    if (gh_http_signin_throttled(r, "passkey"))
        return GH_ERATE;
    if ((r->ctx.db = gh_http_db(r)) == NULL)
        return gh_fail(&r->ctx, GH_EDB, NULL, NULL, "the database is unavailable");
    gh_signin_result res;
    gh_webauthn_response resp = response_of(r, json_object_get(r->in, "credential"));
    gh_err err = gh_signin_passkey(&r->ctx, rp_of(r), &resp, gh_http_user_agent(r), &res);
    gh_http_signin_settle(r, err);
    if (err != GH_OK)
        return err;
    r->set_cookie =
        gh_http_session_cookie(r, res.token, gh_signin_config_of(&r->ctx)->absolute_seconds);
    r->out = json_pack("{s:s, s:o}", "next", gh_signin_stage_name(res.next), "session",
                       gh_http_session_json(&res.session));
    sodium_memzero(res.token, strlen(res.token));
    return GH_OK;
}
