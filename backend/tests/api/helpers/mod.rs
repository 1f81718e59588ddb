//! The test harness: the real server (the same `app()` main serves) on port 0, over a fresh database
//! per test — a new SQLite file, or a new PostgreSQL database on the machine's server — driven through
//! HTTP with reqwest.

mod oidc_provider;
mod smtp;

use std::{
    collections::HashMap,
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};

pub use oidc_provider::*;
pub use smtp::{Received, SmtpServer};

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};
use todo_auth::{app, config::Settings, http::server, prepare, state::AppState};
use tokio::{sync::oneshot, task::JoinHandle};

pub const SECRET: &str = "seed-fixture-secret-please-change-0123456789";
/// The tests' DATA_ENCRYPTION_KEY (PostgreSQL requires one; SQLite would generate one per database).
pub const DATA_KEY: &str = "test-data-encryption-key-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Generates one test per database from one body:
///
/// ```ignore
/// both!(
///     async fn a_sentence_that_says_what_is_checked(kind: Kind) {
///         let app = TestApp::start(kind).await;
///         // ...
///     }
/// );
/// ```
///
/// makes `a_sentence_that_says_what_is_checked::sqlite` and `...::postgres`.
#[macro_export]
macro_rules! both {
    ($(#[$meta:meta])* async fn $name:ident($kind:ident: Kind) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;
            async fn run($kind: Kind) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Kind::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_available().await {
                    run(Kind::Postgres).await
                }
            }
        }
    };
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether PostgreSQL can be used. Locally a missing server skips (loudly); under `CI` it fails.
pub async fn postgres_available() -> bool {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = match CHECKED.get() {
        Some(r) => r.clone(),
        None => {
            let r = PgConnection::connect(&admin_url()).await.map(|_| ()).map_err(|e| e.to_string());
            CHECKED.get_or_init(|| r).clone()
        }
    };
    match result {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("PostgreSQL at {} is required under CI: {e}", admin_url())
        }
        Err(e) => {
            eprintln!("SKIPPED: PostgreSQL at {} is not reachable ({e}); set CI=1 to make this fatal", admin_url());
            record_skip();
            false
        }
    }
}

/// A PostgreSQL test that returns without running passes for libtest; `make test` counts these lines of
/// `TEST_SKIP_LOG` (one per skipped test, its name) to say how many were skipped instead.
pub(crate) fn record_skip() {
    use std::io::Write;
    let Some(path) = std::env::var_os("TEST_SKIP_LOG") else { return };
    let name = std::thread::current().name().unwrap_or("unnamed test").to_string();
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
    if let Ok(mut file) = file {
        let _ = writeln!(file, "{name}");
    }
}

/// A database made for one test, removed when the test ends.
pub struct TestDb {
    pub kind: Kind,
    pub url: String,
    pub name: String,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(kind: Kind) -> TestDb {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        match kind {
            Kind::Sqlite => {
                let dir = std::env::temp_dir().join(format!("todo-auth-{name}"));
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite:///{}", dir.join("app.db").display());
                TestDb { kind, url, name, dir: Some(dir) }
            }
            Kind::Postgres => {
                let mut admin = PgConnection::connect(&admin_url()).await.expect("connect to PostgreSQL");
                admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let base = admin_url();
                let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
                TestDb { kind, url, name, dir: None }
            }
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.as_ref().expect("a SQLite test database").join("app.db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if self.kind == Kind::Postgres {
            let name = self.name.clone();
            // Drop runs outside any runtime we may block, so use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(mut admin) = PgConnection::connect(&admin_url()).await {
                        let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    // Declared last: dropped after the server has stopped.
    pub db: std::sync::Arc<TestDb>,
}

/// The settings every test starts from: the seed fixtures' secret, cheap bcrypt, port 0.
pub fn base_vars(db_url: &str) -> HashMap<String, String> {
    [
        ("DATABASE_URL", db_url),
        ("JWT_SECRET", SECRET),
        ("DATA_ENCRYPTION_KEY", DATA_KEY),
        ("BCRYPT_COST", "4"),
        ("API_HOST", "127.0.0.1"),
        ("API_PORT", "0"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl TestApp {
    pub async fn start(kind: Kind) -> TestApp {
        Self::start_with(kind, &[]).await
    }

    pub async fn start_with(kind: Kind, overrides: &[(&str, &str)]) -> TestApp {
        let db = std::sync::Arc::new(TestDb::new(kind).await);
        Self::start_on(db, overrides).await
    }

    /// Another API process on the same database (as two replicas behind a load balancer).
    pub async fn start_on(db: std::sync::Arc<TestDb>, overrides: &[(&str, &str)]) -> TestApp {
        let mut vars = base_vars(&db.url);
        for (k, v) in overrides {
            vars.insert(k.to_string(), v.to_string());
        }
        let settings = Settings::from_vars(&vars).expect("test settings");
        let limits = server::Limits::from(&settings);
        let state = prepare(settings).await.expect("database ready");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let router = app(state.clone());
        let task = tokio::spawn(async move {
            server::serve(listener, router, limits, async {
                let _ = rx.await;
            })
            .await
        });
        let client = reqwest::Client::builder().pool_max_idle_per_host(8).build().unwrap();
        TestApp { addr, client, state, shutdown: Some(tx), task: Some(task), db }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.state.db.close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    /// A request with a raw body and headers, for malformed input.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        let mut req = self.client.request(method, self.url(path)).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn register(&self, email: &str, password: &str, name: Option<&str>) -> Response {
        self.request(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": password, "name": name })),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/auth/login", None, Some(json!({ "email": email, "password": password }))).await
    }

    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        self.post("/api/auth/change-password", token, json!({ "current_password": current, "new_password": new })).await
    }

    /// Registers a user and returns (token, user id).
    pub async fn signup(&self, email: &str) -> (String, String) {
        let res = self.register(email, PASSWORD, Some("Test User")).await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        let body: Value = res.json().await.unwrap();
        (body["access_token"].as_str().unwrap().to_string(), body["user"]["id"].as_str().unwrap().to_string())
    }

    /// Runs what the last requests left to do: the work they started in the background (a forgot-password's
    /// look-up), then one pass of the mail worker. When it returns, every mail those requests caused has been
    /// delivered (or has failed); returns how many the worker tried.
    pub async fn deliver_pending_mail(&self) -> usize {
        self.settle().await;
        let worker = self.state.mail_worker().expect("mail settings");
        worker.deliver_pending_mail().await.expect("the outbox can be read")
    }

    /// Waits for the work the last requests started in the background and did not wait for (a forgot-password's
    /// look-up, the record of a failed sign-in).
    pub async fn settle(&self) {
        let background = &self.state.background;
        background.close();
        background.wait().await;
        background.reopen();
    }

    /// A user written straight into the database with the password hash `hash` (of any kind), as the seed or an
    /// earlier configuration could have left it; returns its id.
    pub async fn insert_user(&self, email: &str, hash: &str, name: Option<&str>) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let verification =
            todo_auth::flows::recovery::link_mail(&self.state, &id, todo_auth::db::Purpose::Verify, email, Vec::new());
        match self.state.db.create_user(&id, email, hash, name, self.state.clock.now(), &verification).await.unwrap() {
            todo_auth::db::NewUser::Created(_) => id,
            todo_auth::db::NewUser::EmailTaken => panic!("{email} taken"),
        }
    }

    /// Every mail `address` has received from `smtp`, once the pending mail is delivered.
    pub async fn mails(&self, smtp: &SmtpServer, address: &str) -> Vec<Received> {
        self.deliver_pending_mail().await;
        smtp.to(address)
    }

    /// The `n`th mail (from 1) to `address`, once the pending mail is delivered; it must be there.
    pub async fn mail(&self, smtp: &SmtpServer, address: &str, n: usize) -> Received {
        self.deliver_pending_mail().await;
        smtp.nth(address, n)
    }

    /// An event of `kind` at the app's clock, from nowhere in particular: what a test that changes an account
    /// straight in the database gives the db function to record.
    pub fn event(&self, kind: todo_auth::db::EventType) -> todo_auth::db::Event {
        let origin = todo_auth::db::Origin { at: self.state.clock.now(), ip: None, user_agent: None };
        todo_auth::db::Event::new(kind, None, origin)
    }

    pub async fn create_task(&self, token: &str, title: &str) -> Value {
        let res = self.post("/api/tasks", token, json!({ "title": title })).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves test-only routes wrapped in exactly the app's middleware and server loop; returns the address.
pub async fn serve_with_middleware(router: axum::Router, settings: &Settings) -> SocketAddr {
    let router = todo_auth::with_middleware(router, settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, router, server::Limits::from(settings), std::future::pending()));
    addr
}

/// Status and JSON body of a response.
pub async fn parts(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}

/// The whole seconds of a response's `Retry-After`, which must be there.
pub fn retry_after(res: &Response) -> u64 {
    let value = res.headers().get("retry-after").unwrap_or_else(|| panic!("{} without Retry-After", res.status()));
    value.to_str().unwrap().parse().unwrap()
}

/// Asserts a `{"detail": "..."}` error.
pub async fn expect_detail(res: Response, status: StatusCode, detail: &str) {
    let (got, body) = parts(res).await;
    assert_eq!((got, &body["detail"]), (status, &json!(detail)), "body: {body}");
}

/// Asserts a 422 whose list names `field` (under `body`) with pydantic type `kind`.
pub async fn expect_422(res: Response, field: Option<&str>, kind: &str) -> Value {
    let (status, body) = parts(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "body: {body}");
    let errors = body["detail"].as_array().unwrap_or_else(|| panic!("422 detail must be a list: {body}"));
    let found = errors.iter().any(|e| {
        let loc = e["loc"].as_array().unwrap();
        loc[0] == "body"
            && match field {
                Some(f) => loc.get(1) == Some(&json!(f)),
                None => true,
            }
            && e["type"] == kind
            && e["msg"].is_string()
    });
    assert!(found, "no {kind} error for {field:?} in {body}");
    body
}

/// The seed's fixture description (`tests/fixtures/seed-db/fixture.json`, a copy of `../shared/seed-db`).
pub fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed-db/fixture.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/fixtures/seed-db/fixture.json")).unwrap()
}

pub fn seed_db_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed-db"))
}

/// Mints a token with the given claims and key (HS256 unless `alg` says otherwise).
pub fn mint(claims: Value, key: &str, alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Waits until `condition` holds, checking every 20 ms, for 30 s at most (then fails, saying `what`). For what
/// happens on its own time (a live worker, another process); what the test itself can run to completion
/// (the mail of a request: [`TestApp::deliver_pending_mail`]) it runs instead.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition().await {
        assert!(Instant::now() < deadline, "still not true after 30 s: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
