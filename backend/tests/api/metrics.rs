//! `METRICS_ADDR`: the real binary serves Prometheus text on a second listener; the public port has no
//! `/metrics`. A scrape after some traffic shows requests by route pattern and status, latency
//! histograms, the pool, the bcrypt queue and shed count, and throttle hits.

use serde_json::json;

use crate::both;
use crate::process::ApiProcess;

/// The value of the sample `name{labels}` (labels as rendered, in order), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

both!(
    async fn metrics_are_scraped_from_their_own_listener_only(kind: Kind) {
        let db = TestDb::new(kind).await;
        let api = ApiProcess::start(
            &db.url,
            &[
                ("METRICS_ADDR", "127.0.0.1:0"),
                ("LOGIN_FAILURES_PER_EMAIL_CLIENT", "2"),
                ("HASH_WORKERS", "1"),
                ("HASH_QUEUE", "1"),
                ("BCRYPT_COST", "10"),
            ],
        );
        let metrics_url = api
            .early_log
            .iter()
            .find_map(|l| l.split("metrics on ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no 'metrics on' line in {:?}", api.early_log))
            .to_string();
        let client = reqwest::Client::new();

        // Never on the public port.
        let public = client.get(api.url("/metrics")).send().await.unwrap();
        assert_eq!(public.status(), 404);

        // The one bcrypt worker makes the dummy hash at start-up: wait until it is idle (read from the
        // metrics themselves), so that the sign-up below is not the one shed.
        let scrape = |client: reqwest::Client, url: String| async move {
            client.get(url).send().await.unwrap().text().await.unwrap()
        };
        let mut idle = false;
        for _ in 0..600 {
            let text = scrape(client.clone(), metrics_url.clone()).await;
            if sample(&text, "password_hash_jobs_running") == Some(0.0)
                && sample(&text, "password_hash_queue_depth") == Some(0.0)
            {
                idle = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(idle, "the bcrypt worker never became idle");
        let token = api.signup(&client, "metrics@example.com", PASSWORD).await;
        let task: serde_json::Value = client
            .post(api.url("/api/tasks"))
            .bearer_auth(&token)
            .json(&json!({"title": "counted"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for _ in 0..3 {
            let res = client.get(api.url("/api/tasks")).bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }
        let id = task["id"].as_str().unwrap();
        assert_eq!(
            client.get(api.url(&format!("/api/tasks/{id}"))).bearer_auth(&token).send().await.unwrap().status(),
            200
        );
        assert_eq!(client.get(api.url("/api/tasks")).send().await.unwrap().status(), 401);
        // Two failures, then the third attempt is throttled (a throttle hit).
        let wrong = json!({"email": "metrics@example.com", "password": "wrong password"});
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(client.post(api.url("/api/auth/login")).json(&wrong).send().await.unwrap().status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 429]);
        // One bcrypt worker and one place in its queue: of a burst of sign-ins some are shed with 503.
        let burst = (0..8).map(|i| {
            let (client, url) = (client.clone(), api.url("/api/auth/login"));
            async move {
                let body = json!({"email": format!("nobody{i}@example.com"), "password": "whatever1"});
                client.post(url).json(&body).send().await.unwrap().status().as_u16()
            }
        });
        let burst = futures::future::join_all(burst).await;
        let shed = burst.iter().filter(|s| **s == 503).count();
        assert!(shed > 0, "no sign-in was shed: {burst:?}");

        let res = client.get(&metrics_url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = res.text().await.unwrap();
        let at_least = |series: &str, min: f64| {
            let v = sample(&text, series).unwrap_or_else(|| panic!("{series} missing from:\n{text}"));
            assert!(v >= min, "{series} = {v}, expected >= {min}\n{text}");
        };
        at_least(r#"http_requests_total{method="GET",route="/api/tasks",status="200"}"#, 3.0);
        at_least(r#"http_requests_total{method="GET",route="/api/tasks",status="401"}"#, 1.0);
        at_least(r#"http_requests_total{method="GET",route="/api/tasks/{task_id}",status="200"}"#, 1.0);
        at_least(r#"http_requests_total{method="POST",route="/api/auth/register",status="201"}"#, 1.0);
        at_least(r#"http_requests_total{method="POST",route="/api/auth/login",status="429"}"#, 1.0);
        at_least(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#, 1.0);
        at_least(r#"http_request_duration_seconds_count{method="GET",route="/api/tasks"}"#, 4.0);
        at_least(r#"http_request_duration_seconds_bucket{method="GET",route="/api/tasks",le="+Inf"}"#, 4.0);
        at_least("throttle_hits_total", 1.0);
        // Shed sign-ins are counted (so is the background dummy hash when it finds the queue full).
        let counted = sample(&text, "password_hash_shed_total")
            .unwrap_or_else(|| panic!("password_hash_shed_total missing:\n{text}"));
        assert!(counted >= 1.0, "password_hash_shed_total {counted}, 503s {shed}\n{text}");
        at_least(r#"db_pool_connections{state="idle"}"#, 0.0);
        at_least(r#"db_pool_connections{state="in_use"}"#, 0.0);
        at_least("db_pool_max_connections", 10.0);
        at_least("db_pool_waiting", 0.0);
        // The registrations' verification mails are in the outbox, waiting or (the process's worker writes
        // them to .eml files) already sent.
        let outbox = |state: &str| {
            let series = format!(r#"mail_outbox{{state="{state}"}}"#);
            sample(&text, &series).unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
        };
        assert!(outbox("waiting") + outbox("sent") >= 1.0, "{text}");
        assert_eq!(outbox("failed"), 0.0);
        at_least("password_hash_queue_depth", 0.0);
        at_least("password_hash_jobs_running", 0.0);
        // The metrics listener serves nothing else.
        let other = client.get(metrics_url.replace("/metrics", "/api/tasks")).send().await.unwrap();
        assert_eq!(other.status(), 404);
    }
);
