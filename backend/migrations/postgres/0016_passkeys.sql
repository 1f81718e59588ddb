-- Passkeys (WebAuthn; issue 26). New tables only, so the seed app still runs on this database.
-- (Numbered 0016: 0015 is left to the one-time email codes built beside this feature.)

-- A registered passkey. credential_id: the authenticator's credential id, base64url (unique: one credential
-- belongs to one account). passkey: webauthn-rs's serialized Passkey (the public key, its algorithm, the
-- counter and backup flags as of the last use). counter, backed_up, backup_eligible: the same, readable by SQL
-- (the counter is compared in the statement that records a sign-in, so two uses racing cannot both move it).
-- transports: JSON list the browser reported at registration (hints for later ceremonies), or NULL.
CREATE TABLE IF NOT EXISTS passkeys (
    id character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id character varying NOT NULL,
    passkey character varying NOT NULL,
    counter bigint NOT NULL DEFAULT 0,
    transports character varying,
    backup_eligible boolean NOT NULL DEFAULT false,
    backed_up boolean NOT NULL DEFAULT false,
    name character varying NOT NULL,
    created_at timestamp without time zone NOT NULL,
    last_used_at timestamp without time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_passkeys_credential_id ON passkeys (credential_id);
CREATE INDEX IF NOT EXISTS ix_passkeys_user_id ON passkeys (user_id);

-- A ceremony between its start (the options and challenge sent to the browser) and its finish, so that any API
-- process can finish what another started: at most 5 minutes, used once (the finish deletes the row in the
-- statement that reads it). id_hash: hex SHA-256 of the ceremony id the client holds. kind: 'register' or
-- 'login'. user_id: the signed-in user a registration is for (NULL for a sign-in, whose user is not known
-- before the assertion names its credential). state: webauthn-rs's serialized ceremony state (the challenge
-- and the policy it was issued with).
CREATE TABLE IF NOT EXISTS passkey_ceremonies (
    id_hash character varying NOT NULL PRIMARY KEY,
    kind character varying NOT NULL,
    user_id character varying REFERENCES users (id) ON DELETE CASCADE,
    state character varying NOT NULL,
    created_at timestamp without time zone NOT NULL,
    expires_at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_passkey_ceremonies_expires_at ON passkey_ceremonies (expires_at);
