//! Passkeys (WebAuthn) over HTTP, with a software authenticator (`soft_passkey.rs`: a P-256 key made with
//! OpenSSL, the authenticator data, the attestation object in CBOR and the assertion signature built by hand, so every field a browser or authenticator could get wrong can be got wrong on purpose): adding a
//! passkey (with a fresh proof), signing in with it (discoverable: no email), listing, renaming, removing; and
//! the refusals — a replayed assertion, a challenge used twice or after 5 minutes, another user's ceremony, a
//! wrong origin or RP id, no user verification, a counter going backwards, another user's or a removed
//! credential, the last way in — and two API processes on one database.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::{
    both,
    soft_passkey::{b64, Answer, Authenticator, RP_ID, UP, UV},
    two_factor::enrolled,
};

/// `register/start` with the password: its ceremony id and options.
pub async fn register_start(app: &TestApp, token: &str) -> (String, Value) {
    let (status, body) =
        parts(app.post("/api/auth/passkeys/register/start", token, json!({ "current_password": PASSWORD })).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (body["ceremony_id"].as_str().unwrap().to_string(), body["options"].clone())
}

pub async fn register_finish(app: &TestApp, token: &str, ceremony: &str, credential: Value) -> (StatusCode, Value) {
    let body = json!({ "ceremony_id": ceremony, "name": "Test key", "credential": credential });
    parts(app.post("/api/auth/passkeys/register/finish", token, body).await).await
}

/// Adds a passkey to the account of `token`: the authenticator and the passkey's id.
pub async fn add_passkey(app: &TestApp, token: &str) -> (Authenticator, String) {
    let (ceremony, options) = register_start(app, token).await;
    let (authenticator, credential) = Authenticator::create(&options, &Answer::default());
    let (status, body) = register_finish(app, token, &ceremony, credential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (authenticator, body["id"].as_str().unwrap().to_string())
}

pub async fn login_start(app: &TestApp) -> (String, Value) {
    let (status, body) = parts(app.request(Method::POST, "/api/auth/passkeys/login/start", None, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (body["ceremony_id"].as_str().unwrap().to_string(), body["options"].clone())
}

pub async fn login_finish(app: &TestApp, ceremony: &str, credential: &Value) -> (StatusCode, Value) {
    let body = json!({ "ceremony_id": ceremony, "credential": credential });
    parts(app.request(Method::POST, "/api/auth/passkeys/login/finish", None, Some(body)).await).await
}

/// A whole passkey sign-in with `answer`: status and body.
async fn sign_in(app: &TestApp, authenticator: &mut Authenticator, answer: &Answer) -> (StatusCode, Value) {
    let (ceremony, options) = login_start(app).await;
    let assertion = authenticator.assert(&options, answer);
    login_finish(app, &ceremony, &assertion).await
}

const REFUSED: &str = "Passkey sign-in failed: the passkey was not recognised or the request expired";

async fn passkeys_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = parts(app.get("/api/auth/passkeys", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["passkeys"].as_array().unwrap().clone()
}

both!(
    async fn a_passkey_is_added_signs_in_without_an_email_and_is_renamed_and_removed(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url())]).await;
        let (token, user_id) = app.signup("ada@example.com").await;

        let (ceremony, options) = register_start(&app, &token).await;
        // The options a browser needs: our RP, the account's handle, a discoverable credential, user
        // verification required, no attestation.
        assert_eq!(options["rp"]["id"], RP_ID);
        assert_eq!(options["rp"]["name"], "Todo");
        assert_eq!(options["user"]["name"], "ada@example.com");
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(options["attestation"], "none");
        assert!(B64.decode(options["challenge"].as_str().unwrap()).unwrap().len() >= 16);
        let (mut authenticator, credential) = Authenticator::create(&options, &Answer::default());
        let (status, added) = register_finish(&app, &token, &ceremony, credential).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["name"], "Test key");
        assert!(added["last_used_at"].is_null());
        let id = added["id"].as_str().unwrap().to_string();

        // The next registration excludes it.
        let (_, options) = register_start(&app, &token).await;
        let excluded = options["excludeCredentials"].as_array().unwrap();
        assert_eq!(excluded.len(), 1);
        assert_eq!(excluded[0]["id"], b64(&authenticator.credential_id));

        // Sign-in: no email, no allow-list.
        let (ceremony, options) = login_start(&app).await;
        assert_eq!(options["rpId"], RP_ID);
        assert_eq!(options["userVerification"], "required");
        assert!(options["allowCredentials"].as_array().is_none_or(|a| a.is_empty()), "{options}");
        let assertion = authenticator.assert(&options, &Answer::default());
        let (status, body) = login_finish(&app, &ceremony, &assertion).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["user"]["id"], user_id.as_str());
        let passkey_token = body["access_token"].as_str().unwrap().to_string();
        let (status, me) = parts(app.get("/api/auth/me", &passkey_token).await).await;
        assert_eq!((status, &me["email"]), (StatusCode::OK, &json!("ada@example.com")));

        // A listed session, a sign-in on the history said to be by passkey.
        let (_, sessions) = parts(app.get("/api/auth/sessions", &passkey_token).await).await;
        assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2, "{sessions}");
        let (_, history) = parts(app.get("/api/auth/activity", &token).await).await;
        let events = history["events"].as_array().unwrap();
        assert!(events.iter().any(|e| e["type"] == "sign_in" && e["detail"] == "Passkey"), "{history}");
        assert!(events.iter().any(|e| e["type"] == "passkey_added" && e["detail"] == "Test key"), "{history}");

        // Listed with its use; the counter and the backup state recorded.
        let listed = passkeys_of(&app, &token).await;
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0]["id"].as_str(), &listed[0]["name"]), (Some(id.as_str()), &json!("Test key")));
        assert!(listed[0]["last_used_at"].is_string() && listed[0]["created_at"].is_string());
        assert_eq!(listed[0]["backed_up"], false);
        assert!(listed[0].get("passkey").is_none() && listed[0].get("credential_id").is_none(), "never the key");
        let counter: i64 = on_db(&app, "SELECT counter FROM passkeys").await;
        assert_eq!(counter, 1);

        // In the export: name and dates, no key.
        let (_, export) = parts(app.get("/api/auth/export", &token).await).await;
        assert_eq!(export["passkeys"][0]["name"], "Test key", "{export}");
        assert!(export["passkeys"][0].get("passkey").is_none());

        // Renamed.
        let (status, renamed) =
            parts(app.patch(&format!("/api/auth/passkeys/{id}"), &token, json!({ "name": "  Laptop " })).await).await;
        assert_eq!((status, &renamed["name"]), (StatusCode::OK, &json!("Laptop")), "{renamed}");
        expect_422(
            app.patch(&format!("/api/auth/passkeys/{id}"), &token, json!({ "name": " " })).await,
            Some("name"),
            "string_too_short",
        )
        .await;
        let res = app.patch("/api/auth/passkeys/nope", &token, json!({ "name": "x" })).await;
        expect_detail(res, StatusCode::NOT_FOUND, "Passkey not found").await;

        // Removed (the account keeps its password): it signs in no more.
        let res = app.delete(&format!("/api/auth/passkeys/{id}"), &token).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(passkeys_of(&app, &token).await.is_empty());
        let (status, body) = sign_in(&app, &mut authenticator, &Answer::default()).await;
        assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)));
        let res = app.delete(&format!("/api/auth/passkeys/{id}"), &token).await;
        expect_detail(res, StatusCode::NOT_FOUND, "Passkey not found").await;

        // Adding and removing each mailed a notice.
        let subjects: Vec<String> = app.mails(&smtp, "ada@example.com").await.iter().map(|m| m.subject()).collect();
        assert!(subjects.iter().any(|s| s.contains("A passkey was added")), "{subjects:?}");
        assert!(subjects.iter().any(|s| s.contains("A passkey was removed")), "{subjects:?}");
    }
);

/// One value read straight from the test's database.
async fn on_db(app: &TestApp, sql: &str) -> i64 {
    match &app.state.db {
        todo_auth::db::Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap(),
        todo_auth::db::Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap(),
    }
}

both!(
    async fn a_passkey_satisfies_two_factor(kind: Kind) {
        let app = TestApp::start(kind).await;
        let user = enrolled(&app, "two@example.com").await;
        let (mut authenticator, _) = add_passkey(&app, &user.token).await;
        let (status, body) = sign_in(&app, &mut authenticator, &Answer::default()).await;
        assert_eq!(status, StatusCode::OK, "no TOTP step after a passkey: {body}");
        assert!(body["access_token"].is_string() && body.get("mfa_token").is_none());
    }
);

both!(
    async fn an_assertion_or_a_challenge_works_once(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (mut authenticator, _) = add_passkey(&app, &token).await;

        let (ceremony, options) = login_start(&app).await;
        let assertion = authenticator.assert(&options, &Answer::default());
        assert_eq!(login_finish(&app, &ceremony, &assertion).await.0, StatusCode::OK);
        // The same assertion again: its challenge is spent.
        let (status, body) = login_finish(&app, &ceremony, &assertion).await;
        assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)));
        // Replayed against a fresh challenge: it signs another one.
        let (fresh, _) = login_start(&app).await;
        assert_eq!(login_finish(&app, &fresh, &assertion).await.0, StatusCode::UNAUTHORIZED);

        // A challenge used twice, with two correct answers: the second is refused.
        let (ceremony, options) = login_start(&app).await;
        let first = authenticator.assert(&options, &Answer::default());
        let second = authenticator.assert(&options, &Answer::default());
        assert_eq!(login_finish(&app, &ceremony, &first).await.0, StatusCode::OK);
        assert_eq!(login_finish(&app, &ceremony, &second).await.0, StatusCode::UNAUTHORIZED);

        // Two finishes of one challenge at once: exactly one signs in.
        let (ceremony, options) = login_start(&app).await;
        let answers: Vec<Value> = (0..4).map(|_| authenticator.assert(&options, &Answer::default())).collect();
        let results = futures::future::join_all(answers.iter().map(|a| login_finish(&app, &ceremony, a))).await;
        let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(ok, 1, "{results:?}");

        // A registration's ceremony works once too.
        let (ceremony, options) = register_start(&app, &token).await;
        let (_, credential) = Authenticator::create(&options, &Answer::default());
        assert_eq!(register_finish(&app, &token, &ceremony, credential).await.0, StatusCode::CREATED);
        let (_, credential) = Authenticator::create(&options, &Answer::default());
        let (status, body) = register_finish(&app, &token, &ceremony, credential).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(passkeys_of(&app, &token).await.len(), 2);
    }
);

both!(
    async fn a_challenge_older_than_five_minutes_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (mut authenticator, _) = add_passkey(&app, &token).await;

        let (ceremony, options) = login_start(&app).await;
        let assertion = authenticator.assert(&options, &Answer::default());
        app.state.clock.advance(Duration::from_secs(5 * 60 + 1));
        let (status, body) = login_finish(&app, &ceremony, &assertion).await;
        assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)));

        let (ceremony, options) = login_start(&app).await;
        let assertion = authenticator.assert(&options, &Answer::default());
        app.state.clock.advance(Duration::from_secs(4 * 60 + 50));
        assert_eq!(login_finish(&app, &ceremony, &assertion).await.0, StatusCode::OK, "within 5 minutes");

        let (ceremony, options) = register_start(&app, &token).await;
        let (_, credential) = Authenticator::create(&options, &Answer::default());
        app.state.clock.advance(Duration::from_secs(5 * 60 + 1));
        let (status, body) = register_finish(&app, &token, &ceremony, credential).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(passkeys_of(&app, &token).await.len(), 1);
    }
);

both!(
    async fn another_users_registration_ceremony_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (eve, _) = app.signup("eve@example.com").await;
        let (ceremony, options) = register_start(&app, &ada).await;
        let (_, credential) = Authenticator::create(&options, &Answer::default());
        let (status, body) = register_finish(&app, &eve, &ceremony, credential.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(passkeys_of(&app, &eve).await.is_empty());
        // Eve's try did not spend Ada's ceremony.
        assert_eq!(register_finish(&app, &ada, &ceremony, credential).await.0, StatusCode::CREATED);
    }
);

both!(
    async fn a_wrong_origin_rp_id_or_no_user_verification_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (mut authenticator, _) = add_passkey(&app, &token).await;

        let wrong = [
            Answer { origin: "http://evil.example".into(), ..Answer::default() },
            Answer { origin: "http://localhost:4000".into(), ..Answer::default() },
            Answer { rp_id: "evil.example".into(), ..Answer::default() },
            Answer { flags: UP, ..Answer::default() },
            Answer { flags: UV, ..Answer::default() },
        ];
        for answer in &wrong {
            let (status, body) = sign_in(&app, &mut authenticator, answer).await;
            assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)), "{}", answer.origin);
        }
        for answer in &wrong {
            let (ceremony, options) = register_start(&app, &token).await;
            let (_, credential) = Authenticator::create(&options, answer);
            let (status, body) = register_finish(&app, &token, &ceremony, credential).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{} {body}", answer.rp_id);
        }
        assert_eq!(passkeys_of(&app, &token).await.len(), 1);
        // The right answer still works.
        assert_eq!(sign_in(&app, &mut authenticator, &Answer::default()).await.0, StatusCode::OK);
    }
);

both!(
    async fn a_counter_going_backwards_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (mut authenticator, _) = add_passkey(&app, &token).await;
        authenticator.counter = 9;
        assert_eq!(sign_in(&app, &mut authenticator, &Answer::default()).await.0, StatusCode::OK);
        for counter in [10, 3, 0] {
            let (ceremony, options) = login_start(&app).await;
            let assertion = authenticator.assert_with_counter(&options, &Answer::default(), counter);
            let (status, body) = login_finish(&app, &ceremony, &assertion).await;
            assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)), "counter {counter}");
        }
        assert_eq!(on_db(&app, "SELECT counter FROM passkeys").await, 10);
        assert_eq!(sign_in(&app, &mut authenticator, &Answer::default()).await.0, StatusCode::OK);
    }
);

both!(
    async fn another_users_credential_is_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (eve, _) = app.signup("eve@example.com").await;
        let (mut ada_key, _) = add_passkey(&app, &ada).await;
        let (mut eve_key, _) = add_passkey(&app, &eve).await;

        // Eve's credential presented with Ada's user handle.
        let mut mixed = eve_key.forged();
        mixed.key = eve_key.key.clone();
        mixed.user_handle = ada_key.user_handle.clone();
        assert_eq!(sign_in(&app, &mut mixed, &Answer::default()).await.0, StatusCode::UNAUTHORIZED);
        // Ada's credential id, signed with another key.
        let mut forged = ada_key.forged();
        assert_eq!(sign_in(&app, &mut forged, &Answer::default()).await.0, StatusCode::UNAUTHORIZED);
        // An unknown credential.
        let (_, options) = register_start(&app, &eve).await;
        let (mut stranger, _) = Authenticator::create(&options, &Answer::default());
        assert_eq!(sign_in(&app, &mut stranger, &Answer::default()).await.0, StatusCode::UNAUTHORIZED);

        // Each one's own signs in as its owner; nobody can remove another's passkey.
        let (_, body) = sign_in(&app, &mut ada_key, &Answer::default()).await;
        assert_eq!(body["user"]["email"], "ada@example.com");
        let (_, body) = sign_in(&app, &mut eve_key, &Answer::default()).await;
        assert_eq!(body["user"]["email"], "eve@example.com");
        let ada_id = passkeys_of(&app, &ada).await[0]["id"].as_str().unwrap().to_string();
        let res = app.delete(&format!("/api/auth/passkeys/{ada_id}"), &eve).await;
        expect_detail(res, StatusCode::NOT_FOUND, "Passkey not found").await;
        let res = app.patch(&format!("/api/auth/passkeys/{ada_id}"), &eve, json!({ "name": "mine" })).await;
        expect_detail(res, StatusCode::NOT_FOUND, "Passkey not found").await;
        assert_eq!(passkeys_of(&app, &ada).await.len(), 1);
    }
);

both!(
    async fn adding_a_passkey_needs_a_fresh_proof(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        expect_422(
            app.post("/api/auth/passkeys/register/start", &token, json!({})).await,
            Some("current_password"),
            "missing",
        )
        .await;
        let res =
            app.post("/api/auth/passkeys/register/start", &token, json!({ "current_password": "wrong one" })).await;
        expect_detail(res, StatusCode::BAD_REQUEST, "Current password is incorrect").await;
        let res = app.request(Method::POST, "/api/auth/passkeys/register/start", None, Some(json!({}))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = app
            .request(
                Method::POST,
                "/api/auth/passkeys/register/finish",
                None,
                Some(json!({"ceremony_id": "x", "credential": {}})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Malformed answers are a clear 4xx, never a 500.
        let (ceremony, _) = register_start(&app, &token).await;
        let (status, _) = register_finish(&app, &token, &ceremony, json!({ "id": 1 })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let res = app
            .post("/api/auth/passkeys/register/finish", &token, json!({ "ceremony_id": "x", "credential": "no" }))
            .await;
        expect_422(res, Some("credential"), "dict_type").await;
        let (ceremony, _) = login_start(&app).await;
        let (status, _) = login_finish(&app, &ceremony, &json!({ "rawId": "!!", "response": {} })).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

/// An account without a password (as a provider sign-in makes), signed in now: its token.
async fn passwordless(app: &TestApp, email: &str) -> String {
    let id = app.insert_user(email, &todo_auth::auth::no_password::marker(4), None).await;
    let user = app.state.db.user_by_id(&id).await.unwrap().unwrap();
    let device = todo_auth::flows::Device { ip: todo_auth::auth::ClientIp(None), user_agent: None };
    let signed_in = todo_auth::flows::sign_in::finish_sign_in(
        &app.state,
        &device,
        user,
        todo_auth::flows::sign_in::Method::Provider,
    )
    .await
    .unwrap();
    signed_in.access_token
}

both!(
    async fn without_a_password_a_recent_sign_in_is_the_proof_and_the_last_passkey_stays(kind: Kind) {
        let app = TestApp::start(kind).await;
        let token = passwordless(&app, "nopw@example.com").await;
        // No password to give: the sign-in (a minute old) is the proof.
        app.state.clock.advance(Duration::from_secs(60));
        let (ceremony, options) = parts(app.post("/api/auth/passkeys/register/start", &token, json!({})).await)
            .await
            .1
            .as_object()
            .map(|b| (b["ceremony_id"].as_str().unwrap().to_string(), b["options"].clone()))
            .unwrap();
        let (mut first, credential) = Authenticator::create(&options, &Answer::default());
        assert_eq!(register_finish(&app, &token, &ceremony, credential).await.0, StatusCode::CREATED);

        // Its only way in now: the passkey cannot be removed.
        let id = passkeys_of(&app, &token).await[0]["id"].as_str().unwrap().to_string();
        let res = app.delete(&format!("/api/auth/passkeys/{id}"), &token).await;
        let (status, body) = parts(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("only way to sign in"), "{body}");

        // Ten minutes on, the sign-in is no proof any more; a new one (with the passkey) is.
        app.state.clock.advance(Duration::from_secs(10 * 60));
        let res = app.post("/api/auth/passkeys/register/start", &token, json!({})).await;
        expect_detail(res, StatusCode::FORBIDDEN, "Sign in again to add a passkey").await;
        let (_, body) = sign_in(&app, &mut first, &Answer::default()).await;
        let fresh = body["access_token"].as_str().unwrap().to_string();
        let res = app.post("/api/auth/passkeys/register/start", &fresh, json!({})).await;
        let (status, body) = parts(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, credential) = Authenticator::create(&body["options"], &Answer::default());
        let ceremony = body["ceremony_id"].as_str().unwrap();
        assert_eq!(register_finish(&app, &fresh, ceremony, credential).await.0, StatusCode::CREATED);

        // With two, one may go; the other is the last again. Of two removals at once, at most one passes.
        let ids: Vec<String> =
            passkeys_of(&app, &fresh).await.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
        let paths: Vec<String> = ids.iter().map(|id| format!("/api/auth/passkeys/{id}")).collect();
        let removals = futures::future::join_all(paths.iter().map(|path| app.delete(path, &fresh))).await;
        let removed = removals.iter().filter(|r| r.status() == StatusCode::NO_CONTENT).count();
        assert_eq!(removed, 1, "{:?}", removals.iter().map(|r| r.status()).collect::<Vec<_>>());
        assert_eq!(passkeys_of(&app, &fresh).await.len(), 1);
    }
);

both!(
    async fn a_challenge_from_one_process_finishes_on_another_and_a_removal_reaches_both(kind: Kind) {
        let one = TestApp::start(kind).await;
        let two = TestApp::start_on(one.db.clone(), &[]).await;
        let (token, _) = one.signup("ada@example.com").await;

        // Registration started on one, finished on two.
        let (ceremony, options) = register_start(&one, &token).await;
        let (mut authenticator, credential) = Authenticator::create(&options, &Answer::default());
        let (status, body) = register_finish(&two, &token, &ceremony, credential).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_str().unwrap().to_string();

        // Sign-in started on two, finished on one; then replayed on two.
        let (ceremony, options) = login_start(&two).await;
        let assertion = authenticator.assert(&options, &Answer::default());
        assert_eq!(login_finish(&one, &ceremony, &assertion).await.0, StatusCode::OK);
        assert_eq!(login_finish(&two, &ceremony, &assertion).await.0, StatusCode::UNAUTHORIZED);

        // Removed on one: refused on two at once.
        assert_eq!(one.delete(&format!("/api/auth/passkeys/{id}"), &token).await.status(), StatusCode::NO_CONTENT);
        let (status, body) = sign_in(&two, &mut authenticator, &Answer::default()).await;
        assert_eq!((status, &body["detail"]), (StatusCode::UNAUTHORIZED, &json!(REFUSED)));
    }
);

both!(
    async fn a_reset_that_first_proves_the_address_removes_the_registrants_passkeys(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url())]).await;
        // Someone registered the address (never verified) and added a passkey.
        let (token, _) = app.signup("owner@example.com").await;
        let (mut squatter, _) = add_passkey(&app, &token).await;
        // The address's owner resets the password through the mailed link.
        let res = app
            .request(Method::POST, "/api/auth/forgot-password", None, Some(json!({"email": "owner@example.com"})))
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let mail =
            app.mails(&smtp, "owner@example.com").await.into_iter().find(|m| m.subject().contains("Reset")).unwrap();
        let body = json!({ "token": mail.token(), "new_password": "a fresh passphrase 42" });
        let (status, body) = parts(app.request(Method::POST, "/api/auth/reset-password", None, Some(body)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(sign_in(&app, &mut squatter, &Answer::default()).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(on_db(&app, "SELECT COUNT(*) FROM passkeys").await, 0);
    }
);

both!(
    async fn passkey_sign_ins_are_throttled_per_client(kind: Kind) {
        let app = TestApp::start_with(kind, &[("PASSKEY_STARTS_PER_CLIENT", "3")]).await;
        for _ in 0..3 {
            login_start(&app).await;
        }
        let res = app.request(Method::POST, "/api/auth/passkeys/login/start", None, None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&res) > 0);
    }
);

both!(
    async fn a_passkey_counts_as_a_way_in_when_a_provider_is_unlinked(kind: Kind) {
        let app = TestApp::start(kind).await;
        let token = passwordless(&app, "linked@example.com").await;
        let user = app.state.db.user_by_email("linked@example.com").await.unwrap().unwrap();
        let identity = todo_auth::db::identities::NewIdentity {
            provider_id: "corp",
            issuer: "https://idp.example",
            subject: "subject-1",
            email: Some("linked@example.com"),
        };
        let notice = todo_auth::mail::compose(
            "linked@example.com",
            &todo_auth::mail::Kind::ProviderLinked { email: "linked@example.com", provider: "Corp", took_back: false },
        );
        let event = app.event(todo_auth::db::EventType::ProviderLinked);
        app.state.db.link_identity(&user.id, &identity, &notice, &event, app.state.clock.now()).await.unwrap();
        let identity_id = app.state.db.list_identities(&user.id).await.unwrap()[0].id.clone();

        // The provider is the only way in: not unlinked.
        let res = app.delete(&format!("/api/auth/identities/{identity_id}"), &token).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        // With a passkey, it may go; then the passkey is the last way in.
        let (_, body) = parts(app.post("/api/auth/passkeys/register/start", &token, json!({})).await).await;
        let (_, credential) = Authenticator::create(&body["options"], &Answer::default());
        let ceremony = body["ceremony_id"].as_str().unwrap();
        assert_eq!(register_finish(&app, &token, ceremony, credential).await.0, StatusCode::CREATED);
        let res = app.delete(&format!("/api/auth/identities/{identity_id}"), &token).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let id = passkeys_of(&app, &token).await[0]["id"].as_str().unwrap().to_string();
        let res = app.delete(&format!("/api/auth/passkeys/{id}"), &token).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
);

const VERIFY_FIRST: &str = "Please verify your email address first";
const TOO_MANY: &str = "An account can have at most 20 passkeys: remove one first";

/// What a refused passkey request must leave as it was: the account's passkeys (ids), and how many kept
/// ceremonies, history events, queued mails and sessions there are.
async fn stored(app: &TestApp) -> (Vec<String>, [i64; 4]) {
    let ids = match &app.state.db {
        todo_auth::db::Db::Sqlite(pool) => {
            sqlx::query_scalar::<_, String>("SELECT id FROM passkeys ORDER BY id").fetch_all(pool).await.unwrap()
        }
        todo_auth::db::Db::Postgres(pool) => {
            sqlx::query_scalar::<_, String>("SELECT id FROM passkeys ORDER BY id").fetch_all(pool).await.unwrap()
        }
    };
    let counts = [
        on_db(app, "SELECT COUNT(*) FROM passkey_ceremonies").await,
        on_db(app, "SELECT COUNT(*) FROM activity").await,
        on_db(app, "SELECT COUNT(*) FROM mail_outbox").await,
        on_db(app, "SELECT COUNT(*) FROM sessions").await,
    ];
    (ids, counts)
}

both!(
    async fn with_verified_email_required_an_unverified_accounts_passkey_is_refused_like_its_password(kind: Kind) {
        // The account and its passkey come from a process without the rule (with it, an unverified token cannot
        // add one: the route answers 403); a second process on the same database has REQUIRE_VERIFIED_EMAIL on.
        let smtp = SmtpServer::start();
        let lax = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url())]).await;
        let (token, user_id) = lax.signup("unproved@example.com").await;
        let (mut authenticator, _) = add_passkey(&lax, &token).await;
        let strict = TestApp::start_on(lax.db.clone(), &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
        let before = stored(&strict).await;

        // The password sign-in's refusal, and the passkey sign-in's: the same status and the same body.
        let password = parts(strict.login("unproved@example.com", PASSWORD).await).await;
        assert_eq!(password, (StatusCode::FORBIDDEN, json!({ "detail": VERIFY_FIRST })));
        let passkey = sign_in(&strict, &mut authenticator, &Answer::default()).await;
        assert_eq!(passkey, password, "a passkey sign-in of an unverified account under REQUIRE_VERIFIED_EMAIL");
        // No session started, nothing on the history, no new-device mail (the spent ceremony aside).
        let after = stored(&strict).await;
        assert_eq!(after.0, before.0);
        assert_eq!(&after.1[1..], &before.1[1..], "activity, mail, sessions");
        // Once the address is verified, the same passkey signs in on the strict process.
        let mails = lax.mails(&smtp, "unproved@example.com").await;
        let link = mails.iter().rev().find(|m| m.subject().contains("Confirm your email")).unwrap().token();
        let res = strict.request(Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": link }))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let (status, body) = sign_in(&strict, &mut authenticator, &Answer::default()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["id"], user_id.as_str());
    }
);

both!(
    async fn an_account_has_at_most_20_passkeys_and_the_21st_changes_nothing(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("collector@example.com").await;
        for _ in 0..19 {
            add_passkey(&app, &token).await;
        }
        // Two registrations started with 19 (two tabs): both may start; the first to finish is the 20th.
        let (first, first_options) = register_start(&app, &token).await;
        let (second, second_options) = register_start(&app, &token).await;
        let (_, credential) = Authenticator::create(&first_options, &Answer::default());
        assert_eq!(register_finish(&app, &token, &first, credential).await.0, StatusCode::CREATED);
        assert_eq!(passkeys_of(&app, &token).await.len(), 20);

        // A 21st start: 400 in the contract's shape, no ceremony kept, nothing else written.
        let before = stored(&app).await;
        let res = app.post("/api/auth/passkeys/register/start", &token, json!({ "current_password": PASSWORD })).await;
        assert_eq!(parts(res).await, (StatusCode::BAD_REQUEST, json!({ "detail": TOO_MANY })));
        assert_eq!(stored(&app).await, before);

        // The other tab's finish would be the 21st: the same refusal, no passkey, no mail, no history (its
        // ceremony is spent).
        let (_, credential) = Authenticator::create(&second_options, &Answer::default());
        let refused = register_finish(&app, &token, &second, credential).await;
        assert_eq!(refused, (StatusCode::BAD_REQUEST, json!({ "detail": TOO_MANY })));
        let after = stored(&app).await;
        assert_eq!(after.0, before.0);
        assert_eq!(&after.1[1..], &before.1[1..], "activity, mail, sessions");
        assert_eq!(passkeys_of(&app, &token).await.len(), 20);

        // One removed, one may be added again.
        let id = passkeys_of(&app, &token).await[0]["id"].as_str().unwrap().to_string();
        assert_eq!(app.delete(&format!("/api/auth/passkeys/{id}"), &token).await.status(), StatusCode::NO_CONTENT);
        add_passkey(&app, &token).await;
        assert_eq!(passkeys_of(&app, &token).await.len(), 20);
    }
);
