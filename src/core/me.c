/* A signed-in user's own preferences: language and timezone (My profile). Needs no users.*
 * permission: it touches nothing else of the record, so it grants nothing. */
#include <string.h>

#include "core/internal.h"
#include "core/validate.h"

static gh_err me_update_in_tx(gh_ctx *ctx, const char *language, const char *timezone, gh_user *out)
{
    gh_user cur, next;
    gh_err err = gh_store_user_get(ctx->db, ctx->a, ctx->who->user_id, &cur);
    if (err != GH_OK)
        return err;
    if (language != NULL && !gh_valid_language(language))
        return gh_fail(ctx, GH_EINVAL, "language", "invalid", "use en or zh");
    if (timezone != NULL && !gh_valid_timezone(timezone))
        return gh_fail(ctx, GH_EINVAL, "timezone", "invalid",
                       "not an IANA timezone, e.g. Asia/Shanghai");
    next = cur;
    if (language != NULL)
        next.language = language;
    if (timezone != NULL)
        next.timezone = timezone;
    next.updated_at = ctx->now;
    next.updated_by = ctx->who->user_id;
    if ((err = gh_store_user_update(ctx->db, &next)) != GH_OK)
        return err;
    if ((err = gh_store_user_get(ctx->db, ctx->a, cur.id, out)) != GH_OK)
        return err;
    return gh_core_audit(ctx, GH_ACT_USER_UPDATE_OWN, "user", cur.id, cur.id, cur.provider_id,
                         GH_AUDIT_OF_USER(&cur), GH_AUDIT_OF_USER(out));
}

gh_err gh_core_me_update(gh_ctx *ctx, const char *language, const char *timezone, gh_user *out)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    return gh_core_finish(ctx, me_update_in_tx(ctx, language, timezone, out));
}

gh_err gh_core_me_identity(gh_ctx *ctx, gh_user *out, const char ***group_names)
{
    gh_err err = gh_store_user_get(ctx->db, ctx->a, ctx->who->user_id, out);
    if (err != GH_OK)
        return err;
    const char **names = gh_arena_alloc(ctx->a, (out->group_ids.n + 1) * sizeof *names);
    for (size_t i = 0; i < out->group_ids.n && err == GH_OK; i++)
        err = gh_store_name_of(ctx->db, ctx->a, GH_NAMED_GROUP, out->group_ids.v[i], &names[i]);
    *group_names = names;
    return err;
}
