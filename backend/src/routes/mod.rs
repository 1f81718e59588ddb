//! HTTP routes, one module per area (seed: routes/auth.py, routes/tasks.py, main.py's / and /health).

pub mod account;
pub mod auth;
pub mod health;
pub mod sessions;
pub mod task_stream;
pub mod tasks;
pub mod two_factor;
