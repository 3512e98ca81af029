-- Passkeys (issue 17): WebAuthn credentials as a second factor and for password-less sign-in.
-- Binary values (ids, keys, handles) are unpadded base64url text, as the WebAuthn JSON carries
-- them. credential_id is unique across users: an assertion names the credential, and the row
-- says whose it is. sign_count moves by compare-and-set (core/passkeys.c): an assertion whose
-- counter does not rise is a cloned authenticator.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    public_key    TEXT NOT NULL,  -- libfido2's raw form of the key (es256: x|y)
    alg           INTEGER NOT NULL,  -- COSE: -7 ES256, -257 RS256, -8 EdDSA
    sign_count    INTEGER NOT NULL DEFAULT 0,
    aaguid        TEXT NOT NULL,
    uv            INTEGER NOT NULL DEFAULT 0, -- the user was verified at registration
    backup_eligible INTEGER NOT NULL DEFAULT 0,
    backed_up     INTEGER NOT NULL DEFAULT 0,
    transports    TEXT NOT NULL DEFAULT '', -- space-separated, as the browser reported them
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id, id);

-- The random, stable user handle a passkey stores (never the user id: WebAuthn L2 14.6.1).
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);

-- Challenges of the ceremonies: single use (used_at moves from 0 once, by a conditional
-- UPDATE, so that of two instances only one accepts it) and short-lived. purpose: register
-- (bound to the session and user), signin (the second step: bound to the session), passwordless
-- (no session yet: bound to nothing, session_id and user_id 0).
CREATE TABLE webauthn_challenges (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    challenge  TEXT NOT NULL UNIQUE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('register', 'signin', 'passwordless')),
    session_id INTEGER NOT NULL DEFAULT 0,
    user_id    INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- Password-less sign-in with a passkey, per service provider (off by default).
ALTER TABLE tenants ADD COLUMN passkey_signin INTEGER NOT NULL DEFAULT 0;

-- The sign-in stage of a user with passkeys (webauthn). SQLite cannot change a CHECK, so the
-- sessions table is rebuilt (ids and its AUTOINCREMENT counter kept, as in 014), with its index
-- and the triggers of 010.
CREATE TABLE sessions_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: revocations name it
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage         TEXT NOT NULL CHECK (stage IN ('totp', 'webauthn', 'enroll_totp',
                                                 'change_password', 'done')),
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    sso_source_id INTEGER REFERENCES sso_sources (id) ON DELETE SET NULL
);
INSERT INTO sessions_new (id, token_hash, user_id, stage, created_at, last_seen_at, expires_at, ip,
                          user_agent, sso_source_id)
    SELECT id, token_hash, user_id, stage, created_at, last_seen_at, expires_at, ip, user_agent,
           sso_source_id FROM sessions;
DELETE FROM sqlite_sequence WHERE name = 'sessions_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'sessions_new', seq FROM sqlite_sequence WHERE name = 'sessions';
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TRIGGER auth_epoch_sessions_update AFTER UPDATE OF user_id, stage, expires_at, token_hash
    ON sessions BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_epoch_sessions_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO auth_epochs (id, n) VALUES (OLD.user_id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;
END;
