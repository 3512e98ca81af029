-- Forgot password does the same work whatever the name (A6; twin of sqlite/005): every request
-- writes one outbox row and one link, and a request that must not send anything (unknown name,
-- ineligible account, hourly limit reached) writes them already dropped: the message cancelled,
-- the link void, with origin 'dropped' and, for an unknown name, no user.

ALTER TABLE outbox ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE user_links ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE user_links DROP CONSTRAINT user_links_origin_check;
ALTER TABLE user_links ADD CONSTRAINT user_links_origin_check
    CHECK (origin IN ('create', 'resend', 'request', 'copy', 'dropped'));
