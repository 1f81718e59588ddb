//! Signing in. Every way into an account — a password ([`password`]), registration, a changed password, the
//! second step of two-factor, and the ways round 3 adds — ends in [`finish_sign_in`]: a session, and a token
//! that carries it. A password that is right but not enough (two-factor on, or an address that must be
//! verified first) is an outcome, not an error: [`SignInOutcome`].

use super::{activity, sessions, Device};
use crate::{
    auth::{
        opaque::OpaqueToken,
        policy::{self, Owner},
        throttle, ClientIp,
    },
    db::{SignInRecord, User},
    error::{ApiError, ApiResult},
    state::AppState,
};

/// How long the second step of a sign-in (its `mfa_token`) stays usable.
pub const SECOND_FACTOR_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

const INVALID_CREDENTIALS: &str = "Invalid email or password";
pub const CURRENT_PASSWORD_INCORRECT: &str = "Current password is incorrect";

/// What a proof of the account led to.
pub enum SignInOutcome {
    /// A session and its token.
    SignedIn(SignedIn),
    /// The proof was right, and two-factor is on: the sign-in continues with a code and this token (opaque,
    /// single use, [`SECOND_FACTOR_TTL`]).
    SecondFactorRequired { mfa_token: String },
    /// The proof was right, and `REQUIRE_VERIFIED_EMAIL` is on while the address is not verified yet.
    Unverified,
}

/// A finished sign-in: the user, and the token of the new session.
pub struct SignedIn {
    pub user: User,
    pub access_token: String,
    /// The password just used breaks today's rules (only ever true for a password sign-in): the client
    /// may suggest a change. Computed from what was typed, stored nowhere.
    pub password_change_suggested: bool,
}

/// The way a sign-in was proved, for the log and the account's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    Registration,
    PasswordChange,
    SecondFactor,
    /// An OpenID Connect provider (`flows::oidc`).
    Provider,
    /// A one-time code mailed to the account's address (`flows::email_code`).
    EmailCode,
    /// A provider, then the two-factor step.
    ProviderAndSecondFactor,
    /// An emailed code, then the two-factor step.
    EmailCodeAndSecondFactor,
    /// A passkey (`flows::passkeys`): possession and user verification, two factors in one.
    Passkey,
}

impl Method {
    /// How the history says it (the `detail` of the `sign_in` event).
    pub fn label(self) -> &'static str {
        match self {
            Method::Password => "Password",
            Method::Registration => "New account",
            Method::PasswordChange => "New password",
            Method::SecondFactor => "Password and two-factor code",
            Method::Provider => "Identity provider",
            Method::EmailCode => "Emailed code",
            Method::ProviderAndSecondFactor => "Identity provider and two-factor code",
            Method::EmailCodeAndSecondFactor => "Emailed code and two-factor code",
            Method::Passkey => "Passkey",
        }
    }

    /// Whether a sign-in this way may mail a new-device notice: not the one registration makes (the account's
    /// first), nor the fresh session of a password change (made by a session that is signed in already).
    fn may_notify(self) -> bool {
        !matches!(self, Method::Registration | Method::PasswordChange)
    }

    /// How a two-factor step's challenge names its first proof (`mfa_challenges.first_factor`).
    fn first_factor_key(self) -> &'static str {
        match self {
            Method::Provider => "provider",
            Method::EmailCode => "email_code",
            _ => "password",
        }
    }

    /// The finished sign-in of a two-factor step whose first proof was `first_factor` (a challenge's).
    pub fn after_second_factor(first_factor: Option<&str>) -> Method {
        match first_factor {
            Some("provider") => Method::ProviderAndSecondFactor,
            Some("email_code") => Method::EmailCodeAndSecondFactor,
            _ => Method::SecondFactor,
        }
    }
}

/// The one place a sign-in is finished: a session for `user` at its current token version, and a token that
/// carries the session's id. In the session's transaction: the `sign_in` event on the account's history and,
/// when the device (browser family and network) has not signed in to the account for
/// [`activity::NEW_DEVICE_AFTER`], a "new sign-in" notice — except for the first sign-in after registration
/// (the account's second on record; registration's own sends none either).
pub async fn finish_sign_in(state: &AppState, device: &Device, user: User, how: Method) -> ApiResult<SignedIn> {
    let event = activity::sign_in_event(state, device, how.label());
    let notice =
        how.may_notify().then(|| activity::new_device_notice(state, &user.email.to_lowercase(), device, &event));
    let record = SignInRecord {
        event: &event,
        notice: notice.as_ref(),
        seen_since: event.origin.at.minus(activity::NEW_DEVICE_AFTER),
    };
    let session_id = sessions::start(state, device, &user.id, user.token_version, &record).await?;
    let access_token =
        state.tokens.issue(&user.id, &user.email, user.token_version, &session_id).map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, method = ?how, "signed in");
    Ok(SignedIn { user, access_token, password_change_suggested: false })
}

/// Sign-in with email and password. An unknown email and a wrong password get the same answer in the same
/// time (one verification either way). Throttled per (email, client), per client and per email.
pub async fn password(state: &AppState, device: &Device, email: &str, password: &str) -> ApiResult<SignInOutcome> {
    // Decided before any database write or hashing work: a flood beyond the hashing capacity is refused by a
    // semaphore's `try_acquire`, and a throttled one by one statement.
    let account_client = format!("{email}|{}", device.ip);
    let permit = state.hasher.admit_for(&account_client)?;
    let attempt = state.reserve(&throttle::sign_in(&state.settings.rate_limits, email, device.ip)).await?;

    let user = state.db.user_by_email(email).await?;
    let began = tokio::time::Instant::now();
    let verified = match &user {
        Some(user) => state.hasher.verify_with(permit, password, &user.hashed_password).await?,
        None => {
            state.hasher.verify_dummy_with(permit, password).await?;
            false
        }
    };
    let user = match user {
        Some(user) if verified => user,
        refused => {
            attempt.failed();
            // On the account whose address was tried (never the password), written after the answer.
            if let Some(user) = &refused {
                activity::failed_sign_in(state, device, &user.id, "Wrong password");
            }
            // No sooner than the slowest kind of stored hash would take: the time tells no kind of row, and no
            // unknown email, from another (see `Hasher::refusal_floor`).
            tokio::time::sleep_until(began + state.hasher.refusal_floor()).await;
            return Err(ApiError::Unauthorized(INVALID_CREDENTIALS));
        }
    };
    attempt.succeeded().await?;
    state.hasher.remember(&account_client);
    rehash_if_needed(state, &user, password).await;
    let suggest_change =
        policy::breaks_local_rules(password, &Owner { email: &user.email, name: user.name.as_deref() });
    if state.settings.mail.require_verified_email && user.email_verified_at.is_none() {
        return Ok(SignInOutcome::Unverified);
    }
    if user.two_factor_enabled {
        return Ok(SignInOutcome::SecondFactorRequired {
            mfa_token: start_second_factor(state, &user, Method::Password).await?,
        });
    }
    let signed_in = finish_sign_in(state, device, user, Method::Password).await?;
    Ok(SignInOutcome::SignedIn(SignedIn { password_change_suggested: suggest_change, ..signed_in }))
}

/// Replaces the stored hash after a successful sign-in when the one rule says so (another bcrypt cost, the
/// other kind of hash), only if the row still holds the old one (a concurrent password change wins). Tokens
/// are left as they are. Nothing here can fail the sign-in.
async fn rehash_if_needed(state: &AppState, user: &User, password: &str) {
    let Some(new) = state.passwords.rehash(&user.hashed_password, password).await else { return };
    match state.db.rehash_password(&user.id, &user.hashed_password, &new).await {
        Ok(true) => tracing::info!(user_id = %user.id, scheme = state.hasher.scheme().name(), "password rehashed"),
        Ok(false) => {} // changed meanwhile by a password change: leave that one
        Err(e) => tracing::warn!(user_id = %user.id, error = %e, "rehash not stored"),
    }
}

/// The current password of a signed-in user, before a change that needs it (password, address, two-factor),
/// checked on the hashing pool and throttled like a sign-in: failures per (email, client) — cleared by a
/// success — per client and per account, reserved atomically before the hash is checked. Answers the user's
/// full row when the password is right; `400 Current password is incorrect` when it is not.
pub async fn check_current_password(
    state: &AppState,
    client: ClientIp,
    user_id: &str,
    password: &str,
) -> ApiResult<User> {
    let permit = state.hasher.admit()?;
    let user = state.db.user_by_id(user_id).await?.ok_or(ApiError::Unauthorized("User not found"))?;
    let email = user.email.to_lowercase();
    let limits = throttle::current_password(&state.settings.rate_limits, &email, client, &user.id);
    let attempt = state.reserve(&limits).await?;
    let right = state.hasher.verify_with(permit, password, &user.hashed_password).await?;
    attempt.settle(right).await?;
    if !right {
        return Err(ApiError::bad_request(CURRENT_PASSWORD_INCORRECT));
    }
    Ok(user)
}

/// How recent a sign-in must be to stand for the password of an account that has none.
pub const FRESH_SIGN_IN: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// The fresh proof of the account a grave change asks for (deleting it, adding a passkey): the current password
/// (checked and throttled by [`check_current_password`]; missing → the 422 of a required field), or for an
/// account without one (`auth::no_password`) a session of this request signed in at most [`FRESH_SIGN_IN`] ago
/// (else `403 sign_in_again`).
pub async fn check_fresh_proof(
    state: &AppState,
    client: ClientIp,
    user: &User,
    current_password: Option<&str>,
    session_id: Option<&str>,
    sign_in_again: &'static str,
) -> ApiResult<()> {
    if !crate::auth::no_password::is_marker(&user.hashed_password) {
        let password = current_password.ok_or_else(|| missing("current_password"))?;
        check_current_password(state, client, &user.id, password).await?;
        return Ok(());
    }
    let started = match session_id {
        Some(id) => state.db.session(id, &user.id).await?.map(|s| s.created_at),
        None => None,
    };
    if started.is_none_or(|at| at.plus(FRESH_SIGN_IN) < state.clock.now()) {
        return Err(ApiError::Detail(axum::http::StatusCode::FORBIDDEN, sign_in_again.into()));
    }
    Ok(())
}

/// A field a body needs, missing: the 422 of a required field.
pub fn missing(field: &str) -> ApiError {
    ApiError::Validation(vec![crate::error::FieldError::body(Some(field), "missing", "Field required")])
}

/// Starts the second step of a sign-in whose first proof was right: a random token, of which only a hash is
/// kept, bound to the user's current token version (a password change or "sign out everywhere" voids it), and
/// naming how the first step was proved (`first`), for the history of the finished sign-in.
pub async fn start_second_factor(state: &AppState, user: &User, first: Method) -> ApiResult<String> {
    let new = OpaqueToken::generate();
    let expires_at = state.clock.now().plus(SECOND_FACTOR_TTL);
    state
        .db
        .create_mfa_challenge(&new.hash, &user.id, user.token_version, expires_at, first.first_factor_key())
        .await?;
    Ok(new.token)
}
