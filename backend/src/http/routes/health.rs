//! Operations: `/` (the seed's greeting), `/health` (readiness: answers 503 while the database is away)
//! and `/health/live` (liveness: the process answers, the database is not touched).

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    http::schemas::{HealthResponse, MessageResponse},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(root)).routes(routes!(health)).routes(routes!(live))
}

/// The seed's greeting.
#[utoipa::path(get, path = "/", tag = "ops", responses((status = 200, body = MessageResponse)))]
pub async fn root() -> Json<MessageResponse> {
    Json(MessageResponse { message: "Todo API is running" })
}

/// Readiness: `healthy` when the database answers within a second, else 503 `unhealthy`.
#[utoipa::path(get, path = "/health", tag = "ops", responses(
    (status = 200, description = "Serving, database reachable", body = HealthResponse),
    (status = 503, description = "Database unreachable", body = HealthResponse),
))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    let ping = tokio::time::timeout(std::time::Duration::from_secs(1), state.db.ping()).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, Json(HealthResponse { status: "healthy", database: Some("ok") })),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthResponse { status: "unhealthy", database: Some("unavailable") }),
        ),
    }
}

/// Liveness: the process is up and serving; says nothing about the database.
#[utoipa::path(get, path = "/health/live", tag = "ops", responses((status = 200, body = HealthResponse)))]
pub async fn live() -> Json<HealthResponse> {
    Json(HealthResponse { status: "healthy", database: None })
}
