//! /api/auth/sessions: where the user is signed in. A session begins with every sign-in ([`start`], called
//! by the one place that issues a token, `routes::auth::token_response`), is listed here, and ends here, by
//! sign-out, or when a "sign out everywhere", password change or reset bumps the user's token version.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::NotSignedIn;
use crate::{
    db::{sessions::NewSession, SessionRow, Ts},
    error::{ApiError, ApiResult},
    extract::{CurrentUser, Device},
    schemas::ErrorResponse,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sessions)).routes(routes!(end_session))
}

/// Records a new session of `user_id` at `token_version`; returns its id, for the token's `sid`.
pub async fn start(state: &AppState, device: &Device, user_id: &str, token_version: i32) -> ApiResult<String> {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: String,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.829173Z")]
    pub created_at: Ts,
    /// Refreshed at most once a minute.
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:40:02.112233Z")]
    pub last_used_at: Ts,
    /// The `User-Agent` the session signed in with (cut to 512 characters); null when none was sent.
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// The client's address at sign-in, as throttling sees it; null when unknown.
    #[schema(required = true)]
    pub ip: Option<String>,
    /// The session of the token making this call.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionListResponse {
    /// Newest first.
    pub sessions: Vec<SessionResponse>,
}

/// Where you are signed in: every live session, newest first. Tokens made by the seed are not listed
/// (they end with "sign out everywhere").
#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The user's sessions", body = SessionListResponse),
        NotSignedIn,
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<SessionListResponse>> {
    let rows = state.db.list_sessions(&current.user.id, current.user.token_version, state.clock.now()).await?;
    let this = current.token.session_id.as_deref();
    let sessions = rows
        .into_iter()
        .map(|row: SessionRow| SessionResponse {
            current: this == Some(row.id.as_str()),
            id: row.id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            user_agent: row.user_agent,
            ip: row.ip,
        })
        .collect();
    Ok(Json(SessionListResponse { sessions }))
}

/// End a session: its tokens stop working at once, on every API process. Ending the current session signs
/// this client out.
#[utoipa::path(delete, path = "/api/auth/sessions/{session_id}", tag = "auth", security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        NotSignedIn,
        (status = 404, description = "Session not found (unknown, ended, or another user's)", body = ErrorResponse),
    ))]
pub async fn end_session(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    // No session id of ours is long or holds NUL (which PostgreSQL cannot even compare): not found.
    let plausible = session_id.len() <= 128 && !session_id.contains('\0');
    let ended = plausible
        && state.db.end_session(&session_id, &current.user.id, current.user.token_version, state.clock.now()).await?;
    if !ended {
        return Err(ApiError::not_found("Session not found"));
    }
    tracing::info!(user_id = %current.user.id, "session ended");
    Ok(StatusCode::NO_CONTENT)
}
