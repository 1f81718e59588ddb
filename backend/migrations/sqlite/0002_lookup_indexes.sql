-- Case-insensitive email look-ups (a seed database may hold mixed-case emails; we write lower case).
-- Not UNIQUE: a seed database may already hold two rows that differ only in case, and this migration
-- must not fail on it. Duplicates among our own writes are caught by ix_users_email (we store lower case).
CREATE INDEX IF NOT EXISTS ix_users_email_lower ON users (lower(email));
-- A user's tasks, newest first, straight from the index.
CREATE INDEX IF NOT EXISTS ix_tasks_user_id_created_at ON tasks (user_id, created_at);
