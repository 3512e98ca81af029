-- Signing in through an SSO source: users are found by (sso_source, sso_id), and a session
-- remembers the source it came through (NULL: a password sign-in) so that signing out can also
-- end the session at the provider (RP-initiated logout). A source's deletion leaves its sessions
-- as they are, without the link. An onboarding e-mail of a user who signs in through single
-- sign-on only names the source (its name and button text) instead of carrying a password link.

CREATE INDEX users_sso ON users (sso_source, sso_id);
ALTER TABLE sessions ADD COLUMN sso_source_id INTEGER REFERENCES sso_sources (id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN sso_source TEXT;
ALTER TABLE outbox ADD COLUMN sso_display_name TEXT;
