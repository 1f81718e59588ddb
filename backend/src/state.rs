//! What every handler shares: settings, the database, token keys, the bcrypt pool and a clock.

use std::{
    ops::Deref,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use crate::{
    auth::{jwt::Tokens, password::Hasher, policy::Passwords},
    config::Settings,
    db::{Db, Ts},
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub db: Db,
    pub tokens: Tokens,
    pub hasher: Arc<Hasher>,
    /// The password rules in front of `hasher` for every new password.
    pub passwords: Passwords,
    pub clock: Clock,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(settings: Settings, db: Db) -> AppState {
        let tokens = Tokens::new(&settings.jwt_secret, settings.jwt_algorithm, settings.access_token_expire);
        let hasher = Hasher::new(settings.password_hash, settings.hash_workers, settings.hash_queue);
        let passwords =
            Passwords::new(hasher.clone(), settings.pwned_passwords_url.as_deref(), settings.pwned_passwords_timeout);
        AppState(Arc::new(Inner { settings, db, tokens, hasher, passwords, clock: Clock::default() }))
    }

    /// Background upkeep: the dummy hash for unknown-email logins (made once, off the start-up path) and
    /// a periodic purge of expired throttle rows and revocations.
    pub fn spawn_maintenance(&self) {
        let hasher = self.hasher.clone();
        tokio::spawn(async move {
            let _ = hasher.dummy_hash().await;
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let now = state.clock.now();
                let before = now.minus(state.settings.rate_limits.window);
                if let Err(e) = state.db.purge(before, Ts::now()).await {
                    tracing::warn!(error = %e, "purge of old throttle rows failed");
                }
            }
        });
    }
}

/// The time throttling windows are measured in. Real time, plus an offset that tests move forward
/// instead of sleeping through a window.
#[derive(Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Ts {
        let now = Ts::now();
        let offset = self.offset_secs.load(Ordering::Relaxed);
        if offset == 0 {
            now
        } else {
            Ts(now.0 + chrono::Duration::seconds(offset))
        }
    }

    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }
}
