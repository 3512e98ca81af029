/* Core's figures for operations (/metrics): sign-in steps counted by factor and outcome, and the
 * depth of the delivery queues. Thread-safe given one gh_ctx per call. */
#ifndef GH_CORE_OPS_H
#define GH_CORE_OPS_H

#include "audit/audit.h"
#include "core/core.h"

/* The factors a sign-in step checks, as audit rows name them (detail.factor) and as the factor
 * label of gatehouse_signin_attempts_total shows them. A new factor is one X(name) line here; a
 * step whose factor is not listed is counted as "other". */
#define GH_SIGNIN_FACTORS(X)                                                                       \
    X(password)                                                                                    \
    X(totp)                                                                                        \
    X(recovery_code)                                                                               \
    X(webauthn)                                                                                    \
    X(passkey)                                                                                     \
    X(sso)

/* Counts a sign-in step from its audit row: login.success, login.failure and login.throttled
 * with their detail's factor (outcomes success, failure, throttled); other actions and the
 * steps that check no factor (a forced password change, an enrolment) are not counted. Called
 * by gh_core_audit. */
void gh_core_count_signin(gh_audit_action action, gh_audit_obj detail);
/* Makes every factor x outcome series of the metric at 0, so that a dashboard sees them all
 * before the first sign-in. Idempotent. */
void gh_core_signin_metrics_touch(void);

/* Messages waiting for delivery: e-mails (*mail) and webhook deliveries (*hooks) queued, due or
 * not. GH_EDB when the database does not answer. */
gh_err gh_core_outbox_depth(gh_ctx *ctx, int64_t *mail, int64_t *hooks) GH_MUST_USE;

#endif
