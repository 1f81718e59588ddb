//! Two-factor sign-in under /api/auth (TOTP, RFC 6238, and recovery codes): `2fa/setup`, `2fa/enable`,
//! `2fa/disable` for the signed-in user, and `login/2fa`, the second step of a sign-in that
//! `POST /api/auth/login` answered with 403 and an `mfa_token`.
//!
//! What makes it hold: the secret is encrypted at rest (crypto.rs); nothing is active until `enable`
//! receives a valid code; a TOTP step and a recovery code are each spent by one conditional UPDATE, so a
//! replayed or raced code is refused; the `mfa_token` is random, stored only as a hash, expires after 5
//! minutes, is voided by a password change or "sign out everywhere" (it carries the user's token
//! version) and is spent by the sign-in it completes; wrong codes are throttled per user and per client.

use axum::{extract::State, http::StatusCode, Json};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{InvalidBody, NotSignedIn, TooManyAttempts};
use crate::{
    auth::{
        throttle::{self, Limit, OnSuccess},
        totp, ClientIp,
    },
    db::{Ts, User},
    error::{ApiError, ApiResult},
    extract::CurrentUser,
    mail::{
        templates::{render, Kind},
        Mail,
    },
    schemas::{ErrorResponse, TokenResponse, UserResponse},
    state::AppState,
    validate::{Fields, FromJson, Text, Valid},
};

use super::auth::token_response;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(login_2fa))
}

/// The name authenticator apps show above the code.
const ISSUER: &str = "Todo";
/// How long an `mfa_token` stays usable.
const CHALLENGE_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

const INVALID_CODE: &str = "Invalid two-factor code";
const CHALLENGE_EXPIRED: &str = "Two-factor sign-in has expired or was already used; sign in again";

const ANY_PASSWORD: Text = Text { min: 0, max: 4096, strip: false };
const CODE: Text = Text { min: 1, max: 64, strip: true };
const MFA_TOKEN: Text = Text { min: 1, max: 256, strip: true };

// ---------- bodies ----------

#[derive(Debug, ToSchema)]
pub struct TwoFactorSetupRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
}

impl FromJson for TwoFactorSetupRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(TwoFactorSetupRequest { current_password: f.required("current_password", ANY_PASSWORD)? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetupResponse {
    /// The new secret, base32 (for typing into an authenticator app).
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The same secret as a key URI, what the QR code holds.
    #[schema(
        example = "otpauth://totp/Todo:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Todo&algorithm=SHA1&digits=6&period=30"
    )]
    pub otpauth_url: String,
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorEnableRequest {
    /// The 6-digit code the authenticator app shows for the new secret.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "123456")]
    pub code: String,
}

impl FromJson for TwoFactorEnableRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(TwoFactorEnableRequest { code: f.required("code", CODE)? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten single-use codes, shown this once (only their hashes are kept).
    #[schema(example = json!(["abcd-efgh-ijkl-mnop"]))]
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorDisableRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
    /// A current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub code: String,
}

impl FromJson for TwoFactorDisableRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current_password = f.required("current_password", ANY_PASSWORD);
        let code = f.required("code", CODE);
        Some(TwoFactorDisableRequest { current_password: current_password?, code: code? })
    }
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorLoginRequest {
    /// From the 403 of POST /api/auth/login.
    #[schema(min_length = 1, max_length = 256, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub mfa_token: String,
    /// A current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "123456")]
    pub code: String,
}

impl FromJson for TwoFactorLoginRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let mfa_token = f.required("mfa_token", MFA_TOKEN);
        let code = f.required("code", CODE);
        Some(TwoFactorLoginRequest { mfa_token: mfa_token?, code: code? })
    }
}

/// The 403 of a login whose user has two-factor on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorRequiredResponse {
    #[schema(example = "Two-factor code required")]
    pub detail: String,
    /// Opaque, valid 5 minutes, single use: send it with the code to POST /api/auth/login/2fa.
    pub mfa_token: String,
}

// ---------- throttling ----------

/// Wrong codes per user (whichever client sends them).
fn code_failures_per_user(state: &AppState, user_id: &str) -> Limit {
    Limit { key: format!("fail:2fa:user:{user_id}"), max: state.settings.rate_limits.login_failures_per_email_client }
}

/// The one place this module meets the throttle: reserves one attempt against each of `limits`
/// (refusing with the sign-in 429 when any is used up, atomically: see [`Attempt`]), then runs `attempt`.
/// A success (`Ok(Ok(_))`) releases the reservations (these limits count failures only; the (email,
/// client) pair of a password check is cleared, as a login clears it); a refusal (`Ok(Err(_))`: a wrong
/// password or code) and any error keep them counted.
async fn throttled<T>(
    state: &AppState,
    limits: &[Limit],
    attempt: impl std::future::Future<Output = ApiResult<Result<T, ApiError>>>,
) -> ApiResult<T> {
    let reserved: Vec<(Limit, OnSuccess)> = limits
        .iter()
        .map(|l| {
            let on = if l.key.starts_with("fail:email+client:") { OnSuccess::Clear } else { OnSuccess::Release };
            (l.clone(), on)
        })
        .collect();
    let reservation = state.reserve(&reserved).await?;
    match attempt.await? {
        Ok(value) => {
            reservation.succeeded().await?;
            Ok(value)
        }
        Err(refusal) => {
            reservation.failed();
            Err(refusal)
        }
    }
}

/// The limits of a current-password check: change-password's (the login pair, the client, the account).
fn password_limits(state: &AppState, user: &User, client: ClientIp) -> Vec<Limit> {
    let limits = &state.settings.rate_limits;
    let email = user.email.to_lowercase();
    vec![
        throttle::failures_per_email_client(limits, &email, client),
        throttle::failures_per_client(limits, client),
        throttle::password_failures_per_account(limits, &user.id),
    ]
}

/// The limits of a second-factor check: per user, and per client (shared with failed logins).
fn code_limits(state: &AppState, user_id: &str, client: ClientIp) -> Vec<Limit> {
    vec![code_failures_per_user(state, user_id), throttle::failures_per_client(&state.settings.rate_limits, client)]
}

// ---------- the factor itself ----------

fn now_step(state: &AppState) -> i64 {
    totp::step_at(state.clock.now().0.and_utc().timestamp())
}

/// Reads an encrypted secret of `user_id`. A value that does not decrypt (wrong DATA_ENCRYPTION_KEY) is
/// a server fault: logged, answered 500.
fn decrypt_secret(state: &AppState, user_id: &str, stored: &str) -> ApiResult<Vec<u8>> {
    state
        .cipher
        .decrypt(user_id, stored)
        .map_err(|e| ApiError::internal(format!("two-factor secret of {user_id}: {e}")))
}

/// Checks and spends a second factor: a 6-digit code (its time step recorded, so it works once) or a
/// recovery code (marked used). `false`: wrong, replayed or already spent.
async fn spend_second_factor(state: &AppState, user_id: &str, code: &str) -> ApiResult<bool> {
    let code = totp::normalize(code);
    if !totp::is_totp_shaped(&code) {
        let hash = totp::recovery_code_hash(&code);
        return Ok(state.db.use_recovery_code(user_id, &hash, state.clock.now()).await?);
    }
    let Some(stored) = state.db.two_factor_row(user_id).await?.and_then(|row| row.secret) else {
        return Ok(false);
    };
    let secret = decrypt_secret(state, user_id, &stored)?;
    if state.cipher.needs_rewrap(&stored) {
        let rewrapped = state.cipher.encrypt(user_id, &secret);
        state.db.rewrap_two_factor_secret(user_id, &stored, &rewrapped).await?;
    }
    match totp::matching_step(&secret, &code, now_step(state)) {
        Some(step) => Ok(state.db.use_totp_step(user_id, step).await?),
        None => Ok(false),
    }
}

/// The signed-in user's full row (the extractor's carries no password hash).
/// The mail that tells the account's address two-factor was turned on or off.
fn two_factor_notice(email: &str, enabled: bool) -> Mail {
    Mail { recipient: email.to_owned(), content: render(&Kind::TwoFactor { email, enabled }), link: None }
}

async fn full_user(state: &AppState, current: &CurrentUser) -> ApiResult<User> {
    state.db.user_by_id(&current.user.id).await?.ok_or(ApiError::Unauthorized("User not found"))
}

/// Starts the second step of a sign-in whose password was right: a random token, of which only a hash is
/// kept, bound to the user's current token version.
pub(crate) async fn start_challenge(state: &AppState, user: &User) -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let expires_at = state.clock.now().plus(CHALLENGE_TTL);
    state.db.create_mfa_challenge(&token_hash(&token), &user.id, user.token_version, expires_at).await?;
    Ok(token)
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

// ---------- routes ----------

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
    let user = full_user(&state, &current).await?;
    throttled(&state, &password_limits(&state, &user, client), async {
        let right = state.hasher.verify(&body.current_password, &user.hashed_password).await?;
        Ok(if right { Ok(()) } else { Err(ApiError::bad_request("Current password is incorrect")) })
    })
    .await?;
    if user.two_factor_enabled {
        return Err(ApiError::bad_request("Two-factor authentication is already enabled"));
    }
    let secret = totp::new_secret();
    state.db.set_pending_two_factor(&user.id, &state.cipher.encrypt(&user.id, &secret), Ts::now()).await?;
    Ok(Json(TwoFactorSetupResponse {
        secret: totp::secret_base32(&secret),
        otpauth_url: totp::otpauth_url(ISSUER, &user.email, &secret),
    }))
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
    client: ClientIp,
    current: CurrentUser,
    Valid(body): Valid<TwoFactorEnableRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let user_id = current.user.id.as_str();
    if current.user.two_factor_enabled {
        return Err(ApiError::bad_request("Two-factor authentication is already enabled"));
    }
    let Some(pending) = state.db.two_factor_row(user_id).await?.and_then(|row| row.pending_secret) else {
        return Err(ApiError::bad_request("Start two-factor setup first"));
    };
    let secret = decrypt_secret(&state, user_id, &pending)?;
    let step = throttled(&state, &code_limits(&state, user_id, client), async {
        let code = totp::normalize(&body.code);
        Ok(totp::matching_step(&secret, &code, now_step(&state)).ok_or(ApiError::bad_request(INVALID_CODE)))
    })
    .await?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let notice = two_factor_notice(&current.user.email, true);
    if !state.db.enable_two_factor(user_id, &pending, step, &hashes, &notice, state.clock.now()).await? {
        // Another setup or enable got there first.
        return Err(ApiError::bad_request("Two-factor setup changed meanwhile; start again"));
    }
    tracing::info!(user_id, "two-factor enabled");
    Ok(Json(RecoveryCodesResponse { recovery_codes: codes }))
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
    client: ClientIp,
    current: CurrentUser,
    Valid(body): Valid<TwoFactorDisableRequest>,
) -> ApiResult<StatusCode> {
    let user = full_user(&state, &current).await?;
    if !user.two_factor_enabled {
        return Err(ApiError::bad_request("Two-factor authentication is not enabled"));
    }
    let mut limits = password_limits(&state, &user, client);
    limits.push(code_failures_per_user(&state, &user.id));
    throttled(&state, &limits, async {
        if !state.hasher.verify(&body.current_password, &user.hashed_password).await? {
            return Ok(Err(ApiError::bad_request("Current password is incorrect")));
        }
        let spent = spend_second_factor(&state, &user.id, &body.code).await?;
        Ok(if spent { Ok(()) } else { Err(ApiError::bad_request(INVALID_CODE)) })
    })
    .await?;
    state.db.disable_two_factor(&user.id, &two_factor_notice(&user.email, false), state.clock.now()).await?;
    tracing::info!(user_id = %user.id, "two-factor disabled");
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
    device: crate::extract::Device,
    Valid(body): Valid<TwoFactorLoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let hash = token_hash(&body.mfa_token);
    let expired = || ApiError::Unauthorized(CHALLENGE_EXPIRED);
    let challenge = state.db.mfa_challenge(&hash, state.clock.now()).await?.ok_or_else(expired)?;
    let user = state.db.user_by_id(&challenge.user_id).await?.ok_or_else(expired)?;
    // Bound to the password check: a password change or "sign out everywhere" since then voids it.
    if user.token_version != challenge.token_version || !user.two_factor_enabled {
        return Err(expired());
    }
    throttled(&state, &code_limits(&state, &user.id, device.ip), async {
        let spent = spend_second_factor(&state, &user.id, &body.code).await?;
        Ok(if spent { Ok(()) } else { Err(ApiError::Unauthorized(INVALID_CODE)) })
    })
    .await?;
    if !state.db.consume_mfa_challenge(&hash, state.clock.now()).await? {
        return Err(expired());
    }
    Ok(Json(token_response(&state, &device, UserResponse::from(&user), user.token_version).await?))
}
