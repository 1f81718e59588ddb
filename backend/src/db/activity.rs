//! The account's history (`activity`, migration 0013): one row per event, written in the same transaction as
//! the change it reports. A db function that makes a change takes the [`Event`] its flow built and writes it with
//! [`record!`] inside its own transaction; a flow whose change has no transaction of its own calls
//! [`Db::record`]. Failed sign-ins go through [`Db::record_failed_sign_in`], which caps them; the minutely
//! upkeep purges old rows ([`Db::purge_activity`]); deleting the account removes the rest.

use super::Db;
use crate::clock::Ts;

/// What happened. The names are the contract's (`type` in `GET /api/auth/activity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    SignIn,
    SignInFailed,
    SignedOut,
    SessionEnded,
    PasswordChanged,
    PasswordReset,
    EmailChangeRequested,
    EmailChanged,
    EmailVerified,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodeUsed,
    /// Ten new recovery codes replaced the old ones (beyond the contract's list, which says "include").
    RecoveryCodesReplaced,
    PasskeyAdded,
    PasskeyRemoved,
    ProviderLinked,
    ProviderUnlinked,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SignIn => "sign_in",
            EventType::SignInFailed => "sign_in_failed",
            EventType::SignedOut => "signed_out",
            EventType::SessionEnded => "session_ended",
            EventType::PasswordChanged => "password_changed",
            EventType::PasswordReset => "password_reset",
            EventType::EmailChangeRequested => "email_change_requested",
            EventType::EmailChanged => "email_changed",
            EventType::EmailVerified => "email_verified",
            EventType::TwoFactorEnabled => "two_factor_enabled",
            EventType::TwoFactorDisabled => "two_factor_disabled",
            EventType::RecoveryCodeUsed => "recovery_code_used",
            EventType::RecoveryCodesReplaced => "recovery_codes_replaced",
            EventType::PasskeyAdded => "passkey_added",
            EventType::PasskeyRemoved => "passkey_removed",
            EventType::ProviderLinked => "provider_linked",
            EventType::ProviderUnlinked => "provider_unlinked",
        }
    }
}

/// Where and when a request happened: the app's clock, the client's address as throttling sees it, and its
/// `User-Agent` (as `flows::Device` cleaned it).
#[derive(Debug, Clone)]
pub struct Origin {
    pub at: Ts,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One event, not yet written: what happened, a short detail (never a secret), where and when. Whose account
/// it is on is given when it is written: a flow that completes a mailed link learns that only inside its
/// transaction.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub detail: Option<String>,
    pub origin: Origin,
    /// For a sign-in: its device (browser family and network), what new-device notices compare.
    pub device: Option<String>,
}

impl Event {
    pub fn new(kind: EventType, detail: Option<String>, origin: Origin) -> Event {
        Event { kind, detail, origin, device: None }
    }

    /// The same event of another kind and detail, from the same origin (a db function that decides what
    /// happened, e.g. a verification link that turns out to change the address).
    pub fn as_kind(&self, kind: EventType, detail: Option<String>) -> Event {
        Event { kind, detail, origin: self.origin.clone(), device: None }
    }
}

/// One event as stored, for `GET /api/auth/activity` and the export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub kind: String,
    pub created_at: Ts,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    /// Failed sign-ins folded into this one (see [`Db::record_failed_sign_in`]).
    pub repeats: i32,
}

/// Writes `$event` (an [`Event`]) on the account `$user_id` inside the transaction `$tx`: the one way an event
/// is stored.
macro_rules! record {
    ($tx:expr, $user_id:expr, $event:expr) => {{
        let event: &$crate::db::activity::Event = $event;
        sqlx::query(
            "INSERT INTO activity (user_id, kind, created_at, ip, user_agent, detail, device) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($user_id)
        .bind(event.kind.as_str())
        .bind(event.origin.at)
        .bind(event.origin.ip.as_deref())
        .bind(event.origin.user_agent.as_deref())
        .bind(event.detail.as_deref())
        .bind(event.device.as_deref())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use record;

/// How failed sign-ins are kept ([`Db::record_failed_sign_in`]).
#[derive(Debug, Clone, Copy)]
pub struct FailureCap {
    /// Rows per account in any hour; further failures in that hour count on the newest row.
    pub per_hour: i64,
    /// Rows per account in all; the oldest go beyond it.
    pub kept: i64,
}

impl Db {
    /// Writes one event in a transaction of its own: for a flow whose change has none.
    pub async fn record(&self, user_id: &str, event: &Event) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            record!(tx, user_id, event);
            tx.commit().await
        })
    }

    /// A failed sign-in on the account `user_id`, capped so that an attack cannot grow the table without bound:
    /// at most `cap.per_hour` rows in any hour (a failure beyond counts in the newest row's `repeats`), and at
    /// most `cap.kept` in all (the oldest failures go). Failures of one account are written one at a time: on
    /// PostgreSQL the user's row is locked first, and on SQLite the first statement is a write, which holds
    /// the database's write lock to the end of the transaction.
    pub async fn record_failed_sign_in(
        &self,
        user_id: &str,
        event: &Event,
        cap: FailureCap,
    ) -> Result<(), sqlx::Error> {
        let lock = match self {
            Db::Postgres(_) => Some("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE"),
            Db::Sqlite(_) => None,
        };
        const FOLD: &str = "UPDATE activity SET repeats = repeats + 1 WHERE id = \
             (SELECT MAX(id) FROM activity WHERE user_id = $1 AND kind = $2) \
             AND (SELECT COUNT(*) FROM activity WHERE user_id = $1 AND kind = $2 AND created_at > $3) >= $4";
        const TRIM: &str = "DELETE FROM activity WHERE user_id = $1 AND kind = $2 AND id NOT IN \
             (SELECT id FROM activity WHERE user_id = $1 AND kind = $2 ORDER BY id DESC LIMIT $3)";
        let kind = event.kind.as_str();
        let hour_ago = event.origin.at.minus(std::time::Duration::from_secs(3600));
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(sql) = lock {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            let folded = sqlx::query(FOLD).bind(user_id).bind(kind).bind(hour_ago).bind(cap.per_hour)
                .execute(&mut *tx).await?.rows_affected() > 0;
            if !folded {
                record!(tx, user_id, event);
                sqlx::query(TRIM).bind(user_id).bind(kind).bind(cap.kept).execute(&mut *tx).await?;
            }
            tx.commit().await
        })
    }

    /// Up to `limit` of the account's events, newest first, older than the event `before` when given.
    pub async fn activity_page(
        &self,
        user_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, sqlx::Error> {
        const SQL: &str = "SELECT id, kind, created_at, ip, user_agent, detail, repeats FROM activity \
             WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        let before = before.unwrap_or(i64::MAX);
        on_pool!(self, pool => sqlx::query_as::<_, ActivityRow>(SQL).bind(user_id).bind(before).bind(limit).fetch_all(pool).await)
    }

    /// Drops events older than `before` (ACTIVITY_RETENTION_DAYS, from the minutely upkeep).
    pub async fn purge_activity(&self, before: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM activity WHERE created_at < $1").bind(before)
            .execute(pool).await.map(|r| r.rows_affected()))
    }
}
