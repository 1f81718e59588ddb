//! What every flow and handler shares: settings, the database, token keys, the hashing pool, the password
//! rules, the cipher and the one clock.

use std::{ops::Deref, sync::Arc, time::Duration};

use tokio_util::task::TaskTracker;

use crate::{
    auth::{
        cipher::DataCipher,
        email_code::CodeKey,
        hasher::Hasher,
        jwt::Tokens,
        oidc::Providers,
        passkey::RelyingParty,
        policy::Passwords,
        scheme::Scheme,
        throttle::{Attempt, Limit},
    },
    clock::Clock,
    config::Settings,
    db::Db,
    error::ApiError,
    mail::MailWorker,
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
    pub clock: Arc<Clock>,
    /// DATA_ENCRYPTION_KEY: encrypts two-factor secrets at rest. `None` without a key (PostgreSQL with the
    /// seed's variables only): two-factor set-up is off.
    pub cipher: Option<DataCipher>,
    /// The key of one-time email codes' hashes (derived from JWT_SECRET, shared by every process).
    pub email_codes: CodeKey,
    /// The OpenID Connect providers (`OIDC_PROVIDERS`), with what this process has read of each.
    pub oidc: Providers,
    /// The relying party of passkey ceremonies (`WEBAUTHN_*`); `None` when no origin of the web app can hold
    /// passkeys of the RP id (passkey routes answer 503).
    pub passkeys: Option<RelyingParty>,
    /// Work a request starts and does not wait for (the look-up and mail of a forgot-password request):
    /// shutdown waits for it before closing the pool, and tests wait for it instead of sleeping.
    pub background: TaskTracker,
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
        let scheme = Scheme::configured(settings.password_hash, settings.bcrypt_cost);
        let hasher = Hasher::new(scheme, settings.hash_workers, settings.hash_queue);
        let passwords =
            Passwords::new(hasher.clone(), settings.pwned_passwords_url.as_deref(), settings.pwned_passwords_timeout);
        let cipher = settings
            .data_encryption_key
            .as_ref()
            .map(|key| DataCipher::new(key, &settings.data_encryption_previous_keys));
        let oidc = Providers::new(&settings.oidc_providers);
        let email_codes = CodeKey::new(&settings.jwt_secret);
        let passkeys = RelyingParty::new(&settings.webauthn);
        AppState(Arc::new(Inner {
            settings,
            db,
            tokens,
            hasher,
            passwords,
            clock: Arc::new(Clock::default()),
            cipher,
            email_codes,
            oidc,
            passkeys,
            background: TaskTracker::new(),
        }))
    }

    /// Background upkeep, every minute from start-up: the dummy hash for unknown-email logins of the
    /// stored hashes' kind (off the start-up path), and a purge of expired throttle rows, revocations and
    /// account history older than `ACTIVITY_RETENTION_DAYS`.
    pub fn spawn_maintenance(&self) {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                state.follow_stored_hashes().await;
                let _ = state.hasher.dummy_hash().await;
                if let Err(e) = state.purge_expired().await {
                    tracing::warn!(error = %e, "purge of old throttle rows and history failed");
                }
                if let Err(e) = state.db.purge_mfa_challenges(state.clock.now()).await {
                    tracing::warn!(error = %e, "purge of expired two-factor challenges failed");
                }
                if let Err(e) = state.db.purge_oidc_flows(state.clock.now()).await {
                    tracing::warn!(error = %e, "purge of expired provider sign-in flows failed");
                }
                if let Err(e) = state.db.purge_passkey_ceremonies(state.clock.now()).await {
                    tracing::warn!(error = %e, "purge of expired passkey ceremonies failed");
                }
            }
        });
    }

    /// One round of the minutely purge: throttle events older than the window (by the app's clock),
    /// revocations of tokens that have expired anyway, and events of the accounts' history older than
    /// `ACTIVITY_RETENTION_DAYS`. Returns the number of rows removed.
    pub async fn purge_expired(&self) -> Result<u64, sqlx::Error> {
        let now = self.clock.now();
        let before = now.minus(self.settings.rate_limits.window.max(crate::config::TASK_CREATE_WINDOW));
        let history = self.db.purge_activity(now.minus(self.settings.activity_retention)).await?;
        Ok(self.db.purge(before, now).await? + history)
    }
}

impl AppState {
    /// Counts one attempt against each limit that is on, or refuses with 429 (and counts nothing) when any
    /// of them is used up: [`Attempt::reserve`] on this app's database, window and clock.
    pub async fn reserve(&self, limits: &[Limit]) -> Result<Attempt, ApiError> {
        Attempt::reserve(&self.db, limits, self.settings.rate_limits.window, self.clock.now()).await
    }

    /// This process's mail delivery worker, on this app's database, clock and mail settings.
    pub fn mail_worker(&self) -> Result<MailWorker, String> {
        MailWorker::new(self.db.clone(), self.clock.clone(), self.settings.mail.clone())
    }

    /// Sets the unknown-email verification's kind to the most common kind among (a sample of) the stored
    /// hashes: with `BCRYPT_COST=10` over a seed database of cost-12 hashes, "no such email" must take as
    /// long as a wrong password, not a quarter of it; after `PASSWORD_HASH=argon2id` has turned most hashes
    /// into Argon2id, as long as an Argon2id verification, not a bcrypt one.
    pub async fn follow_stored_hashes(&self) {
        let Ok(hashes) = self.db.sample_password_hashes(200).await else { return };
        let mut counts = std::collections::HashMap::<Scheme, usize>::new();
        for scheme in hashes.iter().filter_map(|h| Scheme::of_stored(h)) {
            *counts.entry(scheme).or_default() += 1;
        }
        // The refusal floor covers every kind the sample holds, measured before a sign-in meets one.
        self.hasher.calibrate(counts.keys().copied().chain([self.hasher.scheme()])).await;
        // Ties go to the configured kind, then to the costlier bcrypt.
        let configured = self.hasher.scheme();
        let typical = counts.into_iter().max_by_key(|&(scheme, n)| {
            (
                n,
                scheme == configured,
                match scheme {
                    Scheme::Bcrypt { cost } => cost,
                    Scheme::Argon2id => 0,
                },
            )
        });
        self.hasher.set_dummy_scheme(typical.map_or(configured, |(scheme, _)| scheme));
    }
}
