//! Leaving: deleting an account, after the proof the contract asks for, with everything of it in one
//! transaction (`Db::delete_account`, whose `USER_TABLES` is the one list of a user's tables), and a goodbye
//! notice. (Taking the data away, the export, is read straight from the database by the HTTP layer as it
//! streams: `http::routes::data`.)

use super::{
    sign_in::{self, missing},
    two_factor, Device,
};
use crate::{
    auth::throttle,
    db::{Deletion, SessionUser},
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

pub use sign_in::FRESH_SIGN_IN;

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
    sign_in::check_fresh_proof(state, device.ip, &user, proof.current_password, proof.session_id, SIGN_IN_AGAIN)
        .await?;
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
