//! The relying party of passkey sign-in (WebAuthn Level 3), on `webauthn-rs`: the options a browser's
//! ceremony starts from and the checks of what the authenticator answers — the challenge, the origin (one of
//! `WEBAUTHN_ORIGINS`), the RP id's hash, user presence *and* user verification, the signature over the stored
//! public key, and a signature counter that must move forward. The ceremony state in between is serialized
//! (webauthn-rs's `danger-allow-state-serialisation`) so that the database can keep it and any API process can
//! finish a ceremony another one started; `crate::flows::passkeys` keeps it single use and short-lived.
//!
//! Registration asks for a discoverable credential (a passkey the authenticator can offer with no user name
//! typed), user verification required, attestation "none", and excludes the account's own credentials.
//! Sign-in is discoverable: no allow-list, the user is whoever the credential (and its user handle) belongs to.

use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::config::WebauthnSettings;

pub use webauthn_rs::prelude::{Passkey as StoredPasskey, PublicKeyCredential as Assertion};

/// Why a ceremony's answer was refused (the detail is for the log).
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// Not a WebAuthn answer at all (missing fields, bad base64, not JSON of the right shape).
    #[error("malformed credential: {0}")]
    Malformed(String),
    /// The signature counter did not move forward: a cloned authenticator, or a replay.
    #[error("signature counter went backwards")]
    CounterBackwards,
    /// Any other failed check (challenge, origin, RP id, user verification, signature, ...).
    #[error("refused: {0}")]
    Refused(WebauthnError),
}

/// A started ceremony: the options for the browser (`publicKey` of `navigator.credentials`, as JSON) and the
/// state to keep until the finish.
pub struct Ceremony {
    pub options: serde_json::Value,
    pub state: String,
}

/// The relying party, built once from the settings.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl RelyingParty {
    /// `None` when no origin can run a ceremony for the RP id (e.g. WEB_URL names only an IP address):
    /// passkeys are then off on this server.
    pub fn new(settings: &WebauthnSettings) -> Option<RelyingParty> {
        let mut origins = settings.origins.iter().filter_map(|o| Url::parse(o).ok());
        let first = origins.next()?;
        let mut builder = match WebauthnBuilder::new(&settings.rp_id, &first) {
            Ok(b) => b.rp_name(&settings.rp_name),
            Err(e) => {
                tracing::warn!(rp_id = %settings.rp_id, error = %e, "passkeys are off: the RP id does not fit the origins");
                return None;
            }
        };
        for origin in origins {
            builder = builder.append_allowed_origin(&origin);
        }
        match builder.build() {
            Ok(webauthn) => Some(RelyingParty { webauthn }),
            Err(e) => {
                tracing::warn!(rp_id = %settings.rp_id, error = %e, "passkeys are off");
                None
            }
        }
    }

    /// Options to create a passkey for the user `handle` (its user handle, [`user_handle`]), named `email`
    /// and `display_name` in the authenticator's list; `exclude`: the account's registered credentials.
    pub fn start_registration(
        &self,
        handle: Uuid,
        email: &str,
        display_name: &str,
        exclude: Vec<CredentialID>,
    ) -> Result<Ceremony, PasskeyError> {
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (mut ccr, state) = self
            .webauthn
            .start_passkey_registration(handle, email, display_name, exclude)
            .map_err(PasskeyError::Refused)?;
        // A passkey proper: discoverable, so that sign-in needs no user name (webauthn-rs's passkey ceremony
        // leaves the choice to the authenticator).
        if let Some(selection) = ccr.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok(Ceremony { options: to_json(&ccr.public_key)?, state: to_text(&state)? })
    }

    /// Checks the authenticator's answer to a registration against its kept `state`: the new passkey.
    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        state: &str,
    ) -> Result<Passkey, PasskeyError> {
        let state: PasskeyRegistration = from_text(state)?;
        self.webauthn.finish_passkey_registration(credential, &state).map_err(PasskeyError::Refused)
    }

    /// Options to sign in with any passkey of this site (no allow-list: the authenticator offers its own).
    pub fn start_sign_in(&self) -> Result<Ceremony, PasskeyError> {
        let (rcr, state) = self.webauthn.start_discoverable_authentication().map_err(PasskeyError::Refused)?;
        Ok(Ceremony { options: to_json(&rcr.public_key)?, state: to_text(&state)? })
    }

    /// Checks an assertion against the kept `state` and the stored passkey of the credential it names.
    pub fn finish_sign_in(
        &self,
        assertion: &PublicKeyCredential,
        state: &str,
        passkey: &Passkey,
    ) -> Result<AuthenticationResult, PasskeyError> {
        let state: DiscoverableAuthentication = from_text(state)?;
        let key = DiscoverableKey::from(passkey);
        self.webauthn.finish_discoverable_authentication(assertion, state, &[key]).map_err(|e| match e {
            WebauthnError::CredentialPossibleCompromise => PasskeyError::CounterBackwards,
            e => PasskeyError::Refused(e),
        })
    }
}

/// The user handle of an account, as authenticators store it with the passkey: the account's id when it is a
/// UUID (every account this API makes), else a UUID derived from it (an id from elsewhere).
pub fn user_handle(user_id: &str) -> Uuid {
    Uuid::parse_str(user_id).unwrap_or_else(|_| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(user_id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    })
}

/// The user handle an assertion carries, and the id of its credential (base64url, as stored).
pub fn identify(assertion: &PublicKeyCredential) -> Option<(Option<Uuid>, String)> {
    let id = credential_id_text(assertion.raw_id.as_slice());
    let handle = assertion.response.user_handle.as_ref().map(|h| Uuid::from_slice(h.as_slice()).ok());
    match handle {
        Some(None) => None,
        Some(Some(h)) => Some((Some(h), id)),
        None => Some((None, id)),
    }
}

/// A credential id as the database keys it: unpadded base64url.
pub fn credential_id_text(raw: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A stored passkey, read back.
pub fn parse_stored(text: &str) -> Result<Passkey, PasskeyError> {
    from_text(text)
}

/// A passkey, to store.
pub fn store(passkey: &Passkey) -> Result<String, PasskeyError> {
    to_text(passkey)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(v).map_err(|e| PasskeyError::Malformed(e.to_string()))
}

fn to_text<T: serde::Serialize>(v: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(v).map_err(|e| PasskeyError::Malformed(e.to_string()))
}

fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|e| PasskeyError::Malformed(e.to_string()))
}
