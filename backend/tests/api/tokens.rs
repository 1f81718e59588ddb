//! Token forgery and defects, minted in the test, each answered with the contract's 401 text and
//! `WWW-Authenticate: Bearer`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use jsonwebtoken::Algorithm;
use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

async fn expect_401(app: &TestApp, why: &str, auth: Option<String>, detail: &str) {
    let mut req = app.client.get(app.url("/api/tasks"));
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{why}");
    assert_eq!(res.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap()), Some("Bearer"), "{why}");
    let (_, body) = parts(res).await;
    assert_eq!(body, json!({ "detail": detail }), "{why}");
}

both!(
    async fn forged_and_defective_tokens_are_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (_, id) = app.signup("ada@example.com").await;
        let far = now() + 3600;
        let ok_claims = json!({"sub": id, "email": "ada@example.com", "iat": now(), "exp": far});
        let bearer = |t: String| Some(format!("Bearer {t}"));
        let alg_none =
            format!("{}.{}.", B64.encode(br#"{"alg":"none","typ":"JWT"}"#), B64.encode(ok_claims.to_string()));
        let good = mint(ok_claims.clone(), SECRET, Algorithm::HS256);
        let mut tampered: Vec<String> = good.split('.').map(String::from).collect();
        tampered[1] = B64.encode(json!({"sub": "someone-else", "exp": far}).to_string());
        let rows: Vec<(&str, Option<String>, &str)> = vec![
            ("no Authorization header", None, "Not authenticated"),
            ("Basic scheme", Some("Basic YWRhOnB3".into()), "Not authenticated"),
            ("Bearer without a token", Some("Bearer".into()), "Not authenticated"),
            ("Bearer and spaces only", Some("Bearer    ".into()), "Not authenticated"),
            ("token without a scheme", Some(good.clone()), "Not authenticated"),
            ("garbage", bearer("garbage".into()), "Invalid authentication token"),
            ("three dots of nothing", bearer("..".into()), "Invalid authentication token"),
            (
                "signed with another secret",
                bearer(mint(ok_claims.clone(), "another-secret-another-secret-another", Algorithm::HS256)),
                "Invalid authentication token",
            ),
            ("alg none", bearer(alg_none), "Invalid authentication token"),
            (
                "HS512 while HS256 is configured",
                bearer(mint(ok_claims.clone(), SECRET, Algorithm::HS512)),
                "Invalid authentication token",
            ),
            ("payload tampered after signing", bearer(tampered.join(".")), "Invalid authentication token"),
            (
                "expired",
                bearer(mint(json!({"sub": id, "iat": now() - 7200, "exp": now() - 60}), SECRET, Algorithm::HS256)),
                "Token has expired",
            ),
            (
                "no exp",
                bearer(mint(json!({"sub": id, "iat": now()}), SECRET, Algorithm::HS256)),
                "Invalid authentication token",
            ),
            (
                "no sub nor userId",
                bearer(mint(json!({"email": "ada@example.com", "exp": far}), SECRET, Algorithm::HS256)),
                "Token missing user identifier",
            ),
            (
                "sub of a user that does not exist",
                bearer(mint(json!({"sub": uuid::Uuid::new_v4().to_string(), "exp": far}), SECRET, Algorithm::HS256)),
                "User not found",
            ),
            (
                "sub with SQL in it",
                bearer(mint(json!({"sub": "' OR '1'='1", "exp": far}), SECRET, Algorithm::HS256)),
                "User not found",
            ),
            (
                "sub with a NUL",
                bearer(mint(json!({"sub": "a\u{0}b", "exp": far}), SECRET, Algorithm::HS256)),
                "Invalid authentication token",
            ),
        ];
        for (why, auth, detail) in rows {
            expect_401(&app, why, auth, detail).await;
        }
        // The scheme is case-insensitive, and userId stands in for sub (as the seed).
        let res = app
            .client
            .get(app.url("/api/tasks"))
            .header(header::AUTHORIZATION, format!("bearer {good}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let user_id_token = mint(json!({"userId": id, "exp": far}), SECRET, Algorithm::HS256);
        assert_eq!(app.get("/api/auth/me", &user_id_token).await.status(), StatusCode::OK);
    }
);

both!(
    async fn the_configured_algorithm_is_the_only_one_accepted(kind: Kind) {
        let app = TestApp::start_with(kind, &[("JWT_ALGORITHM", "HS512")]).await;
        let (token, id) = app.signup("ada@example.com").await;
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS512");
        assert_eq!(app.get("/api/auth/me", &token).await.status(), StatusCode::OK);
        let hs256 = mint(json!({"sub": id, "exp": now() + 60}), SECRET, Algorithm::HS256);
        expect_401(
            &app,
            "HS256 while HS512 is configured",
            Some(format!("Bearer {hs256}")),
            "Invalid authentication token",
        )
        .await;
    }
);

both!(
    async fn every_protected_route_requires_a_token(kind: Kind) {
        let app = TestApp::start(kind).await;
        for (method, path) in [
            (Method::GET, "/api/auth/me"),
            (Method::POST, "/api/auth/logout"),
            (Method::POST, "/api/auth/logout-all"),
            (Method::POST, "/api/auth/change-password"),
            (Method::GET, "/api/tasks"),
            (Method::POST, "/api/tasks"),
            (Method::GET, "/api/tasks/x"),
            (Method::PATCH, "/api/tasks/x"),
            (Method::DELETE, "/api/tasks/x"),
            (Method::POST, "/api/tasks/x/toggle"),
        ] {
            let res = app.request(method.clone(), path, None, Some(json!({"title": "t"}))).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
            expect_detail(res, StatusCode::UNAUTHORIZED, "Not authenticated").await;
        }
    }
);
