//! The binary itself: `--help`, refusing bad configuration, the generated local secret, the request log
//! (and what it must never contain), and SIGTERM.

use std::process::Command;

use serde_json::json;

use crate::process::ApiProcess;

const BIN: &str = env!("CARGO_BIN_EXE_todo-auth-api");

/// A fresh working directory for the binary, removed when dropped (also when the test fails).
struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("todo-auth-bin-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// The binary with a clean environment (no inherited DATABASE_URL etc.) in its own working directory.
fn command(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn help_lists_every_variable() {
    let out = command(&temp_dir(), &[]).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for v in todo_auth::config::VARIABLES {
        assert!(text.contains(v.name), "--help does not list {}", v.name);
    }
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    let dir = temp_dir();
    for (name, value) in [
        ("JWT_ALGORITHM", "none"),
        ("JWT_SECRET", "short"),
        ("BCRYPT_COST", "twelve"),
        ("API_PORT", "99999"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "-5"),
        ("CORS_ORIGINS", "[\"http://ok\", 5]"),
    ] {
        let out = command(&dir, &[(name, value), ("API_PORT", if name == "API_PORT" { value } else { "0" })])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}={value} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name), "{name}={value}: {err}");
    }
    let example =
        command(&dir, &[("JWT_SECRET", "your-super-secret-32-char-minimum-key"), ("API_PORT", "0")]).output().unwrap();
    assert!(!example.status.success());
    assert!(String::from_utf8_lossy(&example.stderr).contains("openssl rand"));
}

#[tokio::test]
async fn a_fresh_checkout_runs_with_a_generated_secret_logs_each_request_once_and_never_a_secret() {
    let dir = temp_dir();
    let mut api = ApiProcess::start_in(&dir, &[("API_PORT", "0"), ("BCRYPT_COST", "4"), ("RUST_LOG", "info")]);
    assert!(dir.join("data/.jwt_secret").exists(), "secret kept beside the default SQLite file");
    assert!(dir.join("data/app.db").exists());
    let client = reqwest::Client::new();
    let base = api.base.clone();
    let password = "a-very-recognisable-password";
    let token = api.signup(&client, "log@example.com", password).await;
    let res = client.get(format!("{base}/api/tasks?status=pending")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "log@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    // SIGTERM: a clean, prompt exit.
    let status = api.terminate();
    assert!(status.success(), "exit status {status}");
    let lines = api.log_to_end();
    let all = lines.join("\n");
    assert!(all.contains("JWT_SECRET is not set"), "the log says plainly that a local secret is used:\n{all}");
    let secret = std::fs::read_to_string(dir.join("data/.jwt_secret")).unwrap();
    for (what, needle) in
        [("password", password), ("token", token.as_str()), ("secret", secret.trim()), ("query", "status=pending")]
    {
        assert!(!all.contains(needle), "the {what} reached the log:\n{all}");
    }
    for path in ["/api/auth/register", "/api/tasks", "/api/auth/login"] {
        let n = lines.iter().filter(|l| l.contains(&format!("path={path}")) && l.contains("status=")).count();
        assert_eq!(n, 1, "one line for {path}:\n{all}");
    }
    assert!(lines.iter().any(|l| l.contains("path=/api/tasks")
        && l.contains("method=GET")
        && l.contains("status=200")
        && l.contains("latency=")));
}

/// A seed deployment on PostgreSQL swaps the process and keeps its environment (issue 22, finding 8): with
/// `DATABASE_URL` and `JWT_SECRET` alone the binary starts on the seed's database, says what is off, and the
/// seed's users sign in; two-factor setup answers 503 until a key is set.
#[tokio::test]
async fn the_seeds_two_variables_start_the_binary_on_the_seeds_postgresql_database() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let db = crate::fixtures::seed_database(crate::helpers::Kind::Postgres).await;
    let fixture = crate::helpers::fixture();
    let secret = fixture["jwt_secret"].as_str().unwrap();
    let dir = temp_dir();
    let mut api = ApiProcess::start_in(&dir, &[("DATABASE_URL", db.url.as_str()), ("JWT_SECRET", secret)]);
    let client = reqwest::Client::new();
    let mut token = None;
    for user in fixture["postgres"]["users"].as_array().unwrap() {
        let res = client
            .post(api.url("/api/auth/login"))
            .json(&json!({ "email": user["email"], "password": user["password"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{} signs in", user["email"]);
        let body: serde_json::Value = res.json().await.unwrap();
        token = body["access_token"].as_str().map(String::from);
    }
    let res = client
        .post(api.url("/api/auth/2fa/setup"))
        .bearer_auth(token.unwrap())
        .json(&json!({ "current_password": fixture["postgres"]["users"][0]["password"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["detail"], "Two-factor sign-in is not available on this server");
    assert!(api.terminate().success());
    let all = api.log_to_end().join("\n");
    assert!(all.contains("DATA_ENCRYPTION_KEY is not set"), "the log says what is off:\n{all}");
    assert!(!dir.join("data").exists(), "nothing written beside a PostgreSQL deployment");
}
