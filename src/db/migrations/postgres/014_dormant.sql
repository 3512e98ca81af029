-- Dormant accounts (issue 16). A service provider may have its users disabled when they have not
-- been used for dormant_days (0: off, the default), warned by e-mail dormant_warn_days before
-- (0: no warning). A user's inactivity runs from the latest of last_login_at, created_at and
-- active_since: the time it was last enabled or unbanned, so that a user an administrator
-- re-enables is not disabled again at the next run. dormant_warned_at: when the warning of the
-- current inactivity period was queued (0: not yet); the job warns only while it is older than
-- the period's start, so once per period, also with two instances at once (core/dormant.c).
ALTER TABLE tenants ADD COLUMN dormant_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN dormant_warn_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN active_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN dormant_warned_at BIGINT NOT NULL DEFAULT 0;

-- the warning e-mail: a new kind, with the day it announces and the rule's days
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('onboarding', 'password_reset', 'mfa_enrol', 'force_reset', 'mfa_reset',
                    'dormant_warning'));
ALTER TABLE outbox ADD COLUMN dormant_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN dormant_days BIGINT NOT NULL DEFAULT 0;
