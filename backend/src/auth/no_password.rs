//! Accounts without a password (made by a provider sign-in, or taken back from an unverified registration):
//! `users.hashed_password` is `NOT NULL` in the seed's schema, so such an account holds a marker that no
//! password matches.
//!
//! The marker is a well-formed bcrypt string — `$2b$<cost>$`, a salt of 16 zero bytes, and 23 random bytes
//! where the hash goes — so that every reader handles it like any wrong password: ours verifies it in the time
//! a real hash of that cost takes (an account without a password answers a sign-in no faster than one with),
//! and the seed's Python `bcrypt.checkpw` returns `False` (an empty or malformed value would make it raise, a
//! 500). Nobody knows a password for it: the hash part is random, not the hash of anything. The all-zero salt
//! is what tells it apart ([`is_marker`]; a real salt is all zeros once in 2^128). The first password comes
//! through forgot-password, whose reset replaces the marker like any hash.

use base64::{alphabet, engine::GeneralPurpose, engine::GeneralPurposeConfig, Engine};
use rand::RngCore;

/// The salt part of a marker: 16 zero bytes in bcrypt's base64.
const ZERO_SALT: &str = "......................";

/// The marker in SQL: `hashed_password LIKE NO_PASSWORD_LIKE` holds exactly for accounts without a password
/// (`_` stands for the cost's two digits; `$` and `.` are not special in LIKE).
pub const SQL_LIKE: &str = "$2b$__$......................%";

/// A fresh marker at bcrypt cost `cost` (4..=31).
pub fn marker(cost: u32) -> String {
    let mut hash = [0u8; 23];
    rand::rngs::OsRng.fill_bytes(&mut hash);
    let engine = GeneralPurpose::new(&alphabet::BCRYPT, GeneralPurposeConfig::new().with_encode_padding(false));
    format!("$2b${cost:02}${ZERO_SALT}{}", engine.encode(hash))
}

/// Whether a stored hash is a marker (the account has no password).
pub fn is_marker(stored: &str) -> bool {
    stored.len() == 60 && stored.starts_with("$2b$") && stored.get(7..29) == Some(ZERO_SALT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scheme::{bcrypt_hash, Scheme};

    #[test]
    fn a_marker_is_a_bcrypt_hash_that_no_password_matches_and_is_told_apart() {
        let m = marker(4);
        assert_eq!(m.len(), 60, "{m}");
        assert_eq!(Scheme::of_stored(&m), Some(Scheme::Bcrypt { cost: 4 }));
        assert!(is_marker(&m));
        for password in ["", "correct horse battery", &m, ZERO_SALT] {
            assert!(!Scheme::verify(password, &m), "{password:?} matched");
        }
        assert_ne!(marker(4), m, "random");
        assert!(marker(12).starts_with("$2b$12$......................"));
        let real = bcrypt_hash("correct horse battery", 4).unwrap();
        assert!(!is_marker(&real) && !is_marker("") && !is_marker("$argon2id$v=19$m=19456,t=2,p=1$x$y"));
        // The SQL pattern says the same as is_marker.
        let like = |s: &str| {
            let p = SQL_LIKE.trim_end_matches('%');
            s.len() >= p.len() && s.chars().zip(p.chars()).all(|(c, q)| q == '_' || c == q)
        };
        assert!(like(&m) && like(&marker(12)) && !like(&real));
    }
}
