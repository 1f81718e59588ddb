//! Encryption at rest of what the API must read back (today: two-factor secrets), with
//! `DATA_ENCRYPTION_KEY`.
//!
//! XChaCha20-Poly1305 (an AEAD: a changed byte fails to decrypt, it never decrypts to something else),
//! a fresh random 192-bit nonce per value, and the owning row's id as associated data, so a ciphertext
//! copied to another user's row does not decrypt either. The 256-bit cipher key is derived from the
//! configured key text with HMAC-SHA-256 under a fixed label, so any text of at least 32 random bytes
//! works as a key.
//!
//! Stored form: `v1.<key id>.<base64url(nonce || ciphertext)>`. The key id (8 hex digits of a hash of the
//! derived key; it says nothing about the key) names the key that wrote the value, which is what key
//! rotation needs: the current key encrypts, the previous ones (`DATA_ENCRYPTION_PREVIOUS_KEYS`) still
//! decrypt, and [`DataCipher::needs_rewrap`] tells a caller to write the value again under the current key.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use secrecy::ExposeSecret;

use crate::config::Secret;

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 24;

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn derive(text: &Secret) -> Key {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"todo-auth data encryption v1").expect("any key length");
        mac.update(text.expose_secret().as_bytes());
        let bytes = mac.finalize().into_bytes();
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        Key { id, cipher: XChaCha20Poly1305::new(&bytes) }
    }
}

/// The current key and the previous ones (decrypt only).
pub struct DataCipher {
    current: Key,
    previous: Vec<Key>,
}

/// A stored value that does not decrypt with any configured key (wrong or missing key, or changed bytes).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored value does not decrypt with DATA_ENCRYPTION_KEY (nor a previous key)")]
pub struct Undecryptable;

impl DataCipher {
    pub fn new(current: &Secret, previous: &[Secret]) -> DataCipher {
        DataCipher { current: Key::derive(current), previous: previous.iter().map(Key::derive).collect() }
    }

    /// Encrypts `plain` for the row `owner` under the current key.
    pub fn encrypt(&self, owner: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: owner.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any length we store");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}.{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts a value written by [`Self::encrypt`] for the same `owner`, with the key that wrote it.
    pub fn decrypt(&self, owner: &str, stored: &str) -> Result<Vec<u8>, Undecryptable> {
        let mut parts = stored.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Undecryptable);
        };
        let key = std::iter::once(&self.current).chain(&self.previous).find(|k| k.id == id).ok_or(Undecryptable)?;
        let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|_| Undecryptable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(Undecryptable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        key.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: owner.as_bytes() })
            .map_err(|_| Undecryptable)
    }

    /// The current key's fingerprint, as stored values carry it (logged at start, for key rotation).
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Whether a stored value was written under a previous key (and should be written again).
    pub fn needs_rewrap(&self, stored: &str) -> bool {
        stored.split('.').nth(1) != Some(self.current.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Secret {
        Secret::from(s.repeat(40))
    }

    #[test]
    fn round_trip_bound_to_owner_and_key() {
        let cipher = DataCipher::new(&key("a"), &[]);
        let stored = cipher.encrypt("user-1", b"JBSWY3DPEHPK3PXP");
        assert!(!stored.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(cipher.decrypt("user-1", &stored).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_ne!(cipher.encrypt("user-1", b"x"), cipher.encrypt("user-1", b"x"), "fresh nonce each time");
        assert_eq!(cipher.decrypt("user-2", &stored), Err(Undecryptable), "another row's value");
        assert_eq!(DataCipher::new(&key("b"), &[]).decrypt("user-1", &stored), Err(Undecryptable), "another key");
        let mut tampered = stored.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(cipher.decrypt("user-1", std::str::from_utf8(&tampered).unwrap()), Err(Undecryptable));
        for junk in ["", "v1", "v1.x.y", "v2.abc.def", "plain-secret"] {
            assert_eq!(cipher.decrypt("user-1", junk), Err(Undecryptable), "{junk}");
        }
    }

    #[test]
    fn a_previous_key_still_decrypts_and_asks_for_a_rewrap() {
        let old = DataCipher::new(&key("a"), &[]);
        let stored = old.encrypt("u", b"secret");
        let rotated = DataCipher::new(&key("b"), &[key("a")]);
        assert_eq!(rotated.decrypt("u", &stored).unwrap(), b"secret");
        assert!(rotated.needs_rewrap(&stored));
        let rewrapped = rotated.encrypt("u", b"secret");
        assert!(!rotated.needs_rewrap(&rewrapped));
        assert_eq!(DataCipher::new(&key("b"), &[]).decrypt("u", &rewrapped).unwrap(), b"secret");
    }
}
