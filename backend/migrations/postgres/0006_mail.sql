-- Account recovery and verified email (new tables and one nullable column only, so the seed app still runs on
-- this database). A user made by the seed starts unverified (NULL).
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_verified_at timestamp without time zone;

-- Links sent by mail: only the SHA-256 of the token is kept. purpose: reset | verify | change; email: the address
-- the link proves (for change, the new address). used_at: consumed, or superseded by a newer link.
CREATE TABLE IF NOT EXISTS account_tokens (
    token_hash character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose character varying NOT NULL,
    email character varying NOT NULL,
    created_at timestamp without time zone NOT NULL,
    expires_at timestamp without time zone NOT NULL,
    used_at timestamp without time zone
);
CREATE INDEX IF NOT EXISTS ix_account_tokens_user_purpose ON account_tokens (user_id, purpose);
CREATE INDEX IF NOT EXISTS ix_account_tokens_expires_at ON account_tokens (expires_at);

-- The outbox: one row per mail, written in the transaction of the change it reports, delivered by the worker of
-- any API process. lease_until: claimed by a worker until then (a worker that dies leaves it to another after
-- that). failed_at: given up (a permanent refusal or too many attempts). The bodies and the link are erased once sent (they hold the only plain copy of a token).
CREATE TABLE IF NOT EXISTS mail_outbox (
    id character varying NOT NULL PRIMARY KEY,
    recipient character varying NOT NULL,
    subject character varying NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    link text,
    created_at timestamp without time zone NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamp without time zone NOT NULL,
    lease_until timestamp without time zone,
    sent_at timestamp without time zone,
    failed_at timestamp without time zone,
    last_error text
);
CREATE INDEX IF NOT EXISTS ix_mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_mail_outbox_created_at ON mail_outbox (created_at);
