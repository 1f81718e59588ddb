//! The `sessions` table: one row per sign-in (see migrations/*/0007_sessions.sql). The per-request check
//! reads it inside the current-user query ([`Db::session_user`], [`Db::session_tasks`]); this module holds
//! the rest: create, list, end, refresh "last used", purge.

use super::{
    activity::{record, Event},
    outbox::insert_mails,
    Db, Mail,
};
use crate::clock::Ts;

/// A session as `GET /api/auth/sessions` lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub created_at: Ts,
    pub last_used_at: Ts,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Where a sign-in came from, as stored.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub token_version: i32,
    pub now: Ts,
    pub expires_at: Ts,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// What a new session records beside itself ([`Db::create_session`]): the sign-in's event, and the
/// "new sign-in" notice to send if its device is new to the account.
pub struct SignInRecord<'a> {
    pub event: &'a Event,
    /// The notice, when the sign-in's way in may send one; sent only if the account has at least two sign-ins
    /// on record (registration's own, and the first after it, are never told) and none from `event.device`
    /// since `seen_since`.
    pub notice: Option<&'a Mail>,
    pub seen_since: Ts,
}

impl Db {
    /// A new session, its sign-in event and (when due) the new-device notice, in one transaction. Answers
    /// whether the notice was queued. Sign-ins of one account are decided one at a time: on PostgreSQL the
    /// user's row is locked first; on SQLite the session's insert takes the write lock before anything is
    /// read.
    pub async fn create_session(&self, s: &NewSession<'_>, record: &SignInRecord<'_>) -> Result<bool, sqlx::Error> {
        const SQL: &str = "INSERT INTO sessions \
             (id, user_id, token_version, created_at, last_used_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)";
        // Sign-ins on record before this one (counted up to 2), and whether one was from this device lately.
        const SEEN: &str = "SELECT \
             (SELECT COUNT(*) FROM (SELECT 1 FROM activity WHERE user_id = $1 AND kind = $2 LIMIT 2) earlier) AS earlier, \
             EXISTS (SELECT 1 FROM activity WHERE user_id = $1 AND kind = $2 AND device = $3 AND created_at > $4) AS known";
        let lock = match (self, record.notice) {
            (Db::Postgres(_), Some(_)) => Some("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE"),
            _ => None,
        };
        let event = record.event;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(sql) = lock {
                sqlx::query(sql).bind(s.user_id).execute(&mut *tx).await?;
            }
            sqlx::query(SQL)
                .bind(s.id).bind(s.user_id).bind(s.token_version).bind(s.now).bind(s.expires_at)
                .bind(s.user_agent).bind(s.ip)
                .execute(&mut *tx).await?;
            let notice = match record.notice {
                Some(mail) => {
                    let (earlier, known): (i64, bool) = sqlx::query_as(SEEN)
                        .bind(s.user_id).bind(event.kind.as_str()).bind(event.device.as_deref()).bind(record.seen_since)
                        .fetch_one(&mut *tx).await?;
                    (earlier >= 2 && !known).then_some(mail)
                }
                None => None,
            };
            record!(tx, s.user_id, event);
            if let Some(mail) = notice {
                insert_mails!(tx, [mail], s.now);
            }
            tx.commit().await?;
            Ok(notice.is_some())
        })
    }

    /// The user's live sessions, newest first: not expired, and begun at the user's current token version
    /// (a "sign out everywhere", password change or reset since then ended them).
    pub async fn list_sessions(
        &self,
        user_id: &str,
        token_version: i32,
        now: Ts,
    ) -> Result<Vec<SessionRow>, sqlx::Error> {
        const SQL: &str = "SELECT id, created_at, last_used_at, user_agent, ip FROM sessions \
             WHERE user_id = $1 AND token_version = $2 AND expires_at > $3 \
             ORDER BY created_at DESC, id DESC";
        on_pool!(self, pool => sqlx::query_as::<_, SessionRow>(SQL).bind(user_id).bind(token_version).bind(now).fetch_all(pool).await)
    }

    /// One session of the user, live or not (`None`: no such session of this user).
    pub async fn session(&self, id: &str, user_id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        const SQL: &str =
            "SELECT id, created_at, last_used_at, user_agent, ip FROM sessions WHERE id = $1 AND user_id = $2";
        on_pool!(self, pool => sqlx::query_as::<_, SessionRow>(SQL).bind(id).bind(user_id).fetch_optional(pool).await)
    }

    /// Ends one of the user's live sessions and records `event`, in one transaction; `false` when there is no
    /// such session (unknown, another user's, or already ended), and nothing is recorded.
    pub async fn end_session(
        &self,
        id: &str,
        user_id: &str,
        token_version: i32,
        now: Ts,
        event: &Event,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str =
            "DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND token_version = $3 AND expires_at > $4";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let ended = sqlx::query(SQL).bind(id).bind(user_id).bind(token_version).bind(now)
                .execute(&mut *tx).await?.rows_affected() > 0;
            if ended {
                record!(tx, user_id, event);
                tx.commit().await?;
            }
            Ok(ended)
        })
    }

    /// Sign-out of one token, in one transaction: its session (if it has one) is deleted, the token recorded as
    /// revoked until it would have expired anyway (what stops a seed-made token), and `event` recorded.
    pub async fn sign_out(
        &self,
        session_id: Option<&str>,
        token_id: &str,
        user_id: &str,
        expires_at: Ts,
        event: &Event,
    ) -> Result<(), sqlx::Error> {
        const REVOKE: &str = "INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_id) DO NOTHING";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(id) = session_id {
                sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&mut *tx).await?;
            }
            sqlx::query(REVOKE).bind(token_id).bind(user_id).bind(expires_at).execute(&mut *tx).await?;
            record!(tx, user_id, event);
            tx.commit().await
        })
    }

    pub async fn touch_session(&self, id: &str, now: Ts) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE sessions SET last_used_at = $2 WHERE id = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|_| ()))
    }

    pub(super) async fn purge_sessions(&self, now: Ts) -> Result<u64, sqlx::Error> {
        const SQL: &str = "DELETE FROM sessions WHERE expires_at < $1 \
             OR token_version <> (SELECT u.token_version FROM users u WHERE u.id = sessions.user_id)";
        on_pool!(self, pool => sqlx::query(SQL).bind(now).execute(pool).await.map(|r| r.rows_affected()))
    }
}
