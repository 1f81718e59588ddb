//! The answers many routes share, written once for the OpenAPI document: a route lists them by name in its
//! `#[utoipa::path(responses(…))]` beside its own, e.g. `responses((status = 200, …), NotSignedIn, InvalidBody)`.
//! What a route answers only itself stays a tuple in its own annotation. The types are never built: their one
//! field names the body's schema.
#![allow(dead_code)]

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use utoipa::IntoResponses;

use crate::{
    error::ApiError,
    flows::sign_in::SignInOutcome,
    http::{
        extract::VERIFY_FIRST,
        schemas::{ErrorResponse, TokenResponse, TwoFactorRequiredResponse, ValidationErrorResponse},
    },
};

/// A sign-in's outcome in HTTP: the token (200), or the 403 that says what is still missing.
pub fn sign_in_response(outcome: SignInOutcome) -> Response {
    match outcome {
        SignInOutcome::SignedIn(signed_in) => Json(TokenResponse::from(signed_in)).into_response(),
        SignInOutcome::SecondFactorRequired { mfa_token } => {
            (StatusCode::FORBIDDEN, Json(TwoFactorRequiredResponse::new(mfa_token))).into_response()
        }
        SignInOutcome::Unverified => ApiError::Detail(StatusCode::FORBIDDEN, VERIFY_FIRST.into()).into_response(),
    }
}

/// 401: the credential is missing or no longer good.
#[derive(IntoResponses)]
#[response(status = 401, description = "Missing, invalid, expired or revoked token, or an ended session")]
pub struct NotSignedIn(ErrorResponse);

/// 422: the body breaks the request schema's rules (FastAPI's list of problems).
#[derive(IntoResponses)]
#[response(status = 422, description = "Invalid body")]
pub struct InvalidBody(ValidationErrorResponse);

/// 429: a throttle of this flow is full.
#[derive(IntoResponses)]
#[response(status = 429, description = "Too many attempts", headers(("Retry-After" = u64, description = "seconds")))]
pub struct TooManyAttempts(ErrorResponse);

/// 503: the database is away or the hashing pool is full.
#[derive(IntoResponses)]
#[response(status = 503, description = "Database or hashing capacity unavailable", headers(("Retry-After" = u64, description = "seconds")))]
pub struct Unavailable(ErrorResponse);

/// 404: the task id names no task of the signed-in user.
#[derive(IntoResponses)]
#[response(status = 404, description = "No such task of this user")]
pub struct TaskNotFound(ErrorResponse);
