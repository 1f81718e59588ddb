//! Prometheus metrics on a second listener (`METRICS_ADDR`), never on the public port: requests by route
//! and status, latency histograms, the database pool (in use, idle, waiting), the bcrypt queue and its sheds,
//! the mail outbox's backlog, throttle hits.
//!
//! The counters are kept by the `metrics` facade (a no-op until a recorder is installed, so a process
//! without `METRICS_ADDR` pays nothing); `metrics-exporter-prometheus` renders them as Prometheus text.
//! Gauges that are a reading of the state (pool, bcrypt queue, outbox) are taken at scrape time.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Seconds; from a cached read (≈ 0.3 ms) to the request timeout, with bcrypt's quarter second inside.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0];

/// Installs the process-wide recorder once and returns its handle (later calls return the same one).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), LATENCY_BUCKETS)
                .expect("non-empty buckets")
                .install_recorder()
                .expect("the only metrics recorder of the process")
        })
        .clone()
}

/// Middleware (on the public router when metrics are on): one count and one latency sample per request,
/// labelled with the route's pattern (`/api/tasks/{task_id}`, never the id itself) so the number of
/// series stays bounded; requests that match no route are `unmatched`.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    metrics::gauge!("http_requests_in_flight").increment(1);
    let res = next.run(req).await;
    metrics::gauge!("http_requests_in_flight").decrement(1);
    let status = res.status().as_u16().to_string();
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(start.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    res
}

/// The router of the metrics listener: `GET /metrics` only.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state((state, handle))
}

async fn scrape(State((state, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    let pool = state.db.pool_stats();
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(pool.size - pool.idle));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("db_pool_waiting").set(f64::from(pool.waiting));
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.settings.db_max_connections));
    // One small query per scrape; a database that does not answer leaves the last reading.
    if let Ok(outbox) = state.db.outbox_counts().await {
        metrics::gauge!("mail_outbox", "state" => "waiting").set(outbox.waiting as f64);
        metrics::gauge!("mail_outbox", "state" => "sent").set(outbox.sent as f64);
        metrics::gauge!("mail_outbox", "state" => "failed").set(outbox.failed as f64);
    }
    let (running, queued) = state.hasher.load();
    metrics::gauge!("password_hash_jobs_running").set(running as f64);
    metrics::gauge!("password_hash_queue_depth").set(queued as f64);
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}
