-- Signing in through an SSO source (twin of sqlite/008): users are found by (sso_source,
-- sso_id), a session remembers the source it came through (NULL: a password sign-in), and an
-- onboarding e-mail of an SSO-only user names its source instead of carrying a password link.

CREATE INDEX users_sso ON users (sso_source, sso_id);
ALTER TABLE sessions ADD COLUMN sso_source_id BIGINT REFERENCES sso_sources (id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN sso_source TEXT;
ALTER TABLE outbox ADD COLUMN sso_display_name TEXT;
