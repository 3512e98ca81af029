/* WebAuthn Level 2 ceremonies' verification (passkeys): the client data, a registration's
 * attestation object ("none" attestation) and an assertion's signature and counter. Pure: no
 * I/O, no database; the challenge's single use and the stored counter are the caller's (core/).
 * CBOR is read by libcbor, authenticator data and signatures by libfido2, hashes by libsodium.
 * Thread-safe. Binary values cross this interface as unpadded base64url text (what the WebAuthn
 * JSON serialisation and our tables use). */
#ifndef GH_AUTH_WEBAUTHN_H
#define GH_AUTH_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

#define GH_WEBAUTHN_CHALLENGE_BYTES 32
#define GH_WEBAUTHN_HANDLE_BYTES    32 /* a user handle: random, stable per user */

/* Why a verification failed (for audit rows and the unit tests; never shown to the client). */
#define GH_WEBAUTHN_FAILURES(X)                                                                    \
    X(GH_WA_OK, "ok")                                                                              \
    X(GH_WA_MALFORMED, "malformed")                                                                \
    X(GH_WA_TYPE, "wrong_type")                                                                    \
    X(GH_WA_ORIGIN, "wrong_origin")                                                                \
    X(GH_WA_CROSS_ORIGIN, "cross_origin")                                                          \
    X(GH_WA_RP_ID, "wrong_rp_id")                                                                  \
    X(GH_WA_FORMAT, "attestation_format")                                                          \
    X(GH_WA_ALG, "algorithm")                                                                      \
    X(GH_WA_UP, "user_not_present")                                                                \
    X(GH_WA_UV, "user_not_verified")                                                               \
    X(GH_WA_SIGNATURE, "bad_signature")                                                            \
    X(GH_WA_COUNTER, "counter_went_back")
#define GH_WA_ENUM(id, name) id,
typedef enum { GH_WEBAUTHN_FAILURES(GH_WA_ENUM) } gh_webauthn_failure;
#undef GH_WA_ENUM
const char *gh_webauthn_failure_name(gh_webauthn_failure f);

/* base64url without padding of n bytes, in a. */
char *gh_webauthn_b64(gh_arena *a, const unsigned char *p, size_t n);
/* Decodes base64url (padding not accepted) into a; GH_EINVAL when it is not that. */
gh_err gh_webauthn_unb64(gh_arena *a, const char *s, unsigned char **out, size_t *len) GH_MUST_USE;
/* A fresh challenge (GH_WEBAUTHN_CHALLENGE_BYTES from the CSPRNG) as base64url, in a. */
char *gh_webauthn_new_challenge(gh_arena *a);

/* The relying party: its id (the host of the external URL) and its origin (scheme://host[:port]
 * of that URL). gh_webauthn_rp_of parses url into a; GH_EINVAL when it has no http(s) host. */
typedef struct gh_webauthn_rp {
    const char *id, *origin;
} gh_webauthn_rp;
gh_err gh_webauthn_rp_of(gh_arena *a, const char *url, gh_webauthn_rp *out) GH_MUST_USE;

/* Checks clientDataJSON (raw bytes): type is `type` ("webauthn.create" or "webauthn.get"),
 * origin is exactly rp->origin, crossOrigin absent or false. *challenge gets its challenge (a,
 * base64url as sent) for the caller to consume, also when a check fails (only a challenge
 * spent whatever the outcome serves one attempt); it stays as it was when the JSON is not
 * client data. GH_EINVAL with *why on failure. */
gh_err gh_webauthn_client_data(gh_arena *a, const gh_webauthn_rp *rp, const unsigned char *cdj,
                               size_t len, const char *type, const char **challenge,
                               gh_webauthn_failure *why) GH_MUST_USE;

/* A registered credential, as stored. */
typedef struct gh_webauthn_cred {
    const char *id;         /* credential id, base64url */
    const char *public_key; /* the key in libfido2's raw form (es256: x|y), base64url */
    int alg;                /* COSE: -7 ES256, -257 RS256, -8 EdDSA */
    uint32_t sign_count;
    bool uv, backup_eligible, backed_up;
    const char *aaguid; /* 8-4-4-4-12 hex */
} gh_webauthn_cred;

/* Verifies a registration's attestationObject (raw CBOR): format "none" (an empty attStmt),
 * the authenticator data's rpIdHash is SHA-256(rp->id), UP set, UV set when require_uv, an
 * attested credential with a key of one of the algorithms we offer. Fills *out (strings in a).
 * GH_EINVAL with *why otherwise. */
gh_err gh_webauthn_register(gh_arena *a, const gh_webauthn_rp *rp, const unsigned char *att,
                            size_t att_len, bool require_uv, gh_webauthn_cred *out,
                            gh_webauthn_failure *why) GH_MUST_USE;

/* Verifies an assertion made by credential cred (its alg, public_key and stored sign_count):
 * rpIdHash, UP, UV when require_uv, the signature over authData | SHA-256(clientDataJSON), and
 * the counter: when the new or the stored one is not zero, the new one must be greater (else a
 * cloned authenticator, GH_WA_COUNTER). *new_count and *uv get the authenticator's. GH_EINVAL
 * with *why on failure. */
gh_err gh_webauthn_verify(const gh_webauthn_rp *rp, const gh_webauthn_cred *cred,
                          const unsigned char *auth_data, size_t ad_len, const unsigned char *cdj,
                          size_t cdj_len, const unsigned char *sig, size_t sig_len, bool require_uv,
                          uint32_t *new_count, bool *uv, gh_webauthn_failure *why) GH_MUST_USE;

#endif
