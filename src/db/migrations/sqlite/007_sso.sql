-- Single sign-on (OpenID Connect). An SSO source is one identity provider's client registration,
-- bound to one service provider (provider_id; NULL: the platform's own staff) and named by a slug
-- that users' sso_source holds. Its client secret is sealed with the secret key (never stored in
-- the clear, never shown). sso_flows keeps the state of a sign-in between the redirect to the
-- provider and its callback: only hashes of state and of the browser binding, the nonce, the
-- sealed PKCE verifier; a flow is used once (used_at) before expires_at.

CREATE TABLE sso_sources (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    name                 TEXT NOT NULL UNIQUE,       -- slug: [a-z0-9][a-z0-9-]{0,62}
    display_name         TEXT NOT NULL,              -- "Sign in with {display_name}"
    issuer               TEXT NOT NULL,              -- https URL (http only on loopback)
    client_id            TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,              -- sealed with the secret key
    scopes               TEXT NOT NULL DEFAULT 'openid email profile',
    claim                TEXT NOT NULL DEFAULT 'sub', -- the ID-token claim that is the SSO ID
    provider_id          INTEGER REFERENCES tenants (id),
    trust_idp_mfa        INTEGER NOT NULL DEFAULT 0,
    rp_logout            INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sso_sources_provider ON sso_sources (provider_id);

CREATE TABLE sso_flows (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id            INTEGER NOT NULL REFERENCES sso_sources (id) ON DELETE CASCADE,
    state_hash           TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the state parameter
    binding_hash         TEXT NOT NULL,              -- of the cookie that ties it to the browser
    nonce                TEXT NOT NULL,
    code_verifier_sealed TEXT NOT NULL,              -- PKCE S256 verifier, sealed
    next_path            TEXT NOT NULL DEFAULT '/',  -- where to go after signing in (relative)
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    used_at              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sso_flows_source ON sso_flows (source_id);
CREATE INDEX sso_flows_expires ON sso_flows (expires_at);
