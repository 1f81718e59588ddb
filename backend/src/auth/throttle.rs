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
//! let attempt = state.reserve(&throttle::sign_in(limits, &email, client)).await?; // 429 here, before any work
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

use crate::{clock::Ts, config::RateLimits, db::Db, error::ApiError};

use super::ClientIp;

/// One limit: the key it counts, how many events the window allows, and what a success does to this
/// attempt's event. Every limit of the API is made by one function below, which says all three.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub max: u32,
    pub on_success: OnSuccess,
}

// ---------- sign-in and every check of a password ----------

/// Failed password checks (sign-in, or the current password of a change) per (email, client); a success
/// clears them.
pub fn failures_per_email_client(limits: &RateLimits, email: &str, client: ClientIp) -> Limit {
    Limit {
        key: format!("fail:email+client:{email}|{client}"),
        max: limits.login_failures_per_email_client,
        on_success: OnSuccess::Clear,
    }
}

/// Failed checks per client, whatever the email or code (a script trying many accounts); only failures
/// count.
pub fn failures_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit {
        key: format!("fail:client:{client}"),
        max: limits.login_failures_per_client,
        on_success: OnSuccess::Release,
    }
}

/// Every sign-in attempt on one email from all clients (a distributed attack on one account); successes
/// count too.
pub fn logins_per_email(limits: &RateLimits, email: &str) -> Limit {
    Limit { key: format!("login:email:{email}"), max: limits.logins_per_email, on_success: OnSuccess::Keep }
}

/// Failed current-password checks on one account from all clients (a stolen token guessing the password
/// from many addresses); only failures count.
pub fn password_failures_per_account(limits: &RateLimits, user_id: &str) -> Limit {
    Limit {
        key: format!("fail:account:{user_id}"),
        max: limits.password_failures_per_account,
        on_success: OnSuccess::Release,
    }
}

/// A sign-in with a password: every attempt on the email, failures per (email, client) and per client.
pub fn sign_in(limits: &RateLimits, email: &str, client: ClientIp) -> Vec<Limit> {
    vec![
        logins_per_email(limits, email),
        failures_per_email_client(limits, email, client),
        failures_per_client(limits, client),
    ]
}

/// The current password of a signed-in account (a change of password or address, two-factor set-up):
/// failures per (email, client), per client and per account.
pub fn current_password(limits: &RateLimits, email: &str, client: ClientIp, user_id: &str) -> Vec<Limit> {
    vec![
        failures_per_email_client(limits, email, client),
        failures_per_client(limits, client),
        password_failures_per_account(limits, user_id),
    ]
}

/// Wrong two-factor codes: per user (whichever client sends them, as many as a password allows per email and
/// client) and per client (shared with failed sign-ins); only failures count.
pub fn second_factor(limits: &RateLimits, user_id: &str, client: ClientIp) -> Vec<Limit> {
    vec![
        Limit {
            key: format!("fail:2fa:user:{user_id}"),
            max: limits.login_failures_per_email_client,
            on_success: OnSuccess::Release,
        },
        failures_per_client(limits, client),
    ]
}

// ---------- what every request counts, whatever its outcome ----------

/// What tells a registered address from a free one — a registration, or a change of address (both answer
/// "Email already registered") — per client: one budget for both, so change-email tells addresses apart no
/// sooner than registration does.
pub fn address_probes_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit { key: format!("probe:client:{client}"), max: limits.registrations_per_client, on_success: OnSuccess::Keep }
}

/// Task creations of one user (a script filling the database; the window is
/// [`crate::config::TASK_CREATE_WINDOW`]).
pub fn task_creates_per_user(limits: &RateLimits, user_id: &str) -> Limit {
    Limit { key: format!("create:user:{user_id}"), max: limits.task_creates_per_minute, on_success: OnSuccess::Keep }
}

/// Password-reset requests, counted whether or not an account has the address: per client; per (address,
/// client), so one client asking for someone's resets does not block the owner's own request from elsewhere;
/// and per address from all clients, at four times that, so many clients together still mail one inbox a
/// bounded number of times.
pub fn forgot_password(limits: &RateLimits, email: &str, client: ClientIp) -> Vec<Limit> {
    mail_requests(limits, "forgot", email, client)
}

/// One-time email code requests: counted like password-reset requests ([`forgot_password`]), under keys of
/// their own, so asking for codes spends no reset budget and the other way round.
pub fn email_code_requests(limits: &RateLimits, email: &str, client: ClientIp) -> Vec<Limit> {
    mail_requests(limits, "code", email, client)
}

/// The limits of a request that mails a link or a code to an address given by an anonymous client (`kind`
/// names the request in the keys).
fn mail_requests(limits: &RateLimits, kind: &str, email: &str, client: ClientIp) -> Vec<Limit> {
    let per_email = limits.mail_requests_per_email;
    vec![
        Limit {
            key: format!("mail:{kind}:client:{client}"),
            max: limits.mail_requests_per_client,
            on_success: OnSuccess::Keep,
        },
        Limit {
            key: format!("mail:{kind}:email+client:{email}|{client}"),
            max: per_email,
            on_success: OnSuccess::Keep,
        },
        Limit {
            key: format!("mail:{kind}:email:{email}"),
            max: per_email.saturating_mul(4),
            on_success: OnSuccess::Keep,
        },
    ]
}

/// Guesses of a one-time email code: wrong ones per address from all clients (what bounds an attack on one
/// account's codes, whatever the number of clients: with the defaults 10 guesses of 10^6 per window) and per
/// client (shared with failed sign-ins). Each guess is counted before the code is compared.
pub fn email_code_guesses(limits: &RateLimits, email: &str, client: ClientIp) -> Vec<Limit> {
    vec![
        Limit {
            key: format!("fail:code:email:{email}"),
            max: limits.email_code_failures_per_email,
            on_success: OnSuccess::Release,
        },
        failures_per_client(limits, client),
    ]
}

/// A change of address, once the password was right: per account (the notices to its own address), per
/// target address (the links mailed to someone else's), and per client as an address probe.
pub fn change_email(limits: &RateLimits, user_id: &str, new_email: &str, client: ClientIp) -> Vec<Limit> {
    let max = limits.mail_requests_per_email;
    vec![
        Limit { key: format!("mail:change:user:{user_id}"), max, on_success: OnSuccess::Keep },
        Limit { key: format!("mail:change:to:{new_email}"), max, on_success: OnSuccess::Keep },
        address_probes_per_client(limits, client),
    ]
}

/// Provider sign-ins and links started per client, whatever their outcome: each keeps a pending flow for
/// ten minutes.
pub fn oidc_starts_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit {
        key: format!("oidc:start:client:{client}"),
        max: limits.oidc_starts_per_client,
        on_success: OnSuccess::Keep,
    }
}

/// Passkey sign-ins started per client, whatever their outcome: each keeps a pending challenge for five
/// minutes.
pub fn passkey_starts_per_client(limits: &RateLimits, client: ClientIp) -> Limit {
    Limit {
        key: format!("passkey:start:client:{client}"),
        max: limits.passkey_starts_per_client,
        on_success: OnSuccess::Keep,
    }
}

/// Verification links sent again, per account.
pub fn verification_mails(limits: &RateLimits, user_id: &str) -> Limit {
    Limit {
        key: format!("mail:verify:user:{user_id}"),
        max: limits.mail_requests_per_email,
        on_success: OnSuccess::Keep,
    }
}

// ---------- an account deleted ----------

/// The keys above that name an account, for deleting it with everything else of it (they hold its id or its
/// address): exact keys, and the beginnings of the keys that name its address and a client. Read from the
/// limit functions themselves, so a key written differently there is deleted the same way here. Not among
/// them: the change-email count per target address (`mail:change:to:…`), which protects a mailbox rather than
/// an account and counts every account's requests toward it; it leaves with its window.
pub fn account_keys(limits: &RateLimits, user_id: &str, email: &str) -> (Vec<String>, Vec<String>) {
    let any = ClientIp(None);
    let key = |limits: Vec<Limit>, at: usize| limits.into_iter().nth(at).map(|l| l.key).unwrap_or_default();
    let exact = vec![
        password_failures_per_account(limits, user_id).key,
        key(second_factor(limits, user_id, any), 0),
        task_creates_per_user(limits, user_id).key,
        verification_mails(limits, user_id).key,
        key(change_email(limits, user_id, email, any), 0),
        logins_per_email(limits, email).key,
        key(forgot_password(limits, email, any), 2),
        key(email_code_requests(limits, email, any), 2),
        key(email_code_guesses(limits, email, any), 0),
    ];
    let client = any.to_string();
    let prefixes = [
        failures_per_email_client(limits, email, any).key,
        key(forgot_password(limits, email, any), 1),
        key(email_code_requests(limits, email, any), 1),
    ]
    .into_iter()
    .map(|k| k.strip_suffix(client.as_str()).map(str::to_string).unwrap_or(k))
    .collect();
    (exact, prefixes)
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
    /// Per limit that is on: the row reserved for this attempt, and the limit.
    reserved: Vec<(i64, Limit)>,
}

impl Attempt {
    /// Counts one attempt against each limit that is on, or refuses with 429 (and counts nothing) when
    /// any of them is used up; `Retry-After` is when the oldest event of the fullest limit leaves the
    /// window. Atomic under concurrency, across processes sharing the database.
    /// (`AppState::reserve` calls this with the app's database, window and clock.)
    pub async fn reserve(db: &Db, limits: &[Limit], window: Duration, now: Ts) -> Result<Attempt, ApiError> {
        let active: Vec<&Limit> = limits.iter().filter(|l| l.max > 0).collect();
        let keys: Vec<(String, i64)> = active.iter().map(|l| (l.key.clone(), i64::from(l.max))).collect();
        let since = now.minus(window);
        match db.reserve_attempts(&keys, since, now).await? {
            Some(ids) => {
                let reserved = active.into_iter().zip(ids).map(|(l, id)| (id, l.clone())).collect();
                Ok(Attempt { db: db.clone(), reserved })
            }
            None => {
                let limits: Vec<Limit> = active.into_iter().cloned().collect();
                Err(ApiError::TooManyAttempts { retry_after: retry_after(db, &limits, window, now).await? })
            }
        }
    }

    /// The guarded work succeeded: events of [`OnSuccess::Release`] limits are removed, keys of
    /// [`OnSuccess::Clear`] limits emptied.
    pub async fn succeeded(self) -> Result<(), ApiError> {
        let release: Vec<i64> =
            self.reserved.iter().filter(|(_, l)| l.on_success == OnSuccess::Release).map(|(id, _)| *id).collect();
        let clear: Vec<String> = self
            .reserved
            .iter()
            .filter(|(_, l)| l.on_success == OnSuccess::Clear)
            .map(|(_, l)| l.key.clone())
            .collect();
        Ok(self.db.release_attempts(&release, &clear).await?)
    }

    /// The guarded work failed: the attempt stays counted against every limit.
    pub fn failed(self) {}

    /// Ends the attempt by the outcome of the work it guarded: [`Attempt::succeeded`] when `ok`, else
    /// [`Attempt::failed`].
    pub async fn settle(self, ok: bool) -> Result<(), ApiError> {
        if ok {
            self.succeeded().await
        } else {
            self.failed();
            Ok(())
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RateLimits {
        RateLimits {
            login_failures_per_email_client: 5,
            login_failures_per_client: 50,
            logins_per_email: 30,
            registrations_per_client: 10,
            password_failures_per_account: 10,
            mail_requests_per_email: 5,
            mail_requests_per_client: 20,
            task_creates_per_minute: 600,
            oidc_starts_per_client: 60,
            email_code_failures_per_email: 10,
            passkey_starts_per_client: 300,
            window: Duration::from_secs(900),
        }
    }

    #[test]
    fn an_accounts_keys_are_every_key_naming_its_id_or_its_address() {
        let (l, id, email) = (limits(), "4f1c-id", "ada@example.com");
        let client = ClientIp(Some("203.0.113.7".parse().unwrap()));
        let (exact, prefixes) = account_keys(&l, id, email);
        let covered =
            |key: &str| exact.iter().any(|k| k == key) || prefixes.iter().any(|p| key.starts_with(p.as_str()));
        let mut of_account: Vec<Limit> = sign_in(&l, email, client);
        of_account.extend(current_password(&l, email, client, id));
        of_account.extend(second_factor(&l, id, client));
        of_account.extend(forgot_password(&l, email, client));
        of_account.extend(change_email(&l, id, email, client));
        of_account.extend(email_code_requests(&l, email, client));
        of_account.extend(email_code_guesses(&l, email, client));
        of_account.extend([task_creates_per_user(&l, id), verification_mails(&l, id)]);
        for limit in of_account {
            let mailbox = limit.key.starts_with("mail:change:to:");
            let names_it = (limit.key.contains(id) || limit.key.contains(email)) && !mailbox;
            assert_eq!(covered(&limit.key), names_it, "{}", limit.key);
        }
        assert_eq!(
            prefixes,
            [
                "fail:email+client:ada@example.com|",
                "mail:forgot:email+client:ada@example.com|",
                "mail:code:email+client:ada@example.com|"
            ]
        );
        // Another address that begins like this one is not touched.
        assert!(!covered("fail:email+client:ada@example.com.evil|203.0.113.7"));
    }
}
