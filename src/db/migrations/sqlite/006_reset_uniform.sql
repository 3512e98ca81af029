-- Forgot password does the same work whatever the name (A6): every request writes one outbox row
-- and one link, and a request that must not send anything (unknown name, ineligible account,
-- hourly limit reached) writes them already dropped: the message cancelled, the link void, with
-- origin 'dropped' and, for an unknown name, no user. So outbox.user_id and user_links.user_id
-- may be NULL now. SQLite cannot drop a NOT NULL, so both tables are rebuilt (ids, including
-- the AUTOINCREMENT counters, kept).

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    kind            TEXT NOT NULL CHECK (kind IN ('onboarding', 'password_reset', 'mfa_enrol',
                                                  'force_reset', 'mfa_reset')),
    user_id         INTEGER REFERENCES users (id), -- NULL: a dropped request for an unknown name
    provider_id     INTEGER,
    to_addr         TEXT NOT NULL,     -- checked at input: no CR/LF (I4)
    to_name         TEXT NOT NULL DEFAULT '',
    username        TEXT NOT NULL,
    language        TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,  -- while queued: not before; also the lease of a claim
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new (id, kind, user_id, provider_id, to_addr, to_name, username, language,
                        state, attempts, next_attempt_at, last_error, created_at, sent_at)
    SELECT id, kind, user_id, provider_id, to_addr, to_name, username, language, state, attempts,
           next_attempt_at, last_error, created_at, sent_at FROM outbox;

CREATE TABLE user_links_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users (id), -- NULL: a dropped request for an unknown name
    purpose    TEXT NOT NULL CHECK (purpose IN ('onboarding', 'password_reset')),
    -- copy: made for an admin to hand over (no e-mail), minted at once; dropped: see above
    origin     TEXT NOT NULL CHECK (origin IN ('create', 'resend', 'request', 'copy', 'dropped')),
    outbox_id  INTEGER UNIQUE REFERENCES outbox_new (id), -- NULL for a copied link
    token_hash TEXT UNIQUE,              -- NULL until the message is sent
    ttl        INTEGER NOT NULL,         -- seconds from sending to expiry
    created_at INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    used_at    INTEGER NOT NULL DEFAULT 0,
    voided_at  INTEGER NOT NULL DEFAULT 0 -- replaced by a newer link of the same purpose
);
INSERT INTO user_links_new (id, user_id, purpose, origin, outbox_id, token_hash, ttl, created_at,
                            sent_at, expires_at, used_at, voided_at)
    SELECT id, user_id, purpose, origin, outbox_id, token_hash, ttl, created_at, sent_at,
           expires_at, used_at, voided_at FROM user_links;

-- the counters of the old tables, should they be ahead of the highest id copied
DELETE FROM sqlite_sequence WHERE name IN ('outbox_new', 'user_links_new');
INSERT INTO sqlite_sequence (name, seq)
    SELECT name || '_new', seq FROM sqlite_sequence WHERE name IN ('outbox', 'user_links');

DROP TABLE user_links;
DROP TABLE outbox;
-- renaming updates the reference of user_links_new to outbox_new, and the counters' names
ALTER TABLE outbox_new RENAME TO outbox;
ALTER TABLE user_links_new RENAME TO user_links;

CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_user ON outbox (user_id, id);
CREATE INDEX user_links_user ON user_links (user_id, purpose, id);
