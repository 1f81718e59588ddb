//! Throttles under bursts: every connection is opened first, then every request is written at once, so
//! the requests reach the server together (as an attacker's would), on one API process or two sharing
//! the database. Each limit must let through exactly as many attempts as it allows, and no more.

use std::{collections::BTreeMap, net::SocketAddr, sync::atomic::Ordering, sync::Arc};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Barrier,
};

use crate::both;
use crate::helpers::*;
use todo_auth::auth::scheme::Scheme;

/// One raw HTTP/1.1 POST with a JSON body (`Connection: close`, so the answer ends with the stream).
pub fn post(path: &str, headers: &[(&str, String)], body: &Value) -> Vec<u8> {
    let body = body.to_string();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    [head.into_bytes(), body.into_bytes()].concat()
}

/// Sends `requests` (each to its address) as one burst and returns how many answers had each status.
pub async fn burst(requests: Vec<(SocketAddr, Vec<u8>)>) -> BTreeMap<u16, usize> {
    let mut streams = Vec::new();
    for (addr, _) in &requests {
        streams.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = streams
        .into_iter()
        .zip(requests)
        .map(|(mut stream, (_, request))| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                stream.write_all(&request).await.expect("write");
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.expect("read");
                let status = String::from_utf8_lossy(&answer[..answer.len().min(12)]).to_string();
                status[9..12].parse::<u16>().unwrap_or_else(|_| panic!("a status line, got {status:?}"))
            })
        })
        .collect();
    let mut counts = BTreeMap::new();
    for task in tasks {
        *counts.entry(task.await.unwrap()).or_default() += 1;
    }
    counts
}

fn login(email: &str, password: &str, forwarded_for: Option<&str>) -> Vec<u8> {
    let headers: Vec<(&str, String)> = forwarded_for.map(|c| ("X-Forwarded-For", c.to_string())).into_iter().collect();
    post("/api/auth/login", &headers, &json!({"email": email, "password": password}))
}

/// Roomy hashing capacity and patient database waits, so a 503 (a full pool on a loaded machine) never
/// stands in for the 429 under test.
const ROOM: (&str, &str) = ("HASH_QUEUE", "256");
const PATIENT: (&str, &str) = ("DB_ACQUIRE_TIMEOUT_SECONDS", "60");

both!(
    async fn a_burst_of_sign_ins_gets_exactly_the_allowed_guesses_and_no_more(kind: Kind) {
        let app = TestApp::start_with(kind, &[ROOM, PATIENT]).await;
        app.signup("ada@example.com").await;
        let hashes = app.state.hasher.computations.load(Ordering::SeqCst);
        let requests = (0..60).map(|i| (app.addr, login("ada@example.com", &format!("guess {i}"), None))).collect();
        let counts = burst(requests).await;
        assert_eq!(counts, BTreeMap::from([(401, 5), (429, 55)]), "LOGIN_FAILURES_PER_EMAIL_CLIENT=5");
        assert_eq!(app.state.hasher.computations.load(Ordering::SeqCst) - hashes, 5, "bcrypt ran per guess let in");
        // The right password now waits like any other guess.
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    }
);

both!(
    async fn a_burst_with_the_right_password_last_checks_at_most_the_allowed_guesses(kind: Kind) {
        let app = TestApp::start_with(kind, &[ROOM, PATIENT]).await;
        app.signup("ada@example.com").await;
        let mut requests: Vec<_> =
            (0..59).map(|i| (app.addr, login("ada@example.com", &format!("g{i}"), None))).collect();
        requests.push((app.addr, login("ada@example.com", PASSWORD, None)));
        let counts = burst(requests).await;
        let wrong_checked = counts.get(&401).copied().unwrap_or(0);
        let signed_in = counts.get(&200).copied().unwrap_or(0);
        // The right password may be among the attempts let in; a success resets the pair's failures, so
        // at most 5 wrong guesses can be checked before it and 5 after it.
        assert!(signed_in <= 1, "{counts:?}");
        assert!(wrong_checked <= 5 + 5 * signed_in, "{counts:?}");
        assert_eq!(wrong_checked + signed_in + counts.get(&429).copied().unwrap_or(0), 60, "{counts:?}");
    }
);

both!(
    async fn two_api_processes_on_one_database_share_one_atomic_count(kind: Kind) {
        let one = TestApp::start_with(kind, &[ROOM, PATIENT]).await;
        let two = TestApp::start_on(one.db.clone(), &[ROOM, PATIENT]).await;
        one.signup("ada@example.com").await;
        let requests = (0..60)
            .map(|i| {
                let addr = if i % 2 == 0 { one.addr } else { two.addr };
                (addr, login("ada@example.com", "wrong", None))
            })
            .collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(401, 5), (429, 55)]));
        two.stop().await;
    }
);

both!(
    async fn a_burst_of_registrations_from_one_client_creates_exactly_the_allowed_accounts(kind: Kind) {
        let app = TestApp::start_with(kind, &[ROOM, PATIENT]).await;
        let requests = (0..40)
            .map(|i| {
                let body = json!({"email": format!("u{i}@example.com"), "password": PASSWORD});
                (app.addr, post("/api/auth/register", &[], &body))
            })
            .collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(201, 10), (429, 30)]), "REGISTRATIONS_PER_CLIENT=10");
    }
);

both!(
    async fn a_burst_of_wrong_current_passwords_is_cut_per_client_and_per_account(kind: Kind) {
        let app = TestApp::start_with(kind, &[ROOM, PATIENT, ("TRUSTED_PROXIES", "127.0.0.1")]).await;
        let (token, _) = app.signup("ada@example.com").await;
        let change = |client: String| {
            let headers = [("Authorization", format!("Bearer {token}")), ("X-Forwarded-For", client)];
            post(
                "/api/auth/change-password",
                &headers,
                &json!({"current_password": "x", "new_password": "whatever123"}),
            )
        };
        // One client: its (email, client) failures, 5.
        let requests = (0..40).map(|_| (app.addr, change("203.0.113.1".into()))).collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(400, 5), (429, 35)]));
        // Forty clients at once: the account's own limit (PASSWORD_FAILURES_PER_ACCOUNT=10) holds across them.
        let requests = (0..40).map(|i| (app.addr, change(format!("198.51.100.{i}")))).collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(400, 5), (429, 35)]), "10 per account, 5 already used");
        let res = app.change_password(&token, PASSWORD, "whatever123").await;
        assert_eq!(res.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    }
);

both!(
    async fn a_burst_of_creates_stops_exactly_at_the_task_cap(kind: Kind) {
        let app = TestApp::start_with(kind, &[PATIENT, ("MAX_TASKS_PER_USER", "10")]).await;
        let (token, _) = app.signup("ada@example.com").await;
        for i in 0..4 {
            app.create_task(&token, &format!("before {i}")).await;
        }
        let auth = [("Authorization", format!("Bearer {token}"))];
        let requests =
            (0..30).map(|i| (app.addr, post("/api/tasks", &auth, &json!({"title": format!("t{i}")})))).collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(201, 6), (400, 24)]));
        let res = app.post("/api/tasks", &token, json!({"title": "one more"})).await;
        expect_detail(res, reqwest::StatusCode::BAD_REQUEST, "Task limit reached").await;
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(list["total"], 10);
        // Below the cap again after a delete; another user has a cap of their own.
        let id = list["tasks"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(app.delete(&format!("/api/tasks/{id}"), &token).await.status(), reqwest::StatusCode::NO_CONTENT);
        app.create_task(&token, "fits again").await;
        let (other, _) = app.signup("bob@example.com").await;
        app.create_task(&other, "bob's first").await;
    }
);

both!(
    async fn the_unknown_email_verification_costs_what_stored_hashes_cost_bcrypt_or_argon2id(kind: Kind) {
        let app = TestApp::start(kind).await; // BCRYPT_COST=4
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            app.signup(email).await;
        }
        // Stored hashes made at cost 6 (as a seed database at another cost than the server's).
        let six = todo_auth::auth::scheme::bcrypt_hash(PASSWORD, 6).unwrap();
        for email in ["a@example.com", "b@example.com"] {
            let user = app.state.db.user_by_email(email).await.unwrap().unwrap();
            let event = app.event(todo_auth::db::EventType::PasswordChanged);
            app.state.db.set_password(&user.id, &six, app.state.clock.now(), &event).await.unwrap();
        }
        assert_eq!(app.state.hasher.dummy_scheme(), Scheme::Bcrypt { cost: 4 });
        app.state.follow_stored_hashes().await;
        assert_eq!(app.state.hasher.dummy_scheme(), Scheme::Bcrypt { cost: 6 }, "the most common stored cost");
        assert!(app.state.hasher.dummy_hash().await.unwrap().starts_with("$2b$06$"));
        assert_eq!(app.login("nobody@example.com", PASSWORD).await.status(), reqwest::StatusCode::UNAUTHORIZED);

        // Once most stored hashes are Argon2id, "no such email" verifies against an Argon2id hash: what a
        // wrong password for most accounts costs (a bcrypt dummy would answer faster and tell the two apart).
        let argon = Scheme::Argon2id.hash(PASSWORD).unwrap();
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            let user = app.state.db.user_by_email(email).await.unwrap().unwrap();
            let event = app.event(todo_auth::db::EventType::PasswordChanged);
            app.state.db.set_password(&user.id, &argon, app.state.clock.now(), &event).await.unwrap();
        }
        app.state.follow_stored_hashes().await;
        assert_eq!(app.state.hasher.dummy_scheme(), Scheme::Argon2id);
        assert!(app.state.hasher.dummy_hash().await.unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let before = app.state.hasher.computations.load(Ordering::SeqCst);
        assert_eq!(app.login("nobody@example.com", PASSWORD).await.status(), reqwest::StatusCode::UNAUTHORIZED);
        assert_eq!(app.state.hasher.computations.load(Ordering::SeqCst), before + 1);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_closed_at_once_and_the_server_serves_after() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start_with(kind, &[("MAX_CONNECTIONS", "20"), ("HEADER_READ_TIMEOUT_SECONDS", "3600")]).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // The 21st is closed by the server without an answer (without the cap it would wait for the hour-long
    // header deadline; the guard below only turns such a hang into a failure).
    let mut extra = TcpStream::connect(app.addr).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), extra.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the connection over the cap was not closed: {read:?}");
    drop(idle);
    // Once the idle sockets are gone, new clients are served.
    let mut served = false;
    for _ in 0..200 {
        if let Ok(res) = app.client.get(app.url("/health/live")).send().await {
            served = res.status() == reqwest::StatusCode::OK;
            if served {
                break;
            }
        }
        tokio::task::yield_now().await;
    }
    assert!(served);
}

both!(
    async fn a_burst_of_creates_gets_exactly_the_per_user_limit(kind: Kind) {
        let app =
            TestApp::start_with(kind, &[("TASK_CREATES_PER_MINUTE", "15"), ("DB_ACQUIRE_TIMEOUT_SECONDS", "60")]).await;
        let (token, _) = app.signup("ada@example.com").await;
        let (other, _) = app.signup("bob@example.com").await;
        let auth = vec![("Authorization", format!("Bearer {token}"))];
        let requests =
            (0..40).map(|i| (app.addr, post("/api/tasks", &auth, &json!({"title": format!("t{i}")})))).collect();
        assert_eq!(burst(requests).await, BTreeMap::from([(201, 15), (429, 25)]));
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(list["total"], 15);
        let res = app.post("/api/tasks", &token, json!({"title": "one more"})).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry = retry_after(&res);
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        // Per user: another user creates freely; after the window the first one may again.
        app.create_task(&other, "mine").await;
        app.state.clock.advance(std::time::Duration::from_secs(61));
        app.create_task(&token, "later").await;
    }
);
