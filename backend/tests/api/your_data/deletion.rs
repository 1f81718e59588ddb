//! `DELETE /api/auth/account`: with the password (and, with two-factor on, a code) the user and every row of
//! theirs go in one transaction — every table of the database is read afterwards for the user's id and
//! addresses — a goodbye is still delivered (and its row then keeps no address), unsent mail about them is
//! never sent, every credential stops at once on two API processes (a seed-style token too), the address can
//! register again; a wrong password or code deletes nothing; of two simultaneous deletions one answers 204.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;
use crate::{
    both,
    two_factor::{enrolled, mfa_token, next_step, totp},
};

async fn delete(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::DELETE, "/api/auth/account", Some(token), Some(body)).await
}

/// The rows of every table that mention one of `needles`. Left out: the change-email counts per target address
/// (`mail:change:to:…` in `auth_attempts`), which protect a mailbox, count every account's requests toward it,
/// and leave with their window (RATE_LIMIT_WINDOW_SECONDS).
async fn rows_of(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for needle in needles {
        found.extend(
            rows_mentioning(app, needle)
                .await
                .into_iter()
                .filter(|r| !(r.starts_with("auth_attempts:") && r.contains("mail:change:to:"))),
        );
    }
    found
}

both!(
    async fn deletion_leaves_no_row_of_the_user_in_any_table(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url()), ("WEB_URL", "https://app.example")]).await;
        // Ada has a bit of everything: tasks, two sessions and a signed-out one, two-factor with recovery codes,
        // a pending sign-in's second step, a pending change of address (its link and mails not sent yet),
        // history, throttle rows keyed by her id and her address.
        let ada = enrolled(&app, "ada@example.com").await;
        let ada_id = app.state.db.user_by_email("ada@example.com").await.unwrap().unwrap().id;
        for title in ["one", "two", "three"] {
            app.create_task(&ada.token, title).await;
        }
        let (_, other) = parts(app.login("ada@example.com", PASSWORD).await).await;
        let _pending_second_step = other["mfa_token"].as_str().unwrap().to_string();
        let mfa = mfa_token(&app, "ada@example.com").await;
        let (_, signed_in) =
            parts(crate::two_factor::login_2fa(&app, &mfa, &totp(&ada.secret, next_step(&app))).await).await;
        let second = signed_in["access_token"].as_str().unwrap().to_string();
        assert_eq!(
            app.request(Method::POST, "/api/auth/logout", Some(&second), None).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.login("ada@example.com", "wrong guess").await.status(), StatusCode::UNAUTHORIZED);
        let change = json!({ "current_password": PASSWORD, "new_email": "ada.new@example.com" });
        assert_eq!(app.post("/api/auth/change-email", &ada.token, change).await.status(), StatusCode::ACCEPTED);
        let wrong = json!({ "current_password": "not it", "new_password": "whatever passphrase" });
        assert_eq!(app.post("/api/auth/change-password", &ada.token, wrong).await.status(), StatusCode::BAD_REQUEST);
        app.settle().await;
        // Bob, who stays.
        let (bob, bob_id) = app.signup("bob@example.com").await;
        app.create_task(&bob, "bob's").await;
        let before = rows_of(&app, &[&ada_id, "ada@example.com", "ada.new@example.com"]).await;
        for table in [
            "users:",
            "tasks:",
            "sessions:",
            "revoked_tokens:",
            "account_tokens:",
            "user_two_factor:",
            "recovery_codes:",
            "mfa_challenges:",
            "activity:",
            "mail_outbox:",
            "auth_attempts:",
        ] {
            assert!(before.iter().any(|r| r.starts_with(table)), "no {table} row of Ada to delete: {before:#?}");
        }

        let code = totp(&ada.secret, next_step(&app));
        let res = delete(&app, &ada.token, json!({ "current_password": PASSWORD, "code": code })).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(res.text().await.unwrap().is_empty());

        // The goodbye is delivered, and nothing else: the mail not yet sent about her went with her.
        let mails = app.mails(&smtp, "ada@example.com").await;
        let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
        assert_eq!(subjects, ["Your Todo account was deleted"], "{subjects:?}");
        assert!(app.mails(&smtp, "ada.new@example.com").await.is_empty(), "the change link was never sent");
        // No row of any table names her id or her addresses (the goodbye's row forgot its recipient once sent).
        let left = rows_of(&app, &[&ada_id, "ada@example.com", "ada.new@example.com"]).await;
        assert!(left.is_empty(), "rows of Ada left: {left:#?}");
        // Bob's are all there.
        assert!(rows_mentioning(&app, &bob_id).await.iter().any(|r| r.starts_with("tasks:")));
        assert_eq!(app.get("/api/tasks", &bob).await.status(), StatusCode::OK);
    }
);

both!(
    async fn every_credential_of_the_user_stops_at_once_on_two_api_processes(kind: Kind) {
        let first = TestApp::start(kind).await;
        let second = TestApp::start_on(first.db.clone(), &[]).await;
        let (token, id) = first.signup("ada@example.com").await;
        let (_, other) = parts(second.login("ada@example.com", PASSWORD).await).await;
        let other = other["access_token"].as_str().unwrap().to_string();
        // What the seed mints: no session, no version.
        let seed = mint(
            json!({"sub": id, "email": "ada@example.com", "iat": now(), "exp": now() + 3600}),
            SECRET,
            Algorithm::HS256,
        );
        for app in [&first, &second] {
            for t in [&token, &other, &seed] {
                assert_eq!(app.get("/api/auth/me", t).await.status(), StatusCode::OK);
            }
        }
        let res = delete(&second, &other, json!({ "current_password": PASSWORD })).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        for app in [&first, &second] {
            for t in [&token, &other, &seed] {
                for path in ["/api/auth/me", "/api/tasks", "/api/auth/activity", "/api/auth/export"] {
                    let res = app.get(path, t).await;
                    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
                    assert_eq!(res.headers()["www-authenticate"], "Bearer");
                }
            }
        }
        // Nothing of the password works either.
        expect_detail(
            first.login("ada@example.com", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "Invalid email or password",
        )
        .await;
    }
);

both!(
    async fn the_address_can_register_again_as_a_new_account(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, old_id) = app.signup("ada@example.com").await;
        app.create_task(&token, "from before").await;
        assert_eq!(
            delete(&app, &token, json!({ "current_password": PASSWORD })).await.status(),
            StatusCode::NO_CONTENT
        );
        let (fresh, new_id) = app.signup("ada@example.com").await;
        assert_ne!(new_id, old_id);
        let (_, list) = parts(app.get("/api/tasks", &fresh).await).await;
        assert_eq!(list["total"], 0);
        let history = events(&app, &fresh).await;
        assert_eq!(history.len(), 1, "a new history: {history:?}");
        assert_eq!(
            app.get("/api/auth/me", &token).await.status(),
            StatusCode::UNAUTHORIZED,
            "the old token stays dead"
        );
    }
);

both!(
    async fn a_wrong_or_missing_proof_deletes_nothing(kind: Kind) {
        let app = TestApp::start(kind).await;
        let user = enrolled(&app, "ada@example.com").await;
        let id = app.state.db.user_by_email("ada@example.com").await.unwrap().unwrap().id;
        app.create_task(&user.token, "keep me").await;
        let counted = || async {
            let mut n = Vec::new();
            for (table, column) in todo_auth::db::USER_TABLES.iter().chain([&("users", "id")]) {
                if *table == "activity" {
                    continue; // a wrong code is recorded as it is spent
                }
                n.push(count(&app, &format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"), &id).await);
            }
            n
        };
        let before = counted().await;
        let code = || totp(&user.secret, next_step(&app));
        expect_detail(
            delete(&app, &user.token, json!({ "current_password": "wrong", "code": code() })).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        expect_detail(
            delete(&app, &user.token, json!({ "current_password": PASSWORD, "code": "000000" })).await,
            StatusCode::BAD_REQUEST,
            "Invalid two-factor code",
        )
        .await;
        expect_422(delete(&app, &user.token, json!({ "code": code() })).await, Some("current_password"), "missing")
            .await;
        expect_422(delete(&app, &user.token, json!({ "current_password": PASSWORD })).await, Some("code"), "missing")
            .await;
        expect_422(
            delete(&app, &user.token, json!({ "current_password": 5 })).await,
            Some("current_password"),
            "string_type",
        )
        .await;
        expect_422(
            delete(&app, &user.token, json!({ "current_password": PASSWORD, "code": "" })).await,
            Some("code"),
            "string_too_short",
        )
        .await;
        let res = app
            .raw(
                Method::DELETE,
                "/api/auth/account",
                &[("authorization", &format!("Bearer {}", user.token))],
                b"{}".to_vec(),
            )
            .await;
        expect_422(res, None, "content_type").await;
        assert_eq!(counted().await, before, "nothing deleted");
        assert_eq!(app.get("/api/auth/me", &user.token).await.status(), StatusCode::OK);
        // Wrong passwords are throttled like every current password (5 per address and client; the right one
        // above cleared the count).
        for _ in 0..5 {
            assert_eq!(
                delete(&app, &user.token, json!({ "current_password": "wrong", "code": "1" })).await.status(),
                StatusCode::BAD_REQUEST
            );
        }
        let res = delete(&app, &user.token, json!({ "current_password": PASSWORD, "code": code() })).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(counted().await, before, "nothing deleted");
    }
);

both!(
    async fn of_two_simultaneous_deletions_one_answers_204(kind: Kind) {
        let app = TestApp::start(kind).await;
        for round in 0..3 {
            let email = format!("racer{round}@example.com");
            let (token, _) = app.signup(&email).await;
            let (_, other) = parts(app.login(&email, PASSWORD).await).await;
            let other = other["access_token"].as_str().unwrap().to_string();
            for title in ["a", "b"] {
                app.create_task(&token, title).await;
            }
            let body = json!({ "current_password": PASSWORD });
            let (a, b) = tokio::join!(delete(&app, &token, body.clone()), delete(&app, &other, body));
            let mut statuses = [a.status(), b.status()];
            statuses.sort();
            assert_eq!(statuses, [StatusCode::NO_CONTENT, StatusCode::UNAUTHORIZED], "round {round}");
            assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = $1", &email).await, 0);
        }
    }
);

both!(
    async fn an_account_without_a_password_proves_itself_with_a_recent_sign_in(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, id) = app.signup("ada@example.com").await;
        // The marker an account made by a provider sign-in holds: a bcrypt string with an all-zero salt.
        let marker = format!("$2b$04${}{}", ".".repeat(22), "A".repeat(31));
        let sql = "UPDATE users SET hashed_password = $1 WHERE email = 'ada@example.com'";
        match &app.state.db {
            todo_auth::db::Db::Sqlite(pool) => {
                sqlx::query(sql).bind(&marker).execute(pool).await.unwrap().rows_affected()
            }
            todo_auth::db::Db::Postgres(pool) => {
                sqlx::query(sql).bind(&marker).execute(pool).await.unwrap().rows_affected()
            }
        };
        // A token without a session (the seed's) cannot say when it signed in.
        let seed = mint(
            json!({"sub": id, "email": "ada@example.com", "iat": now(), "exp": now() + 3600}),
            SECRET,
            Algorithm::HS256,
        );
        expect_detail(
            delete(&app, &seed, json!({})).await,
            StatusCode::FORBIDDEN,
            "Sign in again to delete your account",
        )
        .await;
        // Eleven minutes after the sign-in: too old.
        app.state.clock.advance(Duration::from_secs(11 * 60));
        expect_detail(
            delete(&app, &token, json!({ "current_password": "anything" })).await,
            StatusCode::FORBIDDEN,
            "Sign in again to delete your account",
        )
        .await;
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        // A session begun at most 10 minutes ago is the proof.
        let fresh_session = {
            let (_, list) = parts(app.get("/api/auth/sessions", &token).await).await;
            list["sessions"][0]["id"].as_str().unwrap().to_string()
        };
        let sql = "UPDATE sessions SET created_at = $2 WHERE id = $1";
        let recent = app.state.clock.now().minus(Duration::from_secs(9 * 60));
        match &app.state.db {
            todo_auth::db::Db::Sqlite(pool) => {
                sqlx::query(sql).bind(&fresh_session).bind(recent).execute(pool).await.unwrap().rows_affected()
            }
            todo_auth::db::Db::Postgres(pool) => {
                sqlx::query(sql).bind(&fresh_session).bind(recent).execute(pool).await.unwrap().rows_affected()
            }
        };
        assert_eq!(delete(&app, &token, json!({})).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::UNAUTHORIZED);
    }
);

both!(
    async fn in_the_browser_deletion_clears_the_cookie_and_another_site_cannot_delete(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        // As the web app's client sends it: the cookie, `X-Session: cookie`, same origin (the default WEB_URL).
        let browser = |origin: &str, site: &str, body: Value| {
            app.client
                .request(Method::DELETE, app.url("/api/auth/account"))
                .header("x-session", "cookie")
                .header("origin", origin)
                .header("sec-fetch-site", site)
                .header("cookie", format!("todo_session={token}"))
                .json(&body)
        };
        let cookies = |res: &reqwest::Response| -> Vec<String> {
            res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
        };
        // Another site: refused before any handler, nothing deleted.
        let res = browser("https://evil.example", "cross-site", json!({ "current_password": PASSWORD }))
            .send()
            .await
            .unwrap();
        expect_detail(res, StatusCode::FORBIDDEN, "Cross-site request refused").await;
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        // A wrong password keeps the session and its cookie.
        let res = browser("http://localhost:3000", "same-origin", json!({ "current_password": "wrong" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(cookies(&res).is_empty(), "{:?}", cookies(&res));
        // The export through the cookie: an attachment.
        let res = app
            .client
            .get(app.url("/api/auth/export"))
            .header("cookie", format!("todo_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        // The deletion: 204, and the cookie is cleared with it.
        let res = browser("http://localhost:3000", "same-origin", json!({ "current_password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(cookies(&res), ["todo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::UNAUTHORIZED);
    }
);
