//! HTTP routes, one module per area (seed: routes/auth.py, routes/tasks.py, main.py's / and /health).
//!
//! Each module's `router()` registers its handlers with `utoipa_axum::routes!`, which takes the method and the
//! full path from the handler's own `#[utoipa::path]`: a route is served exactly where the OpenAPI document
//! says, and [`router`] is the one list of areas. Adding a route is one handler with its annotation and one
//! `.routes(routes!(…))` line in its module.

pub mod account;
pub mod auth;
pub mod health;
pub mod responses;
pub mod sessions;
pub mod task_stream;
pub mod tasks;
pub mod two_factor;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route of the API with its OpenAPI description, from one definition (see the module's comment).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(health::router())
        .merge(auth::router())
        .merge(sessions::router())
        .merge(account::router())
        .merge(two_factor::router())
        .merge(tasks::router())
        .merge(crate::web_session::router())
}
