-- Mail: the outbox that the sender thread delivers from, and the single-use links (onboarding,
-- password reset) that some messages carry. A row asking for an e-mail is written in the same
-- transaction as the change that causes it; the sender claims due rows, so nothing is lost when
-- the process dies between the commit and the delivery.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    kind            TEXT NOT NULL CHECK (kind IN ('onboarding', 'password_reset', 'mfa_enrol',
                                                  'force_reset', 'mfa_reset')),
    user_id         INTEGER NOT NULL REFERENCES users (id),
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
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_user ON outbox (user_id, id);

-- The token of a link is minted by the sender when it sends the message, so that it never rests
-- anywhere but in the e-mail: only its hash is stored, replaced at each delivery attempt.
CREATE TABLE user_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('onboarding', 'password_reset')),
    -- copy: made for an admin to hand over (no e-mail), minted at once
    origin     TEXT NOT NULL CHECK (origin IN ('create', 'resend', 'request', 'copy')),
    outbox_id  INTEGER UNIQUE REFERENCES outbox (id), -- NULL for a copied link
    token_hash TEXT UNIQUE,              -- NULL until the message is sent
    ttl        INTEGER NOT NULL,         -- seconds from sending to expiry
    created_at INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    used_at    INTEGER NOT NULL DEFAULT 0,
    voided_at  INTEGER NOT NULL DEFAULT 0 -- replaced by a newer link of the same purpose
);
CREATE INDEX user_links_user ON user_links (user_id, purpose, id);
