/* SSO sources: who may define them (C10: bound to one service provider, managed only from inside
 * it), what each field may hold, and the sealing of the client secret. The sign-in flow that uses
 * them lives elsewhere. */
#include <string.h>

#include "auth/totp.h"
#include "core/internal.h"
#include "core/signin.h"
#include "core/validate.h"
#include "oidc/oidc.h"
#include "util/utf8.h"

#define NOT_FOUND "no such SSO source"

/* Whether s is valid UTF-8 without control characters, of min to max characters. */
static bool text_ok(const char *s, size_t min, size_t max)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
        size_t n = gh_utf8_seq(p);
        if (n == 0)
            return false;
        p += n;
    }
    return chars >= min && chars <= max && gh_valid_text(s);
}

/* Whether s is 1 to max visible ASCII characters or spaces (RFC 6749 VSCHAR: client ids and
 * secrets). */
static bool vschar_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return n >= 1 && n <= max;
}

/* The checks of every field but the provider, in the order of the API's fields. */
static gh_err check_fields(gh_ctx *ctx, const gh_sso_source *s, const char *secret)
{
    if (s->name == NULL || !gh_valid_slug(s->name))
        return gh_fail(ctx, GH_EINVAL, "name", "invalid",
                       "use 1-63 lower-case letters, digits or '-', starting with a letter or "
                       "digit");
    if (s->display_name == NULL || !text_ok(s->display_name, 1, GH_SSO_DISPLAY_NAME_MAX))
        return gh_fail(ctx, GH_EINVAL, "display_name", "invalid",
                       "enter 1-100 characters without control characters");
    if (s->issuer == NULL || strlen(s->issuer) > GH_SSO_ISSUER_MAX)
        return gh_fail(ctx, GH_EINVAL, "issuer", s->issuer == NULL ? "required" : "too_long",
                       "enter the issuer's URL (at most 1024 bytes)");
    /* stored only when it could be reached: https, or http to this machine (whether the server
     * may call a loopback provider is its own setting, checked when it does, SECURITY I13) */
    char reason[96];
    if (gh_oidc_check_issuer(&(gh_oidc_net){.allow_loopback = true}, s->issuer, reason,
                             sizeof reason) != GH_OK)
        return gh_fail(ctx, GH_EINVAL, "issuer", "invalid",
                       gh_arena_printf(ctx->a,
                                       "enter the issuer's https URL, without query or fragment "
                                       "(http only on a loopback host): %s",
                                       reason));
    if (s->client_id == NULL || !vschar_ok(s->client_id, GH_SSO_CLIENT_ID_MAX))
        return gh_fail(ctx, GH_EINVAL, "client_id", "invalid",
                       "enter 1-255 printable ASCII characters");
    if (secret != NULL && !vschar_ok(secret, GH_SSO_CLIENT_SECRET_MAX))
        return gh_fail(ctx, GH_EINVAL, "client_secret", "invalid",
                       "enter 1-512 printable ASCII characters");
    if (strlen(s->scopes) > GH_SSO_SCOPES_MAX || !gh_valid_scopes(s->scopes))
        return gh_fail(ctx, GH_EINVAL, "scopes", "invalid",
                       "enter scope names separated by single spaces, each once, openid among "
                       "them");
    if (!gh_valid_claim_name(s->claim))
        return gh_fail(ctx, GH_EINVAL, "claim", "invalid",
                       "enter a claim name: 1-64 letters, digits or '_' (sub, email, ...)");
    return GH_OK;
}

/* The sealed secret (arena), or GH_EINTERNAL when no secret key is configured. */
static gh_err seal_secret(gh_ctx *ctx, const char *secret, const char **sealed)
{
    const gh_signin_config *cfg = gh_signin_config_of(ctx);
    if (cfg->secret_key == NULL)
        return gh_fail(ctx, GH_EINTERNAL, NULL, NULL,
                       "no secret key is configured: SSO client secrets are sealed with it");
    *sealed = gh_seal(ctx->a, cfg->secret_key, (const unsigned char *)secret, strlen(secret));
    return *sealed != NULL ? GH_OK : GH_ENOMEM;
}

/* The source if ctx->who sees it (C10: a provider-level admin its own provider's only); every
 * other answers like a missing id. */
static gh_err visible(gh_ctx *ctx, int64_t id, gh_sso_source *out)
{
    gh_sso_source s;
    gh_err err = gh_store_sso_source_get(ctx->db, ctx->a, id, &s);
    if (err == GH_OK && !gh_core_manages_provider(ctx->who, s.provider_id))
        err = GH_ENOTFOUND;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, NOT_FOUND);
    if (err == GH_OK)
        *out = s;
    return err;
}

static gh_sso_source with_defaults(const gh_sso_source *in)
{
    gh_sso_source s = *in;
    if (s.scopes == NULL)
        s.scopes = GH_SSO_DEFAULT_SCOPES;
    if (s.claim == NULL)
        s.claim = GH_SSO_DEFAULT_CLAIM;
    return s;
}

static gh_err stored(gh_ctx *ctx, gh_err err)
{
    if (err == GH_ECONFLICT)
        return gh_fail(ctx, err, "name", "taken", "an SSO source with this name already exists");
    if (err == GH_EPRECOND)
        return gh_fail(ctx, err, NULL, NULL, "the SSO source was changed by someone else");
    return err;
}

static gh_err create_tx(gh_ctx *ctx, const gh_sso_write *in, gh_sso_source *out)
{
    gh_sso_source s = with_defaults(&in->source);
    gh_err err = gh_core_bind_provider(ctx, in->provider_given, in->source.provider_id,
                                       "SSO sources", &s.provider_id);
    if (err == GH_OK && in->client_secret == NULL)
        err = gh_fail(ctx, GH_EINVAL, "client_secret", "required", "is required");
    if (err == GH_OK)
        err = check_fields(ctx, &s, in->client_secret);
    if (err == GH_OK)
        err = seal_secret(ctx, in->client_secret, &s.client_secret_sealed);
    if (err != GH_OK)
        return err;
    s.created_at = ctx->now;
    err = stored(ctx, gh_store_sso_source_insert(ctx->db, &s, &s.id));
    if (err == GH_OK)
        err = gh_store_sso_source_get(ctx->db, ctx->a, s.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SSO_SOURCE_CREATE, "sso_source", s.id, 0, s.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_OF_SSO_SOURCE(out));
    return err;
}

gh_err gh_core_sso_create(gh_ctx *ctx, const gh_sso_write *in, gh_sso_source *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, create_tx(ctx, in, out));
}

gh_err gh_core_sso_get(gh_ctx *ctx, int64_t id, gh_sso_source *out)
{
    return visible(ctx, id, out);
}

static gh_err update_tx(gh_ctx *ctx, const gh_sso_write *in, int64_t expect_version,
                        gh_sso_source *out)
{
    gh_sso_source cur, s = with_defaults(&in->source);
    gh_err err = visible(ctx, s.id, &cur);
    if (err != GH_OK)
        return err;
    if (expect_version != 0 && expect_version != cur.version)
        return gh_fail(ctx, GH_EPRECOND, NULL, NULL, "the SSO source was changed by someone else");
    if (s.name == NULL || strcmp(s.name, cur.name) != 0)
        return gh_fail(ctx, GH_EINVAL, "name", "immutable", "an SSO source's name cannot change");
    if (s.provider_id != cur.provider_id)
        return gh_fail(ctx, GH_EINVAL, "provider_id", "immutable",
                       "an SSO source's provider cannot change");
    if ((err = check_fields(ctx, &s, in->client_secret)) != GH_OK)
        return err;
    s.client_secret_sealed = NULL; /* keeps the stored one */
    if (in->client_secret != NULL &&
        (err = seal_secret(ctx, in->client_secret, &s.client_secret_sealed)) != GH_OK)
        return err;
    s.version = cur.version;
    s.updated_at = ctx->now;
    err = stored(ctx, gh_store_sso_source_update(ctx->db, &s));
    if (err == GH_OK)
        err = gh_store_sso_source_get(ctx->db, ctx->a, s.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SSO_SOURCE_UPDATE, "sso_source", s.id, 0, cur.provider_id,
                            GH_AUDIT_OF_SSO_SOURCE(&cur), GH_AUDIT_OF_SSO_SOURCE(out));
    return err;
}

gh_err gh_core_sso_update(gh_ctx *ctx, const gh_sso_write *in, int64_t expect_version,
                          gh_sso_source *out)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, update_tx(ctx, in, expect_version, out));
}

static gh_err delete_tx(gh_ctx *ctx, int64_t id)
{
    gh_sso_source cur;
    gh_err err = visible(ctx, id, &cur);
    if (err == GH_OK)
        err = gh_store_sso_source_delete(ctx->db, id);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SSO_SOURCE_DELETE, "sso_source", id, 0, cur.provider_id,
                            GH_AUDIT_OF_SSO_SOURCE(&cur), GH_AUDIT_NOTHING);
    return err;
}

gh_err gh_core_sso_delete(gh_ctx *ctx, int64_t id)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, delete_tx(ctx, id));
}

gh_err gh_core_sso_list(gh_ctx *ctx, int64_t provider_id, int limit, int64_t after_id,
                        gh_sso_source **items, size_t *n)
{
    const gh_principal *who = ctx->who;
    if (who->access.level == GH_ACCESS_PROVIDER && provider_id == 0)
        provider_id = who->provider_id; /* its own provider's: all it sees */
    if (who->access.level != GH_ACCESS_PLATFORM &&
        (provider_id <= 0 || !gh_core_manages_provider(who, provider_id))) {
        *items = NULL;
        *n = 0;
        return GH_OK; /* nothing it may see: an empty list, as for a provider without sources */
    }
    return gh_store_sso_source_list(ctx->db, ctx->a, provider_id, limit, after_id, items, n);
}

gh_err gh_core_sso_public(gh_ctx *ctx, int64_t provider_id, gh_sso_source **items, size_t *n)
{
    return gh_store_sso_source_public(ctx->db, ctx->a, provider_id, GH_SSO_PUBLIC_MAX, items, n);
}
