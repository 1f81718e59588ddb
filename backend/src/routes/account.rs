//! /api/auth, account recovery and verified email: forgot-password, reset-password, verify-email,
//! resend-verification and change-email. Every mail goes through the outbox (src/mail/), written in the same
//! transaction as the change it reports; links are `{WEB_URL}/<page>?token=…`, never built from the request.

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{InvalidBody, NotSignedIn, TooManyAttempts, Unavailable};
use crate::{
    auth::{
        policy::Owner,
        throttle::{self, Limit, OnSuccess},
        ClientIp,
    },
    db::SessionUser,
    error::{ApiError, ApiResult},
    extract::CurrentUser,
    mail::{
        store::Verified,
        templates::{render, Kind},
        tokens::{self, Purpose},
        Mail, TokenMail,
    },
    schemas::{
        ChangeEmailRequest, ErrorResponse, ForgotPasswordRequest, MessageResponse, ResetPasswordRequest, UserResponse,
        ValidationErrorResponse, VerifyEmailRequest,
    },
    state::AppState,
    validate::Valid,
};

pub const RESET_INVALID: &str = "This reset link is invalid or has expired";
pub const VERIFY_INVALID: &str = "This verification link is invalid or has expired";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(change_email))
}

type Accepted = (StatusCode, Json<MessageResponse>);

fn accepted(message: &'static str) -> Accepted {
    (StatusCode::ACCEPTED, Json(MessageResponse { message }))
}

fn link(state: &AppState, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", state.settings.mail.web_url)
}

/// A new link of `purpose` for `user_id`, proving `email`, mailed to `email` (plus `extra` mails).
pub fn token_mail(state: &AppState, user_id: &str, purpose: Purpose, email: &str, extra: Vec<Mail>) -> TokenMail {
    let settings = &state.settings.mail;
    let new = tokens::new_token();
    let (page, valid_for) = match purpose {
        Purpose::Reset => ("reset-password", settings.reset_ttl),
        Purpose::Verify | Purpose::Change => ("verify-email", settings.verification_ttl),
    };
    let url = link(state, page, &new.token);
    let content = match purpose {
        Purpose::Reset => render(&Kind::ResetPassword { email, link: &url, valid_for }),
        Purpose::Verify => render(&Kind::Verify { email, link: &url, valid_for }),
        Purpose::Change => render(&Kind::ChangeEmail { new_email: email, link: &url, valid_for }),
    };
    let mut mails = vec![Mail { recipient: email.to_string(), content, link: Some(url) }];
    mails.extend(extra);
    TokenMail {
        user_id: user_id.to_string(),
        purpose,
        email: email.to_string(),
        hash: new.hash,
        expires_at: state.clock.now().plus(valid_for),
        mails,
    }
}

/// The one throttle of the mail-sending requests (counted whether or not an account exists): every
/// request counts, reserved atomically before any work (see [`throttle::Attempt`]).
async fn throttle_mail_request(state: &AppState, limits: &[Limit]) -> ApiResult<()> {
    let counted: Vec<(Limit, OnSuccess)> = limits.iter().map(|l| (l.clone(), OnSuccess::Keep)).collect();
    state.reserve(&counted).await?.failed(); // kept whatever the outcome
    Ok(())
}

/// change-email's password re-check, throttled like change-password: failures per email+client (reset by a
/// success), per client and per account, reserved atomically before the hash is checked.
async fn check_password_throttled(
    state: &AppState,
    client: ClientIp,
    user: &SessionUser,
    password: &str,
) -> ApiResult<()> {
    let limits = &state.settings.rate_limits;
    let email = user.email.to_lowercase();
    let permit = state.hasher.admit()?;
    let attempt = state
        .reserve(&[
            (throttle::failures_per_email_client(limits, &email, client), OnSuccess::Clear),
            (throttle::failures_per_client(limits, client), OnSuccess::Release),
            (throttle::password_failures_per_account(limits, &user.id), OnSuccess::Release),
        ])
        .await?;
    let stored = state.db.user_by_id(&user.id).await?.ok_or(ApiError::Unauthorized("User not found"))?;
    if !state.hasher.verify_with(permit, password, &stored.hashed_password).await? {
        attempt.failed();
        return Err(ApiError::bad_request("Current password is incorrect"));
    }
    attempt.succeeded().await
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
    let per = &state.settings.rate_limits;
    let limits = [
        Limit { key: format!("mail:forgot:client:{client}"), max: per.mail_requests_per_client },
        Limit { key: format!("mail:forgot:email:{}", body.email), max: per.mail_requests_per_email },
    ];
    throttle_mail_request(&state, &limits).await?;
    let task_state = state.clone();
    tokio::spawn(async move {
        let state = task_state;
        let result = async {
            let Some(user) = state.db.user_by_email(&body.email).await? else { return Ok(()) };
            let email = user.email.to_lowercase();
            let tm = token_mail(&state, &user.id, Purpose::Reset, &email, Vec::new());
            state.db.issue_token_mail(&tm, state.clock.now()).await
        };
        if let Err(e) = result.await {
            tracing::error!(error = %e, "password reset request not stored");
        }
    });
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
    Valid(body): Valid<ResetPasswordRequest>,
) -> ApiResult<Json<MessageResponse>> {
    let hash = tokens::hash(&body.token);
    let invalid = || ApiError::bad_request(RESET_INVALID);
    // Checked before hashing, so a flood of bad links costs no bcrypt; used for real below.
    let (user_id, email) = state.db.peek_token(&hash, Purpose::Reset, state.clock.now()).await?.ok_or_else(invalid)?;
    let name = state.db.user_by_id(&user_id).await?.and_then(|u| u.name);
    let owner = Owner { email: &email, name: name.as_deref() };
    let hashed = state.passwords.new_hash(None, "new_password", &body.new_password, owner).await?;
    let notice =
        Mail { recipient: email.clone(), content: render(&Kind::PasswordChanged { email: &email }), link: None };
    let user_id = state.db.reset_password(&hash, &hashed, &notice, state.clock.now()).await?.ok_or_else(invalid)?;
    tracing::info!(user_id = %user_id, "password reset; every token revoked");
    Ok(Json(MessageResponse { message: "Your password has been changed. Sign in with your new password." }))
}

/// Confirm an email address (after registration, or a change) with the token of a mailed link.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "Verified; for a change, the account now has the new address", body = UserResponse),
        (status = 400, description = "This verification link is invalid or has expired; or (for a change) Email already registered", body = ErrorResponse),
        InvalidBody,
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    Valid(body): Valid<VerifyEmailRequest>,
) -> ApiResult<Json<UserResponse>> {
    match state.db.verify_email(&tokens::hash(&body.token), state.clock.now()).await? {
        Verified::Done(user) => {
            tracing::info!(user_id = %user.id, "email verified");
            Ok(Json(UserResponse::from(&user)))
        }
        Verified::Invalid => Err(ApiError::bad_request(VERIFY_INVALID)),
        Verified::EmailTaken => Err(ApiError::bad_request("Email already registered")),
    }
}

/// Send the verification link again (the previous one stops working).
#[utoipa::path(post, path = "/api/auth/resend-verification", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way", body = MessageResponse),
        (status = 400, description = "Email already verified", body = ErrorResponse),
        NotSignedIn,
        (status = 429, description = "Too many requests", body = ErrorResponse, headers(("Retry-After" = u64, description = "seconds"))),
    ))]
pub async fn resend_verification(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Accepted> {
    if current.user.email_verified_at.is_some() {
        return Err(ApiError::bad_request("Email already verified"));
    }
    let limit = Limit {
        key: format!("mail:verify:user:{}", current.user.id),
        max: state.settings.rate_limits.mail_requests_per_email,
    };
    throttle_mail_request(&state, &[limit]).await?;
    let email = current.user.email.to_lowercase();
    let tm = token_mail(&state, &current.user.id, Purpose::Verify, &email, Vec::new());
    state.db.issue_token_mail(&tm, state.clock.now()).await?;
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
    client: ClientIp,
    current: CurrentUser,
    Valid(body): Valid<ChangeEmailRequest>,
) -> ApiResult<Accepted> {
    check_password_throttled(&state, client, &current.user, &body.current_password).await?;
    let old = current.user.email.to_lowercase();
    if body.new_email == old || state.db.user_by_email(&body.new_email).await?.is_some() {
        return Err(ApiError::bad_request("Email already registered"));
    }
    let notice = Mail {
        recipient: old.clone(),
        content: render(&Kind::ChangeNotice { old_email: &old, new_email: &body.new_email }),
        link: None,
    };
    let tm = token_mail(&state, &current.user.id, Purpose::Change, &body.new_email, vec![notice]);
    state.db.issue_token_mail(&tm, state.clock.now()).await?;
    tracing::info!(user_id = %current.user.id, "email change requested");
    Ok(accepted("A link to confirm the new address is on its way. Your email changes when it is opened."))
}
