//! `kill -9` of the real binary during a stream of task creations: after a restart on the same database,
//! every task whose 201 reached the client is there, field for field, and the server starts cleanly.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use serde_json::{json, Value};
use sqlx::Connection;

use crate::both;
use crate::process::ApiProcess;

both!(
    async fn kill_9_during_task_creation_loses_no_acknowledged_task(kind: Kind) {
        let db = TestDb::new(kind).await;
        let api = ApiProcess::start(&db.url, &[]);
        let client = reqwest::Client::new();
        let token = api.signup(&client, "crash@example.com", PASSWORD).await;

        // 8 writers create tasks as fast as they can; each 201 body is what the client was promised.
        let acknowledged: Arc<Mutex<Vec<Value>>> = Arc::default();
        let failed = Arc::new(Mutex::new(0u32));
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..8 {
            let (client, token, url) = (client.clone(), token.clone(), api.url("/api/tasks"));
            let (acknowledged, failed, stop) = (acknowledged.clone(), failed.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let body =
                        json!({"title": format!("task {w}-{i}"), "description": format!("written by {w}, #{i} 🔐")});
                    match client.post(&url).bearer_auth(&token).json(&body).send().await {
                        Ok(res) if res.status() == 201 => match res.json::<Value>().await {
                            Ok(task) => acknowledged.lock().unwrap().push(task),
                            // The 201's body was cut short by the kill: not acknowledged.
                            Err(_) => *failed.lock().unwrap() += 1,
                        },
                        Ok(res) => panic!("unexpected {} before the kill", res.status()),
                        Err(_) => {
                            *failed.lock().unwrap() += 1;
                            // The server is gone; stop hammering the closed port.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }));
        }
        // Kill once a good number of tasks have been acknowledged, with writes in flight.
        let waited = std::time::Instant::now();
        while acknowledged.lock().unwrap().len() < 300 && waited.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let pid = api.pid();
        api.kill9();
        let at_kill = acknowledged.lock().unwrap().len();
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.await.unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(at_kill > 0, "no task was acknowledged before the kill");

        // Restart on the same database: it must start cleanly (migrations see a consistent database).
        let api = ApiProcess::start(&db.url, &[]);
        let log = api.log();
        assert!(
            !log.iter().any(|l| l.contains("ERROR") || l.to_lowercase().contains("recover")),
            "start-up after kill -9 was not clean:\n{}",
            log.join("\n")
        );
        let health = client.get(api.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        // The same token still works (same secret), and every acknowledged task is there, intact.
        let list: Value =
            client.get(api.url("/api/tasks")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let stored: std::collections::HashMap<&str, &Value> =
            list["tasks"].as_array().unwrap().iter().map(|t| (t["id"].as_str().unwrap(), t)).collect();
        let mut missing = Vec::new();
        for task in &acknowledged {
            match stored.get(task["id"].as_str().unwrap()) {
                Some(found) if *found == task => {}
                Some(found) => panic!("task changed across the crash: acknowledged {task}, stored {found}"),
                None => missing.push(task["id"].clone()),
            }
        }
        assert!(missing.is_empty(), "{} acknowledged tasks lost: {missing:?}", missing.len());
        if kind == Kind::Sqlite {
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.sqlite_path().display())).await.unwrap();
            let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
            assert_eq!(check, "ok");
        }
        eprintln!(
            "kill -9 of pid {pid} ({kind:?}): {} tasks acknowledged (201 received), all {} found intact after restart; \
             {} more were stored whose 201 never arrived; {} requests failed with the server gone",
            acknowledged.len(),
            acknowledged.len(),
            stored.len() - acknowledged.len(),
            failed.lock().unwrap()
        );
    }
);
