//! The `sessions` table: one row per sign-in (see migrations/*/0007_sessions.sql). The per-request check
//! reads it inside the current-user query ([`Db::session_user`], [`Db::session_tasks`]); this module holds
//! the rest: create, list, end, refresh "last used", purge.

use super::Db;
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

impl Db {
    pub async fn create_session(&self, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO sessions \
             (id, user_id, token_version, created_at, last_used_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(s.id).bind(s.user_id).bind(s.token_version).bind(s.now).bind(s.expires_at)
            .bind(s.user_agent).bind(s.ip)
            .execute(pool).await.map(|_| ()))
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

    /// Ends one of the user's live sessions; `false` when there is no such session (unknown, another
    /// user's, or already ended).
    pub async fn end_session(&self, id: &str, user_id: &str, token_version: i32, now: Ts) -> Result<bool, sqlx::Error> {
        const SQL: &str =
            "DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND token_version = $3 AND expires_at > $4";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).bind(token_version).bind(now)
            .execute(pool).await.map(|r| r.rows_affected() > 0))
    }

    /// Ends a session whoever's it is (sign-out of the token that carries it).
    pub async fn delete_session(&self, id: &str) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(pool).await.map(|_| ()))
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
