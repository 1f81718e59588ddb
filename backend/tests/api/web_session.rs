//! The browser's session cookie, read and written by the API itself (src/web_session.rs): a request with the
//! cookie (or `X-Session: cookie`) is authenticated by it, its state changes must come from WEB_URL's
//! origins, a token in its answer becomes the cookie and never reaches the body, a 401 or a sign-out
//! clears the cookie — and a bearer client (the seed's frontend, curl) sees none of it.

use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

/// The default WEB_URL's origin.
const WEB: &str = "http://localhost:3000";

/// A request as our web app's client makes it: same origin, `X-Session: cookie`, the cookie if any.
fn browser(app: &TestApp, method: Method, path: &str, cookie: Option<&str>) -> RequestBuilder {
    let req = app
        .client
        .request(method, app.url(path))
        .header("x-session", "cookie")
        .header(header::ORIGIN, WEB)
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "cors");
    match cookie {
        Some(token) => req.header(header::COOKIE, format!("theme=dark; todo_session={token}")),
        None => req,
    }
}

/// Every `Set-Cookie` of an answer.
fn set_cookies(res: &Response) -> Vec<String> {
    res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

/// The token a `Set-Cookie: todo_session=<token>; …` holds, checking the cookie's attributes.
fn session_cookie(res: &Response) -> String {
    let cookies = set_cookies(res);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    let token = cookie.strip_prefix("todo_session=").and_then(|c| c.split(';').next()).expect(cookie);
    assert!(token.len() > 20, "{cookie}");
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "WEB_URL is http: {cookie}");
    let max_age: i64 = cookie.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
    assert!((86_300..=86_400).contains(&max_age), "the cookie lives as long as the token: {cookie}");
    token.to_string()
}

fn assert_cleared(res: &Response) {
    assert_eq!(set_cookies(res), ["todo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
}

/// Signs in as the web app does; returns the cookie's token and the body.
async fn browser_login(app: &TestApp, email: &str) -> (String, Value) {
    let res = browser(app, Method::POST, "/api/auth/login", None)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = session_cookie(&res);
    let body: Value = res.json().await.unwrap();
    (token, body)
}

async fn task_titles(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = parts(app.get("/api/tasks", token).await).await;
    assert_eq!(status, StatusCode::OK);
    body["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect()
}

both!(
    async fn a_sign_in_sets_the_cookie_and_its_answer_holds_no_token(kind: Kind) {
        let app = TestApp::start(kind).await;
        let res = browser(&app, Method::POST, "/api/auth/register", None)
            .json(&json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let registered = session_cookie(&res);
        let body: Value = res.json().await.unwrap();
        assert!(body.get("access_token").is_none(), "{body}");
        assert!(!body.to_string().contains(&registered), "the token is in the body: {body}");
        assert_eq!((&body["token_type"], &body["user"]["email"]), (&json!("bearer"), &json!("ada@example.com")));
        let exp = jwt_exp(&registered);
        let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!(expires_at.timestamp(), exp);

        let (token, body) = browser_login(&app, "ada@example.com").await;
        assert!(body.get("access_token").is_none() && body["expires_at"].is_string(), "{body}");
        assert_ne!(token, registered, "a sign-in is a new session");

        // A password change answers a fresh token: the cookie, again never the body.
        let res = browser(&app, Method::POST, "/api/auth/change-password", Some(&token))
            .json(&json!({ "current_password": PASSWORD, "new_password": "another long passphrase" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let changed = session_cookie(&res);
        let body: Value = res.json().await.unwrap();
        assert!(body.get("access_token").is_none() && !body.to_string().contains(&changed), "{body}");
        assert_eq!(app.get("/api/auth/me", &changed).await.status(), StatusCode::OK);
    }
);

both!(
    async fn the_cookie_authenticates(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        app.create_task(&token, "mine").await;
        // Exactly what a browser sends for a page's GET: the cookie, nothing else of ours.
        let res = app
            .client
            .get(app.url("/api/tasks"))
            .header(header::COOKIE, format!("todo_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(set_cookies(&res).is_empty());
        let (_, body) = parts(res).await;
        assert_eq!(body["tasks"][0]["title"], json!("mine"));

        let res = browser(&app, Method::POST, "/api/tasks", Some(&token))
            .json(&json!({ "title": "by cookie" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(task_titles(&app, &token).await, ["by cookie", "mine"]);
    }
);

both!(
    async fn the_session_route_says_who_is_signed_in_and_never_answers_401(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let nobody = json!({ "user": null, "expires_at": null });

        let res = browser(&app, Method::GET, "/api/auth/session", None).send().await.unwrap();
        assert!(set_cookies(&res).is_empty(), "no cookie, nothing to clear");
        assert_eq!(parts(res).await, (StatusCode::OK, nobody.clone()));

        for res in [
            browser(&app, Method::GET, "/api/auth/session", Some(&token)).send().await.unwrap(),
            app.get("/api/auth/session", &token).await,
        ] {
            let (status, body) = parts(res).await;
            assert_eq!((status, &body["user"]["email"]), (StatusCode::OK, &json!("ada@example.com")), "{body}");
            let at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
            assert_eq!(at.timestamp(), jwt_exp(&token));
        }

        // A cookie the API refuses (here: signed out): nobody, and the cookie goes.
        assert_eq!(
            app.request(Method::POST, "/api/auth/logout", Some(&token), None).await.status(),
            StatusCode::NO_CONTENT
        );
        let res = browser(&app, Method::GET, "/api/auth/session", Some(&token)).send().await.unwrap();
        assert_cleared(&res);
        assert_eq!(parts(res).await, (StatusCode::OK, nobody.clone()));
        // A bearer client asking with a dead token: nobody, and no cookie business.
        let res = app.get("/api/auth/session", &token).await;
        assert!(set_cookies(&res).is_empty());
        assert_eq!(parts(res).await, (StatusCode::OK, nobody));
    }
);

both!(
    async fn a_bearer_header_wins_over_the_cookie(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (bob, _) = app.signup("bob@example.com").await;
        for asked in [false, true] {
            let mut req = app
                .client
                .get(app.url("/api/auth/me"))
                .bearer_auth(&bob)
                .header(header::COOKIE, format!("todo_session={ada}"));
            if asked {
                req = req.header("x-session", "cookie");
            }
            let (status, body) = parts(req.send().await.unwrap()).await;
            assert_eq!((status, &body["email"]), (StatusCode::OK, &json!("bob@example.com")), "X-Session: {asked}");
        }
        // A bearer header that fails is a 401 even with a good cookie beside it (and the cookie is not used).
        let res = app
            .client
            .get(app.url("/api/auth/me"))
            .bearer_auth("not-a-token")
            .header(header::COOKIE, format!("todo_session={ada}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookies(&res).is_empty(), "the cookie was not what failed");
    }
);

both!(
    async fn a_state_change_from_another_origin_is_refused_before_any_handler(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        app.create_task(&token, "mine").await;
        let cookie = format!("todo_session={token}");
        let forged: &[(&str, &[(&str, &str)])] = &[
            ("another site", &[("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")]),
            ("a sibling of the same site", &[("origin", "http://localhost:4000"), ("sec-fetch-site", "same-site")]),
            ("our Origin but a cross-site fetch", &[("origin", WEB), ("sec-fetch-site", "cross-site")]),
            ("a foreign Origin alone", &[("origin", "http://evil.example")]),
            ("Origin null", &[("origin", "null")]),
            ("neither header", &[]),
        ];
        for (why, headers) in forged {
            for (method, path, body) in [
                (Method::POST, "/api/tasks", Some(json!({ "title": "forged" }))),
                (Method::POST, "/api/auth/logout-all", None),
                (Method::DELETE, "/api/tasks/x", None),
            ] {
                let mut req = app.client.request(method.clone(), app.url(path)).header(header::COOKIE, &cookie);
                for (k, v) in *headers {
                    req = req.header(*k, *v);
                }
                if let Some(b) = &body {
                    req = req.json(b);
                }
                let res = req.send().await.unwrap();
                assert!(set_cookies(&res).is_empty(), "{why}: {method} {path} touched the cookie");
                let (status, got) = parts(res).await;
                assert_eq!(
                    (status, &got),
                    (StatusCode::FORBIDDEN, &json!({ "detail": "Cross-site request refused" })),
                    "{why}: {method} {path}"
                );
            }
        }
        // A sign-in asked for by a page of another origin is refused too (no cookie yet: X-Session says the mode).
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("x-session", "cookie")
            .header(header::ORIGIN, "http://evil.example")
            .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        expect_detail(res, StatusCode::FORBIDDEN, "Cross-site request refused").await;
        // A form of another site, posted as a navigation: the browser kept the cookie home (SameSite), and the
        // form is refused all the same — the API has no forms.
        let res = app
            .client
            .post(app.url("/api/auth/logout-all"))
            .header(header::ORIGIN, "http://evil.example")
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "navigate")
            .send()
            .await
            .unwrap();
        expect_detail(res, StatusCode::FORBIDDEN, "Cross-site request refused").await;

        assert_eq!(task_titles(&app, &token).await, ["mine"], "nothing changed");
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK, "still signed in");
    }
);

both!(
    async fn reading_needs_no_origin_and_no_get_changes_anything(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let cookie = format!("todo_session={token}");
        for headers in [&[("sec-fetch-site", "cross-site"), ("origin", "http://evil.example")][..], &[]] {
            let mut req = app.client.get(app.url("/api/auth/me")).header(header::COOKIE, &cookie);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            assert_eq!(req.send().await.unwrap().status(), StatusCode::OK, "{headers:?}");
        }
        let res = app.client.get(app.url("/api/auth/logout")).header(header::COOKIE, &cookie).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(set_cookies(&res).is_empty());
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_refused_cookie_is_cleared_and_sign_outs_clear_it(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;

        let (token, _) = browser_login(&app, "ada@example.com").await;
        let res = browser(&app, Method::POST, "/api/auth/logout", Some(&token)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_cleared(&res);
        // The dead cookie, sent again (another tab): 401, cleared again.
        let res = app
            .client
            .get(app.url("/api/tasks"))
            .header(header::COOKIE, format!("todo_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_cleared(&res);
        expect_detail(res, StatusCode::UNAUTHORIZED, "Token has been revoked").await;

        let (token, _) = browser_login(&app, "ada@example.com").await;
        let res = browser(&app, Method::POST, "/api/auth/logout-all", Some(&token)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_cleared(&res);
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::UNAUTHORIZED);

        for junk in ["not-a-token", "", "a.b.c"] {
            let res = app
                .client
                .get(app.url("/api/auth/me"))
                .header(header::COOKIE, format!("todo_session={junk}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{junk:?}");
            assert_cleared(&res);
        }
        // A wrong password with no cookie: nothing to clear.
        let res = browser(&app, Method::POST, "/api/auth/login", None)
            .json(&json!({ "email": "ada@example.com", "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookies(&res).is_empty());
    }
);

both!(
    async fn bearer_clients_see_no_change(kind: Kind) {
        let app = TestApp::start(kind).await;
        // The seed's frontend: login and register from another origin, the token in the body, no cookie.
        let res = app
            .client
            .post(app.url("/api/auth/register"))
            .header(header::ORIGIN, "http://seed.example:3000")
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "cors")
            .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert!(set_cookies(&res).is_empty());
        let body: Value = res.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_string();
        assert!(body.get("expires_at").is_none(), "{body}");

        let login = app.login("ada@example.com", PASSWORD).await;
        assert!(set_cookies(&login).is_empty());
        assert!(login.json::<Value>().await.unwrap()["access_token"].is_string());

        let res = app
            .client
            .post(app.url("/api/tasks"))
            .bearer_auth(&token)
            .header(header::ORIGIN, "http://seed.example:3000")
            .header("sec-fetch-site", "cross-site")
            .json(&json!({ "title": "from the seed" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app.get("/api/tasks", &token).await;
        assert!(set_cookies(&res).is_empty());
        let res = app.get("/api/auth/me", "not-a-token").await;
        assert!(set_cookies(&res).is_empty());
        expect_detail(res, StatusCode::UNAUTHORIZED, "Invalid authentication token").await;
        let res = app.request(Method::POST, "/api/auth/logout", Some(&token), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(set_cookies(&res).is_empty());
    }
);

both!(
    async fn through_a_trusted_proxy_the_session_is_keyed_on_the_browser(kind: Kind) {
        let app = TestApp::start_with(kind, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        app.signup("ada@example.com").await;
        // What the web server or nginx forwards: the browser's address in X-Forwarded-For.
        let res = browser(&app, Method::POST, "/api/auth/login", None)
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        let token = session_cookie(&res);
        let res = browser(&app, Method::GET, "/api/auth/sessions", Some(&token)).send().await.unwrap();
        let (status, body) = parts(res).await;
        assert_eq!(status, StatusCode::OK);
        let current: Vec<&Value> =
            body["sessions"].as_array().unwrap().iter().filter(|s| s["current"] == json!(true)).collect();
        assert_eq!(current.len(), 1, "{body}");
        assert_eq!(current[0]["ip"], json!("203.0.113.7"));
    }
);

both!(
    async fn over_https_the_cookie_is_secure_and_host_prefixed(kind: Kind) {
        let app = TestApp::start_with(kind, &[("WEB_URL", "https://todo.example,http://localhost:3000")]).await;
        app.signup("ada@example.com").await;
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("x-session", "cookie")
            .header(header::ORIGIN, "https://todo.example")
            .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = set_cookies(&res).pop().unwrap();
        assert!(cookie.starts_with("__Host-todo_session=") && cookie.ends_with("; Secure"), "{cookie}");
        let token = cookie.trim_start_matches("__Host-todo_session=").split(';').next().unwrap().to_string();
        let res = app
            .client
            .get(app.url("/api/auth/me"))
            .header(header::COOKIE, format!("__Host-todo_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // The plain name means nothing here.
        let res = app
            .client
            .get(app.url("/api/auth/me"))
            .header(header::COOKIE, format!("todo_session={token}"))
            .send()
            .await
            .unwrap();
        expect_detail(res, StatusCode::UNAUTHORIZED, "Not authenticated").await;
    }
);

/// A JWT's `exp`, read by the test.
fn jwt_exp(token: &str) -> i64 {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
    serde_json::from_slice::<Value>(&payload).unwrap()["exp"].as_i64().unwrap()
}
