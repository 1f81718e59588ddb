//! /api/auth/sessions: where the user is signed in (the flows are `crate::flows::sessions`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    clock::Ts,
    db::SessionRow,
    error::{ApiError, ApiResult},
    flows::{sessions, Device},
    http::{extract::CurrentUser, responses::NotSignedIn, schemas::ErrorResponse},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sessions)).routes(routes!(end_session))
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
    let rows = sessions::list(&state, &current.user).await?;
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
    device: Device,
    current: CurrentUser,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    if !sessions::end(&state, &device, &current.user, &session_id).await? {
        return Err(ApiError::not_found("Session not found"));
    }
    Ok(StatusCode::NO_CONTENT)
}
