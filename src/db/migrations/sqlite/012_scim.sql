-- SCIM 2.0 provisioning (issue 15). A SCIM client is a bearer token bound to one service
-- provider (C10) and to the default roles and access of the users it creates; it acts with its
-- creator's rights as the ceiling, read again at every request. Only the token's hash is kept.
-- Revoking sets revoked_at (the row stays for the audit trail's references).

-- a user's id at the identity provider that provisions it (SCIM externalId)
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE INDEX users_external_id ON users (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_updated ON users (updated_at, id);

CREATE TABLE scim_clients (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,               -- hex SHA-256 of the token
    access_level TEXT NOT NULL CHECK (access_level IN ('provider', 'account')),
    access_all   INTEGER NOT NULL DEFAULT 0,         -- account level: every platform account
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scim_clients_provider ON scim_clients (provider_id, id);

-- the roles and (account-level access) platform accounts a client gives the users it creates
CREATE TABLE scim_client_roles (
    client_id INTEGER NOT NULL REFERENCES scim_clients (id),
    role_id   INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, role_id)
);
CREATE TABLE scim_client_accounts (
    client_id INTEGER NOT NULL REFERENCES scim_clients (id),
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, tenant_id)
);
