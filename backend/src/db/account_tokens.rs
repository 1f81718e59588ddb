//! The tokens of mailed links (`account_tokens`: password reset, email verification and change), only their
//! hashes stored: issued with their mail in one transaction, superseded by a newer one of the same purpose,
//! consumed atomically (of two racing uses exactly one gets the row), and the flows they complete (reset,
//! verify, change of address) done all or nothing.

use super::{
    activity::{record, Event, EventType},
    outbox::insert_mails,
    Db, Mail, User, USER_COLUMNS,
};
use crate::clock::Ts;

/// What a link is for; each kind supersedes the user's older links of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    Verify,
    /// Verifies a new address and makes it the account's email.
    Change,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
            Purpose::Change => "change",
        }
    }
}

/// A link token of one user with the mails that carry it (and any notice going with them).
pub struct TokenMail {
    pub user_id: String,
    pub purpose: Purpose,
    /// The address the link proves.
    pub email: String,
    pub hash: String,
    pub expires_at: Ts,
    pub mails: Vec<Mail>,
    /// What the request records on the account with it (a change of address asked for), if anything.
    pub event: Option<Event>,
}

/// A link token as [`consume!`] used it.
#[derive(sqlx::FromRow)]
struct UsedToken {
    user_id: String,
    purpose: String,
    email: String,
}

/// What a verification link did.
pub enum Verified {
    Done(User),
    /// The link is unknown, used, expired, superseded, or its address is no longer the account's.
    Invalid,
    /// An email change whose new address another account took meanwhile.
    EmailTaken,
}

/// Ends the user's outstanding links of `$purpose` (a newer one supersedes them).
macro_rules! supersede {
    ($tx:expr, $user_id:expr, $purpose:expr, $now:expr) => {
        sqlx::query("UPDATE account_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind($user_id)
            .bind($purpose)
            .bind($now)
            .execute(&mut *$tx)
            .await?
    };
}

/// Supersedes the user's older links of the same purpose, stores the new one and its mails: one transaction.
macro_rules! write_token_mail {
    ($tx:expr, $tm:expr, $now:expr) => {{
        let tm: &$crate::db::TokenMail = $tm;
        $crate::db::account_tokens::supersede!($tx, &tm.user_id, tm.purpose.as_str(), $now);
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&tm.hash)
        .bind(&tm.user_id)
        .bind(tm.purpose.as_str())
        .bind(&tm.email)
        .bind($now)
        .bind(tm.expires_at)
        .execute(&mut *$tx)
        .await?;
        $crate::db::outbox::insert_mails!($tx, &tm.mails, $now);
        if let Some(event) = &tm.event {
            $crate::db::activity::record!($tx, &tm.user_id, event);
        }
    }};
}
pub(crate) use {supersede, write_token_mail};

/// Consumes a link token: marks it used if it is of one of `purposes`, unused and unexpired, in one statement,
/// so of two racing uses exactly one gets the row. Yields a [`UsedToken`].
macro_rules! consume {
    ($tx:expr, $hash:expr, $purposes:expr, $now:expr) => {
        sqlx::query_as::<_, UsedToken>(&format!(
            "UPDATE account_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             AND purpose IN ({}) RETURNING user_id, purpose, email",
            $purposes.iter().map(|p: &Purpose| format!("'{}'", p.as_str())).collect::<Vec<_>>().join(", ")
        ))
        .bind($hash)
        .bind($now)
        .fetch_optional(&mut *$tx)
        .await?
    };
}

impl Db {
    /// A link and its mails (and the supersession of older links), in one transaction.
    ///
    /// At most one link per user and purpose is live, also when requests race: on PostgreSQL the user's row is
    /// locked first, so a second request waits for the first to commit and then supersedes its link; SQLite
    /// runs one writer at a time. A partial unique index (migration 0014) holds the rule in the schema.
    pub async fn issue_token_mail(&self, tm: &TokenMail, now: Ts) -> Result<(), sqlx::Error> {
        let lock = match self {
            Db::Postgres(_) => Some("SELECT 1 FROM users WHERE id = $1 FOR UPDATE"),
            Db::Sqlite(_) => None,
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(sql) = lock {
                sqlx::query(sql).bind(&tm.user_id).execute(&mut *tx).await?;
            }
            write_token_mail!(tx, tm, now);
            tx.commit().await
        })
    }

    /// The user and address of a usable link, without using it (so a bad link costs no password hashing).
    pub async fn peek_token(
        &self,
        hash: &str,
        purpose: Purpose,
        now: Ts,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        const SQL: &str = "SELECT user_id, email FROM account_tokens WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(hash).bind(purpose.as_str()).bind(now).fetch_optional(pool).await)
    }

    /// Password reset, all or nothing: uses the link, sets the password, revokes every token of the user, ends
    /// their other reset links and every pending change of address, marks the email verified and queues
    /// `notice` and records `event` on the account. When the address had never been proved before, the reset is
    /// its owner's first proof: whatever the account's registrant set up without that proof (two-factor, passkeys) is
    /// removed too. `None`: the link did not work (also when the account's email changed since it was sent).
    pub async fn reset_password(
        &self,
        hash: &str,
        hashed_password: &str,
        notice: &Mail,
        now: Ts,
        event: &Event,
    ) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let Some(UsedToken { user_id, email, .. }) = consume!(tx, hash, [Purpose::Reset], now) else {
                return Ok(None);
            };
            let unproved: Option<bool> =
                sqlx::query_scalar("SELECT email_verified_at IS NULL FROM users WHERE id = $1 AND lower(email) = $2")
                    .bind(&user_id).bind(&email)
                    .fetch_optional(&mut *tx).await?;
            let changed = sqlx::query(
                "UPDATE users SET hashed_password = $2, updated_at = $3, token_version = token_version + 1, \
                 email_verified_at = COALESCE(email_verified_at, $3) WHERE id = $1 AND lower(email) = $4",
            )
            .bind(&user_id).bind(hashed_password).bind(now).bind(&email)
            .execute(&mut *tx).await?;
            if changed.rows_affected() != 1 || notice.recipient != email {
                return Ok(None);
            }
            supersede!(tx, &user_id, Purpose::Reset.as_str(), now);
            supersede!(tx, &user_id, Purpose::Change.as_str(), now);
            if unproved == Some(true) {
                super::two_factor::clear_two_factor!(tx, &user_id);
                for sql in ["DELETE FROM passkeys WHERE user_id = $1", "DELETE FROM passkey_ceremonies WHERE user_id = $1"] {
                    sqlx::query(sql).bind(&user_id).execute(&mut *tx).await?;
                }
            }
            insert_mails!(tx, [notice], now);
            record!(tx, &user_id, event);
            tx.commit().await?;
            Ok(Some(user_id))
        })
    }

    /// Uses a verification or email-change link: marks the address verified, or makes the new address the
    /// account's (if no other account has it by then: the unique index decides a race). Records, from
    /// `origin`'s request, `email_verified` (detail: the address) or `email_changed` (detail: old → new).
    pub async fn verify_email(&self, hash: &str, now: Ts, origin: &Event) -> Result<Verified, sqlx::Error> {
        // In a block of its own, so that a unique violation from any statement comes out as `result`.
        let result: Result<Verified, sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let Some(UsedToken { user_id, purpose, email }) = consume!(tx, hash, [Purpose::Verify, Purpose::Change], now)
                else {
                    return Ok(Verified::Invalid);
                };
                let (changed, event) = if purpose == Purpose::Change.as_str() {
                    let old: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                        .bind(&user_id).fetch_optional(&mut *tx).await?;
                    let detail = format!("{} → {email}", old.unwrap_or_default());
                    let r = sqlx::query(
                        "UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1 \
                         AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2 AND id <> $1)",
                    )
                    .bind(&user_id).bind(&email).bind(now)
                    .execute(&mut *tx).await?;
                    if r.rows_affected() == 0 {
                        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
                            .bind(&user_id).fetch_optional(&mut *tx).await?;
                        return Ok(if exists.is_some() { Verified::EmailTaken } else { Verified::Invalid });
                    }
                    // Links sent to the old address stop working.
                    supersede!(tx, &user_id, Purpose::Reset.as_str(), now);
                    supersede!(tx, &user_id, Purpose::Verify.as_str(), now);
                    (r.rows_affected(), origin.as_kind(EventType::EmailChanged, Some(detail)))
                } else {
                    let r = sqlx::query(
                        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3) \
                         WHERE id = $1 AND lower(email) = $2",
                    )
                    .bind(&user_id).bind(&email).bind(now)
                    .execute(&mut *tx).await?.rows_affected();
                    (r, origin.as_kind(EventType::EmailVerified, Some(email.clone())))
                };
                if changed != 1 {
                    return Ok(Verified::Invalid);
                }
                record!(tx, &user_id, &event);
                let user = sqlx::query_as::<_, User>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(&user_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Verified::Done(user))
            })
        }
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Verified::EmailTaken),
            other => other,
        }
    }

    /// Drops link tokens that expired before `now`.
    pub(super) async fn purge_account_tokens(&self, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1").bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
    }
}
