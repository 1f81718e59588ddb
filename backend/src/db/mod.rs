//! The only module that speaks SQL: the pool and migrations here, one file per table (or group of tables)
//! beside it — `users.rs`, `tasks.rs`, `attempts.rs` (throttling and revocation upkeep), `sessions.rs`,
//! `two_factor.rs`, `outbox.rs` (mail waiting for delivery), `account_tokens.rs` (the tokens of mailed links
//! and the flows they complete), `email_codes.rs` (one-time sign-in codes), `identities.rs` (provider sign-in: pending flows and linked identities),
//! `passkeys.rs` (passkeys and their pending ceremonies),
//! `activity.rs` (the account's history, written in the transaction of each change) and `deletion.rs` (an account
//! and every row of it). The timestamp type, [`Ts`], is the clock's.
//!
//! One pool per database kind, chosen by `DATABASE_URL`. Every query is written once: the SQL is
//! portable (`$1` placeholders work on both, `RETURNING` too) and [`on_pool!`] expands the same body for
//! each pool type. The one type that differs between the two, a naive-UTC timestamp, is [`Ts`], which
//! encodes itself the way the seed's SQLModel stored it on each database.
//!
//! Ownership is part of every task query (`WHERE id = $1 AND user_id = $2`): another user's task is
//! indistinguishable from a missing one, and there is no look-up-then-act race.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};

use crate::config::{DatabaseUrl, Settings};

/// PostgreSQL's deadlock error (40P01): the transaction it ended was rolled back, and may be run again.
pub(crate) fn is_deadlock(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("40P01"))
}

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
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    }};
}

pub mod account_tokens;
pub mod activity;
mod attempts;
pub mod deletion;
pub mod email_codes;
pub mod identities;
pub mod outbox;
pub mod passkeys;
pub mod sessions;
mod tasks;
mod two_factor;
mod users;
pub use account_tokens::{Purpose, TokenMail, Verified};
pub use activity::{ActivityRow, Event, EventType, FailureCap, Origin};
pub use deletion::{Deletion, USER_TABLES};
pub use email_codes::{NewEmailCode, UsedCode};
pub use outbox::{Mail, OutboxCounts, OutboxRow};
pub use sessions::{SessionRow, SignInRecord};
pub use tasks::{Task, TaskFilter, TaskPatch};
pub use two_factor::{MfaChallenge, TwoFactorRow};
pub(crate) use users::USER_COLUMNS;
pub use users::{NewUser, SessionUser, User};

/// A pooled PostgreSQL connection idle for this long is pinged before a request gets it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

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
