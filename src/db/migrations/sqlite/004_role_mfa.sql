-- Two-factor required by role: a user holding such a role (directly or through a group) must
-- pass TOTP at sign-in, as if its own mfa_required were set.

ALTER TABLE roles ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0;
