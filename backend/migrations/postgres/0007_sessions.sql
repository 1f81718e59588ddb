-- Where a user is signed in: one row per sign-in (login, register, password change). Tokens we issue carry
-- the row's id (`sid`); deleting the row ends that sign-in at once on every API process. token_version is
-- the user's version when the session began: once "sign out everywhere", a password change or a reset bumps
-- users.token_version, the session is no longer listed (and its tokens are refused by their `tv` already).
CREATE TABLE IF NOT EXISTS sessions (
    id character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_version integer NOT NULL,
    created_at timestamp without time zone NOT NULL,
    last_used_at timestamp without time zone NOT NULL,
    expires_at timestamp without time zone NOT NULL,
    user_agent character varying,
    ip character varying
);
CREATE INDEX IF NOT EXISTS ix_sessions_user_id_created_at ON sessions (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_sessions_expires_at ON sessions (expires_at);
