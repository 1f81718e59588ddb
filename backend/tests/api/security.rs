//! Account security beyond the seed: throttling, sign-out, sign-out everywhere, password change —
//! across API processes and restarts. Windows are moved with the app's test clock, never slept through.

use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

const PROXY: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1");

/// A login as if from `client` (through a trusted proxy's X-Forwarded-For).
async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn expect_429(res: reqwest::Response, max_wait: u64) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = retry_after(&res);
    assert!(retry >= 1 && retry <= max_wait, "Retry-After {retry} out of 1..={max_wait}");
    let (_, body) = parts(res).await;
    assert_eq!(body["detail"], format!("Too many attempts. Try again in {retry} seconds."));
    retry
}

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
    async fn two_api_processes_share_counters_and_revocations_and_both_survive_a_restart(kind: Kind) {
        let first = TestApp::start(kind).await;
        let db = first.db.clone();
        let second = TestApp::start_on(db.clone(), &[]).await;
        let (token, _) = first.signup("ada@example.com").await;
        for app in [&first, &first, &first, &second, &second] {
            assert_eq!(app.login("ada@example.com", "wrong").await.status(), StatusCode::UNAUTHORIZED);
        }
        expect_429(first.login("ada@example.com", PASSWORD).await, 900).await;
        expect_429(second.login("ada@example.com", PASSWORD).await, 900).await;
        // Sign out on one, refused on the other.
        assert_eq!(second.get("/api/tasks", &token).await.status(), StatusCode::OK);
        assert_eq!(
            first.request(Method::POST, "/api/auth/logout", Some(&token), None).await.status(),
            StatusCode::NO_CONTENT
        );
        expect_detail(second.get("/api/tasks", &token).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        first.stop().await;
        second.stop().await;
        // A restart forgets nothing.
        let third = TestApp::start_on(db, &[]).await;
        expect_429(third.login("ada@example.com", PASSWORD).await, 900).await;
        expect_detail(third.get("/api/tasks", &token).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
    }
);

both!(
    async fn logout_revokes_exactly_the_presented_token(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (a, _) = app.signup("ada@example.com").await;
        let (_, b) = parts(app.login("ada@example.com", PASSWORD).await).await;
        let b = b["access_token"].as_str().unwrap().to_string();
        let res = app.request(Method::POST, "/api/auth/logout", Some(&a), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        // /api/tasks checks the token in the query that reads the tasks; with a bad filter (which takes the
        // other path) the revoked token still answers 401 before the filter's 422, as on every route.
        for path in ["/api/auth/me", "/api/tasks", "/api/tasks?status=pending", "/api/tasks?status=done"] {
            let res = app.get(path, &a).await;
            assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
            expect_detail(res, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        }
        assert_eq!(app.get("/api/auth/me", &b).await.status(), StatusCode::OK, "the other session stays");
        // Logging out twice is a 401, not an error.
        assert_eq!(
            app.request(Method::POST, "/api/auth/logout", Some(&a), None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
);

both!(
    async fn logout_of_a_seed_style_token_without_a_session_revokes_exactly_it(kind: Kind) {
        // Tokens with a session are refused once their session is gone; one without (as the seed mints them) is
        // refused through revoked_tokens: that is the path this test holds.
        let app = TestApp::start(kind).await;
        let (ours, id) = app.signup("ada@example.com").await;
        let seed_token = |iat: i64| {
            mint(
                json!({"sub": id, "email": "ada@example.com", "iat": iat, "exp": now() + 3600}),
                SECRET,
                jsonwebtoken::Algorithm::HS256,
            )
        };
        let (first, second) = (seed_token(now()), seed_token(now() - 1));
        assert_eq!(app.get("/api/tasks", &first).await.status(), StatusCode::OK);
        let res = app.request(Method::POST, "/api/auth/logout", Some(&first), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        for path in ["/api/auth/me", "/api/tasks"] {
            expect_detail(app.get(path, &first).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        }
        assert_eq!(app.get("/api/tasks", &second).await.status(), StatusCode::OK, "another seed token stays");
        assert_eq!(app.get("/api/tasks", &ours).await.status(), StatusCode::OK, "and so does the session");
    }
);

both!(
    async fn logout_all_revokes_every_token_including_seed_style_ones(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (a, id) = app.signup("ada@example.com").await;
        let (_, b) = parts(app.login("ada@example.com", PASSWORD).await).await;
        let b = b["access_token"].as_str().unwrap().to_string();
        // As the seed mints them: no jti, no token version.
        let seed_token = mint(
            json!({"sub": id, "email": "ada@example.com", "iat": now(), "exp": now() + 3600}),
            SECRET,
            jsonwebtoken::Algorithm::HS256,
        );
        let (eve, _) = app.signup("eve@example.com").await;
        assert_eq!(app.get("/api/auth/me", &seed_token).await.status(), StatusCode::OK);

        let (s, body) = parts(app.request(Method::POST, "/api/auth/logout-all", Some(&b), None).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["reauthenticate"], true);
        assert!(body["message"].is_string());
        for t in [&a, &b, &seed_token] {
            expect_detail(app.get("/api/tasks", t).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        }
        assert_eq!(app.get("/api/tasks", &eve).await.status(), StatusCode::OK, "other users are not affected");
        let (s, fresh) = parts(app.login("ada@example.com", PASSWORD).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.get("/api/tasks", fresh["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
    }
);

both!(
    async fn change_password_checks_the_current_one_and_revokes_other_sessions(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (a, _) = app.signup("ada@example.com").await;
        let (_, b) = parts(app.login("ada@example.com", PASSWORD).await).await;
        let b = b["access_token"].as_str().unwrap().to_string();
        let path = "/api/auth/change-password";

        expect_detail(
            app.post(path, &a, json!({"current_password": "wrong", "new_password": "new password 1"})).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        assert_eq!(app.get("/api/auth/me", &a).await.status(), StatusCode::OK, "still signed in after a wrong guess");
        expect_422(
            app.post(path, &a, json!({"current_password": PASSWORD, "new_password": "short"})).await,
            Some("new_password"),
            "string_too_short",
        )
        .await;
        expect_422(app.post(path, &a, json!({"current_password": PASSWORD})).await, Some("new_password"), "missing")
            .await;

        let (s, body) =
            parts(app.post(path, &a, json!({"current_password": PASSWORD, "new_password": "new password 1"})).await)
                .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["user"]["email"], "ada@example.com");
        let fresh = body["access_token"].as_str().unwrap();
        assert_eq!(app.get("/api/tasks", fresh).await.status(), StatusCode::OK);
        for old in [&a, &b] {
            expect_detail(app.get("/api/tasks", old).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        }
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.login("ada@example.com", "new password 1").await.status(), StatusCode::OK);
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
    async fn a_seed_fixture_token_is_revoked_by_logout_all(kind: Kind) {
        let fx = fixture();
        let section = if kind == Kind::Sqlite { "sqlite" } else { "postgres" };
        let fx = &fx[section];
        let db = crate::fixtures::seed_database(kind).await;
        let app = TestApp::start_on(Arc::new(db), &[]).await;
        let seed_token = fx["tokens"]["valid_until_2099"].as_str().unwrap();
        let other_seed_token = fx["tokens"]["valid_userId_claim"].as_str().unwrap();
        assert_eq!(app.get("/api/tasks", seed_token).await.status(), StatusCode::OK);
        // Sign out of one seed token: it alone stops working.
        assert_eq!(
            app.request(Method::POST, "/api/auth/logout", Some(other_seed_token), None).await.status(),
            StatusCode::NO_CONTENT
        );
        expect_detail(
            app.get("/api/tasks", other_seed_token).await,
            StatusCode::UNAUTHORIZED,
            "Token has been revoked",
        )
        .await;
        assert_eq!(app.get("/api/tasks", seed_token).await.status(), StatusCode::OK);
        let (_, login) = parts(app.login("ada@example.com", fx["users"][0]["password"].as_str().unwrap()).await).await;
        let ours = login["access_token"].as_str().unwrap();
        assert_eq!(app.request(Method::POST, "/api/auth/logout-all", Some(ours), None).await.status(), StatusCode::OK);
        expect_detail(app.get("/api/tasks", seed_token).await, StatusCode::UNAUTHORIZED, "Token has been revoked")
            .await;
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
