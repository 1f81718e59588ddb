-- Account security (new tables and one defaulted column only, so the seed app still runs on this database).
-- token_version: bumped by "sign out everywhere" and password change; tokens minted before carry an older
-- version (seed tokens carry none, i.e. 0) and are refused.
ALTER TABLE users ADD COLUMN IF NOT EXISTS token_version integer NOT NULL DEFAULT 0;

-- Single tokens revoked by sign-out: by jti, or by a hash of the token for seed tokens without one.
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL,
    expires_at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- Sliding-window throttling: one row per counted event, keyed by what is limited.
CREATE TABLE IF NOT EXISTS auth_attempts (
    id bigserial PRIMARY KEY,
    key character varying NOT NULL,
    at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_auth_attempts_key_at ON auth_attempts (key, at);
CREATE INDEX IF NOT EXISTS ix_auth_attempts_at ON auth_attempts (at);
