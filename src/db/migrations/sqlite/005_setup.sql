-- Set-up links: while the database holds no account, every start of `serve` prints a one-time
-- link at which the operator creates the first administrator (SECURITY A7). Only the token's hash
-- is kept; a new link voids the earlier ones; a link works once, within its hour, and only while
-- no account exists (its use and that condition are one compare-and-set).

CREATE TABLE setup_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the 256-bit token
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    voided_at  INTEGER NOT NULL DEFAULT 0, -- replaced by the link of a later start
    user_id    INTEGER REFERENCES users (id) -- the administrator it created
);
