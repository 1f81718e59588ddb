//! A table of bad inputs: each row says why it must fail, and how. None may reach a 500, and nothing
//! stored may change.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

const JSON: (&str, &str) = ("content-type", "application/json");

/// (why, body, expected 422 field (None = the body itself), pydantic type)
fn register_rows() -> Vec<(&'static str, Vec<u8>, Option<&'static str>, &'static str)> {
    let s = |v: serde_json::Value| v.to_string().into_bytes();
    vec![
        ("malformed JSON", b"{\"email\": ".to_vec(), None, "json_invalid"),
        ("trailing garbage after the object", b"{\"email\": \"a@b.com\"} x".to_vec(), None, "json_invalid"),
        ("invalid UTF-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], None, "json_invalid"),
        ("deeply nested JSON", format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(), None, "json_invalid"),
        ("empty body", Vec::new(), None, "missing"),
        ("a JSON array, not an object", b"[1, 2]".to_vec(), None, "model_attributes_type"),
        ("a JSON string, not an object", b"\"ada@example.com\"".to_vec(), None, "model_attributes_type"),
        ("null body", b"null".to_vec(), None, "model_attributes_type"),
        ("email missing", s(json!({"password": PASSWORD})), Some("email"), "missing"),
        ("password missing", s(json!({"email": "a@example.com"})), Some("password"), "missing"),
        ("email is a number", s(json!({"email": 42, "password": PASSWORD})), Some("email"), "string_type"),
        ("email is null", s(json!({"email": null, "password": PASSWORD})), Some("email"), "string_type"),
        (
            "password is a number",
            s(json!({"email": "a@example.com", "password": 12345678})),
            Some("password"),
            "string_type",
        ),
        (
            "password is a list",
            s(json!({"email": "a@example.com", "password": ["x"]})),
            Some("password"),
            "string_type",
        ),
        (
            "password shorter than 8",
            s(json!({"email": "a@example.com", "password": "1234567"})),
            Some("password"),
            "string_too_short",
        ),
        (
            "password longer than 100",
            s(json!({"email": "a@example.com", "password": "x".repeat(101)})),
            Some("password"),
            "string_too_long",
        ),
        (
            "name longer than 100",
            s(json!({"email": "a@example.com", "password": PASSWORD, "name": "n".repeat(101)})),
            Some("name"),
            "string_too_long",
        ),
        (
            "name is a number",
            s(json!({"email": "a@example.com", "password": PASSWORD, "name": 7})),
            Some("name"),
            "string_type",
        ),
        ("email without @", s(json!({"email": "ada.example.com", "password": PASSWORD})), Some("email"), "value_error"),
        (
            "email without a dot in the domain",
            s(json!({"email": "ada@localhost", "password": PASSWORD})),
            Some("email"),
            "value_error",
        ),
        (
            "email with a space",
            s(json!({"email": "a da@example.com", "password": PASSWORD})),
            Some("email"),
            "value_error",
        ),
        (
            "email on a special-use domain",
            s(json!({"email": "ada@example.test", "password": PASSWORD})),
            Some("email"),
            "value_error",
        ),
        (
            "email of 40 kB",
            s(json!({"email": format!("{}@example.com", "a".repeat(40_000)), "password": PASSWORD})),
            Some("email"),
            "value_error",
        ),
        (
            "SQL in the email",
            s(json!({"email": "x'; DROP TABLE users; --@example.com", "password": PASSWORD})),
            Some("email"),
            "value_error",
        ),
        (
            "NUL in the password",
            s(json!({"email": "a@example.com", "password": "pass\u{0}word"})),
            Some("password"),
            "string_nul",
        ),
        (
            "duplicate keys: the last one counts, as in Python",
            b"{\"email\": \"a@example.com\", \"email\": \"bad\", \"password\": \"correct horse\"}".to_vec(),
            Some("email"),
            "value_error",
        ),
    ]
}

both!(
    async fn bad_registration_bodies_are_422_in_fastapis_shape(kind: Kind) {
        let app = TestApp::start_with(kind, &[("REGISTRATIONS_PER_CLIENT", "0")]).await;
        for (why, body, field, kind_) in register_rows() {
            let res = app.raw(Method::POST, "/api/auth/register", &[JSON], body).await;
            let status = res.status();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
            let detail = expect_422(res, field, kind_).await;
            assert!(!detail.to_string().contains("correct horse"), "{why}: a password echoed back");
        }
        // Every problem of a body at once, like pydantic.
        let res = app
            .raw(
                Method::POST,
                "/api/auth/register",
                &[JSON],
                json!({"email": "x", "password": "short", "name": 1}).to_string().into_bytes(),
            )
            .await;
        let (_, body) = parts(res).await;
        assert_eq!(body["detail"].as_array().unwrap().len(), 3, "{body}");
        // Nothing was stored.
        let (_, list) = parts(app.login("a@example.com", PASSWORD).await).await;
        assert_eq!(list["detail"], "Invalid email or password");
    }
);

both!(
    async fn a_body_that_is_not_json_is_422(kind: Kind) {
        let app = TestApp::start(kind).await;
        let form = app
            .raw(
                Method::POST,
                "/api/auth/login",
                &[("content-type", "application/x-www-form-urlencoded")],
                b"email=a%40b.com&password=x".to_vec(),
            )
            .await;
        expect_422(form, None, "content_type").await;
        let text = app
            .raw(
                Method::POST,
                "/api/auth/login",
                &[("content-type", "text/plain")],
                br#"{"email":"a@example.com","password":"x"}"#.to_vec(),
            )
            .await;
        expect_422(text, None, "content_type").await;
        // No content type at all: refused too (FastAPI reads it as JSON, which lets a cross-origin page
        // post JSON without a CORS preflight: a "simple" request may omit the header).
        let none = app
            .raw(Method::POST, "/api/auth/login", &[], br#"{"email":"a@example.com","password":"x"}"#.to_vec())
            .await;
        expect_422(none, None, "content_type").await;
    }
);

both!(
    async fn bad_login_bodies_are_422(kind: Kind) {
        let app = TestApp::start(kind).await;
        for (why, body, field, kind_) in [
            ("invalid email", json!({"email": "nope", "password": "x"}), Some("email"), "value_error"),
            ("password missing", json!({"email": "a@example.com"}), Some("password"), "missing"),
            (
                "password is a bool",
                json!({"email": "a@example.com", "password": true}),
                Some("password"),
                "string_type",
            ),
        ] {
            let res = app.raw(Method::POST, "/api/auth/login", &[JSON], body.to_string().into_bytes()).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
            expect_422(res, field, kind_).await;
        }
    }
);

both!(
    async fn bad_task_bodies_are_422_and_change_nothing(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let task = app.create_task(&token, "keep me").await;
        let id = task["id"].as_str().unwrap();
        let auth = format!("Bearer {token}");
        let headers = [JSON, ("authorization", auth.as_str())];
        let create_rows = [
            ("title missing", json!({"description": "d"}), Some("title"), "missing"),
            ("title empty", json!({"title": ""}), Some("title"), "string_too_short"),
            ("title only spaces (stripped first)", json!({"title": "    "}), Some("title"), "string_too_short"),
            ("title of 201 characters", json!({"title": "t".repeat(201)}), Some("title"), "string_too_long"),
            ("title of 1 MB", json!({"title": "t".repeat(1 << 20)}), None, "none: 413"),
            ("title is a number", json!({"title": 5}), Some("title"), "string_type"),
            ("title is null", json!({"title": null}), Some("title"), "string_type"),
            ("title is an object", json!({"title": {"$ne": 1}}), Some("title"), "string_type"),
            (
                "description of 1001 characters",
                json!({"title": "t", "description": "d".repeat(1001)}),
                Some("description"),
                "string_too_long",
            ),
            ("description is a number", json!({"title": "t", "description": 1}), Some("description"), "string_type"),
            ("NUL in the title", json!({"title": "a\u{0}b"}), Some("title"), "string_nul"),
        ];
        for (why, body, field, kind_) in create_rows {
            let res = app.raw(Method::POST, "/api/tasks", &headers, body.to_string().into_bytes()).await;
            if kind_ == "none: 413" {
                assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{why}");
                let (_, b) = parts(res).await;
                assert!(b["detail"].is_string(), "{why}: {b}");
                continue;
            }
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
            expect_422(res, field, kind_).await;
        }
        let patch_rows = [
            ("title empty", json!({"title": ""}), Some("title"), "string_too_short"),
            ("title of 201 characters", json!({"title": "t".repeat(201)}), Some("title"), "string_too_long"),
            (
                "description of 1001 characters",
                json!({"description": "d".repeat(1001)}),
                Some("description"),
                "string_too_long",
            ),
            ("title is a bool", json!({"title": false}), Some("title"), "string_type"),
            ("a list, not an object", json!(["title"]), None, "model_attributes_type"),
        ];
        for (why, body, field, kind_) in patch_rows {
            let res =
                app.raw(Method::PATCH, &format!("/api/tasks/{id}"), &headers, body.to_string().into_bytes()).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
            expect_422(res, field, kind_).await;
        }
        let (_, after) = parts(app.get(&format!("/api/tasks/{id}"), &token).await).await;
        assert_eq!(after, task, "the stored task is unchanged");
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(list["total"], 1);
    }
);

both!(
    async fn hostile_paths_and_queries_are_404_or_422_never_500(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let long = format!("/api/tasks/{}", "a".repeat(4000));
        for path in [
            "/api/tasks/..%2F..%2Fetc%2Fpasswd",
            "/api/tasks/%00",
            "/api/tasks/%FF%FE",
            "/api/tasks/1'%20OR%20'1'='1",
            "/api/tasks/%27%3B%20DROP%20TABLE%20tasks%3B%20--",
            "/api/tasks/-1",
            "/api/tasks/1e309",
            long.as_str(),
        ] {
            let res = app.get(path, &token).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            let (_, b) = parts(res).await;
            assert!(b["detail"].is_string(), "{path}: {b}");
        }
        for query in ["status=done", "status=", "status=%00", "status=all&status=pending'--"] {
            let res = app.get(&format!("/api/tasks?{query}"), &token).await;
            assert!(
                res.status() == StatusCode::UNPROCESSABLE_ENTITY || res.status() == StatusCode::OK,
                "{query}: {}",
                res.status()
            );
        }
        let res = app.get("/api/tasks?status=done", &token).await;
        let (s, b) = parts(res).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(b["detail"][0]["loc"], json!(["query", "status"]));
        // Tables are intact after all that.
        let (s, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!((s, list["total"].as_u64()), (StatusCode::OK, Some(0)));
    }
);
