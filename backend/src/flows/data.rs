//! Leaving: deleting an account, after the proof the contract asks for, with everything of it in one
//! transaction (`Db::delete_account`, whose `USER_TABLES` is the one list of a user's tables), and a goodbye
//! notice. (Taking the data away, the export, is read straight from the database by the HTTP layer as it
//! streams: `http::routes::data`.)

use std::time::Duration;

use axum::http::StatusCode;

use super::{sign_in, two_factor, Device};
use crate::{
    auth::throttle,
    db::{Deletion, SessionUser, User},
    error::{ApiError, ApiResult, FieldError},
    mail::{self, Kind},
    state::AppState,
};

/// How recent a sign-in must be to stand for the password of an account that has none.
pub const FRESH_SIGN_IN: Duration = Duration::from_secs(10 * 60);

pub const SIGN_IN_AGAIN: &str = "Sign in again to delete your account";

/// What a deletion is proved with: the current password (an account without one: a sign-in at most
/// [`FRESH_SIGN_IN`] old) and, with two-factor on, a current code or an unused recovery code.
pub struct Proof<'a> {
    pub current_password: Option<&'a str>,
    pub code: Option<&'a str>,
    /// The session of the token making the request (`None`: a token made by the seed, which has none).
    pub session_id: Option<&'a str>,
}

/// Deletes the signed-in user's account after `proof`: the password is checked (and throttled) like every
/// current password, a two-factor code is spent like any other. Then, in one transaction, every row of the
/// user in every table, the throttle rows and the mail about them go, and a goodbye notice is queued: every
/// credential of the user stops at once on every API process (the current-user check reads the `users`
/// row), and the address can register again. Of two simultaneous deletions one succeeds; the other answers
/// 401, as any request of a deleted user.
pub async fn delete_account(
    state: &AppState,
    device: &Device,
    current: &SessionUser,
    proof: &Proof<'_>,
) -> ApiResult<()> {
    let gone = || ApiError::Unauthorized("User not found");
    let user = state.db.user_by_id(&current.id).await?.ok_or_else(gone)?;
    if has_password(&user) {
        let password = proof.current_password.ok_or_else(|| missing("current_password"))?;
        sign_in::check_current_password(state, device.ip, &user.id, password).await?;
    } else {
        let started = match proof.session_id {
            Some(id) => state.db.session(id, &user.id).await?.map(|s| s.created_at),
            None => None,
        };
        if started.is_none_or(|at| at.plus(FRESH_SIGN_IN) < state.clock.now()) {
            return Err(ApiError::Detail(StatusCode::FORBIDDEN, SIGN_IN_AGAIN.into()));
        }
    }
    if user.two_factor_enabled {
        let code = proof.code.ok_or_else(|| missing("code"))?;
        if !two_factor::spend_second_factor(state, &user, device, code).await? {
            return Err(ApiError::bad_request(two_factor::INVALID_CODE));
        }
    }
    let email = user.email.to_lowercase();
    let goodbye = mail::compose(&email, &Kind::AccountDeleted { email: &email });
    let (attempt_keys, attempt_prefixes) = throttle::account_keys(&state.settings.rate_limits, &user.id, &email);
    let deletion = Deletion {
        user_id: &user.id,
        attempt_keys: &attempt_keys,
        attempt_prefixes: &attempt_prefixes,
        goodbye: &goodbye,
    };
    if !state.db.delete_account(&deletion, state.clock.now()).await? {
        return Err(gone());
    }
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}

/// A field the proof needs, missing: the 422 of a required field.
fn missing(field: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::body(Some(field), "missing", "Field required")])
}

/// Whether the account has a password (one made by an OpenID Connect sign-in has none: `auth::no_password`).
fn has_password(user: &User) -> bool {
    !crate::auth::no_password::is_marker(&user.hashed_password)
}
