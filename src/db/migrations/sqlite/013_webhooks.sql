-- Webhooks (issue 16). A subscription is bound to one service provider (C10; NULL: the platform's
-- own staff) and receives the events of that provider's users only. Its secret ("whsec_" and
-- base64) is made by the server, shown once and kept sealed with the secret key. A delivery is
-- one event for one subscription, written in the same transaction as the change (as the mail
-- outbox is); the webhook sender claims due rows, POSTs them signed (Standard Webhooks) and
-- retries with backoff. last_status is the HTTP status of the last attempt (0: none answered).

CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never re-used: audit rows name it
    provider_id   INTEGER REFERENCES tenants (id),
    url           TEXT NOT NULL,                     -- https (http only on loopback)
    events        TEXT NOT NULL,                     -- "user.created,user.disabled": sorted, unique
    secret_sealed TEXT NOT NULL,                     -- sealed with the secret key
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_by    INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX webhooks_provider ON webhooks (provider_id, id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- the webhook-id header: msg_<id>
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    event_id        TEXT NOT NULL,                     -- shared by the deliveries of one event
    payload         TEXT NOT NULL,                     -- the JSON body, as sent
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,                  -- while queued: not before; also the lease
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_attempt_at INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE state = 'queued';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
