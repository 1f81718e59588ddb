//! Sliding windows of the sign-in throttles, one request at a time: the sixth failure, what a success clears,
//! which clients are one, the per-client and per-email limits, registrations, wrong current passwords and
//! wrong two-factor codes, and the purge of old rows. Windows are moved with the app's test clock, never slept
//! through.

use std::{sync::atomic::Ordering, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{expect_429, login_from, PROXY};
use crate::both;
use crate::helpers::*;
use crate::two_factor::{enrolled, mfa_token, next_step, totp};

both!(
    async fn the_sixth_failure_is_429_decided_without_bcrypt(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        for _ in 0..5 {
            expect_detail(
                app.login("ada@example.com", "wrong").await,
                StatusCode::UNAUTHORIZED,
                "Invalid email or password",
            )
            .await;
        }
        let hashes = app.state.hasher.computations.load(Ordering::SeqCst);
        expect_429(app.login("ada@example.com", "wrong").await, 900).await;
        // Now even the right password waits, and a flood of attempts runs no bcrypt at all.
        expect_429(app.login("ada@example.com", PASSWORD).await, 900).await;
        for _ in 0..30 {
            assert_eq!(app.login("ada@example.com", "guess").await.status(), StatusCode::TOO_MANY_REQUESTS);
        }
        assert_eq!(app.state.hasher.computations.load(Ordering::SeqCst), hashes, "throttled attempts ran bcrypt");
        // When the window has moved past the failures, the user can try again.
        app.state.clock.advance(Duration::from_secs(901));
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_success_clears_the_pair_and_other_clients_are_unaffected(kind: Kind) {
        let app = TestApp::start_with(kind, &[PROXY]).await;
        app.signup("ada@example.com").await;
        for _ in 0..4 {
            assert_eq!(
                login_from(&app, "203.0.113.1", "ada@example.com", "wrong").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(login_from(&app, "203.0.113.1", "ada@example.com", PASSWORD).await.status(), StatusCode::OK);
        for _ in 0..5 {
            assert_eq!(
                login_from(&app, "203.0.113.1", "ada@example.com", "wrong").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        expect_429(login_from(&app, "203.0.113.1", "ada@example.com", PASSWORD).await, 900).await;
        // Another client is not locked out of the same account.
        assert_eq!(login_from(&app, "198.51.100.7", "ada@example.com", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(
            login_from(&app, "198.51.100.7", "ada@example.com", "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
);

both!(
    async fn x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        for i in 0..5 {
            let res = login_from(&app, &format!("203.0.113.{i}"), "ada@example.com", "wrong").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        // A spoofed header does not make a new client.
        expect_429(login_from(&app, "192.0.2.99", "ada@example.com", "wrong").await, 900).await;
    }
);

both!(
    async fn per_client_and_per_email_limits_hold_across_accounts_and_clients(kind: Kind) {
        let app =
            TestApp::start_with(kind, &[PROXY, ("LOGIN_FAILURES_PER_CLIENT", "3"), ("LOGINS_PER_EMAIL", "4")]).await;
        app.signup("ada@example.com").await;
        // One client trying many accounts.
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            assert_eq!(login_from(&app, "203.0.113.5", email, "x").await.status(), StatusCode::UNAUTHORIZED);
        }
        expect_429(login_from(&app, "203.0.113.5", "d@example.com", "x").await, 900).await;
        // Many clients trying one account: every attempt counts, successful or not.
        assert_eq!(login_from(&app, "198.51.100.1", "ada@example.com", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(login_from(&app, "198.51.100.2", "ada@example.com", "x").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(login_from(&app, "198.51.100.3", "ada@example.com", "x").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(login_from(&app, "198.51.100.4", "ada@example.com", "x").await.status(), StatusCode::UNAUTHORIZED);
        expect_429(login_from(&app, "198.51.100.5", "ada@example.com", PASSWORD).await, 900).await;
    }
);

both!(
    async fn registrations_are_limited_per_client_and_zero_turns_a_limit_off(kind: Kind) {
        let app = TestApp::start_with(
            kind,
            &[
                ("REGISTRATIONS_PER_CLIENT", "2"),
                ("LOGIN_FAILURES_PER_EMAIL_CLIENT", "0"),
                ("LOGIN_FAILURES_PER_CLIENT", "0"),
                ("LOGINS_PER_EMAIL", "0"),
            ],
        )
        .await;
        app.signup("one@example.com").await;
        app.signup("two@example.com").await;
        expect_429(app.register("three@example.com", PASSWORD, None).await, 900).await;
        for _ in 0..12 {
            assert_eq!(app.login("one@example.com", "wrong").await.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(app.login("one@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn wrong_current_passwords_are_throttled_like_logins(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        for _ in 0..5 {
            let res = app.change_password(&token, "x", "whatever123").await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        }
        let hashes = app.state.hasher.computations.load(Ordering::SeqCst);
        let res = app.change_password(&token, PASSWORD, "whatever123").await;
        expect_429(res, 900).await;
        assert_eq!(app.state.hasher.computations.load(Ordering::SeqCst), hashes);
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
    }
);

both!(
    async fn old_throttle_rows_and_expired_revocations_are_purged(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        for _ in 0..3 {
            app.login("ada@example.com", "wrong").await;
        }
        app.request(Method::POST, "/api/auth/logout", Some(&token), None).await;
        let now = app.state.clock.now();
        // Nothing is old yet.
        assert_eq!(app.state.db.purge(now.minus(Duration::from_secs(900)), now).await.unwrap(), 0);
        // A day later: the failures have left every window and the token has expired.
        let later = now.plus(Duration::from_secs(2 * 86400));
        let purged = app.state.db.purge(later.minus(Duration::from_secs(900)), later).await.unwrap();
        assert!(
            purged >= 5,
            "3 failures, their per-client rows, and the registration/login rows, plus one revocation: {purged}"
        );
    }
);

both!(
    async fn wrong_codes_are_throttled_per_user_and_per_client_with_the_sign_in_429(kind: Kind) {
        let app =
            TestApp::start_with(kind, &[("TRUSTED_PROXIES", "127.0.0.1"), ("LOGIN_FAILURES_PER_CLIENT", "8")]).await;
        let ada = enrolled(&app, "ada@example.com").await;
        let step = next_step(&app);
        let right = totp(&ada.secret, step);
        let wrong = if right == "000000" { "000001" } else { "000000" };
        let from = |client: &'static str, mfa: String, code: String| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/auth/login/2fa"))
                    .header("x-forwarded-for", client)
                    .json(&json!({"mfa_token": mfa, "code": code}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let mfa = mfa_token(&app, &ada.email).await;
        // Five wrong codes for Ada, each from another client: the sixth attempt is refused for her from
        // anywhere, even with the right code.
        for i in 0..5 {
            let client = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"][i];
            let res = from(client, mfa.clone(), wrong.to_string()).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = from("10.0.0.9", mfa.clone(), right.clone()).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry = retry_after(&res);
        let (_, body) = parts(res).await;
        assert_eq!(body["detail"], format!("Too many attempts. Try again in {retry} seconds."));

        // Per client: one client guessing at several accounts (8 failures allowed here, counted with
        // failed logins).
        let bob = enrolled(&app, "bob@example.com").await;
        let cy = enrolled(&app, "cy@example.com").await;
        for who in [&bob, &cy, &bob, &cy] {
            let mfa = mfa_token(&app, &who.email).await;
            assert_eq!(from("10.0.0.7", mfa, wrong.to_string()).await.status(), StatusCode::UNAUTHORIZED);
        }
        for _ in 0..4 {
            app.client
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", "10.0.0.7")
                .json(&json!({"email": "nobody@example.com", "password": "x"}))
                .send()
                .await
                .unwrap();
        }
        let mfa = mfa_token(&app, &bob.email).await;
        let step = next_step(&app);
        let res = from("10.0.0.7", mfa.clone(), totp(&bob.secret, step)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the client's failures are used up");
        assert_eq!(from("10.0.0.8", mfa, totp(&bob.secret, step)).await.status(), StatusCode::OK, "another client");

        // Once the window has moved on, Ada signs in with the right code.
        app.state.clock.advance(Duration::from_secs(901));
        let step = next_step(&app);
        let mfa = mfa_token(&app, &ada.email).await;
        assert_eq!(from("10.0.0.9", mfa, totp(&ada.secret, step)).await.status(), StatusCode::OK);
    }
);
