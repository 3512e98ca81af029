/* The single sign-on flow (see sso.h): start, authorize, take, exchange; the Test action's probe;
 * the audit row of a refusal that reached no account. The session it ends in is opened by
 * gh_signin_sso (signin.c), with every rule of a password sign-in. */
#include "core/sso.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/totp.h"
#include "core/internal.h"
#include "core/signin.h"
#include "core/validate.h"
#include "util/log.h"

gh_err gh_sso_env_new(bool allow_loopback, gh_sso_env **out)
{
    gh_err err = gh_oidc_init();
    if (err != GH_OK)
        return err;
    gh_sso_env *env = calloc(1, sizeof *env);
    if (env == NULL)
        return GH_ENOMEM;
    env->net.allow_loopback = allow_loopback;
    if ((err = gh_oidc_keys_new(&env->keys)) != GH_OK) {
        free(env);
        return err;
    }
    *out = env;
    return GH_OK;
}

void gh_sso_env_free(gh_sso_env *env)
{
    if (env == NULL)
        return;
    gh_oidc_keys_free(env->keys);
    free(env);
}

/* The secret key, or NULL (then nothing can be sealed or unsealed). */
static const unsigned char *secret_key(const gh_ctx *ctx)
{
    return gh_signin_config_of(ctx)->secret_key;
}

/* A source by name in the caller's transaction; a malformed name is unknown like a missing one. */
static gh_err source_by_name(gh_ctx *ctx, const char *name, gh_sso_source *s, const char **sealed)
{
    gh_err err = name != NULL && gh_valid_slug(name)
                     ? gh_store_sso_source_by_name(ctx->db, ctx->a, name, s, sealed)
                     : GH_ENOTFOUND;
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such SSO source") : err;
}

static gh_err start_tx(gh_ctx *ctx, const char *name, const char *next, const char *binding,
                       gh_sso_started *out)
{
    const char *sealed_secret = NULL;
    gh_err err = source_by_name(ctx, name, &out->source, &sealed_secret);
    if (err != GH_OK)
        return err;
    char verifier[GH_OIDC_RANDOM_CHARS], state_hash[GH_TOKEN_HASH_CHARS],
        binding_hash[GH_TOKEN_HASH_CHARS];
    gh_oidc_random(out->state);
    gh_oidc_random(out->nonce);
    gh_oidc_random(verifier);
    gh_oidc_pkce_challenge(verifier, out->challenge);
    gh_token_hash(out->state, state_hash);
    gh_token_hash(binding, binding_hash);
    gh_sso_flow f = {
        .source_id = out->source.id,
        .created_at = ctx->now,
        .expires_at = ctx->now + GH_SSO_FLOW_SECONDS,
        .state_hash = state_hash,
        .binding_hash = binding_hash,
        .nonce = out->nonce,
        .code_verifier_sealed =
            gh_seal(ctx->a, secret_key(ctx), (const unsigned char *)verifier, strlen(verifier)),
        .next_path = next != NULL && gh_valid_next(next) ? next : "/",
    };
    sodium_memzero(verifier, sizeof verifier);
    if (f.code_verifier_sealed == NULL)
        return GH_ENOMEM;
    return gh_store_sso_flow_insert(ctx->db, &f);
}

gh_err gh_sso_start(gh_ctx *ctx, const char *name, const char *next, const char *binding,
                    gh_sso_started *out)
{
    if (secret_key(ctx) == NULL)
        return gh_fail(ctx, GH_EINTERNAL, NULL, NULL, "no secret key is configured");
    if (binding == NULL || strlen(binding) != GH_SSO_BINDING_CHARS - 1)
        return gh_fail(ctx, GH_EINVAL, NULL, NULL, "no browser binding");
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, start_tx(ctx, name, next, binding, out));
}

gh_err gh_sso_authorize(const gh_sso_env *env, gh_arena *a, const gh_sso_started *s,
                        const char *redirect_uri, char **url, char *why, size_t cap)
{
    gh_oidc_provider p;
    gh_err err = gh_oidc_discover(&env->net, a, s->source.issuer, &p, why, cap);
    if (err == GH_EINVAL) /* a stored issuer this server may not call (I13) */
        err = GH_EUPSTREAM;
    if (err != GH_OK)
        return err;
    gh_oidc_authorize r = {.client_id = s->source.client_id,
                           .redirect_uri = redirect_uri,
                           .scope = s->source.scopes,
                           .state = s->state,
                           .nonce = s->nonce,
                           .code_challenge = s->challenge};
    return gh_oidc_authorize_url(a, &p, &r, url, why, cap);
}

/* An unsealed text secret (arena), or NULL. */
static char *unseal_text(gh_ctx *ctx, const char *sealed, size_t max)
{
    unsigned char *buf = gh_arena_alloc(ctx->a, max + 1);
    size_t n = 0;
    if (buf == NULL || sealed == NULL || secret_key(ctx) == NULL ||
        gh_unseal(secret_key(ctx), sealed, buf, max, &n) != GH_OK)
        return NULL;
    buf[n] = '\0';
    return memchr(buf, '\0', n) == NULL ? (char *)buf : NULL;
}

static gh_err take_tx(gh_ctx *ctx, const char *name, const char *state, const char *binding,
                      gh_sso_taken *out, bool *gone)
{
    const char *sealed_secret = NULL;
    gh_err err = source_by_name(ctx, name, &out->source, &sealed_secret);
    if (err != GH_OK)
        return err;
    char state_hash[GH_TOKEN_HASH_CHARS], binding_hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(state, state_hash);
    gh_sso_flow f;
    err = gh_store_sso_flow_take(ctx->db, ctx->a, state_hash, ctx->now, &f);
    if (err == GH_ENOTFOUND) {
        *gone = true;
        return GH_OK; /* nothing was written: commit is harmless */
    }
    if (err != GH_OK)
        return err;
    /* used up from here on, whatever follows: the commit keeps it used */
    if (binding != NULL)
        gh_token_hash(binding, binding_hash);
    if (f.source_id != out->source.id || binding == NULL || f.binding_hash == NULL ||
        strlen(f.binding_hash) != GH_TOKEN_HASH_CHARS - 1 ||
        sodium_memcmp(binding_hash, f.binding_hash, GH_TOKEN_HASH_CHARS - 1) != 0) {
        *gone = true;
        return GH_OK;
    }
    out->nonce = f.nonce;
    out->next_path = gh_valid_next(f.next_path) ? f.next_path : "/";
    out->verifier = unseal_text(ctx, f.code_verifier_sealed, GH_OIDC_RANDOM_CHARS);
    out->client_secret = unseal_text(ctx, sealed_secret, GH_SSO_CLIENT_SECRET_MAX);
    if (out->verifier == NULL || out->client_secret == NULL) {
        gh_sso_taken_wipe(out);
        return gh_fail(ctx, GH_EINTERNAL, NULL, NULL, "an SSO secret could not be unsealed");
    }
    return GH_OK;
}

gh_err gh_sso_take(gh_ctx *ctx, const char *name, const char *state, const char *binding,
                   gh_sso_taken *out)
{
    memset(out, 0, sizeof *out);
    if (state == NULL || state[0] == '\0' || strlen(state) > 512)
        return gh_fail(ctx, GH_EGONE, NULL, NULL, "no such sign-in");
    bool gone = false;
    gh_err err = gh_db_begin(ctx->db);
    if (err == GH_OK)
        err = gh_core_finish(ctx, take_tx(ctx, name, state, binding, out, &gone));
    if (err == GH_OK && gone)
        return gh_fail(ctx, GH_EGONE, NULL, NULL,
                       "this sign-in expired, was used already or began in another browser");
    return err;
}

void gh_sso_taken_wipe(gh_sso_taken *t)
{
    if (t->client_secret != NULL)
        sodium_memzero(t->client_secret, strlen(t->client_secret));
    if (t->verifier != NULL)
        sodium_memzero(t->verifier, strlen(t->verifier));
    t->client_secret = t->verifier = NULL;
}

gh_err gh_sso_exchange(const gh_sso_env *env, gh_arena *a, const gh_sso_taken *t, const char *code,
                       const char *redirect_uri, int64_t now, gh_oidc_claims *out, char *why,
                       size_t cap)
{
    gh_oidc_provider p;
    char *id_token = NULL;
    gh_err err = gh_oidc_discover(&env->net, a, t->source.issuer, &p, why, cap);
    if (err == GH_EINVAL)
        err = GH_EUPSTREAM;
    if (err == GH_OK)
        err = gh_oidc_token(&env->net, a, &p, t->source.client_id, t->client_secret, code,
                            redirect_uri, t->verifier, &id_token, why, cap);
    if (err == GH_EINVAL)
        err = GH_EUPSTREAM;
    if (err != GH_OK)
        return err;
    gh_oidc_expect e = {.issuer = t->source.issuer,
                        .client_id = t->source.client_id,
                        .nonce = t->nonce,
                        .claim = t->source.claim,
                        .now = now,
                        .skew_s = GH_SSO_SKEW_SECONDS};
    err = gh_oidc_verify(env->keys, &env->net, p.jwks_uri, a, id_token, &e, out, why, cap);
    sodium_memzero(id_token, strlen(id_token));
    return err == GH_EINVAL ? GH_EUPSTREAM : err;
}

gh_err gh_sso_probe(const gh_sso_env *env, gh_arena *a, const gh_sso_source *s, int64_t now,
                    gh_sso_test *out)
{
    char why[160] = "";
    memset(out, 0, sizeof *out);
    gh_err err = gh_oidc_discover(&env->net, a, s->issuer, &out->provider, why, sizeof why);
    if (err == GH_ENOMEM)
        return err;
    if (err != GH_OK) {
        out->stage = "discovery";
        out->error = gh_arena_strdup(a, why);
        return GH_OK;
    }
    err = gh_oidc_jwks_probe(&env->net, out->provider.jwks_uri, now, &out->keys, why, sizeof why);
    if (err == GH_ENOMEM)
        return err;
    if (err == GH_OK && out->keys == 0) {
        err = GH_EUPSTREAM;
        snprintf(why, sizeof why, "the JWKS holds no key Gatehouse can verify with");
    }
    if (err != GH_OK) {
        out->stage = "jwks";
        out->error = gh_arena_strdup(a, why);
        return GH_OK;
    }
    out->ok = true;
    return GH_OK;
}

gh_err gh_sso_logout_source(gh_ctx *ctx, const char *name, gh_sso_source *out)
{
    const char *sealed = NULL;
    gh_err err = source_by_name(ctx, name, out, &sealed);
    return err == GH_OK && !out->rp_logout ? GH_ENOTFOUND : err;
}

gh_err gh_sso_session_logout_name(gh_ctx *ctx, const gh_session *sess, const char **name)
{
    *name = NULL;
    if (sess->sso_source_id == 0)
        return GH_OK;
    gh_sso_source s;
    gh_err err = gh_store_sso_source_get(ctx->db, ctx->a, sess->sso_source_id, &s);
    if (err == GH_OK && s.rp_logout)
        *name = s.name;
    return err == GH_ENOTFOUND ? GH_OK : err;
}

void gh_sso_failed(gh_ctx *ctx, const gh_sso_source *src, const char *reason)
{
    static const gh_principal nobody = {.username = "unknown"};
    const gh_principal *saved = ctx->who;
    ctx->who = &nobody;
    gh_audit_obj detail = GH_AUDIT_DETAIL_OF(.factor = "sso", .known = GH_AUDIT_FALSE,
                                             .reason = reason, .source = src ? src->name : NULL);
    if (gh_db_begin(ctx->db) == GH_OK &&
        gh_core_finish(ctx, gh_core_audit(ctx, GH_ACT_LOGIN_FAILURE, "sso_source",
                                          src ? src->id : 0, 0, src ? src->provider_id : 0,
                                          GH_AUDIT_NOTHING, detail)) != GH_OK)
        gh_log("error", "audit_failed", "action", gh_audit_action_name(GH_ACT_LOGIN_FAILURE), NULL);
    ctx->who = saved;
}
