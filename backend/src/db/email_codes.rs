//! One-time email codes (`email_codes`, migration 0015): one row per user at most (the primary key), so a newer
//! code replaces the older one in one statement, also when requests race; only a keyed hash of the code is kept.
//! A guess spends one of the code's guesses *before* it is compared ([`Db::guess_email_code`]), so a burst of
//! simultaneous guesses gets no more comparisons than the code allows; the right code is consumed by one
//! `DELETE … RETURNING` ([`Db::use_email_code`]), so of two simultaneous uses exactly one signs in.

use super::{
    activity::{record, Event},
    identities::take_back,
    outbox::insert_mails,
    Db, Mail, User, USER_COLUMNS,
};
use crate::clock::Ts;

/// A new code for a user: the address it goes to (lower-cased), its hash, and the mail that carries it.
pub struct NewEmailCode<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub hash: &'a str,
    pub expires_at: Ts,
    pub mail: &'a Mail,
}

/// A live code of an address that a guess may be compared with (one of its guesses now spent).
#[derive(Debug, sqlx::FromRow)]
pub struct LiveCode {
    pub user_id: String,
    pub code_hash: String,
}

/// What using a code did.
pub enum UsedCode {
    /// The code was consumed and the address is verified: the user as it is now; `took_back`: the address had
    /// never been proved, and whatever the account's registrant set up was cleared first (see [`take_back`]).
    Done { user: User, took_back: bool },
    /// Consumed meanwhile (a simultaneous use), replaced by a newer code, or the account has another address now.
    Gone,
}

impl Db {
    /// Stores the user's new code, replacing any older one (its guesses start again), and queues its mail: one
    /// transaction.
    pub async fn issue_email_code(&self, code: &NewEmailCode<'_>, now: Ts) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO email_codes (user_id, email, code_hash, created_at, expires_at, guesses) \
                 VALUES ($1, $2, $3, $4, $5, 0) \
                 ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, code_hash = excluded.code_hash, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at, guesses = 0",
            )
            .bind(code.user_id).bind(code.email).bind(code.hash).bind(now).bind(code.expires_at)
            .execute(&mut *tx).await?;
            insert_mails!(tx, [code.mail], now);
            tx.commit().await
        })
    }

    /// Spends one guess of each live code mailed to `email` (unexpired, fewer than `max_guesses` spent), in one
    /// statement, and answers those codes, to be compared with the guess. (Normally one: two only when an
    /// account gave up the address after its code was mailed and another took it.)
    pub async fn guess_email_code(&self, email: &str, max_guesses: i64, now: Ts) -> Result<Vec<LiveCode>, sqlx::Error> {
        const SQL: &str = "UPDATE email_codes SET guesses = guesses + 1 \
             WHERE email = $1 AND expires_at > $2 AND guesses < $3 RETURNING user_id, code_hash";
        on_pool!(self, pool => sqlx::query_as::<_, LiveCode>(SQL).bind(email).bind(now).bind(max_guesses)
            .fetch_all(pool).await)
    }

    /// Uses the code `code_hash` of `user_id`, mailed to `email`, all or nothing: the row is deleted (by one
    /// statement: of two simultaneous uses exactly one gets it), the address marked verified — for an address
    /// never proved before, by taking the account back from its registrant (a new `no_password` marker, every
    /// session ended, two-factor off: [`take_back`]) — and `verified` recorded when it was not verified yet.
    pub async fn use_email_code(
        &self,
        user_id: &str,
        email: &str,
        code_hash: &str,
        no_password: &str,
        verified: &Event,
    ) -> Result<UsedCode, sqlx::Error> {
        let now = verified.origin.at;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let used: Option<String> = sqlx::query_scalar(
                "DELETE FROM email_codes WHERE user_id = $1 AND code_hash = $2 AND email = $3 RETURNING user_id",
            )
            .bind(user_id).bind(code_hash).bind(email)
            .fetch_optional(&mut *tx).await?;
            if used.is_none() {
                return Ok(UsedCode::Gone);
            }
            let unproved: Option<bool> =
                sqlx::query_scalar("SELECT email_verified_at IS NULL FROM users WHERE id = $1 AND lower(email) = $2")
                    .bind(user_id).bind(email)
                    .fetch_optional(&mut *tx).await?;
            let (user, took_back) = match unproved {
                None => {
                    // The account has another address now: the code is spent, and proves nothing.
                    tx.commit().await?;
                    return Ok(UsedCode::Gone);
                }
                Some(true) => match take_back!(tx, user_id, email, no_password, now) {
                    Some(user) => {
                        record!(tx, user_id, verified);
                        (user, true)
                    }
                    None => return Ok(UsedCode::Gone),
                },
                Some(false) => {
                    let user = sqlx::query_as::<_, User>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                        .bind(user_id).fetch_one(&mut *tx).await?;
                    (user, false)
                }
            };
            tx.commit().await?;
            Ok(UsedCode::Done { user, took_back })
        })
    }

    /// Drops codes that expired before `now`.
    pub(super) async fn purge_email_codes(&self, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM email_codes WHERE expires_at < $1").bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
    }
}
