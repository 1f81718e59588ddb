//! The only module that speaks SQL.
//!
//! One pool per database kind, chosen by `DATABASE_URL`. Every query is written once: the SQL is
//! portable (`$1` placeholders work on both, `RETURNING` too) and [`on_pool!`] expands the same body for
//! each pool type. The one type that differs between the two, a naive-UTC timestamp, is [`Ts`], which
//! encodes itself the way the seed's SQLModel stored it on each database.
//!
//! Ownership is part of every task query (`WHERE id = $1 AND user_id = $2`): another user's task is
//! indistinguishable from a missing one, and there is no look-up-then-act race.

use std::{path::Path, str::FromStr, time::Duration};

use chrono::{NaiveDateTime, Timelike, Utc};
use sqlx::{
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Decode, Encode, FromRow, PgPool, Postgres, Row, Sqlite, SqlitePool, Type, TypeInfo, Value, ValueRef,
};

use crate::config::{DatabaseUrl, Settings};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, whichever database this is.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// A timestamp in naive UTC, as the seed's columns hold it (`datetime.utcnow()`), to the microsecond.
/// SQLite stores it as text `YYYY-MM-DD HH:MM:SS.ffffff` with always six digits, so that text order is
/// time order and SQLAlchemy reads our rows back; PostgreSQL as `timestamp without time zone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub NaiveDateTime);

impl Ts {
    pub fn now() -> Ts {
        let now = Utc::now().naive_utc();
        Ts(now.with_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now))
    }
    pub fn from_unix(secs: i64) -> Ts {
        Ts(chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc())
    }
    pub fn plus(self, d: Duration) -> Ts {
        Ts(self.0 + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero()))
    }
    pub fn minus(self, d: Duration) -> Ts {
        Ts(self.0 - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero()))
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    /// Reads whatever a `NaiveDateTime` reads (text, integer or real columns).
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <NaiveDateTime as Type<Sqlite>>::compatible(ty)
    }
}
/// Rows decode straight into `Ts`. Our own text form (and SQLAlchemy's), `YYYY-MM-DD HH:MM:SS[.f…]`, is
/// read by [`parse_sqlite_text`]; anything else goes to sqlx's `NaiveDateTime` decoder, which tries RFC 3339
/// and a dozen strftime patterns in turn. That search was 18% of the instructions of `GET /api/tasks` on
/// SQLite (40 timestamps per 20-task page; see BENCHMARKS.md); the result is the same value either way.
impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        // For a row's value this is a reference-count increment, kept for the fallback.
        let owned = value.to_owned();
        if value.type_info().name() == "TEXT" {
            if let Some(t) = <&str as Decode<Sqlite>>::decode(value).ok().and_then(parse_sqlite_text) {
                return Ok(Ts(t));
            }
        }
        <NaiveDateTime as Decode<Sqlite>>::decode(owned.as_ref()).map(Ts)
    }
}

/// Exactly `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 digits, as sqlx's first matching pattern
/// (`%F %T%.f`) reads it; `None` for any other text (including a leap second), which is then left to sqlx.
fn parse_sqlite_text(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            num(20..b.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let (sec, min, hour) = (num(17..19)?, num(14..16)?, num(11..13)?);
    if sec > 59 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?.and_hms_nano_opt(hour, min, sec, nanos)
}
impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), buf)
    }
}
impl Type<Postgres> for Ts {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <NaiveDateTime as Type<Postgres>>::type_info()
    }
}
impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <NaiveDateTime as Decode<Postgres>>::decode(value).map(Ts)
    }
}
impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}
impl From<NaiveDateTime> for Ts {
    fn from(t: NaiveDateTime) -> Self {
        Ts(t)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub hashed_password: String,
    pub name: Option<String>,
    pub created_at: Ts,
    pub token_version: i32,
}

/// What the current-user check needs, in one round trip: the user (if still there), the token
/// version tokens must carry, and whether this very token was revoked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: Ts,
    pub token_version: i32,
    pub revoked: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub is_completed: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFilter {
    All,
    Pending,
    Completed,
}

/// A task change: `None` leaves a field as it is; `Some(None)` clears the description.
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
}

pub enum NewUser {
    Created(User),
    EmailTaken,
}

/// A pooled PostgreSQL connection idle for this long is pinged before a request gets it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

const USER_COLUMNS: &str = "id, email, hashed_password, name, created_at, token_version";
const TASK_COLUMNS: &str = "id, user_id, title, description, is_completed, created_at, updated_at";

impl Db {
    pub async fn connect(settings: &Settings) -> Result<Db, sqlx::Error> {
        match &settings.database {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                Ok(Db::Sqlite(sqlite_pool(path, settings).await?))
            }
            DatabaseUrl::Postgres(url) => {
                let statement_timeout = settings.db_statement_timeout.as_millis().to_string();
                let opts = PgConnectOptions::from_str(url)?
                    .application_name("todo-auth-api")
                    .options([("statement_timeout", statement_timeout.as_str())]);
                let pool = PgPoolOptions::new()
                    .max_connections(settings.db_max_connections)
                    .acquire_timeout(settings.db_acquire_timeout)
                    .idle_timeout(Duration::from_secs(300))
                    // A connection that died with the server is found out before a request gets it: one
                    // that sat idle for a second or more is pinged first. One in steady use is not: a ping
                    // on every acquire was two extra round trips per authenticated request (see
                    // BENCHMARKS.md), and a connection that breaks while in use is dropped by sqlx anyway.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_IF_IDLE_FOR {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_lazy_with(opts);
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Embedded migrations, run at start. On a seed database they only add (indexes, one defaulted
    /// column, new tables): see migrations/*/.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    // ---------- users ----------

    /// Inserts a user unless the email is taken. The unique index decides between concurrent
    /// registrations; the NOT EXISTS also catches a mixed-case row written by the seed.
    pub async fn create_user(
        &self,
        id: &str,
        email: &str,
        hashed_password: &str,
        name: Option<&str>,
        now: Ts,
    ) -> Result<NewUser, sqlx::Error> {
        let sql = format!(
            "INSERT INTO users (id, email, hashed_password, name, created_at, updated_at, token_version) \
             SELECT $1, $2, $3, $4, $5, $5, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2) \
             RETURNING {USER_COLUMNS}"
        );
        let result = on_pool!(self, pool => sqlx::query_as::<_, User>(&sql)
            .bind(id)
            .bind(email)
            .bind(hashed_password)
            .bind(name)
            .bind(now)
            .fetch_optional(pool)
            .await);
        match result {
            Ok(Some(user)) => Ok(NewUser::Created(user)),
            Ok(None) => Ok(NewUser::EmailTaken),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(NewUser::EmailTaken),
            Err(e) => Err(e),
        }
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

    /// The current-user check of every authenticated request, in one query.
    pub async fn session_user(&self, user_id: &str, token_id: &str) -> Result<Option<SessionUser>, sqlx::Error> {
        const SQL: &str = "SELECT id, email, name, created_at, token_version, \
             (SELECT COUNT(*) FROM revoked_tokens WHERE token_id = $2) AS revoked \
             FROM users WHERE id = $1";
        on_pool!(self, pool => sqlx::query_as::<_, SessionUser>(SQL).bind(user_id).bind(token_id).fetch_optional(pool).await)
    }

    /// Sets a new password hash and invalidates every token issued so far. Returns the new version.
    pub async fn set_password(&self, user_id: &str, hashed_password: &str, now: Ts) -> Result<i32, sqlx::Error> {
        const SQL: &str = "UPDATE users SET hashed_password = $2, updated_at = $3, \
             token_version = token_version + 1 WHERE id = $1 RETURNING token_version";
        on_pool!(self, pool => sqlx::query_scalar::<_, i32>(SQL).bind(user_id).bind(hashed_password).bind(now).fetch_one(pool).await)
    }

    /// Replaces a hash by a new one of the same password (rehash after sign-in), only if the row still
    /// holds `old` (a password changed meanwhile wins). Tokens and `updated_at` are left as they are.
    pub async fn rehash_password(&self, user_id: &str, old: &str, new: &str) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE users SET hashed_password = $3 WHERE id = $1 AND hashed_password = $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(old).bind(new).execute(pool).await.map(|r| r.rows_affected() == 1))
    }

    /// "Sign out everywhere": every token issued so far carries an older version from now on.
    pub async fn bump_token_version(&self, user_id: &str) -> Result<i32, sqlx::Error> {
        const SQL: &str = "UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version";
        on_pool!(self, pool => sqlx::query_scalar::<_, i32>(SQL).bind(user_id).fetch_one(pool).await)
    }

    /// Revokes one token until it would have expired anyway (then the row can go).
    pub async fn revoke_token(&self, token_id: &str, user_id: &str, expires_at: Ts) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_id) DO NOTHING";
        on_pool!(self, pool => sqlx::query(SQL).bind(token_id).bind(user_id).bind(expires_at).execute(pool).await.map(|_| ()))
    }

    // ---------- tasks ----------

    /// The current-user check and the user's tasks (newest first) in one query, for the API's most frequent
    /// request: one round trip instead of two (on PostgreSQL also one connection release, which sqlx follows
    /// with a ping). `None`: no such user. The user's columns are read from the first row only; a user
    /// without (matching) tasks is one row whose task columns are NULL.
    pub async fn session_tasks(
        &self,
        user_id: &str,
        token_id: &str,
        filter: TaskFilter,
    ) -> Result<Option<(SessionUser, Vec<Task>)>, sqlx::Error> {
        let condition = match filter {
            TaskFilter::All => "",
            TaskFilter::Pending => " AND t.is_completed = false",
            TaskFilter::Completed => " AND t.is_completed = true",
        };
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.created_at, u.token_version, \
             (SELECT COUNT(*) FROM revoked_tokens WHERE token_id = $2) AS revoked, \
             t.id AS task_id, t.title, t.description, t.is_completed, t.created_at AS task_created_at, \
             t.updated_at AS task_updated_at \
             FROM users u LEFT JOIN tasks t ON t.user_id = u.id{condition} \
             WHERE u.id = $1 ORDER BY t.created_at DESC, t.id DESC"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(user_id).bind(token_id).fetch_all(pool).await?;
            let Some(first) = rows.first() else { return Ok(None) };
            let user = SessionUser::from_row(first)?;
            let mut tasks = Vec::with_capacity(rows.len());
            // The task columns by position (6.., as selected): the list's hot loop skips name look-ups.
            for row in &rows {
                let Some(id) = row.try_get::<Option<String>, _>(6)? else { continue };
                tasks.push(Task {
                    id,
                    user_id: user.id.clone(),
                    title: row.try_get(7)?,
                    description: row.try_get(8)?,
                    is_completed: row.try_get(9)?,
                    created_at: row.try_get(10)?,
                    updated_at: row.try_get(11)?,
                });
            }
            Ok(Some((user, tasks)))
        })
    }

    pub async fn create_task(
        &self,
        id: &str,
        user_id: &str,
        title: &str,
        description: Option<&str>,
        now: Ts,
    ) -> Result<Task, sqlx::Error> {
        let sql = format!(
            "INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, false, $5, $5) RETURNING {TASK_COLUMNS}"
        );
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql)
            .bind(id).bind(user_id).bind(title).bind(description).bind(now)
            .fetch_one(pool).await)
    }

    pub async fn get_task(&self, id: &str, user_id: &str) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2");
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).fetch_optional(pool).await)
    }

    pub async fn update_task(
        &self,
        id: &str,
        user_id: &str,
        patch: &TaskPatch,
        now: Ts,
    ) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "UPDATE tasks SET title = COALESCE($3, title), \
             description = CASE WHEN $4 THEN $5 ELSE description END, updated_at = $6 \
             WHERE id = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
        );
        let set_description = patch.description.is_some();
        let description = patch.description.clone().flatten();
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql)
            .bind(id).bind(user_id).bind(patch.title.as_deref()).bind(set_description).bind(description.as_deref()).bind(now)
            .fetch_optional(pool).await)
    }

    pub async fn toggle_task(&self, id: &str, user_id: &str, now: Ts) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "UPDATE tasks SET is_completed = NOT is_completed, updated_at = $3 \
             WHERE id = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
        );
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).bind(now).fetch_optional(pool).await)
    }

    pub async fn delete_task(&self, id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
        const SQL: &str = "DELETE FROM tasks WHERE id = $1 AND user_id = $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await.map(|r| r.rows_affected() > 0))
    }

    // ---------- throttling ----------

    /// For each key: how many events since `since`, and the oldest of them.
    pub async fn attempt_counts(&self, keys: &[String], since: Ts) -> Result<Vec<(String, i64, Ts)>, sqlx::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (2..keys.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT key, COUNT(*), MIN(at) FROM auth_attempts WHERE at > $1 AND key IN ({}) GROUP BY key",
            placeholders.join(", ")
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, (String, i64, NaiveDateTime)>(&sql).bind(since);
            for k in keys {
                q = q.bind(k);
            }
            q.fetch_all(pool).await.map(|rows| rows.into_iter().map(|(k, n, t)| (k, n, Ts(t))).collect())
        })
    }

    pub async fn record_attempts(&self, keys: &[String], at: Ts) -> Result<(), sqlx::Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = (0..keys.len()).map(|i| format!("(${}, $1)", i + 2)).collect();
        let sql = format!("INSERT INTO auth_attempts (key, at) VALUES {}", values.join(", "));
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(at);
            for k in keys {
                q = q.bind(k);
            }
            q.execute(pool).await.map(|_| ())
        })
    }

    pub async fn clear_attempts(&self, key: &str) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM auth_attempts WHERE key = $1").bind(key).execute(pool).await.map(|_| ()))
    }

    /// Drops throttle events older than `before` and revocations of tokens that have expired anyway.
    pub async fn purge(&self, attempts_before: Ts, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => {
            let a = sqlx::query("DELETE FROM auth_attempts WHERE at < $1").bind(attempts_before).execute(pool).await?;
            let r = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now).execute(pool).await?;
            Ok(a.rows_affected() + r.rows_affected())
        })
    }
}

async fn sqlite_pool(path: &Path, settings: &Settings) -> Result<SqlitePool, sqlx::Error> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // WAL: readers never block the writer; with a busy timeout, concurrent writers queue instead of
        // failing with "database is locked". synchronous=NORMAL is durable across a process crash
        // (kill -9) in WAL mode; only an OS crash may lose the last commits.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(settings.db_statement_timeout)
        .foreign_keys(true)
        .statement_cache_capacity(256);
    SqlitePoolOptions::new()
        // A SQLite connection is a file handle in this process: nothing to lose on the way, so no ping
        // (a round trip to the connection's worker thread) before each use.
        .test_before_acquire(false)
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .acquire_timeout(settings.db_acquire_timeout)
        .connect_with(opts)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_timestamps_read_as_sqlx_reads_them() {
        let chrono = |s: &str| NaiveDateTime::parse_from_str(s, "%F %T%.f").ok();
        for s in [
            "2026-11-26 11:37:05.529698",
            "2026-11-26 11:37:05",
            "2026-11-26 11:37:05.5",
            "2026-11-26 11:37:05.123456789",
            "1999-12-31 23:59:59.000001",
            "2024-02-29 00:00:00.000000",
            "0001-01-01 00:00:00.0",
        ] {
            assert_eq!(parse_sqlite_text(s), chrono(s), "{s}");
            assert!(parse_sqlite_text(s).is_some(), "{s}");
        }
        // Anything else is left to sqlx's own decoder (which also reads RFC 3339, offsets, `T`, …).
        for s in [
            "2026-11-26T11:37:05.529698",
            "2026-11-26 11:37:05Z",
            "2026-11-26 11:37:05.",
            "2026-11-26 11:37:05.1234567890",
            "2026-11-26 11:37:60",
            "2023-02-29 00:00:00",
            "2026-13-01 00:00:00",
            "2026-1-01 00:00:00",
            "2026-11-26 24:00:00",
            "+2026-11-26 11:37:05",
            "2026-11-26 11:37",
            "",
        ] {
            assert_eq!(parse_sqlite_text(s), None, "{s}");
        }
    }
}
