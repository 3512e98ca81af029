/* See webauthn.h. The byte layout of authenticator data (WebAuthn L2 6.1): rpIdHash (32), flags
 * (1), signCount (4, big-endian), then for a registration the attested credential data. The
 * flags are read here only to say which check failed; libfido2 checks them again itself. */
#include "auth/webauthn.h"

#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define FLAG_UP       0x01
#define FLAG_UV       0x04
#define FLAG_BE       0x08
#define FLAG_BS       0x10
#define AUTH_DATA_MIN 37 /* rpIdHash, flags, signCount */

static const char *const failure_names[] = {
#define GH_WA_NAME(id, name) name,
    GH_WEBAUTHN_FAILURES(GH_WA_NAME)
#undef GH_WA_NAME
};

const char *gh_webauthn_failure_name(gh_webauthn_failure f)
{
    return (unsigned)f < sizeof failure_names / sizeof *failure_names ? failure_names[f] : "?";
}

static pthread_once_t fido_once = PTHREAD_ONCE_INIT;
static void fido_start(void)
{
    fido_init(0);
}

char *gh_webauthn_b64(gh_arena *a, const unsigned char *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = gh_arena_alloc(a, cap);
    return sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

gh_err gh_webauthn_unb64(gh_arena *a, const char *s, unsigned char **out, size_t *len)
{
    if (s == NULL)
        return GH_EINVAL;
    size_t n = strlen(s), got = 0;
    unsigned char *p = gh_arena_alloc(a, n * 3 / 4 + 1);
    const char *end = NULL;
    if (sodium_base642bin(p, n * 3 / 4 + 1, s, n, NULL, &got, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + n)
        return GH_EINVAL;
    *out = p;
    *len = got;
    return GH_OK;
}

char *gh_webauthn_new_challenge(gh_arena *a)
{
    unsigned char c[GH_WEBAUTHN_CHALLENGE_BYTES];
    randombytes_buf(c, sizeof c);
    return gh_webauthn_b64(a, c, sizeof c);
}

gh_err gh_webauthn_rp_of(gh_arena *a, const char *url, gh_webauthn_rp *out)
{
    if (url == NULL)
        return GH_EINVAL;
    const char *host = strncmp(url, "https://", 8) == 0  ? url + 8
                       : strncmp(url, "http://", 7) == 0 ? url + 7
                                                         : NULL;
    if (host == NULL)
        return GH_EINVAL;
    size_t hl = strcspn(host, ":/?#"), al = strcspn(host, "/?#");
    if (hl == 0 || host[0] == '[' || strchr(host, '@') != NULL)
        return GH_EINVAL;
    char *id = gh_arena_alloc(a, hl + 1);
    for (size_t i = 0; i < hl; i++)
        id[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
    id[hl] = '\0';
    out->id = id;
    out->origin =
        gh_arena_printf(a, "%.*s%s%.*s", (int)(host - url), url, id, (int)(al - hl), host + hl);
    return GH_OK;
}

static gh_err fail(gh_webauthn_failure *why, gh_webauthn_failure f)
{
    *why = f;
    return GH_EINVAL;
}

gh_err gh_webauthn_client_data(gh_arena *a, const gh_webauthn_rp *rp, const unsigned char *cdj,
                               size_t len, const char *type, const char **challenge,
                               gh_webauthn_failure *why)
{
    json_error_t e;
    json_t *o = json_loadb((const char *)cdj, len, JSON_REJECT_DUPLICATES, &e);
    gh_err err = GH_EINVAL;
    const char *t = NULL, *ch = NULL, *origin = NULL;
    json_t *cross = NULL;
    if (o == NULL || json_unpack(o, "{s:s, s:s, s:s, s?o}", "type", &t, "challenge", &ch, "origin",
                                 &origin, "crossOrigin", &cross) != 0) {
        json_decref(o);
        return fail(why, GH_WA_MALFORMED);
    }
    *challenge = gh_arena_strdup(a, ch); /* also on failure: the caller spends it */
    if (strcmp(t, type) != 0)
        err = fail(why, GH_WA_TYPE);
    else if (strcmp(origin, rp->origin) != 0)
        err = fail(why, GH_WA_ORIGIN);
    else if (cross != NULL && !json_is_false(cross))
        err = fail(why, GH_WA_CROSS_ORIGIN);
    else {
        *why = GH_WA_OK;
        err = GH_OK;
    }
    json_decref(o);
    return err;
}

/* The checks of authenticator data that say which rule failed: rpIdHash, UP, UV. */
static gh_err check_auth_data(const gh_webauthn_rp *rp, const unsigned char *ad, size_t len,
                              bool require_uv, gh_webauthn_failure *why)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    if (len < AUTH_DATA_MIN)
        return fail(why, GH_WA_MALFORMED);
    crypto_hash_sha256(h, (const unsigned char *)rp->id, strlen(rp->id));
    if (sodium_memcmp(h, ad, sizeof h) != 0)
        return fail(why, GH_WA_RP_ID);
    if (!(ad[32] & FLAG_UP))
        return fail(why, GH_WA_UP);
    if (require_uv && !(ad[32] & FLAG_UV))
        return fail(why, GH_WA_UV);
    return GH_OK;
}

/* The attestation object's authData, when its format is "none" with an empty statement;
 * *why otherwise. The bytes stay in item. */
static gh_err none_attestation(const cbor_item_t *item, const unsigned char **ad, size_t *ad_len,
                               gh_webauthn_failure *why)
{
    bool none = false, empty = false;
    *ad = NULL;
    if (!cbor_isa_map(item))
        return fail(why, GH_WA_MALFORMED);
    struct cbor_pair *pairs = cbor_map_handle(item);
    for (size_t i = 0; i < cbor_map_size(item); i++) {
        const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        if (!cbor_isa_string(k) || !cbor_string_is_definite(k))
            return fail(why, GH_WA_MALFORMED);
        size_t kl = cbor_string_length(k);
        const char *ks = (const char *)cbor_string_handle(k);
        if (kl == 3 && memcmp(ks, "fmt", 3) == 0)
            none = cbor_isa_string(v) && cbor_string_is_definite(v) && cbor_string_length(v) == 4 &&
                   memcmp(cbor_string_handle(v), "none", 4) == 0;
        else if (kl == 7 && memcmp(ks, "attStmt", 7) == 0)
            empty = cbor_isa_map(v) && cbor_map_size(v) == 0;
        else if (kl == 8 && memcmp(ks, "authData", 8) == 0 && cbor_isa_bytestring(v) &&
                 cbor_bytestring_is_definite(v)) {
            *ad = cbor_bytestring_handle(v);
            *ad_len = cbor_bytestring_length(v);
        }
    }
    if (*ad == NULL)
        return fail(why, GH_WA_MALFORMED);
    return none && empty ? GH_OK : fail(why, GH_WA_FORMAT);
}

static const int offered_algs[] = {COSE_ES256, COSE_RS256, COSE_EDDSA};

/* Hands authData to libfido2 with each algorithm we offer until its key parses as one. */
static fido_cred_t *parse_cred(const unsigned char *ad, size_t len, int *alg)
{
    for (size_t i = 0; i < sizeof offered_algs / sizeof *offered_algs; i++) {
        fido_cred_t *c = fido_cred_new();
        if (c == NULL)
            return NULL;
        if (fido_cred_set_type(c, offered_algs[i]) == FIDO_OK &&
            fido_cred_set_authdata_raw(c, ad, len) == FIDO_OK && fido_cred_id_len(c) > 0 &&
            fido_cred_pubkey_len(c) > 0) {
            *alg = offered_algs[i];
            return c;
        }
        fido_cred_free(&c);
    }
    return NULL;
}

static const char *aaguid_text(gh_arena *a, const unsigned char *g, size_t n)
{
    if (n != 16)
        return "00000000-0000-0000-0000-000000000000";
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, g, n);
    return gh_arena_printf(a, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                           hex + 20);
}

gh_err gh_webauthn_register(gh_arena *a, const gh_webauthn_rp *rp, const unsigned char *att,
                            size_t att_len, bool require_uv, gh_webauthn_cred *out,
                            gh_webauthn_failure *why)
{
    pthread_once(&fido_once, fido_start);
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(att, att_len, &res);
    const unsigned char *ad = NULL;
    size_t ad_len = 0;
    fido_cred_t *c = NULL;
    gh_err err = GH_EINVAL;
    if (item == NULL || res.error.code != CBOR_ERR_NONE || res.read != att_len)
        err = fail(why, GH_WA_MALFORMED);
    else if ((err = none_attestation(item, &ad, &ad_len, why)) != GH_OK ||
             (err = check_auth_data(rp, ad, ad_len, require_uv, why)) != GH_OK)
        ;
    else if ((c = parse_cred(ad, ad_len, &out->alg)) == NULL)
        err = fail(why, GH_WA_ALG);
    else {
        uint8_t flags = fido_cred_flags(c);
        out->id = gh_webauthn_b64(a, fido_cred_id_ptr(c), fido_cred_id_len(c));
        out->public_key = gh_webauthn_b64(a, fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c));
        out->sign_count = fido_cred_sigcount(c);
        out->uv = (flags & FLAG_UV) != 0;
        out->backup_eligible = (flags & FLAG_BE) != 0;
        out->backed_up = (flags & FLAG_BS) != 0;
        out->aaguid = aaguid_text(a, fido_cred_aaguid_ptr(c), fido_cred_aaguid_len(c));
        *why = GH_WA_OK;
        err = GH_OK;
    }
    fido_cred_free(&c);
    if (item != NULL)
        cbor_decref(&item);
    return err;
}

/* libfido2's verification of the signature with the stored key of alg. */
static int verify_sig(const fido_assert_t *as, int alg, const unsigned char *pk, size_t len)
{
    int r = FIDO_ERR_INVALID_ARGUMENT;
    if (alg == COSE_ES256) {
        es256_pk_t *k = es256_pk_new();
        if (k != NULL && es256_pk_from_ptr(k, pk, len) == FIDO_OK)
            r = fido_assert_verify(as, 0, alg, k);
        es256_pk_free(&k);
    } else if (alg == COSE_RS256) {
        rs256_pk_t *k = rs256_pk_new();
        if (k != NULL && rs256_pk_from_ptr(k, pk, len) == FIDO_OK)
            r = fido_assert_verify(as, 0, alg, k);
        rs256_pk_free(&k);
    } else if (alg == COSE_EDDSA) {
        eddsa_pk_t *k = eddsa_pk_new();
        if (k != NULL && eddsa_pk_from_ptr(k, pk, len) == FIDO_OK)
            r = fido_assert_verify(as, 0, alg, k);
        eddsa_pk_free(&k);
    }
    return r;
}

gh_err gh_webauthn_verify(const gh_webauthn_rp *rp, const gh_webauthn_cred *cred,
                          const unsigned char *auth_data, size_t ad_len, const unsigned char *cdj,
                          size_t cdj_len, const unsigned char *sig, size_t sig_len, bool require_uv,
                          uint32_t *new_count, bool *uv, gh_webauthn_failure *why)
{
    pthread_once(&fido_once, fido_start);
    gh_arena *scratch = gh_arena_new();
    unsigned char *pk = NULL;
    size_t pk_len = 0;
    fido_assert_t *as = NULL;
    gh_err err = check_auth_data(rp, auth_data, ad_len, require_uv, why);
    if (err != GH_OK)
        goto out;
    if (scratch == NULL || gh_webauthn_unb64(scratch, cred->public_key, &pk, &pk_len) != GH_OK ||
        (as = fido_assert_new()) == NULL) {
        err = fail(why, GH_WA_MALFORMED);
        goto out;
    }
    if (fido_assert_set_count(as, 1) != FIDO_OK || fido_assert_set_rp(as, rp->id) != FIDO_OK ||
        fido_assert_set_clientdata(as, cdj, cdj_len) != FIDO_OK ||
        fido_assert_set_authdata_raw(as, 0, auth_data, ad_len) != FIDO_OK ||
        fido_assert_set_sig(as, 0, sig, sig_len) != FIDO_OK ||
        fido_assert_set_up(as, FIDO_OPT_TRUE) != FIDO_OK ||
        fido_assert_set_uv(as, require_uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK) {
        err = fail(why, GH_WA_MALFORMED);
        goto out;
    }
    if (verify_sig(as, cred->alg, pk, pk_len) != FIDO_OK) {
        err = fail(why, GH_WA_SIGNATURE);
        goto out;
    }
    uint32_t n = fido_assert_sigcount(as, 0);
    if ((n != 0 || cred->sign_count != 0) && n <= cred->sign_count) {
        err = fail(why, GH_WA_COUNTER);
        goto out;
    }
    *new_count = n;
    *uv = (fido_assert_flags(as, 0) & FLAG_UV) != 0;
    *why = GH_WA_OK;
    err = GH_OK;
out:
    fido_assert_free(&as);
    gh_arena_free(scratch);
    return err;
}
