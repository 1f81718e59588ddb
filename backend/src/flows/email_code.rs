//! Sign-in with a one-time code mailed to the account's address ("Email me a code"): [`request`] mails a code,
//! [`verify`] signs in with it.
//!
//! What makes it hold:
//! - **No account is told apart from another**: a request answers the same 202 after the same work (the throttle
//!   counted for every address) and looks the address up after the answer, in a task of its own, as
//!   forgot-password does; no mail goes to an unknown address. A guess does the same statement whether or not
//!   an account has the address, and every wrong or unknown code gets the same 401.
//! - **A code**: [`DIGITS`](crate::auth::email_code::DIGITS) digits from the OS's CSPRNG, only a keyed hash
//!   stored (`auth::email_code`), [`CODE_TTL`], one live code per account (a newer request replaces the row).
//! - **Guesses**: each guess spends one of the code's [`MAX_GUESSES`] before it is compared, in one statement,
//!   so a burst gets no more comparisons than that; guesses are also throttled per address (all clients) and
//!   per client before anything else. A refusal is answered no sooner than [`REFUSAL_FLOOR`] after the guess
//!   began, whatever the address.
//! - **Single use**: the right code is consumed by one `DELETE … RETURNING`: of two simultaneous uses exactly
//!   one signs in.
//! - **The account**: the code proves the address, so it is marked verified; an address never proved before
//!   takes the account back from whoever registered it (as a provider's proof does, `flows::oidc`). Two-factor
//!   still asks for its code; otherwise the sign-in ends in [`sign_in::finish_sign_in`] like any other.

use std::time::Duration;

use super::{
    activity,
    recovery::count_mail_request,
    sign_in::{self, Method, SignInOutcome},
    Device,
};
use crate::{
    auth::{email_code, no_password, throttle, ClientIp},
    db::{EventType, NewEmailCode, UsedCode},
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

/// How long a mailed code works.
pub const CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// Guesses one code allows; the next (right or wrong) finds it dead.
pub const MAX_GUESSES: i64 = 5;

pub const INVALID_CODE: &str = "Invalid or expired code";

/// A refused guess is answered no sooner than this after it began. A guess at an address with a live code
/// writes (its guess is spent) and one at an address without (no account, or no code) does not: on PostgreSQL
/// that is a commit, 1–2 ms apart, which would tell an address with an account from one without once a code
/// was asked for it. The floor is far above that difference and unnoticeable to a person.
pub const REFUSAL_FLOOR: Duration = Duration::from_millis(50);

/// Ask for a code: counted against the throttle whatever the address, then answered; the look-up and the mail
/// follow in the background (see the module's comment).
pub async fn request(state: &AppState, client: ClientIp, email: String) -> ApiResult<()> {
    count_mail_request(state, &throttle::email_code_requests(&state.settings.rate_limits, &email, client)).await?;
    let task_state = state.clone();
    state.background.spawn(async move {
        let state = task_state;
        let result = async {
            let Some(user) = state.db.user_by_email(&email).await? else { return Ok(()) };
            let address = user.email.to_lowercase();
            let code = email_code::generate();
            let hash = state.email_codes.hash(&address, &code);
            let mail = mail::compose(&address, &Kind::SignInCode { email: &address, code: &code, valid_for: CODE_TTL });
            let now = state.clock.now();
            let new = NewEmailCode {
                user_id: &user.id,
                email: &address,
                hash: &hash,
                expires_at: now.plus(CODE_TTL),
                mail: &mail,
            };
            state.db.issue_email_code(&new, now).await
        };
        if let Err(e) = result.await {
            tracing::error!(error = %e, "email code request not stored");
        }
    });
    Ok(())
}

/// Sign in with a mailed code. `401 Invalid or expired code` for a wrong, used, expired, replaced or dead code
/// (and for an address without an account); the TOTP step when the account has two-factor on.
pub async fn verify(state: &AppState, device: &Device, email: &str, code: &str) -> ApiResult<SignInOutcome> {
    let attempt = state.reserve(&throttle::email_code_guesses(&state.settings.rate_limits, email, device.ip)).await?;
    let began = tokio::time::Instant::now();
    let refused = || async {
        tokio::time::sleep_until(began + REFUSAL_FLOOR).await;
        ApiError::Unauthorized(INVALID_CODE)
    };
    let now = state.clock.now();
    // One guess of the address's live code spent, before the comparison (also for a guess not shaped like a
    // code, which the body's check refuses earlier anyway).
    let live = state.db.guess_email_code(email, MAX_GUESSES, now).await?;
    let right = email_code::is_code_shaped(code)
        .then(|| live.iter().find(|c| state.email_codes.matches(&c.code_hash, email, code)))
        .flatten();
    let Some(right) = right else {
        attempt.failed();
        if let Some(code) = live.first() {
            activity::failed_sign_in(state, device, &code.user_id, "Wrong emailed code");
        }
        return Err(refused().await);
    };
    let verified = activity::event(state, device, EventType::EmailVerified, Some(format!("{email} (emailed code)")));
    let marker = no_password::marker(state.settings.bcrypt_cost);
    let used = state.db.use_email_code(&right.user_id, email, &right.code_hash, &marker, &verified).await?;
    let UsedCode::Done { user, took_back } = used else {
        attempt.failed();
        return Err(refused().await);
    };
    attempt.succeeded().await?;
    if took_back {
        tracing::info!(user_id = %user.id,
            "unverified account taken back with an emailed code: password, sessions and two-factor cleared");
    }
    if user.two_factor_enabled {
        return Ok(SignInOutcome::SecondFactorRequired {
            mfa_token: sign_in::start_second_factor(state, &user, Method::EmailCode).await?,
        });
    }
    Ok(SignInOutcome::SignedIn(sign_in::finish_sign_in(state, device, user, Method::EmailCode).await?))
}
