/* See links.h. */
#include "core/links.h"

#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/internal.h"
#include "core/validate.h"
#include "mail/mail.h"
#include "mail/mime.h"
#include "util/log.h"
#include "util/utf8.h"

/* Who acts on the public routes: nobody signed in. */
static const gh_principal anonymous = {.username = "anonymous"};

/* The link a message of kind carries: onboarding and password_reset messages carry one of
 * their own purpose (true), the notices none. */
static bool purpose_of(const char *kind, gh_link_purpose *out)
{
    return gh_link_purpose_parse(kind, out) && *out != GH_LINK_SETUP;
}

gh_err gh_core_mail_queue(gh_ctx *ctx, const gh_user *u, const char *kind, const char *origin)
{
    const char *name = gh_person_name(ctx->a, u->first_name, u->last_name);
    gh_link_purpose purpose;
    bool has_link = purpose_of(kind, &purpose);
    if (!gh_mail_address_ok(u->email))
        return gh_fail(ctx, GH_EINVAL, "email", "invalid",
                       "this e-mail address cannot be used in a message");
    if (!gh_mail_header_safe(name))
        return gh_fail(ctx, GH_EINVAL, "first_name", "control_character",
                       "line breaks are not allowed in names");
    gh_mail m = {.kind = kind,
                 .user_id = u->id,
                 .provider_id = u->provider_id,
                 .to_addr = u->email,
                 .to_name = name,
                 .username = u->username,
                 .language = u->language,
                 .next_attempt_at = ctx->now,
                 .created_at = ctx->now};
    int64_t mail_id = 0, link_id = 0;
    gh_err err = GH_OK;
    if (purpose_of(kind, &purpose) && purpose == GH_LINK_ONBOARDING && u->enforce_sso &&
        u->sso_source != NULL) { /* signs in through its source: the e-mail says so, no link */
        gh_sso_source s;
        const char *sealed = NULL;
        err = gh_store_sso_source_by_name(ctx->db, ctx->a, u->sso_source, &s, &sealed);
        if (err == GH_OK) {
            m.sso_source = s.name;
            m.sso_display_name = s.display_name;
            has_link = false;
        } else if (err == GH_ENOTFOUND) {
            err = GH_OK; /* the source went: the password link is the way in */
        }
    }
    if (err == GH_OK)
        err = gh_store_mail_insert(ctx->db, &m, &mail_id);
    if (err == GH_OK && has_link) {
        gh_link l = {.user_id = u->id,
                     .purpose = purpose,
                     .origin = origin,
                     .outbox_id = mail_id,
                     .ttl = purpose == GH_LINK_ONBOARDING ? GH_ONBOARDING_TTL_S : GH_RESET_TTL_S,
                     .created_at = ctx->now};
        err = gh_store_link_insert(ctx->db, &l, &link_id);
    }
    if (err == GH_OK)
        gh_mail_kick(ctx->mail); /* its claim waits for our commit: it writes too */
    return err;
}

gh_err gh_core_onboarding_issue(gh_ctx *ctx, const gh_user *u, const char *origin)
{
    gh_err err = gh_store_link_void(ctx->db, u->id, GH_LINK_ONBOARDING, ctx->now);
    return err == GH_OK ? gh_core_mail_queue(ctx, u, "onboarding", origin) : err;
}

/* The rules of a new onboarding link for user id, e-mailed again or copied (origin resend or
 * copy): inside the actor's scope (404), no more powerful than the actor (403), invited (409),
 * at most GH_RESEND_PER_HOUR of that origin an hour (429). *cur gets the user. */
static gh_err onboarding_target(gh_ctx *ctx, int64_t id, const char *origin, gh_user *cur)
{
    gh_err err = gh_store_user_get_visible(ctx->db, ctx->a, ctx->who, id, cur);
    if (err == GH_OK && cur->status == GH_STATUS_DELETED)
        err = GH_ENOTFOUND;
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, NULL, NULL, "no such user");
    if (err != GH_OK || (err = gh_core_user_may(ctx, cur, GH_RIGHT_RESEND)) != GH_OK)
        return err;
    if (strcmp(origin, "copy") == 0 && cur->enforce_sso)
        return gh_fail(ctx, GH_ECONFLICT, "enforce_sso", "sso_only",
                       "this user signs in through single sign-on only: no password link to copy; "
                       "the sign-in page's button is the way in");
    int64_t count = 0, oldest = 0;
    err = gh_store_link_count(ctx->db, id, GH_LINK_ONBOARDING, origin, ctx->now - 3600, &count,
                              &oldest);
    if (err == GH_OK && count >= GH_RESEND_PER_HOUR) {
        ctx->retry_after = oldest + 3600 - ctx->now > 0 ? oldest + 3600 - ctx->now : 1;
        return gh_fail(ctx, GH_ERATE, NULL, NULL,
                       "5 onboarding links were made for this user in the last hour; wait before "
                       "making another");
    }
    return err;
}

static gh_err resend_in_tx(gh_ctx *ctx, int64_t id, gh_user *out)
{
    gh_user cur;
    gh_err err = onboarding_target(ctx, id, "resend", &cur);
    if (err == GH_OK)
        err = gh_core_onboarding_issue(ctx, &cur, "resend");
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_ONBOARDING_RESEND, "user", id, id, cur.provider_id,
                            GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, out);
    return err;
}

gh_err gh_core_onboarding_resend(gh_ctx *ctx, int64_t id, gh_user *out)
{
    gh_err err = gh_core_may_perm(ctx, GH_RIGHT_RESEND);
    if (err == GH_OK)
        err = gh_db_begin(ctx->db);
    return err != GH_OK ? err : gh_core_finish(ctx, resend_in_tx(ctx, id, out));
}

static gh_err copy_in_tx(gh_ctx *ctx, int64_t id, char *token, int64_t *link_id)
{
    gh_user cur;
    char hash[GH_TOKEN_HASH_CHARS];
    gh_err err = onboarding_target(ctx, id, "copy", &cur);
    if (err == GH_OK) /* voids the e-mailed link too: its queued message is then cancelled */
        err = gh_store_link_void(ctx->db, id, GH_LINK_ONBOARDING, ctx->now);
    gh_link l = {.user_id = id,
                 .purpose = GH_LINK_ONBOARDING,
                 .origin = "copy",
                 .ttl = GH_ONBOARDING_TTL_S,
                 .created_at = ctx->now};
    if (err == GH_OK)
        err = gh_store_link_insert(ctx->db, &l, link_id);
    gh_token_new(token, hash);
    if (err == GH_OK)
        err = gh_store_link_handed(ctx->db, *link_id, hash, ctx->now);
    if (err == GH_OK) /* the audit row names the link, never its token (L3) */
        err =
            gh_core_audit(ctx, GH_ACT_ONBOARDING_LINK_COPIED, "user", id, id, cur.provider_id,
                          GH_AUDIT_NOTHING, GH_AUDIT_DETAIL_OF(.link_id = GH_AUDIT_INT(*link_id)));
    return err;
}

gh_err gh_core_onboarding_link(gh_ctx *ctx, int64_t id, char **url, int64_t *expires_at)
{
    char token[GH_TOKEN_CHARS];
    int64_t link_id = 0;
    gh_err err = gh_core_may_perm(ctx, GH_RIGHT_RESEND);
    if (err == GH_OK && (err = gh_db_begin(ctx->db)) == GH_OK)
        err = gh_core_finish(ctx, copy_in_tx(ctx, id, token, &link_id));
    if (err == GH_OK) {
        *url = gh_mail_link(ctx->mail, ctx->a, GH_LINK_ONBOARDING, token);
        *expires_at = ctx->now + GH_ONBOARDING_TTL_S;
    }
    sodium_memzero(token, sizeof token);
    return err;
}

static gh_link_state link_state(const gh_link *l, int64_t now)
{
    if (l->used_at != 0)
        return GH_LINK_USED;
    if (l->voided_at != 0)
        return GH_LINK_VOID;
    return l->expires_at > now ? GH_LINK_PENDING : GH_LINK_EXPIRED;
}

/* Loads the link of token (of purpose) and its user. */
static gh_err load_link(gh_ctx *ctx, gh_link_purpose purpose, const char *token, gh_link *l,
                        gh_user *u)
{
    char hash[GH_TOKEN_HASH_CHARS];
    gh_token_hash(token, hash);
    gh_err err = gh_store_link_by_hash(ctx->db, ctx->a, hash, l);
    if (err == GH_OK && l->purpose != purpose)
        err = GH_ENOTFOUND;
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, l->user_id, u);
    if (err == GH_ENOTFOUND)
        return gh_fail(ctx, err, "token", "invalid",
                       "this link is not valid; check that it was copied whole");
    return err;
}

gh_err gh_core_link_status(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                           gh_link_status *out)
{
    gh_link l;
    gh_user u;
    gh_err err = load_link(ctx, purpose, token, &l, &u);
    if (err != GH_OK)
        return err;
    gh_link_state state = link_state(&l, ctx->now);
    bool pending = state == GH_LINK_PENDING;
    *out = (gh_link_status){.state = state,
                            .expires_at = l.expires_at,
                            .user_id = u.id,
                            .username = pending ? u.username : NULL,
                            .language = pending ? u.language : NULL};
    return GH_OK;
}

/* Why an account may not set its password from a link now (A5); NULL when it may. */
static const char *account_refusal(gh_link_purpose purpose, const gh_user *u)
{
    if (u->status == GH_STATUS_DELETED || u->status == GH_STATUS_DISABLED)
        return "this account is disabled; ask an administrator";
    if (!u->login_enabled)
        return "this account may not sign in; ask an administrator";
    if (u->enforce_sso)
        return "this account signs in through single sign-on only: use its button on the sign-in "
               "page";
    if (purpose == GH_LINK_ONBOARDING)
        return u->status == GH_STATUS_INVITED ? NULL : "onboarding is already complete";
    return u->status == GH_STATUS_ACTIVE ? NULL : "this account has no password to reset yet";
}

static gh_err check_link(gh_ctx *ctx, const gh_link *l)
{
    static const char *const gone[] = {
        [GH_LINK_USED] = "this link was already used; each link works once",
        [GH_LINK_VOID] = "this link was replaced by a newer one; use the link of the latest e-mail",
        [GH_LINK_EXPIRED] = "this link expired; ask for a new one",
    };
    static const char *const gone_reason[] = {
        [GH_LINK_USED] = "used",
        [GH_LINK_VOID] = "replaced",
        [GH_LINK_EXPIRED] = "expired",
    };
    gh_link_state state = link_state(l, ctx->now);
    return state != GH_LINK_PENDING
               ? gh_fail(ctx, GH_EGONE, "token", gone_reason[state], gone[state])
               : GH_OK;
}

static gh_err check_account(gh_ctx *ctx, gh_link_purpose purpose, const gh_user *u)
{
    const char *refusal = account_refusal(purpose, u);
    return refusal != NULL ? gh_fail(ctx, GH_EFORBIDDEN, NULL, NULL, refusal) : GH_OK;
}

gh_err gh_core_link_check(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                          gh_link_status *out)
{
    gh_link l;
    gh_user u;
    gh_err err = load_link(ctx, purpose, token, &l, &u);
    if (err == GH_OK)
        err = check_link(ctx, &l);
    /* the link and its user are two reads: on PostgreSQL a parallel completion may commit
     * between them (the link pending, the user already active). Refused, the link is read again,
     * so that such a loser hears that the link is used, as it would have a moment later. */
    if (err == GH_OK && account_refusal(purpose, &u) != NULL &&
        (err = load_link(ctx, purpose, token, &l, &u)) == GH_OK)
        err = check_link(ctx, &l);
    if (err == GH_OK)
        err = check_account(ctx, purpose, &u);
    if (err == GH_OK)
        *out = (gh_link_status){.state = GH_LINK_PENDING,
                                .expires_at = l.expires_at,
                                .user_id = u.id,
                                .username = u.username};
    return err;
}

/* The writes of a completion once its link is claimed, acting as the link's user. */
static gh_err complete_writes(gh_ctx *ctx, gh_link_purpose purpose, const gh_user *u,
                              const char *hash)
{
    bool onboarding = purpose == GH_LINK_ONBOARDING;
    gh_err err = gh_store_user_set_password(ctx->db, u->id, hash, false, ctx->now);
    if (err == GH_OK && onboarding)
        err = gh_store_user_set_status(ctx->db, u->id, GH_STATUS_ACTIVE, ctx->now, u->id);
    if (err == GH_OK && onboarding) /* active from now: the dormant rule counts from here */
        err = gh_store_user_set_active_since(ctx->db, u->id, ctx->now);
    if (err == GH_OK)
        err = gh_store_link_void(ctx->db, u->id, purpose, ctx->now);
    if (err == GH_OK) /* whoever held the old password is out: sessions, tokens (S4, S11) */
        err = gh_core_end_credentials(ctx, u->id, 0);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, onboarding ? GH_ACT_ONBOARDING_COMPLETED : GH_ACT_PASSWORD_RESET_COMPLETED, "user",
            u->id, u->id, u->provider_id, GH_AUDIT_NOTHING, GH_AUDIT_NOTHING);
    return err;
}

gh_err gh_core_link_complete(gh_ctx *ctx, gh_link_purpose purpose, const char *token,
                             const char *hash, gh_link_status *out)
{
    gh_link l;
    gh_user u;
    gh_principal self = {0};
    const gh_principal *saved = ctx->who;
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    err = load_link(ctx, purpose, token, &l, &u);
    if (err == GH_OK)
        err = check_link(ctx, &l);
    /* the link is claimed (a conditional update: of parallel completions one wins, the others
     * see it used) before the account is judged: on PostgreSQL a loser may read the user after
     * the winner made it active, and must hear that the link is used, not that onboarding is
     * complete. A refusal rolls the claim back. */
    if (err == GH_OK && (err = gh_store_link_use(ctx->db, l.id, ctx->now)) == GH_ENOTFOUND)
        err = gh_fail(ctx, GH_EGONE, "token", "used",
                      "this link was already used; each link works once");
    if (err == GH_OK)
        err = check_account(ctx, purpose, &u);
    if (err == GH_OK) {
        self =
            (gh_principal){.user_id = u.id, .username = u.username, .provider_id = u.provider_id};
        ctx->who = &self;
        err = complete_writes(ctx, purpose, &u, hash);
    }
    err = gh_core_finish(ctx, err);
    ctx->who = saved;
    if (err == GH_OK)
        *out = (gh_link_status){.state = GH_LINK_USED,
                                .expires_at = l.expires_at,
                                .user_id = u.id,
                                .username = u.username};
    return err;
}

/* Why u gets no reset e-mail now (NULL: it gets one): unknown (u NULL), ineligible (cannot use a
 * password, or its address or name cannot go into a header: I4) or rate (enough this hour). */
static const char *reset_refusal(const gh_user *u, int64_t count)
{
    if (u == NULL)
        return "unknown";
    if (u->status != GH_STATUS_ACTIVE || !u->login_enabled || u->enforce_sso || !u->has_password ||
        !gh_mail_address_ok(u->email) || !gh_mail_header_safe(u->first_name ? u->first_name : "") ||
        !gh_mail_header_safe(u->last_name ? u->last_name : ""))
        return "ineligible";
    return count >= GH_RESET_PER_HOUR ? "rate" : NULL;
}

/* One slot of a reset request: for account u (NULL: no account) the same statements and writes
 * whether or not an e-mail goes (A6): the hourly count, the void of the older link, one outbox
 * row and one link, one audit row. When nothing may be sent, the void touches no row and the
 * message and link are written dropped (cancelled, void at once, no address): the sender never
 * claims them. */
static gh_err reset_slot(gh_ctx *ctx, const gh_user *u)
{
    int64_t uid = u != NULL ? u->id : 0, count = 0, oldest = 0, mail_id = 0, link_id = 0;
    gh_err err = gh_store_link_count(ctx->db, uid, GH_LINK_PASSWORD_RESET, NULL, ctx->now - 3600,
                                     &count, &oldest);
    const char *refusal = reset_refusal(u, count);
    bool send = refusal == NULL;
    if (err == GH_OK)
        err = gh_store_link_void(ctx->db, send ? uid : 0, GH_LINK_PASSWORD_RESET, ctx->now);
    gh_mail m = {.kind = "password_reset",
                 .user_id = uid,
                 .provider_id = u != NULL ? u->provider_id : 0,
                 .to_addr = send ? u->email : "",
                 .to_name = send ? gh_person_name(ctx->a, u->first_name, u->last_name) : "",
                 .username = send ? u->username : "",
                 .language = send ? u->language : "en",
                 .state = send ? GH_MAIL_QUEUED : GH_MAIL_CANCELLED,
                 .last_error = send ? NULL : "dropped: no reset e-mail for this request",
                 .next_attempt_at = ctx->now,
                 .created_at = ctx->now};
    if (err == GH_OK)
        err = gh_store_mail_insert(ctx->db, &m, &mail_id);
    gh_link l = {.user_id = uid,
                 .purpose = GH_LINK_PASSWORD_RESET,
                 .origin = send ? "request" : "dropped",
                 .outbox_id = mail_id,
                 .ttl = GH_RESET_TTL_S,
                 .created_at = ctx->now,
                 .voided_at = send ? 0 : ctx->now};
    if (err == GH_OK)
        err = gh_store_link_insert(ctx->db, &l, &link_id);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_PASSWORD_RESET_REQUESTED, "user", uid, uid, m.provider_id, GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.sent = send ? GH_AUDIT_TRUE : GH_AUDIT_FALSE, .reason = refusal));
    return err;
}

/* A request by username has one slot, by e-mail GH_RESET_MAX_PER_EMAIL (the accounts with that
 * address, then slots for no account), so that neither the existence nor the number of accounts
 * shows in the work done. The lookup is one statement either way. */
static gh_err reset_in_tx(gh_ctx *ctx, const char *username, const char *email)
{
    gh_user one, *users = &one;
    size_t n = 0, slots = username != NULL ? 1 : GH_RESET_MAX_PER_EMAIL;
    gh_err err = GH_OK;
    if (username != NULL) {
        err = gh_store_user_row_by_username(ctx->db, ctx->a, username, &one);
        n = err == GH_OK ? 1 : 0;
        err = err == GH_ENOTFOUND ? GH_OK : err;
    } else {
        err = gh_store_users_by_email(ctx->db, ctx->a, email, GH_RESET_MAX_PER_EMAIL, &users, &n);
    }
    for (size_t i = 0; err == GH_OK && i < slots; i++)
        err = reset_slot(ctx, i < n ? &users[i] : NULL);
    if (err == GH_OK)
        gh_mail_kick(ctx->mail); /* whatever was written: its claim waits for our commit */
    return err;
}

gh_err gh_core_password_reset_request(gh_ctx *ctx, const char *username, const char *email)
{
    if ((username == NULL) == (email == NULL))
        return gh_fail(ctx, GH_EINVAL, username ? "email" : "username",
                       username ? "exclusive" : "required", "send either username or email");
    if (username != NULL && !gh_valid_username(username))
        return gh_fail(ctx, GH_EINVAL, "username", "invalid", "not a valid username");
    if (email != NULL && !gh_valid_email(email))
        return gh_fail(ctx, GH_EINVAL, "email", "invalid", "not a valid e-mail address");
    const gh_principal *saved = ctx->who;
    ctx->who = &anonymous;
    gh_err err = gh_db_begin(ctx->db);
    if (err == GH_OK)
        err = gh_core_finish(ctx, reset_in_tx(ctx, username, email));
    ctx->who = saved;
    return err;
}
