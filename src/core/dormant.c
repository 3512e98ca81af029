/* Dormant accounts (issue 16): a service provider with dormant_days > 0 has its active users
 * disabled once their inactivity reference (the latest of their last sign-in, their creation and
 * the time they were last enabled or unbanned again) is dormant_days old, and, with
 * dormant_warn_days > 0, warned by e-mail that many days before. The platform's own staff
 * (provider 0) have no rule: a locked-out platform is not worth the saving.
 *
 * Once per instance group without a lock: each user is warned or disabled in its own
 * transaction by a conditional UPDATE (still active, still inactive since before the cut-off,
 * and to warn, not warned since the reference), so when two instances (or a server and
 * `gatehouse dormant run`) act on one user at once, one UPDATE changes the row and the other
 * changes nothing and writes nothing: one e-mail, one audit row, one disable.
 *
 * Never the last administrator: a user is kept (counted in report->kept) when it is an
 * administrator (active, not banned, login enabled, superadmin or holding every users.*
 * permission) and disabling it would leave its provider with no such user. The check runs after
 * the disable in the same transaction, which holds the provider's row lock first, so two
 * instances cannot each disable one of the last two administrators. */

#include "core/internal.h"
#include "mail/mime.h"
#include "util/utf8.h"

#define DAY           86400
#define BATCH         100
#define MAX_PROVIDERS 10000

static void note(gh_ctx *ctx, gh_dormant_report *r, const char *what, int64_t id, int64_t pid)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        gh_dormant_event *v = gh_arena_alloc(ctx->a, cap * sizeof *v);
        for (size_t i = 0; i < r->n; i++)
            v[i] = r->events[i];
        r->events = v;
        r->cap = cap;
    }
    r->events[r->n++] = (gh_dormant_event){.what = what, .user_id = id, .provider_id = pid};
}

static int64_t reference_of(const gh_user *u)
{
    int64_t t = u->created_at;
    t = u->last_login_at > t ? u->last_login_at : t;
    return u->active_since > t ? u->active_since : t;
}

/* The warning e-mail in the outbox, when the user has a deliverable address. */
static gh_err queue_warning(gh_ctx *ctx, const gh_user *u, const gh_dormant_rule *rule,
                            bool *queued)
{
    const char *name = gh_person_name(ctx->a, u->first_name, u->last_name);
    *queued = false;
    if (u->email == NULL || !gh_mail_address_ok(u->email) || !gh_mail_header_safe(name))
        return GH_OK;
    gh_mail m = {.kind = "dormant_warning",
                 .user_id = u->id,
                 .provider_id = u->provider_id,
                 .to_addr = u->email,
                 .to_name = name,
                 .username = u->username,
                 .language = u->language,
                 .next_attempt_at = ctx->now,
                 .created_at = ctx->now,
                 .dormant_at = reference_of(u) + rule->days * DAY,
                 .dormant_days = rule->days};
    int64_t id = 0;
    gh_err err = gh_store_mail_insert(ctx->db, &m, &id);
    *queued = err == GH_OK;
    return err;
}

static gh_err warn_in_tx(gh_ctx *ctx, const gh_dormant_rule *rule, int64_t id, int64_t cutoff,
                         bool *done)
{
    gh_user u;
    bool queued = false;
    gh_err err = gh_store_dormant_mark_warned(ctx->db, id, cutoff, ctx->now);
    if (err == GH_ENOTFOUND) /* another instance warned it, or it signed in meanwhile */
        return GH_OK;
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, &u);
    if (err == GH_OK)
        err = queue_warning(ctx, &u, rule, &queued);
    if (err == GH_OK)
        err = gh_core_audit(
            ctx, GH_ACT_USER_DORMANT_WARN, "user", id, id, u.provider_id, GH_AUDIT_NOTHING,
            GH_AUDIT_DETAIL_OF(.sent = queued ? GH_AUDIT_TRUE : GH_AUDIT_FALSE,
                               .reason = queued ? NULL : "no_address", .kind = "dormant_warning"));
    *done = err == GH_OK;
    return err;
}

static gh_err disable_in_tx(gh_ctx *ctx, const gh_dormant_rule *rule, int64_t id, int64_t cutoff,
                            int *outcome)
{
    gh_user before, after;
    bool admin = false, has = true;
    gh_err err = gh_store_provider_lock(ctx->db, rule->provider_id);
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, &before);
    if (err == GH_OK)
        err = gh_store_user_is_admin(ctx->db, id, ctx->now, &admin);
    if (err == GH_OK)
        err = gh_store_dormant_disable(ctx->db, id, cutoff, ctx->now);
    if (err == GH_ENOTFOUND) /* another instance disabled it, or it was used meanwhile */
        return *outcome = 0, GH_OK;
    if (err == GH_OK && admin)
        err = gh_store_provider_has_admin(ctx->db, rule->provider_id, ctx->now, &has);
    if (err == GH_OK && !has) /* the last administrator stays: undone by the caller */
        return *outcome = -1, GH_OK;
    if (err == GH_OK)
        err = gh_core_end_credentials(ctx, id, 0); /* S4, as the Disable action */
    if (err == GH_OK)
        err = gh_store_user_get(ctx->db, ctx->a, id, &after);
    if (err == GH_OK)
        err = gh_core_audit(ctx, GH_ACT_USER_DORMANT_DISABLE, "user", id, id, before.provider_id,
                            GH_AUDIT_OF_USER(&before), GH_AUDIT_OF_USER(&after));
    if (err == GH_OK) /* the provider's webhooks hear it as any disable */
        err = gh_core_emit(ctx, "user.disabled", &after);
    *outcome = 1;
    return err;
}

/* Runs one user's transaction; a failure is logged in the report and the run goes on. */
static gh_err one_user(gh_ctx *ctx, const gh_dormant_rule *rule, int64_t id, bool warn,
                       gh_dormant_report *r)
{
    int64_t cutoff = ctx->now - (warn ? rule->days - rule->warn_days : rule->days) * DAY;
    gh_err err = gh_db_begin(ctx->db);
    if (err != GH_OK)
        return err;
    bool warned = false;
    int outcome = 0;
    err = warn ? warn_in_tx(ctx, rule, id, cutoff, &warned)
               : disable_in_tx(ctx, rule, id, cutoff, &outcome);
    if (err == GH_OK && outcome < 0) {
        gh_db_rollback(ctx->db);
        r->kept++;
        note(ctx, r, "kept", id, rule->provider_id);
        return GH_OK;
    }
    if ((err = gh_core_finish(ctx, err)) != GH_OK)
        return err;
    if (warned || outcome > 0) {
        *(warned ? &r->warned : &r->disabled) += 1;
        note(ctx, r, warned ? "warned" : "disabled", id, rule->provider_id);
    }
    return GH_OK;
}

static gh_err run_rule(gh_ctx *ctx, const gh_dormant_rule *rule, bool warn, gh_dormant_report *r)
{
    int64_t cutoff = ctx->now - (warn ? rule->days - rule->warn_days : rule->days) * DAY;
    int64_t ids[BATCH], after = 0;
    size_t n = 0;
    gh_err err;
    do {
        err = gh_store_dormant_candidates(ctx->db, rule->provider_id, cutoff, warn, after, BATCH,
                                          ids, &n);
        for (size_t i = 0; err == GH_OK && i < n; i++)
            err = one_user(ctx, rule, after = ids[i], warn, r);
    } while (err == GH_OK && n == BATCH);
    return err;
}

gh_err gh_core_dormant_run(gh_ctx *ctx, gh_dormant_report *out)
{
    gh_dormant_rule *rules = NULL;
    size_t n = 0;
    gh_dormant_report r = {0};
    gh_err err = gh_store_dormant_providers(ctx->db, ctx->a, MAX_PROVIDERS, &rules, &n);
    for (size_t i = 0; err == GH_OK && i < n; i++) {
        err = run_rule(ctx, &rules[i], false, &r); /* disable first: no warning then */
        if (err == GH_OK && rules[i].warn_days > 0 && rules[i].warn_days < rules[i].days)
            err = run_rule(ctx, &rules[i], true, &r);
    }
    if (err == GH_OK)
        *out = r;
    return err;
}

int64_t gh_core_dormant_at(const gh_user *u, int64_t days)
{
    if (days <= 0 || u->status != GH_STATUS_ACTIVE)
        return 0;
    return reference_of(u) + days * DAY;
}

gh_err gh_core_users_dormant_at(gh_ctx *ctx, const gh_user *users, size_t n, int64_t *at)
{
    int64_t pid = 0, days = 0; /* the rule of the last provider read: lists come in runs */
    gh_err err = GH_OK;
    for (size_t i = 0; i < n && err == GH_OK; i++) {
        at[i] = 0;
        if (users[i].provider_id == 0 || users[i].status != GH_STATUS_ACTIVE)
            continue;
        if (users[i].provider_id != pid) {
            gh_tenant t;
            err = gh_store_tenant_get(ctx->db, ctx->a, users[i].provider_id, &t);
            pid = users[i].provider_id;
            days = err == GH_OK ? t.dormant_days : 0;
        }
        at[i] = gh_core_dormant_at(&users[i], days);
    }
    return err;
}
