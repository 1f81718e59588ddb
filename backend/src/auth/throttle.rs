//! Sliding-window throttling of sign-in, sign-up and password change, kept in the database (no Redis),
//! so every API process on one PostgreSQL sees the same counters, and they survive a restart.
//!
//! Each counted event is a row `(key, at)`; a limit is "at most N rows with this key in the last window".
//! The check is one indexed query and runs *before* any bcrypt work, so a flood of refused attempts
//! costs no CPU. Limits of 0 are off. Old rows are purged by [`crate::state::AppState::spawn_maintenance`].

use std::time::Duration;

use crate::{config::RateLimits, db::Db, error::ApiError};

use super::ClientIp;

/// One limit: the key it counts and how many events the window allows.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub max: u32,
}

/// Failed logins (and failed current-password checks) per (email, client).
pub fn failures_per_email_client(limits: &RateLimits, email: &str, client: ClientIp) -> Limit {
    Limit { key: format!("fail:email+client:{email}|{client}"), max: limits.login_failures_per_email_client }
}

/// Failed logins per client, whatever the email (a script trying many accounts).
pub fn failures_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit { key: format!("fail:client:{client}"), max: limits.login_failures_per_client }
}

/// Every login attempt on one email from all clients (a distributed attack on one account).
pub fn logins_per_email(limits: &RateLimits, email: &str) -> Limit {
    Limit { key: format!("login:email:{email}"), max: limits.logins_per_email }
}

pub fn registrations_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit { key: format!("register:client:{client}"), max: limits.registrations_per_client }
}

/// Refuses with 429 when any of `limits` is used up; `Retry-After` is when the oldest counted event of
/// the tightest limit leaves the window.
pub async fn check(db: &Db, limits: &[Limit], window: Duration, now: crate::db::Ts) -> Result<(), ApiError> {
    let active: Vec<&Limit> = limits.iter().filter(|l| l.max > 0).collect();
    if active.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = active.iter().map(|l| l.key.clone()).collect();
    let counts = db.attempt_counts(&keys, now.minus(window)).await?;
    let mut wait: Option<u64> = None;
    for (key, count, oldest) in counts {
        let Some(limit) = active.iter().find(|l| l.key == key) else { continue };
        if count >= i64::from(limit.max) {
            let frees_at = oldest.plus(window);
            let secs = (frees_at.0 - now.0).num_milliseconds().max(0) as u64;
            let secs = secs.div_ceil(1000).max(1);
            wait = Some(wait.map_or(secs, |w| w.max(secs)));
        }
    }
    match wait {
        Some(retry_after) => Err(ApiError::TooManyAttempts { retry_after }),
        None => Ok(()),
    }
}

/// Counts one event against each limit that is on.
pub async fn record(db: &Db, limits: &[Limit], now: crate::db::Ts) -> Result<(), ApiError> {
    let keys: Vec<String> = limits.iter().filter(|l| l.max > 0).map(|l| l.key.clone()).collect();
    Ok(db.record_attempts(&keys, now).await?)
}

/// A success clears the failures of that (email, client) pair.
pub async fn clear(db: &Db, limit: &Limit) -> Result<(), ApiError> {
    Ok(db.clear_attempts(&limit.key).await?)
}
