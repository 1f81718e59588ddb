//! Where a user is signed in. A session begins with every sign-in ([`start`], called by
//! [`super::sign_in::finish_sign_in`] only), is listed and ended here, and ends with sign-out, or when a "sign
//! out everywhere", password change or reset bumps the user's token version.

use super::Device;
use crate::{
    auth::jwt::TokenInfo,
    clock::Ts,
    db::{sessions::NewSession, SessionRow, SessionUser},
    error::ApiResult,
    state::AppState,
};

/// Records a new session of `user_id` at `token_version`; returns its id, for the token's `sid`.
pub(super) async fn start(state: &AppState, device: &Device, user_id: &str, token_version: i32) -> ApiResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = state.clock.now();
    let ip = device.ip.0.map(|ip| ip.to_string());
    state
        .db
        .create_session(&NewSession {
            id: &id,
            user_id,
            token_version,
            now,
            expires_at: now.plus(state.tokens.ttl()),
            user_agent: device.user_agent.as_deref(),
            ip: ip.as_deref(),
        })
        .await?;
    Ok(id)
}

/// The user's live sessions, newest first.
pub async fn list(state: &AppState, user: &SessionUser) -> ApiResult<Vec<SessionRow>> {
    Ok(state.db.list_sessions(&user.id, user.token_version, state.clock.now()).await?)
}

/// Ends one of the user's live sessions: its tokens stop working at once, on every API process. `false`: no
/// such session of this user (unknown, ended, or another user's).
pub async fn end(state: &AppState, user: &SessionUser, session_id: &str) -> ApiResult<bool> {
    // No session id of ours is long or holds NUL (which PostgreSQL cannot even compare): not found.
    let plausible = session_id.len() <= 128 && !session_id.contains('\0');
    let ended = plausible && state.db.end_session(session_id, &user.id, user.token_version, state.clock.now()).await?;
    if ended {
        tracing::info!(user_id = %user.id, "session ended");
    }
    Ok(ended)
}

/// Sign-out: the token making the call stops working, here and on every other API process. A token with a
/// session stops when its session is deleted (the current-user check reads the session, not
/// `revoked_tokens`); the revocation is recorded too, and is what stops a seed-made token.
pub async fn sign_out(state: &AppState, user: &SessionUser, token: &TokenInfo) -> ApiResult<()> {
    if let Some(session_id) = &token.session_id {
        state.db.delete_session(session_id).await?;
    }
    state.db.revoke_token(&token.token_id, &user.id, Ts::from_unix(token.expires_at)).await?;
    Ok(())
}

/// Sign out everywhere: every token of the user, the seed's included, carries an older version from now on.
pub async fn sign_out_everywhere(state: &AppState, user: &SessionUser) -> ApiResult<()> {
    state.db.bump_token_version(&user.id, state.clock.now()).await?;
    tracing::info!(user_id = %user.id, "signed out everywhere");
    Ok(())
}
