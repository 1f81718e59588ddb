//! Hostile input beyond bad_input.rs, and the limits that keep one client from tying up the server:
//! header floods, huge headers and URLs, a 10 MB body, wrong content types, duplicate keys, numbers
//! where strings belong, SQL metacharacters; the body cap, the head cap, the per-request timeout and the
//! header-read deadline. Each answer is a 4xx in the contract's shape (or, for a request head too large
//! to parse, 431 / a closed connection) — never a 500, and the server keeps serving.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::both;
use crate::helpers::*;

const JSON: (&str, &str) = ("content-type", "application/json");

/// What came back for raw bytes sent on a fresh connection: the status of the first response, or `None`
/// when the server closed the connection without answering. Write errors are ignored (the server may
/// close while a flood is still being sent); reading stops at close or after 10 s.
async fn raw_exchange(addr: SocketAddr, bytes: Vec<u8>) -> (Option<u16>, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        for chunk in bytes.chunks(64 * 1024) {
            if wr.write_all(chunk).await.is_err() {
                return;
            }
        }
        let _ = wr.flush().await;
        // Keep the write half open until the reader is done (dropping it would send FIN early).
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                // One complete response is enough: stop at the end of its body.
                if response_complete(&got) {
                    break;
                }
            }
        }
    }
    writer.abort();
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|s| s.parse().ok());
    (status, text)
}

fn response_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
        .and_then(|v| v.parse::<usize>().ok());
    match length {
        Some(n) => body.len() >= n,
        None => false,
    }
}

fn json_body(raw: &str) -> Value {
    raw.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null)
}

/// A raw `GET path` with the token and `extra` header lines, closing the connection after the answer.
fn raw_get(path: &str, token: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

/// The server still answers normally after the abuse.
async fn still_serving(app: &TestApp) {
    let res = app.request(Method::GET, "/health/live", None, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the server stopped serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_floods_huge_headers_and_long_urls_get_431_or_a_closed_connection_never_500() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    let (token, _) = app.signup("ada@example.com").await;
    let request = |path: &str, extra: &str| raw_get(path, &token, extra);
    let many_small: String = (0..500).map(|i| format!("X-Flood-{i}: {i}\r\n")).collect();
    let over_the_cap: String = (0..2_000).map(|i| format!("X-Flood-{i}: {}\r\n", "v".repeat(20))).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("500 small headers (over hyper's count limit)", request("/api/tasks", &many_small)),
        ("2,000 headers, 60 kB in all (over MAX_HEADER_BYTES)", request("/api/tasks", &over_the_cap)),
        ("one 100 kB header", request("/api/tasks", &format!("X-Huge: {}\r\n", "h".repeat(100_000)))),
        ("a 1 MB header", request("/api/tasks", &format!("X-Huge: {}\r\n", "h".repeat(1 << 20)))),
        ("a 100 kB cookie", request("/api/tasks", &format!("Cookie: a={}\r\n", "c".repeat(100_000)))),
        ("a 20 kB URL", request(&format!("/api/tasks/{}", "a".repeat(20_000)), "")),
        ("a 1 MB URL", request(&format!("/api/tasks?status={}", "p".repeat(1 << 20)), "")),
        (
            "a header line that never ends",
            b"GET / HTTP/1.1\r\nX-Endless: ".iter().copied().chain(std::iter::repeat_n(b'e', 200_000)).collect(),
        ),
    ];
    let mut seen = Vec::new();
    for (why, bytes) in cases {
        let (status, raw) = raw_exchange(app.addr, bytes).await;
        assert!(matches!(status, None | Some(431) | Some(414) | Some(400)), "{why}: {status:?}\n{raw}");
        seen.push(format!("{why}: {}", status.map_or("closed".to_string(), |s| s.to_string())));
        still_serving(&app).await;
    }
    eprintln!("oversized request heads ({kind:?}):\n  {}", seen.join("\n  "));
    // Just under the cap is served normally: the limit is not tighter than it says.
    let fits: String = (0..90).map(|i| format!("X-Fine-{i}: {}\r\n", "v".repeat(100))).collect();
    let (status, raw) = raw_exchange(app.addr, request("/api/tasks", &fits)).await;
    assert_eq!(status, Some(200), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_the_cap_but_within_hypers_buffer_are_refused_in_the_contracts_shape() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    let (token, _) = app.signup("ada@example.com").await;
    let head = |path: &str, extra: &str| raw_get(path, &token, extra);
    // MAX_HEADER_BYTES is 16384: 20 kB of headers in 50 lines, and a 20 kB URL.
    let big: String = (0..50).map(|i| format!("X-Big-{i}: {}\r\n", "v".repeat(400))).collect();
    for (why, bytes, status, detail) in [
        ("20 kB of headers", head("/api/tasks", &big), 431, "Request header fields too large"),
        ("a 20 kB URL", head(&format!("/api/tasks/{}", "a".repeat(20_000)), ""), 414, "URI Too Long"),
    ] {
        let (got, raw) = raw_exchange(app.addr, bytes).await;
        assert_eq!(got, Some(status), "{why}: {raw}");
        assert_eq!(json_body(&raw), json!({ "detail": detail }), "{why}: {raw}");
        assert!(raw.to_ascii_lowercase().contains("x-content-type-options: nosniff"), "{why}: {raw}");
        still_serving(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_413_in_the_contracts_shape_whether_announced_or_streamed() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    let (token, _) = app.signup("ada@example.com").await;
    let ten_mb = format!("{{\"title\": \"{}\"}}", "t".repeat(10 << 20));
    // Sent over raw connections that read while they write: the server answers 413 and closes
    // without reading 10 MB, so a client that only reads after writing everything may see a broken
    // pipe instead of the answer (reqwest does).
    let announced = |path: &str, auth: &str| {
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            ten_mb.len()
        )
        .into_bytes();
        req.extend_from_slice(ten_mb.as_bytes());
        req
    };
    // Announced by Content-Length: refused from the head alone, before the body is read; on a
    // protected route and on a public one (no token needed to send a large body).
    for (path, auth) in
        [("/api/tasks", format!("Authorization: Bearer {token}\r\n")), ("/api/auth/register", String::new())]
    {
        let (status, raw) = raw_exchange(app.addr, announced(path, &auth)).await;
        assert_eq!(status, Some(413), "{path}: {}", &raw[..raw.len().min(500)]);
        assert_eq!(json_body(&raw), json!({"detail": "Request body too large"}), "{path}");
    }
    // Streamed in chunks with no length given: cut off once the cap is passed.
    let mut chunked = b"POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        .to_vec();
    for piece in ten_mb.as_bytes().chunks(32 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, raw) = raw_exchange(app.addr, chunked).await;
    assert_eq!(status, Some(413), "{}", &raw[..raw.len().min(500)]);
    assert_eq!(json_body(&raw), json!({"detail": "Request body too large"}));
    // Nothing was stored, and the server is fine.
    let (_, list) = parts(app.get("/api/tasks", &token).await).await;
    assert_eq!(list["total"], 0);
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_types_are_422_content_type() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    let (token, _) = app.signup("ada@example.com").await;
    let auth = format!("Bearer {token}");
    let body = br#"{"title": "t"}"#.to_vec();
    for ct in [
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        "application/jsonx",
        "application/octet-stream",
        "*/*",
        "",
    ] {
        let res =
            app.raw(Method::POST, "/api/tasks", &[("content-type", ct), ("authorization", &auth)], body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{ct:?}");
        expect_422(res, None, "content_type").await;
    }
    // A content type that is not even text (obs-text bytes) over a raw connection.
    let mut raw = format!(
        "POST /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 14\r\nContent-Type: appl"
    )
    .into_bytes();
    raw.extend_from_slice(&[0xff, 0xfe]);
    raw.extend_from_slice(b"\r\nConnection: close\r\n\r\n{\"title\": \"t\"}");
    let (status, text) = raw_exchange(app.addr, raw).await;
    assert_eq!(status, Some(422), "{text}");
    // Charset parameters and +json types are JSON, as FastAPI reads them.
    for ct in ["application/json; charset=utf-8", "application/vnd.api+json"] {
        let res =
            app.raw(Method::POST, "/api/tasks", &[("content-type", ct), ("authorization", &auth)], body.clone()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{ct}");
    }
}

/// A row's outcome: the stored title, or the 422's (field, pydantic type).
type Expected = Result<&'static str, (&'static str, &'static str)>;

both!(
    async fn duplicate_keys_numbers_for_strings_and_sql_metacharacters_are_handled(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, _) = app.signup("ada@example.com").await;
        let auth = format!("Bearer {token}");
        let headers = [JSON, ("authorization", auth.as_str())];
        // (why, raw body, expected: Ok(stored title) or Err((field, pydantic type)))
        let rows: Vec<(&str, &str, Expected)> = vec![
            (
                "duplicate key: the last one counts (a number)",
                r#"{"title": "ok", "title": 5}"#,
                Err(("title", "string_type")),
            ),
            ("duplicate key: the last one counts (a string)", r#"{"title": 5, "title": "last"}"#, Ok("last")),
            ("an integer title", r#"{"title": 12345}"#, Err(("title", "string_type"))),
            ("a float title", r#"{"title": 1.5}"#, Err(("title", "string_type"))),
            (
                "a 40-digit integer title",
                r#"{"title": 1234567890123456789012345678901234567890}"#,
                Err(("title", "string_type")),
            ),
            ("a bool description", r#"{"title": "t", "description": true}"#, Err(("description", "string_type"))),
            ("an array description", r#"{"title": "t", "description": ["d"]}"#, Err(("description", "string_type"))),
            (
                "a title of only U+001F (stripped like Python)",
                "{\"title\": \"\\u001f\\u001c \"}",
                Err(("title", "string_too_short")),
            ),
        ];
        for (why, body, expected) in rows {
            let res = app.raw(Method::POST, "/api/tasks", &headers, body.as_bytes().to_vec()).await;
            match expected {
                Ok(title) => {
                    let (status, task) = parts(res).await;
                    assert_eq!((status, task["title"].as_str()), (StatusCode::CREATED, Some(title)), "{why}: {task}");
                }
                Err((field, kind_)) => {
                    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
                    expect_422(res, Some(field), kind_).await;
                }
            }
        }
        // A number too large for any float is not JSON we can read: 422 json_invalid, not a 500.
        let res = app.raw(Method::POST, "/api/tasks", &headers, br#"{"title": 1e400}"#.to_vec()).await;
        expect_422(res, None, "json_invalid").await;

        // SQL metacharacters are data: stored and read back byte for byte, and every table is intact.
        let nasty = [
            "Robert'); DROP TABLE tasks;--",
            "' OR '1'='1",
            "\" OR \"\"=\"",
            "100% _done_ \\ backslash",
            "$1 $2 ?; -- /* comment */",
            "'; SELECT pg_sleep(10); --",
            "line\u{2028}and paragraph\u{2029}separators, emoji 🔐",
        ];
        for title in nasty {
            let res = app.post("/api/tasks", &token, json!({"title": title, "description": title})).await;
            let (status, task) = parts(res).await;
            assert_eq!(status, StatusCode::CREATED, "{title}: {task}");
            let (_, again) =
                parts(app.get(&format!("/api/tasks/{}", task["id"].as_str().unwrap()), &token).await).await;
            assert_eq!((again["title"].as_str(), again["description"].as_str()), (Some(title), Some(title)));
        }
        // In the login email and the status filter: refused as input, nothing executed.
        for email in ["' OR 1=1 --@example.com", "ada@example.com' --", "ada@example.com\"; DROP TABLE users; --"] {
            let res = app.login(email, PASSWORD).await;
            assert!(
                matches!(res.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNAUTHORIZED),
                "{email}: {}",
                res.status()
            );
        }
        let res = app.get("/api/tasks?status=pending'%20OR%20'1'='1", &token).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // `status` given twice is not one string: refused, not silently "all".
        let res = app.get("/api/tasks?status=pending&status=completed", &token).await;
        let (status, body) = parts(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["detail"][0]["loc"], json!(["query", "status"]));
        let (_, list) = parts(app.get("/api/tasks", &token).await).await;
        assert_eq!(list["total"].as_u64(), Some(nasty.len() as u64 + 1), "every task still there, no more");
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK, "users table intact");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_header_that_is_not_text_is_401() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start(kind).await;
    // The scheme is Bearer and the token is bad: the seed's "Invalid authentication token". Another
    // scheme is no credentials at all: "Not authenticated".
    for (why, header, detail) in [
        ("bearer, UTF-8 letters", "Bearer ééé".as_bytes(), "Invalid authentication token"),
        ("bearer, bytes that are not UTF-8", &b"Bearer \xc3\x28\xff.\x80"[..], "Invalid authentication token"),
        ("bearer, a token with a tab inside", &b"Bearer abc\tdef"[..], "Invalid authentication token"),
        ("another scheme, not UTF-8", &b"B\xe9arer \xe9\xe9"[..], "Not authenticated"),
    ] {
        let mut raw = b"GET /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: ".to_vec();
        raw.extend_from_slice(header);
        raw.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        let (status, text) = raw_exchange(app.addr, raw).await;
        assert_eq!(status, Some(401), "{why}: {text}");
        assert_eq!(json_body(&text), json!({"detail": detail}), "{why}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_running_past_the_timeout_answers_503_in_the_contracts_shape() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let db = TestDb::new(kind).await;
    let mut vars = base_vars(&db.url);
    vars.insert("REQUEST_TIMEOUT_SECONDS".into(), "1".into());
    let settings = todo_auth::Settings::from_vars(&vars).unwrap();
    // A handler that would take a minute: the middleware of the real app must cut it off.
    let router = axum::Router::new()
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "too late"
            }),
        )
        .route("/ok", axum::routing::get(|| async { "ok" }));
    let addr = serve_with_middleware(router, &settings).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let res = client.get(format!("http://{addr}/slow")).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"detail": "Service temporarily unavailable"}));
    // Not a timing target, only proof that the minute-long handler did not run to its end.
    assert!(took < Duration::from_secs(30), "the timeout did not cut the request off ({took:?})");
    eprintln!("a 60 s handler under REQUEST_TIMEOUT_SECONDS=1 was answered 503 after {took:?} ({kind:?})");
    assert_eq!(client.get(format!("http://{addr}/ok")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_after_the_header_read_timeout() {
    // The HTTP layer answers this before any database work: one run, on SQLite.
    let kind = Kind::Sqlite;
    let app = TestApp::start_with(kind, &[("HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    // Closed means: a read returns end-of-file (or an error). Bounded at 15 s so that a server that
    // never closes fails the test instead of hanging it.
    async fn closed_within(mut stream: TcpStream, mut dribble: Option<&'static [u8]>) -> Option<Duration> {
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        while started.elapsed() < Duration::from_secs(15) {
            if let Some(bytes) = dribble.as_mut() {
                // Slowloris: one byte of a request head every 200 ms.
                if let Some((first, rest)) = bytes.split_first() {
                    if stream.write_all(&[*first]).await.is_err() {
                        return Some(started.elapsed());
                    }
                    *bytes = rest;
                }
            }
            match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
                // A 408 or similar before closing is fine too; keep reading to the close.
                Ok(Ok(_)) => {}
                Err(_) => {}
            }
        }
        None
    }
    let idle = TcpStream::connect(app.addr).await.unwrap();
    let idle = closed_within(idle, None).await;
    let slow = TcpStream::connect(app.addr).await.unwrap();
    let head: &'static [u8] = b"GET /api/tasks HTTP/1.1\r\nHost: example\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let slow = closed_within(slow, Some(head)).await;
    // A kept-alive connection that goes quiet after a request is closed too.
    let mut kept = TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let kept = closed_within(kept, None).await;
    eprintln!("HEADER_READ_TIMEOUT_SECONDS=1 ({kind:?}): idle closed after {idle:?}, slowloris after {slow:?}, idle keep-alive after {kept:?}");
    assert!(idle.is_some(), "an idle connection was never closed");
    assert!(slow.is_some(), "a connection sending its head one byte at a time was never closed");
    assert!(kept.is_some(), "an idle keep-alive connection was never closed");
    still_serving(&app).await;
}
