/* Shared core plumbing: failures, transactions, audit rows, the CLI's principal and first
 * administrators. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"
#include "core/ops.h"
#include "core/validate.h"
#include "util/log.h"

gh_err gh_fail(gh_ctx *ctx, gh_err err, const char *field, const char *reason, const char *detail)
{
    ctx->err_field = field;
    ctx->err_reason = reason;
    ctx->err_detail = detail;
    return err;
}

gh_principal gh_core_system_principal(void)
{
    return (gh_principal){
        .user_id = 0,
        .username = "system",
        .superadmin = true,
        .perms = GH_PERM_ALL,
        .access = {.level = GH_ACCESS_PLATFORM},
    };
}

gh_err gh_core_upgrade_data(gh_db *db)
{
    int64_t filled = 0;
    gh_err err = gh_store_search_backfill(db, &filled);
    if (err == GH_OK && filled > 0) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)filled);
        gh_log("info", "search_backfilled", "users", n, NULL);
    }
    return err;
}

void gh_core_set_search_budget(int rows)
{
    gh_store_set_search_budget(rows);
}

gh_err gh_core_finish(gh_ctx *ctx, gh_err err)
{
    if (err != GH_OK || ctx->dry_run) {
        gh_db_rollback(ctx->db);
        return err;
    }
    return gh_db_commit(ctx->db);
}

bool gh_core_manages_provider(const gh_principal *p, int64_t provider_id)
{
    if (p->access.level == GH_ACCESS_PLATFORM)
        return true;
    return provider_id != 0 && p->access.level == GH_ACCESS_PROVIDER &&
           p->provider_id == provider_id;
}

gh_err gh_core_bind_provider(gh_ctx *ctx, bool given, int64_t asked, const char *what,
                             int64_t *provider)
{
    const gh_principal *who = ctx->who;
    if (who->access.level != GH_ACCESS_PLATFORM && who->access.level != GH_ACCESS_PROVIDER)
        return gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL,
                       gh_arena_printf(ctx->a,
                                       "only platform and service-provider administrators "
                                       "manage %s",
                                       what));
    *provider = given ? asked : who->access.level == GH_ACCESS_PROVIDER ? who->provider_id : 0;
    if (!gh_core_manages_provider(who, *provider))
        return gh_fail(
            ctx, GH_EFORBIDDEN, "provider_id", "forbidden",
            gh_arena_printf(ctx->a, "you can only manage %s of your own service provider", what));
    if (*provider == 0)
        return GH_OK;
    gh_tenant t;
    gh_err err = gh_store_tenant_get(ctx->db, ctx->a, *provider, &t);
    if (err == GH_ENOTFOUND || (err == GH_OK && t.kind != GH_TENANT_SERVICE_PROVIDER))
        return gh_fail(ctx, GH_EINVAL, "provider_id", "not_found", "no such service provider");
    return err;
}

gh_err gh_core_check_grant(gh_ctx *ctx, uint64_t mask, const char *field)
{
    if ((mask & ~gh_perm_effective(ctx->who)) == 0)
        return GH_OK;
    return gh_fail(ctx, GH_EFORBIDDEN, field, "not_held",
                   "you can only grant permissions that you hold yourself");
}

gh_err gh_core_visible_role(gh_ctx *ctx, int64_t id, gh_role *out)
{
    gh_role r;
    gh_err err = gh_store_role_get(ctx->db, ctx->a, id, &r);
    if (err != GH_OK)
        return err;
    if (!gh_core_role_seen(ctx->who, &r))
        return GH_ENOTFOUND;
    *out = r;
    return GH_OK;
}

gh_err gh_core_visible_group(gh_ctx *ctx, int64_t id, gh_group *out)
{
    gh_group g;
    gh_err err = gh_store_group_get(ctx->db, ctx->a, ctx->who, id, &g);
    if (err != GH_OK)
        return err;
    if (!gh_core_group_seen(ctx->who, &g))
        return GH_ENOTFOUND;
    *out = g;
    return GH_OK;
}

/* An event that records a failure (login.failure, mail.failed) has outcome "failure", a refusal
 * before any check (login.throttled) "denied", so that the trail can be filtered on them; every
 * other recorded change succeeded. */
static const char *outcome_of(const char *action)
{
    size_t n = strlen(action);
    bool failed = (n > 8 && strcmp(action + n - 8, ".failure") == 0) ||
                  (n > 7 && strcmp(action + n - 7, ".failed") == 0);
    bool refused = n > 10 && strcmp(action + n - 10, ".throttled") == 0;
    return failed ? "failure" : refused ? "denied" : "success";
}

gh_err gh_core_audit(gh_ctx *ctx, gh_audit_action action, const char *target_type,
                     int64_t target_id, int64_t target_user_id, int64_t provider_id,
                     gh_audit_obj before, gh_audit_obj after)
{
    gh_audit_entry e = {
        .at = ctx->now,
        .actor_id = ctx->who->user_id,
        .actor = ctx->who->username,
        .action = gh_audit_action_name(action),
        .target_type = target_type,
        .target_id = target_id,
        .target_user_id = target_user_id,
        .provider_id = provider_id,
        .outcome = outcome_of(gh_audit_action_name(action)),
        .ip = ctx->ip,
        .request_id = ctx->request_id,
    };
    gh_core_count_signin(action, after); /* every sign-in step is audited: counted here too */
    return gh_audit_record(ctx->db, ctx->a, &e, before, after);
}

void gh_core_audit_denied(gh_ctx *ctx, const char *action)
{
    gh_audit_entry e = {
        .at = ctx->now,
        .actor_id = ctx->who->user_id,
        .actor = ctx->who->username,
        .action = action,
        .target_type = "request",
        .provider_id = ctx->who->provider_id,
        .outcome = "denied",
        .ip = ctx->ip,
        .request_id = ctx->request_id,
    };
    if (gh_db_begin(ctx->db) != GH_OK)
        return;
    if (gh_core_finish(
            ctx, gh_audit_record(ctx->db, ctx->a, &e, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING)) != GH_OK)
        gh_log("error", "audit_denied_failed", "action", action, NULL);
}

gh_err gh_core_admin_create(gh_ctx *ctx, const char *username, const char *email,
                            const char *password, const gh_admin_guard *guard, int64_t *id)
{
    if (!gh_valid_username(username))
        return gh_fail(ctx, GH_EINVAL, "username", "invalid",
                       "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter "
                       "or digit");
    if (!gh_valid_email(email))
        return gh_fail(ctx, GH_EINVAL, "email", "invalid", "not a valid e-mail address");
    gh_user facts = {.username = username, .email = email}; /* a platform admin: no provider */
    gh_err err = gh_core_password_policy(ctx, &facts, password, "password");
    if (err != GH_OK)
        return err;
    char hash[GH_HASH_BYTES];
    if ((err = gh_password_hash(password, hash)) != GH_OK)
        return err;
    gh_user u = {
        .username = username,
        .first_name = "",
        .last_name = "",
        .email = email,
        .phone = "",
        .language = "en",
        .timezone = "UTC",
        .country = "",
        .status = GH_STATUS_ACTIVE,
        .login_enabled = true,
        .is_superadmin = true,
        .password_hash = hash,
        .access = {.level = GH_ACCESS_PLATFORM},
        .created_at = ctx->now,
    };
    int64_t new_id = 0;
    err = gh_db_begin(ctx->db);
    if (err != GH_OK) {
        sodium_memzero(hash, sizeof hash);
        return err;
    }
    err = gh_store_user_insert(ctx->db, &u, &new_id);
    sodium_memzero(hash, sizeof hash);
    if (err == GH_ECONFLICT)
        err = gh_fail(ctx, err, "username", "taken", GH_USERNAME_TAKEN);
    if (err == GH_OK) {
        u.id = new_id;
        u.password_hash = NULL;
        err = gh_core_audit(ctx, GH_ACT_ADMIN_CREATE, "user", new_id, new_id, 0, GH_AUDIT_NOTHING,
                            GH_AUDIT_OF_USER(&u));
    }
    if (err == GH_OK && guard != NULL)
        err = guard->check(ctx, new_id, guard->arg);
    if ((err = gh_core_finish(ctx, err)) == GH_OK)
        *id = new_id;
    return err;
}
