//! `make bench`'s passkey phase (bench/bench.py, phase `k`): complete passkey sign-ins per second against a
//! running API — `POST /api/auth/passkeys/login/start`, the assertion signed by a software authenticator
//! (`tests/api/soft_passkey.rs`, P-256), `POST /api/auth/passkeys/login/finish` answered 200 with a session —
//! from PASSKEY_BENCH_CONNS concurrent clients for PASSKEY_BENCH_SECONDS. It first registers a user and adds
//! the passkey through the API (so the server needs REGISTRATIONS_PER_CLIENT=0 or room for one, and
//! PASSKEY_STARTS_PER_CLIENT=0). The passkey keeps no signature counter (0, like the synced passkeys of Apple
//! and Google), so concurrent sign-ins with one credential are all valid.
//!
//! Environment: PASSKEY_BENCH_URL (http://127.0.0.1:8000), PASSKEY_BENCH_ORIGIN (http://localhost:3000: the
//! web app's origin as the API's WEBAUTHN_ORIGINS knows it), PASSKEY_BENCH_SECONDS (10), PASSKEY_BENCH_CONNS (8).
//! Prints one JSON line: {"good_rps", "requests", "errors", "p50_us", "p99_us", "seconds", "conns"}. Exit status
//! 1 when no sign-in succeeded.

#[path = "../tests/api/soft_passkey.rs"]
mod soft_passkey;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use soft_passkey::{Answer, Authenticator};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

#[tokio::main]
async fn main() {
    let base: String = env("PASSKEY_BENCH_URL", "http://127.0.0.1:8000".to_string());
    let origin: String = env("PASSKEY_BENCH_ORIGIN", "http://localhost:3000".to_string());
    let seconds: u64 = env("PASSKEY_BENCH_SECONDS", 10);
    let conns: usize = env("PASSKEY_BENCH_CONNS", 8);
    let client = reqwest::Client::builder().pool_max_idle_per_host(conns * 2).build().unwrap();
    let url = |path: &str| format!("{base}{path}");

    // A user with one passkey.
    let email = format!("passkey-bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "passkey-bench-password-0123";
    let (status, body) =
        post(&client, &url("/api/auth/register"), None, json!({ "email": email, "password": password })).await;
    assert_eq!(status, 201, "register: {body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, started) =
        post(&client, &url("/api/auth/passkeys/register/start"), Some(&token), json!({ "current_password": password }))
            .await;
    assert_eq!(status, 200, "register/start: {started}");
    let host = origin.split("://").nth(1).unwrap_or("localhost").split(':').next().unwrap_or("localhost");
    let answer = Answer { origin: origin.clone(), rp_id: host.to_string(), ..Answer::default() };
    let (authenticator, credential) = Authenticator::create(&started["options"], &answer);
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": credential });
    let (status, added) = post(&client, &url("/api/auth/passkeys/register/finish"), Some(&token), body).await;
    assert_eq!(status, 201, "register/finish: {added}");

    // Sign-ins, as fast as they come, from `conns` clients.
    let authenticator = Arc::new(authenticator);
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let errors = Arc::new(Mutex::new(0u64));
    let began = Instant::now();
    let until = began + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (client, authenticator, latencies, errors, answer) =
            (client.clone(), authenticator.clone(), latencies.clone(), errors.clone(), answer.clone());
        let (start, finish) = (url("/api/auth/passkeys/login/start"), url("/api/auth/passkeys/login/finish"));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let t = Instant::now();
                let (status, ceremony) = post(&client, &start, None, Value::Null).await;
                if status != 200 {
                    *errors.lock().unwrap() += 1;
                    continue;
                }
                let assertion = authenticator.assert_with_counter(&ceremony["options"], &answer, 0);
                let body = json!({ "ceremony_id": ceremony["ceremony_id"], "credential": assertion });
                let (status, _) = post(&client, &finish, None, body).await;
                if status == 200 {
                    latencies.lock().unwrap().push(t.elapsed());
                } else {
                    *errors.lock().unwrap() += 1;
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let took = began.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| l.get(((l.len() as f64 - 1.0) * p).round() as usize).map_or(0, |d| d.as_micros() as u64);
    let errors = *errors.lock().unwrap();
    println!(
        "{}",
        json!({
            "good_rps": l.len() as f64 / took, "requests": l.len(), "errors": errors,
            "p50_us": pct(0.5), "p99_us": pct(0.99), "seconds": took, "conns": conns,
        })
    );
    if l.is_empty() {
        std::process::exit(1);
    }
}
