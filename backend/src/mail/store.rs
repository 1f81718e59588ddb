//! The SQL of mail: the outbox (claim, mark sent, retry, purge) and the tokens of mailed links (issue with their
//! mail in one transaction, consume atomically). Written once for both databases, as in db.rs.

use std::time::Duration;

use crate::{
    db::{on_pool, Db, Ts, User, USER_COLUMNS},
    mail::{templates::Rendered, tokens::Purpose},
};

/// One mail for the outbox.
#[derive(Debug, Clone)]
pub struct Mail {
    pub recipient: String,
    pub content: Rendered,
    /// The link in it, if any: logged when mail goes to files instead of SMTP; erased once sent.
    pub link: Option<String>,
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
}

/// The outbox by state, and the delivery attempts made ([`Db::outbox_counts`]).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct OutboxCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
    pub attempts: i64,
}

/// A link token as [`consume!`] used it.
#[derive(sqlx::FromRow)]
struct UsedToken {
    user_id: String,
    purpose: String,
    email: String,
}

/// An outbox row claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub link: Option<String>,
    pub attempts: i32,
    pub created_at: Ts,
}

/// What a verification link did.
pub enum Verified {
    Done(User),
    /// The link is unknown, used, expired, superseded, or its address is no longer the account's.
    Invalid,
    /// An email change whose new address another account took meanwhile.
    EmailTaken,
}

/// Inserts mails into the outbox inside the transaction `$tx`.
macro_rules! insert_mails {
    ($tx:expr, $mails:expr, $now:expr) => {{
        for mail in $mails {
            sqlx::query(
                "INSERT INTO mail_outbox (id, recipient, subject, text_body, html_body, link, created_at, \
                 attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&mail.recipient)
            .bind(&mail.content.subject)
            .bind(&mail.content.text)
            .bind(&mail.content.html)
            .bind(mail.link.as_deref())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    }};
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
        let tm: &$crate::mail::TokenMail = $tm;
        $crate::mail::store::supersede!($tx, &tm.user_id, tm.purpose.as_str(), $now);
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
        $crate::mail::store::insert_mails!($tx, &tm.mails, $now);
    }};
}
pub(crate) use {insert_mails, supersede, write_token_mail};

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
    pub async fn issue_token_mail(&self, tm: &TokenMail, now: Ts) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
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
    /// their other reset links, marks the email verified and queues `notice`. `None`: the link did not work
    /// (also when the account's email changed since it was sent).
    pub async fn reset_password(
        &self,
        hash: &str,
        hashed_password: &str,
        notice: &Mail,
        now: Ts,
    ) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let Some(UsedToken { user_id, email, .. }) = consume!(tx, hash, [Purpose::Reset], now) else {
                return Ok(None);
            };
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
            insert_mails!(tx, [notice], now);
            tx.commit().await?;
            Ok(Some(user_id))
        })
    }

    /// Uses a verification or email-change link: marks the address verified, or makes the new address the
    /// account's (if no other account has it by then: the unique index decides a race).
    pub async fn verify_email(&self, hash: &str, now: Ts) -> Result<Verified, sqlx::Error> {
        // In a block of its own, so that a unique violation from any statement comes out as `result`.
        let result: Result<Verified, sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let Some(UsedToken { user_id, purpose, email }) = consume!(tx, hash, [Purpose::Verify, Purpose::Change], now)
                else {
                    return Ok(Verified::Invalid);
                };
                let changed = if purpose == Purpose::Change.as_str() {
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
                    r.rows_affected()
                } else {
                    sqlx::query(
                        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3) \
                         WHERE id = $1 AND lower(email) = $2",
                    )
                    .bind(&user_id).bind(&email).bind(now)
                    .execute(&mut *tx).await?.rows_affected()
                };
                if changed != 1 {
                    return Ok(Verified::Invalid);
                }
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

    // ---------- outbox ----------

    /// Claims up to `limit` due mails, oldest first for `lease`: no other worker takes them until it runs out (a worker that
    /// dies mid-delivery leaves its mails to the others then). On PostgreSQL rows another worker is claiming
    /// are skipped, not waited for; SQLite runs one writer at a time anyway.
    pub async fn claim_mail(&self, now: Ts, lease: Duration, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
        let lock = match self {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET lease_until = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at LIMIT $3{lock}) \
             RETURNING id, recipient, subject, text_body, html_body, link, attempts, created_at"
        );
        let mut rows = on_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(now).bind(now.plus(lease)).bind(limit).fetch_all(pool).await)?;
        // RETURNING follows no ORDER BY: mails of one person go out in the order they were written.
        rows.sort_by_key(|r| r.created_at);
        Ok(rows)
    }

    /// Delivered: the row stays (for the record, until purged) without its bodies and link.
    pub async fn mail_sent(&self, id: &str, now: Ts) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE mail_outbox SET sent_at = $2, lease_until = NULL, last_error = NULL, \
             text_body = '', html_body = '', link = NULL WHERE id = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|_| ()))
    }

    /// Not delivered: tried again at `retry_at`, or (`None`) given up.
    pub async fn mail_failed(&self, id: &str, error: &str, retry_at: Option<Ts>, now: Ts) -> Result<(), sqlx::Error> {
        let sql = match retry_at {
            Some(_) => "UPDATE mail_outbox SET lease_until = NULL, last_error = $2, next_attempt_at = $3 WHERE id = $1",
            None => {
                "UPDATE mail_outbox SET lease_until = NULL, last_error = $2, failed_at = $4, \
                     text_body = '', html_body = '', link = NULL WHERE id = $1"
            }
        };
        on_pool!(self, pool => sqlx::query(sql).bind(id).bind(error).bind(retry_at.unwrap_or(now)).bind(now).execute(pool).await.map(|_| ()))
    }

    /// Drops outbox rows older than `before` (sent or not) and link tokens that expired before `now`.
    pub async fn purge_mail(&self, before: Ts, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => {
            let m = sqlx::query("DELETE FROM mail_outbox WHERE created_at < $1").bind(before).execute(pool).await?;
            let t = sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1").bind(now).execute(pool).await?;
            Ok(m.rows_affected() + t.rows_affected())
        })
    }

    /// Outbox rows waiting, sent and given up, and the delivery attempts made. For tests and operators.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, sqlx::Error> {
        const SQL: &str = "SELECT \
             COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
             COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
             COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed, \
             COALESCE(SUM(attempts), 0) AS attempts FROM mail_outbox";
        on_pool!(self, pool => sqlx::query_as::<_, OutboxCounts>(SQL).fetch_one(pool).await)
    }

    /// Mails not tied to a link (in one transaction).
    pub async fn enqueue_mail(&self, mails: &[Mail], now: Ts) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            insert_mails!(tx, mails, now);
            tx.commit().await
        })
    }
}
