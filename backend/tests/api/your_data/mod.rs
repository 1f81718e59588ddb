//! Your data and your history (issue 28), on both databases:
//!
//! - `activity.rs`: every event after its action, with its detail, address and browser (behind a trusted proxy
//!   too), only the caller's, paged; failed sign-ins capped; the retention purge;
//! - `notices.rs`: the new-device notice (a new browser or network, not a known one, not twice, not on
//!   registration);
//! - `export.rs`: the export holds every task and no secret;
//! - `deletion.rs`: deletion leaves no row of the user in any table, stops every credential on two API processes,
//!   frees the address, deletes nothing on a wrong password, and two at once give one 204.
//!
//! (The cap of failed sign-ins under the one-hour brute force is asserted in `throttling/brute_force.rs`.)

mod activity;
mod deletion;
mod export;
mod notices;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;
use todo_auth::db::Db;

use crate::helpers::*;

pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
pub const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// A request as a browser behind the trusted proxy would make it: from `ip`, with `user_agent`.
pub async fn from(
    app: &TestApp,
    (ip, user_agent): (&str, &str),
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req =
        app.client.request(method, app.url(path)).header("x-forwarded-for", ip).header("user-agent", user_agent);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request sent")
}

/// A password sign-in from `device`; the token.
pub async fn sign_in_from(app: &TestApp, device: (&str, &str), email: &str, password: &str) -> String {
    let body = json!({ "email": email, "password": password });
    let (status, body) = parts(from(app, device, Method::POST, "/api/auth/login", None, Some(body)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// The newest `limit` events of the token's account (once the background writes are done).
pub async fn events(app: &TestApp, token: &str) -> Vec<Value> {
    app.settle().await;
    let (status, body) = parts(app.get("/api/auth/activity?limit=200", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().unwrap().clone()
}

/// Runs one statement that answers a count.
pub async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    match &app.state.db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(bind).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(bind).fetch_one(pool).await.unwrap(),
    }
}

/// Every row of every table of the database, as `table: text of the row`.
pub async fn every_row(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    match &app.state.db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(pool)
                .await
                .unwrap();
            for table in tables {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let text = columns
                    .iter()
                    .map(|c| format!("COALESCE(CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let rows = sqlx::query(&format!("SELECT {text} FROM \"{table}\"")).fetch_all(pool).await.unwrap();
                out.extend(rows.iter().map(|r| format!("{table}: {}", r.get::<String, _>(0))));
            }
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in tables {
                let rows = sqlx::query(&format!("SELECT t::text FROM \"{table}\" t")).fetch_all(pool).await.unwrap();
                out.extend(rows.iter().map(|r| format!("{table}: {}", r.get::<String, _>(0))));
            }
        }
    }
    assert!(out.iter().any(|r| r.starts_with("users: ")), "the dump reads the tables: {out:?}");
    out
}

/// The rows of every table that mention `needle` (case-insensitive).
pub async fn rows_mentioning(app: &TestApp, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    every_row(app).await.into_iter().filter(|r| r.to_lowercase().contains(&needle)).collect()
}
