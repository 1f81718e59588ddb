//! The account's history (`GET /api/auth/activity`): every event of the contract's list that exists today
//! appears after its action, with its detail, the client's address (the browser's, behind a trusted proxy) and
//! user agent; another user's events never; pages by `before`; bad paging values are 422; failed sign-ins are
//! on the tried account without the password and capped; old events are purged.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;
use crate::{
    both,
    two_factor::{next_step, setup, totp},
};

const WEB_URL: &str = "https://app.example";

/// The newest event must be `kind` with `detail`, from `device`.
async fn expect_newest(app: &TestApp, token: &str, device: (&str, &str), kind: &str, detail: &str) -> Value {
    let events = events(app, token).await;
    let newest = events.first().unwrap_or_else(|| panic!("no events (expected {kind})"));
    assert_eq!(newest["type"], kind, "{events:#?}");
    assert_eq!(newest["detail"], detail, "{newest}");
    assert_eq!((newest["ip"].as_str(), newest["user_agent"].as_str()), (Some(device.0), Some(device.1)), "{newest}");
    assert!(newest["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{newest}");
    newest.clone()
}

/// Step `n` of a test comes from its own browser address (through the trusted proxy), with `agent`.
fn at(n: u8, agent: &'static str) -> (&'static str, &'static str) {
    (Box::leak(format!("203.0.113.{n}").into_boxed_str()), agent)
}

/// The events of kind `kind`, newest first.
fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

both!(
    async fn every_event_appears_after_its_action_with_its_detail_address_and_browser(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(
            kind,
            &[("SMTP_URL", &smtp.url()), ("WEB_URL", WEB_URL), ("TRUSTED_PROXIES", "127.0.0.1")],
        )
        .await;
        let body = json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada" });
        let (status, reg) =
            parts(from(&app, at(1, FIREFOX), Method::POST, "/api/auth/register", None, Some(body)).await).await;
        assert_eq!(status, StatusCode::CREATED);
        let token = reg["access_token"].as_str().unwrap().to_string();
        let first = expect_newest(&app, &token, at(1, FIREFOX), "sign_in", "New account").await;
        assert_eq!(first["browser"], "Firefox on Linux");

        // A wrong password: on the tried account, never the password.
        let wrong = json!({ "email": "ada@example.com", "password": "not-my-password-42" });
        let res = from(&app, at(2, "curl/8.5.0"), Method::POST, "/api/auth/login", None, Some(wrong)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let failed = expect_newest(&app, &token, at(2, "curl/8.5.0"), "sign_in_failed", "Wrong password").await;
        assert_eq!(failed["browser"], "curl");
        assert!(rows_mentioning(&app, "not-my-password-42").await.is_empty(), "the password tried is kept nowhere");

        let token = sign_in_from(&app, at(3, SAFARI), "ada@example.com", PASSWORD).await;
        expect_newest(&app, &token, at(3, SAFARI), "sign_in", "Password").await;

        // The registration's link, opened in another browser.
        let link = app.mail(&smtp, "ada@example.com", 1).await.token();
        let verify = json!({ "token": link });
        let res = from(&app, at(4, FIREFOX), Method::POST, "/api/auth/verify-email", None, Some(verify)).await;
        assert_eq!(res.status(), StatusCode::OK);
        expect_newest(&app, &token, at(4, FIREFOX), "email_verified", "ada@example.com").await;

        // A change of address: asked for, then confirmed from the new mailbox.
        let change = json!({ "current_password": PASSWORD, "new_email": "ada@new.example.com" });
        let res = from(&app, at(5, SAFARI), Method::POST, "/api/auth/change-email", Some(&token), Some(change)).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        expect_newest(&app, &token, at(5, SAFARI), "email_change_requested", "To ada@new.example.com").await;
        let link = app.mail(&smtp, "ada@new.example.com", 1).await.token();
        let res =
            from(&app, at(6, FIREFOX), Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": link })))
                .await;
        assert_eq!(res.status(), StatusCode::OK);
        let email = "ada@new.example.com";
        expect_newest(&app, &token, at(6, FIREFOX), "email_changed", "ada@example.com → ada@new.example.com").await;

        // A change of password: the change, then the fresh session it answers.
        let new_password = "a fresh and long passphrase";
        let change = json!({ "current_password": PASSWORD, "new_password": new_password });
        let (status, body) = parts(
            from(&app, at(7, SAFARI), Method::POST, "/api/auth/change-password", Some(&token), Some(change)).await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().unwrap().to_string();
        expect_newest(&app, &token, at(7, SAFARI), "sign_in", "New password").await;
        let changed = of_kind(&events(&app, &token).await, "password_changed")[0].clone();
        assert_eq!(
            (changed["ip"].as_str(), changed["detail"].as_str()),
            (Some("203.0.113.7"), Some("Other sessions signed out"))
        );

        // A reset by mail.
        let res = from(
            &app,
            at(8, FIREFOX),
            Method::POST,
            "/api/auth/forgot-password",
            None,
            Some(json!({ "email": email })),
        )
        .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let reset_link = app.mails(&smtp, email).await.last().unwrap().token();
        let reset = json!({ "token": reset_link, "new_password": PASSWORD });
        let res = from(&app, at(9, FIREFOX), Method::POST, "/api/auth/reset-password", None, Some(reset)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let token = sign_in_from(&app, at(10, SAFARI), email, PASSWORD).await;
        let events_now = events(&app, &token).await;
        let reset = of_kind(&events_now, "password_reset")[0];
        assert_eq!((reset["ip"].as_str(), reset["user_agent"].as_str()), (Some("203.0.113.9"), Some(FIREFOX)));
        assert_eq!(reset["detail"], "With a mailed link");

        // Two-factor on.
        let secret = setup(&app, &token).await;
        let enable = json!({ "code": totp(&secret, next_step(&app)) });
        let (status, body) =
            parts(from(&app, at(11, SAFARI), Method::POST, "/api/auth/2fa/enable", Some(&token), Some(enable)).await)
                .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let recovery: Vec<String> =
            body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        expect_newest(&app, &token, at(11, SAFARI), "two_factor_enabled", "Authenticator app").await;

        // A sign-in whose code is wrong, then one with a recovery code.
        let login = json!({ "email": email, "password": PASSWORD });
        let (_, body) =
            parts(from(&app, at(12, FIREFOX), Method::POST, "/api/auth/login", None, Some(login.clone())).await).await;
        let mfa = body["mfa_token"].as_str().unwrap().to_string();
        let res = from(
            &app,
            at(12, FIREFOX),
            Method::POST,
            "/api/auth/login/2fa",
            None,
            Some(json!({ "mfa_token": mfa, "code": "000000" })),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        expect_newest(&app, &token, at(12, FIREFOX), "sign_in_failed", "Wrong two-factor code").await;
        let second = json!({ "mfa_token": mfa, "code": recovery[0] });
        let (status, body) =
            parts(from(&app, at(13, FIREFOX), Method::POST, "/api/auth/login/2fa", None, Some(second)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let firefox_token = body["access_token"].as_str().unwrap().to_string();
        expect_newest(&app, &token, at(13, FIREFOX), "sign_in", "Password and two-factor code").await;
        let used = of_kind(&events(&app, &token).await, "recovery_code_used")[0].clone();
        assert_eq!(
            (used["ip"].as_str(), used["detail"].as_str()),
            (Some("203.0.113.13"), Some("9 recovery codes left"))
        );

        // New recovery codes, then two-factor off (each with a recovery code).
        let renew = json!({ "current_password": PASSWORD, "code": recovery[1] });
        let res =
            from(&app, at(14, SAFARI), Method::POST, "/api/auth/2fa/recovery-codes", Some(&token), Some(renew)).await;
        assert_eq!(res.status(), StatusCode::OK);
        expect_newest(&app, &token, at(14, SAFARI), "recovery_codes_replaced", "10 new recovery codes").await;
        let disable = json!({ "current_password": PASSWORD, "code": totp(&secret, next_step(&app)) });
        let res = from(&app, at(15, SAFARI), Method::POST, "/api/auth/2fa/disable", Some(&token), Some(disable)).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        expect_newest(&app, &token, at(15, SAFARI), "two_factor_disabled", "Authenticator app").await;

        // Ending the Firefox session from the Safari one: the detail says which.
        let (_, list) = parts(app.get("/api/auth/sessions", &firefox_token).await).await;
        let firefox_session = list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/auth/sessions/{firefox_session}");
        let res = from(&app, at(16, SAFARI), Method::DELETE, &path, Some(&token), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        expect_newest(&app, &token, at(16, SAFARI), "session_ended", "Firefox on Linux, 203.0.113.13").await;

        // Sign-out of one session, then of every one.
        let other = sign_in_from(&app, at(17, FIREFOX), email, PASSWORD).await;
        let res = from(&app, at(18, FIREFOX), Method::POST, "/api/auth/logout", Some(&other), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        expect_newest(&app, &token, at(18, FIREFOX), "signed_out", "This session").await;
        let res = from(&app, at(19, SAFARI), Method::POST, "/api/auth/logout-all", Some(&token), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let token = sign_in_from(&app, at(20, SAFARI), email, PASSWORD).await;
        let all = events(&app, &token).await;
        let everywhere = of_kind(&all, "signed_out")[0];
        assert_eq!(
            (everywhere["ip"].as_str(), everywhere["detail"].as_str()),
            (Some("203.0.113.19"), Some("Every session"))
        );

        // Every kind of event that exists today is there, newest first.
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for kind in [
            "sign_in",
            "sign_in_failed",
            "signed_out",
            "session_ended",
            "password_changed",
            "password_reset",
            "email_change_requested",
            "email_changed",
            "email_verified",
            "two_factor_enabled",
            "two_factor_disabled",
            "recovery_code_used",
        ] {
            assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
        }
        let ids: Vec<i64> = all.iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    }
);

both!(
    async fn without_a_proxy_the_address_is_the_sockets(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        // Not a trusted proxy: X-Forwarded-For is the client's own say, and ignored.
        let token2 = sign_in_from(&app, ("198.51.100.1", FIREFOX), "ada@example.com", PASSWORD).await;
        let events = events(&app, &token).await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events.iter().all(|e| e["ip"] == "127.0.0.1"), "{events:?}");
        assert_eq!(events[0]["user_agent"], FIREFOX);
        drop(token2);
    }
);

both!(
    async fn another_users_events_never_appear_and_pages_go_back_by_before(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (bob, _) = app.signup("bob@example.com").await;
        for _ in 0..3 {
            assert_eq!(app.login("ada@example.com", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
            assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), StatusCode::OK);
        }
        let ada_events = events(&app, &ada).await;
        let bob_events = events(&app, &bob).await;
        assert_eq!(ada_events.len(), 7, "{ada_events:#?}");
        assert_eq!(bob_events.len(), 4, "{bob_events:#?}");
        let bob_ids: Vec<&Value> = bob_events.iter().map(|e| &e["id"]).collect();
        assert!(ada_events.iter().all(|e| !bob_ids.contains(&&e["id"])));
        assert_eq!(of_kind(&bob_events, "sign_in_failed").len(), 0, "Ada's failures are hers only");

        // Pages of 3, by `before`, add up to the whole list; the default is the newest 50.
        let (mut seen, mut before) = (Vec::new(), None::<String>);
        loop {
            let path = match &before {
                Some(id) => format!("/api/auth/activity?limit=3&before={id}"),
                None => "/api/auth/activity?limit=3".to_string(),
            };
            let (status, page) = parts(app.get(&path, &ada).await).await;
            assert_eq!(status, StatusCode::OK);
            let page = page["events"].as_array().unwrap().clone();
            assert!(page.len() <= 3);
            if page.is_empty() {
                break;
            }
            before = Some(page.last().unwrap()["id"].as_str().unwrap().to_string());
            seen.extend(page);
        }
        assert_eq!(seen, ada_events);
        let (_, all) = parts(app.get("/api/auth/activity", &ada).await).await;
        assert_eq!(all["events"].as_array().unwrap(), &ada_events);
        // `before` naming one of Bob's events pages Ada's own, older ones.
        let bobs_newest = bob_events[0]["id"].as_str().unwrap();
        let (_, page) = parts(app.get(&format!("/api/auth/activity?before={bobs_newest}"), &ada).await).await;
        assert!(page["events"].as_array().unwrap().iter().all(|e| ada_events.contains(e)));
        // Signed out: 401.
        expect_detail(
            app.request(Method::GET, "/api/auth/activity", None, None).await,
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
        )
        .await;
    }
);

both!(
    async fn bad_paging_values_are_422_never_a_500(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        for (query, field, kind) in [
            ("limit=0", "limit", "greater_than_equal"),
            ("limit=201", "limit", "less_than_equal"),
            ("limit=-5", "limit", "greater_than_equal"),
            ("limit=ten", "limit", "int_parsing"),
            ("limit=", "limit", "int_parsing"),
            ("before=0", "before", "greater_than_equal"),
            ("before=abc", "before", "int_parsing"),
            ("before=99999999999999999999999", "before", "int_parsing"),
            ("limit=1&limit=2", "limit", "string_type"),
            ("before=1&before=2", "before", "string_type"),
        ] {
            let (status, body) = parts(app.get(&format!("/api/auth/activity?{query}"), &token).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
            let errors = body["detail"].as_array().unwrap();
            assert!(errors.iter().any(|e| e["loc"] == json!(["query", field]) && e["type"] == kind), "{query}: {body}");
        }
        for query in ["limit=200", "limit=1", "before=1", "before=9223372036854775807", "other=1"] {
            assert_eq!(
                app.get(&format!("/api/auth/activity?{query}"), &token).await.status(),
                StatusCode::OK,
                "{query}"
            );
        }
    }
);

both!(
    async fn failed_sign_ins_are_on_the_tried_account_and_capped(kind: Kind) {
        // No throttle: every failure reaches the account, to show the cap on its own.
        let app = TestApp::start_with(
            kind,
            &[("LOGIN_FAILURES_PER_EMAIL_CLIENT", "0"), ("LOGIN_FAILURES_PER_CLIENT", "0"), ("LOGINS_PER_EMAIL", "0")],
        )
        .await;
        let (token, _) = app.signup("ada@example.com").await;
        let rows_before = count(&app, "SELECT COUNT(*) FROM activity WHERE user_id <> $1", "").await;
        // An address without an account leaves nothing anywhere.
        assert_eq!(app.login("nobody@example.com", "whatever it is").await.status(), StatusCode::UNAUTHORIZED);
        app.settle().await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM activity WHERE user_id <> $1", "").await, rows_before);

        // 25 failures in one hour: 10 rows, the newest counting the 15 after it.
        for _ in 0..25 {
            assert_eq!(app.login("ada@example.com", "wrong").await.status(), StatusCode::UNAUTHORIZED);
        }
        let failed = of_kind(&events(&app, &token).await, "sign_in_failed").into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(failed.len(), 10, "{failed:#?}");
        assert_eq!(failed[0]["detail"], "Wrong password (15 more in the hour that followed)");
        assert!(failed[1..].iter().all(|e| e["detail"] == "Wrong password"), "{failed:#?}");

        // Ten more hours of it: at most 100 rows are kept, the newest.
        for _ in 0..10 {
            app.state.clock.advance(Duration::from_secs(3601));
            for _ in 0..12 {
                assert_eq!(app.login("ada@example.com", "wrong").await.status(), StatusCode::UNAUTHORIZED);
            }
            app.settle().await; // the hour's records written within the hour
        }
        app.settle().await;
        let user_id = app.state.db.user_by_email("ada@example.com").await.unwrap().unwrap().id;
        let kept =
            count(&app, "SELECT COUNT(*) FROM activity WHERE user_id = $1 AND kind = 'sign_in_failed'", &user_id).await;
        assert_eq!(kept, 100);
        let counted = count(
            &app,
            "SELECT COALESCE(SUM(1 + repeats), 0) FROM activity WHERE user_id = $1 AND kind = 'sign_in_failed'",
            &user_id,
        )
        .await;
        assert_eq!(counted, 100 + 10 * 2, "the newest ten hours, each 10 rows and 2 folded into the newest");
        // The sign-in itself is still there.
        assert_eq!(of_kind(&events(&app, &token).await, "sign_in").len(), 1);
    }
);

both!(
    async fn events_older_than_the_retention_are_purged(kind: Kind) {
        let app = TestApp::start_with(kind, &[("ACTIVITY_RETENTION_DAYS", "2")]).await;
        let (token, _) = app.signup("ada@example.com").await;
        assert_eq!(app.login("ada@example.com", "wrong").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(events(&app, &token).await.len(), 2);
        let sign_in = || async {
            let res = app.login("ada@example.com", PASSWORD).await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
        };
        // A day later: kept (and the minutely purge, as maintenance runs it, removes nothing of it).
        app.state.clock.advance(Duration::from_secs(24 * 3600 + 60));
        app.state.purge_expired().await.unwrap();
        let day_later = sign_in().await;
        assert_eq!(events(&app, &day_later).await.len(), 3);
        // Two days after the first events: those are gone, the later ones stay.
        app.state.clock.advance(Duration::from_secs(24 * 3600));
        app.state.purge_expired().await.unwrap();
        let left = events(&app, &sign_in().await).await;
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().all(|e| e["type"] == "sign_in" && e["detail"] == "Password"), "{left:?}");
    }
);
