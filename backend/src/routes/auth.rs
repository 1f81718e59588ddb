//! /api/auth (seed: routes/auth.py): register, login, me — and, beyond the seed, logout, logout-all and
//! change-password.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{InvalidBody, NotSignedIn, TooManyAttempts, Unavailable};
use crate::{
    auth::{
        policy::Owner,
        throttle::{self, OnSuccess},
        ClientIp,
    },
    db::{NewUser, Ts},
    error::{ApiError, ApiResult},
    extract::{CurrentUser, Device},
    mail::Purpose,
    routes::account,
    routes::sessions,
    schemas::{
        ChangePasswordRequest, ErrorResponse, LoginRequest, LogoutAllResponse, RegisterRequest, TokenResponse,
        UserResponse,
    },
    state::AppState,
    validate::Valid,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(change_password))
}

/// Signs a user in: a new session (see routes/sessions.rs) and a token that carries it. Every sign-in path
/// (login, register, change-password, login/2fa) ends here.
pub(crate) async fn token_response(
    state: &AppState,
    device: &Device,
    user: UserResponse,
    token_version: i32,
) -> ApiResult<TokenResponse> {
    let session_id = sessions::start(state, device, &user.id, token_version).await?;
    let access_token =
        state.tokens.issue(&user.id, &user.email, token_version, &session_id).map_err(ApiError::internal)?;
    Ok(TokenResponse { access_token, token_type: "bearer", user, password_change_suggested: None })
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
    client: ClientIp,
    device: Device,
    Valid(body): Valid<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let limits = &state.settings.rate_limits;
    // Capacity first (refused without a write), then the registration counted before the work.
    let permit = state.hasher.admit()?;
    let attempt = state.reserve(&[(throttle::registrations_per_client(limits, client), OnSuccess::Keep)]).await?;
    attempt.failed(); // every registration counts, whatever its outcome

    let owner = Owner { email: &body.email, name: body.name.as_deref() };
    let hashed = state.passwords.new_hash(Some(permit), "password", &body.password, owner).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let verification = account::token_mail(&state, &id, Purpose::Verify, &body.email, Vec::new());
    match state.db.create_user(&id, &body.email, &hashed, body.name.as_deref(), Ts::now(), &verification).await? {
        NewUser::Created(user) => {
            tracing::info!(user_id = %user.id, "user registered");
            let response = token_response(&state, &device, UserResponse::from(&user), user.token_version).await?;
            Ok((StatusCode::CREATED, Json(response)))
        }
        NewUser::EmailTaken => Err(ApiError::bad_request("Email already registered")),
    }
}

/// Sign in with email and password.
///
/// An unknown email and a wrong password get the same answer in the same time (one bcrypt
/// verification either way). Throttled per (email, client), per client and per email.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid email or password", body = ErrorResponse),
        (status = 403, description = "Password right, and either two-factor is on (continue at /api/auth/login/2fa with the mfa_token) or the email is not verified yet (REQUIRE_VERIFIED_EMAIL=true: detail only)", body = crate::routes::two_factor::TwoFactorRequiredResponse),
        InvalidBody,
        TooManyAttempts,
        Unavailable,
    ))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientIp,
    device: Device,
    Valid(body): Valid<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let limits = &state.settings.rate_limits;
    // Decided before any database write or bcrypt work: a flood beyond the hashing capacity is refused
    // by an atomic counter, and a throttled one by one statement.
    let account_client = format!("{}|{client}", body.email);
    let permit = state.hasher.admit_for(&account_client)?;
    let attempt = state
        .reserve(&[
            (throttle::logins_per_email(limits, &body.email), OnSuccess::Keep),
            (throttle::failures_per_email_client(limits, &body.email, client), OnSuccess::Clear),
            (throttle::failures_per_client(limits, client), OnSuccess::Release),
        ])
        .await?;

    let user = state.db.user_by_email(&body.email).await?;
    let verified = match &user {
        Some(user) => state.hasher.verify_with(permit, &body.password, &user.hashed_password).await?,
        None => {
            state.hasher.verify_dummy_with(permit, &body.password).await?;
            false
        }
    };
    match user {
        Some(user) if verified => {
            attempt.succeeded().await?;
            state.hasher.remember(&account_client);
            let suggest_change = state.passwords.signed_in(&state.db, &user, &body.password).await;
            if state.settings.mail.require_verified_email && user.email_verified_at.is_none() {
                return Err(ApiError::Detail(StatusCode::FORBIDDEN, "Please verify your email address first".into()));
            }
            if user.two_factor_enabled {
                let mfa_token = super::two_factor::start_challenge(&state, &user).await?;
                return Err(ApiError::TwoFactorRequired { mfa_token });
            }
            let response = token_response(&state, &device, UserResponse::from(&user), user.token_version).await?;
            Ok(Json(TokenResponse { password_change_suggested: suggest_change.then_some(true), ..response }))
        }
        _ => {
            attempt.failed();
            Err(ApiError::Unauthorized("Invalid email or password"))
        }
    }
}

/// The signed-in user (lets a client check a stored token).
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserResponse),
        NotSignedIn,
    ))]
pub async fn me(current: CurrentUser) -> Json<UserResponse> {
    Json(UserResponse::from(&current.user))
}

/// Sign out: the token that makes this call stops working, here and on every other API process.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Token revoked"),
        NotSignedIn,
    ))]
pub async fn logout(State(state): State<AppState>, current: CurrentUser) -> ApiResult<StatusCode> {
    // A token with a session stops working when its session is deleted (the current-user check reads the
    // session, not `revoked_tokens`); the revocation is recorded too, and is what stops a seed-made token.
    if let Some(session_id) = &current.token.session_id {
        state.db.delete_session(session_id).await?;
    }
    let expires_at = Ts::from_unix(current.token.expires_at);
    state.db.revoke_token(&current.token.token_id, &current.user.id, expires_at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out everywhere: every token of this user, including the one making the call and tokens made
/// by the seed, stops working. The client should forget its token and sign in again.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every token revoked; sign in again", body = LogoutAllResponse),
        NotSignedIn,
    ))]
pub async fn logout_all(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<LogoutAllResponse>> {
    state.db.bump_token_version(&current.user.id).await?;
    tracing::info!(user_id = %current.user.id, "signed out everywhere");
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
    client: ClientIp,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<ChangePasswordRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let limits = &state.settings.rate_limits;
    let email = current.user.email.to_lowercase();
    let permit = state.hasher.admit()?;
    let attempt = state
        .reserve(&[
            (throttle::failures_per_email_client(limits, &email, client), OnSuccess::Clear),
            (throttle::failures_per_client(limits, client), OnSuccess::Release),
            (throttle::password_failures_per_account(limits, &current.user.id), OnSuccess::Release),
        ])
        .await?;

    let user = state.db.user_by_id(&current.user.id).await?.ok_or(ApiError::Unauthorized("User not found"))?;
    if !state.hasher.verify_with(permit, &body.current_password, &user.hashed_password).await? {
        attempt.failed();
        return Err(ApiError::bad_request("Current password is incorrect"));
    }
    attempt.succeeded().await?;
    let owner = Owner { email: &user.email, name: user.name.as_deref() };
    let hashed = state.passwords.new_hash(None, "new_password", &body.new_password, owner).await?;
    let version = state.db.set_password(&user.id, &hashed, Ts::now()).await?;
    tracing::info!(user_id = %user.id, "password changed; other sessions revoked");
    Ok(Json(token_response(&state, &device, UserResponse::from(&user), version).await?))
}
