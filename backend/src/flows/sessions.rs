//! Where a user is signed in. A session begins with every sign-in ([`start`], called by
//! [`super::sign_in::finish_sign_in`] only), is listed and ended here, and ends with sign-out, or when a "sign
//! out everywhere", password change or reset bumps the user's token version.

use super::{activity, Device};
use crate::{
    auth::jwt::TokenInfo,
    clock::Ts,
    db::{sessions::NewSession, EventType, SessionRow, SessionUser, SignInRecord},
    error::ApiResult,
    state::AppState,
};

/// Records a new session of `user_id` at `token_version`, with what the sign-in records beside it (its event,
/// and the new-device notice if due); returns its id, for the token's `sid`.
pub(super) async fn start(
    state: &AppState,
    device: &Device,
    user_id: &str,
    token_version: i32,
    record: &SignInRecord<'_>,
) -> ApiResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = record.event.origin.at;
    let session = NewSession {
        id: &id,
        user_id,
        token_version,
        now,
        expires_at: now.plus(state.tokens.ttl()),
        user_agent: device.user_agent.as_deref(),
        ip: record.event.origin.ip.as_deref(),
    };
    if state.db.create_session(&session, record).await? {
        tracing::info!(user_id = %user_id, "new-device notice queued");
    }
    Ok(id)
}

/// The user's live sessions, newest first.
pub async fn list(state: &AppState, user: &SessionUser) -> ApiResult<Vec<SessionRow>> {
    Ok(state.db.list_sessions(&user.id, user.token_version, state.clock.now()).await?)
}

/// Ends one of the user's live sessions: its tokens stop working at once, on every API process, and
/// `session_ended` (detail: the session's browser and address) is recorded. `false`: no such session of this
/// user (unknown, ended, or another user's).
pub async fn end(state: &AppState, device: &Device, user: &SessionUser, session_id: &str) -> ApiResult<bool> {
    // No session id of ours is long or holds NUL (which PostgreSQL cannot even compare): not found.
    if session_id.len() > 128 || session_id.contains('\0') {
        return Ok(false);
    }
    let Some(session) = state.db.session(session_id, &user.id).await? else { return Ok(false) };
    let event = activity::event(state, device, EventType::SessionEnded, Some(activity::describe_session(&session)));
    let ended = state.db.end_session(session_id, &user.id, user.token_version, event.origin.at, &event).await?;
    if ended {
        tracing::info!(user_id = %user.id, "session ended");
    }
    Ok(ended)
}

/// Sign-out: the token making the call stops working, here and on every other API process. A token with a
/// session stops when its session is deleted (the current-user check reads the session, not
/// `revoked_tokens`); the revocation is recorded too, and is what stops a seed-made token. `signed_out`
/// (detail "This session") is recorded with it.
pub async fn sign_out(state: &AppState, device: &Device, user: &SessionUser, token: &TokenInfo) -> ApiResult<()> {
    let event = activity::event(state, device, EventType::SignedOut, Some("This session".into()));
    let expires_at = Ts::from_unix(token.expires_at);
    state.db.sign_out(token.session_id.as_deref(), &token.token_id, &user.id, expires_at, &event).await?;
    Ok(())
}

/// Sign out everywhere: every token of the user, the seed's included, carries an older version from now on;
/// `signed_out` (detail "Every session") is recorded with it.
pub async fn sign_out_everywhere(state: &AppState, device: &Device, user: &SessionUser) -> ApiResult<()> {
    let event = activity::event(state, device, EventType::SignedOut, Some("Every session".into()));
    state.db.bump_token_version(&user.id, event.origin.at, &event).await?;
    tracing::info!(user_id = %user.id, "signed out everywhere");
    Ok(())
}
