//! Two-factor sign-in: setup, enable, sign-in with a code or a recovery code, disable — and the ways
//! they must fail (wrong, replayed, raced, out-of-window codes; expired, forged, reused or voided
//! mfa_tokens; another user's factors; throttling; a wrong DATA_ENCRYPTION_KEY). Codes are computed here
//! from the secret the API hands out, with this file's own RFC 6238 code, at the app's test clock.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use todo_auth::db::Db;

use crate::both;
use crate::helpers::*;

/// RFC 6238 with SHA-1, 6 digits, 30 s steps (independent of the API's implementation).
pub(crate) fn totp(secret_base32: &str, step: i64) -> String {
    let key = data_encoding::BASE32_NOPAD.decode(secret_base32.as_bytes()).expect("base32 secret");
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&key).unwrap();
    mac.update(&u64::try_from(step).unwrap().to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0xf);
    let n =
        (u32::from(h[o] & 0x7f) << 24) | (u32::from(h[o + 1]) << 16) | (u32::from(h[o + 2]) << 8) | u32::from(h[o + 3]);
    format!("{:06}", n % 1_000_000)
}

#[test]
fn the_tests_own_totp_matches_rfc6238() {
    // RFC 6238 appendix B's SHA-1 seed, in base32; the 6-digit codes are the last six of its 8-digit ones.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    for (time, code) in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")] {
        assert_eq!(totp(secret, time / 30), code, "T = {time}");
    }
}

/// Moves the app's clock to one second into the next time step (so the test has ~29 s before the step
/// changes under it) and returns that step.
pub(crate) fn next_step(app: &TestApp) -> i64 {
    let now = app.state.clock.now().0.and_utc().timestamp();
    let advance = 30 - now.rem_euclid(30) + 1;
    app.state.clock.advance(Duration::from_secs(u64::try_from(advance).unwrap()));
    (now + advance).div_euclid(30)
}

/// Moves the clock of `app` (perhaps another process on the same database, with its own clock) to one
/// second into the step after `step`, or into the next step if it is already past that; returns it.
fn step_after(app: &TestApp, step: i64) -> i64 {
    let now = app.state.clock.now().0.and_utc().timestamp();
    let target = (step + 1) * 30 + 1;
    if now < target {
        app.state.clock.advance(Duration::from_secs(u64::try_from(target - now).unwrap()));
        step + 1
    } else {
        next_step(app)
    }
}

pub(crate) struct Enrolled {
    pub token: String,
    pub email: String,
    pub secret: String,
    pub recovery: Vec<String>,
}

pub(crate) async fn setup(app: &TestApp, token: &str) -> String {
    let (status, body) =
        parts(app.post("/api/auth/2fa/setup", token, json!({"current_password": PASSWORD})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let url = body["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/") && url.contains(&format!("secret={secret}")), "{url}");
    assert!(url.contains("algorithm=SHA1") && url.contains("digits=6") && url.contains("period=30"), "{url}");
    secret
}

/// Registers `email` and turns two-factor on.
pub(crate) async fn enrolled(app: &TestApp, email: &str) -> Enrolled {
    let (token, _) = app.signup(email).await;
    let secret = setup(app, &token).await;
    let step = next_step(app);
    let (status, body) =
        parts(app.post("/api/auth/2fa/enable", &token, json!({"code": totp(&secret, step)})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let recovery: Vec<String> =
        body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    Enrolled { token, email: email.to_string(), secret, recovery }
}

/// A login of a two-factor user: the 403 and its mfa_token.
pub(crate) async fn mfa_token(app: &TestApp, email: &str) -> String {
    let (status, body) = parts(app.login(email, PASSWORD).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["detail"], "Two-factor code required");
    assert!(body.get("access_token").is_none());
    body["mfa_token"].as_str().unwrap().to_string()
}

pub(crate) async fn login_2fa(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/login/2fa", None, Some(json!({"mfa_token": mfa_token, "code": code}))).await
}

async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = parts(app.get("/api/auth/me", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

both!(
    async fn setup_then_enable_with_a_valid_code_turns_sign_in_into_two_steps(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        assert_eq!(me(&app, &token).await["two_factor_enabled"], false);

        expect_detail(
            app.post("/api/auth/2fa/setup", &token, json!({"current_password": "wrong"})).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        expect_detail(
            app.post("/api/auth/2fa/enable", &token, json!({"code": "123456"})).await,
            StatusCode::BAD_REQUEST,
            "Start two-factor setup first",
        )
        .await;
        let first = setup(&app, &token).await;
        let secret = setup(&app, &token).await;
        assert_ne!(first, secret, "each setup makes a fresh secret");
        // Nothing is active yet: sign-in still answers a token at once.
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(me(&app, &token).await["two_factor_enabled"], false);

        let step = next_step(&app);
        for wrong in [totp(&first, step), totp(&secret, step + 3), "abc".into()] {
            expect_detail(
                app.post("/api/auth/2fa/enable", &token, json!({"code": wrong})).await,
                StatusCode::BAD_REQUEST,
                "Invalid two-factor code",
            )
            .await;
        }
        expect_422(app.post("/api/auth/2fa/enable", &token, json!({})).await, Some("code"), "missing").await;
        let (status, body) =
            parts(app.post("/api/auth/2fa/enable", &token, json!({"code": totp(&secret, step)})).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let codes = body["recovery_codes"].as_array().unwrap();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert_eq!(me(&app, &token).await["two_factor_enabled"], true);
        expect_detail(
            app.post("/api/auth/2fa/setup", &token, json!({"current_password": PASSWORD})).await,
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is already enabled",
        )
        .await;

        // Sign-in: 403 with an mfa_token, then the code. The code that enabled it is spent already.
        let mfa = mfa_token(&app, "ada@example.com").await;
        expect_detail(
            login_2fa(&app, &mfa, &totp(&secret, step)).await,
            StatusCode::UNAUTHORIZED,
            "Invalid two-factor code",
        )
        .await;
        let step = next_step(&app);
        let (status, body) = parts(login_2fa(&app, &mfa, &totp(&secret, step)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["user"]["email"], "ada@example.com");
        assert_eq!(body["user"]["two_factor_enabled"], true);
        let signed_in = body["access_token"].as_str().unwrap();
        assert_eq!(me(&app, signed_in).await["email"], "ada@example.com");

        // The same code again, with a fresh mfa_token, in its window: refused.
        let again = mfa_token(&app, "ada@example.com").await;
        expect_detail(
            login_2fa(&app, &again, &totp(&secret, step)).await,
            StatusCode::UNAUTHORIZED,
            "Invalid two-factor code",
        )
        .await;
        // The used mfa_token cannot sign in again, even with a fresh code.
        let step = next_step(&app);
        expect_detail(
            login_2fa(&app, &mfa, &totp(&secret, step)).await,
            StatusCode::UNAUTHORIZED,
            "Two-factor sign-in has expired or was already used; sign in again",
        )
        .await;
        // A wrong password is still the plain 401, with no mfa_token.
        let (status, body) = parts(app.login("ada@example.com", "wrong password").await).await;
        assert_eq!((status, body.get("mfa_token")), (StatusCode::UNAUTHORIZED, None));
    }
);

both!(
    async fn one_step_of_drift_either_way_is_accepted_and_two_are_not(kind: Kind) {
        let app = TestApp::start(kind).await;
        let ada = enrolled(&app, "ada@example.com").await;
        let now = next_step(&app) + 3;
        app.state.clock.advance(Duration::from_secs(3 * 30));
        let mfa = mfa_token(&app, &ada.email).await;
        for step in [now - 2, now + 2] {
            expect_detail(
                login_2fa(&app, &mfa, &totp(&ada.secret, step)).await,
                StatusCode::UNAUTHORIZED,
                "Invalid two-factor code",
            )
            .await;
        }
        assert_eq!(login_2fa(&app, &mfa, &totp(&ada.secret, now - 1)).await.status(), StatusCode::OK, "one step early");
        let mfa = mfa_token(&app, &ada.email).await;
        assert_eq!(login_2fa(&app, &mfa, &totp(&ada.secret, now + 1)).await.status(), StatusCode::OK, "one step late");
        // After the later step was used, an earlier (still in-window) code is spent too.
        let mfa = mfa_token(&app, &ada.email).await;
        assert_eq!(login_2fa(&app, &mfa, &totp(&ada.secret, now)).await.status(), StatusCode::UNAUTHORIZED);
    }
);

both!(
    async fn a_raced_code_signs_in_exactly_once(kind: Kind) {
        // Throttling off: the losers' failures must not turn the later rounds into 429s.
        let app =
            TestApp::start_with(kind, &[("LOGIN_FAILURES_PER_EMAIL_CLIENT", "0"), ("LOGIN_FAILURES_PER_CLIENT", "0")])
                .await;
        let ada = enrolled(&app, "ada@example.com").await;
        let step = next_step(&app);
        let code = totp(&ada.secret, step);
        // Different mfa_tokens, the same code, at once.
        let tokens = futures::future::join_all((0..6).map(|_| mfa_token(&app, &ada.email))).await;
        let answers = futures::future::join_all(tokens.iter().map(|t| login_2fa(&app, t, &code))).await;
        let ok = answers.iter().filter(|r| r.status() == StatusCode::OK).count();
        assert_eq!(ok, 1, "{:?}", answers.iter().map(|r| r.status()).collect::<Vec<_>>());
        assert!(answers.iter().all(|r| matches!(r.status(), StatusCode::OK | StatusCode::UNAUTHORIZED)));
        // One mfa_token, two valid codes (this step and the next), at once: one token is issued.
        let mfa = mfa_token(&app, &ada.email).await;
        let step = next_step(&app);
        let (now_code, next_code) = (totp(&ada.secret, step), totp(&ada.secret, step + 1));
        let (a, b) = futures::join!(login_2fa(&app, &mfa, &now_code), login_2fa(&app, &mfa, &next_code));
        let statuses = [a.status(), b.status()];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        // A raced recovery code, too.
        let tokens = futures::future::join_all((0..4).map(|_| mfa_token(&app, &ada.email))).await;
        let answers = futures::future::join_all(tokens.iter().map(|t| login_2fa(&app, t, &ada.recovery[0]))).await;
        assert_eq!(answers.iter().filter(|r| r.status() == StatusCode::OK).count(), 1);
    }
);

both!(
    async fn each_recovery_code_works_once_and_only_for_its_user(kind: Kind) {
        let app = TestApp::start(kind).await;
        let ada = enrolled(&app, "ada@example.com").await;
        let bob = enrolled(&app, "bob@example.com").await;

        let mfa = mfa_token(&app, &ada.email).await;
        expect_detail(
            login_2fa(&app, &mfa, &bob.recovery[0]).await,
            StatusCode::UNAUTHORIZED,
            "Invalid two-factor code",
        )
        .await;
        // Bob's current code does not open Ada's account either.
        let step = next_step(&app);
        expect_detail(
            login_2fa(&app, &mfa, &totp(&bob.secret, step)).await,
            StatusCode::UNAUTHORIZED,
            "Invalid two-factor code",
        )
        .await;
        // Typed loosely (upper case, spaces for dashes) it still counts.
        let loose = ada.recovery[0].to_uppercase().replace('-', " ");
        let (status, body) = parts(login_2fa(&app, &mfa, &loose).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mfa = mfa_token(&app, &ada.email).await;
        expect_detail(
            login_2fa(&app, &mfa, &ada.recovery[0]).await,
            StatusCode::UNAUTHORIZED,
            "Invalid two-factor code",
        )
        .await;
        assert_eq!(login_2fa(&app, &mfa, &ada.recovery[1]).await.status(), StatusCode::OK);
        // Bob's codes are untouched.
        let mfa = mfa_token(&app, &bob.email).await;
        assert_eq!(login_2fa(&app, &mfa, &bob.recovery[0]).await.status(), StatusCode::OK);
        // Only hashes are stored.
        let stored: Vec<String> = match &app.state.db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(p).await.unwrap(),
        };
        assert_eq!(stored.len(), 20);
        for code in ada.recovery.iter().chain(&bob.recovery) {
            assert!(stored.iter().all(|s| !s.contains(code.as_str()) && !s.contains(&code.replace('-', ""))));
        }
    }
);

both!(
    async fn mfa_tokens_expire_cannot_be_forged_and_die_with_a_password_change(kind: Kind) {
        let app = TestApp::start(kind).await;
        let ada = enrolled(&app, "ada@example.com").await;
        const EXPIRED: &str = "Two-factor sign-in has expired or was already used; sign in again";

        let mfa = mfa_token(&app, &ada.email).await;
        app.state.clock.advance(Duration::from_secs(5 * 60 + 1));
        let step = next_step(&app);
        expect_detail(login_2fa(&app, &mfa, &totp(&ada.secret, step)).await, StatusCode::UNAUTHORIZED, EXPIRED).await;
        for forged in ["forged", "A".repeat(43).as_str(), &mfa[..mfa.len() - 1]] {
            expect_detail(login_2fa(&app, forged, &totp(&ada.secret, step)).await, StatusCode::UNAUTHORIZED, EXPIRED)
                .await;
        }
        expect_422(login_2fa(&app, "", "123456").await, Some("mfa_token"), "string_too_short").await;

        // A password change voids an outstanding mfa_token (it was bound to the old password check), and
        // does not switch two-factor off.
        let mfa = mfa_token(&app, &ada.email).await;
        let res = app.change_password(&ada.token, PASSWORD, "another fine password").await;
        assert_eq!(res.status(), StatusCode::OK);
        expect_detail(login_2fa(&app, &mfa, &totp(&ada.secret, step)).await, StatusCode::UNAUTHORIZED, EXPIRED).await;
        let (status, body) = parts(app.login(&ada.email, "another fine password").await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "two-factor stays on after a password change: {body}");
        let mfa = body["mfa_token"].as_str().unwrap();
        assert_eq!(login_2fa(&app, mfa, &totp(&ada.secret, step)).await.status(), StatusCode::OK);
    }
);

both!(
    async fn setup_rechecks_the_password_throttled_like_a_login(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        for _ in 0..5 {
            let res = app.post("/api/auth/2fa/setup", &token, json!({"current_password": "guess"})).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        }
        let res = app.post("/api/auth/2fa/setup", &token, json!({"current_password": PASSWORD})).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // The login pair is the same one: sign-in from this client waits too.
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        let res =
            app.request(Method::POST, "/api/auth/2fa/setup", None, Some(json!({"current_password": PASSWORD}))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
);

both!(
    async fn disable_needs_the_password_and_a_code_or_a_recovery_code(kind: Kind) {
        let app = TestApp::start(kind).await;
        let ada = enrolled(&app, "ada@example.com").await;
        let bob = enrolled(&app, "bob@example.com").await;
        let step = next_step(&app);
        let disable = |token: String, password: &'static str, code: String| {
            let app = &app;
            async move {
                app.post("/api/auth/2fa/disable", &token, json!({"current_password": password, "code": code})).await
            }
        };
        expect_detail(
            disable(ada.token.clone(), "wrong", totp(&ada.secret, step)).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        expect_detail(
            disable(ada.token.clone(), PASSWORD, totp(&bob.secret, step)).await,
            StatusCode::BAD_REQUEST,
            "Invalid two-factor code",
        )
        .await;
        expect_detail(
            disable(ada.token.clone(), PASSWORD, bob.recovery[0].clone()).await,
            StatusCode::BAD_REQUEST,
            "Invalid two-factor code",
        )
        .await;
        assert_eq!(me(&app, &ada.token).await["two_factor_enabled"], true);
        // Bob's recovery code was not spent by Ada's attempt; with it Bob turns his off.
        assert_eq!(
            disable(bob.token.clone(), PASSWORD, bob.recovery[0].clone()).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(me(&app, &bob.token).await["two_factor_enabled"], false);
        assert_eq!(app.login(&bob.email, PASSWORD).await.status(), StatusCode::OK);

        let mfa = mfa_token(&app, &ada.email).await;
        assert_eq!(
            disable(ada.token.clone(), PASSWORD, totp(&ada.secret, step)).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(me(&app, &ada.token).await["two_factor_enabled"], false);
        expect_detail(
            disable(ada.token.clone(), PASSWORD, totp(&ada.secret, step)).await,
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is not enabled",
        )
        .await;
        let (status, body) = parts(app.login(&ada.email, PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["two_factor_enabled"], false);
        // What was outstanding is gone: the mfa_token, and (after enabling again) the old recovery codes.
        let step = next_step(&app);
        assert_eq!(login_2fa(&app, &mfa, &totp(&ada.secret, step)).await.status(), StatusCode::UNAUTHORIZED);
        let secret = setup(&app, &ada.token).await;
        assert_ne!(secret, ada.secret);
        let res = app.post("/api/auth/2fa/enable", &ada.token, json!({"code": totp(&secret, step)})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let mfa = mfa_token(&app, &ada.email).await;
        assert_eq!(login_2fa(&app, &mfa, &ada.recovery[3]).await.status(), StatusCode::UNAUTHORIZED);
    }
);

/// The stored secret as the database holds it.
async fn stored_secret(db: &Db) -> String {
    const SQL: &str = "SELECT secret FROM user_two_factor";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
    }
}

both!(
    async fn the_secret_is_unreadable_in_the_database_without_the_key_and_keys_rotate(kind: Kind) {
        let app = TestApp::start(kind).await;
        let ada = enrolled(&app, "ada@example.com").await;
        let stored = stored_secret(&app.state.db).await;
        let raw = data_encoding::BASE32_NOPAD.decode(ada.secret.as_bytes()).unwrap();
        assert!(!stored.contains(&ada.secret) && !stored.to_uppercase().contains(&ada.secret), "{stored}");
        assert!(!stored.as_bytes().windows(raw.len()).any(|w| w == raw.as_slice()));
        let db = app.db.clone();
        let used = next_step(&app) - 1;
        app.stop().await;

        // Another process with a different key: sign-in cannot be completed (500, logged), nothing leaks.
        let other =
            TestApp::start_on(db.clone(), &[("DATA_ENCRYPTION_KEY", "a-completely-different-key-0123456789abcdef")])
                .await;
        let step = step_after(&other, used);
        let mfa = mfa_token(&other, &ada.email).await;
        let (status, body) = parts(login_2fa(&other, &mfa, &totp(&ada.secret, step)).await).await;
        assert_eq!((status, &body["detail"]), (StatusCode::INTERNAL_SERVER_ERROR, &json!("Internal server error")));
        other.stop().await;

        // Rotation: a new key, the old one listed as previous: sign-in works and the secret is rewritten
        // under the new key (which then reads it alone).
        let new_key = "the-new-data-encryption-key-0123456789abcdef";
        let rotated = TestApp::start_on(
            db.clone(),
            &[("DATA_ENCRYPTION_KEY", new_key), ("DATA_ENCRYPTION_PREVIOUS_KEYS", DATA_KEY)],
        )
        .await;
        let step = step_after(&rotated, step);
        let mfa = mfa_token(&rotated, &ada.email).await;
        assert_eq!(login_2fa(&rotated, &mfa, &totp(&ada.secret, step)).await.status(), StatusCode::OK);
        let rewritten = stored_secret(&rotated.state.db).await;
        assert_ne!(rewritten.split('.').nth(1), stored.split('.').nth(1), "{stored} -> {rewritten}");
        rotated.stop().await;
        let new_only = TestApp::start_on(db, &[("DATA_ENCRYPTION_KEY", new_key)]).await;
        let step = step_after(&new_only, step);
        let mfa = mfa_token(&new_only, &ada.email).await;
        assert_eq!(login_2fa(&new_only, &mfa, &totp(&ada.secret, step)).await.status(), StatusCode::OK);
    }
);

both!(
    async fn users_without_two_factor_sign_in_as_before(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (status, body) = parts(app.login("ada@example.com", PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["user"]["two_factor_enabled"], false);
        assert!(body["access_token"].is_string());
        // login/2fa without a challenge, and disable without two-factor, are clear refusals.
        expect_detail(
            login_2fa(&app, "no-such-token", "123456").await,
            StatusCode::UNAUTHORIZED,
            "Two-factor sign-in has expired or was already used; sign in again",
        )
        .await;
        expect_detail(
            app.post("/api/auth/2fa/disable", &token, json!({"current_password": PASSWORD, "code": "123456"})).await,
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is not enabled",
        )
        .await;
        expect_422(
            app.post("/api/auth/2fa/disable", &token, json!({"current_password": PASSWORD})).await,
            Some("code"),
            "missing",
        )
        .await;
    }
);

both!(
    async fn turning_two_factor_on_and_off_each_mails_a_notice(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = crate::mail::mail_app(kind, &smtp.url(), &[]).await;
        let ada = enrolled(&app, "ada-2fa@example.com").await;
        // The registration's verification mail, then the notice.
        let on = app.mail(&smtp, &ada.email, 2).await;
        assert!(on.subject().contains("Two-factor sign-in is on"), "{}", on.subject());
        for part in [on.text(), on.html()] {
            assert!(part.contains("authenticator app") && part.contains("If this wasn"), "{part}");
        }
        assert_eq!(on.link(), None);

        // A refused disable changes nothing and mails nothing.
        let step = next_step(&app);
        let disable = |password: &'static str, code: String| {
            app.post("/api/auth/2fa/disable", &ada.token, json!({"current_password": password, "code": code}))
        };
        expect_detail(
            disable("wrong", totp(&ada.secret, step)).await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        assert_eq!(disable(PASSWORD, totp(&ada.secret, step)).await.status(), StatusCode::NO_CONTENT);
        let off = app.mail(&smtp, &ada.email, 3).await;
        assert!(off.subject().contains("Two-factor sign-in is off"), "{}", off.subject());
        assert!(off.text().contains("If this wasn't you"), "{}", off.text());
        assert_eq!(smtp.to(&ada.email).len(), 3, "exactly one notice each way");
        // Nobody else was mailed.
        assert!(smtp.all().iter().all(|m| m.to == vec![ada.email.clone()]));
    }
);
