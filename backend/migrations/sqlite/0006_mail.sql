-- Account recovery and verified email (new tables and one nullable column only, so the seed app still runs on
-- this database). A user made by the seed starts unverified (NULL).
ALTER TABLE users ADD COLUMN email_verified_at DATETIME;

-- Links sent by mail: only the SHA-256 of the token is kept. purpose: reset | verify | change; email: the address
-- the link proves (for change, the new address). used_at: consumed, or superseded by a newer link.
CREATE TABLE IF NOT EXISTS account_tokens (
    token_hash VARCHAR NOT NULL PRIMARY KEY,
    user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME
);
CREATE INDEX IF NOT EXISTS ix_account_tokens_user_purpose ON account_tokens (user_id, purpose);
CREATE INDEX IF NOT EXISTS ix_account_tokens_expires_at ON account_tokens (expires_at);

-- The outbox: one row per mail, written in the transaction of the change it reports, delivered by the worker of
-- any API process. lease_until: claimed by a worker until then (a worker that dies leaves it to another after
-- that). failed_at: given up (a permanent refusal or too many attempts). The bodies and the link are erased once sent (they hold the only plain copy of a token).
CREATE TABLE IF NOT EXISTS mail_outbox (
    id VARCHAR NOT NULL PRIMARY KEY,
    recipient VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    link TEXT,
    created_at DATETIME NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    lease_until DATETIME,
    sent_at DATETIME,
    failed_at DATETIME,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS ix_mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_mail_outbox_created_at ON mail_outbox (created_at);
