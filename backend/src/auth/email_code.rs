//! One-time email codes: [`DIGITS`] decimal digits drawn uniformly from the operating system's CSPRNG, and the
//! keyed hash that is all the database keeps of one.
//!
//! Why a keyed hash (HMAC-SHA256) rather than a plain or salted one: a code has only 10^6 values, so anyone
//! holding a copy of the table could try them all against an unkeyed hash (salted or not) in a fraction of a
//! second and sign in with a live code. The key is derived from `JWT_SECRET`, which is never in the database and
//! which every API process of one deployment shares (a code mailed by one process is checked by another).
//! Rotating `JWT_SECRET` voids the codes outstanding (they live 10 minutes anyway). The address is part of the
//! hashed input, so equal codes of two accounts have unrelated hashes, and a row cannot be moved to another
//! address.

use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::ExposeSecret;
use sha2::Sha256;

/// How many digits a code has.
pub const DIGITS: usize = 6;

/// A fresh code: [`DIGITS`] digits, uniform over all 10^[`DIGITS`] values (`gen_range` rejects the biased
/// remainder), from the OS's CSPRNG.
pub fn generate() -> String {
    let n: u32 = rand::rngs::OsRng.gen_range(0..10u32.pow(DIGITS as u32));
    format!("{n:0width$}", width = DIGITS)
}

/// Whether `code` is shaped like a code (exactly [`DIGITS`] ASCII digits).
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// The key of the codes' hashes, derived from `JWT_SECRET`.
#[derive(Clone)]
pub struct CodeKey([u8; 32]);

impl CodeKey {
    pub fn new(jwt_secret: &secrecy::SecretString) -> CodeKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(jwt_secret.expose_secret().as_bytes())
            .expect("HMAC takes any key length");
        mac.update(b"todo-auth one-time email code v1");
        CodeKey(mac.finalize().into_bytes().into())
    }

    /// What is stored of `code` mailed to `email` (lower-cased): HMAC-SHA256, hex.
    pub fn hash(&self, email: &str, code: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(email.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `code` for `email` is the one `stored` was made from, compared in constant time.
    pub fn matches(&self, stored: &str, email: &str, code: &str) -> bool {
        let Ok(stored) = hex::decode(stored) else { return false };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(email.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.verify_slice(&stored).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_spread_over_every_value() {
        let codes: Vec<String> = (0..2000).map(|_| generate()).collect();
        assert!(codes.iter().all(|c| is_code_shaped(c)), "{codes:?}");
        // Leading digits appear (zero-padded), and the first digit takes every value.
        let firsts: std::collections::BTreeSet<u8> = codes.iter().map(|c| c.as_bytes()[0]).collect();
        assert_eq!(firsts.len(), 10);
        let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
        assert!(distinct.len() > 1900, "{} distinct of 2000", distinct.len());
        assert!(!is_code_shaped("12345") && !is_code_shaped("12345a") && !is_code_shaped("１２３４５６"));
    }

    #[test]
    fn the_hash_is_keyed_and_bound_to_the_address() {
        let a = CodeKey::new(&"a".repeat(32).into());
        let b = CodeKey::new(&"b".repeat(32).into());
        let h = a.hash("ada@example.com", "123456");
        assert_eq!(h.len(), 64);
        assert!(a.matches(&h, "ada@example.com", "123456"));
        assert!(!a.matches(&h, "ada@example.com", "123457"));
        assert!(!a.matches(&h, "bob@example.com", "123456"));
        assert!(!b.matches(&h, "ada@example.com", "123456"), "another key");
        assert_ne!(h, crate::auth::opaque::sha256_hex(b"123456"));
        assert!(!a.matches("not hex", "ada@example.com", "123456"));
    }
}
