/* Sessions and API tokens once issued: the session behind a cookie, its activity, its end, and
 * the principal behind a bearer token (see signin.h). */
#include "core/signin.h"

#include "core/internal.h"

/* Whether the cached item of a credential may stand for what the database holds now: its time
 * limits still hold (checked here: no write marks their passing) and the revocation counters of
 * the current snapshot equal those read with it (every write that changes a principal moves
 * one, migration 010). *err gets the counters' read failure. */
static bool item_current(gh_db *db, const gh_pcache_item *it, bool time_ok, gh_err *err)
{
    *err = GH_OK;
    if (!time_ok)
        return false;
    gh_auth_stamp now = {0};
    if ((*err = gh_store_auth_epochs(db, it->who.user_id, &now)) != GH_OK)
        return false;
    return now.global == it->stamp.global && now.user == it->stamp.user;
}

gh_err gh_session_authenticate(gh_pcache *cache, const gh_signin_config *c, gh_db *db, gh_arena *a,
                               const char *token, int64_t now, gh_session *s, gh_principal *p)
{
    int64_t idle = (c != NULL ? c : &gh_signin_defaults)->idle_seconds;
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_pcache_item it;
    gh_err err = GH_OK;
    if (gh_pcache_get(cache, GH_PCACHE_SESSION, hash, a, &it) &&
        item_current(db, &it, it.session.expires_at > now && it.session.last_seen_at > now - idle,
                     &err)) {
        *s = it.session;
        *p = it.who;
        return GH_OK;
    }
    if (err != GH_OK)
        return err;
    err = gh_store_session_auth(db, a, hash, now, now - idle, s, p, &it.stamp);
    if (err == GH_OK) {
        it.who = *p;
        it.session = *s;
        gh_pcache_put(cache, GH_PCACHE_SESSION, hash, &it);
    } else if (err == GH_EUNAUTH || err == GH_ENOTFOUND) {
        gh_pcache_drop(cache, GH_PCACHE_SESSION, hash);
    }
    return err == GH_ENOTFOUND ? GH_EUNAUTH : err;
}

gh_err gh_session_touch(gh_pcache *cache, const char *token, gh_db *db, gh_session *s, int64_t now)
{
    if (now - s->last_seen_at < 60)
        return GH_OK;
    gh_err err = gh_store_session_touch(db, s->id, now);
    if (err == GH_OK)
        s->last_seen_at = now;
    if (err == GH_OK && cache != NULL) {
        char hash[GH_TOKEN_HASH_CHARS];
        gh_token_hash(token, hash);
        gh_pcache_touch(cache, hash, s->id, now);
    }
    return err;
}

gh_err gh_session_end(gh_ctx *ctx, const gh_session *sess)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = gh_store_session_delete(ctx->db, sess->user_id, sess->id, NULL);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SESSION_END, "session", sess->id, sess->user_id,
                            ctx->who->provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    return gh_core_finish(ctx, err);
}

gh_err gh_token_authenticate(gh_pcache *cache, gh_db *db, gh_arena *a, const char *token,
                             int64_t now, gh_principal *out)
{
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_pcache_item it;
    gh_err err = GH_OK;
    if (gh_pcache_get(cache, GH_PCACHE_TOKEN, hash, a, &it) &&
        item_current(db, &it, it.stamp.expires_at == 0 || it.stamp.expires_at > now, &err)) {
        *out = it.who;
        return GH_OK;
    }
    if (err != GH_OK)
        return err;
    err = gh_store_principal_by_token(db, a, hash, now, out, &it.stamp);
    if (err == GH_OK) {
        it.who = *out;
        it.session = (gh_session){0};
        gh_pcache_put(cache, GH_PCACHE_TOKEN, hash, &it);
    } else if (err == GH_EUNAUTH || err == GH_ENOTFOUND) {
        gh_pcache_drop(cache, GH_PCACHE_TOKEN, hash);
    }
    return err == GH_ENOTFOUND ? GH_EUNAUTH : err;
}
