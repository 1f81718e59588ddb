//! Passkeys (WebAuthn), under /api/auth/passkeys (the ceremonies' rules are `crate::flows::passkeys`):
//!
//! - `POST /register/start` (signed in, with a fresh proof) → `{ceremony_id, options}`; the browser passes
//!   `options` to `navigator.credentials.create()` (or @simplewebauthn/browser's `startRegistration`);
//! - `POST /register/finish` (signed in) `{ceremony_id, name?, credential}` → the new passkey;
//! - `POST /login/start` (no sign-in) → `{ceremony_id, options}` for `navigator.credentials.get()`, with a
//!   button or with conditional mediation (passkey autofill on the email field);
//! - `POST /login/finish` `{ceremony_id, credential}` → the TokenResponse of any sign-in (in cookie mode the
//!   session cookie, written by `http::web_session`);
//! - `GET /api/auth/passkeys`, `PATCH` and `DELETE /api/auth/passkeys/{passkey_id}` (signed in).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::ClientIp,
    clock::Ts,
    db::passkeys::PasskeyRow,
    error::{ApiError, ApiResult},
    flows::{
        passkeys::{self, Started},
        Device,
    },
    http::{
        extract::CurrentUser,
        responses::{sign_in_response, InvalidBody, NotSignedIn, TooManyAttempts},
        schemas::{
            ErrorResponse, PasskeyLoginFinishRequest, PasskeyRegisterFinishRequest, PasskeyRegisterStartRequest,
            PasskeyRenameRequest, TokenResponse,
        },
        validate::Valid,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_start))
        .routes(routes!(register_finish))
        .routes(routes!(login_start))
        .routes(routes!(login_finish))
        .routes(routes!(list))
        .routes(routes!(rename, remove))
}

/// A started ceremony.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyCeremonyResponse {
    /// Send it back with the authenticator's answer (single use, valid 5 minutes).
    pub ceremony_id: String,
    /// WebAuthn's `PublicKeyCredentialCreationOptions` (registration) or `PublicKeyCredentialRequestOptions`
    /// (sign-in) in their JSON form (binary values base64url): @simplewebauthn/browser's `optionsJSON`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

impl From<Started> for PasskeyCeremonyResponse {
    fn from(s: Started) -> Self {
        PasskeyCeremonyResponse { ceremony_id: s.ceremony_id, options: s.options }
    }
}

/// A passkey of the account (never its key).
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyResponse {
    /// For `PATCH`/`DELETE /api/auth/passkeys/{passkey_id}`.
    pub id: String,
    #[schema(example = "Chrome on Linux")]
    pub name: String,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.829173Z")]
    pub created_at: Ts,
    /// Null until it first signs in.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub last_used_at: Option<Ts>,
    /// The authenticator says the passkey is backed up (synced), as of its last use.
    pub backed_up: bool,
}

impl From<PasskeyRow> for PasskeyResponse {
    fn from(r: PasskeyRow) -> Self {
        PasskeyResponse {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            backed_up: r.backed_up,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeysResponse {
    /// Oldest first.
    pub passkeys: Vec<PasskeyResponse>,
}

/// Start adding a passkey to the signed-in account: needs the current password (an account without one: a
/// sign-in at most 10 minutes old). Answers the options for `navigator.credentials.create()`: a discoverable
/// credential, user verification required, attestation "none", the account's passkeys excluded.
#[utoipa::path(post, path = "/api/auth/passkeys/register/start", tag = "passkeys", security(("bearer" = [])),
    request_body = PasskeyRegisterStartRequest,
    responses(
        (status = 200, description = "Pass options to the authenticator", body = PasskeyCeremonyResponse),
        (status = 400, description = "Current password is incorrect, or the account has 20 passkeys", body = ErrorResponse),
        NotSignedIn,
        (status = 403, description = "An account without a password signed in more than 10 minutes ago: Sign in again to add a passkey", body = ErrorResponse),
        InvalidBody,
        TooManyAttempts,
        (status = 503, description = "Passkeys are not available on this server (no WEBAUTHN origin fits the RP id)", body = ErrorResponse),
    ))]
pub async fn register_start(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<PasskeyRegisterStartRequest>,
) -> ApiResult<Json<PasskeyCeremonyResponse>> {
    let session_id = current.token.session_id.as_deref();
    let started =
        passkeys::start_registration(&state, &device, &current.user, body.current_password.as_deref(), session_id)
            .await?;
    Ok(Json(started.into()))
}

/// Finish adding a passkey: the authenticator's answer to the options of `register/start`. A notice is mailed.
#[utoipa::path(post, path = "/api/auth/passkeys/register/finish", tag = "passkeys", security(("bearer" = [])),
    request_body = PasskeyRegisterFinishRequest,
    responses(
        (status = 201, description = "Added", body = PasskeyResponse),
        (status = 400, description = "The ceremony expired, was used or is another account's; the answer did not verify; the passkey is registered already; or the account has 20 passkeys by then", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        (status = 503, description = "Passkeys are not available on this server", body = ErrorResponse),
    ))]
pub async fn register_finish(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    Valid(body): Valid<PasskeyRegisterFinishRequest>,
) -> ApiResult<(StatusCode, Json<PasskeyResponse>)> {
    let row = passkeys::finish_registration(
        &state,
        &device,
        &current.user,
        &body.ceremony_id,
        body.name.as_deref(),
        body.credential,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Start a passkey sign-in (no email: the authenticator offers the passkeys it holds for this site). The
/// options suit a "Sign in with a passkey" button and conditional mediation (passkey autofill) alike.
/// Throttled per client.
#[utoipa::path(post, path = "/api/auth/passkeys/login/start", tag = "passkeys",
    responses(
        (status = 200, description = "Pass options to navigator.credentials.get()", body = PasskeyCeremonyResponse),
        TooManyAttempts,
        (status = 503, description = "Passkeys are not available on this server", body = ErrorResponse),
    ))]
pub async fn login_start(State(state): State<AppState>, client: ClientIp) -> ApiResult<Json<PasskeyCeremonyResponse>> {
    Ok(Json(passkeys::start_sign_in(&state, client).await?.into()))
}

/// Finish a passkey sign-in. A passkey with user verification satisfies two-factor: no code follows. The
/// answer is a password sign-in's (in cookie mode the session cookie). Any refusal — unknown, removed or
/// another account's credential, expired or reused ceremony, wrong origin or RP id, no user verification, a
/// bad signature, a counter that went backwards — is the same 401.
#[utoipa::path(post, path = "/api/auth/passkeys/login/finish", tag = "passkeys",
    request_body = PasskeyLoginFinishRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Passkey sign-in failed", body = ErrorResponse),
        (status = 403, description = "REQUIRE_VERIFIED_EMAIL=true and the email is not verified yet", body = ErrorResponse),
        InvalidBody,
        TooManyAttempts,
        (status = 503, description = "Passkeys are not available on this server", body = ErrorResponse),
    ))]
pub async fn login_finish(
    State(state): State<AppState>,
    device: Device,
    Valid(body): Valid<PasskeyLoginFinishRequest>,
) -> ApiResult<Response> {
    let outcome = passkeys::finish_sign_in(&state, &device, &body.ceremony_id, body.credential).await?;
    Ok(sign_in_response(outcome))
}

/// The signed-in account's passkeys.
#[utoipa::path(get, path = "/api/auth/passkeys", tag = "passkeys", security(("bearer" = [])),
    responses(
        (status = 200, description = "Passkeys, oldest first", body = PasskeysResponse),
        NotSignedIn,
    ))]
pub async fn list(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<PasskeysResponse>> {
    let rows = passkeys::list(&state, &current.user).await?;
    Ok(Json(PasskeysResponse { passkeys: rows.into_iter().map(Into::into).collect() }))
}

/// Rename one of the account's passkeys.
#[utoipa::path(patch, path = "/api/auth/passkeys/{passkey_id}", tag = "passkeys", security(("bearer" = [])),
    params(("passkey_id" = String, Path, description = "Passkey id (from GET /api/auth/passkeys)")),
    request_body = PasskeyRenameRequest,
    responses(
        (status = 200, description = "Renamed", body = PasskeyResponse),
        (status = 400, description = "A passkey's name cannot be blank (nothing left once control characters and spaces are taken out)", body = ErrorResponse),
        NotSignedIn,
        (status = 404, description = "Passkey not found", body = ErrorResponse),
        InvalidBody,
    ))]
pub async fn rename(
    State(state): State<AppState>,
    current: CurrentUser,
    passkey_id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Valid(body): Valid<PasskeyRenameRequest>,
) -> ApiResult<Json<PasskeyResponse>> {
    let Ok(Path(passkey_id)) = passkey_id else { return Err(ApiError::not_found(passkeys::NOT_FOUND)) };
    Ok(Json(passkeys::rename(&state, &current.user, &passkey_id, &body.name).await?.into()))
}

/// Remove one of the account's passkeys: it no longer signs in, on any API process (a notice is mailed).
/// Refused for the last way to sign in (an account without a password, linked provider or other passkey).
#[utoipa::path(delete, path = "/api/auth/passkeys/{passkey_id}", tag = "passkeys", security(("bearer" = [])),
    params(("passkey_id" = String, Path, description = "Passkey id (from GET /api/auth/passkeys)")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The last way to sign in to this account", body = ErrorResponse),
        NotSignedIn,
        (status = 404, description = "Passkey not found", body = ErrorResponse),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    passkey_id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<StatusCode> {
    let Ok(Path(passkey_id)) = passkey_id else { return Err(ApiError::not_found(passkeys::NOT_FOUND)) };
    passkeys::remove(&state, &device, &current.user, &passkey_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
