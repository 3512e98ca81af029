-- Dormant accounts (issue 16). A service provider may have its users disabled when they have not
-- been used for dormant_days (0: off, the default), warned by e-mail dormant_warn_days before
-- (0: no warning). A user's inactivity runs from the latest of last_login_at, created_at and
-- active_since: the time it was last enabled or unbanned, so that a user an administrator
-- re-enables is not disabled again at the next run. dormant_warned_at: when the warning of the
-- current inactivity period was queued (0: not yet); the job warns only while it is older than
-- the period's start, so once per period, also with two instances at once (core/dormant.c).
ALTER TABLE tenants ADD COLUMN dormant_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN dormant_warn_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN active_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN dormant_warned_at INTEGER NOT NULL DEFAULT 0;

-- The warning e-mail: a new kind, with the day it announces and the rule's days. SQLite cannot
-- change a CHECK, so the outbox is rebuilt, and user_links with it (it refers to the outbox),
-- ids and AUTOINCREMENT counters kept, as in 006.
CREATE TABLE outbox_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    kind             TEXT NOT NULL CHECK (kind IN ('onboarding', 'password_reset', 'mfa_enrol',
                                                   'force_reset', 'mfa_reset',
                                                   'dormant_warning')),
    user_id          INTEGER REFERENCES users (id), -- NULL: a dropped request for an unknown name
    provider_id      INTEGER,
    to_addr          TEXT NOT NULL,     -- checked at input: no CR/LF (I4)
    to_name          TEXT NOT NULL DEFAULT '',
    username         TEXT NOT NULL,
    language         TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,  -- while queued: not before; also the lease of a claim
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER NOT NULL DEFAULT 0,
    sso_source       TEXT,
    sso_display_name TEXT,
    dormant_at       INTEGER NOT NULL DEFAULT 0,
    dormant_days     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new (id, kind, user_id, provider_id, to_addr, to_name, username, language,
                        state, attempts, next_attempt_at, last_error, created_at, sent_at,
                        sso_source, sso_display_name)
    SELECT id, kind, user_id, provider_id, to_addr, to_name, username, language, state, attempts,
           next_attempt_at, last_error, created_at, sent_at, sso_source, sso_display_name
    FROM outbox;

CREATE TABLE user_links_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users (id), -- NULL: a dropped request for an unknown name
    purpose    TEXT NOT NULL CHECK (purpose IN ('onboarding', 'password_reset')),
    -- copy: made for an admin to hand over (no e-mail), minted at once; dropped: see 006
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

DELETE FROM sqlite_sequence WHERE name IN ('outbox_new', 'user_links_new');
INSERT INTO sqlite_sequence (name, seq)
    SELECT name || '_new', seq FROM sqlite_sequence WHERE name IN ('outbox', 'user_links');

DROP TABLE user_links;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
ALTER TABLE user_links_new RENAME TO user_links;

CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_user ON outbox (user_id, id);
CREATE INDEX user_links_user ON user_links (user_id, purpose, id);
