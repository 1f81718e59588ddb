//! The tokens in mailed links: 256 random bits from the OS, URL-safe base64 in the link, and only their SHA-256
//! in the database, so a copy of the database opens no account.

use base64::Engine;
use sha2::{Digest, Sha256};

/// What a link is for; each kind supersedes the user's older links of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    Verify,
    /// Verifies a new address and makes it the account's email.
    Change,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
            Purpose::Change => "change",
        }
    }
}

/// A fresh token (for the link) and its hash (for the database).
pub struct NewToken {
    pub token: String,
    pub hash: String,
}

pub fn new_token() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    NewToken { token, hash }
}

/// SHA-256, hex: a token has 256 bits of entropy, so no salt or slow hash is needed.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_as_hashes() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.token.len(), 43, "32 bytes in unpadded base64");
        assert_ne!(a.token, b.token);
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.token));
    }
}
