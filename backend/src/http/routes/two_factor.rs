//! Two-factor sign-in under /api/auth (TOTP, RFC 6238, and recovery codes): `2fa/setup`, `2fa/enable`,
//! `2fa/disable` for the signed-in user, and `login/2fa`, the second step of a sign-in that
//! `POST /api/auth/login` answered with 403 and an `mfa_token`. The flows are `crate::flows::two_factor`.

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::ClientIp,
    error::ApiResult,
    flows::{two_factor, Device},
    http::{
        extract::CurrentUser,
        responses::{InvalidBody, NotSignedIn, TooManyAttempts},
        schemas::{
            ErrorResponse, RecoveryCodesRequest, RecoveryCodesResponse, TokenResponse, TwoFactorDisableRequest,
            TwoFactorEnableRequest, TwoFactorLoginRequest, TwoFactorSetupRequest, TwoFactorSetupResponse,
            TwoFactorStatusResponse,
        },
        validate::Valid,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(setup))
        .routes(routes!(recovery_codes))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(login_2fa))
}

/// Where two-factor sign-in stands for the signed-in user: on or off, and recovery codes left.
#[utoipa::path(get, path = "/api/auth/2fa", tag = "two-factor", security(("bearer" = [])),
    responses(
        (status = 200, description = "On or off, and recovery codes left", body = TwoFactorStatusResponse),
        NotSignedIn,
    ))]
pub async fn status(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<TwoFactorStatusResponse>> {
    let (enabled, recovery_codes_left) = two_factor::status(&state, &current.user).await?;
    Ok(Json(TwoFactorStatusResponse { enabled, recovery_codes_left }))
}

/// Ten new recovery codes: the old ones stop working. Needs the password and a current code (or an unused
/// recovery code); a notice is mailed.
#[utoipa::path(post, path = "/api/auth/2fa/recovery-codes", tag = "two-factor", security(("bearer" = [])),
    request_body = RecoveryCodesRequest,
    responses(
        (status = 200, description = "The new recovery codes, shown this once", body = RecoveryCodesResponse),
        (status = 400, description = "Current password is incorrect, invalid two-factor code, or two-factor is not on", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn recovery_codes(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<RecoveryCodesRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let recovery_codes =
        two_factor::new_recovery_codes(&state, &device, &current.user, &body.current_password, &body.code).await?;
    Ok(Json(RecoveryCodesResponse { recovery_codes }))
}

/// Start turning two-factor on: a fresh secret and its `otpauth://` URL. Nothing changes for sign-in
/// until `2fa/enable` receives a valid code for it; calling this again replaces the pending secret.
#[utoipa::path(post, path = "/api/auth/2fa/setup", tag = "two-factor", security(("bearer" = [])),
    request_body = TwoFactorSetupRequest,
    responses(
        (status = 200, description = "A new secret, not active yet", body = TwoFactorSetupResponse),
        (status = 400, description = "Current password is incorrect, or two-factor is already on", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn setup(
    State(state): State<AppState>,
    client: ClientIp,
    current: CurrentUser,
    Valid(body): Valid<TwoFactorSetupRequest>,
) -> ApiResult<Json<TwoFactorSetupResponse>> {
    let pending = two_factor::setup(&state, client, &current.user.id, &body.current_password).await?;
    Ok(Json(TwoFactorSetupResponse { secret: pending.secret, otpauth_url: pending.otpauth_url }))
}

/// Turn two-factor on with a code for the secret from `2fa/setup`; answers ten recovery codes, once.
#[utoipa::path(post, path = "/api/auth/2fa/enable", tag = "two-factor", security(("bearer" = [])),
    request_body = TwoFactorEnableRequest,
    responses(
        (status = 200, description = "Two-factor is on; the recovery codes, shown this once", body = RecoveryCodesResponse),
        (status = 400, description = "Invalid two-factor code, no setup started, or already on", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn enable(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<TwoFactorEnableRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let recovery_codes = two_factor::enable(&state, &device, &current.user, &body.code).await?;
    Ok(Json(RecoveryCodesResponse { recovery_codes }))
}

/// Turn two-factor off: needs the password and a current code (or an unused recovery code).
#[utoipa::path(post, path = "/api/auth/2fa/disable", tag = "two-factor", security(("bearer" = [])),
    request_body = TwoFactorDisableRequest,
    responses(
        (status = 204, description = "Two-factor is off; secret and recovery codes deleted"),
        (status = 400, description = "Current password is incorrect, invalid two-factor code, or two-factor is not on", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn disable(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<TwoFactorDisableRequest>,
) -> ApiResult<StatusCode> {
    two_factor::disable(&state, &device, &current.user, &body.current_password, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Second step of a sign-in: the `mfa_token` from the login's 403 and a current code (or an unused
/// recovery code) -> the token, as a login without two-factor answers it.
#[utoipa::path(post, path = "/api/auth/login/2fa", tag = "two-factor", request_body = TwoFactorLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid two-factor code, or an unknown, expired or used mfa_token", body = ErrorResponse),
        InvalidBody,
        TooManyAttempts,
    ))]
pub async fn login_2fa(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<TwoFactorLoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let signed_in = two_factor::complete_sign_in(&state, &device, &body.mfa_token, &body.code).await?;
    Ok(Json(TokenResponse::from(signed_in)))
}
