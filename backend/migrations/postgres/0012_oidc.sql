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
    state_hash character varying NOT NULL PRIMARY KEY,
    browser_hash character varying NOT NULL,
    provider_id character varying NOT NULL,
    nonce character varying NOT NULL,
    pkce_verifier character varying NOT NULL,
    next_path character varying,
    link_user_id character varying REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamp without time zone NOT NULL,
    expires_at timestamp without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_oidc_flows_expires_at ON oidc_flows (expires_at);

-- An identity at a provider: the pair (issuer, subject), never the email. provider_id: the OIDC_PROVIDERS id it
-- came through (what /account shows). email: the address the provider asserted when it was last used.
CREATE TABLE IF NOT EXISTS user_identities (
    id character varying NOT NULL PRIMARY KEY,
    user_id character varying NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id character varying NOT NULL,
    issuer character varying NOT NULL,
    subject character varying NOT NULL,
    email character varying,
    created_at timestamp without time zone NOT NULL,
    last_used_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_user_identities_issuer_subject ON user_identities (issuer, subject);
CREATE INDEX IF NOT EXISTS ix_user_identities_user_id ON user_identities (user_id);
