//! One error type for the whole API. Its variants say their status; [`IntoResponse`] turns each into the
//! body FastAPI clients know: `{"detail": "..."}`, or for 422 `{"detail": [{"loc", "msg", "type"}]}`.
//! Internal errors are logged in full and answered generically, so nothing internal leaks to a client.

use std::borrow::Cow;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::{json, Value};

/// One entry of a 422 list, in pydantic's shape.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldError {
    /// Where the problem is, e.g. `["body", "email"]` or `["body", 17]` (a byte offset in bad JSON).
    #[schema(schema_with = loc_schema)]
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Value>,
}

/// `loc` holds strings and integers (as pydantic's): described exactly, so clients and schemathesis can
/// check 422 bodies against the document (`Vec<Object>` claimed objects, which no 422 ever held).
fn loc_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let item = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Integer));
    ArrayBuilder::new().items(item).build()
}

impl FieldError {
    pub fn body(field: Option<&str>, kind: &'static str, msg: impl Into<String>) -> Self {
        let mut loc = vec![Value::from("body")];
        if let Some(f) = field {
            loc.push(Value::from(f));
        }
        FieldError { loc, msg: msg.into(), kind, ctx: None }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// Any 4xx with a plain message.
    Detail(StatusCode, Cow<'static, str>),
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(&'static str),
    /// 422 in pydantic's list shape.
    Validation(Vec<FieldError>),
    /// 429: a throttle said no; `Retry-After` in seconds.
    TooManyAttempts { retry_after: u64 },
    /// 503: the database is unreachable or the hashing queue is full.
    Unavailable { retry_after: Option<u64> },
    /// 500: logged with its cause, answered without it.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found(what: &'static str) -> Self {
        ApiError::Detail(StatusCode::NOT_FOUND, Cow::Borrowed(what))
    }
    pub fn bad_request(what: &'static str) -> Self {
        ApiError::Detail(StatusCode::BAD_REQUEST, Cow::Borrowed(what))
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

/// Database errors: connection-level trouble is the database being away (503, try again), anything
/// else is a bug (500). Unique violations are handled where they mean something (registration).
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable { retry_after: Some(1) }
            }
            sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable { retry_after: Some(1) }
            }
            _ => ApiError::Internal(format!("database error: {e}")),
        }
    }
}

/// SQLSTATEs that mean "the server is going away / not accepting work" rather than a bad query, and the
/// SQLite codes for a lock held past the busy timeout.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "57P01"
                | "57P02"
                | "57P03"
                | "57014"
                | "53300"
                | "08000"
                | "08003"
                | "08006"
                | "08001"
                | "08004"
                | "5"
                | "6"
                | "261"
                | "517"
        )
    )
}

pub const INTERNAL_ERROR: &str = "Internal server error";
pub const UNAVAILABLE: &str = "Service temporarily unavailable";

pub fn detail_response(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Detail(status, detail) => detail_response(status, &detail),
            ApiError::Unauthorized(detail) => {
                let mut res = detail_response(StatusCode::UNAUTHORIZED, detail);
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            ApiError::Validation(errors) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": errors }))).into_response()
            }
            ApiError::TooManyAttempts { retry_after } => {
                let retry_after = retry_after.max(1);
                let mut res = detail_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("Too many attempts. Try again in {retry_after} seconds."),
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                res
            }
            ApiError::Unavailable { retry_after } => {
                let mut res = detail_response(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
                if let Some(secs) = retry_after {
                    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                res
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                detail_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
            }
        }
    }
}
