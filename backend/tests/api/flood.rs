//! A login flood far beyond the hashing capacity, against the real binary: protected reads keep being
//! answered, logins past the bounded queue get 503 + Retry-After at once, and the process's memory
//! stays flat. Latencies are reported, not asserted (the machine is shared and noisy).

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::both;
use crate::process::{percentiles, ApiProcess};

both!(
    async fn a_login_flood_is_shed_with_503_while_reads_go_on_and_memory_stays_flat(kind: Kind) {
        let db = TestDb::new(kind).await;
        // One bcrypt thread at cost 10 (tens of ms a hash) and room for 4 waiting: capacity is tiny on
        // purpose, so the flood below is far beyond it.
        let api = ApiProcess::start(&db.url, &[("BCRYPT_COST", "10"), ("HASH_WORKERS", "1"), ("HASH_QUEUE", "4")]);
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
        let token = api.signup(&client, "flood@example.com", PASSWORD).await;
        for i in 0..20 {
            client
                .post(api.url("/api/tasks"))
                .bearer_auth(&token)
                .json(&json!({"title": format!("task {i}")}))
                .send()
                .await
                .unwrap();
        }
        // Warm up (connections, allocator arenas) before the baseline.
        for _ in 0..50 {
            client.get(api.url("/api/tasks")).bearer_auth(&token).send().await.unwrap();
        }
        let rss_before = api.rss_kib();

        // A reader keeps reading the task list throughout.
        let flooding = Arc::new(AtomicBool::new(true));
        let reader = {
            let (client, url, token, flooding) =
                (client.clone(), api.url("/api/tasks"), token.clone(), flooding.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut statuses = BTreeMap::<u16, u32>::new();
                while flooding.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    *statuses.entry(res.status().as_u16()).or_default() += 1;
                    latencies.push(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (latencies, statuses)
            })
        };

        // The flood: 128 clients logging in back to back for 4 seconds (at most 20,000 attempts), right
        // and wrong passwords alike (both cost a hash).
        let started = Instant::now();
        let attempts = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let flooders: Vec<_> = (0..128)
            .map(|c| {
                let (client, url, attempts) = (client.clone(), api.url("/api/auth/login"), attempts.clone());
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    while started.elapsed() < Duration::from_secs(4) && attempts.fetch_add(1, Ordering::SeqCst) < 20_000
                    {
                        let password = if c % 2 == 0 { PASSWORD } else { "wrong password" };
                        let t = Instant::now();
                        let res = client
                            .post(&url)
                            .json(&json!({"email": "flood@example.com", "password": password}))
                            .send()
                            .await
                            .unwrap();
                        let status = res.status().as_u16();
                        let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        if status == 503 {
                            assert_eq!(body, json!({"detail": "Service temporarily unavailable"}));
                        }
                        seen.push((status, retry_after, t.elapsed()));
                    }
                    seen
                })
            })
            .collect();
        let mut results: Vec<(u16, Option<String>, Duration)> = Vec::new();
        for f in flooders {
            results.extend(f.await.unwrap());
        }
        let flood_time = started.elapsed();
        flooding.store(false, Ordering::SeqCst);
        let (read_latencies, read_statuses) = reader.await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_after = api.rss_kib();

        let mut statuses = BTreeMap::<u16, u32>::new();
        for (s, _, _) in &results {
            *statuses.entry(*s).or_default() += 1;
        }
        let shed: Vec<Duration> = results.iter().filter(|(s, _, _)| *s == 503).map(|(_, _, t)| *t).collect();
        let served: Vec<Duration> = results.iter().filter(|(s, _, _)| *s != 503).map(|(_, _, t)| *t).collect();
        eprintln!(
            "login flood ({kind:?}; BCRYPT_COST=10, HASH_WORKERS=1, HASH_QUEUE=4): {} logins from 128 clients in {flood_time:?}, \
             statuses {statuses:?}\n  503 (shed) latencies {}\n  200/401 (hashed) latencies {}\n  \
             protected reads during the flood: statuses {read_statuses:?}, {}\n  \
             RSS {} KiB before, {} KiB after ({:+} KiB)",
            results.len(),
            percentiles(shed.clone()),
            percentiles(served),
            percentiles(read_latencies),
            rss_before,
            rss_after,
            rss_after as i64 - rss_before as i64,
        );
        assert!(statuses.keys().all(|s| [200, 401, 503].contains(s)), "unexpected statuses {statuses:?}");
        assert!(!shed.is_empty(), "the bounded queue never refused a login: {statuses:?}");
        assert!(statuses.get(&200).copied().unwrap_or(0) > 0, "no login succeeded: {statuses:?}");
        for (s, retry_after, _) in &results {
            if *s == 503 {
                let secs: u64 = retry_after.as_deref().expect("503 without Retry-After").parse().unwrap();
                assert!(secs >= 1);
            }
        }
        assert_eq!(read_statuses.keys().copied().collect::<Vec<_>>(), vec![200], "reads failed during the flood");
        assert!(rss_after < rss_before + 64 * 1024, "RSS grew from {rss_before} KiB to {rss_after} KiB");
    }
);
