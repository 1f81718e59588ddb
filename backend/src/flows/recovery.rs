//! The flows of mailed links: forgot and reset a password, verify an address (and send its link again),
//! change the address. Every mail goes through the outbox, written in the same transaction as the change it
//! reports; links are `{WEB_URL}/<page>?token=…`, never built from a request; only the token's hash is kept.

use super::{activity, sign_in, Device, EMAIL_TAKEN};
use crate::{
    auth::{
        opaque::OpaqueToken,
        policy::Owner,
        throttle::{self, Limit},
        ClientIp,
    },
    db::{EventType, Mail, Purpose, SessionUser, TokenMail, User, Verified},
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

pub const RESET_INVALID: &str = "This reset link is invalid or has expired";
pub const VERIFY_INVALID: &str = "This verification link is invalid or has expired";

/// A new link of `purpose` for `user_id`, proving `email`, mailed to `email` (plus `extra` mails).
pub fn link_mail(state: &AppState, user_id: &str, purpose: Purpose, email: &str, extra: Vec<Mail>) -> TokenMail {
    let settings = &state.settings.mail;
    let new = OpaqueToken::generate();
    let (page, valid_for) = match purpose {
        Purpose::Reset => ("reset-password", settings.reset_ttl),
        Purpose::Verify | Purpose::Change => ("verify-email", settings.verification_ttl),
    };
    let link = format!("{}/{page}?token={}", settings.web_url, new.token);
    let kind = match purpose {
        Purpose::Reset => Kind::ResetPassword { email, link: &link, valid_for },
        Purpose::Verify => Kind::Verify { email, link: &link, valid_for },
        Purpose::Change => Kind::ChangeEmail { new_email: email, link: &link, valid_for },
    };
    let mut mails = vec![mail::compose(email, &kind)];
    mails.extend(extra);
    TokenMail {
        user_id: user_id.to_string(),
        purpose,
        email: email.to_string(),
        hash: new.hash,
        expires_at: state.clock.now().plus(valid_for),
        mails,
        event: None,
    }
}

/// The throttle of the requests that send mail: every request counts, whether or not an account exists,
/// reserved atomically before any work.
pub(super) async fn count_mail_request(state: &AppState, limits: &[Limit]) -> ApiResult<()> {
    state.reserve(limits).await?.failed(); // kept whatever the outcome
    Ok(())
}

/// Ask for a password reset link. The same work whatever the address: the throttle is counted for every
/// address, and the look-up and the mail are done after the caller has its answer (in a task of its own), so
/// neither the answer nor its timing tells whether an account exists. No mail for an unknown address.
pub async fn forgot_password(state: &AppState, client: ClientIp, email: String) -> ApiResult<()> {
    count_mail_request(state, &throttle::forgot_password(&state.settings.rate_limits, &email, client)).await?;
    let task_state = state.clone();
    state.background.spawn(async move {
        let state = task_state;
        let result = async {
            let Some(user) = state.db.user_by_email(&email).await? else { return Ok(()) };
            let address = user.email.to_lowercase();
            let tm = link_mail(&state, &user.id, Purpose::Reset, &address, Vec::new());
            state.db.issue_token_mail(&tm, state.clock.now()).await
        };
        if let Err(e) = result.await {
            tracing::error!(error = %e, "password reset request not stored");
        }
    });
    Ok(())
}

/// A new password with the token of a reset link. The link works once; every token of the user is revoked,
/// the address counts as verified, a notice is mailed and `password_reset` recorded (from the browser that
/// opened the link). Nobody is signed in.
pub async fn reset_password(state: &AppState, device: &Device, token: &str, new_password: &str) -> ApiResult<String> {
    let hash = crate::auth::opaque::hash(token);
    let invalid = || ApiError::bad_request(RESET_INVALID);
    // Checked before hashing, so a flood of bad links costs no hashing; used for real below.
    let (user_id, email) = state.db.peek_token(&hash, Purpose::Reset, state.clock.now()).await?.ok_or_else(invalid)?;
    let name = state.db.user_by_id(&user_id).await?.and_then(|u| u.name);
    let owner = Owner { email: &email, name: name.as_deref() };
    let hashed = state.passwords.new_hash(None, "new_password", new_password, owner).await?;
    let notice = mail::compose(&email, &Kind::PasswordChanged { email: &email });
    let event = activity::event(state, device, EventType::PasswordReset, Some("With a mailed link".into()));
    let user_id =
        state.db.reset_password(&hash, &hashed, &notice, event.origin.at, &event).await?.ok_or_else(invalid)?;
    tracing::info!(user_id = %user_id, "password reset; every token revoked");
    Ok(user_id)
}

/// Whether a reset link still works, spending nothing: the address it resets (what the page shows, and the
/// sign-in page is prefilled with after the reset), or 400 as a reset with it would answer.
pub async fn check_reset_link(state: &AppState, token: &str) -> ApiResult<String> {
    let hash = crate::auth::opaque::hash(token);
    let found = state.db.peek_token(&hash, Purpose::Reset, state.clock.now()).await?;
    found.map(|(_, email)| email).ok_or_else(|| ApiError::bad_request(RESET_INVALID))
}

/// Confirms an address (after registration, or a change) with the token of a mailed link; for a change, the
/// account takes the new address if no other account has it by then. `email_verified` or `email_changed` is
/// recorded with it (from the browser that opened the link).
pub async fn verify_email(state: &AppState, device: &Device, token: &str) -> ApiResult<User> {
    let origin = activity::event(state, device, EventType::EmailVerified, None);
    match state.db.verify_email(&crate::auth::opaque::hash(token), origin.origin.at, &origin).await? {
        Verified::Done(user) => {
            tracing::info!(user_id = %user.id, "email verified");
            Ok(user)
        }
        Verified::Invalid => Err(ApiError::bad_request(VERIFY_INVALID)),
        Verified::EmailTaken => Err(ApiError::bad_request(EMAIL_TAKEN)),
    }
}

/// Sends the verification link again (the previous one stops working).
pub async fn resend_verification(state: &AppState, user: &SessionUser) -> ApiResult<()> {
    if user.email_verified_at.is_some() {
        return Err(ApiError::bad_request("Email already verified"));
    }
    count_mail_request(state, &[throttle::verification_mails(&state.settings.rate_limits, &user.id)]).await?;
    let email = user.email.to_lowercase();
    let tm = link_mail(state, &user.id, Purpose::Verify, &email, Vec::new());
    state.db.issue_token_mail(&tm, state.clock.now()).await?;
    Ok(())
}

/// A change of address, after the current password: a link goes to the new address and a notice to the old
/// one; the address changes only when the link is used ([`verify_email`]). Counted per account, per target
/// address and per client (the client's budget of address probes is registration's) before the address is
/// looked up. A password reset or change and "sign out everywhere" end the link. `email_change_requested`
/// (detail: the new address) is recorded with the link.
pub async fn change_email(
    state: &AppState,
    device: &Device,
    user: &SessionUser,
    password: &str,
    new_email: &str,
) -> ApiResult<()> {
    let client = device.ip;
    sign_in::check_current_password(state, client, &user.id, password).await?;
    count_mail_request(state, &throttle::change_email(&state.settings.rate_limits, &user.id, new_email, client))
        .await?;
    let old = user.email.to_lowercase();
    if new_email == old || state.db.user_by_email(new_email).await?.is_some() {
        return Err(ApiError::bad_request(EMAIL_TAKEN));
    }
    let notice = mail::compose(&old, &Kind::ChangeNotice { old_email: &old, new_email });
    let tm = TokenMail {
        event: Some(activity::event(state, device, EventType::EmailChangeRequested, Some(format!("To {new_email}")))),
        ..link_mail(state, &user.id, Purpose::Change, new_email, vec![notice])
    };
    state.db.issue_token_mail(&tm, state.clock.now()).await?;
    tracing::info!(user_id = %user.id, "email change requested");
    Ok(())
}
