-- Two-factor sign-in (TOTP + recovery codes). New tables and one defaulted column only, so the seed app
-- still runs on this database. users.two_factor_enabled is the one flag login reads; the secret lives
-- encrypted (DATA_ENCRYPTION_KEY) in user_two_factor.
ALTER TABLE users ADD COLUMN two_factor_enabled BOOLEAN NOT NULL DEFAULT 0;

-- secret: the active secret (set while two-factor is on); pending_secret: made by setup, active only once
-- enable receives a valid code. last_step: the last TOTP time step accepted, so a code works once.
CREATE TABLE IF NOT EXISTS user_two_factor (
	user_id VARCHAR NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret VARCHAR,
	pending_secret VARCHAR,
	last_step BIGINT NOT NULL DEFAULT -1,
	updated_at DATETIME NOT NULL
);

-- Recovery codes: only a SHA-256 of each; used_at set when it is spent.
CREATE TABLE IF NOT EXISTS recovery_codes (
	code_hash VARCHAR NOT NULL PRIMARY KEY,
	user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	used_at DATETIME
);
CREATE INDEX IF NOT EXISTS ix_recovery_codes_user_id ON recovery_codes (user_id);

-- The step between a correct password and the code: only a hash of the mfa_token is kept. token_version
-- binds it to the password check (a password change or sign-out everywhere voids it).
CREATE TABLE IF NOT EXISTS mfa_challenges (
	token_hash VARCHAR NOT NULL PRIMARY KEY,
	user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_version INTEGER NOT NULL,
	expires_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_mfa_challenges_expires_at ON mfa_challenges (expires_at);
