/* Shared by the files of oidc/ and by no one else: the URL policy and the one outbound request
 * (net.c), the key set lookup and signature check (keys.c), JSON and refusal helpers. */
#ifndef GH_OIDC_INTERNAL_H
#define GH_OIDC_INTERNAL_H

#include <cjose/cjose.h>
#include <jansson.h>

#include "oidc/oidc.h"

/* Writes the reason into why (when cap > 0) and returns err. */
gh_err gh_oidc_fail(gh_err err, char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checks url against the policy of gh_oidc_net (see oidc.h); a query is allowed only when
 * query_ok. GH_EINVAL (why) when refused, GH_ENOMEM when libcurl has no memory. */
gh_err gh_oidc_url_check(const gh_oidc_net *net, const char *url, bool query_ok, char *why,
                         size_t cap) GH_MUST_USE;

/* One outbound request: GET, or POST of form (form_len bytes, form-urlencoded) when form is set;
 * HTTP Basic with user and password when user is set. */
typedef struct gh_oidc_request {
    const char *url;
    const char *form;
    size_t form_len;
    const char *user, *password;
    const char *content_type;   /* of form; NULL: form-urlencoded */
    const char *const *headers; /* n_headers more header lines */
    size_t n_headers;
} gh_oidc_request;

/* The answer: status and body (NUL-terminated, len bytes, malloc'd; free with
 * gh_oidc_response_free(), which wipes it: a token response holds secrets). */
typedef struct gh_oidc_response {
    long status;
    char *body;
    size_t len;
} gh_oidc_response;

/* Performs rq under net's policy. GH_EINVAL when the URL fails the policy; GH_EUPSTREAM (why) for
 * a refused target address, a connection failure, a timeout, a response over
 * GH_OIDC_MAX_RESPONSE_BYTES or a redirect (3xx, never followed); GH_ENOMEM. Any other status is
 * GH_OK: the caller judges it. *res is written only on success. */
gh_err gh_oidc_http(const gh_oidc_net *net, const gh_oidc_request *rq, gh_oidc_response *res,
                    char *why, size_t cap) GH_MUST_USE;
void gh_oidc_response_free(gh_oidc_response *res);

/* The JSON object of s (len bytes; duplicate names refused), or NULL when it is not one. The
 * caller json_decref()s it. */
json_t *gh_oidc_json_object(const char *s, size_t len);

/* Checks that alg is one we verify (RS256, PS256, ES256), then the signature of jws with the key
 * of keys' set for uri that kid names (NULL: the set's only key), fetching the set under net
 * when it is missing or lacks kid (see gh_oidc_keys), and that alg fits that key. GH_EUNAUTH
 * (why) for another alg, an unknown key, an alg that does not fit and a bad signature; GH_EUPSTREAM
 * when no key set could be had; GH_ENOMEM. */
gh_err gh_oidc_keys_check(gh_oidc_keys *keys, const gh_oidc_net *net, const char *uri,
                          cjose_jws_t *jws, const char *alg, const char *kid, int64_t now,
                          char *why, size_t cap) GH_MUST_USE;

#endif
