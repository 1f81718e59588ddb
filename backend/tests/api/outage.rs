//! PostgreSQL going away mid-traffic, and coming back. The machine's shared server is never stopped:
//! the API reaches it through a TCP proxy this test owns, and "PostgreSQL is gone" means the proxy
//! closes every connection it carries and refuses new ones.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

use crate::helpers::*;
use crate::process::percentiles;

/// What the proxy does with traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Up,
    /// PostgreSQL is gone: open connections are closed, new ones reset at once.
    Down,
    /// The network to PostgreSQL hangs: connections stay open but nothing gets through, either way.
    Stalled,
}

/// A TCP forwarder to PostgreSQL that can be cut, stalled and restored.
struct Proxy {
    addr: SocketAddr,
    mode: tokio::sync::watch::Sender<Mode>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, _) = tokio::sync::watch::channel(Mode::Up);
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (mode2, conns2) = (mode.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { continue };
                let mut watch = mode2.subscribe();
                let now = *watch.borrow_and_update();
                let task = match now {
                    Mode::Down => {
                        // As a host with nothing listening: reset at once.
                        let _ = client.set_zero_linger();
                        drop(client);
                        continue;
                    }
                    // Accepted, and then never answered.
                    Mode::Stalled => tokio::spawn(async move {
                        let _held = client;
                        std::future::pending::<()>().await
                    }),
                    Mode::Up => tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            // Stalled: stop forwarding but keep both sockets open (held until aborted).
                            () = async { drop(watch.wait_for(|m| *m == Mode::Stalled).await) } => {
                                let _held = (client, server);
                                std::future::pending::<()>().await
                            }
                        }
                    }),
                };
                conns2.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy { addr, mode, conns, accept }
    }

    fn close_all(&self) {
        for conn in self.conns.lock().unwrap().drain(..) {
            conn.abort();
        }
    }

    /// PostgreSQL is gone: every open connection is dropped (both sockets closed) and new ones refused.
    fn cut(&self) {
        self.mode.send_replace(Mode::Down);
        self.close_all();
    }

    /// The network hangs: nothing more gets through, but no connection is closed.
    fn stall(&self) {
        self.mode.send_replace(Mode::Stalled);
    }

    /// PostgreSQL is back (connections that hung are closed, as a network timeout would end them).
    fn restore(&self) {
        self.close_all();
        self.mode.send_replace(Mode::Up);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[derive(Default)]
struct Seen {
    /// (phase, status) → count
    statuses: BTreeMap<(&'static str, u16), u32>,
    latencies: Vec<Duration>,
    outage_latencies: Vec<Duration>,
    problems: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_gone_mid_traffic_answers_503_quickly_and_the_api_recovers_by_itself() {
    if postgres_available().await {
        outage(Mode::Down).await
    }
}

/// The harder case: nothing closes, queries in flight just never finish. The pool's acquire timeout
/// (with its ping of idle connections), /health's one-second ping deadline and the request timeout are
/// what bound the wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_network_to_postgres_answers_503_within_the_timeouts_and_the_api_recovers_by_itself() {
    if postgres_available().await {
        outage(Mode::Stalled).await
    }
}

async fn outage(how: Mode) {
    let mut db = TestDb::new(Kind::Postgres).await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    // The API's URL goes through the proxy; the test database is still made and dropped directly.
    db.url = format!("postgres://postgres@{}/{}", proxy.addr, db.name);
    let app = Arc::new(
        TestApp::start_on(
            Arc::new(db),
            &[("DB_ACQUIRE_TIMEOUT_SECONDS", "1"), ("REQUEST_TIMEOUT_SECONDS", "3"), ("DB_MAX_CONNECTIONS", "5")],
        )
        .await,
    );
    let (token, _) = app.signup("ada@example.com").await;
    app.create_task(&token, "before the outage").await;

    // Traffic: 4 clients reading and writing in a loop until told to stop.
    let phase: Arc<Mutex<&'static str>> = Arc::new(Mutex::new("before"));
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut clients = Vec::new();
    for worker in 0..4 {
        let (app, token, phase, stop, seen) = (app.clone(), token.clone(), phase.clone(), stop.clone(), seen.clone());
        clients.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let started = Instant::now();
                let res = if i % 2 == 0 {
                    app.client.get(app.url("/api/tasks")).bearer_auth(&token).send().await
                } else {
                    app.client
                        .post(app.url("/api/tasks"))
                        .bearer_auth(&token)
                        .json(&json!({"title": format!("w{worker}-{i}")}))
                        .send()
                        .await
                };
                let now_phase = *phase.lock().unwrap();
                let took = started.elapsed();
                let outcome = match res {
                    Ok(res) => {
                        let status = res.status();
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        Ok((status, body))
                    }
                    Err(e) => Err(e.to_string()),
                };
                {
                    let mut seen = seen.lock().unwrap();
                    seen.latencies.push(took);
                    match outcome {
                        Ok((status, body)) => {
                            *seen.statuses.entry((now_phase, status.as_u16())).or_default() += 1;
                            if status == StatusCode::SERVICE_UNAVAILABLE {
                                seen.outage_latencies.push(took);
                                if body != json!({"detail": "Service temporarily unavailable"}) {
                                    seen.problems.push(format!("503 with body {body}"));
                                }
                            } else if !status.is_success() {
                                seen.problems.push(format!("{now_phase}: {status} {body}"));
                            }
                        }
                        Err(e) => seen.problems.push(format!("{now_phase}: no answer: {e}")),
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(800)).await;
    *phase.lock().unwrap() = "outage";
    match how {
        Mode::Down => proxy.cut(),
        Mode::Stalled => proxy.stall(),
        Mode::Up => unreachable!(),
    }
    let cut_at = Instant::now();

    // During the outage: readiness says the database is down, liveness stays up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut health_seen = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = parts(app.request(reqwest::Method::GET, "/health", None, None).await).await;
        health_seen.push(started.elapsed());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body, json!({"status": "unhealthy", "database": "unavailable"}));
        let (status, body) = parts(app.request(reqwest::Method::GET, "/health/live", None, None).await).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"status": "healthy"})));
    }
    // Login touches the database before any bcrypt work: 503 too, not 500.
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_secs(3)).await;

    *phase.lock().unwrap() = "recovering";
    proxy.restore();
    let restored_at = Instant::now();
    // Recovery without a restart: /health turns 200 by itself (bounded wait, so a hang fails).
    let recovered_after = loop {
        let res = app.request(reqwest::Method::GET, "/health", None, None).await;
        if res.status() == StatusCode::OK {
            break restored_at.elapsed();
        }
        assert!(restored_at.elapsed() < Duration::from_secs(30), "no recovery 30 s after PostgreSQL returned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    *phase.lock().unwrap() = "after";
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let after = app.create_task(&token, "after the outage").await;
    assert_eq!(after["title"], "after the outage");
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);

    let seen = seen.lock().unwrap();
    let outage_503 = seen.statuses.get(&("outage", 503)).copied().unwrap_or(0);
    let after_ok: u32 = seen.statuses.iter().filter(|((p, s), _)| *p == "after" && *s < 300).map(|(_, n)| n).sum();
    eprintln!(
        "PostgreSQL {how:?} for {:?}: requests by (phase, status) {:?}\n  503 latencies {}\n  all latencies {}\n  \
         /health during the outage {}\n  /health was 200 again {recovered_after:?} after PostgreSQL returned",
        restored_at - cut_at,
        seen.statuses,
        percentiles(seen.outage_latencies.clone()),
        percentiles(seen.latencies.clone()),
        percentiles(health_seen),
    );
    assert!(seen.problems.is_empty(), "answers other than 2xx or 503-as-promised: {:#?}", seen.problems);
    assert!(outage_503 > 0, "no request saw the outage: {:?}", seen.statuses);
    assert!(after_ok > 0, "no request succeeded after recovery: {:?}", seen.statuses);
    assert!(!seen.statuses.keys().any(|(_, s)| *s >= 500 && *s != 503), "{:?}", seen.statuses);
    // Never a hang: every answer came within the request timeout (3 s) plus slack. Not a speed target.
    let slowest = seen.latencies.iter().max().copied().unwrap_or_default();
    assert!(slowest < Duration::from_secs(10), "a request took {slowest:?} during the outage");
}
