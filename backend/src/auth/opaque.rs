//! Opaque tokens: secrets handed to one client that only its holder knows (the links in mail, the
//! `mfa_token` of a sign-in's second step, …). 256 random bits from the OS, URL-safe base64 for the client,
//! and only their SHA-256 kept, so a copy of the database opens nothing. A token has 256 bits of entropy, so
//! no salt or slow hash is needed.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token (for the client) and its hash (for the database).
pub struct OpaqueToken {
    pub token: String,
    pub hash: String,
}

impl OpaqueToken {
    pub fn generate() -> OpaqueToken {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash(&token);
        OpaqueToken { token, hash }
    }
}

/// What is stored of a token: its SHA-256, hex.
pub fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 as 64 lower-case hex digits: the one way this crate writes a digest as text.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_as_hashes() {
        let a = OpaqueToken::generate();
        let b = OpaqueToken::generate();
        assert_eq!(a.token.len(), 43, "32 bytes in unpadded base64");
        assert_ne!(a.token, b.token);
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.token));
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
