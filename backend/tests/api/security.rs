//! Account security beyond the seed: sign-out, sign-out everywhere, password change — across API processes and
//! restarts. (Throttling is in `throttling/`.)

use std::sync::Arc;

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

use crate::throttling::expect_429;

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
            app.post(path, &a, json!({"current_password": "wrong", "new_password": "fresh new passphrase 1"})).await,
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

        let (s, body) = parts(
            app.post(path, &a, json!({"current_password": PASSWORD, "new_password": "fresh new passphrase 1"})).await,
        )
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
        assert_eq!(app.login("ada@example.com", "fresh new passphrase 1").await.status(), StatusCode::OK);
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
