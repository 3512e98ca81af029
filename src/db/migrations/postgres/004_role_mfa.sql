-- Two-factor required by role (twin of sqlite/004).

ALTER TABLE roles ADD COLUMN mfa_required SMALLINT NOT NULL DEFAULT 0;
