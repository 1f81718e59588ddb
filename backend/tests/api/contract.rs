//! Every line of ../shared/contract.md, through HTTP.

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

fn is_uuid4(s: &str) -> bool {
    uuid::Uuid::parse_str(s).map(|u| u.get_version_num() == 4).unwrap_or(false)
}

fn is_utc_z(s: &str) -> bool {
    s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

both!(
    async fn register_answers_201_with_a_token_and_the_user(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (status, body) = parts(app.register("  Ada@Example.COM ", PASSWORD, Some("Ada Lovelace")).await).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
        let user = &body["user"];
        assert!(is_uuid4(user["id"].as_str().unwrap()), "{user}");
        assert_eq!(user["email"], "ada@example.com", "trimmed and lower-cased");
        assert_eq!(user["name"], "Ada Lovelace");
        assert!(is_utc_z(user["created_at"].as_str().unwrap()), "{user}");
        assert!(user.get("hashed_password").is_none());
        // name may be omitted or null
        let (s, b) = parts(
            app.request(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"email": "grace@example.com", "password": PASSWORD})),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(b["user"]["name"], Value::Null);
        let (s, _) = parts(app.register("hopper@example.com", PASSWORD, None).await).await;
        assert_eq!(s, StatusCode::CREATED);
    }
);

both!(
    async fn an_email_already_registered_in_any_case_is_400(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        for email in ["ada@example.com", "ADA@example.com", " Ada@Example.com"] {
            expect_detail(
                app.register(email, PASSWORD, None).await,
                StatusCode::BAD_REQUEST,
                "Email already registered",
            )
            .await;
        }
    }
);

both!(
    async fn login_answers_a_token_and_refuses_wrong_passwords_and_unknown_emails_alike(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        let (status, body) = parts(app.login("ADA@example.com", PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["user"]["email"], "ada@example.com");
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(app.get("/api/auth/me", token).await.status(), StatusCode::OK);

        let wrong = app.login("ada@example.com", "wrong password").await;
        let unknown = app.login("nobody@example.com", PASSWORD).await;
        for res in [wrong, unknown] {
            assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
            expect_detail(res, StatusCode::UNAUTHORIZED, "Invalid email or password").await;
        }
    }
);

both!(
    async fn an_unknown_email_costs_one_bcrypt_verification_like_a_wrong_password(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        let _ = app.state.hasher.dummy_hash().await; // made at start-up in production
        let counter = &app.state.hasher.computations;
        let before = counter.load(std::sync::atomic::Ordering::SeqCst);
        app.login("ada@example.com", "wrong password").await;
        let after_wrong = counter.load(std::sync::atomic::Ordering::SeqCst);
        app.login("nobody@example.com", "wrong password").await;
        let after_unknown = counter.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(after_wrong - before, 1, "a wrong password costs one verification");
        assert_eq!(after_unknown - after_wrong, 1, "an unknown email costs one verification too");
    }
);

both!(
    async fn me_answers_the_user_of_the_token(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, id) = app.signup("ada@example.com").await;
        let (status, me) = parts(app.get("/api/auth/me", &token).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["id"], id.as_str());
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["name"], "Test User");
        assert!(me.get("hashed_password").is_none());
    }
);

both!(
    async fn tasks_can_be_created_listed_read_changed_toggled_and_deleted(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, user_id) = app.signup("ada@example.com").await;

        // create: stripped, "" description -> null
        let (s, first) =
            parts(app.post("/api/tasks", &token, json!({"title": "  Buy milk  ", "description": "   "})).await).await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        assert_eq!(first["title"], "Buy milk");
        assert_eq!(first["description"], Value::Null);
        assert_eq!(first["is_completed"], false);
        assert_eq!(first["user_id"], user_id.as_str());
        assert!(is_uuid4(first["id"].as_str().unwrap()));
        assert!(is_utc_z(first["created_at"].as_str().unwrap()) && is_utc_z(first["updated_at"].as_str().unwrap()));
        let (_, second) =
            parts(app.post("/api/tasks", &token, json!({"title": "Write", "description": " draft "})).await).await;
        assert_eq!(second["description"], "draft");
        let id = first["id"].as_str().unwrap();

        // list: newest first, total
        let (s, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["total"], 2);
        assert_eq!(list["tasks"][0]["id"], second["id"]);
        assert_eq!(list["tasks"][1]["id"], first["id"]);

        // get
        let (s, got) = parts(app.get(&format!("/api/tasks/{id}"), &token).await).await;
        assert_eq!((s, &got), (StatusCode::OK, &first));

        // toggle flips, twice
        let (s, toggled) = parts(app.post(&format!("/api/tasks/{id}/toggle"), &token, json!({})).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(toggled["is_completed"], true);
        assert!(toggled["updated_at"].as_str() >= first["updated_at"].as_str());

        // filters
        for (status, ids) in [
            ("completed", vec![id]),
            ("pending", vec![second["id"].as_str().unwrap()]),
            ("all", vec![second["id"].as_str().unwrap(), id]),
        ] {
            let (_, l) = parts(app.get(&format!("/api/tasks?status={status}"), &token).await).await;
            let got: Vec<&str> = l["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
            assert_eq!(got, ids, "status={status}");
            assert_eq!(l["total"], ids.len());
        }
        let (_, back) = parts(app.post(&format!("/api/tasks/{id}/toggle"), &token, json!({})).await).await;
        assert_eq!(back["is_completed"], false);

        // patch: title only, description only, "" clears, null leaves alone
        let (s, p) =
            parts(app.patch(&format!("/api/tasks/{id}"), &token, json!({"title": " Buy oat milk "})).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!((p["title"].as_str(), p["description"].as_str()), (Some("Buy oat milk"), None));
        let (_, p) =
            parts(app.patch(&format!("/api/tasks/{id}"), &token, json!({"description": "2 litres"})).await).await;
        assert_eq!((p["title"].as_str(), p["description"].as_str()), (Some("Buy oat milk"), Some("2 litres")));
        let (_, p) = parts(
            app.patch(&format!("/api/tasks/{id}"), &token, json!({"title": null, "description": "2 litres, cold"}))
                .await,
        )
        .await;
        assert_eq!(p["title"], "Buy oat milk");
        let (_, p) = parts(app.patch(&format!("/api/tasks/{id}"), &token, json!({"description": ""})).await).await;
        assert_eq!(p["description"], Value::Null);
        for empty in [json!({}), json!({"title": null, "description": null}), json!({"other": 1})] {
            expect_detail(
                app.patch(&format!("/api/tasks/{id}"), &token, empty).await,
                StatusCode::BAD_REQUEST,
                "At least one field (title or description) must be provided",
            )
            .await;
        }
        expect_detail(
            app.patch("/api/tasks/no-such-id", &token, json!({})).await,
            StatusCode::NOT_FOUND,
            "Task not found",
        )
        .await;

        // delete: 204 with an empty body, then gone
        let res = app.delete(&format!("/api/tasks/{id}"), &token).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(res.bytes().await.unwrap().is_empty());
        expect_detail(app.get(&format!("/api/tasks/{id}"), &token).await, StatusCode::NOT_FOUND, "Task not found")
            .await;
        expect_detail(app.delete(&format!("/api/tasks/{id}"), &token).await, StatusCode::NOT_FOUND, "Task not found")
            .await;
        let (_, l) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(l["total"], 1);
    }
);

both!(
    async fn a_user_never_sees_or_touches_another_users_tasks(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (ada, _) = app.signup("ada@example.com").await;
        let (eve, _) = app.signup("eve@example.com").await;
        let task = app.create_task(&ada, "Ada's secret").await;
        let id = task["id"].as_str().unwrap();
        let path = format!("/api/tasks/{id}");

        expect_detail(app.get(&path, &eve).await, StatusCode::NOT_FOUND, "Task not found").await;
        expect_detail(app.patch(&path, &eve, json!({"title": "pwned"})).await, StatusCode::NOT_FOUND, "Task not found")
            .await;
        expect_detail(app.patch(&path, &eve, json!({})).await, StatusCode::NOT_FOUND, "Task not found").await;
        expect_detail(
            app.post(&format!("{path}/toggle"), &eve, json!({})).await,
            StatusCode::NOT_FOUND,
            "Task not found",
        )
        .await;
        expect_detail(app.delete(&path, &eve).await, StatusCode::NOT_FOUND, "Task not found").await;
        let (_, eves) = parts(app.get("/api/tasks", &eve).await).await;
        assert_eq!(eves, json!({"tasks": [], "total": 0}));

        let (s, still) = parts(app.get(&path, &ada).await).await;
        assert_eq!((s, still), (StatusCode::OK, task), "Ada's task is untouched");
    }
);

both!(
    async fn a_token_whose_user_is_gone_is_401_not_404(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, id) = app.signup("ada@example.com").await;
        match &app.state.db {
            todo_auth::Db::Sqlite(p) => {
                sqlx::query("DELETE FROM users WHERE id = $1").bind(&id).execute(p).await.unwrap();
            }
            todo_auth::Db::Postgres(p) => {
                sqlx::query("DELETE FROM users WHERE id = $1").bind(&id).execute(p).await.unwrap();
            }
        }
        let res = app.get("/api/tasks", &token).await;
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
        expect_detail(res, StatusCode::UNAUTHORIZED, "User not found").await;
    }
);

both!(
    async fn twenty_concurrent_registrations_of_one_email_give_one_201_and_nineteen_400s(kind: Kind) {
        let app = TestApp::start_with(kind, &[("REGISTRATIONS_PER_CLIENT", "0")]).await;
        let attempts = (0..20).map(|i| {
            let email = if i % 2 == 0 { "race@example.com" } else { "RACE@example.com" };
            app.register(email, PASSWORD, None)
        });
        let results = futures::future::join_all(attempts).await;
        let mut created = 0;
        let mut taken = 0;
        for res in results {
            let (s, b) = parts(res).await;
            match s {
                StatusCode::CREATED => created += 1,
                StatusCode::BAD_REQUEST => {
                    assert_eq!(b["detail"], "Email already registered");
                    taken += 1
                }
                other => panic!("unexpected {other}: {b}"),
            }
        }
        assert_eq!((created, taken), (1, 19));
        assert_eq!(app.login("race@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn concurrent_task_writes_all_succeed(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let writes = (0..40).map(|i| app.post("/api/tasks", &token, json!({"title": format!("task {i}")})));
        for res in futures::future::join_all(writes).await {
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(list["total"], 40);
    }
);

both!(
    async fn ops_routes_and_unknown_routes_answer_in_the_contract_shape(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (s, b) = parts(app.request(Method::GET, "/health", None, None).await).await;
        assert_eq!((s, &b["status"]), (StatusCode::OK, &json!("healthy")));
        let (s, b) = parts(app.request(Method::GET, "/health/live", None, None).await).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"status": "healthy"})));
        let (s, b) = parts(app.request(Method::GET, "/", None, None).await).await;
        assert_eq!(s, StatusCode::OK);
        assert!(b["message"].is_string());
        expect_detail(app.request(Method::GET, "/api/nothing", None, None).await, StatusCode::NOT_FOUND, "Not Found")
            .await;
        expect_detail(
            app.request(Method::PUT, "/api/tasks", None, None).await,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        )
        .await;
        expect_detail(
            app.request(Method::GET, "/api/auth/login", None, None).await,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        )
        .await;
    }
);

both!(
    async fn every_response_carries_the_security_headers(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        for res in [
            app.get("/api/tasks", &token).await,
            app.login("ada@example.com", "nope").await,
            app.request(Method::GET, "/nope", None, None).await,
        ] {
            let h = res.headers();
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["x-frame-options"], "DENY");
            assert_eq!(h["cache-control"], "no-store");
            assert!(h.contains_key("referrer-policy"));
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_the_configured_origin_only() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start_with(kind, &[("CORS_ORIGINS", r#"["http://localhost:3000"]"#)]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/tasks"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization,content-type")
            .send()
    };
    let ok = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(ok.headers()["access-control-allow-credentials"], "true");
    let evil = preflight("http://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_route_and_the_bearer_scheme() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    let (s, doc) = parts(app.request(Method::GET, "/openapi.json", None, None).await).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    for (path, methods) in [
        ("/api/auth/register", &["post"][..]),
        ("/api/auth/login", &["post"]),
        ("/api/auth/me", &["get"]),
        ("/api/auth/logout", &["post"]),
        ("/api/auth/logout-all", &["post"]),
        ("/api/auth/change-password", &["post"]),
        ("/api/tasks", &["get", "post"]),
        ("/api/tasks/{task_id}", &["get", "patch", "delete"]),
        ("/api/tasks/{task_id}/toggle", &["post"]),
        ("/health", &["get"]),
        ("/", &["get"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} missing");
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["paths"]["/api/tasks"]["get"]["security"].is_array());
    let docs = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let db = TestDb::new(kind).await;
    let settings = todo_auth::Settings::from_vars(&base_vars(&db.url)).unwrap();
    let router = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("deliberate")
                }
                "unreachable"
            }),
        )
        .route("/ok", axum::routing::get(|| async { "ok" }));
    let addr = serve_with_middleware(router, &settings).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let res = client.get(format!("http://{addr}/boom")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"detail": "Internal server error"}));
        assert_eq!(client.get(format!("http://{addr}/ok")).send().await.unwrap().status(), StatusCode::OK);
    }
}

both!(
    async fn graceful_shutdown_lets_an_in_flight_request_finish(kind: Kind) {
        let app = TestApp::start_with(kind, &[("BCRYPT_COST", "12")]).await;
        // A registration at cost 12 takes a noticeable fraction of a second: stop the server meanwhile.
        let client = app.client.clone();
        let url = app.url("/api/auth/register");
        let slow = tokio::spawn(async move {
            client.post(url).json(&json!({"email": "late@example.com", "password": PASSWORD})).send().await
        });
        // Stop only once the registration is being hashed: the request is then in flight for certain.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.state.hasher.load() == (0, 0) {
            assert!(std::time::Instant::now() < deadline, "the registration never reached the hashing pool");
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let addr = app.addr;
        app.stop().await;
        let res = slow.await.unwrap().expect("the in-flight request got its answer");
        assert_eq!(res.status(), StatusCode::CREATED);
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
    }
);

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The router and the document come from one definition (routes::router): every documented operation is
/// served (never the router's own 404/405), and every schema the document refers to is in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served_and_every_schema_reference_resolves() {
    let app = TestApp::start(Kind::Sqlite).await;
    let (_, doc) = parts(app.request(Method::GET, "/openapi.json", None, None).await).await;
    assert_eq!(doc, serde_json::to_value(todo_auth::http::routes::document()).unwrap());
    let mut operations = 0;
    // Not following redirects: a provider sign-in's routes answer 303 (to the provider, or to the web app's /login).
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{task_id}", "no-such-task")
            .replace("{session_id}", "no-such-session")
            .replace("{provider}", "no-such-provider")
            .replace("{identity_id}", "no-such-identity")
            .replace("{passkey_id}", "no-such-passkey");
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = client.request(m, app.url(&concrete)).send().await.unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            assert!(
                status != StatusCode::METHOD_NOT_ALLOWED && body != r#"{"detail":"Not Found"}"#,
                "{method} {path} is documented but not served: {status} {body}"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 49, "documented operations");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "{} references", all.len());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "{r} does not resolve");
    }
}
