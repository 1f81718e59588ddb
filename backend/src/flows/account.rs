//! Registration and the change of password: both make a new password hash (through the password rules) and
//! end signed in.

use super::{
    activity, recovery,
    sign_in::{self, Method, SignedIn},
    Device, EMAIL_TAKEN,
};
use crate::{
    auth::{policy::Owner, throttle},
    db::{EventType, NewUser, Purpose, User},
    error::{ApiError, ApiResult},
    state::AppState,
};

/// A new account, signed in; its verification link is mailed in the same transaction. Every registration
/// counts against the per-client limit, whatever its outcome.
pub async fn register(
    state: &AppState,
    device: &Device,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> ApiResult<SignedIn> {
    // Capacity first (refused without a write), then the registration counted before the work.
    let permit = state.hasher.admit()?;
    let attempt = state.reserve(&[throttle::address_probes_per_client(&state.settings.rate_limits, device.ip)]).await?;
    attempt.failed(); // kept whatever the outcome

    let hashed = state.passwords.new_hash(Some(permit), "password", password, Owner { email, name }).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let verification = recovery::link_mail(state, &id, Purpose::Verify, email, Vec::new());
    match state.db.create_user(&id, email, &hashed, name, state.clock.now(), &verification).await? {
        NewUser::Created(user) => {
            tracing::info!(user_id = %user.id, "user registered");
            sign_in::finish_sign_in(state, device, user, Method::Registration).await
        }
        NewUser::EmailTaken => Err(ApiError::bad_request(EMAIL_TAKEN)),
    }
}

/// A new password for a signed-in user who proves the current one: every other token of the user is revoked
/// (`password_changed` recorded with the change), and this client gets a fresh session.
pub async fn change_password(
    state: &AppState,
    device: &Device,
    user_id: &str,
    current_password: &str,
    new_password: &str,
) -> ApiResult<SignedIn> {
    let user = sign_in::check_current_password(state, device.ip, user_id, current_password).await?;
    let owner = Owner { email: &user.email, name: user.name.as_deref() };
    let hashed = state.passwords.new_hash(None, "new_password", new_password, owner).await?;
    let event = activity::event(state, device, EventType::PasswordChanged, Some("Other sessions signed out".into()));
    let token_version = state.db.set_password(&user.id, &hashed, event.origin.at, &event).await?;
    tracing::info!(user_id = %user.id, "password changed; other sessions revoked");
    sign_in::finish_sign_in(state, device, User { token_version, ..user }, Method::PasswordChange).await
}

/// Sets (or, `None`, clears) the signed-in user's name; answers the user as it is now.
pub async fn rename(state: &AppState, user_id: &str, name: Option<&str>) -> ApiResult<User> {
    state.db.set_name(user_id, name, state.clock.now()).await?.ok_or(ApiError::Unauthorized("User not found"))
}
