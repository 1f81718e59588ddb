//! Two-factor sign-in (TOTP, RFC 6238, and recovery codes): turning it on ([`setup`], [`enable`]) and off
//! ([`disable`]) for a signed-in user, and [`complete_sign_in`], the second step of a sign-in whose first proof
//! answered [`super::sign_in::SignInOutcome::SecondFactorRequired`].
//!
//! What makes it hold: the secret is encrypted at rest (`auth/cipher.rs`); nothing is active until `enable`
//! receives a valid code; a TOTP step and a recovery code are each spent by one conditional UPDATE, so a
//! replayed or raced code is refused; the `mfa_token` is random, stored only as a hash, expires, is voided by a
//! password change or "sign out everywhere" (it carries the user's token version) and is spent by the sign-in
//! it completes; wrong codes are throttled per user and per client.

use super::{
    activity,
    sign_in::{self, Method, SignedIn},
    Device,
};
use axum::http::StatusCode;

use crate::{
    auth::{cipher::DataCipher, opaque, throttle, totp, ClientIp},
    db::{EventType, SessionUser, User},
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

/// The name authenticator apps show above the code.
pub const ISSUER: &str = "Todo";

pub const INVALID_CODE: &str = "Invalid two-factor code";
pub const CHALLENGE_EXPIRED: &str = "Two-factor sign-in has expired or was already used; sign in again";
pub const ALREADY_ON: &str = "Two-factor authentication is already enabled";
pub const NOT_AVAILABLE: &str = "Two-factor sign-in is not available on this server";
pub const NOT_ON: &str = "Two-factor authentication is not enabled";

/// A secret waiting for its first code: what the authenticator app is given.
pub struct PendingSecret {
    /// Base32, for typing into an app.
    pub secret: String,
    /// The same as a key URI (what the QR code holds).
    pub otpauth_url: String,
}

/// Start turning two-factor on (after the current password): a fresh secret, kept as pending. Nothing changes
/// for sign-in until [`enable`] receives a valid code for it; calling this again replaces the pending secret.
pub async fn setup(state: &AppState, client: ClientIp, user_id: &str, password: &str) -> ApiResult<PendingSecret> {
    let cipher = cipher(state)?;
    let user = sign_in::check_current_password(state, client, user_id, password).await?;
    if user.two_factor_enabled {
        return Err(ApiError::bad_request(ALREADY_ON));
    }
    let secret = totp::new_secret();
    state.db.set_pending_two_factor(&user.id, &cipher.encrypt(&user.id, &secret), state.clock.now()).await?;
    Ok(PendingSecret {
        secret: totp::secret_base32(&secret),
        otpauth_url: totp::otpauth_url(ISSUER, &user.email, &secret),
    })
}

/// Turn two-factor on with a code for the pending secret; answers ten recovery codes, once (only their hashes
/// are kept). A notice is mailed and `two_factor_enabled` recorded in the same transaction.
pub async fn enable(state: &AppState, device: &Device, user: &SessionUser, code: &str) -> ApiResult<Vec<String>> {
    if user.two_factor_enabled {
        return Err(ApiError::bad_request(ALREADY_ON));
    }
    let Some(pending) = state.db.two_factor_row(&user.id).await?.and_then(|row| row.pending_secret) else {
        return Err(ApiError::bad_request("Start two-factor setup first"));
    };
    let secret = decrypt_secret(state, &user.id, &pending)?;
    let attempt = state.reserve(&throttle::second_factor(&state.settings.rate_limits, &user.id, device.ip)).await?;
    let step = totp::matching_step(&secret, &totp::normalize(code), now_step(state));
    attempt.settle(step.is_some()).await?;
    let step = step.ok_or(ApiError::bad_request(INVALID_CODE))?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let notice = notice(&user.email, true);
    let event = activity::event(state, device, EventType::TwoFactorEnabled, Some("Authenticator app".into()));
    if !state.db.enable_two_factor(&user.id, &pending, step, &hashes, &notice, &event).await? {
        // Another setup or enable got there first.
        return Err(ApiError::bad_request("Two-factor setup changed meanwhile; start again"));
    }
    tracing::info!(user_id = %user.id, "two-factor enabled");
    Ok(codes)
}

/// Where a user's two-factor stands: on or off, and how many recovery codes are left.
pub async fn status(state: &AppState, user: &SessionUser) -> ApiResult<(bool, i64)> {
    let left = if user.two_factor_enabled { state.db.recovery_codes_left(&user.id).await? } else { 0 };
    Ok((user.two_factor_enabled, left))
}

/// Ten new recovery codes (the old ones stop working), after the current password and a current code (or an
/// unused recovery code); a notice is mailed and `recovery_codes_replaced` recorded in the same transaction.
/// Answers the codes, once.
pub async fn new_recovery_codes(
    state: &AppState,
    device: &Device,
    user: &SessionUser,
    password: &str,
    code: &str,
) -> ApiResult<Vec<String>> {
    if !user.two_factor_enabled {
        return Err(ApiError::bad_request(NOT_ON));
    }
    let user = sign_in::check_current_password(state, device.ip, &user.id, password).await?;
    if !spend_second_factor(state, &user, device, code).await? {
        return Err(ApiError::bad_request(INVALID_CODE));
    }
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let notice = mail::compose(&user.email, &Kind::RecoveryCodes { email: &user.email });
    let detail = format!("{} new recovery codes", codes.len());
    let event = activity::event(state, device, EventType::RecoveryCodesReplaced, Some(detail));
    if !state.db.replace_recovery_codes(&user.id, &hashes, &notice, event.origin.at, &event).await? {
        return Err(ApiError::bad_request(NOT_ON));
    }
    tracing::info!(user_id = %user.id, "recovery codes replaced");
    Ok(codes)
}

/// Turn two-factor off: needs the current password and a current code (or an unused recovery code). Secret,
/// recovery codes and pending sign-ins are deleted; a notice is mailed and `two_factor_disabled` recorded in
/// the same transaction.
pub async fn disable(
    state: &AppState,
    device: &Device,
    user: &SessionUser,
    password: &str,
    code: &str,
) -> ApiResult<()> {
    if !user.two_factor_enabled {
        return Err(ApiError::bad_request(NOT_ON));
    }
    let user = sign_in::check_current_password(state, device.ip, &user.id, password).await?;
    if !spend_second_factor(state, &user, device, code).await? {
        return Err(ApiError::bad_request(INVALID_CODE));
    }
    let event = activity::event(state, device, EventType::TwoFactorDisabled, Some("Authenticator app".into()));
    state.db.disable_two_factor(&user.id, &notice(&user.email, false), event.origin.at, &event).await?;
    tracing::info!(user_id = %user.id, "two-factor disabled");
    Ok(())
}

/// The second step of a sign-in: the `mfa_token` of the first and a current code (or an unused recovery
/// code) finish it, as a sign-in without two-factor would have finished.
pub async fn complete_sign_in(state: &AppState, device: &Device, mfa_token: &str, code: &str) -> ApiResult<SignedIn> {
    let hash = opaque::hash(mfa_token);
    let expired = || ApiError::Unauthorized(CHALLENGE_EXPIRED);
    let challenge = state.db.mfa_challenge(&hash, state.clock.now()).await?.ok_or_else(expired)?;
    let user = state.db.user_by_id(&challenge.user_id).await?.ok_or_else(expired)?;
    // Bound to the first proof: a password change or "sign out everywhere" since then voids it.
    if user.token_version != challenge.token_version || !user.two_factor_enabled {
        return Err(expired());
    }
    if !spend_second_factor(state, &user, device, code).await? {
        activity::failed_sign_in(state, device, &user.id, "Wrong two-factor code");
        return Err(ApiError::Unauthorized(INVALID_CODE));
    }
    if !state.db.consume_mfa_challenge(&hash, state.clock.now()).await? {
        return Err(expired());
    }
    let how = Method::after_second_factor(challenge.first_factor.as_deref());
    sign_in::finish_sign_in(state, device, user, how).await
}

/// Checks and spends a second factor, throttled per user and per client: a 6-digit code (its time step
/// recorded, so it works once) or a recovery code (marked used, and `recovery_code_used` recorded). `false`:
/// wrong, replayed or already spent.
pub(super) async fn spend_second_factor(state: &AppState, user: &User, device: &Device, code: &str) -> ApiResult<bool> {
    let attempt = state.reserve(&throttle::second_factor(&state.settings.rate_limits, &user.id, device.ip)).await?;
    let spent = spend(state, device, &user.id, code).await?;
    attempt.settle(spent).await?;
    Ok(spent)
}

async fn spend(state: &AppState, device: &Device, user_id: &str, code: &str) -> ApiResult<bool> {
    let code = totp::normalize(code);
    if !totp::is_totp_shaped(&code) {
        let hash = totp::recovery_code_hash(&code);
        let event = activity::event(state, device, EventType::RecoveryCodeUsed, None);
        return Ok(state.db.use_recovery_code(user_id, &hash, event.origin.at, &event).await?);
    }
    let Some(stored) = state.db.two_factor_row(user_id).await?.and_then(|row| row.secret) else {
        return Ok(false);
    };
    let secret = decrypt_secret(state, user_id, &stored)?;
    let cipher = cipher(state)?;
    if cipher.needs_rewrap(&stored) {
        let rewrapped = cipher.encrypt(user_id, &secret);
        state.db.rewrap_two_factor_secret(user_id, &stored, &rewrapped).await?;
    }
    match totp::matching_step(&secret, &code, now_step(state)) {
        Some(step) => Ok(state.db.use_totp_step(user_id, step).await?),
        None => Ok(false),
    }
}

fn now_step(state: &AppState) -> i64 {
    totp::step_at(state.clock.now().0.and_utc().timestamp())
}

/// The cipher of two-factor secrets, or 503 when the server has no DATA_ENCRYPTION_KEY (recovery codes, stored
/// as hashes, still work without it).
fn cipher(state: &AppState) -> ApiResult<&DataCipher> {
    state.cipher.as_ref().ok_or_else(|| ApiError::Detail(StatusCode::SERVICE_UNAVAILABLE, NOT_AVAILABLE.into()))
}

/// Reads an encrypted secret of `user_id`. A value that does not decrypt (wrong DATA_ENCRYPTION_KEY) is a
/// server fault: logged, answered 500.
fn decrypt_secret(state: &AppState, user_id: &str, stored: &str) -> ApiResult<Vec<u8>> {
    cipher(state)?
        .decrypt(user_id, stored)
        .map_err(|e| ApiError::internal(format!("two-factor secret of {user_id}: {e}")))
}

/// The mail that tells the account's address two-factor was turned on or off.
fn notice(email: &str, enabled: bool) -> crate::db::Mail {
    mail::compose(email, &Kind::TwoFactor { email, enabled })
}
