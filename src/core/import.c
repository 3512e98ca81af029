/* Importing users from the rows of a CSV file (the columns GET /api/v1/users.csv writes): names
 * resolved to ids, then the same create and update as the API, one transaction a row. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/csv.h"

#define GH_COL_NAME(id, name) [id] = name,
const char *const gh_user_columns[GH_COL_COUNT] = {GH_USER_COLUMNS(GH_COL_NAME)};
#undef GH_COL_NAME

const char *gh_import_outcome_name(gh_import_outcome o)
{
    static const char *const names[] = {"created", "updated", "unchanged", "refused"};
    return (unsigned)o < 4 ? names[o] : "?";
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The ids of a list cell's names (what, under owner: gh_store_id_by_name), sorted; *all for
 * "*" when allow_all. */
static gh_err ids_of(gh_ctx *ctx, const char *field, const char *cell, gh_store_named what,
                     int64_t owner, bool allow_all, gh_ids *ids, bool *all)
{
    char **items = NULL;
    size_t n = 0;
    bool star = false;
    gh_csv_list(ctx->a, cell, &items, &n, &star);
    if (star && !allow_all)
        return gh_fail(ctx, GH_EINVAL, field, "invalid", "\"*\" (all) is not allowed here");
    int64_t *v = gh_arena_alloc(ctx->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        gh_err err = gh_store_id_by_name(ctx->db, what, items[i], owner, &v[i]);
        if (err == GH_ENOTFOUND)
            return gh_fail(ctx, err, field, "not_found",
                           gh_arena_printf(ctx->a, "no such name: %s", items[i]));
        if (err == GH_ECONFLICT)
            return gh_fail(ctx, GH_EINVAL, field, "ambiguous",
                           gh_arena_printf(ctx->a, "more than one has the name %s", items[i]));
        if (err != GH_OK)
            return err;
    }
    qsort(v, n, sizeof *v, cmp_id);
    *ids = (gh_ids){v, n};
    if (all != NULL)
        *all = star;
    return GH_OK;
}

static gh_err parse_bool(gh_ctx *ctx, const char *field, const char *cell, bool *out)
{
    if (strcmp(cell, "true") == 0 || strcmp(cell, "false") == 0) {
        *out = cell[0] == 't';
        return GH_OK;
    }
    return gh_fail(ctx, GH_EINVAL, field, "invalid", "true or false");
}

/* The access columns onto u (whose provider is set). */
static gh_err apply_access(gh_ctx *ctx, const char *const *c, gh_user *u)
{
    gh_access ac = {0};
    const char *acc = c[GH_COL_ACCOUNTS] ? c[GH_COL_ACCOUNTS] : "",
               *sub = c[GH_COL_SUB_ACCOUNTS] ? c[GH_COL_SUB_ACCOUNTS] : "";
    if (!gh_access_level_parse(c[GH_COL_ACCESS], &ac.level))
        return gh_fail(ctx, GH_EINVAL, "access", "invalid",
                       "use platform, provider, account or sub_account");
    if (ac.level < GH_ACCESS_ACCOUNT && (acc[0] != '\0' || sub[0] != '\0'))
        return gh_fail(ctx, GH_EINVAL, acc[0] ? "accounts" : "sub_accounts", "not_allowed",
                       "only for account or sub_account access");
    gh_err err = GH_OK;
    if (ac.level == GH_ACCESS_ACCOUNT && sub[0] != '\0')
        return gh_fail(ctx, GH_EINVAL, "sub_accounts", "not_allowed",
                       "sub-accounts are named only with sub_account access");
    if (ac.level == GH_ACCESS_ACCOUNT)
        err = ids_of(ctx, "accounts", acc, GH_NAMED_TENANT, u->provider_id, true, &ac.ids, &ac.all);
    if (ac.level == GH_ACCESS_SUB_ACCOUNT) {
        gh_ids one = {0};
        err = ids_of(ctx, "accounts", acc, GH_NAMED_TENANT, u->provider_id, false, &one, NULL);
        if (err == GH_OK && one.n != 1)
            return gh_fail(ctx, GH_EINVAL, "accounts", "not_allowed",
                           "sub-account access names exactly one account");
        if (err == GH_OK)
            ac.account_id = one.v[0];
        if (err == GH_OK)
            err = ids_of(ctx, "sub_accounts", sub, GH_NAMED_TENANT, ac.account_id, true, &ac.ids,
                         &ac.all);
    }
    if (err == GH_OK)
        u->access = ac;
    return err;
}

/* The row's columns onto u (created or current): text, flags, SSO, roles, groups, access. */
static gh_err apply_row(gh_ctx *ctx, const char *const *c, gh_user *u)
{
    static const struct {
        gh_user_column col;
        size_t off;
        bool null_when_empty;
    } texts[] = {
        {GH_COL_FIRST_NAME, offsetof(gh_user, first_name), false},
        {GH_COL_LAST_NAME, offsetof(gh_user, last_name), false},
        {GH_COL_EMAIL, offsetof(gh_user, email), false},
        {GH_COL_PHONE, offsetof(gh_user, phone), false},
        {GH_COL_LANGUAGE, offsetof(gh_user, language), false},
        {GH_COL_TIMEZONE, offsetof(gh_user, timezone), false},
        {GH_COL_COUNTRY, offsetof(gh_user, country), false},
        {GH_COL_SSO_SOURCE, offsetof(gh_user, sso_source), true},
        {GH_COL_SSO_ID, offsetof(gh_user, sso_id), true},
    };
    static const struct {
        gh_user_column col;
        size_t off;
    } flags[] = {
        {GH_COL_LOGIN_ENABLED, offsetof(gh_user, login_enabled)},
        {GH_COL_MFA_REQUIRED, offsetof(gh_user, mfa_required)},
        {GH_COL_ENFORCE_SSO, offsetof(gh_user, enforce_sso)},
    };
    gh_err err = GH_OK;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *v = c[texts[i].col];
        if (v != NULL)
            *(const char **)((char *)u + texts[i].off) =
                texts[i].null_when_empty && v[0] == '\0' ? NULL : v;
    }
    for (size_t i = 0; i < sizeof flags / sizeof *flags && err == GH_OK; i++)
        if (c[flags[i].col] != NULL)
            err = parse_bool(ctx, gh_user_columns[flags[i].col], c[flags[i].col],
                             (bool *)((char *)u + flags[i].off));
    if (err == GH_OK && c[GH_COL_ROLES] != NULL)
        err = ids_of(ctx, "roles", c[GH_COL_ROLES], GH_NAMED_ROLE, u->provider_id, false,
                     &u->role_ids, NULL);
    if (err == GH_OK && c[GH_COL_GROUPS] != NULL)
        err = ids_of(ctx, "groups", c[GH_COL_GROUPS], GH_NAMED_GROUP, u->provider_id, false,
                     &u->group_ids, NULL);
    if (err == GH_OK && c[GH_COL_ACCESS] != NULL)
        err = apply_access(ctx, c, u);
    return err;
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool same_ids(const gh_ids *a, const gh_ids *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
}

/* Whether next writes nothing new over cur (the fields an import sets). */
static bool unchanged(const gh_user *cur, const gh_user *next)
{
    const char *const a[] = {cur->first_name, cur->last_name,  cur->email,
                             cur->phone,      cur->language,   cur->timezone,
                             cur->country,    cur->sso_source, cur->sso_id};
    const char *const b[] = {next->first_name, next->last_name,  next->email,
                             next->phone,      next->language,   next->timezone,
                             next->country,    next->sso_source, next->sso_id};
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        if (!same_text(a[i], b[i]))
            return false;
    const gh_access *x = &cur->access, *y = &next->access;
    return cur->login_enabled == next->login_enabled && cur->mfa_required == next->mfa_required &&
           cur->enforce_sso == next->enforce_sso && same_ids(&cur->role_ids, &next->role_ids) &&
           same_ids(&cur->group_ids, &next->group_ids) && x->level == y->level &&
           x->all == y->all &&
           (x->level != GH_ACCESS_SUB_ACCOUNT || x->account_id == y->account_id) &&
           same_ids(&x->ids, &y->ids);
}

/* The service provider the row names (empty: the platform's staff) into *id. A provider that
 * is not the actor's own (unless it acts for the platform) answers as one that does not exist,
 * so that names outside its scope give no signal (C9). */
static gh_err provider_of(gh_ctx *ctx, const char *name, int64_t *id)
{
    *id = 0;
    if (name == NULL || name[0] == '\0')
        return GH_OK;
    gh_err err = gh_store_id_by_name(ctx->db, GH_NAMED_TENANT, name, 0, id);
    bool mine = err == GH_OK &&
                (ctx->who->access.level == GH_ACCESS_PLATFORM || ctx->who->provider_id == *id);
    if (err == GH_ENOTFOUND || (err == GH_OK && !mine))
        return gh_fail(ctx, GH_ENOTFOUND, "provider", "not_found",
                       "no service provider of that name");
    return err;
}

static gh_err import_new(gh_ctx *ctx, const char *const *c, gh_import_outcome *out)
{
    gh_user_create in = {.user = {.first_name = "",
                                  .last_name = "",
                                  .phone = "",
                                  .language = "en",
                                  .timezone = "UTC",
                                  .country = "",
                                  .login_enabled = true}};
    gh_user *u = &in.user;
    u->username = c[GH_COL_USERNAME];
    gh_err err = provider_of(ctx, c[GH_COL_PROVIDER], &u->provider_id);
    u->access.level = u->provider_id != 0 ? GH_ACCESS_PROVIDER : GH_ACCESS_PLATFORM;
    in.enforce_sso_given = c[GH_COL_ENFORCE_SSO] != NULL;
    in.sso_source_given = c[GH_COL_SSO_SOURCE] != NULL;
    in.sso_id_given = c[GH_COL_SSO_ID] != NULL;
    if (err == GH_OK && c[GH_COL_EMAIL] == NULL)
        err = gh_fail(ctx, GH_EINVAL, "email", "required", "a new user needs an e-mail address");
    if (err == GH_OK)
        err = apply_row(ctx, c, u);
    gh_user made;
    char *generated = NULL;
    if (err == GH_OK)
        err = gh_core_user_create(ctx, &in, &made, &generated);
    if (err == GH_OK)
        *out = GH_IMPORT_CREATED;
    return err;
}

gh_err gh_core_user_import(gh_ctx *ctx, const char *const *c, gh_import_outcome *out)
{
    if (c[GH_COL_USERNAME] == NULL || c[GH_COL_USERNAME][0] == '\0')
        return gh_fail(ctx, GH_EINVAL, "username", "required", "every row needs a username");
    gh_user cur;
    gh_err err = gh_core_user_by_username(ctx, c[GH_COL_USERNAME], &cur);
    if (err == GH_ENOTFOUND)
        return import_new(ctx, c, out);
    if (err != GH_OK)
        return err;
    int64_t provider_id = cur.provider_id;
    if (c[GH_COL_PROVIDER] != NULL &&
        (err = provider_of(ctx, c[GH_COL_PROVIDER], &provider_id)) != GH_OK)
        return err;
    if (provider_id != cur.provider_id)
        return gh_fail(ctx, GH_EINVAL, "provider", "immutable",
                       "the service provider of a user cannot be changed");
    gh_user next = cur, done;
    if ((err = apply_row(ctx, c, &next)) != GH_OK)
        return err;
    if (unchanged(&cur, &next)) {
        *out = GH_IMPORT_UNCHANGED;
        return GH_OK;
    }
    if ((err = gh_core_user_update(ctx, &next, cur.version, &done)) == GH_OK)
        *out = GH_IMPORT_UPDATED;
    return err;
}
