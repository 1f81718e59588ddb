//! The HTTP/1.1 server loop: hyper directly (rather than `axum::serve`) for the connection limits that
//! `axum::serve` does not expose — a cap on the request head (request line + headers, so also the URL)
//! and a deadline for sending it, which closes slow and idle connections — plus graceful shutdown that
//! lets in-flight requests finish.

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::{body::Incoming, Request};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::net::TcpListener;
use tower::ServiceExt;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub max_header_bytes: usize,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl From<&crate::config::Settings> for Limits {
    fn from(s: &crate::config::Settings) -> Self {
        Limits {
            max_connections: s.max_connections,
            max_header_bytes: s.max_header_bytes,
            header_read_timeout: s.header_read_timeout,
            shutdown_grace: s.shutdown_grace,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and gives open requests
/// up to `shutdown_grace` to finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // Twice the configured cap: heads between the two reach the app, which refuses them in the
        // contract's shape (lib.rs `head_limit`); only beyond this does hyper answer a bare 431 and close.
        .max_buf_size((limits.max_header_bytes * 2).max(8192))
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    // Open connections at once. Beyond the cap a new connection is closed as soon as it is accepted, so
    // a heap of idle sockets can never use up the process's file descriptors (which would stall accept
    // for everyone until the header deadline closed them).
    let open = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: MAX_CONNECTIONS reached");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(req)
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("shutdown grace period over; closing remaining connections");
    }
}
