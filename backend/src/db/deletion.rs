//! Deleting an account ([`Db::delete_account`]): the user and every row of theirs, in every table, in one
//! transaction — [`USER_TABLES`] is the one list of where a user's rows are.

use super::{outbox::insert_mails, Db, Mail};
use crate::clock::Ts;

/// Every table that holds rows of a user, with the column that names the user: what deleting an account empties,
/// before the `users` row itself (the seed's `tasks` has no `ON DELETE CASCADE`). A feature that adds a table of
/// a user's rows adds it here; the API test of deletion reads every table of the database for the user's id
/// and address, so a table left out fails it.
pub const USER_TABLES: &[(&str, &str)] = &[
    ("tasks", "user_id"),
    ("sessions", "user_id"),
    ("revoked_tokens", "user_id"),
    ("account_tokens", "user_id"),
    ("mfa_challenges", "user_id"),
    ("recovery_codes", "user_id"),
    ("user_two_factor", "user_id"),
    ("activity", "user_id"),
    ("user_identities", "user_id"),
    ("oidc_flows", "link_user_id"),
    ("email_codes", "user_id"),
    ("passkeys", "user_id"),
    ("passkey_ceremonies", "user_id"),
];

/// What goes with an account beyond [`USER_TABLES`], and what is left behind.
pub struct Deletion<'a> {
    pub user_id: &'a str,
    /// Throttle keys that name the account (its id or its address), exact (`auth::throttle::account_keys`).
    pub attempt_keys: &'a [String],
    /// … and the beginnings of keys that name the address and a client.
    pub attempt_prefixes: &'a [String],
    /// The goodbye notice, queued in the same transaction (its recipient is forgotten once it is delivered).
    pub goodbye: &'a Mail,
}

impl Db {
    /// Deletes the account and everything of it, in one transaction: the rows of every [`USER_TABLES`] table,
    /// the throttle rows keyed by it, the mail about it (sent or not: rows whose recipient is its address or an
    /// address it asked to change to, unless another account has that address now), and the `users` row; then
    /// queues the goodbye. `false`: no such account (a simultaneous deletion got there first), nothing changed.
    ///
    /// Deletions and other writes of one account are taken one at a time: on PostgreSQL the user's row is
    /// locked first (`FOR UPDATE` also holds back a task or session being inserted for it until this commits);
    /// on SQLite the first statement is a write, which holds the database's write lock to the end.
    ///
    /// A request of the same account writing the rows this removes (its throttle rows, a session's
    /// `last_used_at`) can lock them in another order: PostgreSQL then ends one of the two with a deadlock error
    /// (40P01). When that is this transaction, nothing of it stayed, and it is run again (three tries at most).
    pub async fn delete_account(&self, d: &Deletion<'_>, now: Ts) -> Result<bool, sqlx::Error> {
        let mut tries = 1;
        loop {
            match self.delete_account_once(d, now).await {
                Err(e) if super::is_deadlock(&e) && tries < 3 => tries += 1,
                done => return done,
            }
        }
    }

    async fn delete_account_once(&self, d: &Deletion<'_>, now: Ts) -> Result<bool, sqlx::Error> {
        let first = match self {
            Db::Postgres(_) => "SELECT email FROM users WHERE id = $1 FOR UPDATE",
            Db::Sqlite(_) => "UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING email",
        };
        const ADDRESSES: &str = "SELECT DISTINCT lower(email) FROM account_tokens WHERE user_id = $1";
        const MAIL: &str = "DELETE FROM mail_outbox WHERE lower(recipient) = $1 \
             AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1 AND id <> $2)";
        let prefixed = "DELETE FROM auth_attempts WHERE substr(key, 1, $2) = $1";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let Some(email) = sqlx::query_scalar::<_, String>(first).bind(d.user_id).fetch_optional(&mut *tx).await? else {
                return Ok(false);
            };
            let mut addresses: Vec<String> =
                sqlx::query_scalar(ADDRESSES).bind(d.user_id).fetch_all(&mut *tx).await?;
            addresses.push(email.to_lowercase());
            addresses.sort();
            addresses.dedup();
            for address in &addresses {
                sqlx::query(MAIL).bind(address).bind(d.user_id).execute(&mut *tx).await?;
            }
            for key in d.attempt_keys {
                sqlx::query("DELETE FROM auth_attempts WHERE key = $1").bind(key).execute(&mut *tx).await?;
            }
            for prefix in d.attempt_prefixes {
                let len = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                sqlx::query(prefixed).bind(prefix).bind(len).execute(&mut *tx).await?;
            }
            for (table, column) in USER_TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1")).bind(d.user_id).execute(&mut *tx).await?;
            }
            let gone = sqlx::query("DELETE FROM users WHERE id = $1").bind(d.user_id).execute(&mut *tx).await?;
            if gone.rows_affected() != 1 {
                return Ok(false);
            }
            insert_mails!(tx, [d.goodbye], now);
            tx.commit().await?;
            Ok(true)
        })
    }
}
