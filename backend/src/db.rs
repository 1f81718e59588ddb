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

#[derive(Clone, Copy, Debug)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    /// Database operations under way that hold no connection: they wait for one.
    pub waiting: u32,
}

/// Database operations under way in this process (each holds at most one connection at a time), so that the
/// metrics can tell how many wait for a connection: those under way minus the connections in use.
static IN_FLIGHT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Counts one database operation for as long as it lives.
pub(crate) struct InFlight;

impl InFlight {
    pub(crate) fn enter() -> InFlight {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool, whichever database this is, counted in [`InFlight`].
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {{
        let _in_flight = $crate::db::InFlight::enter();
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    }};
}
pub(crate) use on_pool;

pub mod sessions;
pub use sessions::SessionRow;
mod two_factor;
pub use two_factor::{MfaChallenge, TwoFactorRow};

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
    pub email_verified_at: Option<Ts>,
    pub two_factor_enabled: bool,
}

/// What the current-user check needs, in one round trip: the user (if still there), the token
/// version tokens must carry, whether this very token was revoked or its session ended (`revoked` > 0),
/// and when its session was last used (to refresh that at most once a minute).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: Ts,
    pub token_version: i32,
    pub revoked: i64,
    pub session_last_used: Option<Ts>,
    pub email_verified_at: Option<Ts>,
    /// Read by `session_user`; `session_tasks` leaves it false (the task list answers no user).
    #[sqlx(default)]
    pub two_factor_enabled: bool,
}

/// The part of the current-user query that reads the token's revocation and its session (`$2` the token
/// id, `$3` the session id or `''` for a token without one); joined as `s` on the users row `u`.
const SESSION_CHECK_COLUMNS: &str = "(SELECT COUNT(*) FROM revoked_tokens WHERE token_id = $2) \
     + CASE WHEN $3 <> '' AND s.id IS NULL THEN 1 ELSE 0 END AS revoked, s.last_used_at AS session_last_used";
const SESSION_JOIN: &str = "LEFT JOIN sessions s ON s.id = $3 AND s.user_id = u.id";

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

impl TaskFilter {
    /// The filter as SQL on the tasks table aliased `t`.
    fn condition(self) -> &'static str {
        match self {
            TaskFilter::All => "",
            TaskFilter::Pending => " AND t.is_completed = false",
            TaskFilter::Completed => " AND t.is_completed = true",
        }
    }
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

pub(crate) const USER_COLUMNS: &str =
    "id, email, hashed_password, name, created_at, token_version, two_factor_enabled, email_verified_at";
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

    /// Connections open and idle, and operations waiting for one, right now, for the metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match self {
            Db::Sqlite(pool) => (pool.size(), pool.num_idle() as u32),
            Db::Postgres(pool) => (pool.size(), pool.num_idle() as u32),
        };
        let in_use = size.saturating_sub(idle);
        let waiting = IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(in_use);
        PoolStats { size, idle, waiting }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    // ---------- users ----------

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
        verification: &crate::mail::TokenMail,
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
                    crate::mail::store::write_token_mail!(tx, verification, now);
                    tx.commit().await?;
                }
                Ok(user)
            })
        }
        .await;
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

    /// The current-user check of every authenticated request, in one query. `session_id` is `""` for a
    /// token without one.
    pub async fn session_user(
        &self,
        user_id: &str,
        token_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionUser>, sqlx::Error> {
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.created_at, u.token_version, u.two_factor_enabled, \
             {SESSION_CHECK_COLUMNS}, u.email_verified_at FROM users u {SESSION_JOIN} WHERE u.id = $1"
        );
        on_pool!(self, pool => sqlx::query_as::<_, SessionUser>(&sql).bind(user_id).bind(token_id).bind(session_id).fetch_optional(pool).await)
    }

    /// Up to `sample` stored password hashes (any rows: the dummy verification's cost is read from them).
    pub async fn sample_password_hashes(&self, sample: i64) -> Result<Vec<String>, sqlx::Error> {
        const SQL: &str = "SELECT hashed_password FROM users LIMIT $1";
        on_pool!(self, pool => sqlx::query_scalar::<_, String>(SQL).bind(sample).fetch_all(pool).await)
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
        session_id: &str,
        filter: TaskFilter,
        first: i64,
    ) -> Result<Option<(SessionUser, Vec<Task>)>, sqlx::Error> {
        let condition = filter.condition();
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.created_at, u.token_version, {SESSION_CHECK_COLUMNS}, \
             t.id AS task_id, t.title, t.description, t.is_completed, t.created_at AS task_created_at, \
             t.updated_at AS task_updated_at, u.email_verified_at \
             FROM users u {SESSION_JOIN} LEFT JOIN tasks t ON t.user_id = u.id{condition} \
             WHERE u.id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $4"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(user_id).bind(token_id).bind(session_id).bind(first).fetch_all(pool).await?;
            let Some(first) = rows.first() else { return Ok(None) };
            let user = SessionUser::from_row(first)?;
            let mut tasks = Vec::with_capacity(rows.len());
            // The task columns by position (7.., as selected): the list's hot loop skips name look-ups.
            for row in &rows {
                let Some(id) = row.try_get::<Option<String>, _>(7)? else { continue };
                tasks.push(Task {
                    id,
                    user_id: user.id.clone(),
                    title: row.try_get(8)?,
                    description: row.try_get(9)?,
                    is_completed: row.try_get(10)?,
                    created_at: row.try_get(11)?,
                    updated_at: row.try_get(12)?,
                });
            }
            Ok(Some((user, tasks)))
        })
    }

    /// Up to `limit` of the user's tasks (newest first) that come after `after` (the `(created_at, id)` of
    /// the last task already read: keyset order, so rows created meanwhile never shift what follows) or,
    /// without it, after skipping `offset` tasks.
    pub async fn tasks_page(
        &self,
        user_id: &str,
        filter: TaskFilter,
        after: Option<(Ts, &str)>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Task>, sqlx::Error> {
        let condition = filter.condition();
        let keyset = if after.is_some() { " AND (t.created_at < $4 OR (t.created_at = $4 AND t.id < $5))" } else { "" };
        let sql = format!(
            "SELECT t.id, t.user_id, t.title, t.description, t.is_completed, t.created_at, t.updated_at \
             FROM tasks t WHERE t.user_id = $1{condition}{keyset} \
             ORDER BY t.created_at DESC, t.id DESC LIMIT $2 OFFSET $3"
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, Task>(&sql).bind(user_id).bind(limit).bind(offset);
            if let Some((at, id)) = after {
                q = q.bind(at).bind(id);
            }
            q.fetch_all(pool).await
        })
    }

    /// How many of the user's tasks the filter matches.
    pub async fn count_tasks(&self, user_id: &str, filter: TaskFilter) -> Result<i64, sqlx::Error> {
        let sql = format!("SELECT COUNT(*) FROM tasks t WHERE t.user_id = $1{}", filter.condition());
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>(&sql).bind(user_id).fetch_one(pool).await)
    }

    /// Inserts a task unless the user already has `max` (then `None`), decided atomically: on SQLite the
    /// statement holds the write lock while it counts; on PostgreSQL a transaction-scoped advisory lock
    /// on the user is taken first, so simultaneous creates of one user (from any process) count in turn.
    pub async fn create_task(
        &self,
        id: &str,
        user_id: &str,
        title: &str,
        description: Option<&str>,
        now: Ts,
        max: i64,
    ) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) \
             SELECT $1, $2, $3, $4, false, $5, $5 \
             WHERE (SELECT COUNT(*) FROM tasks WHERE user_id = $2) < $6 RETURNING {TASK_COLUMNS}"
        );
        macro_rules! insert {
            () => {
                sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).bind(title).bind(description).bind(now).bind(max)
            };
        }
        match self {
            Db::Sqlite(pool) => insert!().fetch_optional(pool).await,
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let lock = advisory_lock_id(&format!("tasks:{user_id}"));
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
                let task = insert!().fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                Ok(task)
            }
        }
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

    /// Counts one event under each `(key, max)` only if every key has fewer than `max` events since
    /// `since`, atomically: `Some(ids)` of the rows made (in the order of `keys`), or `None` when a key is
    /// full (and nothing was written).
    ///
    /// SQLite: one `INSERT … SELECT` statement, which takes the database's write lock before it counts,
    /// so no other connection or process can insert in between. PostgreSQL: the same statement in a
    /// transaction that first takes a transaction-scoped advisory lock per key (in a fixed order, so two
    /// attempts never wait on each other crosswise); the statement's snapshot is taken after the locks,
    /// so it sees every event committed by the previous holder, whichever API process that was.
    pub async fn reserve_attempts(
        &self,
        keys: &[(String, i64)],
        since: Ts,
        at: Ts,
    ) -> Result<Option<Vec<i64>>, sqlx::Error> {
        if keys.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let values: Vec<String> = (0..keys.len()).map(|i| format!("(${}, ${})", 2 * i + 3, 2 * i + 4)).collect();
        let sql = format!(
            "WITH l(key, lim) AS (VALUES {}) \
             INSERT INTO auth_attempts (key, at) SELECT l.key, $1 FROM l \
             WHERE NOT EXISTS (SELECT 1 FROM l AS b WHERE \
             (SELECT COUNT(*) FROM auth_attempts a WHERE a.key = b.key AND a.at > $2) >= b.lim) \
             RETURNING id, key",
            values.join(", ")
        );
        macro_rules! insert {
            () => {{
                let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind(at).bind(since);
                for (key, max) in keys {
                    q = q.bind(key).bind(*max);
                }
                q
            }};
        }
        let rows = match self {
            Db::Sqlite(pool) => insert!().fetch_all(pool).await?,
            Db::Postgres(pool) => {
                let mut locks: Vec<i64> = keys.iter().map(|(k, _)| advisory_lock_id(k)).collect();
                locks.sort_unstable();
                locks.dedup();
                let mut tx = pool.begin().await?;
                for lock in locks {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
                }
                let rows = insert!().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
        };
        if rows.is_empty() {
            return Ok(None);
        }
        let mut rows: Vec<Option<(i64, String)>> = rows.into_iter().map(Some).collect();
        let ids = keys
            .iter()
            .map(|(key, _)| {
                let slot = rows.iter_mut().find(|r| r.as_ref().is_some_and(|(_, k)| k == key));
                slot.and_then(Option::take).map(|(id, _)| id).ok_or_else(|| sqlx::Error::RowNotFound)
            })
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(Some(ids))
    }

    /// Removes the events `ids` and every event of `keys` (a success undoing its failure reservations).
    pub async fn release_attempts(&self, ids: &[i64], keys: &[String]) -> Result<(), sqlx::Error> {
        if ids.is_empty() && keys.is_empty() {
            return Ok(());
        }
        let id_params: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let key_params: Vec<String> = (ids.len() + 1..=ids.len() + keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM auth_attempts WHERE id IN ({}) OR key IN ({})",
            if id_params.is_empty() { "NULL".to_string() } else { id_params.join(", ") },
            if key_params.is_empty() { "NULL".to_string() } else { key_params.join(", ") },
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            for key in keys {
                q = q.bind(key);
            }
            q.execute(pool).await.map(|_| ())
        })
    }

    /// Rows in `auth_attempts` (for the brute-force test and the scale benchmark).
    pub async fn count_attempts(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM auth_attempts").fetch_one(pool).await)
    }

    /// Drops throttle events older than `before`, revocations of tokens that have expired anyway, and
    /// sessions that expired or were ended by a newer token version.
    pub async fn purge(&self, attempts_before: Ts, now: Ts) -> Result<u64, sqlx::Error> {
        let sessions = self.purge_sessions(now).await?;
        on_pool!(self, pool => {
            let a = sqlx::query("DELETE FROM auth_attempts WHERE at < $1").bind(attempts_before).execute(pool).await?;
            let r = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now).execute(pool).await?;
            Ok(a.rows_affected() + r.rows_affected() + sessions)
        })
    }
}

/// A stable 64-bit advisory-lock id for a throttle key (the first 8 bytes of its SHA-256).
fn advisory_lock_id(key: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
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
