-- One-time email codes (issue 26): at most one live code per user, by the primary key (a newer request replaces
-- the row in one statement). email: the address the code was mailed to (lower-cased; the account's at the
-- time). code_hash: HMAC-SHA256 of (email, code) under a key derived from JWT_SECRET (never the code itself).
-- guesses: guesses spent on this code, each counted before it is compared; at 5 the code is dead.
CREATE TABLE IF NOT EXISTS email_codes (
    user_id VARCHAR NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email VARCHAR NOT NULL,
    code_hash VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    guesses INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_email_codes_email ON email_codes (email);
CREATE INDEX IF NOT EXISTS ix_email_codes_expires_at ON email_codes (expires_at);

-- The first proof of a sign-in waiting for its two-factor code (password, provider, email_code), so the account's
-- history says how the sign-in was made; NULL (challenges made before this column) reads as password.
ALTER TABLE mfa_challenges ADD COLUMN first_factor VARCHAR;
