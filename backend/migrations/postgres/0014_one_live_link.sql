-- At most one live link per user and purpose (issue 22, finding 6): a newer link supersedes the older ones, also
-- when requests race. The API locks the user's row before it writes a link; this index holds the rule in the
-- schema. Links left live beside a newer one (by the race this fixes) are superseded first, newest kept.
UPDATE account_tokens SET used_at = created_at
WHERE used_at IS NULL AND EXISTS (
    SELECT 1 FROM account_tokens newer
    WHERE newer.user_id = account_tokens.user_id AND newer.purpose = account_tokens.purpose
      AND newer.used_at IS NULL
      AND (newer.created_at > account_tokens.created_at
           OR (newer.created_at = account_tokens.created_at AND newer.token_hash > account_tokens.token_hash))
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_account_tokens_one_live ON account_tokens (user_id, purpose) WHERE used_at IS NULL;
