//! REQUIRE_VERIFIED_EMAIL=true (issue 22, finding 5): an unverified account's token reaches only what it
//! needs to verify — /me, resend-verification, change-email, logout — and change-password still answers as
//! before; every other route answers 403 "Please verify your email address first". Both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{both, helpers::*, mail::mail_app};

const VERIFY_FIRST: &str = "Please verify your email address first";

/// Every route an unverified token must not reach, with a body where it takes one.
fn refused(task_id: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/api/tasks".into(), None),
        (Method::GET, "/api/tasks?status=pending".into(), None),
        (Method::GET, "/api/tasks?limit=5".into(), None),
        (Method::POST, "/api/tasks".into(), Some(json!({ "title": "sneaked in" }))),
        (Method::GET, format!("/api/tasks/{task_id}"), None),
        (Method::PATCH, format!("/api/tasks/{task_id}"), Some(json!({ "title": "x" }))),
        (Method::POST, format!("/api/tasks/{task_id}/toggle"), None),
        (Method::DELETE, format!("/api/tasks/{task_id}"), None),
        (Method::GET, "/api/auth/sessions".into(), None),
        (Method::DELETE, "/api/auth/sessions/abc".into(), None),
        (Method::POST, "/api/auth/logout-all".into(), None),
        (Method::POST, "/api/auth/2fa/setup".into(), Some(json!({ "current_password": PASSWORD }))),
        (Method::POST, "/api/auth/2fa/enable".into(), Some(json!({ "code": "123456" }))),
        (Method::POST, "/api/auth/2fa/disable".into(), Some(json!({ "current_password": PASSWORD, "code": "1" }))),
        (Method::GET, "/api/auth/activity".into(), None),
        (Method::GET, "/api/auth/export".into(), None),
        (Method::DELETE, "/api/auth/account".into(), Some(json!({ "current_password": PASSWORD }))),
    ]
}

both!(
    async fn an_unverified_token_reaches_only_what_verification_needs(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
        // Registration still answers a token, as before.
        let (token, _) = app.signup("unproved@example.com").await;
        for (method, path, body) in refused("some-task-id") {
            let res = app.request(method.clone(), &path, Some(&token), body).await;
            expect_detail(res, StatusCode::FORBIDDEN, VERIFY_FIRST).await;
        }
        // What verification needs works.
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        let resend = app.request(Method::POST, "/api/auth/resend-verification", Some(&token), None).await;
        assert_eq!(resend.status(), StatusCode::ACCEPTED);
        let res = app
            .post(
                "/api/auth/change-email",
                &token,
                json!({ "current_password": PASSWORD, "new_email": "other@example.com" }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // change-password still answers a fresh token; it reaches no more than the first.
        let (status, body) = parts(app.change_password(&token, PASSWORD, "another long passphrase").await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let fresh = body["access_token"].as_str().unwrap().to_string();
        expect_detail(app.get("/api/tasks", &fresh).await, StatusCode::FORBIDDEN, VERIFY_FIRST).await;
        // Once the address is verified, everything is open to the same token.
        let mails = app.mails(&smtp, "unproved@example.com").await;
        let link = mails.iter().rev().find(|m| m.subject().contains("Confirm your email")).unwrap().token();
        let res = app.request(Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": link }))).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.get("/api/tasks", &fresh).await.status(), StatusCode::OK);
        assert_eq!(app.create_task(&fresh, "now allowed").await["title"], json!("now allowed"));
        // Logout works either way.
        let res = app.request(Method::POST, "/api/auth/logout", Some(&fresh), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
);

both!(
    async fn without_the_setting_an_unverified_account_uses_everything(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("relaxed@example.com").await;
        assert_eq!(app.get("/api/tasks", &token).await.status(), StatusCode::OK);
        assert_eq!(app.create_task(&token, "fine").await["title"], json!("fine"));
        assert_eq!(app.get("/api/auth/sessions", &token).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_logout_of_an_unverified_token_works_under_the_setting(kind: Kind) {
        let app = TestApp::start_with(kind, &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
        let (token, _) = app.signup("leaving@example.com").await;
        let res = app.request(Method::POST, "/api/auth/logout", Some(&token), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        expect_detail(app.get("/api/auth/me", &token).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
    }
);
