//! `GET /api/auth/export`: one JSON document, streamed, as an attachment — the user, every one of 10,000 tasks,
//! the sessions, the history, passkeys and linked providers — and no secret in it: its text is searched for the
//! password hash, the TOTP secret (as shown and as stored), every recovery code, the token, the session's id and
//! the mailed link's token.

use reqwest::StatusCode;
use serde_json::Value;
use todo_auth::db::Db;

use super::*;
use crate::{
    both,
    two_factor::{enrolled, login_2fa, mfa_token, next_step, totp},
};

/// `n` tasks of `user_id` written straight into the database (one transaction), titled `task <i>`.
async fn insert_tasks(app: &TestApp, user_id: &str, n: usize) {
    const SQL: &str = "INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $5)";
    let now = app.state.clock.now();
    macro_rules! insert {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            for i in 0..n {
                let at = now.minus(std::time::Duration::from_secs(i as u64));
                sqlx::query(SQL)
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(user_id)
                    .bind(format!("task {i}"))
                    .bind(i % 3 == 0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }};
    }
    match &app.state.db {
        Db::Sqlite(pool) => insert!(pool),
        Db::Postgres(pool) => insert!(pool),
    }
}

/// The export of `token`: its headers checked, its text and the parsed document.
async fn export(app: &TestApp, token: &str) -> (String, Value) {
    let res = app.get("/api/auth/export", token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    let disposition = header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"todo-data-") && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert!(res.content_length().is_none(), "streamed, not built whole");
    let text = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not one JSON document ({e})"));
    (text, doc)
}

both!(
    async fn the_export_holds_every_task_and_no_secret(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url()), ("WEB_URL", "https://app.example")]).await;
        let user = enrolled(&app, "ada@example.com").await;
        let row = app.state.db.user_by_email("ada@example.com").await.unwrap().unwrap();
        // Signed in again with the second factor: the token the export is asked with.
        let mfa = mfa_token(&app, "ada@example.com").await;
        let (_, body) = parts(login_2fa(&app, &mfa, &totp(&user.secret, next_step(&app))).await).await;
        let token = body["access_token"].as_str().unwrap().to_string();
        let made = app.create_task(&token, "made through the API").await;
        insert_tasks(&app, &row.id, 10_000).await;
        // Another user's task never shows.
        let (bob, _) = app.signup("bob@example.com").await;
        app.create_task(&bob, "bob's own").await;
        let link = app.mail(&smtp, "ada@example.com", 1).await.token();

        let (text, doc) = export(&app, &token).await;
        let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
        for key in ["exported_at", "user", "tasks", "sessions", "activity", "passkeys", "linked_providers"] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(doc["user"]["id"], row.id.as_str());
        assert_eq!(doc["user"]["email"], "ada@example.com");
        assert_eq!(doc["user"]["two_factor_enabled"], true);
        assert!(doc["user"].get("hashed_password").is_none());

        let tasks = doc["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 10_001);
        let ids: std::collections::HashSet<&str> = tasks.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 10_001, "every task once");
        assert!(ids.contains(made["id"].as_str().unwrap()));
        assert!(tasks.iter().all(|t| t["user_id"] == row.id.as_str()), "only Ada's tasks");
        assert!(!text.contains("bob's own"));
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(&list["tasks"], &doc["tasks"], "the same tasks, in the list's order");

        let sessions = doc["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        let kinds: Vec<&str> =
            doc["activity"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["sign_in", "two_factor_enabled", "sign_in"], "newest first");
        assert_eq!(doc["passkeys"], serde_json::json!([]));
        assert_eq!(doc["linked_providers"], serde_json::json!([]));

        // No secret, in any form: the hash, the TOTP secret (as the app showed it and as stored), the recovery
        // codes, the tokens and their sessions' ids, the mailed link.
        let stored_secret = app.state.db.two_factor_row(&row.id).await.unwrap().unwrap().secret.unwrap();
        let (_, sessions_listed) = parts(app.get("/api/auth/sessions", &token).await).await;
        let mut secrets = vec![
            row.hashed_password.clone(),
            user.secret.clone(),
            stored_secret,
            token.clone(),
            user.token.clone(),
            link,
        ];
        secrets.extend(user.recovery.iter().cloned());
        secrets.extend(
            sessions_listed["sessions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()),
        );
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "the export holds a secret: {secret}");
            // Also not in pieces: the token's signature and the hash's salt and digest.
            if let Some(tail) = secret.rsplit('.').next().filter(|t| t.len() > 20) {
                assert!(!text.contains(tail), "{tail}");
            }
        }
        assert!(!text.contains(&row.hashed_password[7..]), "the bcrypt salt and digest");
    }
);

both!(
    async fn the_export_needs_a_token_and_answers_the_callers_data_only(kind: Kind) {
        let app = TestApp::start(kind).await;
        assert_eq!(
            app.request(reqwest::Method::GET, "/api/auth/export", None, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
        let (ada, ada_id) = app.signup("ada@example.com").await;
        let (bob, bob_id) = app.signup("bob@example.com").await;
        app.create_task(&bob, "bob's").await;
        let (text, doc) = export(&app, &ada).await;
        assert!(!text.contains(&bob_id) && !text.contains("bob@example.com") && !text.contains("bob's"));
        assert_eq!(doc["tasks"], serde_json::json!([]));
        assert_eq!(doc["user"]["id"], ada_id.as_str());
        let (_, bobs) = export(&app, &bob).await;
        assert_eq!(bobs["tasks"].as_array().unwrap().len(), 1);
    }
);
