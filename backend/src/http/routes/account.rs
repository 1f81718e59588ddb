//! /api/auth, account recovery and verified email: forgot-password, reset-password, verify-email,
//! resend-verification and change-email. The flows are `crate::flows::recovery`.

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::ClientIp,
    error::ApiResult,
    flows::{recovery, Device},
    http::{
        extract::AnyUser,
        responses::{InvalidBody, NotSignedIn, TooManyAttempts, Unavailable},
        schemas::{
            ChangeEmailRequest, ErrorResponse, ForgotPasswordRequest, LinkTokenRequest, MessageResponse,
            ResetCheckResponse, ResetPasswordRequest, UserResponse, ValidationErrorResponse,
        },
        validate::Valid,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(check_reset_link))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(change_email))
}

type Accepted = (StatusCode, Json<MessageResponse>);

fn accepted(message: &'static str) -> Accepted {
    (StatusCode::ACCEPTED, Json(MessageResponse { message }))
}

/// Ask for a password reset link.
///
/// Always the same 202 after the same work: the throttle is counted for every address, and the look-up and
/// the mail are done after the answer, so neither the body nor the timing tells whether an account exists.
/// No mail is sent for an unknown address.
#[utoipa::path(post, path = "/api/auth/forgot-password", tag = "auth", request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "If an account exists, a link is on its way", body = MessageResponse),
        InvalidBody,
        (status = 429, description = "Too many requests for this address or from this client", body = ErrorResponse, headers(("Retry-After" = u64, description = "seconds"))),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ))]
pub async fn forgot_password(
    State(state): State<AppState>,
    client: ClientIp,
    Valid(body): Valid<ForgotPasswordRequest>,
) -> ApiResult<Accepted> {
    recovery::forgot_password(&state, client, body.email).await?;
    Ok(accepted("If an account exists for this address, a link to reset its password is on its way."))
}

/// Set a new password with the token of a reset link.
///
/// The link works once; every token of the user is revoked, the email counts as verified, and a notice is
/// mailed. Nobody is signed in.
#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password changed; sign in with it", body = MessageResponse),
        (status = 400, description = "This reset link is invalid or has expired", body = ErrorResponse),
        (status = 422, description = "Invalid body (including a new password breaking the rules)", body = ValidationErrorResponse),
        Unavailable,
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<ResetPasswordRequest>,
) -> ApiResult<Json<MessageResponse>> {
    recovery::reset_password(&state, &device, &body.token, &body.new_password).await?;
    Ok(Json(MessageResponse { message: "Your password has been changed. Sign in with your new password." }))
}

/// Whether a reset link still works, without using it: the page checks its link when it opens.
#[utoipa::path(post, path = "/api/auth/reset-password/check", tag = "auth", request_body = LinkTokenRequest,
    responses(
        (status = 200, description = "The link works; the address it resets", body = ResetCheckResponse),
        (status = 400, description = "This reset link is invalid or has expired", body = ErrorResponse),
        InvalidBody,
        Unavailable,
    ))]
pub async fn check_reset_link(
    State(state): State<AppState>,
    Valid(body): Valid<LinkTokenRequest>,
) -> ApiResult<Json<ResetCheckResponse>> {
    Ok(Json(ResetCheckResponse { email: recovery::check_reset_link(&state, &body.token).await? }))
}

/// Confirm an email address (after registration, or a change) with the token of a mailed link.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", request_body = LinkTokenRequest,
    responses(
        (status = 200, description = "Verified; for a change, the account now has the new address", body = UserResponse),
        (status = 400, description = "This verification link is invalid or has expired; or (for a change) Email already registered", body = ErrorResponse),
        InvalidBody,
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<LinkTokenRequest>,
) -> ApiResult<Json<UserResponse>> {
    let user = recovery::verify_email(&state, &device, &body.token).await?;
    Ok(Json(UserResponse::from(&user)))
}

/// Send the verification link again (the previous one stops working).
#[utoipa::path(post, path = "/api/auth/resend-verification", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way", body = MessageResponse),
        (status = 400, description = "Email already verified", body = ErrorResponse),
        NotSignedIn,
        (status = 429, description = "Too many requests", body = ErrorResponse, headers(("Retry-After" = u64, description = "seconds"))),
    ))]
pub async fn resend_verification(State(state): State<AppState>, AnyUser(current): AnyUser) -> ApiResult<Accepted> {
    recovery::resend_verification(&state, &current.user).await?;
    Ok(accepted("A new verification link is on its way."))
}

/// Change the account's email: a link goes to the new address, a notice to the old one; the email changes
/// only when the link is used (verify-email).
#[utoipa::path(post, path = "/api/auth/change-email", tag = "auth", security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, description = "A link is on its way to the new address", body = MessageResponse),
        (status = 400, description = "Current password is incorrect, or Email already registered", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn change_email(
    State(state): State<AppState>,
    device: Device,
    AnyUser(current): AnyUser,
    Valid(body): Valid<ChangeEmailRequest>,
) -> ApiResult<Accepted> {
    recovery::change_email(&state, &device, &current.user, &body.current_password, &body.new_email).await?;
    Ok(accepted("A link to confirm the new address is on its way. Your email changes when it is opened."))
}
