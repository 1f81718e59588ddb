//! The users table, and the current-user check that reads a user with its token's revocation and session.

use super::{
    activity::{record, Event},
    Db, Purpose,
};
use crate::clock::Ts;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub hashed_password: String,
    pub name: Option<String>,
    pub created_at: Ts,
    pub token_version: i32,
    pub email_verified_at: Option<Ts>,
    pub two_factor_enabled: bool,
}

/// What the current-user check needs, in one round trip: the user (if still there), the token
/// version tokens must carry, whether this very token was revoked, and when its session was last used (to
/// refresh that at most once a minute; None when the token has no session or its session ended).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: Ts,
    pub token_version: i32,
    /// Read for a token without a session ([`session_check`]); 0 otherwise.
    #[sqlx(default)]
    pub revoked: i64,
    /// Read for a token with a session; None otherwise.
    #[sqlx(default)]
    pub session_last_used: Option<Ts>,
    /// These two are read by `session_user`; `session_tasks` leaves them out (the task list answers no user,
    /// and every column it selects is repeated on each task's row).
    #[sqlx(default)]
    pub email_verified_at: Option<Ts>,
    #[sqlx(default)]
    pub two_factor_enabled: bool,
}

impl SessionUser {
    /// Whether the token this row was read for ([`session_check`]) may no longer be used: for a token with
    /// a session, its session ended; for one without, it was revoked.
    pub fn refuses(&self, token_has_session: bool) -> bool {
        if token_has_session {
            self.session_last_used.is_none()
        } else {
            self.revoked > 0
        }
    }
}

/// The part of the current-user query that reads the token's revocation state (`$1` the user id, `$2` the
/// token id, `$3` its session id), as one sub-select that PostgreSQL runs once per query, not per row:
/// - a token with a session is revoked exactly when its session is gone (sign-out deletes it), so only the
///   session's row is probed, for its `last_used_at` (NULL: ended) — see [`SessionUser::refuses`];
/// - a token without one (the seed's) is looked up in `revoked_tokens`.
///
/// Two statements rather than one with a `CASE` on `$3`: each reads one table, and the joined form cost
/// PostgreSQL 14 % more CPU per task list than the round-1 query (BENCHMARKS.md, fourth session).
pub(super) fn session_check(session_id: &str) -> &'static str {
    if session_id.is_empty() {
        "(SELECT COUNT(*) FROM revoked_tokens WHERE token_id = $2) AS revoked"
    } else {
        "(SELECT last_used_at FROM sessions WHERE id = $3 AND user_id = $1) AS session_last_used"
    }
}

pub enum NewUser {
    Created(User),
    EmailTaken,
}

impl NewUser {
    /// The outcome of a transaction that inserts a user unless the address is taken (`None`): a unique
    /// violation means another request made an account with the address (or linked it) meanwhile.
    pub(crate) fn from_insert(result: Result<Option<User>, sqlx::Error>) -> Result<NewUser, sqlx::Error> {
        match result {
            Ok(Some(user)) => Ok(NewUser::Created(user)),
            Ok(None) => Ok(NewUser::EmailTaken),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(NewUser::EmailTaken),
            Err(e) => Err(e),
        }
    }
}

pub(crate) const USER_COLUMNS: &str =
    "id, email, hashed_password, name, created_at, token_version, two_factor_enabled, email_verified_at";

impl Db {
    /// Inserts a user unless the email is taken, with its verification link and mail in the same
    /// transaction. The unique index decides between concurrent registrations; the NOT EXISTS also
    /// catches a mixed-case row written by the seed.
    pub async fn create_user(
        &self,
        id: &str,
        email: &str,
        hashed_password: &str,
        name: Option<&str>,
        now: Ts,
        verification: &super::TokenMail,
    ) -> Result<NewUser, sqlx::Error> {
        let sql = format!(
            "INSERT INTO users (id, email, hashed_password, name, created_at, updated_at, token_version) \
             SELECT $1, $2, $3, $4, $5, $5, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2) \
             RETURNING {USER_COLUMNS}"
        );
        let result: Result<Option<User>, sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let user = sqlx::query_as::<_, User>(&sql)
                    .bind(id)
                    .bind(email)
                    .bind(hashed_password)
                    .bind(name)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if user.is_some() {
                    super::account_tokens::write_token_mail!(tx, verification, now);
                    tx.commit().await?;
                }
                Ok(user)
            })
        }
        .await;
        NewUser::from_insert(result)
    }

    /// Case-insensitive look-up; if a seed database holds two spellings, the exact one wins.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = $1 \
             ORDER BY CASE WHEN email = $1 THEN 0 ELSE 1 END, created_at LIMIT 1"
        );
        on_pool!(self, pool => sqlx::query_as::<_, User>(&sql).bind(email).fetch_optional(pool).await)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_pool!(self, pool => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(pool).await)
    }

    /// The current-user check of every authenticated request, in one query. `session_id` is `""` for a
    /// token without one.
    pub async fn session_user(
        &self,
        user_id: &str,
        token_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionUser>, sqlx::Error> {
        let check = session_check(session_id);
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.created_at, u.token_version, u.two_factor_enabled, \
             {check}, u.email_verified_at FROM users u WHERE u.id = $1"
        );
        on_pool!(self, pool => sqlx::query_as::<_, SessionUser>(&sql).bind(user_id).bind(token_id).bind(session_id).fetch_optional(pool).await)
    }

    /// Up to `sample` stored password hashes (any rows: the dummy verification's cost is read from them).
    pub async fn sample_password_hashes(&self, sample: i64) -> Result<Vec<String>, sqlx::Error> {
        const SQL: &str = "SELECT hashed_password FROM users LIMIT $1";
        on_pool!(self, pool => sqlx::query_scalar::<_, String>(SQL).bind(sample).fetch_all(pool).await)
    }

    /// Sets a new password hash, invalidates every token issued so far, ends every pending change of address and
    /// records `event`, in one transaction. Returns the new version.
    pub async fn set_password(
        &self,
        user_id: &str,
        hashed_password: &str,
        now: Ts,
        event: &Event,
    ) -> Result<i32, sqlx::Error> {
        const SQL: &str = "UPDATE users SET hashed_password = $2, updated_at = $3, \
             token_version = token_version + 1 WHERE id = $1 RETURNING token_version";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let version = sqlx::query_scalar::<_, i32>(SQL).bind(user_id).bind(hashed_password).bind(now)
                .fetch_one(&mut *tx).await?;
            super::account_tokens::supersede!(tx, user_id, Purpose::Change.as_str(), now);
            record!(tx, user_id, event);
            tx.commit().await?;
            Ok(version)
        })
    }

    /// Sets (or, `None`, clears) the user's name; returns the user as it is now (`None`: no such user).
    pub async fn set_name(&self, user_id: &str, name: Option<&str>, now: Ts) -> Result<Option<User>, sqlx::Error> {
        let sql = format!("UPDATE users SET name = $2, updated_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}");
        on_pool!(self, pool => sqlx::query_as::<_, User>(&sql).bind(user_id).bind(name).bind(now).fetch_optional(pool).await)
    }

    /// Replaces a hash by a new one of the same password (rehash after sign-in), only if the row still
    /// holds `old` (a password changed meanwhile wins). Tokens and `updated_at` are left as they are.
    pub async fn rehash_password(&self, user_id: &str, old: &str, new: &str) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE users SET hashed_password = $3 WHERE id = $1 AND hashed_password = $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(old).bind(new).execute(pool).await.map(|r| r.rows_affected() == 1))
    }

    /// "Sign out everywhere": every token issued so far carries an older version from now on, every pending
    /// change of address ends, and `event` is recorded (one transaction).
    pub async fn bump_token_version(&self, user_id: &str, now: Ts, event: &Event) -> Result<i32, sqlx::Error> {
        const SQL: &str = "UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let version = sqlx::query_scalar::<_, i32>(SQL).bind(user_id).fetch_one(&mut *tx).await?;
            super::account_tokens::supersede!(tx, user_id, Purpose::Change.as_str(), now);
            record!(tx, user_id, event);
            tx.commit().await?;
            Ok(version)
        })
    }
}
