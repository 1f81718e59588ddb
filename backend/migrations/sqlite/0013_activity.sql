-- Your data and your history (issue 28). New tables and one defaulted column only, so the seed app still runs on
-- this database.

-- What happened to an account, one row per event (kind: sign_in, sign_in_failed, signed_out, …; see
-- src/db/activity.rs), written in the transaction of the change it reports. ip and user_agent: the request's, as
-- throttling sees the address. device: for a sign-in, its browser family and network (what new-device notices
-- compare). repeats: failed sign-ins beyond the hourly cap, counted on the newest kept row instead of new rows.
-- Purged after ACTIVITY_RETENTION_DAYS, and with the account.
CREATE TABLE IF NOT EXISTS activity (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind VARCHAR NOT NULL,
	created_at DATETIME NOT NULL,
	ip VARCHAR,
	user_agent VARCHAR,
	detail VARCHAR,
	device VARCHAR,
	repeats INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_activity_user_id_id ON activity (user_id, id);
CREATE INDEX IF NOT EXISTS ix_activity_created_at ON activity (created_at);

-- A mail whose recipient must not outlive its delivery (the goodbye of a deleted account): once sent or given
-- up, its row keeps no address.
ALTER TABLE mail_outbox ADD COLUMN forget_recipient BOOLEAN NOT NULL DEFAULT 0;
