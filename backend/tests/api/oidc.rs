//! Sign-in with an OpenID Connect provider, against a real OpenID provider (scripts/oidc-provider: panva's
//! `oidc-provider`, OpenID Certified) started per test on a loopback port, driven by a cookie-jar browser
//! through its real login page ([`Browser`]). Never a mock: the negative cases are made by the real provider (a
//! tampered authorization request, a client registered for HS256, Cancel, the process stopped or restarted) or
//! by its test-control endpoint, which rewrites the ID token it has just signed for one code. Every test runs on
//! SQLite and PostgreSQL.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use todo_auth::auth::no_password;

use crate::{
    both,
    helpers::*,
    two_factor::{login_2fa, next_step, setup, totp},
};

/// Where a delivered callback sends the browser, and the session token it set, if any.
struct Landing {
    to: String,
    token: Option<String>,
}

async fn land(res: reqwest::Response) -> Landing {
    Landing { to: location(&res), token: set_cookie(&res, "todo_session") }
}

/// A whole sign-in as `login` through provider `id`, in a fresh browser.
async fn sign_in(app: &TestApp, op: &OidcProvider, id: &str, login: &str) -> Landing {
    let browser = Browser::new();
    let back = browser.to_callback(app, op, id, login).await;
    land(browser.callback(app, &back).await).await
}

/// The token of a whole, successful sign-in (landing on /tasks).
async fn signed_in(app: &TestApp, op: &OidcProvider, id: &str, login: &str) -> String {
    let landing = sign_in(app, op, id, login).await;
    assert_eq!(landing.to, "/tasks");
    landing.token.expect("the session cookie")
}

async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = parts(app.get("/api/auth/me", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn identities(app: &TestApp, token: &str) -> Value {
    let (status, body) = parts(app.get("/api/auth/identities", token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn session_count(app: &TestApp, token: &str) -> usize {
    let (_, body) = parts(app.get("/api/auth/sessions", token).await).await;
    body["sessions"].as_array().unwrap().len()
}

/// Whether an account has `email` (a refused sign-in must leave none behind).
async fn account_exists(app: &TestApp, email: &str) -> bool {
    app.state.db.user_by_email(email).await.unwrap().is_some()
}

fn failed(code: &str, provider: &str) -> String {
    format!("/login?error={code}&provider={provider}")
}

async fn verify_address(app: &TestApp, smtp: &SmtpServer, email: &str) {
    let token = app.mail(smtp, email, 1).await.token();
    let res = app.request(Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Starts the provider `ids` and the API with them as `(id, provider, client)`; `None` when the provider
/// cannot run here (outside CI).
macro_rules! provider_or_skip {
    ($ids:expr) => {
        match OidcProvider::start($ids).await {
            Some(op) => op,
            None => return,
        }
    };
}

both!(
    async fn a_verified_address_new_here_makes_an_account_without_a_password_and_signs_it_in(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let (status, body) = parts(app.request(Method::GET, "/api/auth/providers", None, None).await).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({ "providers": [{ "id": "local", "name": "Provider local" }] }))
        );

        // The start: a redirect to the provider with PKCE S256, state, nonce, and the flow cookie.
        let browser = Browser::new();
        let res = browser.get(&app.url("/api/auth/oidc/local/start?next=%2Faccount")).await;
        let flow_cookie = set_cookie_line(&res, "oidc_flow").expect("the flow cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/auth/oidc", "Max-Age=600"] {
            assert!(flow_cookie.contains(attribute), "{flow_cookie}");
        }
        let authorization = location(&res);
        assert!(authorization.starts_with(&format!("{}/auth?", op.issuer)), "{authorization}");
        assert_eq!(param(&authorization, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param(&authorization, "response_type").as_deref(), Some("code"));
        assert_eq!(param(&authorization, "client_id").as_deref(), Some("web"));
        assert_eq!(param(&authorization, "scope").as_deref(), Some("openid email profile"));
        let redirect = format!("{OIDC_WEB_URL}/api/auth/oidc/local/callback");
        assert_eq!(param(&authorization, "redirect_uri"), Some(redirect));
        assert!(param(&authorization, "state").is_some_and(|s| s.len() >= 22));
        assert!(param(&authorization, "nonce").is_some_and(|s| s.len() >= 22));

        // Back from the provider: signed in with the same cookie as any browser sign-in, on to `next`.
        let back = browser.sign_in_at_provider(&authorization, &op.issuer, "alice").await;
        let res = browser.callback(&app, &back).await;
        let session = set_cookie_line(&res, "todo_session").expect("the session cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
            assert!(session.contains(attribute), "{session}");
        }
        assert!(!session.contains("Secure"), "WEB_URL is http here");
        let landing = land(res).await;
        assert_eq!(landing.to, "/account");
        let token = landing.token.unwrap();
        let user = me(&app, &token).await;
        assert_eq!(user["email"], "alice@example.com");
        assert_eq!(user["name"], "Alice Example");
        assert_eq!((user["email_verified"].clone(), user["two_factor_enabled"].clone()), (json!(true), json!(false)));

        // No password: nothing signs in with one, and the stored value is the marker (which the seed refuses).
        let row = app.state.db.user_by_email("alice@example.com").await.unwrap().unwrap();
        assert!(no_password::is_marker(&row.hashed_password));
        for password in ["", PASSWORD, &row.hashed_password] {
            expect_detail(
                app.login("alice@example.com", password).await,
                StatusCode::UNAUTHORIZED,
                "Invalid email or password",
            )
            .await;
        }
        let linked = identities(&app, &token).await;
        assert_eq!(linked["has_password"], false);
        let list = linked["identities"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((&list[0]["provider_id"], &list[0]["provider_name"]), (&json!("local"), &json!("Provider local")));
        assert_eq!(list[0]["email"], "alice@example.com");
        assert_eq!(session_count(&app, &token).await, 1, "a session like any other");

        // Again, from another browser: the linked identity signs the same account in.
        let again = signed_in(&app, &op, "local", "alice").await;
        assert_eq!(me(&app, &again).await["id"], user["id"]);
        assert_eq!(session_count(&app, &token).await, 2);
    }
);

both!(
    async fn forgot_password_gives_an_account_without_a_password_its_first_one(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let smtp = SmtpServer::start();
        let app = oidc_app(kind, &[("local", &op, "web")], &[("SMTP_URL", &smtp.url())]).await;
        let token = signed_in(&app, &op, "local", "alice").await;
        let res = app
            .request(Method::POST, "/api/auth/forgot-password", None, Some(json!({ "email": "alice@example.com" })))
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let reset = app.mail(&smtp, "alice@example.com", 1).await.token();
        let new_password = "violet staircase under moonlight";
        let res = app
            .request(
                Method::POST,
                "/api/auth/reset-password",
                None,
                Some(json!({ "token": reset, "new_password": new_password })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let (status, body) = parts(app.login("alice@example.com", new_password).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token_after = body["access_token"].as_str().unwrap().to_string();
        expect_detail(app.get("/api/auth/me", &token).await, StatusCode::UNAUTHORIZED, "Token has been revoked").await;
        let linked = identities(&app, &token_after).await;
        assert_eq!(linked["has_password"], true);
        // With a password, the one identity may go (and a notice says so).
        let id = linked["identities"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(
            app.delete(&format!("/api/auth/identities/{id}"), &token_after).await.status(),
            StatusCode::NO_CONTENT
        );
        let notice = app.mails(&smtp, "alice@example.com").await.pop().unwrap();
        assert!(notice.subject().contains("Provider local was unlinked"), "{}", notice.subject());
    }
);

both!(
    async fn a_verified_account_with_the_address_gets_the_identity_linked_and_a_notice(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let smtp = SmtpServer::start();
        let app = oidc_app(kind, &[("local", &op, "web")], &[("SMTP_URL", &smtp.url())]).await;
        let (password_token, user_id) = app.signup("alice@example.com").await;
        verify_address(&app, &smtp, "alice@example.com").await;

        let token = signed_in(&app, &op, "local", "alice").await;
        assert_eq!(me(&app, &token).await["id"], user_id.as_str());
        let notice = app.mail(&smtp, "alice@example.com", 2).await;
        assert!(notice.subject().contains("Provider local was linked"), "{}", notice.subject());
        assert!(notice.text().contains("If this wasn't you"));
        // Nothing else changed: the password and the earlier session still work.
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(me(&app, &password_token).await["id"], user_id.as_str());
        let linked = identities(&app, &token).await;
        assert_eq!((linked["has_password"].clone(), linked["identities"].as_array().unwrap().len()), (json!(true), 1));
    }
);

both!(
    async fn an_unverified_account_with_the_address_is_taken_back_before_the_identity_is_linked(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let smtp = SmtpServer::start();
        let app = oidc_app(kind, &[("local", &op, "web")], &[("SMTP_URL", &smtp.url())]).await;
        // Someone registers the address without owning it, turns two-factor on, and asks to move the account to
        // an address of theirs (the link waits in their mailbox).
        let (squatter, user_id) = app.signup("alice@example.com").await;
        app.create_task(&squatter, "left by the registrant").await;
        let secret = setup(&app, &squatter).await;
        let step = next_step(&app);
        let res = app.post("/api/auth/2fa/enable", &squatter, json!({ "code": totp(&secret, step) })).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app
            .post(
                "/api/auth/change-email",
                &squatter,
                json!({ "current_password": PASSWORD, "new_email": "mallory@example.com" }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let change_link = app.mail(&smtp, "mallory@example.com", 1).await.token();

        // The address's owner signs in at the provider: the same account, now theirs, with no TOTP step.
        let token = signed_in(&app, &op, "local", "alice").await;
        let user = me(&app, &token).await;
        assert_eq!(user["id"], user_id.as_str());
        assert_eq!((user["email_verified"].clone(), user["two_factor_enabled"].clone()), (json!(true), json!(false)));
        // Everything of the registrant's is gone: password, sessions, the pending change of address.
        expect_detail(app.get("/api/auth/me", &squatter).await, StatusCode::UNAUTHORIZED, "Token has been revoked")
            .await;
        expect_detail(
            app.login("alice@example.com", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "Invalid email or password",
        )
        .await;
        assert_eq!(session_count(&app, &token).await, 1);
        let res =
            app.request(Method::POST, "/api/auth/verify-email", None, Some(json!({ "token": change_link }))).await;
        expect_detail(res, StatusCode::BAD_REQUEST, "This verification link is invalid or has expired").await;
        assert_eq!(me(&app, &token).await["email"], "alice@example.com");
        let linked = identities(&app, &token).await;
        assert_eq!((linked["has_password"].clone(), linked["identities"].as_array().unwrap().len()), (json!(false), 1));
        let notice = app.mails(&smtp, "alice@example.com").await.pop().unwrap();
        assert!(notice.subject().contains("now yours through Provider local"), "{}", notice.subject());
        // The account's tasks stay (it is the same account; documented in docs/contract.md).
        let (_, tasks) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(tasks["total"], 1);
    }
);

both!(
    async fn a_provider_that_does_not_confirm_the_address_creates_and_links_nothing(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        // bob's provider says email_verified=false; dave's gives no address at all.
        for login in ["bob", "dave"] {
            let landing = sign_in(&app, &op, "local", login).await;
            assert_eq!(landing.to, failed("oidc_unverified_email", "local"), "{login}");
            assert!(landing.token.is_none());
        }
        assert!(!account_exists(&app, "bob@example.com").await);
        // Not even to an account that has the address: no link by an address nobody vouched for.
        let (token, _) = app.signup("bob@example.com").await;
        let landing = sign_in(&app, &op, "local", "bob").await;
        assert_eq!(landing.to, failed("oidc_unverified_email", "local"));
        assert_eq!(identities(&app, &token).await["identities"], json!([]));
        assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_replayed_callback_signs_in_once(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let browser = Browser::new();
        // `next` must be a path of the web app: another site's address lands on /tasks.
        let authorization = browser.start(&app, "local", Some("https://evil.example/")).await;
        let back = browser.sign_in_at_provider(&authorization, &op.issuer, "alice").await;
        let first = land(browser.callback(&app, &back).await).await;
        assert_eq!(first.to, "/tasks");
        let token = first.token.unwrap();
        let again = land(browser.callback(&app, &back).await).await;
        assert_eq!(again.to, failed("oidc_expired", "local"));
        assert!(again.token.is_none());
        assert_eq!(session_count(&app, &token).await, 1);
    }
);

both!(
    async fn a_state_from_another_browser_or_a_forged_state_finds_no_flow_and_leaves_the_real_one(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        // Login CSRF: the attacker's redirect back, opened in the victim's browser (with or without a flow of
        // its own), finds no flow.
        let attacker = Browser::new();
        let back = attacker.to_callback(&app, &op, "local", "alice").await;
        let victim = Browser::new();
        assert_eq!(location(&victim.callback(&app, &back).await), failed("oidc_expired", "local"));
        victim.start(&app, "local", None).await;
        assert_eq!(location(&victim.callback(&app, &back).await), failed("oidc_expired", "local"));
        // A forged or missing state, in the right browser.
        for forged in [with_param(&back, "state", Some("not-the-state")), with_param(&back, "state", None)] {
            assert_eq!(location(&attacker.callback(&app, &forged).await), failed("oidc_expired", "local"));
        }
        assert!(!account_exists(&app, "alice@example.com").await);
        // None of it spent the real flow.
        let landing = land(attacker.callback(&app, &back).await).await;
        assert_eq!(landing.to, "/tasks");
        assert!(landing.token.is_some());
    }
);

both!(
    async fn a_nonce_mismatch_is_refused(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        // Made by the real provider: the authorization request's nonce is changed on its way; PKCE still
        // matches, so the provider issues a token carrying the other nonce.
        let browser = Browser::new();
        let authorization = browser.start(&app, "local", None).await;
        let tampered = with_param(&authorization, "nonce", Some("attacker-chosen-nonce"));
        let back = browser.sign_in_at_provider(&tampered, &op.issuer, "alice").await;
        assert_eq!(location(&browser.callback(&app, &back).await), failed("oidc_failed", "local"));
        // And a token re-signed by the provider with another nonce, or none.
        for mode in ["wrong-nonce", "no-nonce"] {
            assert_eq!(misbehaving(&app, &op, mode).await, failed("oidc_failed", "local"), "{mode}");
        }
        assert!(!account_exists(&app, "alice@example.com").await);
    }
);

/// A sign-in as alice whose ID token the provider rewrites with `mode`; where it lands.
async fn misbehaving(app: &TestApp, op: &OidcProvider, mode: &str) -> String {
    let browser = Browser::new();
    let back = browser.to_callback(app, op, "local", "alice").await;
    op.misbehave(mode, &param(&back, "code").unwrap()).await;
    let landing = land(browser.callback(app, &back).await).await;
    assert!(landing.token.is_none(), "{mode} signed in");
    landing.to
}

both!(
    async fn an_id_token_signed_with_an_unknown_key_or_alg_none_is_refused(kind: Kind) {
        let op = provider_or_skip!(&["local", "hs"]);
        let app = oidc_app(kind, &[("local", &op, "web"), ("hs", &op, "web-hs256")], &[]).await;
        assert_eq!(misbehaving(&app, &op, "unknown-key").await, failed("oidc_failed", "local"));
        assert_eq!(op.requests("GET /jwks"), 2, "one re-fetch of the keys on the unknown key");
        for mode in ["alg-none", "hs256-client-secret", "unknown-key-same-kid", "bad-signature"] {
            assert_eq!(misbehaving(&app, &op, mode).await, failed("oidc_failed", "local"), "{mode}");
        }
        // Made by the real provider: a client registered for HS256 gets tokens MAC'd with its secret (and
        // the provider advertises HS256): outside the allow-list.
        let landing = sign_in(&app, &op, "hs", "alice").await;
        assert_eq!(landing.to, failed("oidc_failed", "hs"));
        assert!(!account_exists(&app, "alice@example.com").await);
        // The provider itself is fine.
        signed_in(&app, &op, "local", "alice").await;
    }
);

both!(
    async fn an_id_token_for_another_audience_is_refused(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        for mode in ["wrong-aud", "extra-aud", "wrong-iss"] {
            assert_eq!(misbehaving(&app, &op, mode).await, failed("oidc_failed", "local"), "{mode}");
        }
        // The mix-up defence: a redirect back naming another issuer (RFC 9207).
        let browser = Browser::new();
        let back = browser.to_callback(&app, &op, "local", "alice").await;
        let mixed_up = with_param(&back, "iss", Some("http://127.0.0.1:1"));
        assert_eq!(location(&browser.callback(&app, &mixed_up).await), failed("oidc_failed", "local"));
        assert!(!account_exists(&app, "alice@example.com").await);
    }
);

both!(
    async fn an_expired_id_token_is_refused(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        for mode in ["expired", "iat-future", "bad-at-hash", "no-id-token"] {
            assert_eq!(misbehaving(&app, &op, mode).await, failed("oidc_failed", "local"), "{mode}");
        }
        assert!(!account_exists(&app, "alice@example.com").await);
        // A right at_hash is checked and accepted.
        let browser = Browser::new();
        let back = browser.to_callback(&app, &op, "local", "alice").await;
        op.misbehave("good-at-hash", &param(&back, "code").unwrap()).await;
        assert_eq!(land(browser.callback(&app, &back).await).await.to, "/tasks");
    }
);

both!(
    async fn the_provider_down_is_a_clear_message_and_nothing_half_made(kind: Kind) {
        let mut op = provider_or_skip!(&["local"]);
        op.stop().await;
        // The API starts while the provider is down, and lists it.
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let (_, body) = parts(app.request(Method::GET, "/api/auth/providers", None, None).await).await;
        assert_eq!(body["providers"][0]["id"], "local");
        let res = Browser::new().get(&app.url("/api/auth/oidc/local/start")).await;
        assert_eq!(location(&res), failed("oidc_unavailable", "local"));
        // Back up: discovery is tried again (a failure is not remembered).
        op.restart().await;
        let browser = Browser::new();
        let back = browser.to_callback(&app, &op, "local", "alice").await;
        // Down between the start and the redirect back: the code cannot be exchanged.
        op.stop().await;
        let landing = land(browser.callback(&app, &back).await).await;
        assert_eq!((landing.to, landing.token), (failed("oidc_unavailable", "local"), None));
        assert!(!account_exists(&app, "alice@example.com").await);
    }
);

both!(
    async fn two_providers_asserting_one_address_make_one_account_with_two_identities(kind: Kind) {
        let one = provider_or_skip!(&["one", "two"]);
        let two = provider_or_skip!(&["one", "two"]);
        assert_ne!(one.issuer, two.issuer);
        let smtp = SmtpServer::start();
        let app = oidc_app(kind, &[("one", &one, "web"), ("two", &two, "web")], &[("SMTP_URL", &smtp.url())]).await;
        // Both provide alice, with the same email and even the same subject: only the issuer differs.
        let first = signed_in(&app, &one, "one", "alice").await;
        let second = signed_in(&app, &two, "two", "alice").await;
        let user_id = me(&app, &first).await["id"].clone();
        assert_eq!(me(&app, &second).await["id"], user_id);
        let linked = identities(&app, &first).await;
        let providers: Vec<&str> =
            linked["identities"].as_array().unwrap().iter().map(|i| i["provider_id"].as_str().unwrap()).collect();
        assert_eq!(providers, ["one", "two"]);
        let notice = app.mails(&smtp, "alice@example.com").await.pop().expect("a notice of the second link");
        assert!(notice.subject().contains("Provider two was linked"), "{}", notice.subject());
        // Each identity keeps signing in the one account.
        assert_eq!(me(&app, &signed_in(&app, &one, "one", "alice").await).await["id"], user_id);
    }
);

both!(
    async fn unlinking_the_last_way_to_sign_in_is_refused(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let token = signed_in(&app, &op, "local", "alice").await;
        let only = identities(&app, &token).await["identities"][0]["id"].as_str().unwrap().to_string();
        let last = "This is the only way to sign in to your account: set a password (\"Forgot password?\") or link another provider first";
        expect_detail(app.delete(&format!("/api/auth/identities/{only}"), &token).await, StatusCode::BAD_REQUEST, last)
            .await;

        // A second identity (carol, linked from the account page): now either may go, not both.
        let browser = Browser::new();
        let authorization = browser.start_link(&app, "local", &token).await;
        let back = browser.sign_in_at_provider(&authorization, &op.issuer, "carol").await;
        assert_eq!(location(&browser.callback(&app, &back).await), "/account?linked=local");
        assert_eq!(identities(&app, &token).await["identities"].as_array().unwrap().len(), 2);
        assert_eq!(app.delete(&format!("/api/auth/identities/{only}"), &token).await.status(), StatusCode::NO_CONTENT);
        let other = identities(&app, &token).await["identities"][0]["id"].as_str().unwrap().to_string();
        expect_detail(
            app.delete(&format!("/api/auth/identities/{other}"), &token).await,
            StatusCode::BAD_REQUEST,
            last,
        )
        .await;
        // Someone else's identity, an unknown one, a gone one: not found.
        let (stranger, _) = app.signup("stranger@example.com").await;
        for id in [other.as_str(), "no-such-identity", only.as_str()] {
            let who = if id == other { &stranger } else { &token };
            expect_detail(
                app.delete(&format!("/api/auth/identities/{id}"), who).await,
                StatusCode::NOT_FOUND,
                "Linked provider not found",
            )
            .await;
        }
        expect_detail(
            app.delete("/api/auth/identities/%00", &token).await,
            StatusCode::NOT_FOUND,
            "Linked provider not found",
        )
        .await;
    }
);

both!(
    async fn an_account_with_two_factor_on_gets_its_code_step_after_the_provider(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let smtp = SmtpServer::start();
        let app = oidc_app(kind, &[("local", &op, "web")], &[("SMTP_URL", &smtp.url())]).await;
        let (password_token, user_id) = app.signup("alice@example.com").await;
        verify_address(&app, &smtp, "alice@example.com").await;
        let secret = setup(&app, &password_token).await;
        let step = next_step(&app);
        let res = app.post("/api/auth/2fa/enable", &password_token, json!({ "code": totp(&secret, step) })).await;
        assert_eq!(res.status(), StatusCode::OK);

        // Linked by its verified address, then again by the identity: each time the code step, no session yet.
        for _ in 0..2 {
            let browser = Browser::new();
            let authorization = browser.start(&app, "local", Some("/account")).await;
            let back = browser.sign_in_at_provider(&authorization, &op.issuer, "alice").await;
            let landing = land(browser.callback(&app, &back).await).await;
            assert!(landing.token.is_none());
            let (page, mfa_token) = landing.to.split_once("#mfa_token=").expect("the mfa_token in the fragment");
            assert_eq!(page, "/login?next=/account&provider=local");
            let step = next_step(&app);
            let (status, body) = parts(login_2fa(&app, mfa_token, &totp(&secret, step)).await).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["user"]["id"], user_id.as_str());
        }
    }
);

both!(
    async fn linking_from_the_account_page_adds_a_way_in_and_refuses_another_accounts_identity(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let (token, user_id) = app.signup("pat@example.com").await;
        let browser = Browser::new();
        let authorization = browser.start_link(&app, "local", &token).await;
        let back = browser.sign_in_at_provider(&authorization, &op.issuer, "carol").await;
        let res = browser.callback(&app, &back).await;
        assert!(set_cookie(&res, "todo_session").is_none(), "a link signs nobody in");
        assert_eq!(location(&res), "/account?linked=local");
        let linked = identities(&app, &token).await;
        assert_eq!(linked["identities"][0]["email"], "carol@example.com");
        // carol's identity now signs in pat's account (whatever its address).
        assert_eq!(me(&app, &signed_in(&app, &op, "local", "carol").await).await["id"], user_id.as_str());

        // Another account cannot take it.
        let (other, _) = app.signup("quinn@example.com").await;
        let browser = Browser::new();
        let authorization = browser.start_link(&app, "local", &other).await;
        let back = browser.sign_in_at_provider(&authorization, &op.issuer, "carol").await;
        assert_eq!(
            location(&browser.callback(&app, &back).await),
            "/account?error=oidc_linked_elsewhere&provider=local"
        );
        assert_eq!(identities(&app, &other).await["identities"], json!([]));

        // Signed out, or an unknown provider: refused in the contract's shape.
        let res = app.request(Method::POST, "/api/auth/oidc/local/link", None, None).await;
        expect_detail(res, StatusCode::UNAUTHORIZED, "Not authenticated").await;
        expect_detail(
            app.post("/api/auth/oidc/nope/link", &token, json!({})).await,
            StatusCode::NOT_FOUND,
            "Unknown provider",
        )
        .await;
    }
);

both!(
    async fn cancelling_at_the_provider_or_an_expired_flow_ends_on_the_sign_in_page(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let browser = Browser::new();
        let authorization = browser.start(&app, "local", None).await;
        let back = browser.cancel_at_provider(&authorization, &op.issuer).await;
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
        assert_eq!(location(&browser.callback(&app, &back).await), failed("oidc_cancelled", "local"));

        // A flow waits ten minutes for the provider's answer, not more.
        let browser = Browser::new();
        let back = browser.to_callback(&app, &op, "local", "alice").await;
        app.state.clock.advance(Duration::from_secs(10 * 60 + 1));
        assert_eq!(location(&browser.callback(&app, &back).await), failed("oidc_expired", "local"));
        assert!(!account_exists(&app, "alice@example.com").await);
    }
);

both!(
    async fn a_flow_started_on_one_api_process_completes_on_another(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let first = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let vars: Vec<(String, String)> =
            [("OIDC_PROVIDERS".to_string(), "local".to_string()), ("WEB_URL".into(), OIDC_WEB_URL.into())]
                .into_iter()
                .chain(op.api_vars("local", "web", "Provider local"))
                .collect();
        let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let second = TestApp::start_on(first.db.clone(), &borrowed).await;
        let browser = Browser::new();
        let back = browser.to_callback(&first, &op, "local", "alice").await;
        let landing = land(browser.callback(&second, &back).await).await;
        assert_eq!(landing.to, "/tasks");
        assert_eq!(me(&first, &landing.token.unwrap()).await["email"], "alice@example.com");
    }
);

both!(
    async fn a_new_signing_key_at_the_provider_is_fetched_once(kind: Kind) {
        let mut op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        signed_in(&app, &op, "local", "alice").await;
        op.restart().await; // the same issuer with a new key
        signed_in(&app, &op, "local", "alice").await;
        assert_eq!(op.requests("GET /.well-known/openid-configuration"), 1, "discovery stays cached");
        assert_eq!(op.requests("GET /jwks"), 2, "the keys are read again once");
    }
);

both!(
    async fn without_providers_or_with_bad_input_every_answer_is_the_contracts(kind: Kind) {
        // A provider configured on a port nobody listens on: the API starts, lists it, and says it is down.
        let app = TestApp::start_with(
            kind,
            &[
                ("OIDC_PROVIDERS", "dead"),
                ("OIDC_DEAD_ISSUER", "http://127.0.0.1:9"),
                ("OIDC_DEAD_CLIENT_ID", "web"),
                ("OIDC_DEAD_CLIENT_SECRET", "s"),
                ("OIDC_STARTS_PER_CLIENT", "3"),
            ],
        )
        .await;
        let browser = Browser::new();
        for _ in 0..3 {
            let res = browser.get(&app.url("/api/auth/oidc/dead/start?next=%2Ftasks")).await;
            assert_eq!(location(&res), failed("oidc_unavailable", "dead"));
        }
        let res = browser.get(&app.url("/api/auth/oidc/dead/start")).await;
        assert_eq!(location(&res), failed("oidc_throttled", "dead"), "starts are counted per client");

        let app = TestApp::start(kind).await;
        let (_, body) = parts(app.request(Method::GET, "/api/auth/providers", None, None).await).await;
        assert_eq!(body, json!({ "providers": [] }));
        for path in [
            "/api/auth/oidc/nope/start",
            "/api/auth/oidc/nope/callback?code=x&state=y",
            "/api/auth/oidc/%FF%00/callback",
        ] {
            let to = location(&browser.get(&app.url(path)).await);
            assert!(to.starts_with("/login?error=oidc_unknown_provider&provider="), "{path}: {to}");
        }
        let (token, _) = app.signup("pat@example.com").await;
        assert_eq!(identities(&app, &token).await, json!({ "identities": [], "has_password": true }));
        expect_detail(
            app.get("/api/auth/identities", "garbage").await,
            StatusCode::UNAUTHORIZED,
            "Invalid authentication token",
        )
        .await;
    }
);

both!(
    async fn callbacks_with_garbage_end_on_the_sign_in_page(kind: Kind) {
        let op = provider_or_skip!(&["local"]);
        let app = oidc_app(kind, &[("local", &op, "web")], &[]).await;
        let browser = Browser::new();
        let back = browser.to_callback(&app, &op, "local", "alice").await;
        let long = "s".repeat(5000);
        for query in [
            "",
            "?state=",
            "?code=&state=&iss=",
            "?error=server_error",
            "?state=%FF%FE&code=%00",
            &format!("?state={long}"),
        ] {
            let res = browser.get(&app.url(&format!("/api/auth/oidc/local/callback{query}"))).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", &query[..query.len().min(40)]);
            assert_eq!(location(&res), failed("oidc_expired", "local"), "{query}");
        }
        // A flow cookie that is not ours: no flow either.
        let path = back.strip_prefix(OIDC_WEB_URL).unwrap();
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = no_redirects.get(app.url(path)).header("cookie", "oidc_flow=forged").send().await.unwrap();
        assert_eq!(location(&res), failed("oidc_expired", "local"));
        // The real one still works.
        assert_eq!(land(browser.callback(&app, &back).await).await.to, "/tasks");
    }
);
