//! Where you are signed in (`GET /api/auth/sessions`, `DELETE /api/auth/sessions/{id}`): every sign-in is a
//! session, ending one stops its token at once on every API process, sign-out paths end them, another
//! user's session is 404, and seed tokens (no session) keep working.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

/// Signs in with a given User-Agent (and extra headers); returns the token.
async fn login_as(app: &TestApp, email: &str, password: &str, headers: &[(&str, &str)]) -> String {
    let mut req = app.client.post(app.url("/api/auth/login")).json(&json!({ "email": email, "password": password }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "login {email}");
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = parts(app.get("/api/auth/sessions", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["sessions"].as_array().unwrap().clone()
}

async fn expect_revoked(app: &TestApp, token: &str) {
    for path in ["/api/tasks", "/api/auth/me", "/api/auth/sessions"] {
        expect_detail(app.get(path, token).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
    }
}

async fn expect_ok(app: &TestApp, token: &str) {
    for path in ["/api/tasks", "/api/auth/me"] {
        assert_eq!(app.get(path, token).await.status(), StatusCode::OK, "{path}");
    }
}

both!(
    async fn every_sign_in_is_a_session_listed_newest_first(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (first, _) = app.signup("ada@example.com").await;
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let second = login_as(&app, "ada@example.com", PASSWORD, &[("user-agent", firefox)]).await;

        let list = sessions(&app, &second).await;
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(list[0]["user_agent"], json!(firefox));
        assert_eq!(list[0]["current"], json!(true));
        assert_eq!(list[1]["current"], json!(false));
        for s in &list {
            assert_eq!(s["ip"], json!("127.0.0.1"));
            assert!(s["id"].as_str().is_some_and(|id| !id.is_empty()));
            for field in ["created_at", "last_used_at"] {
                assert!(s[field].as_str().is_some_and(|t| t.ends_with('Z')), "{field}: {s}");
            }
            let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 6, "{s}");
        }
        assert!(list[0]["created_at"].as_str() >= list[1]["created_at"].as_str());
        // The other token sees the same list with the other one current.
        let seen_by_first = sessions(&app, &first).await;
        assert_eq!(seen_by_first[1]["current"], json!(true));
        assert_eq!(seen_by_first[0]["id"], list[0]["id"]);
    }
);

both!(
    async fn ending_a_session_stops_its_token_and_only_its_owner_can(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (laptop, _) = app.signup("ada@example.com").await;
        let phone = login_as(&app, "ada@example.com", PASSWORD, &[]).await;
        let (mallory, _) = app.signup("mallory@example.com").await;
        let phone_id = sessions(&app, &phone).await[0]["id"].as_str().unwrap().to_string();
        let path = format!("/api/auth/sessions/{phone_id}");

        // Another user's session, an unknown id, a strange id: all the same 404.
        for (who, p) in [
            (&mallory, path.clone()),
            (&laptop, "/api/auth/sessions/no-such-session".to_string()),
            (&laptop, "/api/auth/sessions/%00%27%20OR%201=1".to_string()),
        ] {
            expect_detail(app.delete(&p, who).await, StatusCode::NOT_FOUND, "Session not found").await;
        }
        expect_ok(&app, &phone).await;
        assert_eq!(sessions(&app, &mallory).await.len(), 1);

        assert_eq!(app.delete(&path, &laptop).await.status(), StatusCode::NO_CONTENT);
        expect_revoked(&app, &phone).await;
        expect_detail(app.delete(&path, &laptop).await, StatusCode::NOT_FOUND, "Session not found").await;
        expect_ok(&app, &laptop).await;
        let left = sessions(&app, &laptop).await;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0]["current"], json!(true));
        // Without a token: 401, not 404.
        let res = app.request(Method::DELETE, &path, None, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Ending one's own current session signs this client out.
        let own = format!("/api/auth/sessions/{}", left[0]["id"].as_str().unwrap());
        assert_eq!(app.delete(&own, &laptop).await.status(), StatusCode::NO_CONTENT);
        expect_revoked(&app, &laptop).await;
    }
);

both!(
    async fn a_session_ended_on_one_process_is_refused_by_another_at_once(kind: Kind) {
        let a = TestApp::start(kind).await;
        let b = TestApp::start_on(a.db.clone(), &[]).await;
        let (laptop, _) = a.signup("ada@example.com").await;
        let phone = login_as(&b, "ada@example.com", PASSWORD, &[]).await;
        // Both processes have admitted the phone's token (and any cache would now be warm).
        expect_ok(&a, &phone).await;
        expect_ok(&b, &phone).await;
        let phone_id = sessions(&b, &phone).await[0]["id"].as_str().unwrap().to_string();
        assert_eq!(a.delete(&format!("/api/auth/sessions/{phone_id}"), &laptop).await.status(), StatusCode::NO_CONTENT);
        expect_revoked(&b, &phone).await;
        expect_revoked(&a, &phone).await;
        expect_ok(&b, &laptop).await;
        b.stop().await;
    }
);

both!(
    async fn sign_out_sign_out_everywhere_and_password_change_end_sessions(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (first, user_id) = app.signup("ada@example.com").await;
        let second = login_as(&app, "ada@example.com", PASSWORD, &[]).await;
        let third = login_as(&app, "ada@example.com", PASSWORD, &[]).await;
        assert_eq!(sessions(&app, &first).await.len(), 3);

        // Sign-out ends the session of the token that calls it.
        assert_eq!(app.post("/api/auth/logout", &third, json!({})).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(sessions(&app, &first).await.len(), 2);

        // A password change ends every session and begins a new one for this client.
        let res = app.change_password(&second, PASSWORD, "a brand new secret").await;
        let (status, body) = parts(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let fresh = body["access_token"].as_str().unwrap().to_string();
        for old in [&first, &second] {
            expect_revoked(&app, old).await;
        }
        let list = sessions(&app, &fresh).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["current"], json!(true));

        // Sign out everywhere: nothing left; the next sign-in is the only session.
        let other = login_as(&app, "ada@example.com", "a brand new secret", &[]).await;
        assert_eq!(sessions(&app, &fresh).await.len(), 2);
        assert_eq!(app.post("/api/auth/logout-all", &fresh, json!({})).await.status(), StatusCode::OK);
        expect_revoked(&app, &other).await;
        let again = login_as(&app, "ada@example.com", "a brand new secret", &[]).await;
        assert_eq!(sessions(&app, &again).await.len(), 1);

        // A reset (built elsewhere) bumps users.token_version: that too ends every session listed.
        let event = app.event(todo_auth::db::EventType::SignedOut);
        app.state.db.bump_token_version(&user_id, app.state.clock.now(), &event).await.unwrap();
        let after_reset = login_as(&app, "ada@example.com", "a brand new secret", &[]).await;
        expect_revoked(&app, &again).await;
        let list = sessions(&app, &after_reset).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["current"], json!(true));
        // The purge removes the rows nothing lists any more.
        let purged = app.state.db.purge(app.state.clock.now(), app.state.clock.now()).await.unwrap();
        assert!(purged >= 1);
        assert_eq!(sessions(&app, &after_reset).await.len(), 1);
    }
);

both!(
    async fn last_used_moves_at_most_once_a_minute(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let last_used = |list: Vec<Value>| list[0]["last_used_at"].as_str().unwrap().to_string();
        let at_sign_in = last_used(sessions(&app, &token).await);
        for path in ["/api/tasks", "/api/auth/me", "/api/tasks?status=pending"] {
            assert_eq!(app.get(path, &token).await.status(), StatusCode::OK);
        }
        assert_eq!(last_used(sessions(&app, &token).await), at_sign_in, "not a write per request");

        app.state.clock.advance(Duration::from_secs(61));
        assert_eq!(app.get("/api/tasks", &token).await.status(), StatusCode::OK);
        let moved = last_used(sessions(&app, &token).await);
        assert!(moved > at_sign_in, "{moved} after {at_sign_in}");
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        assert_eq!(last_used(sessions(&app, &token).await), moved);

        app.state.clock.advance(Duration::from_secs(61));
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        assert!(last_used(sessions(&app, &token).await) > moved);
    }
);

both!(
    async fn tokens_without_a_session_still_work_and_end_with_sign_out_everywhere(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ours, user_id) = app.signup("ada@example.com").await;
        // What the seed mints: sub, email, iat, exp; no jti, tv or sid.
        let seed = mint(
            json!({"sub": user_id, "email": "ada@example.com", "iat": now(), "exp": now() + 3600}),
            SECRET,
            Algorithm::HS256,
        );
        expect_ok(&app, &seed).await;
        app.create_task(&seed, "from the seed's frontend").await;
        let list = sessions(&app, &seed).await;
        assert_eq!(list.len(), 1, "seed tokens are not listed");
        assert_eq!(list[0]["current"], json!(false));

        assert_eq!(app.post("/api/auth/logout-all", &ours, json!({})).await.status(), StatusCode::OK);
        expect_revoked(&app, &seed).await;
    }
);

both!(
    async fn a_session_id_of_another_user_or_of_nothing_in_a_token_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, ada_id) = app.signup("ada@example.com").await;
        let (_, bob_id) = app.signup("bob@example.com").await;
        let ada_session = sessions(&app, &ada).await[0]["id"].as_str().unwrap().to_string();
        // Even with the signing key (a bug elsewhere), a sid only counts for its own user.
        let claims = |sub: &str, sid: &str| json!({"sub": sub, "email": "x@example.com", "iat": now(), "exp": now() + 3600, "jti": sid, "tv": 0, "sid": sid});
        for (sub, sid) in [(bob_id.as_str(), ada_session.as_str()), (ada_id.as_str(), "never-issued")] {
            expect_revoked(&app, &mint(claims(sub, sid), SECRET, Algorithm::HS256)).await;
        }
        expect_ok(&app, &mint(claims(&ada_id, &ada_session), SECRET, Algorithm::HS256)).await;
    }
);

both!(
    async fn the_address_is_the_browsers_behind_a_trusted_proxy_only(kind: Kind) {
        let app = TestApp::start_with(kind, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        let (token, _) = app.signup("ada@example.com").await;
        let forwarded = [("x-forwarded-for", "203.0.113.7"), (header::USER_AGENT.as_str(), "curl/8.5.0")];
        let via_proxy = login_as(&app, "ada@example.com", PASSWORD, &forwarded).await;
        let list = sessions(&app, &via_proxy).await;
        assert_eq!(list[0]["ip"], json!("203.0.113.7"));
        assert_eq!(list[0]["user_agent"], json!("curl/8.5.0"));
        app.stop().await;

        // Not trusted: the header is ignored.
        let direct = TestApp::start(kind).await;
        direct.signup("ada@example.com").await;
        let token2 = login_as(&direct, "ada@example.com", PASSWORD, &forwarded).await;
        assert_eq!(sessions(&direct, &token2).await[0]["ip"], json!("127.0.0.1"));
        drop(token);
    }
);
