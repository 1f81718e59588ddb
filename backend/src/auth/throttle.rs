//! Sliding-window throttling of sign-in, sign-up and password change, kept in the database (no Redis),
//! so every API process on one PostgreSQL (or one SQLite file) sees the same counters, and they survive
//! a restart.
//!
//! Each counted event is a row `(key, at)`; a limit is "at most N rows with this key in the last window".
//! Limits of 0 are off. Old rows are purged by the state's minutely maintenance (`AppState::spawn_maintenance`).
//!
//! # The one way to throttle a flow: [`Attempt`]
//!
//! ```ignore
//! let permit = state.hasher.admit()?;                      // hashing capacity first: no write if full
//! let attempt = state.reserve(&[
//!     (throttle::logins_per_email(limits, &email), OnSuccess::Keep),             // every attempt counts
//!     (throttle::failures_per_email_client(limits, &email, client), OnSuccess::Clear), // a success resets
//!     (throttle::failures_per_client(limits, client), OnSuccess::Release),       // only failures count
//! ]).await?;                                              // 429 here, before any work
//! if state.hasher.verify_with(permit, &password, &hash).await? {
//!     attempt.succeeded().await?;
//! } else {
//!     attempt.failed();
//! }
//! ```
//!
//! [`Attempt::reserve`] counts the attempt against every limit *before* the work it guards, in one atomic
//! step per database (see [`crate::db::Db::reserve_attempts`]): of a burst of simultaneous requests
//! exactly as many get through as the tightest limit has room for, on one process or many. An attempt is
//! therefore presumed failed until [`Attempt::succeeded`] says otherwise; one dropped without a verdict
//! (an error, a client gone) stays counted.

use std::time::Duration;

use crate::{
    config::RateLimits,
    db::{Db, Ts},
    error::ApiError,
};

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

/// Failed current-password checks on one account from all clients (a stolen token guessing the password
/// from many addresses).
pub fn password_failures_per_account(limits: &RateLimits, user_id: &str) -> Limit {
    Limit { key: format!("fail:account:{user_id}"), max: limits.password_failures_per_account }
}

/// Task creations of one user (a script filling the database; the window is
/// [`crate::config::TASK_CREATE_WINDOW`]).
pub fn task_creates_per_user(limits: &RateLimits, user_id: &str) -> Limit {
    Limit { key: format!("create:user:{user_id}"), max: limits.task_creates_per_minute }
}

/// What a success does to the event an [`Attempt`] reserved under one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSuccess {
    /// The event stays: the limit counts every attempt (sign-ins per email, registrations).
    Keep,
    /// This attempt's own event is removed: the limit counts failures only.
    Release,
    /// Every event of the key is removed: a success resets the failures (per email and client).
    Clear,
}

/// One attempt, counted against its limits before any work. End it with [`Attempt::succeeded`] or
/// [`Attempt::failed`]; dropping it keeps it counted as a failure.
#[must_use = "an attempt ends with succeeded() or failed()"]
pub struct Attempt {
    db: Db,
    /// Per limit that is on: the row reserved for this attempt and what a success does to it.
    reserved: Vec<(i64, Limit, OnSuccess)>,
}

impl Attempt {
    /// Counts one attempt against each limit that is on, or refuses with 429 (and counts nothing) when
    /// any of them is used up; `Retry-After` is when the oldest event of the fullest limit leaves the
    /// window. Atomic under concurrency, across processes sharing the database.
    /// (`AppState::reserve` calls this with the app's database, window and clock.)
    pub async fn reserve(
        db: &Db,
        limits: &[(Limit, OnSuccess)],
        window: Duration,
        now: Ts,
    ) -> Result<Attempt, ApiError> {
        let active: Vec<&(Limit, OnSuccess)> = limits.iter().filter(|(l, _)| l.max > 0).collect();
        let keys: Vec<(String, i64)> = active.iter().map(|(l, _)| (l.key.clone(), i64::from(l.max))).collect();
        let since = now.minus(window);
        match db.reserve_attempts(&keys, since, now).await? {
            Some(ids) => {
                let reserved = active.iter().zip(ids).map(|((l, on), id)| (id, l.clone(), *on)).collect();
                Ok(Attempt { db: db.clone(), reserved })
            }
            None => {
                let limits: Vec<Limit> = active.iter().map(|(l, _)| l.clone()).collect();
                Err(ApiError::TooManyAttempts { retry_after: retry_after(db, &limits, window, now).await? })
            }
        }
    }

    /// The guarded work succeeded: events of [`OnSuccess::Release`] limits are removed, keys of
    /// [`OnSuccess::Clear`] limits emptied.
    pub async fn succeeded(self) -> Result<(), ApiError> {
        let release: Vec<i64> =
            self.reserved.iter().filter(|(_, _, on)| *on == OnSuccess::Release).map(|(id, _, _)| *id).collect();
        let clear: Vec<String> =
            self.reserved.iter().filter(|(_, _, on)| *on == OnSuccess::Clear).map(|(_, l, _)| l.key.clone()).collect();
        Ok(self.db.release_attempts(&release, &clear).await?)
    }

    /// The guarded work failed: the attempt stays counted against every limit.
    pub fn failed(self) {}
}

/// Seconds until the fullest of `limits` has room again (at least 1).
async fn retry_after(db: &Db, limits: &[Limit], window: Duration, now: Ts) -> Result<u64, ApiError> {
    // Asked only for an answer 429: the metrics' count of throttle hits.
    metrics::counter!("throttle_hits_total").increment(1);
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    let counts = db.attempt_counts(&keys, now.minus(window)).await?;
    let mut wait: u64 = 1;
    for c in counts {
        let Some(limit) = limits.iter().find(|l| l.key == c.key) else { continue };
        if c.events >= i64::from(limit.max) {
            let frees_at = c.oldest.plus(window);
            let secs = (frees_at.0 - now.0).num_milliseconds().max(0) as u64;
            wait = wait.max(secs.div_ceil(1000).max(1));
        }
    }
    Ok(wait)
}
