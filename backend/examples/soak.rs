//! The load generator of `make soak` (scripts/soak.sh starts the API and runs this against it).
//!
//! A bounded mixed load on loopback: SOAK_CLIENTS users, each its own client, each looping through a
//! weighted mix of what the web app does (list, create, read, edit, toggle, delete, me, and now and then
//! a login), paced so the load is steady rather than a benchmark. Every SOAK_REPORT_EVERY seconds it
//! prints requests, errors, p50/p99 of that interval and the API's resident memory; at the end, totals.
//! Stops by itself after SOAK_SECONDS. Exit status 1 when any request failed.
//!
//! Environment: SOAK_URL (http://127.0.0.1:8000), SOAK_SECONDS (150), SOAK_CLIENTS (32),
//! SOAK_THINK_MS (40, pause between one client's requests), SOAK_REPORT_EVERY (10), SOAK_PID (the API's
//! process id, for RSS; optional).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::Rng;
use serde_json::{json, Value};

const PASSWORD: &str = "soak-password-0123";

#[derive(Default)]
struct Stats {
    latencies: Vec<(&'static str, Duration)>,
    statuses: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kib: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

/// One user's session: signs up, then loops through the mix until the deadline.
async fn user(n: usize, base: String, deadline: Instant, think: Duration, stats: Arc<Mutex<Stats>>) {
    let client = reqwest::Client::new();
    let email = format!("soak{n}-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut token = String::new();
    let mut tasks: Vec<String> = Vec::new();
    let mut step = 0u64;
    while Instant::now() < deadline {
        step += 1;
        let roll: u32 = rand::thread_rng().gen_range(0..100);
        // (name, method, path, body, the status that means success)
        let (name, method, path, body, ok): (&'static str, reqwest::Method, String, Option<Value>, u16) =
            if token.is_empty() {
                let body = json!({"email": email, "password": PASSWORD, "name": format!("Soak {n}")});
                ("register", reqwest::Method::POST, "/api/auth/register".into(), Some(body), 201)
            } else if roll < 2 {
                let body = json!({"email": email, "password": PASSWORD});
                ("login", reqwest::Method::POST, "/api/auth/login".into(), Some(body), 200)
            } else if roll < 40 {
                let filter = ["all", "pending", "completed"][(step % 3) as usize];
                ("list", reqwest::Method::GET, format!("/api/tasks?status={filter}"), None, 200)
            } else if roll < 58 && tasks.len() < 40 || tasks.is_empty() {
                let body = json!({"title": format!("soak task {n}-{step}"), "description": "made by the soak"});
                ("create", reqwest::Method::POST, "/api/tasks".into(), Some(body), 201)
            } else if roll < 68 {
                ("get", reqwest::Method::GET, format!("/api/tasks/{}", tasks[step as usize % tasks.len()]), None, 200)
            } else if roll < 76 {
                let body = json!({"title": format!("edited {step}")});
                let id = &tasks[step as usize % tasks.len()];
                ("update", reqwest::Method::PATCH, format!("/api/tasks/{id}"), Some(body), 200)
            } else if roll < 84 {
                let id = &tasks[step as usize % tasks.len()];
                ("toggle", reqwest::Method::POST, format!("/api/tasks/{id}/toggle"), None, 200)
            } else if roll < 96 {
                let id = tasks.swap_remove(step as usize % tasks.len());
                ("delete", reqwest::Method::DELETE, format!("/api/tasks/{id}"), None, 204)
            } else {
                ("me", reqwest::Method::GET, "/api/auth/me".into(), None, 200)
            };
        let mut req = client.request(method, format!("{base}{path}"));
        if !token.is_empty() {
            req = req.bearer_auth(&token);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let started = Instant::now();
        let res = req.send().await;
        let (status, value) = match res {
            Ok(res) => {
                let status = res.status().as_u16();
                let value = res.json::<Value>().await.unwrap_or(Value::Null);
                (Some(status), value)
            }
            Err(e) => {
                let kind = if e.is_timeout() { "timeout" } else { "transport error" };
                *stats.lock().unwrap().errors.entry(format!("{name}: {kind}")).or_default() += 1;
                tokio::time::sleep(think).await;
                continue;
            }
        };
        let took = started.elapsed();
        if status == Some(ok) {
            match name {
                "register" | "login" => token = value["access_token"].as_str().unwrap_or_default().to_string(),
                "create" => tasks.push(value["id"].as_str().unwrap_or_default().to_string()),
                _ => {}
            }
        }
        {
            let mut s = stats.lock().unwrap();
            s.latencies.push((name, took));
            *s.statuses.entry(format!("{name} {}", status.unwrap_or(0))).or_default() += 1;
            if status != Some(ok) {
                *s.errors.entry(format!("{name}: {} {value}", status.unwrap_or(0))).or_default() += 1;
            }
        }
        tokio::time::sleep(think).await;
    }
}

#[tokio::main]
async fn main() {
    let base: String = env("SOAK_URL", "http://127.0.0.1:8000".to_string());
    let seconds: u64 = env("SOAK_SECONDS", 150);
    let clients: usize = env("SOAK_CLIENTS", 32);
    let think = Duration::from_millis(env("SOAK_THINK_MS", 40));
    let every = Duration::from_secs(env("SOAK_REPORT_EVERY", 10));
    let pid: Option<u32> = std::env::var("SOAK_PID").ok().and_then(|p| p.parse().ok());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let stats = Arc::new(Mutex::new(Stats::default()));
    println!("soak: {clients} clients for {seconds} s against {base} (think time {think:?}); report every {every:?}");
    println!(
        "{:>6}  {:>8}  {:>7}  {:>6}  {:>8}  {:>8}  {:>8}  {:>8}",
        "t (s)", "requests", "req/s", "errors", "p50 ms", "p99 ms", "max ms", "RSS MiB"
    );
    let rss_start = rss_mib(pid);
    let mut rss_seen: Vec<f64> = rss_start.into_iter().collect();
    let users: Vec<_> =
        (0..clients).map(|n| tokio::spawn(user(n, base.clone(), deadline, think, stats.clone()))).collect();

    let mut all_latencies: Vec<Duration> = Vec::new();
    let mut by_operation: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut all_statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut all_errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut last = Instant::now();
    loop {
        let finished = Instant::now() >= deadline;
        tokio::time::sleep(if finished { Duration::from_millis(100) } else { every.min(deadline - Instant::now()) })
            .await;
        if finished {
            for u in &users {
                while !u.is_finished() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        let interval = std::mem::take(&mut *stats.lock().unwrap());
        for (name, took) in &interval.latencies {
            by_operation.entry(name).or_default().push(*took);
        }
        let mut lat: Vec<Duration> = interval.latencies.into_iter().map(|(_, d)| d).collect();
        lat.sort();
        let errors: u64 = interval.errors.values().sum();
        let rss = rss_mib(pid);
        rss_seen.extend(rss);
        let secs = last.elapsed().as_secs_f64();
        last = Instant::now();
        // The few requests finishing after the deadline join the totals without a row of their own.
        if !finished {
            println!(
                "{:>6.0}  {:>8}  {:>7.0}  {:>6}  {:>8.1}  {:>8.1}  {:>8.1}  {:>8}",
                started.elapsed().as_secs_f64(),
                lat.len(),
                lat.len() as f64 / secs,
                errors,
                quantile(&lat, 0.5),
                quantile(&lat, 0.99),
                lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
                rss.map_or("-".to_string(), |r| format!("{r:.1}")),
            );
        }
        all_latencies.extend(lat);
        for (k, v) in interval.statuses {
            *all_statuses.entry(k).or_default() += v;
        }
        for (k, v) in interval.errors {
            *all_errors.entry(k).or_default() += v;
        }
        if finished {
            break;
        }
    }
    all_latencies.sort();
    let errors: u64 = all_errors.values().sum();
    println!("\nsoak totals after {:.0} s:", started.elapsed().as_secs_f64());
    println!(
        "  requests {}  ({:.0}/s)   errors {errors}   p50 {:.1} ms   p99 {:.1} ms   p99.9 {:.1} ms   max {:.1} ms",
        all_latencies.len(),
        all_latencies.len() as f64 / seconds as f64,
        quantile(&all_latencies, 0.5),
        quantile(&all_latencies, 0.99),
        quantile(&all_latencies, 0.999),
        all_latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
    println!("  by operation and status: {all_statuses:?}");
    for (name, mut lat) in by_operation {
        lat.sort();
        println!(
            "  {name:<9} n={:<6} p50 {:>6.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
            lat.len(),
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
    }
    if let (Some(first), Some(max), Some(end)) =
        (rss_start, rss_seen.iter().copied().reduce(f64::max), rss_seen.last().copied())
    {
        println!("  API RSS: {first:.1} MiB at the start, {max:.1} MiB at most, {end:.1} MiB at the end");
    }
    if errors > 0 {
        println!("  errors: {all_errors:?}");
        std::process::exit(1);
    }
}
