//! Your data and your history, under /api/auth: `activity` (the account's history, paged), `export` (everything
//! kept about the user, as one JSON document written as it is read) and `DELETE account`. The flows are
//! `crate::flows::activity` and `crate::flows::data`.

use std::io;

use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    clock::Ts,
    db::{Db, SessionUser, TaskFilter},
    error::{ApiError, ApiResult},
    flows::{activity, data, Device},
    http::{
        extract::CurrentUser,
        responses::{InvalidBody, NotSignedIn, TooManyAttempts},
        schemas::{
            ActivityEvent, ActivityResponse, DeleteAccountRequest, ErrorResponse, ExportDocument, ExportLinkedProvider,
            ExportPasskey, ExportSession, TaskResponse, UserResponse, ValidationErrorResponse,
        },
        stream::ChannelBody,
        validate::{int_param, query_error, Valid},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(activity_page)).routes(routes!(export)).routes(routes!(delete_account))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// How many events, at most (1 to 200; 50 by default).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, example = 50)]
    limit: Option<String>,
    /// The `id` of an event: only events older than it (the next page after it).
    #[param(value_type = Option<i64>, minimum = 1, example = 1042)]
    before: Option<String>,
}

/// The account's history, newest first, a page at a time: the caller's own events only.
#[utoipa::path(get, path = "/api/auth/activity", tag = "auth", security(("bearer" = [])), params(ActivityParams),
    responses(
        (status = 200, description = "The newest events (older than `before`, when given)", body = ActivityResponse),
        NotSignedIn,
        (status = 422, description = "A `limit` or `before` that is not an integer in range, or given twice", body = ValidationErrorResponse),
    ))]
pub async fn activity_page(
    State(state): State<AppState>,
    current: CurrentUser,
    query: Result<Query<ActivityParams>, QueryRejection>,
) -> ApiResult<Json<ActivityResponse>> {
    let Query(params) = query.map_err(|rejection| {
        // A parameter given twice is the one way this query fails to parse: refused as not one string.
        let text = rejection.body_text();
        let field = if text.contains("`before`") { "before" } else { "limit" };
        ApiError::Validation(vec![query_error(field, "string_type", "Input should be a valid string".into(), None)])
    })?;
    let limit = params.limit.as_deref().map(|v| int_param("limit", v, 1, activity::MAX_PAGE));
    let before = params.before.as_deref().map(|v| int_param("before", v, 1, i64::MAX));
    let errors: Vec<_> = [limit.clone(), before.clone()].into_iter().flatten().filter_map(Result::err).collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let limit = limit.and_then(Result::ok).unwrap_or(activity::DEFAULT_PAGE);
    let before = before.and_then(Result::ok);
    let rows = activity::page(&state, &current.user.id, before, limit).await?;
    Ok(Json(ActivityResponse { events: rows.into_iter().map(ActivityEvent::from).collect() }))
}

/// Everything the API keeps about you, as one JSON document to download: the user, every task, the sessions,
/// the whole history, passkeys and linked providers. Never a password hash, TOTP secret, recovery code, token
/// or session secret. Written as it is read (a database error after the first bytes breaks the body).
#[utoipa::path(get, path = "/api/auth/export", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The document, as an attachment", body = ExportDocument,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"todo-data-<date>.json\""))),
        NotSignedIn,
    ))]
pub async fn export(State(state): State<AppState>, current: CurrentUser) -> Response {
    let now = state.clock.now();
    let filename = format!("attachment; filename=\"todo-data-{}.json\"", now.0.format("%Y-%m-%d"));
    let (tx, rx) = mpsc::channel(2);
    let user = current.user;
    tokio::spawn(async move {
        let mut out = Writer { tx, buf: Vec::with_capacity(64 * 1024) };
        if let Err(Failure::Broken(e)) = write_export(&state.db, &user, now, &mut out).await {
            tracing::error!(error = %e, "export aborted after its first bytes");
            let _ = out.tx.send(Err(e)).await;
        }
    });
    let mut res = Body::new(ChannelBody(rx)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    res
}

/// Rows read per query while the export is written.
const EXPORT_CHUNK: i64 = 500;

/// Why the export stopped writing.
enum Failure {
    /// The client went away: nothing more to do.
    Gone,
    /// A read or a write failed: the body ends broken.
    Broken(io::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Broken(io::Error::other(e))
    }
}

/// The export's bytes on their way out: a buffer, sent as a chunk when a page of rows is written.
struct Writer {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl Writer {
    fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn value<T: Serialize>(&mut self, value: &T) -> Result<(), Failure> {
        serde_json::to_writer(&mut self.buf, value).map_err(|e| Failure::Broken(io::Error::other(e)))
    }

    /// `,"name":[` (the document's keys after the first).
    fn open(&mut self, name: &str) {
        self.raw(format!(",\"{name}\":[").as_bytes());
    }

    /// The next element of the array being written (`first`: none before it).
    fn item<T: Serialize>(&mut self, first: bool, value: &T) -> Result<(), Failure> {
        if !first {
            self.raw(b",");
        }
        self.value(value)
    }

    /// Every element of a section read in one query, then `]`.
    fn all<T: Serialize>(&mut self, name: &str, items: impl IntoIterator<Item = T>) -> Result<(), Failure> {
        self.open(name);
        for (i, item) in items.into_iter().enumerate() {
            self.item(i == 0, &item)?;
        }
        self.raw(b"]");
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Failure> {
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx.send(Ok(chunk)).await.map_err(|_| Failure::Gone)
    }
}

/// The document, section by section: `exported_at` and `user`, then each kind of the user's rows. A section
/// is one query (or one paged query, for what may be long: tasks, history); the passkeys and linked providers
/// are one query each.
async fn write_export(db: &Db, user: &SessionUser, now: Ts, out: &mut Writer) -> Result<(), Failure> {
    out.raw(b"{\"exported_at\":");
    out.value(&now)?;
    out.raw(b",\"user\":");
    out.value(&UserResponse::from(user))?;
    out.flush().await?;

    out.open("tasks");
    let (mut after, mut first) = (None::<(Ts, String)>, true);
    loop {
        let page = db
            .tasks_page(&user.id, TaskFilter::All, after.as_ref().map(|(t, id)| (*t, id.as_str())), EXPORT_CHUNK, 0)
            .await?;
        let more = page.len() as i64 >= EXPORT_CHUNK;
        after = page.last().map(|t| (t.created_at, t.id.clone()));
        for task in page {
            out.item(first, &TaskResponse::from(task))?;
            first = false;
        }
        out.flush().await?;
        if !more {
            break;
        }
    }
    out.raw(b"]");

    let sessions = db.list_sessions(&user.id, user.token_version, now).await?;
    out.all("sessions", sessions.into_iter().map(ExportSession::from))?;

    out.open("activity");
    let (mut before, mut first) = (None, true);
    loop {
        let page = db.activity_page(&user.id, before, EXPORT_CHUNK).await?;
        let more = page.len() as i64 >= EXPORT_CHUNK;
        before = page.last().map(|e| e.id);
        for event in page {
            out.item(first, &ActivityEvent::from(event))?;
            first = false;
        }
        out.flush().await?;
        if !more {
            break;
        }
    }
    out.raw(b"]");

    let passkeys = db.list_passkeys(&user.id).await?;
    out.all(
        "passkeys",
        passkeys.into_iter().map(|p| ExportPasskey {
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }),
    )?;
    let identities = db.list_identities(&user.id).await?;
    out.all(
        "linked_providers",
        identities.into_iter().map(|i| ExportLinkedProvider {
            provider: i.provider_id,
            email: i.email,
            linked_at: i.created_at,
        }),
    )?;
    out.raw(b"}");
    out.flush().await
}

/// Delete the account and everything of it (tasks, sessions, tokens, two-factor, history, mail not yet
/// sent): every credential of the user stops at once, a goodbye notice is mailed, and the address can
/// register again. Needs the current password (an account without one: a sign-in at most 10 minutes old) and,
/// with two-factor on, a current code or an unused recovery code.
#[utoipa::path(delete, path = "/api/auth/account", tag = "auth", security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted; the client is signed out"),
        (status = 400, description = "Current password is incorrect, or Invalid two-factor code", body = ErrorResponse),
        NotSignedIn,
        (status = 403, description = "An account without a password signed in more than 10 minutes ago: Sign in again to delete your account", body = ErrorResponse),
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<DeleteAccountRequest>,
) -> ApiResult<StatusCode> {
    let proof = data::Proof {
        current_password: body.current_password.as_deref(),
        code: body.code.as_deref(),
        session_id: current.token.session_id.as_deref(),
    };
    data::delete_account(&state, &device, &current.user, &proof).await?;
    Ok(StatusCode::NO_CONTENT)
}
