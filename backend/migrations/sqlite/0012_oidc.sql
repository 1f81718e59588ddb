-- Sign-in with an OpenID Connect provider (issue 27). New tables only, so the seed app still runs on this
-- database. An account made by a provider sign-in has no password: its users.hashed_password is a bcrypt
-- string that no password matches (see src/auth/no_password.rs), which the seed's backend also refuses.

-- A flow between "Continue with <name>" (or "Link <name>") and the provider's redirect back: at most
-- 10 minutes, used once (the callback deletes the row in the statement that reads it).
-- state_hash: hex SHA-256 of the `state` sent to the provider (the state itself is never stored).
-- browser_hash: hex SHA-256 of the random flow cookie of the browser that started it; a callback from another
--   browser finds nothing.
-- nonce, pkce_verifier: needed in clear at the callback (short-lived; useless without the client secret).
-- next_path: where to land afterwards (a same-origin path, checked when the flow starts).
-- link_user_id: set when a signed-in user links a provider from /account.
CREATE TABLE IF NOT EXISTS oidc_flows (
    state_hash VARCHAR NOT NULL PRIMARY KEY,
    browser_hash VARCHAR NOT NULL,
    provider_id VARCHAR NOT NULL,
    nonce VARCHAR NOT NULL,
    pkce_verifier VARCHAR NOT NULL,
    next_path VARCHAR,
    link_user_id VARCHAR REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_oidc_flows_expires_at ON oidc_flows (expires_at);

-- An identity at a provider: the pair (issuer, subject), never the email. provider_id: the OIDC_PROVIDERS id it
-- came through (what /account shows). email: the address the provider asserted when it was last used.
CREATE TABLE IF NOT EXISTS user_identities (
    id VARCHAR NOT NULL PRIMARY KEY,
    user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id VARCHAR NOT NULL,
    issuer VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    email VARCHAR,
    created_at DATETIME NOT NULL,
    last_used_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_user_identities_issuer_subject ON user_identities (issuer, subject);
CREATE INDEX IF NOT EXISTS ix_user_identities_user_id ON user_identities (user_id);
