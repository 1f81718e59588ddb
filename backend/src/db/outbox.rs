//! The mail outbox (`mail_outbox`): a request writes its mails here in the same transaction as the change they
//! report ([`insert_mails!`]); the delivery worker of every API process claims due rows with a lease, marks them
//! sent or schedules a retry, and purges old ones.

use std::time::Duration;

use super::Db;
use crate::clock::Ts;

/// One mail for the outbox, as `mail::compose` writes it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link in it, if any: logged when mail goes to files instead of SMTP; erased once sent.
    pub link: Option<String>,
    /// Erase the recipient too once sent or given up (the goodbye of a deleted account keeps no address).
    pub forget_recipient: bool,
}

/// The outbox by state, and the delivery attempts made ([`Db::outbox_counts`]).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct OutboxCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
    pub attempts: i64,
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

/// Inserts mails into the outbox inside the transaction `$tx`.
macro_rules! insert_mails {
    ($tx:expr, $mails:expr, $now:expr) => {{
        for mail in $mails {
            sqlx::query(
                "INSERT INTO mail_outbox (id, recipient, subject, text_body, html_body, link, created_at, \
                 attempts, next_attempt_at, forget_recipient) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, $8)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&mail.recipient)
            .bind(&mail.subject)
            .bind(&mail.text)
            .bind(&mail.html)
            .bind(mail.link.as_deref())
            .bind($now)
            .bind(mail.forget_recipient)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

pub(crate) use insert_mails;

impl Db {
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

    /// Delivered: the row stays (for the record, until purged) without its bodies and link (and without its
    /// recipient, for a mail that asked to forget it).
    pub async fn mail_sent(&self, id: &str, now: Ts) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE mail_outbox SET sent_at = $2, lease_until = NULL, last_error = NULL, \
             text_body = '', html_body = '', link = NULL, \
             recipient = CASE WHEN forget_recipient THEN '' ELSE recipient END WHERE id = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|_| ()))
    }

    /// Not delivered: tried again at `retry_at`, or (`None`) given up.
    pub async fn mail_failed(&self, id: &str, error: &str, retry_at: Option<Ts>, now: Ts) -> Result<(), sqlx::Error> {
        let sql = match retry_at {
            Some(_) => "UPDATE mail_outbox SET lease_until = NULL, last_error = $2, next_attempt_at = $3 WHERE id = $1",
            None => {
                "UPDATE mail_outbox SET lease_until = NULL, last_error = $2, failed_at = $4, \
                     text_body = '', html_body = '', link = NULL, \
                     recipient = CASE WHEN forget_recipient THEN '' ELSE recipient END WHERE id = $1"
            }
        };
        on_pool!(self, pool => sqlx::query(sql).bind(id).bind(error).bind(retry_at.unwrap_or(now)).bind(now).execute(pool).await.map(|_| ()))
    }

    /// Drops outbox rows older than `before` (sent or not), and link tokens and email codes that expired before `now`.
    pub async fn purge_mail(&self, before: Ts, now: Ts) -> Result<u64, sqlx::Error> {
        let tokens = self.purge_account_tokens(now).await? + self.purge_email_codes(now).await?;
        on_pool!(self, pool => {
            let m = sqlx::query("DELETE FROM mail_outbox WHERE created_at < $1").bind(before).execute(pool).await?;
            Ok(m.rows_affected() + tokens)
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
