/* The cache of providers' signing keys (gh_oidc_keys, see oidc.h) and the choice of the key that
 * checks a token's signature, with the algorithm pinned to it (SECURITY I12). A JWKS is read into
 * an immutable key set; the cache holds one per jwks_uri and a verification holds a reference
 * to the set it uses, so a refetch can swap the set in while older verifications finish. */
#include "oidc/internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { KEY_RSA, KEY_EC256 } key_kind;

/* The algorithms we verify, and the kind of key each needs. */
static const struct {
    const char *alg;
    key_kind kind;
} ALGS[] = {{"RS256", KEY_RSA}, {"PS256", KEY_RSA}, {"ES256", KEY_EC256}};

typedef struct key {
    char *kid; /* NULL when the JWK has none */
    key_kind kind;
    char alg[8]; /* the JWK's own "alg" (one of ALGS), "" when it has none */
    cjose_jwk_t *jwk;
} key;

/* One JWKS as read; refs counts the cache and each verification using it (under mu). */
typedef struct keyset {
    int refs;
    size_t n;
    key k[GH_OIDC_MAX_JWKS_KEYS];
} keyset;

typedef struct entry {
    struct entry *next;
    char *uri;
    keyset *set;  /* NULL until a fetch (or a put) succeeded */
    bool tried;   /* a fetch was attempted or a set put */
    int64_t last; /* when, last */
} entry;

struct gh_oidc_keys {
    pthread_mutex_t mu;    /* entries, their sets and every refs */
    pthread_mutex_t fetch; /* held for a whole fetch: one at a time (lock before mu) */
    entry *entries;
};

static bool alg_kind(const char *alg, key_kind *kind)
{
    for (size_t i = 0; alg != NULL && i < sizeof ALGS / sizeof *ALGS; i++) {
        if (strcmp(alg, ALGS[i].alg) == 0) {
            *kind = ALGS[i].kind;
            return true;
        }
    }
    return false;
}

/* ---- reading a JWKS ---- */

/* Whether the RSA modulus "n" of jwk has GH_OIDC_RSA_MIN_BITS..GH_OIDC_RSA_MAX_BITS bits. */
static bool rsa_size_ok(json_t *jwk)
{
    const char *n = json_string_value(json_object_get(jwk, "n"));
    unsigned char buf[GH_OIDC_RSA_MAX_BITS / 8 + 1];
    size_t len = 0, z = 0;
    if (n == NULL || sodium_base642bin(buf, sizeof buf, n, strlen(n), NULL, &len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    while (z < len && buf[z] == 0)
        z++;
    if (z == len)
        return false;
    size_t bits = (len - z - 1) * 8 + (size_t)(32 - __builtin_clz(buf[z]));
    return bits >= GH_OIDC_RSA_MIN_BITS && bits <= GH_OIDC_RSA_MAX_BITS;
}

/* The kind of key j is, when it is one we can use to verify; false otherwise. */
static bool usable_kind(json_t *j, key_kind *kind)
{
    json_t *use = json_object_get(j, "use");
    const char *kty = json_string_value(json_object_get(j, "kty"));
    const char *crv = json_string_value(json_object_get(j, "crv"));
    if (use != NULL && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
        return false;
    if (kty != NULL && strcmp(kty, "RSA") == 0 && rsa_size_ok(j))
        *kind = KEY_RSA;
    else if (kty != NULL && strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0)
        *kind = KEY_EC256;
    else
        return false;
    return true;
}

/* Whether the string member name of j is absent, or a string without NUL (*out, else NULL). */
static bool optional_string(json_t *j, const char *name, const char **out)
{
    json_t *v = json_object_get(j, name);
    *out = json_string_value(v);
    return v == NULL || (*out != NULL && strlen(*out) == json_string_length(v));
}

/* cjose's import of j, or NULL; checked to be the kind that our reading of j found. */
static cjose_jwk_t *import_jwk(json_t *j, key_kind kind)
{
    cjose_err ce;
    char *text = json_dumps(j, JSON_COMPACT);
    cjose_jwk_t *jwk = text != NULL ? cjose_jwk_import(text, strlen(text), &ce) : NULL;
    free(text);
    if (jwk == NULL)
        return NULL;
    bool ok = kind == KEY_RSA ? cjose_jwk_get_kty(jwk, &ce) == CJOSE_JWK_KTY_RSA
                              : cjose_jwk_get_kty(jwk, &ce) == CJOSE_JWK_KTY_EC &&
                                    cjose_jwk_EC_get_curve(jwk, &ce) == CJOSE_JWK_EC_P_256;
    if (!ok) {
        cjose_jwk_release(jwk);
        return NULL;
    }
    return jwk;
}

/* Adds the JWK j to s when it is one we can verify with (see gh_oidc_keys_put()). */
static void add_key(keyset *s, json_t *j)
{
    key k = {0};
    const char *kid = NULL, *alg = NULL;
    key_kind alg_needs = KEY_RSA;
    if (!json_is_object(j) || !usable_kind(j, &k.kind) || !optional_string(j, "kid", &kid) ||
        !optional_string(j, "alg", &alg))
        return;
    if (alg != NULL && (!alg_kind(alg, &alg_needs) || alg_needs != k.kind))
        return;
    if ((k.jwk = import_jwk(j, k.kind)) == NULL)
        return;
    if (kid != NULL && (k.kid = strdup(kid)) == NULL) {
        cjose_jwk_release(k.jwk);
        return;
    }
    if (alg != NULL)
        snprintf(k.alg, sizeof k.alg, "%s", alg);
    s->k[s->n++] = k;
}

static void keyset_free(keyset *s)
{
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        cjose_jwk_release(s->k[i].jwk);
        free(s->k[i].kid);
    }
    free(s);
}

/* Drops one reference to s (mu held); returns s when it is to be freed (after unlocking). */
static keyset *unref_locked(keyset *s)
{
    return s != NULL && --s->refs == 0 ? s : NULL;
}

static void keyset_release(gh_oidc_keys *keys, keyset *s)
{
    pthread_mutex_lock(&keys->mu);
    keyset *dead = unref_locked(s);
    pthread_mutex_unlock(&keys->mu);
    keyset_free(dead);
}

/* ---- the cache ---- */

gh_err gh_oidc_keys_new(gh_oidc_keys **out)
{
    gh_oidc_keys *keys = calloc(1, sizeof *keys);
    if (keys == NULL)
        return GH_ENOMEM;
    pthread_mutex_init(&keys->mu, NULL);
    pthread_mutex_init(&keys->fetch, NULL);
    *out = keys;
    return GH_OK;
}

void gh_oidc_keys_free(gh_oidc_keys *keys)
{
    if (keys == NULL)
        return;
    for (entry *e = keys->entries, *next; e != NULL; e = next) {
        next = e->next;
        keyset_free(unref_locked(e->set));
        free(e->uri);
        free(e);
    }
    pthread_mutex_destroy(&keys->mu);
    pthread_mutex_destroy(&keys->fetch);
    free(keys);
}

/* The entry of uri (mu held); with add, a new one when there is none (NULL only when out of
 * memory). */
static entry *entry_of(gh_oidc_keys *keys, const char *uri, bool add)
{
    entry *e = keys->entries;
    while (e != NULL && strcmp(e->uri, uri) != 0)
        e = e->next;
    if (e != NULL || !add)
        return e;
    if ((e = calloc(1, sizeof *e)) == NULL || (e->uri = strdup(uri)) == NULL) {
        free(e);
        return NULL;
    }
    e->next = keys->entries;
    keys->entries = e;
    return e;
}

/* A reference to the current set of uri, or NULL when there is none. */
static keyset *keyset_acquire(gh_oidc_keys *keys, const char *uri)
{
    pthread_mutex_lock(&keys->mu);
    entry *e = entry_of(keys, uri, false);
    keyset *s = e != NULL ? e->set : NULL;
    if (s != NULL)
        s->refs++;
    pthread_mutex_unlock(&keys->mu);
    return s;
}

gh_err gh_oidc_keys_put(gh_oidc_keys *keys, const char *jwks_uri, const char *json, size_t len,
                        int64_t now, char *why, size_t cap)
{
    if (keys == NULL || jwks_uri == NULL || json == NULL)
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    json_t *o = gh_oidc_json_object(json, len), *list = json_object_get(o, "keys"), *j;
    bool jwks = json_is_array(list);
    keyset *s = jwks ? calloc(1, sizeof *s) : NULL;
    size_t i;
    if (s == NULL) {
        json_decref(o);
        return jwks ? gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory")
                    : gh_oidc_fail(GH_EUPSTREAM, why, cap, "not a JWKS");
    }
    s->refs = 1;
    json_array_foreach(list, i, j)
    {
        if (i < GH_OIDC_MAX_JWKS_KEYS)
            add_key(s, j);
    }
    json_decref(o);
    pthread_mutex_lock(&keys->mu);
    entry *e = entry_of(keys, jwks_uri, true);
    keyset *dead = e != NULL ? unref_locked(e->set) : s;
    if (e != NULL) {
        e->set = s;
        e->tried = true;
        e->last = now;
    }
    pthread_mutex_unlock(&keys->mu);
    keyset_free(dead);
    return e != NULL ? GH_OK : gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
}

/* GETs the JWKS of uri and puts it. */
static gh_err fetch(gh_oidc_keys *keys, const gh_oidc_net *net, const char *uri, int64_t now,
                    char *why, size_t cap)
{
    gh_oidc_response res = {0};
    char reason[128] = "";
    gh_err err = gh_oidc_http(net, &(gh_oidc_request){.url = uri}, &res, reason, sizeof reason);
    if (err == GH_EINVAL)
        err = gh_oidc_fail(GH_EUPSTREAM, why, cap, "jwks_uri refused: %s", reason);
    else if (err != GH_OK)
        gh_oidc_fail(err, why, cap, "JWKS: %s", reason);
    else if (res.status != 200)
        err = gh_oidc_fail(GH_EUPSTREAM, why, cap, "JWKS answered HTTP %ld", res.status);
    else
        err = gh_oidc_keys_put(keys, uri, res.body, res.len, now, why, cap);
    gh_oidc_response_free(&res);
    return err;
}

gh_err gh_oidc_jwks_probe(const gh_oidc_net *net, const char *jwks_uri, int64_t now, size_t *usable,
                          char *why, size_t cap)
{
    gh_oidc_keys *tmp = NULL;
    if (jwks_uri == NULL)
        return gh_oidc_fail(GH_EINVAL, why, cap, "missing argument");
    if (gh_oidc_keys_new(&tmp) != GH_OK)
        return gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
    gh_err err = fetch(tmp, net, jwks_uri, now, why, cap);
    keyset *s = err == GH_OK ? keyset_acquire(tmp, jwks_uri) : NULL;
    if (s != NULL)
        *usable = s->n;
    keyset_release(tmp, s);
    gh_oidc_keys_free(tmp);
    return err;
}

/* Fetches the set of uri when due (never tried, or last tried GH_OIDC_JWKS_MIN_REFRESH_S or
 * more before now), then gives a reference to the current set in *out: GH_EUPSTREAM when there
 * is none. Fetches are serialised: a thread that waited for another's fetch finds it recent and
 * takes its result. */
static gh_err refresh(gh_oidc_keys *keys, const gh_oidc_net *net, const char *uri, int64_t now,
                      keyset **out, char *why, size_t cap)
{
    gh_err err = GH_OK;
    pthread_mutex_lock(&keys->fetch);
    pthread_mutex_lock(&keys->mu);
    entry *e = entry_of(keys, uri, true);
    bool due = e != NULL && (!e->tried || now - e->last >= GH_OIDC_JWKS_MIN_REFRESH_S);
    if (due) {
        e->tried = true;
        e->last = now;
    }
    pthread_mutex_unlock(&keys->mu);
    if (e == NULL)
        err = gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
    else if (due)
        err = fetch(keys, net, uri, now, why, cap);
    pthread_mutex_unlock(&keys->fetch);
    keyset *s = keyset_acquire(keys, uri);
    if (s == NULL)
        return err != GH_OK ? err : gh_oidc_fail(GH_EUPSTREAM, why, cap, "no signing keys yet");
    *out = s;
    return GH_OK;
}

/* ---- choosing the key ---- */

typedef enum { FOUND, UNKNOWN_KID, NO_KID, MISMATCH } choice;

/* Whether alg (of kind) may be used with k: the key's kind, and the JWK's own alg if any. */
static bool fits(const key *k, const char *alg, key_kind kind)
{
    return k->kind == kind && (k->alg[0] == '\0' || strcmp(k->alg, alg) == 0);
}

/* The key of s that kid names (NULL: the only key of s) into *k. */
static choice choose(const keyset *s, const char *kid, const char *alg, key_kind kind,
                     const key **k)
{
    bool named = false;
    if (kid == NULL) {
        if (s->n != 1)
            return NO_KID;
        *k = &s->k[0];
        return fits(*k, alg, kind) ? FOUND : MISMATCH;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->k[i].kid == NULL || strcmp(s->k[i].kid, kid) != 0)
            continue;
        named = true;
        if (fits(&s->k[i], alg, kind)) {
            *k = &s->k[i];
            return FOUND;
        }
    }
    return named ? MISMATCH : UNKNOWN_KID;
}

gh_err gh_oidc_keys_check(gh_oidc_keys *keys, const gh_oidc_net *net, const char *uri,
                          cjose_jws_t *jws, const char *alg, const char *kid, int64_t now,
                          char *why, size_t cap)
{
    key_kind kind = KEY_RSA;
    const key *k = NULL;
    cjose_err ce;
    if (!alg_kind(alg, &kind))
        return gh_oidc_fail(GH_EUNAUTH, why, cap, "algorithm not allowed");
    keyset *s = keyset_acquire(keys, uri);
    choice c = s != NULL ? choose(s, kid, alg, kind, &k) : UNKNOWN_KID;
    if (c == UNKNOWN_KID) {
        keyset_release(keys, s);
        s = NULL;
        gh_err err = refresh(keys, net, uri, now, &s, why, cap);
        if (err != GH_OK)
            return err;
        c = choose(s, kid, alg, kind, &k);
    }
    gh_err err = GH_EUNAUTH;
    if (c == UNKNOWN_KID)
        gh_oidc_fail(err, why, cap, "unknown signing key");
    else if (c == NO_KID)
        gh_oidc_fail(err, why, cap, "token names no key");
    else if (c == MISMATCH)
        gh_oidc_fail(err, why, cap, "algorithm does not match the key");
    else if (!cjose_jws_verify(jws, k->jwk, &ce))
        gh_oidc_fail(err, why, cap, "bad signature");
    else
        err = GH_OK;
    keyset_release(keys, s);
    return err;
}
