//! What the account page needs beyond round 2 (issue 25): a reset link checked when its page opens (without
//! using it), a name that can be edited, how many recovery codes are left, and new recovery codes. The used,
//! expired, forged and cross-user cases of each. Both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    both,
    helpers::*,
    mail::mail_app,
    two_factor::{next_step, setup, totp},
};

const RESET_INVALID: &str = "This reset link is invalid or has expired";

async fn check(app: &TestApp, token: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/reset-password/check", None, Some(json!({ "token": token }))).await
}

both!(
    async fn a_reset_link_is_checked_without_being_used(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        app.signup("check@example.com").await;
        let res =
            app.request(Method::POST, "/api/auth/forgot-password", None, Some(json!({ "email": "check@example.com" })));
        assert_eq!(res.await.status(), StatusCode::ACCEPTED);
        let token = app.mail(&smtp, "check@example.com", 2).await.token();
        // Checked twice: it answers the address and is still there to use.
        for _ in 0..2 {
            let (status, body) = parts(check(&app, &token).await).await;
            assert_eq!((status, body), (StatusCode::OK, json!({ "email": "check@example.com" })));
        }
        let reset = json!({ "token": token, "new_password": "a fresh passphrase here" });
        assert_eq!(
            app.request(Method::POST, "/api/auth/reset-password", None, Some(reset)).await.status(),
            StatusCode::OK
        );
        // Used, forged, a verification link, or nothing: refused as a reset would be.
        let verification = app.mail(&smtp, "check@example.com", 1).await.token();
        for dead in [token.as_str(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", verification.as_str()] {
            expect_detail(check(&app, dead).await, StatusCode::BAD_REQUEST, RESET_INVALID).await;
        }
        expect_422(check(&app, "").await, Some("token"), "string_too_short").await;
        // Expired.
        let res =
            app.request(Method::POST, "/api/auth/forgot-password", None, Some(json!({ "email": "check@example.com" })));
        assert_eq!(res.await.status(), StatusCode::ACCEPTED);
        let later = app.mail(&smtp, "check@example.com", 4).await.token();
        assert_eq!(check(&app, &later).await.status(), StatusCode::OK);
        app.state.clock.advance(std::time::Duration::from_secs(61 * 60));
        expect_detail(check(&app, &later).await, StatusCode::BAD_REQUEST, RESET_INVALID).await;
    }
);

both!(
    async fn the_signed_in_user_renames_themselves_and_nobody_else(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (bob, _) = app.signup("bob@example.com").await;
        let app = &app;
        async fn rename(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
            app.patch("/api/auth/me", token, body).await
        }
        let (status, user) = parts(rename(app, &ada, json!({ "name": "  Ada Lovelace  " })).await).await;
        assert_eq!((status, &user["name"]), (StatusCode::OK, &json!("Ada Lovelace")), "{user}");
        assert_eq!(parts(app.get("/api/auth/me", &ada).await).await.1["name"], json!("Ada Lovelace"));
        assert_eq!(parts(app.get("/api/auth/me", &bob).await).await.1["name"], json!("Test User"));
        for clear in [json!({ "name": null }), json!({ "name": "" }), json!({ "name": "   " })] {
            rename(app, &ada, json!({ "name": "Someone" })).await;
            let (status, user) = parts(rename(app, &ada, clear.clone()).await).await;
            assert_eq!((status, &user["name"]), (StatusCode::OK, &json!(null)), "{clear}");
        }
        expect_422(rename(app, &ada, json!({ "name": "n".repeat(101) })).await, Some("name"), "string_too_long").await;
        expect_422(rename(app, &ada, json!({})).await, Some("name"), "missing").await;
        expect_422(rename(app, &ada, json!({ "name": 5 })).await, Some("name"), "string_type").await;
        let anon = app.request(Method::PATCH, "/api/auth/me", None, Some(json!({ "name": "x" }))).await;
        expect_detail(anon, StatusCode::UNAUTHORIZED, "Not authenticated").await;
    }
);

both!(
    async fn recovery_codes_left_are_counted_and_new_ones_replace_them(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (token, _) = app.signup("codes@example.com").await;
        async fn status(app: &TestApp, token: &str) -> reqwest::Response {
            app.get("/api/auth/2fa", token).await
        }
        assert_eq!(parts(status(&app, &token).await).await.1, json!({ "enabled": false, "recovery_codes_left": 0 }));
        let regenerate = |password: &str, code: &str| {
            app.post("/api/auth/2fa/recovery-codes", &token, json!({ "current_password": password, "code": code }))
        };
        expect_detail(
            regenerate(PASSWORD, "123456").await,
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is not enabled",
        )
        .await;

        let secret = setup(&app, &token).await;
        let step = next_step(&app);
        let (_, body) =
            parts(app.post("/api/auth/2fa/enable", &token, json!({ "code": totp(&secret, step) })).await).await;
        let old: Vec<String> =
            body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
        assert_eq!(parts(status(&app, &token).await).await.1, json!({ "enabled": true, "recovery_codes_left": 10 }));

        // A recovery code spent at sign-in leaves nine.
        let (_, challenge) = parts(app.login("codes@example.com", PASSWORD).await).await;
        let body = json!({ "mfa_token": challenge["mfa_token"], "code": old[0] });
        let (s, signed_in) = parts(app.request(Method::POST, "/api/auth/login/2fa", None, Some(body)).await).await;
        assert_eq!(s, StatusCode::OK);
        let fresh = signed_in["access_token"].as_str().unwrap();
        assert_eq!(parts(status(&app, fresh).await).await.1["recovery_codes_left"], json!(9));

        // New codes need the password and a code.
        expect_detail(
            regenerate("not the password", &old[1]).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        expect_detail(regenerate(PASSWORD, "000000").await, StatusCode::BAD_REQUEST, "Invalid two-factor code").await;
        expect_detail(regenerate(PASSWORD, &old[0]).await, StatusCode::BAD_REQUEST, "Invalid two-factor code").await;
        let (s, body) = parts(regenerate(PASSWORD, &old[1]).await).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let new: Vec<String> =
            body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
        assert_eq!(new.len(), 10);
        assert!(new.iter().all(|c| !old.contains(c)));
        assert_eq!(parts(status(&app, &token).await).await.1["recovery_codes_left"], json!(10));
        // The old codes are gone; a new one works.
        for (code, expected) in [(&old[2], StatusCode::UNAUTHORIZED), (&new[0], StatusCode::OK)] {
            let (_, challenge) = parts(app.login("codes@example.com", PASSWORD).await).await;
            let body = json!({ "mfa_token": challenge["mfa_token"], "code": code });
            assert_eq!(app.request(Method::POST, "/api/auth/login/2fa", None, Some(body)).await.status(), expected);
        }
        // A notice went to the address.
        let mails = app.mails(&smtp, "codes@example.com").await;
        assert!(mails.iter().any(|m| m.subject().contains("New recovery codes")), "notice mailed");
    }
);
