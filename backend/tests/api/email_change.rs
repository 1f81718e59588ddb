//! Email change (issue 22, findings 1–3): a pending link dies with a password reset, a password change and
//! "sign out everywhere"; a reset by the address's owner takes back an account an unverified registrant
//! prepared (pre-hijack); change-email is throttled per account, per client and per target address, and
//! tells a taken address from a free one no sooner than registration does. Both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    both,
    helpers::*,
    mail::mail_app,
    two_factor::{next_step, setup, totp},
};

const VERIFY_INVALID: &str = "This verification link is invalid or has expired";
const NEW_PASSWORD: &str = "an entirely new passphrase";

async fn change_email(app: &TestApp, token: &str, new_email: &str) -> reqwest::Response {
    app.post("/api/auth/change-email", token, json!({ "current_password": PASSWORD, "new_email": new_email })).await
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": token }))).await
}

/// Asks for a reset of `email` and uses its link; returns nothing, asserts it worked.
async fn reset_through_mail(app: &TestApp, smtp: &SmtpServer, email: &str, password: &str) {
    let res = app.request(Method::POST, "/api/auth/forgot-password", None, Some(json!({ "email": email }))).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mails = app.mails(smtp, email).await;
    let link = mails.iter().rev().find(|m| m.subject().contains("Reset")).expect("a reset mail").token();
    let res = app
        .request(
            Method::POST,
            "/api/auth/reset-password",
            None,
            Some(json!({ "token": link, "new_password": password })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

both!(
    async fn a_pending_email_change_ends_with_a_reset_a_password_change_and_sign_out_everywhere(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "0")]).await;
        for (round, action) in ["reset", "change-password", "logout-all"].iter().enumerate() {
            let owner = format!("owner{round}@example.com");
            let attacker = format!("intruder{round}@example.net");
            let (token, _) = app.signup(&owner).await;
            // Someone with the session and the password for a moment asks for their own address.
            assert_eq!(change_email(&app, &token, &attacker).await.status(), StatusCode::ACCEPTED);
            let link = app.mail(&smtp, &attacker, 1).await.token();
            // The owner notices and acts.
            match *action {
                "reset" => reset_through_mail(&app, &smtp, &owner, NEW_PASSWORD).await,
                "change-password" => {
                    assert_eq!(app.change_password(&token, PASSWORD, NEW_PASSWORD).await.status(), StatusCode::OK)
                }
                _ => assert_eq!(
                    app.request(Method::POST, "/api/auth/logout-all", Some(&token), None).await.status(),
                    StatusCode::OK
                ),
            }
            // The link no longer moves the account.
            expect_detail(verify(&app, &link).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
            let password = if *action == "logout-all" { PASSWORD } else { NEW_PASSWORD };
            let (status, body) = parts(app.login(&owner, password).await).await;
            assert_eq!(status, StatusCode::OK, "{action}: {body}");
            assert_eq!(body["user"]["email"], json!(owner), "{action}");
            assert_eq!(app.login(&attacker, password).await.status(), StatusCode::UNAUTHORIZED, "{action}");
        }
    }
);

both!(
    async fn a_reset_by_the_addresss_owner_ends_what_an_unverified_registrant_prepared(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        // The attacker registers with the victim's address (never verified), turns two-factor on with their own
        // authenticator, and asks to move the account to their own mailbox.
        let victim = "victim@example.com";
        let (attacker_token, _) = app.signup(victim).await;
        let secret = setup(&app, &attacker_token).await;
        let res =
            app.post("/api/auth/2fa/enable", &attacker_token, json!({ "code": totp(&secret, next_step(&app)) })).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(change_email(&app, &attacker_token, "attacker@example.net").await.status(), StatusCode::ACCEPTED);
        let link = app.mail(&smtp, "attacker@example.net", 1).await.token();

        // The victim, told the address is taken, resets the password through her own mailbox.
        expect_detail(app.register(victim, PASSWORD, None).await, StatusCode::BAD_REQUEST, "Email already registered")
            .await;
        reset_through_mail(&app, &smtp, victim, NEW_PASSWORD).await;

        // She is in with her password alone: the registrant's authenticator no longer guards her account.
        let (status, body) = parts(app.login(victim, NEW_PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["user"]["two_factor_enabled"].as_bool(), body["user"]["email_verified"].as_bool()),
            (Some(false), Some(true))
        );
        // The registrant's link and sessions are dead.
        expect_detail(verify(&app, &link).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
        expect_detail(
            app.get("/api/auth/me", &attacker_token).await,
            StatusCode::UNAUTHORIZED,
            "Token has been revoked",
        )
        .await;
        let (_, me) = parts(app.get("/api/auth/me", body["access_token"].as_str().unwrap()).await).await;
        assert_eq!(me["email"], json!(victim));
    }
);

both!(
    async fn a_reset_of_a_verified_account_keeps_its_two_factor(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (token, _) = app.signup("careful@example.com").await;
        let verification = app.mail(&smtp, "careful@example.com", 1).await.token();
        assert_eq!(verify(&app, &verification).await.status(), StatusCode::OK);
        let secret = setup(&app, &token).await;
        let res = app.post("/api/auth/2fa/enable", &token, json!({ "code": totp(&secret, next_step(&app)) })).await;
        assert_eq!(res.status(), StatusCode::OK);
        reset_through_mail(&app, &smtp, "careful@example.com", NEW_PASSWORD).await;
        let (status, body) = parts(app.login("careful@example.com", NEW_PASSWORD).await).await;
        assert_eq!((status, &body["detail"]), (StatusCode::FORBIDDEN, &json!("Two-factor code required")), "{body}");
    }
);
