//! The password rules (issue 14): every new password (register, change-password) against the length,
//! common-list, own-email/name and breached rules; sign-in never re-checks but suggests a change; the
//! one rehash rule (bcrypt cost, PASSWORD_HASH=argon2id) on seed databases; the breached-password lookup
//! against a range server started here on loopback (hit, miss, timeout, unreachable).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{extract::Path, routing::get, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::both;
use crate::fixtures::seed_database;
use crate::helpers::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Accepted,
    Weak(&'static str),
    Invalid(&'static str),
}
use Expect::*;

/// (email, name, password, expected): each rule with passwords that pass and fail.
fn register_cases() -> Vec<(String, Option<&'static str>, String, Expect)> {
    let s = |v: &str| v.to_string();
    vec![
        (s("u1@example.com"), None, s("pässwörd-ÜÑÎ-ß-🔐"), Accepted),
        (s("u2@example.com"), None, "🔐".repeat(100), Accepted), // 100 code points, 400 bytes
        (s("u3@example.com"), None, "🔐".repeat(101), Invalid("string_too_long")),
        (s("u4@example.com"), None, "é".repeat(7), Invalid("string_too_short")),
        (s("u5@example.com"), None, s("four little words here"), Accepted), // a passphrase with spaces
        (s("u6@example.com"), None, s("密码是很长的一句话吧"), Accepted),
        (s("grace.hopper@example.com"), None, s("Grace.Hopper1906"), Weak("email")), // local part + digits
        (s("grace.hopper@example.com"), None, s("hopper1906!"), Weak("email")),
        (s("grace.hopper@example.com"), None, s("Grace Hopper's cobol compiler"), Accepted),
        (s("marie@example.com"), Some("Marie Sklodowska"), s("Sklodowska!!"), Weak("name")),
        (s("u7@example.com"), None, s("BaseBall"), Weak("common")), // a list entry in another case
        (s("u8@example.com"), None, s("IloveYou2024!"), Weak("common")),
        (s("u9@example.com"), None, s("qwertyuiop"), Weak("common")),
    ]
}

async fn check(res: reqwest::Response, field: &str, expected: Expect, what: &str) -> Value {
    let (status, body) = parts(res).await;
    match expected {
        Accepted => assert!(status.is_success(), "{what}: {status} {body}"),
        Weak(reason) => {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
            let e = &body["detail"][0];
            assert_eq!(body["detail"].as_array().unwrap().len(), 1, "{what}: {body}");
            assert_eq!(e["loc"], json!(["body", field]), "{what}: {body}");
            assert_eq!(e["type"], "password_too_weak", "{what}: {body}");
            assert_eq!(e["ctx"]["reason"], reason, "{what}: {body}");
            assert!(e["msg"].as_str().unwrap().starts_with("This password"), "{what}: {body}");
        }
        Invalid(kind) => {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
            assert_eq!(body["detail"][0]["loc"], json!(["body", field]), "{what}: {body}");
            assert_eq!(body["detail"][0]["type"], kind, "{what}: {body}");
        }
    }
    body
}

both!(
    async fn registration_applies_every_password_rule(kind: Kind) {
        let app = TestApp::start_with(kind, &[("REGISTRATIONS_PER_CLIENT", "0")]).await;
        for (email, name, password, expected) in register_cases() {
            let what = format!("register {email} {password:?}");
            let res = app.register(&email, &password, name).await;
            check(res, "password", expected, &what).await;
            if expected == Accepted {
                let (s, body) = parts(app.login(&email, &password).await).await;
                assert_eq!(s, StatusCode::OK, "{what}: signs in");
                assert!(body.get("password_change_suggested").is_none(), "{what}: {body}");
            } else {
                assert!(app.state.db.user_by_email(&email).await.unwrap().is_none(), "{what}: no account made");
            }
        }
    }
);

both!(
    async fn change_password_applies_the_rules_to_the_accounts_own_email_and_name(kind: Kind) {
        let app = TestApp::start(kind).await;
        let res = app.register("grace.hopper@example.com", PASSWORD, Some("Amazing Grace")).await;
        let (_, body) = parts(res).await;
        let token = body["access_token"].as_str().unwrap().to_string();
        let path = "/api/auth/change-password";
        let cases = [
            ("GRACE.HOPPER2024", Weak("email")),
            ("amazinggrace!", Weak("name")),
            ("Password1", Weak("common")),
            ("short", Invalid("string_too_short")),
            ("a rather long sentence of mine", Accepted),
        ];
        let mut current = PASSWORD.to_string();
        let mut token = token;
        for (new, expected) in cases {
            let res = app.post(path, &token, json!({ "current_password": current, "new_password": new })).await;
            let body = check(res, "new_password", expected, new).await;
            if expected == Accepted {
                token = body["access_token"].as_str().unwrap().to_string();
                current = new.to_string();
            } else {
                assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK, "{new}: still signed in");
            }
        }
        assert_eq!(app.login("grace.hopper@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.login("grace.hopper@example.com", &current).await.status(), StatusCode::OK);
    }
);

/// A user written straight into the database, as the seed (which had only the length rule) could have.
async fn insert_user(app: &TestApp, email: &str, password: &str, name: Option<&str>) -> String {
    app.insert_user(email, &todo_auth::auth::scheme::bcrypt_hash(password, 4).unwrap(), name).await
}

both!(
    async fn sign_in_never_rechecks_but_suggests_a_change_of_a_weak_password(kind: Kind) {
        let app = TestApp::start(kind).await;
        let weak = [
            ("common@example.com", "iloveyou2", None),
            ("linus.torvalds@example.com", "Torvalds1969", None),
            ("named@example.com", "Ada Lovelace!", Some("Ada Lovelace")),
        ];
        for (email, password, name) in weak {
            insert_user(&app, email, password, name).await;
            let (s, body) = parts(app.login(email, password).await).await;
            assert_eq!(s, StatusCode::OK, "{email}: a weak password still signs in: {body}");
            assert_eq!(body["password_change_suggested"], true, "{email}: {body}");
            let token = body["access_token"].as_str().unwrap();
            let (_, me) = parts(app.get("/api/auth/me", token).await).await;
            assert!(me.get("password_change_suggested").is_none(), "stored nowhere, not on /me: {me}");
            // A wrong password gets the plain 401, with nothing about the stored password.
            let (s, body) = parts(app.login(email, "something else entirely").await).await;
            assert_eq!((s, body), (StatusCode::UNAUTHORIZED, json!({"detail": "Invalid email or password"})));
        }
        app.signup("strong@example.com").await;
        let (_, body) = parts(app.login("strong@example.com", PASSWORD).await).await;
        assert!(body.get("password_change_suggested").is_none(), "{body}");
    }
);

async fn stored_hash(app: &TestApp, email: &str) -> String {
    app.state.db.user_by_email(email).await.unwrap().expect("user").hashed_password
}

fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    }
}

both!(
    async fn with_argon2id_a_seed_users_bcrypt_hash_is_replaced_at_sign_in(kind: Kind) {
        let fx = fixture();
        let db = Arc::new(seed_database(kind).await);
        let app = TestApp::start_on(db, &[("PASSWORD_HASH", "argon2id")]).await;
        for user in fx[section(kind)]["users"].as_array().unwrap() {
            let email = user["email"].as_str().unwrap();
            let password = user["password"].as_str().unwrap();
            let before = stored_hash(&app, email).await;
            assert!(before.starts_with("$2b$12$"), "{email}: {before}");

            let (s, _) = parts(app.login(email, &format!("{password}-wrong")).await).await;
            let expected = if password.len() >= 72 { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
            assert_eq!(s, expected, "{email}");
            if expected == StatusCode::UNAUTHORIZED {
                assert_eq!(stored_hash(&app, email).await, before, "{email}: a wrong password changes nothing");
                let (s, _) = parts(app.login(email, password).await).await;
                assert_eq!(s, StatusCode::OK, "{email}");
            }
            let after = stored_hash(&app, email).await;
            if password.len() > 72 {
                // bcrypt saw only 72 bytes of it (the "-wrong" tail above was let in): it stays bcrypt.
                assert_eq!(after, before, "{email}");
                continue;
            }
            assert!(after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{email}: {after}");

            let (s, body) = parts(app.login(email, password).await).await;
            assert_eq!(s, StatusCode::OK, "{email} signs in again on the Argon2id hash: {body}");
            assert_eq!(body["user"]["id"], user["id"]);
            assert_eq!(stored_hash(&app, email).await, after, "{email}: no second rehash");
            let (s, _) = parts(app.login(email, "wrong password").await).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
            assert_eq!(stored_hash(&app, email).await, after, "{email}: a wrong password changes nothing");
        }
        // The long password's user keeps the seed's 72-byte rule until they choose a new password.
        let long = &fx[section(kind)]["users"][2];
        let res = app.login(long["email"].as_str().unwrap(), &format!("{}anything", "p".repeat(72))).await;
        assert_eq!(res.status(), StatusCode::OK);
        // Argon2id reads every byte: a new 80-byte password is not cut at 72.
        let long_password = format!("{}-and-more-after-the-72nd-byte", "a long passphrase ".repeat(3));
        let res = app.register("long2@example.com", &long_password, None).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(app.login("long2@example.com", &long_password).await.status(), StatusCode::OK);
        let cut: String = long_password.chars().take(72).collect();
        assert_eq!(app.login("long2@example.com", &format!("{cut}x")).await.status(), StatusCode::UNAUTHORIZED);

        // New accounts get Argon2id at once; tokens issued before a rehash keep working.
        let (token, _) = app.signup("new@example.com").await;
        assert!(stored_hash(&app, "new@example.com").await.starts_with("$argon2id$"));
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_bcrypt_hash_of_another_cost_is_rehashed_at_sign_in_and_one_of_the_same_cost_is_not(kind: Kind) {
        let fx = fixture();
        let ada = &fx[section(kind)]["users"][0];
        let (email, password) = (ada["email"].as_str().unwrap(), ada["password"].as_str().unwrap());

        let db = Arc::new(seed_database(kind).await);
        let app = TestApp::start_on(db.clone(), &[("BCRYPT_COST", "12")]).await;
        let before = stored_hash(&app, email).await;
        assert_eq!(app.login(email, password).await.status(), StatusCode::OK);
        assert_eq!(stored_hash(&app, email).await, before, "same kind, same cost: left alone");
        app.stop().await;

        let app = TestApp::start_on(db.clone(), &[("BCRYPT_COST", "5")]).await;
        assert_eq!(app.login(email, "wrong password").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(stored_hash(&app, email).await, before);
        let (_, first) = parts(app.login(email, password).await).await;
        let after = stored_hash(&app, email).await;
        assert!(after.starts_with("$2b$05$"), "{after}");
        assert_eq!(app.login(email, password).await.status(), StatusCode::OK);
        // A rehash is not a password change: the token from before it still works.
        assert_eq!(app.get("/api/auth/me", first["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
        app.stop().await;

        // And back: with PASSWORD_HASH=bcrypt again, an Argon2id hash becomes bcrypt at the next sign-in
        // (the way back to the seed for each user who signs in again).
        let app = TestApp::start_on(db.clone(), &[("PASSWORD_HASH", "argon2id")]).await;
        assert_eq!(app.login(email, password).await.status(), StatusCode::OK);
        assert!(stored_hash(&app, email).await.starts_with("$argon2id$"));
        app.stop().await;
        let app = TestApp::start_on(db, &[("BCRYPT_COST", "5")]).await;
        assert_eq!(app.login(email, password).await.status(), StatusCode::OK);
        assert!(stored_hash(&app, email).await.starts_with("$2b$05$"));
    }
);

/// A k-anonymity range server on loopback: answers `GET /range/{prefix}` from `breached`, and records
/// every path asked. `hang` makes it never answer.
struct RangeServer {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes()).iter().map(|b| format!("{b:02X}")).collect()
}

async fn range_server(breached: &[&str], hang: bool) -> RangeServer {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let hashes: Vec<String> = breached.iter().map(|p| sha1_hex(p)).collect();
    let log = asked.clone();
    let app = Router::new().route(
        "/range/{prefix}",
        get(move |Path(prefix): Path<String>| {
            let (log, hashes) = (log.clone(), hashes.clone());
            async move {
                log.lock().unwrap().push(format!("/range/{prefix}"));
                if hang {
                    std::future::pending::<()>().await;
                }
                // A padding line (count 0) and a line for a hash that is not ours, as the real service.
                let mut lines = vec![format!("{}:0", "0".repeat(35)), format!("{}:3", "F".repeat(35))];
                for h in hashes.iter().filter(|h| h[..5] == prefix) {
                    lines.push(format!("{}:42", &h[5..]));
                }
                lines.join("\r\n")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    RangeServer { addr, asked }
}

both!(
    async fn a_breached_password_is_refused_and_only_five_hex_characters_leave(kind: Kind) {
        let breached = "a passphrase from a breach";
        let server = range_server(&[breached], false).await;
        let url = format!("http://{}/", server.addr);
        let app = TestApp::start_with(kind, &[("PWNED_PASSWORDS_URL", &url)]).await;

        // Hit.
        check(app.register("a@example.com", breached, None).await, "password", Weak("breached"), "hit").await;
        // Miss.
        let fine = "another fine passphrase";
        check(app.register("b@example.com", fine, None).await, "password", Accepted, "miss").await;
        let asked = server.asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            vec![format!("/range/{}", &sha1_hex(breached)[..5]), format!("/range/{}", &sha1_hex(fine)[..5])]
        );
        // The hit again, on change-password: the range comes from the cache (no new request).
        let (token, _) =
            (parts(app.login("b@example.com", fine).await).await.1["access_token"].as_str().unwrap().to_string(), ());
        let res = app.change_password(&token, fine, breached).await;
        check(res, "new_password", Weak("breached"), "hit on change-password").await;
        assert_eq!(server.asked.lock().unwrap().len(), 2, "cached");
        assert_eq!(app.state.passwords.pwned().unwrap().cached_ranges(), 2);
        // A common password is refused before any lookup.
        check(app.register("c@example.com", "sunshine", None).await, "password", Weak("common"), "common").await;
        assert_eq!(server.asked.lock().unwrap().len(), 2, "no lookup for a common password");
    }
);

both!(
    async fn an_unreachable_breach_service_allows_the_password(kind: Kind) {
        // Timeout: the server takes the request and never answers.
        let hanging = range_server(&[], true).await;
        let url = format!("http://{}", hanging.addr);
        let app =
            TestApp::start_with(kind, &[("PWNED_PASSWORDS_URL", &url), ("PWNED_PASSWORDS_TIMEOUT_MS", "300")]).await;
        check(app.register("slow@example.com", "a passphrase nobody has", None).await, "password", Accepted, "timeout")
            .await;
        assert_eq!(hanging.asked.lock().unwrap().len(), 1, "it was asked");
        app.stop().await;

        // Nothing listening at all.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let url = format!("http://{closed}");
        let app = TestApp::start_with(kind, &[("PWNED_PASSWORDS_URL", &url)]).await;
        check(app.register("down@example.com", "a passphrase nobody has", None).await, "password", Accepted, "down")
            .await;
        assert_eq!(app.state.passwords.pwned().unwrap().cached_ranges(), 0, "a failure is not cached");
    }
);

#[test]
fn bad_password_settings_stop_start_up() {
    for (name, value) in
        [("PASSWORD_HASH", "md5"), ("PWNED_PASSWORDS_URL", "ftp://x"), ("PWNED_PASSWORDS_TIMEOUT_MS", "5")]
    {
        let mut vars = base_vars("sqlite:///tmp/unused.db");
        vars.insert(name.into(), value.into());
        let err = todo_auth::config::Settings::from_vars(&vars).err().unwrap_or_else(|| panic!("{name}={value}"));
        assert!(err.to_string().contains(name), "{err}");
    }
}

both!(
    async fn spellings_that_fold_to_a_refused_password_are_refused(kind: Kind) {
        let app = TestApp::start_with(kind, &[("REGISTRATIONS_PER_CLIENT", "0")]).await;
        let register = |email: &str, password: &str, name: Option<&str>| {
            app.request(
                reqwest::Method::POST,
                "/api/auth/register",
                None,
                Some(json!({ "email": email, "password": password, "name": name })),
            )
        };
        let cases: &[(&str, Option<&str>, &str, &str)] = &[
            ("a1@example.com", None, "pass word", "common"),
            ("a2@example.com", None, "!password", "common"),
            ("a3@example.com", None, "p\u{0430}ssword", "common"),
            ("a4@example.com", None, "\u{ff50}\u{ff41}\u{ff53}\u{ff53}\u{ff57}\u{ff4f}\u{ff52}\u{ff44}", "common"),
            ("a5@example.com", None, "pass\u{00ad}word", "common"),
            ("a6@example.com", None, "p@ssword1", "common"),
            ("ada.lovelace@example.com", None, "lovelace.ada", "email"),
            ("gh@example.com", Some("Grace Hopper"), "hopper grace", "name"),
        ];
        for (email, name, password, reason) in cases {
            let body = expect_422(register(email, password, *name).await, Some("password"), "password_too_weak").await;
            assert_eq!(body["detail"][0]["ctx"]["reason"], json!(reason), "{password:?}: {body}");
        }
        // With bcrypt (the default) only the first 72 bytes are hashed, and they are "password" and digits.
        let long = format!("password{}Zx", "1".repeat(64));
        let body =
            expect_422(register("long@example.com", &long, None).await, Some("password"), "password_too_weak").await;
        assert_eq!(body["detail"][0]["ctx"]["reason"], json!("common"));
        // Real passphrases still pass.
        assert_eq!(register("fine@example.com", "lovelace rides a bicycle", None).await.status(), StatusCode::CREATED);
    }
);

both!(
    async fn with_argon2id_every_byte_counts_so_a_long_password_is_judged_whole(kind: Kind) {
        let app = TestApp::start_with(kind, &[("PASSWORD_HASH", "argon2id")]).await;
        let long = format!("password{}Zx", "1".repeat(64));
        assert_eq!(app.register("whole@example.com", &long, None).await.status(), StatusCode::CREATED);
    }
);
