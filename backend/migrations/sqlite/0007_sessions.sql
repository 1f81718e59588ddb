-- Where a user is signed in: one row per sign-in (login, register, password change). Tokens we issue carry
-- the row's id (`sid`); deleting the row ends that sign-in at once on every API process. token_version is
-- the user's version when the session began: once "sign out everywhere", a password change or a reset bumps
-- users.token_version, the session is no longer listed (and its tokens are refused by their `tv` already).
CREATE TABLE IF NOT EXISTS sessions (
	id VARCHAR NOT NULL PRIMARY KEY,
	user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_version INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	last_used_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	user_agent VARCHAR,
	ip VARCHAR
);
CREATE INDEX IF NOT EXISTS ix_sessions_user_id_created_at ON sessions (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_sessions_expires_at ON sessions (expires_at);
