/* Sessions and API tokens once issued: the session behind a cookie, its activity, its end, and
 * the principal behind a bearer token (see signin.h). */
#include "core/signin.h"

#include "core/internal.h"

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

gh_err gh_token_authenticate(gh_db *db, gh_arena *a, const char *token, int64_t now,
                             gh_principal *out)
{
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_err err = gh_store_principal_by_token(db, a, hash, now, out);
    return err == GH_ENOTFOUND ? GH_EUNAUTH : err;
}
