//! New-device notices: a sign-in from a browser family and network not seen on the account for 90 days mails a
//! notice (when, address, browser, a link to /account), in the sign-in's transaction; never for registration's
//! sign-in nor the first after it, never for a known device, never twice for one device (also when two sign-ins
//! race).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::{
    both,
    two_factor::{enrolled, next_step, totp},
};

const WEB_URL: &str = "https://app.example";

async fn notice_app(kind: Kind, smtp: &SmtpServer) -> TestApp {
    TestApp::start_with(kind, &[("SMTP_URL", &smtp.url()), ("WEB_URL", WEB_URL), ("TRUSTED_PROXIES", "127.0.0.1")])
        .await
}

/// The new-sign-in notices `address` has received.
async fn notices(app: &TestApp, smtp: &SmtpServer, address: &str) -> Vec<Received> {
    app.mails(smtp, address).await.into_iter().filter(|m| m.subject().contains("New sign-in")).collect()
}

async fn register_from(app: &TestApp, device: (&str, &str), email: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD });
    let (status, body) = parts(from(app, device, Method::POST, "/api/auth/register", None, Some(body)).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

both!(
    async fn a_new_browser_or_network_is_told_and_a_known_one_or_a_repeat_is_not(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = notice_app(kind, &smtp).await;
        let home = ("203.0.113.7", FIREFOX);
        register_from(&app, home, "ada@example.com").await;
        assert!(notices(&app, &smtp, "ada@example.com").await.is_empty(), "never for registration's sign-in");

        // The same browser and network (another address in the same /24): known.
        sign_in_from(&app, ("203.0.113.8", FIREFOX), "ada@example.com", PASSWORD).await;
        assert!(notices(&app, &smtp, "ada@example.com").await.is_empty());

        // Another browser: told, once.
        let phone = ("203.0.113.7", SAFARI);
        sign_in_from(&app, phone, "ada@example.com", PASSWORD).await;
        let told = notices(&app, &smtp, "ada@example.com").await;
        assert_eq!(told.len(), 1);
        let text = told[0].text();
        for said in ["Safari on iPhone", "203.0.113.7", &format!("{WEB_URL}/account"), "UTC", "This was not me"] {
            assert!(text.contains(said), "{said} missing from {text}");
        }
        let when = app.state.clock.now().0.format("%Y-%m-%d").to_string();
        assert!(text.contains(&when), "{text}");
        assert!(told[0].html().contains(&format!("{WEB_URL}/account")));
        app.state.clock.advance(Duration::from_secs(3600));
        sign_in_from(&app, phone, "ada@example.com", PASSWORD).await;
        assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), 1, "a repeat within the day: no notice");

        // The known browser from another network: told.
        sign_in_from(&app, ("198.51.100.20", FIREFOX), "ada@example.com", PASSWORD).await;
        let told = notices(&app, &smtp, "ada@example.com").await;
        assert_eq!(told.len(), 2);
        assert!(told[1].text().contains("198.51.100.20") && told[1].text().contains("Firefox on Linux"));

        // 91 days without the phone: it is new again.
        app.state.clock.advance(Duration::from_secs(91 * 24 * 3600));
        sign_in_from(&app, home, "ada@example.com", PASSWORD).await; // the home browser: seen 91 days ago too
        assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), 3);
        sign_in_from(&app, home, "ada@example.com", PASSWORD).await;
        assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), 3);
        sign_in_from(&app, phone, "ada@example.com", PASSWORD).await;
        assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), 4);
    }
);

both!(
    async fn the_first_sign_in_after_registration_is_not_told_even_from_another_device(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = notice_app(kind, &smtp).await;
        register_from(&app, ("203.0.113.7", FIREFOX), "ada@example.com").await;
        sign_in_from(&app, ("198.51.100.1", SAFARI), "ada@example.com", PASSWORD).await;
        assert!(notices(&app, &smtp, "ada@example.com").await.is_empty(), "the first sign-in after registration");
        sign_in_from(&app, ("198.51.100.1", "curl/8.5.0"), "ada@example.com", PASSWORD).await;
        assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), 1, "and from then on");

        // As a seed database's user (no history at all): the first two sign-ins on record are not told either.
        let hash = todo_auth::auth::scheme::bcrypt_hash(PASSWORD, 4).unwrap();
        app.insert_user("seed@example.com", &hash, None).await;
        sign_in_from(&app, ("203.0.113.7", FIREFOX), "seed@example.com", PASSWORD).await;
        sign_in_from(&app, ("203.0.113.7", SAFARI), "seed@example.com", PASSWORD).await;
        assert!(notices(&app, &smtp, "seed@example.com").await.is_empty());
        sign_in_from(&app, ("203.0.113.7", "curl/8.5.0"), "seed@example.com", PASSWORD).await;
        assert_eq!(notices(&app, &smtp, "seed@example.com").await.len(), 1);
    }
);

both!(
    async fn every_way_in_is_told_the_two_factor_one_included_and_a_password_change_is_not(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = notice_app(kind, &smtp).await;
        let user = enrolled(&app, "ada@example.com").await;
        // A password change makes a fresh session for the browser that asked: not a new way in.
        let change = json!({ "current_password": PASSWORD, "new_password": "another long passphrase" });
        let res = from(
            &app,
            ("198.51.100.9", "curl/8.5.0"),
            Method::POST,
            "/api/auth/change-password",
            Some(&user.token),
            Some(change),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(notices(&app, &smtp, "ada@example.com").await.is_empty());
        // The second step of a two-factor sign-in from a new browser: told.
        let login = json!({ "email": "ada@example.com", "password": "another long passphrase" });
        let (_, body) =
            parts(from(&app, ("198.51.100.9", SAFARI), Method::POST, "/api/auth/login", None, Some(login)).await).await;
        let mfa = body["mfa_token"].as_str().unwrap().to_string();
        let code = json!({ "mfa_token": mfa, "code": totp(&user.secret, next_step(&app)) });
        let res = from(&app, ("198.51.100.9", SAFARI), Method::POST, "/api/auth/login/2fa", None, Some(code)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let told = notices(&app, &smtp, "ada@example.com").await;
        assert_eq!(told.len(), 1);
        assert!(told[0].text().contains("198.51.100.9") && told[0].text().contains("Safari on iPhone"));
    }
);

both!(
    async fn two_simultaneous_sign_ins_from_one_new_device_mail_one_notice(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = notice_app(kind, &smtp).await;
        register_from(&app, ("203.0.113.7", FIREFOX), "ada@example.com").await;
        sign_in_from(&app, ("203.0.113.7", FIREFOX), "ada@example.com", PASSWORD).await; // the first after it
        for (round, ua) in [SAFARI, "curl/8.5.0", "Wget/1.21"].into_iter().enumerate() {
            let sign_ins = (0..4).map(|_| sign_in_from(&app, ("198.51.100.1", ua), "ada@example.com", PASSWORD));
            futures::future::join_all(sign_ins).await;
            assert_eq!(notices(&app, &smtp, "ada@example.com").await.len(), round + 1, "round {round}: {ua}");
        }
    }
);
