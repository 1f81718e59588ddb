//! Passkeys (WebAuthn): adding one to an account, signing in with one, listing, renaming and removing them.
//! The checks of the ceremonies themselves are `crate::auth::passkey` (webauthn-rs); this module keeps the
//! ceremonies and applies the account rules.
//!
//! **A ceremony** (start → the browser and its authenticator → finish): the start keeps webauthn-rs's state in
//! the database for [`CEREMONY_TTL`] under a hash of a random ceremony id, which the client sends back with
//! its answer; the finish spends it in one statement before anything else, so a challenge works once, on
//! whichever API process the answer reaches, and a replayed, expired, unknown or (for a registration) another
//! user's ceremony finds nothing.
//!
//! **The account rules** (shared/contract.md): adding a passkey needs a fresh proof of the account
//! ([`sign_in::check_fresh_proof`]: the current password, or for an account without one a sign-in at most ten
//! minutes old); a passkey sign-in proves possession and user verification, so it satisfies two-factor (no
//! TOTP step) and ends in [`sign_in::finish_sign_in`] like every way in; a signature counter that does not
//! move forward is refused and logged; the account's last way to sign in cannot be removed; adding and
//! removing mail a notice and go on the account's history.

use std::time::Duration;

use axum::http::StatusCode;

use super::{
    activity,
    sign_in::{self, Method, SignInOutcome},
    Device,
};
use crate::{
    auth::{
        no_password,
        opaque::{self, OpaqueToken},
        passkey::{self, Assertion, PasskeyError, RelyingParty},
        throttle, ClientIp,
    },
    db::{
        passkeys::{NewCeremony, NewPasskey, PasskeyRow, PasskeyUse, Registered, Removed},
        EventType, SessionUser,
    },
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

/// How long a started ceremony waits for its finish.
pub const CEREMONY_TTL: Duration = Duration::from_secs(5 * 60);
/// Passkeys one account may have.
pub const MAX_PASSKEYS: usize = 20;
/// Longest passkey name (characters).
pub const MAX_NAME_CHARS: usize = 64;

pub const UNAVAILABLE: &str = "Passkeys are not available on this server";
pub const NOT_FOUND: &str = "Passkey not found";
pub const SIGN_IN_FAILED: &str = "Passkey sign-in failed: the passkey was not recognised or the request expired";
pub const REGISTRATION_EXPIRED: &str = "The passkey request expired or was already used: start again";
pub const NOT_VERIFIED: &str = "The passkey could not be verified";
pub const ALREADY_REGISTERED: &str = "This passkey is already registered";
pub const TOO_MANY: &str = "An account can have at most 20 passkeys: remove one first";
pub const LAST_WAY_IN: &str =
    "This is the only way to sign in to your account: set a password (\"Forgot password?\") or add another passkey first";
pub const SIGN_IN_AGAIN: &str = "Sign in again to add a passkey";

const REGISTER: &str = "register";
const LOGIN: &str = "login";

/// A started ceremony: the id to send back with the answer, and the options for the browser.
pub struct Started {
    pub ceremony_id: String,
    pub options: serde_json::Value,
}

fn relying_party(state: &AppState) -> ApiResult<&RelyingParty> {
    state.passkeys.as_ref().ok_or_else(|| ApiError::Detail(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE.into()))
}

/// Keeps a ceremony's state and answers its id and options.
async fn keep(state: &AppState, kind: &str, user_id: Option<&str>, ceremony: passkey::Ceremony) -> ApiResult<Started> {
    let id = OpaqueToken::generate();
    let now = state.clock.now();
    state
        .db
        .create_passkey_ceremony(&NewCeremony {
            id_hash: &id.hash,
            kind,
            user_id,
            state: &ceremony.state,
            now,
            expires_at: now.plus(CEREMONY_TTL),
        })
        .await?;
    Ok(Started { ceremony_id: id.token, options: ceremony.options })
}

/// Starts adding a passkey to the signed-in account, after a fresh proof of it (see the module's comment).
/// The account's own credentials are excluded (an authenticator holding one says so instead of making another).
pub async fn start_registration(
    state: &AppState,
    device: &Device,
    current: &SessionUser,
    current_password: Option<&str>,
    session_id: Option<&str>,
) -> ApiResult<Started> {
    let rp = relying_party(state)?;
    let user = state.db.user_by_id(&current.id).await?.ok_or(ApiError::Unauthorized("User not found"))?;
    sign_in::check_fresh_proof(state, device.ip, &user, current_password, session_id, SIGN_IN_AGAIN).await?;
    let existing = state.db.passkey_credential_ids(&user.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(ApiError::bad_request(TOO_MANY));
    }
    let exclude = existing.iter().filter_map(|id| decode_id(id)).map(Into::into).collect();
    let email = user.email.to_lowercase();
    let display = user.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&email);
    let ceremony = rp
        .start_registration(passkey::user_handle(&user.id), &email, display, exclude)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    keep(state, REGISTER, Some(&user.id), ceremony).await
}

/// Finishes adding a passkey: the ceremony (this user's, unexpired, unused) is spent, the authenticator's
/// answer checked, the passkey stored under `name` (default: the browser that made it, e.g. "Chrome on
/// Linux"), a notice mailed and `passkey_added` recorded.
pub async fn finish_registration(
    state: &AppState,
    device: &Device,
    current: &SessionUser,
    ceremony_id: &str,
    name: Option<&str>,
    credential: serde_json::Value,
) -> ApiResult<PasskeyRow> {
    let rp = relying_party(state)?;
    let now = state.clock.now();
    let Some(kept) = take(state, ceremony_id, REGISTER, Some(&current.id)).await? else {
        return Err(ApiError::bad_request(REGISTRATION_EXPIRED));
    };
    let credential: webauthn_rs::prelude::RegisterPublicKeyCredential =
        serde_json::from_value(credential).map_err(|e| {
            tracing::info!(user_id = %current.id, error = %e, "passkey registration: malformed credential");
            ApiError::bad_request(NOT_VERIFIED)
        })?;
    let transports = credential.response.transports.as_ref().and_then(|t| serde_json::to_string(t).ok());
    let new = rp.finish_registration(&credential, &kept).map_err(|e| {
        tracing::info!(user_id = %current.id, error = %e, "passkey registration refused");
        ApiError::bad_request(NOT_VERIFIED)
    })?;
    let stored = passkey::store(&new).map_err(|e| ApiError::internal(e.to_string()))?;
    let name = clean_name(name).unwrap_or_else(|| activity::browser(device.user_agent.as_deref()));
    let id = uuid::Uuid::new_v4().to_string();
    let (backup_eligible, backed_up) = backup_flags(&stored);
    let email = current.email.to_lowercase();
    let notice = mail::compose(&email, &Kind::Passkey { email: &email, name: &name, added: true });
    let event = activity::event(state, device, EventType::PasskeyAdded, Some(name.clone()));
    let row = NewPasskey {
        id: &id,
        user_id: &current.id,
        credential_id: &passkey::credential_id_text(new.cred_id().as_slice()),
        passkey: &stored,
        counter: 0,
        transports: transports.as_deref(),
        backup_eligible,
        backed_up,
        name: &name,
    };
    match state.db.add_passkey(&row, MAX_PASSKEYS, &notice, &event, now).await? {
        Registered::Done => {
            tracing::info!(user_id = %current.id, passkey = %id, "passkey added");
            Ok(PasskeyRow { id, name, created_at: now, last_used_at: None, backed_up, backup_eligible })
        }
        Registered::Taken => Err(ApiError::bad_request(ALREADY_REGISTERED)),
        // Another registration of the account finished first (two tabs): the limit holds at the finish too.
        Registered::TooMany => Err(ApiError::bad_request(TOO_MANY)),
    }
}

/// Starts a passkey sign-in (no account named: the authenticator offers its passkeys for this site).
/// Throttled per client, as each start keeps a challenge.
pub async fn start_sign_in(state: &AppState, client: ClientIp) -> ApiResult<Started> {
    let rp = relying_party(state)?;
    state.reserve(&[throttle::passkey_starts_per_client(&state.settings.rate_limits, client)]).await?.failed();
    let ceremony = rp.start_sign_in().map_err(|e| ApiError::internal(e.to_string()))?;
    keep(state, LOGIN, None, ceremony).await
}

/// Finishes a passkey sign-in: the ceremony is spent, the assertion's credential looked up (a removed one is
/// unknown), its user handle matched to the credential's account, the assertion checked (challenge, origin, RP
/// id, user verification, signature, counter), the passkey's use recorded, and the account signed in — no
/// TOTP step, as a passkey with user verification is two factors. Every refusal is the same 401
/// ([`SIGN_IN_FAILED`]) and counts as a failed sign-in of the client.
pub async fn finish_sign_in(
    state: &AppState,
    device: &Device,
    ceremony_id: &str,
    credential: serde_json::Value,
) -> ApiResult<SignInOutcome> {
    let rp = relying_party(state)?;
    let attempt = state.reserve(&[throttle::failures_per_client(&state.settings.rate_limits, device.ip)]).await?;
    let refused = |why: &str| {
        tracing::info!(why, "passkey sign-in refused");
        ApiError::Unauthorized(SIGN_IN_FAILED)
    };
    let Some(kept) = take(state, ceremony_id, LOGIN, None).await? else {
        return Err(refused("no such ceremony: used, expired or unknown"));
    };
    let assertion: Assertion = serde_json::from_value(credential).map_err(|_| refused("malformed assertion"))?;
    let (handle, credential_id) = passkey::identify(&assertion).ok_or_else(|| refused("malformed user handle"))?;
    let Some(stored) = state.db.passkey_by_credential(&credential_id).await? else {
        return Err(refused("unknown credential"));
    };
    if handle.is_some_and(|h| h != passkey::user_handle(&stored.user_id)) {
        return Err(refused("the user handle is not the credential's account"));
    }
    let mut key = passkey::parse_stored(&stored.passkey).map_err(|e| ApiError::internal(e.to_string()))?;
    let result = match rp.finish_sign_in(&assertion, &kept, &key) {
        Ok(result) => result,
        Err(e) => {
            if matches!(e, PasskeyError::CounterBackwards) {
                tracing::warn!(user_id = %stored.user_id, passkey = %stored.id,
                    "passkey sign-in refused: the signature counter went backwards (a cloned authenticator?)");
            } else {
                tracing::info!(user_id = %stored.user_id, passkey = %stored.id, error = %e, "passkey sign-in refused");
            }
            activity::failed_sign_in(state, device, &stored.user_id, "Passkey refused");
            return Err(ApiError::Unauthorized(SIGN_IN_FAILED));
        }
    };
    key.update_credential(&result);
    let text = passkey::store(&key).map_err(|e| ApiError::internal(e.to_string()))?;
    let counter = i64::from(result.counter());
    let recorded = state
        .db
        .use_passkey(
            &PasskeyUse {
                id: &stored.id,
                passkey: &text,
                previous: stored.counter,
                counter,
                backed_up: result.backup_state(),
                backup_eligible: result.backup_eligible(),
            },
            state.clock.now(),
        )
        .await?;
    if !recorded {
        tracing::warn!(user_id = %stored.user_id, passkey = %stored.id,
            "passkey sign-in refused: the signature counter moved meanwhile (two uses of one counter value)");
        return Err(ApiError::Unauthorized(SIGN_IN_FAILED));
    }
    attempt.succeeded().await?;
    let user = state.db.user_by_id(&stored.user_id).await?.ok_or(ApiError::Unauthorized(SIGN_IN_FAILED))?;
    if state.settings.mail.require_verified_email && user.email_verified_at.is_none() {
        return Ok(SignInOutcome::Unverified);
    }
    Ok(SignInOutcome::SignedIn(sign_in::finish_sign_in(state, device, user, Method::Passkey).await?))
}

/// The signed-in account's passkeys.
pub async fn list(state: &AppState, user: &SessionUser) -> ApiResult<Vec<PasskeyRow>> {
    Ok(state.db.list_passkeys(&user.id).await?)
}

/// Renames one of the signed-in account's passkeys.
pub async fn rename(state: &AppState, user: &SessionUser, id: &str, name: &str) -> ApiResult<PasskeyRow> {
    let name = clean_name(Some(name)).ok_or_else(|| ApiError::bad_request("A passkey's name cannot be blank"))?;
    if !plausible_id(id) {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    state.db.rename_passkey(&user.id, id, &name).await?.ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

/// Removes one of the signed-in account's passkeys, unless it is the account's last way to sign in; a notice
/// is mailed and `passkey_removed` recorded. It stops signing in at once, on every API process (a sign-in
/// reads the credential from the database).
pub async fn remove(state: &AppState, device: &Device, user: &SessionUser, id: &str) -> ApiResult<()> {
    if !plausible_id(id) {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    let email = user.email.to_lowercase();
    let notice = |name: &str| {
        let mail = mail::compose(&email, &Kind::Passkey { email: &email, name, added: false });
        (mail, activity::event(state, device, EventType::PasskeyRemoved, Some(name.to_string())))
    };
    match state.db.remove_passkey(&user.id, id, no_password::SQL_LIKE, notice, state.clock.now()).await? {
        Removed::Done { .. } => {
            tracing::info!(user_id = %user.id, passkey = %id, "passkey removed");
            Ok(())
        }
        Removed::NotFound => Err(ApiError::not_found(NOT_FOUND)),
        Removed::LastWay => Err(ApiError::bad_request(LAST_WAY_IN)),
    }
}

/// Spends a kept ceremony (`None`: used, expired, unknown, or another user's).
async fn take(state: &AppState, ceremony_id: &str, kind: &str, user_id: Option<&str>) -> ApiResult<Option<String>> {
    if ceremony_id.is_empty() || ceremony_id.len() > 128 {
        return Ok(None);
    }
    Ok(state.db.take_passkey_ceremony(&opaque::hash(ceremony_id), kind, user_id, state.clock.now()).await?)
}

/// No id of ours is long or holds NUL (which PostgreSQL cannot even compare).
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && !id.contains('\0')
}

/// A name as stored: control characters dropped, trimmed, at most [`MAX_NAME_CHARS`] characters.
fn clean_name(name: Option<&str>) -> Option<String> {
    let name: String = name?.chars().filter(|c| !c.is_control()).collect();
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    let name = name.trim_end();
    (!name.is_empty()).then(|| name.to_string())
}

fn decode_id(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()
}

/// The backup flags of a stored passkey (its serialized credential says them).
fn backup_flags(stored: &str) -> (bool, bool) {
    let v: serde_json::Value = serde_json::from_str(stored).unwrap_or_default();
    let cred = &v["cred"];
    (cred["backup_eligible"].as_bool().unwrap_or(false), cred["backup_state"].as_bool().unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name(Some("  My\u{7} phone ")).as_deref(), Some("My phone"));
        assert_eq!(clean_name(Some(&"x".repeat(300))).map(|n| n.chars().count()), Some(MAX_NAME_CHARS));
        assert_eq!(clean_name(Some(" \n ")), None);
        assert_eq!(clean_name(None), None);
    }
}
