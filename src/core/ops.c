/* See ops.h. */
#include "core/ops.h"

#include <string.h>

#include "store/store.h"
#include "util/metrics.h"

#define FACTOR_NAME(name) #name,
static const char *const factors[] = {GH_SIGNIN_FACTORS(FACTOR_NAME)};
#undef FACTOR_NAME
static const char *const outcomes[] = {"success", "failure", "throttled"};

/* The label of a factor: itself when listed, NULL for a step that checks none, else "other". */
static const char *factor_label(const char *factor)
{
    for (size_t i = 0; i < sizeof factors / sizeof *factors; i++)
        if (factor != NULL && strcmp(factor, factors[i]) == 0)
            return factors[i];
    if (factor != NULL &&
        (strcmp(factor, "change_password") == 0 || strcmp(factor, "enroll_totp") == 0))
        return NULL;
    return "other";
}

void gh_core_count_signin(gh_audit_action action, gh_audit_obj detail)
{
    const char *outcome = action == GH_ACT_LOGIN_SUCCESS     ? outcomes[0]
                          : action == GH_ACT_LOGIN_FAILURE   ? outcomes[1]
                          : action == GH_ACT_LOGIN_THROTTLED ? outcomes[2]
                                                             : NULL;
    if (outcome == NULL)
        return;
    const char *factor = detail.kind == GH_AUDIT_DETAIL ? detail.detail->factor : NULL;
    const char *label = factor_label(factor);
    if (label != NULL)
        gh_metric_add(GH_M_SIGNINS, 1, GH_LABELS(label, outcome));
}

void gh_core_signin_metrics_touch(void)
{
    for (size_t i = 0; i < sizeof factors / sizeof *factors; i++)
        for (size_t k = 0; k < sizeof outcomes / sizeof *outcomes; k++)
            gh_metric_add(GH_M_SIGNINS, 0, GH_LABELS(factors[i], outcomes[k]));
}

gh_err gh_core_outbox_depth(gh_ctx *ctx, int64_t *mail, int64_t *hooks)
{
    return gh_store_outbox_depth(ctx->db, mail, hooks);
}
