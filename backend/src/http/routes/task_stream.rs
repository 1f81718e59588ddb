//! The body of a long `GET /api/tasks`, written as it is read: the first rows (already read with the
//! access check) go out at once, the rest follow in keyset-ordered chunks of [`CHUNK_ROWS`], so a request
//! holds at most a few chunks in memory whatever the list's length, and no database connection between
//! chunks. The bytes are exactly what `Json(TaskListResponse)` writes: `{"tasks":[…],"total":n}`, with
//! `total` the number of tasks written. A database error after the 200 has started aborts the body (the
//! chunked encoding never ends), so a client sees a broken response, never a shorter valid list.

use std::io;

use axum::{
    body::Body,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use hyper::body::Bytes;
use tokio::sync::mpsc;

use crate::{
    db::{Db, Task, TaskFilter},
    http::{schemas::TaskResponse, stream::ChannelBody},
};

/// Rows read per database query after the first read.
pub const CHUNK_ROWS: i64 = 500;

/// A 200 whose body lists `first` (the newest tasks, in list order) and then every older task of the
/// same user that matches `filter`.
pub fn streamed_list(db: Db, filter: TaskFilter, first: Vec<Task>) -> Response {
    // Two chunks in flight at most: the producer waits for the client.
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(b"{\"tasks\":[");
        let mut total: u64 = 0;
        let mut batch = first;
        // The first batch is known to be followed by more; later ones by a full chunk.
        let mut more = true;
        while let Some(last) = batch.last() {
            let (user_id, at, id) = (last.user_id.clone(), last.created_at, last.id.clone());
            for task in batch {
                if total > 0 {
                    buf.push(b',');
                }
                if let Err(e) = serde_json::to_writer(&mut buf, &TaskResponse::from(task)) {
                    let _ = tx.send(Err(io::Error::other(e))).await;
                    return;
                }
                total += 1;
            }
            if tx.send(Ok(Bytes::from(std::mem::take(&mut buf)))).await.is_err() {
                return; // the client went away
            }
            if !more {
                break;
            }
            batch = match db.tasks_page(&user_id, filter, Some((at, &id)), CHUNK_ROWS, 0).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "task list aborted after its first bytes");
                    let _ = tx.send(Err(io::Error::other(e))).await;
                    return;
                }
            };
            more = batch.len() as i64 >= CHUNK_ROWS;
        }
        buf.extend_from_slice(format!("],\"total\":{total}}}").as_bytes());
        let _ = tx.send(Ok(Bytes::from(buf))).await;
    });
    let mut res = Body::new(ChannelBody(rx)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
