//! /api/auth (seed: routes/auth.py): register, login, me — and, beyond the seed, logout, logout-all,
//! change-password and sign-in with a one-time email code (email-code, email-code/verify). Each handler
//! extracts, calls one flow (`crate::flows`), and says the flow's outcome in HTTP.

use axum::{extract::State, http::StatusCode, response::Response, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::ClientIp,
    error::ApiResult,
    flows::{account, email_code, sessions, sign_in, Device},
    http::{
        extract::{AnyUser, CurrentUser},
        responses::{sign_in_response, InvalidBody, NotSignedIn, TooManyAttempts, Unavailable},
        schemas::{
            ChangePasswordRequest, EmailCodeRequest, EmailCodeVerifyRequest, ErrorResponse, LoginRequest,
            LogoutAllResponse, MessageResponse, RegisterRequest, TokenResponse, TwoFactorRequiredResponse,
            UpdateMeRequest, UserResponse,
        },
        validate::Valid,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me, update_me))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(change_password))
        .routes(routes!(request_email_code))
        .routes(routes!(verify_email_code))
}

/// Create an account and sign it in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = TokenResponse),
        (status = 400, description = "Email already registered", body = ErrorResponse),
        InvalidBody,
        (status = 429, description = "Too many registrations from this client", body = ErrorResponse, headers(("Retry-After" = u64, description = "seconds"))),
        Unavailable,
    ))]
pub async fn register(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let signed_in = account::register(&state, &device, &body.email, &body.password, body.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse::from(signed_in))))
}

/// Sign in with email and password.
///
/// An unknown email and a wrong password get the same answer in the same time (one verification either way).
/// Throttled per (email, client), per client and per email.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid email or password", body = ErrorResponse),
        (status = 403, description = "Password right, and either two-factor is on (continue at /api/auth/login/2fa with the mfa_token) or the email is not verified yet (REQUIRE_VERIFIED_EMAIL=true: detail only)", body = TwoFactorRequiredResponse),
        InvalidBody,
        TooManyAttempts,
        Unavailable,
    ))]
pub async fn login(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<LoginRequest>,
) -> ApiResult<Response> {
    Ok(sign_in_response(sign_in::password(&state, &device, &body.email, &body.password).await?))
}

/// The signed-in user (lets a client check a stored token).
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserResponse),
        NotSignedIn,
    ))]
pub async fn me(AnyUser(current): AnyUser) -> Json<UserResponse> {
    Json(UserResponse::from(&current.user))
}

/// Change the signed-in user's name (`null` or `""` removes it).
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The user, renamed", body = UserResponse),
        NotSignedIn,
        InvalidBody,
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    current: CurrentUser,
    Valid(body): Valid<UpdateMeRequest>,
) -> ApiResult<Json<UserResponse>> {
    let user = account::rename(&state, &current.user.id, body.name.as_deref()).await?;
    Ok(Json(UserResponse::from(&user)))
}

/// Sign out: the token that makes this call stops working, here and on every other API process.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Token revoked"),
        NotSignedIn,
    ))]
pub async fn logout(State(state): State<AppState>, device: Device, AnyUser(current): AnyUser) -> ApiResult<StatusCode> {
    sessions::sign_out(&state, &device, &current.user, &current.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out everywhere: every token of this user, including the one making the call and tokens made
/// by the seed, stops working. The client should forget its token and sign in again.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every token revoked; sign in again", body = LogoutAllResponse),
        NotSignedIn,
    ))]
pub async fn logout_all(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
) -> ApiResult<Json<LogoutAllResponse>> {
    sessions::sign_out_everywhere(&state, &device, &current.user).await?;
    Ok(Json(LogoutAllResponse {
        message: "Signed out on every device. Sign in again to continue.",
        reauthenticate: true,
    }))
}

/// Change password: needs the current one; every other token of the user is revoked and a fresh token
/// is returned, so this client stays signed in.
#[utoipa::path(post, path = "/api/auth/change-password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Password changed; a fresh token", body = TokenResponse),
        (status = 400, description = "Current password is incorrect", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    device: Device,
    AnyUser(current): AnyUser,
    Valid(body): Valid<ChangePasswordRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let signed_in =
        account::change_password(&state, &device, &current.user.id, &body.current_password, &body.new_password).await?;
    Ok(Json(TokenResponse::from(signed_in)))
}

/// Ask for a one-time sign-in code by mail.
///
/// Always the same 202 after the same work: the throttle is counted for every address, and the look-up and
/// the mail are done after the answer, so neither the body nor the timing tells whether an account exists.
/// No mail is sent for an unknown address. The code has 6 digits, works once for 10 minutes, and a newer
/// request replaces it.
#[utoipa::path(post, path = "/api/auth/email-code", tag = "auth", request_body = EmailCodeRequest,
    responses(
        (status = 202, description = "If an account exists, a code is on its way", body = MessageResponse),
        InvalidBody,
        (status = 429, description = "Too many requests for this address or from this client", body = ErrorResponse, headers(("Retry-After" = u64, description = "seconds"))),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ))]
pub async fn request_email_code(
    State(state): State<AppState>,
    client: ClientIp,
    Valid(body): Valid<EmailCodeRequest>,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    email_code::request(&state, client, body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageResponse { message: "If an account exists for this address, a sign-in code is on its way." }),
    ))
}

/// Sign in with a mailed code.
///
/// A wrong, used, expired or replaced code answers 401 (as does an address without an account); a code is dead
/// after 5 wrong guesses. The code marks the email verified. An account with two-factor on gets the 403 of a
/// password sign-in, with the `mfa_token` for /api/auth/login/2fa. Guesses are throttled per address and per
/// client.
#[utoipa::path(post, path = "/api/auth/email-code/verify", tag = "auth", request_body = EmailCodeVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid or expired code", body = ErrorResponse),
        (status = 403, description = "Code right, and two-factor is on: continue at /api/auth/login/2fa with the mfa_token", body = TwoFactorRequiredResponse),
        InvalidBody,
        TooManyAttempts,
        Unavailable,
    ))]
pub async fn verify_email_code(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<EmailCodeVerifyRequest>,
) -> ApiResult<Response> {
    Ok(sign_in_response(email_code::verify(&state, &device, &body.email, &body.code).await?))
}
