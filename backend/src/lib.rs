//! The API as a library: [`app`] builds exactly the router `main` serves, so the integration tests run the
//! real thing; [`prepare`] connects to the database and builds the shared state.
//!
//! Layers, top to bottom; a module imports only from layers below it (a unit test, `layers`, checks):
//!
//! 1. `http` — routes, extractors, request and response bodies, middleware, the server loop;
//! 2. `flows` — what each way into an account and each change of one does (sign-in, two-factor, recovery,
//!    sessions), returning domain outcomes;
//! 3. `state` — what every flow shares (settings, database, hashing pool, token keys, clock);
//! 4. `auth` (passwords, tokens, throttling, TOTP, encryption at rest) and `mail` (templates, delivery);
//! 5. `db` — the only module that speaks SQL;
//! 6. `config` — the variables, read once;
//! 7. `clock`, `error`, `email` — leaves.

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod email;
pub mod error;
pub mod flows;
pub mod http;
pub mod mail;
pub mod state;

#[cfg(test)]
mod layers;

pub use crate::{
    config::Settings,
    db::Db,
    http::{app, with_middleware},
};

/// Connects to the database, runs the migrations and builds the shared state.
pub async fn prepare(settings: Settings) -> Result<state::AppState, Box<dyn std::error::Error + Send + Sync>> {
    let db = Db::connect(&settings).await?;
    db.migrate().await?;
    Ok(state::AppState::new(settings, db))
}
