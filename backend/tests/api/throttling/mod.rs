//! Every throttle, tested in one place (the limits and their keys are `auth/throttle.rs`):
//!
//! - `windows.rs`: the sliding windows one request at a time (sign-in, registration, current passwords,
//!   two-factor codes, the purge of old rows);
//! - `bursts.rs`: the same limits under simultaneous requests, on one API process and on two;
//! - `brute_force.rs`: an hour of simulated brute force, and the table staying bounded;
//! - `mail_requests.rs`: the requests that send mail (forgot-password, change-email).

mod brute_force;
pub mod bursts;
mod mail_requests;
mod windows;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

pub const PROXY: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1");

/// A login as if from `client` (through a trusted proxy's X-Forwarded-For).
pub async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

pub async fn expect_429(res: reqwest::Response, max_wait: u64) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = retry_after(&res);
    assert!(retry >= 1 && retry <= max_wait, "Retry-After {retry} out of 1..={max_wait}");
    let (_, body) = parts(res).await;
    assert_eq!(body["detail"], format!("Too many attempts. Try again in {retry} seconds."));
    retry
}
