-- Two-factor sign-in (TOTP + recovery codes). New tables and one defaulted column only, so the seed app
-- still runs on this database. users.two_factor_enabled is the one flag login reads; the secret lives
-- encrypted (DATA_ENCRYPTION_KEY) in user_two_factor.
ALTER TABLE users ADD COLUMN IF NOT EXISTS two_factor_enabled boolean NOT NULL DEFAULT false;

-- secret: the active secret (set while two-factor is on); pending_secret: made by setup, active only once
-- enable receives a valid code. last_step: the last TOTP time step accepted, so a code works once.
CREATE TABLE IF NOT EXISTS user_two_factor (
    user_id character varying NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret character varying,
    pending_secret character varying,
    last_step bigint NOT NULL DEFAULT -1,
    updated_at timestamp without time zone NOT NULL
);

-- Recovery codes: only a SHA-256 of each; used_at set when it is spent.
CREATE TABLE IF NOT EXISTS recovery_codes (
    code_hash character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    used_at timestamp without time zone
);
CREATE INDEX IF NOT EXISTS ix_recovery_codes_user_id ON recovery_codes (user_id);

-- The step between a correct password and the code: only a hash of the mfa_token is kept. token_version
-- binds it to the password check (a password change or sign-out everywhere voids it).
CREATE TABLE IF NOT EXISTS mfa_challenges (
    token_hash character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_version integer NOT NULL,
    expires_at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_mfa_challenges_expires_at ON mfa_challenges (expires_at);
