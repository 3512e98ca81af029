/* Back-office users: validation, delegated-administration checks and the lifecycle. */
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"
#include "core/links.h"
#include "core/signin.h"
#include "core/validate.h"

static gh_err check_profile(gh_ctx *ctx, const gh_user *u)
{
    static const struct {
        size_t off;
        const char *field;
    } texts[] = {
        {offsetof(gh_user, first_name), "first_name"},
        {offsetof(gh_user, last_name), "last_name"},
        {offsetof(gh_user, sso_source), "sso_source"},
        {offsetof(gh_user, sso_id), "sso_id"},
    };
    if (!gh_valid_username(u->username))
        return gh_fail(ctx, GH_EINVAL, "username", "invalid",
                       "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter "
                       "or digit");
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *s = *(const char *const *)((const char *)u + texts[i].off);
        if (s != NULL && !gh_valid_text(s))
            return gh_fail(ctx, GH_EINVAL, texts[i].field, "control_character",
                           "control characters are not allowed");
    }
    if (!gh_valid_email(u->email))
        return gh_fail(ctx, GH_EINVAL, "email", "invalid", "not a valid e-mail address");
    if (u->phone[0] != '\0' && !gh_valid_phone(u->phone))
        return gh_fail(ctx, GH_EINVAL, "phone", "invalid",
                       "use the international E.164 form, for example +442071234567");
    if (!gh_valid_language(u->language))
        return gh_fail(ctx, GH_EINVAL, "language", "invalid", "must be \"en\" or \"zh\"");
    if (!gh_valid_timezone(u->timezone))
        return gh_fail(ctx, GH_EINVAL, "timezone", "invalid",
                       "not an IANA time zone known to this system, for example Europe/London");
    if (u->country[0] != '\0' && !gh_valid_country(u->country))
        return gh_fail(ctx, GH_EINVAL, "country", "invalid",
                       "not an ISO 3166-1 alpha-2 country code, for example GB");
    return GH_OK;
}

static gh_err check_access(gh_ctx *ctx, const gh_user *u)
{
    const gh_access *ac = &u->access;
    gh_err err = GH_OK;
    if (u->provider_id == 0)
        return ac->level == GH_ACCESS_PLATFORM
                   ? GH_OK
                   : gh_fail(ctx, GH_EINVAL, "access.level", "not_allowed",
                             "a user without a service provider has platform access");
    if (ac->level == GH_ACCESS_PLATFORM)
        return gh_fail(ctx, GH_EINVAL, "access.level", "not_allowed",
                       "platform access is only for users without a service provider");
    if (ac->level == GH_ACCESS_ACCOUNT && !ac->all && ac->ids.n == 0)
        return gh_fail(ctx, GH_EINVAL, "access.account_ids", "required",
                       "select at least one platform account, or \"all\"");
    for (size_t i = 0; ac->level == GH_ACCESS_ACCOUNT && i < ac->ids.n && err == GH_OK; i++)
        err = gh_core_expect_tenant(ctx, ac->ids.v[i], GH_TENANT_PLATFORM_ACCOUNT, u->provider_id,
                                    "access.account_ids",
                                    "not a platform account of the user's service provider");
    if (ac->level != GH_ACCESS_SUB_ACCOUNT || err != GH_OK)
        return err;
    err = gh_core_expect_tenant(ctx, ac->account_id, GH_TENANT_PLATFORM_ACCOUNT, u->provider_id,
                                "access.account_ids",
                                "not a platform account of the user's service provider");
    if (err == GH_OK && !ac->all && ac->ids.n == 0)
        return gh_fail(ctx, GH_EINVAL, "access.sub_account_ids", "required",
                       "select at least one sub-account, or \"all\"");
    for (size_t i = 0; i < ac->ids.n && err == GH_OK; i++)
        err = gh_core_expect_tenant(ctx, ac->ids.v[i], GH_TENANT_SUB_ACCOUNT, ac->account_id,
                                    "access.sub_account_ids",
                                    "not a sub-account of the chosen platform account");
    return err;
}

/* Roles must be visible, of the user's provider (or global), held by the granter. *pu says
 * whether one of them is of the Platform User kind. */
static gh_err check_roles(gh_ctx *ctx, const gh_user *u, bool *pu)
{
    for (size_t i = 0; i < u->role_ids.n; i++) {
        gh_role r;
        gh_err err = gh_store_role_get(ctx->db, ctx->a, u->role_ids.v[i], &r);
        if (err == GH_ENOTFOUND)
            return gh_fail(ctx, GH_EINVAL, "role_ids", "not_found",
                           "no such role for the user's service provider");
        if (err == GH_OK)
            err = gh_core_grant_role(ctx, &r, u->provider_id);
        if (err != GH_OK)
            return err;
        *pu |= r.kind == GH_ROLE_PLATFORM_USER;
    }
    return GH_OK;
}

/* Groups must be visible, of the user's provider (or global), and their roles held by the
 * granter; *pu as for check_roles, over the groups' roles. */
static gh_err check_groups(gh_ctx *ctx, const gh_user *u, bool *pu)
{
    for (size_t i = 0; i < u->group_ids.n; i++) {
        gh_group g;
        gh_err err = gh_store_group_get(ctx->db, ctx->a, ctx->who, u->group_ids.v[i], &g);
        if (err == GH_ENOTFOUND)
            return gh_fail(ctx, GH_EINVAL, "group_ids", "not_found",
                           "no such group for the user's service provider");
        if (err == GH_OK)
            err = gh_core_grant_group(ctx, &g, u->provider_id, pu);
        if (err != GH_OK)
            return err;
    }
    return GH_OK;
}

/* A Platform User (a role of that kind, direct or through a group) works in exactly one
 * platform account, on chosen sub-accounts of it or all of them (C8); sub-account access is
 * only for Platform Users. check_access has checked the account and the sub-accounts. */
static gh_err check_kind(gh_ctx *ctx, const gh_user *u, bool pu)
{
    if (pu && u->access.level != GH_ACCESS_SUB_ACCOUNT)
        return gh_fail(ctx, GH_EINVAL, "access.level", "not_allowed",
                       "a Platform User works in one platform account: choose it and its "
                       "sub-accounts (sub_account access)");
    if (!pu && u->access.level == GH_ACCESS_SUB_ACCOUNT)
        return gh_fail(ctx, GH_EINVAL, "access.sub_account_ids", "not_allowed",
                       "sub-account access needs a role of the Platform User kind");
    return GH_OK;
}

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Single sign-on: a named source must serve the user's provider (C10; 0: the platform's staff),
 * and enforced single sign-on needs a source and an SSO ID, or the account could not sign in.
 * On an edit (before: the stored user) only when one of the three changes: a deleted source
 * must not stop an edit of its users' other fields. */
static gh_err check_sso(gh_ctx *ctx, const gh_user *u, const gh_user *before)
{
    if (before != NULL && before->enforce_sso == u->enforce_sso &&
        same_text(before->sso_source, u->sso_source) && same_text(before->sso_id, u->sso_id))
        return GH_OK;
    if (u->sso_id != NULL && u->sso_id[0] == '\0')
        return gh_fail(ctx, GH_EINVAL, "sso_id", "invalid",
                       "enter the user's SSO ID, or leave it empty (null)");
    if (u->sso_source != NULL) {
        gh_sso_source s;
        const char *sealed = NULL;
        gh_err err = gh_valid_slug(u->sso_source)
                         ? gh_store_sso_source_by_name(ctx->db, ctx->a, u->sso_source, &s, &sealed)
                         : GH_ENOTFOUND;
        if (err == GH_OK && s.provider_id != u->provider_id)
            err = GH_ENOTFOUND;
        if (err == GH_ENOTFOUND)
            return gh_fail(ctx, GH_EINVAL, "sso_source", "not_found",
                           "no SSO source of this name serves the user's service provider");
        if (err != GH_OK)
            return err;
    }
    if (u->enforce_sso && (u->sso_source == NULL || u->sso_id == NULL))
        return gh_fail(ctx, GH_EINVAL, u->sso_source == NULL ? "sso_source" : "sso_id", "required",
                       "enforced single sign-on needs an SSO source and the user's SSO ID");
    return GH_OK;
}

/* The defaults of a new user's single sign-on from its provider's sources (see gh_user_create). */
static gh_err sso_defaults(gh_ctx *ctx, const gh_user_create *in, gh_user *u)
{
    gh_sso_source *items = NULL;
    size_t n = 0;
    gh_err err = gh_store_sso_source_public(ctx->db, ctx->a, u->provider_id ? u->provider_id : -1,
                                            2, &items, &n);
    if (err != GH_OK || n == 0)
        return err;
    if (!in->sso_source_given && n == 1)
        u->sso_source = items[0].name;
    const gh_sso_source *src = NULL;
    for (size_t i = 0; i < n && u->sso_source != NULL; i++)
        if (strcmp(items[i].name, u->sso_source) == 0)
            src = &items[i];
    if (src != NULL && !in->sso_id_given) {
        if (strcmp(src->claim, "email") == 0 && u->email != NULL && u->email[0] != '\0')
            u->sso_id = u->email;
        else if (strcmp(src->claim, "preferred_username") == 0)
            u->sso_id = u->username;
    }
    if (!in->enforce_sso_given)
        u->enforce_sso = u->sso_source != NULL && u->sso_id != NULL;
    return GH_OK;
}

static gh_err check_user(gh_ctx *ctx, const gh_user *u, const gh_user *before)
{
    gh_err err = check_profile(ctx, u);
    if (err == GH_OK)
        err = check_sso(ctx, u, before);
    if (err == GH_OK && u->provider_id != 0)
        err = gh_core_expect_tenant(ctx, u->provider_id, GH_TENANT_SERVICE_PROVIDER, 0,
                                    "provider_id", "no such service provider");
    if (err == GH_OK)
        err = check_access(ctx, u);
    bool pu = false;
    if (err == GH_OK)
        err = check_roles(ctx, u, &pu);
    if (err == GH_OK)
        err = check_groups(ctx, u, &pu);
    if (err == GH_OK)
        err = check_kind(ctx, u, pu);
    return err;
}

/* An admin editing itself may lower its rights but never lift a restriction on its own sign-in
 * (C6): two-factor (its own flag or a role's), enforced single sign-on, disabled login. before
 * and after are its credentials around the write. */
static gh_err check_own_restrictions(gh_ctx *ctx, const gh_credentials *before,
                                     const gh_credentials *after)
{
    if (before->mfa_required && !after->mfa_required)
        return gh_fail(ctx, GH_EFORBIDDEN, "mfa_required", "self",
                       "you cannot remove the two-factor requirement from your own account");
    if (before->enforce_sso && !after->enforce_sso)
        return gh_fail(ctx, GH_EFORBIDDEN, "enforce_sso", "self",
                       "you cannot turn off enforced single sign-on for your own account");
    if (!before->login_enabled && after->login_enabled)
        return gh_fail(ctx, GH_EFORBIDDEN, "login_enabled", "self",
                       "you cannot enable login for your own account");
    return GH_OK;
}

/* Loads a live user inside the actor's scope; anything else is GH_ENOTFOUND. */
static gh_err load_visible(gh_ctx *ctx, int64_t id, gh_user *out)
{
    gh_err err = gh_store_user_get_visible(ctx->db, ctx->a, ctx->who, id, out);
    if (err == GH_OK && out->status == GH_STATUS_DELETED)
        err = GH_ENOTFOUND;
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such user") : err;
}

gh_err gh_core_user_create(gh_ctx *ctx, const gh_user_create *in, gh_user *out,
                           char **generated_password)
{
    char hash[GH_HASH_BYTES], generated[32] = "";
    const char *pw = in->password;
    gh_user u = in->user;
    u.is_superadmin = false; /* only `gatehouse admin create` makes superadmins */
    gh_err err = check_profile(ctx, &u);
    if (err != GH_OK)
        return err;
    if (in->generate_password) {
        gh_password_generate(generated, sizeof generated);
        pw = generated;
    }
    if (pw != NULL &&
        (err = gh_core_password_policy(
             ctx, &u, pw, in->generate_password ? "generate_password" : "password")) != GH_OK)
        return err;
    if (pw != NULL && (err = gh_password_hash(pw, hash)) != GH_OK)
        return err;
    u.password_hash = pw != NULL ? hash : NULL;
    u.must_change_password = pw != NULL;
    u.status = pw != NULL ? GH_STATUS_ACTIVE : GH_STATUS_INVITED;
    u.created_at = ctx->now;
    u.created_by = ctx->who->user_id;
    int64_t id = 0;
    if ((err = gh_db_begin(ctx->db)) != GH_OK)
        return err;
    err = sso_defaults(ctx, in, &u);
    if (err == GH_OK)
        err = check_user(ctx, &u, NULL);
    if (err == GH_OK)
        err = gh_core_check_scope_held(ctx, &u);
    if (err == GH_OK)
        err = gh_store_user_insert(ctx->db, &u, &id);
    if (err == GH_ECONFLICT) /* the same answer wherever the name is used (C9) */
        err = gh_fail(ctx, err, "username", "taken", GH_USERNAME_TAKEN);
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_USER_CREATE, "user", id, id, u.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_OF_USER(out));
    if (err == GH_OK)
        err = gh_core_emit(ctx, "user.created", out);
    if (err == GH_OK && pw == NULL) /* invited: the onboarding e-mail, in this transaction */
        err = gh_core_onboarding_issue(ctx, out, "create");
    if (err == GH_OK && pw == NULL)
        err = gh_store_user_get(ctx->db, ctx->a, id, out);
    err = gh_core_finish(ctx, err);
    if (err == GH_OK && in->generate_password)
        *generated_password = gh_arena_strdup(ctx->a, generated);
    sodium_memzero(generated, sizeof generated);
    return err;
}

gh_err gh_core_user_get(gh_ctx *ctx, int64_t id, gh_user *out)
{
    gh_err err = gh_store_user_get_visible(ctx->db, ctx->a, ctx->who, id, out);
    return err == GH_ENOTFOUND ? gh_fail(ctx, err, NULL, NULL, "no such user") : err;
}

gh_err gh_core_user_by_username(gh_ctx *ctx, const char *username, gh_user *out)
{
    gh_user u;
    gh_err err = gh_store_user_by_username(ctx->db, ctx->a, username, &u);
    return err != GH_OK ? err : load_visible(ctx, u.id, out);
}

static gh_err update_in_tx(gh_ctx *ctx, const gh_user *in, int64_t expect_version, gh_user *out)
{
    gh_user cur, next = *in;
    gh_err err = load_visible(ctx, in->id, &cur);
    if (err != GH_OK)
        return err;
    if (expect_version != 0 && cur.version != expect_version)
        return gh_fail(ctx, GH_EPRECOND, NULL, NULL,
                       "the user was changed by someone else; reload and try again");
    if (strcmp(in->username, cur.username) != 0)
        return gh_fail(ctx, GH_EINVAL, "username", "immutable", "a username cannot be changed");
    if (in->provider_id != cur.provider_id)
        return gh_fail(ctx, GH_EINVAL, "provider_id", "immutable",
                       "the service provider cannot be changed");
    if ((err = gh_core_user_may(ctx, &cur, GH_RIGHT_UPDATE)) != GH_OK ||
        (err = check_user(ctx, in, &cur)) != GH_OK ||
        (err = gh_core_check_scope_held(ctx, in)) != GH_OK)
        return err;
    bool self = cur.id == ctx->who->user_id;
    gh_credentials before, after;
    if (self && (err = gh_store_credentials(ctx->db, ctx->a, NULL, cur.id, &before)) != GH_OK)
        return err;
    next.version = cur.version;
    next.updated_at = ctx->now;
    next.updated_by = ctx->who->user_id;
    err = gh_store_user_update(ctx->db, &next);
    if (err == GH_EPRECOND)
        err =
            gh_fail(ctx, err, NULL, NULL, "the user was changed by someone else; reload and retry");
    if (err == GH_OK && self &&
        (err = gh_store_credentials(ctx->db, ctx->a, NULL, cur.id, &after)) == GH_OK)
        err = check_own_restrictions(ctx, &before, &after);
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, cur.id, out);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_USER_UPDATE, "user", cur.id, cur.id, cur.provider_id,
                            GH_AUDIT_OF_USER(&cur), GH_AUDIT_OF_USER(out));
    if (err == GH_OK)
        err = gh_core_emit(ctx, "user.updated", out);
    /* enforced single sign-on or disabled login: the password sessions and tokens end now */
    err = err == GH_OK ? gh_core_user_edited(ctx, &cur, out) : err;
    /* two-factor just became required for an active user without a device: tell them */
    if (err == GH_OK && !cur.mfa_required && out->mfa_required && !out->mfa_enrolled &&
        out->status == GH_STATUS_ACTIVE)
        err = gh_core_mail_queue(ctx, out, "mfa_enrol", NULL);
    return err;
}

gh_err gh_core_user_update(gh_ctx *ctx, const gh_user *in, int64_t expect_version, gh_user *out)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    return gh_core_finish(ctx, update_in_tx(ctx, in, expect_version, out));
}

static const struct {
    gh_audit_action audit;
    gh_user_right right; /* the rule it runs (core/rights.c) */
    bool ends_sessions;
    const char *notice; /* the e-mail that tells the user, if any */
    const char *event;  /* the webhook event, if any */
} actions[] = {
    [GH_USER_DISABLE] = {GH_ACT_USER_DISABLE, GH_RIGHT_DISABLE, true, NULL, "user.disabled"},
    [GH_USER_ENABLE] = {GH_ACT_USER_ENABLE, GH_RIGHT_ENABLE, false, NULL, "user.enabled"},
    [GH_USER_DELETE] = {GH_ACT_USER_DELETE, GH_RIGHT_DELETE, true, NULL, "user.deleted"},
    [GH_USER_UNBAN] = {GH_ACT_USER_UNBAN, GH_RIGHT_UNBAN, false, NULL, "user.unbanned"},
    [GH_USER_FORCE_RESET] = {GH_ACT_USER_FORCE_PASSWORD_RESET, GH_RIGHT_FORCE_RESET, true,
                             "force_reset", "user.updated"},
    [GH_USER_RESET_MFA] = {GH_ACT_USER_RESET_MFA, GH_RIGHT_RESET_MFA, true, "mfa_reset",
                           "user.updated"},
};

uint64_t gh_core_user_action_perm(gh_user_action action)
{
    return gh_core_right_perm(actions[action].right);
}

/* The change an action makes; *changed stays false when it is already in effect (no audit row). */
static gh_err apply_action(gh_ctx *ctx, const gh_user *cur, gh_user_action action, bool *changed)
{
    gh_err err;
    *changed = true;
    switch (action) {
    case GH_USER_DISABLE:
        if (cur->status == GH_STATUS_DISABLED)
            return *changed = false, GH_OK;
        return gh_store_user_set_status(ctx->db, cur->id, GH_STATUS_DISABLED, ctx->now,
                                        ctx->who->user_id);
    case GH_USER_ENABLE:
        if (cur->status != GH_STATUS_DISABLED)
            return *changed = false, GH_OK;
        err = gh_store_user_set_status(ctx->db, cur->id,
                                       cur->has_password ? GH_STATUS_ACTIVE : GH_STATUS_INVITED,
                                       ctx->now, ctx->who->user_id);
        /* the dormant rule counts from now (core/dormant.c) */
        return err == GH_OK ? gh_store_user_set_active_since(ctx->db, cur->id, ctx->now) : err;
    case GH_USER_DELETE: { /* the name stays reserved; roles, groups and access go */
        err = gh_store_user_set_status(ctx->db, cur->id, GH_STATUS_DELETED, ctx->now,
                                       ctx->who->user_id);
        if (err == GH_OK) /* nor can its passkeys sign in any more */
            err = gh_store_passkeys_clear(ctx->db, cur->id, NULL);
        return err == GH_OK ? gh_store_user_unlink(ctx->db, cur->id) : err;
    }
    case GH_USER_UNBAN: /* like enable: unbanning a user who is not banned changes nothing */
        err = gh_store_user_unban(ctx->db, cur->id, ctx->now);
        if (err == GH_OK)
            err = gh_store_user_set_active_since(ctx->db, cur->id, ctx->now);
        return err == GH_ENOTFOUND ? (*changed = false, GH_OK) : err;
    case GH_USER_FORCE_RESET:
        return gh_store_set_must_change(ctx->db, cur->id, true);
    case GH_USER_RESET_MFA: { /* an enrolled user stays on two-factor: a new device is due */
        int64_t passkeys = 0;
        err = gh_store_totp_clear(ctx->db, cur->id);
        if (err == GH_OK) /* passkeys are second factors too */
            err = gh_store_passkeys_clear(ctx->db, cur->id, &passkeys);
        return err == GH_OK && (cur->mfa_enrolled || passkeys > 0)
                   ? gh_store_set_mfa_required(ctx->db, cur->id)
                   : err;
    }
    }
    return GH_EINTERNAL;
}

static gh_err act_in_tx(gh_ctx *ctx, int64_t id, gh_user_action action)
{
    gh_user cur, after;
    gh_err err = load_visible(ctx, id, &cur);
    if (err != GH_OK)
        return err;
    bool changed = false;
    if ((err = gh_core_user_may(ctx, &cur, actions[action].right)) != GH_OK ||
        (err = apply_action(ctx, &cur, action, &changed)) != GH_OK || !changed)
        return err;
    if (actions[action].ends_sessions)
        err = gh_core_end_credentials(ctx, id, 0);
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, &after);
    if (err == GH_OK)
        err = gh_core_audit(ctx, actions[action].audit, "user", id, id, cur.provider_id,
                            GH_AUDIT_OF_USER(&cur), GH_AUDIT_OF_USER(&after));
    if (err == GH_OK && actions[action].event != NULL)
        err = gh_core_emit(ctx, actions[action].event, &after);
    if (err == GH_OK && actions[action].notice != NULL && after.status == GH_STATUS_ACTIVE)
        err = gh_core_mail_queue(ctx, &after, actions[action].notice, NULL);
    return err;
}

gh_err gh_core_user_act(gh_ctx *ctx, int64_t id, gh_user_action action)
{
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    return gh_core_finish(ctx, act_in_tx(ctx, id, action));
}

gh_err gh_core_user_sessions(gh_ctx *ctx, int64_t id, gh_session **items, size_t *n)
{
    gh_user u;
    gh_err err = load_visible(ctx, id, &u);
    if (err != GH_OK)
        return err;
    const gh_signin_config *c = gh_signin_config_of(ctx);
    return gh_store_session_list(ctx->db, ctx->a, id, ctx->now, ctx->now - c->idle_seconds, items,
                                 n);
}

static gh_err revoke_in_tx(gh_ctx *ctx, int64_t id, int64_t sid)
{
    gh_user u;
    int64_t count = 0;
    gh_err err = load_visible(ctx, id, &u);
    if (err == GH_OK && id != ctx->who->user_id)
        err = gh_core_check_power(ctx, id);
    if (err == GH_OK)
        err = gh_store_session_delete(ctx->db, id, sid, &count);
    if (err == GH_OK && sid > 0 && count == 0)
        return gh_fail(ctx, GH_ENOTFOUND, NULL, NULL, "no such session");
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_SESSION_REVOKE, "user", id, id, u.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.sessions = GH_AUDIT_INT(count)));
    return err;
}

gh_err gh_core_user_session_revoke(gh_ctx *ctx, int64_t id, int64_t sid)
{
    gh_err err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, revoke_in_tx(ctx, id, sid));
}

gh_err gh_core_user_list(gh_ctx *ctx, const gh_user_filter *f, gh_user_page *out)
{
    gh_user_filter copy = *f;
    copy.now = ctx->now;
    return gh_store_user_list(ctx->db, ctx->a, ctx->who, &copy, out);
}

gh_err gh_core_user_tallies(gh_ctx *ctx, const gh_user_filter *f, int64_t cap, int64_t budget,
                            gh_user_tally *out)
{
    gh_user_filter copy = *f;
    copy.now = ctx->now;
    return gh_store_user_tallies(ctx->db, ctx->a, ctx->who, &copy, cap, budget, out);
}

gh_err gh_core_users_extras(gh_ctx *ctx, const gh_user *users, size_t n, bool lockout,
                            gh_user_extras *out)
{
    return gh_store_users_extras(ctx->db, ctx->a, users, n, lockout, out);
}

gh_err gh_core_users_links(gh_ctx *ctx, const gh_user *users, size_t n, gh_user_links *out)
{
    return gh_store_users_links(ctx->db, ctx->a, users, n, out);
}
