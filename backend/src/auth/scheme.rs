//! Which hash new passwords get (`PASSWORD_HASH`), and the one rule that says when a stored hash is
//! replaced after a successful sign-in ([`Scheme::needs_rehash`]).
//!
//! - `bcrypt` (default): `$2b$` at `BCRYPT_COST`, the seed's format, so the seed's backend can still read
//!   every row.
//! - `argon2id`: PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`) with OWASP's minimum for Argon2id
//!   (m = 19 MiB, t = 2, p = 1). The seed cannot read these: a user who signed in after the switch can
//!   no longer sign in through the seed's backend.
//!
//! Verification reads whatever a row holds (bcrypt or Argon2id), whatever is configured. These are the
//! synchronous primitives; requests run them on the hashing pool ([`super::hasher::Hasher`]).

use argon2::{
    password_hash::PasswordHash as Phc, Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version,
};

use crate::config::PasswordHash;

/// OWASP Password Storage Cheat Sheet, Argon2id: m = 19 MiB, t = 2, p = 1.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_ITERATIONS: u32 = 2;
pub const ARGON2_PARALLELISM: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Bcrypt { cost: u32 },
    Argon2id,
}

/// bcrypt reads at most 72 bytes; the seed truncates explicitly (newer Python bcrypt refuses longer).
pub const BCRYPT_MAX_BYTES: usize = 72;

/// The part of a password bcrypt hashes: its first 72 UTF-8 bytes (the seed's rule, so hashes move between
/// the seed and us in both directions).
pub fn bcrypt_input(password: &str) -> &[u8] {
    let bytes = password.as_bytes();
    &bytes[..bytes.len().min(BCRYPT_MAX_BYTES)]
}

/// A `$2b$` hash with the seed's rules (synchronous).
pub fn bcrypt_hash(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash_with_result(bcrypt_input(password), cost).map(|parts| parts.format_for_version(bcrypt::Version::TwoB))
}

/// Verify with the seed's rules. A stored value that is not a bcrypt hash verifies as false.
fn bcrypt_verify(password: &str, hash: &str) -> bool {
    match bcrypt::verify(bcrypt_input(password), hash) {
        Ok(ok) => ok,
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash is not a valid bcrypt hash");
            false
        }
    }
}

/// `Hasher::new(12, …)` means bcrypt at cost 12, as before `PASSWORD_HASH` existed.
impl From<u32> for Scheme {
    fn from(cost: u32) -> Self {
        Scheme::Bcrypt { cost }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM, None)
        .expect("OWASP's Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn is_argon2(stored: &str) -> bool {
    stored.starts_with("$argon2")
}

impl Scheme {
    /// What `PASSWORD_HASH` and `BCRYPT_COST` configure.
    pub fn configured(kind: PasswordHash, bcrypt_cost: u32) -> Scheme {
        match kind {
            PasswordHash::Bcrypt => Scheme::Bcrypt { cost: bcrypt_cost },
            PasswordHash::Argon2id => Scheme::Argon2id,
        }
    }

    /// The kind of a stored hash: bcrypt at its cost, or Argon2id (verified with the parameters it names,
    /// which for our own hashes are the configured ones). `None`: neither.
    pub fn of_stored(stored: &str) -> Option<Scheme> {
        if is_argon2(stored) {
            return Some(Scheme::Argon2id);
        }
        let mut parts = stored.split('$');
        let (empty, version, cost) = (parts.next()?, parts.next()?, parts.next()?);
        (empty.is_empty() && version.starts_with('2') && cost.len() == 2)
            .then(|| cost.parse().ok().map(|cost| Scheme::Bcrypt { cost }))
            .flatten()
    }

    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Bcrypt { .. } => "bcrypt",
            Scheme::Argon2id => "argon2id",
        }
    }

    /// A new hash of this kind (synchronous: run it on the hashing pool).
    pub fn hash(&self, password: &str) -> Result<String, String> {
        match *self {
            Scheme::Bcrypt { cost } => bcrypt_hash(password, cost).map_err(|e| e.to_string()),
            Scheme::Argon2id => {
                let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
                argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
            }
        }
    }

    /// Checks a password against a stored hash of either kind. A value that is neither verifies as false.
    pub fn verify(password: &str, stored: &str) -> bool {
        if !is_argon2(stored) {
            return bcrypt_verify(password, stored);
        }
        match Phc::new(stored) {
            // The parameters are read from the stored string, so older or stronger ones still verify.
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(e) => {
                tracing::warn!(error = %e, "stored password hash is not a valid Argon2 PHC string");
                false
            }
        }
    }

    /// Whether a stored hash should be replaced by a new one of this scheme once its owner has signed in
    /// with the right password: a hash of the other kind, a bcrypt hash of another cost than
    /// `BCRYPT_COST`, an Argon2 hash that is not Argon2id with exactly the configured parameters.
    /// Something unreadable is left alone (it never verifies, so this is never asked about it).
    ///
    /// One exception: a bcrypt hash verified with a password longer than 72 bytes stays bcrypt. bcrypt
    /// only ever saw the first 72 bytes, so the typed tail may differ from the one the user chose; an
    /// Argon2id hash of what was typed would lock them out of their own password.
    pub fn needs_rehash(&self, stored: &str, password: &str) -> bool {
        match *self {
            Scheme::Bcrypt { cost } => {
                if is_argon2(stored) {
                    return true;
                }
                // `$2b$12$…`: the cost is the two digits after the version.
                let mut parts = stored.split('$');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(""), Some(_version), Some(c)) => c.parse::<u32>().is_ok_and(|c| c != cost),
                    _ => false,
                }
            }
            Scheme::Argon2id => {
                if !is_argon2(stored) {
                    return stored.starts_with("$2") && password.len() <= BCRYPT_MAX_BYTES;
                }
                let Ok(parsed) = Phc::new(stored) else { return false };
                let Ok(params) = Params::try_from(&parsed) else { return false };
                parsed.algorithm.as_str() != "argon2id"
                    || parsed.version != Some(Version::V0x13 as u32)
                    || params.m_cost() != ARGON2_MEMORY_KIB
                    || params.t_cost() != ARGON2_ITERATIONS
                    || params.p_cost() != ARGON2_PARALLELISM
            }
        }
    }

    /// Rough seconds of CPU per hash, for `Retry-After` (bcrypt ≈ 0.25 s at cost 12 and doubles per step;
    /// Argon2id at 19 MiB, t = 2 ≈ 0.05 s on this class of machine).
    pub fn seconds_per_hash(&self) -> f64 {
        match *self {
            Scheme::Bcrypt { cost } => 0.25_f64 * 2f64.powi(cost as i32 - 12),
            Scheme::Argon2id => 0.05,
        }
    }

    /// Memory one hashing job holds while it runs (Argon2's matrix; bcrypt's state is 4 KiB).
    pub fn memory_per_job_bytes(&self) -> usize {
        match self {
            Scheme::Bcrypt { .. } => 4 << 10,
            Scheme::Argon2id => ARGON2_MEMORY_KIB as usize * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_HASH: &str = "$2b$12$a8cV6Xiu/dYBiWh99VIkBO96yWZgxd8p76yiYxN8Mqe5gaMF9KG.e";

    #[test]
    fn argon2id_hashes_are_phc_strings_with_owasps_parameters_and_verify() {
        let h = Scheme::Argon2id.hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(Scheme::verify("correct horse battery", &h));
        assert!(!Scheme::verify("correct horse batterY", &h));
        // No 72-byte cut with Argon2: every byte counts.
        let long = "p".repeat(80);
        let h = Scheme::Argon2id.hash(&long).unwrap();
        assert!(!Scheme::verify(&format!("{}x", "p".repeat(79)), &h));
        assert!(!Scheme::Argon2id.needs_rehash(&h, &long));
    }

    #[test]
    fn both_kinds_verify_whatever_is_configured() {
        assert!(Scheme::verify("correct horse battery", SEED_HASH));
        assert!(!Scheme::verify("wrong", SEED_HASH));
        assert!(!Scheme::verify("x", "$argon2id$garbage"));
        assert!(!Scheme::verify("x", "not-a-hash"));
    }

    #[test]
    fn one_rule_says_when_a_hash_is_replaced() {
        let weaker_argon = "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let cases: &[(Scheme, &str, bool)] = &[
            (Scheme::Bcrypt { cost: 12 }, SEED_HASH, false),
            (Scheme::Bcrypt { cost: 10 }, SEED_HASH, true),
            (Scheme::Bcrypt { cost: 13 }, SEED_HASH, true),
            (Scheme::Bcrypt { cost: 12 }, weaker_argon, true),
            (Scheme::Argon2id, SEED_HASH, true),
            (Scheme::Argon2id, weaker_argon, true),
            (Scheme::Argon2id, argon2i, true),
            (Scheme::Argon2id, "not-a-hash", false),
            (Scheme::Bcrypt { cost: 12 }, "not-a-hash", false),
        ];
        for (scheme, stored, expected) in cases {
            assert_eq!(scheme.needs_rehash(stored, "correct horse battery"), *expected, "{scheme:?} {stored}");
        }
        // bcrypt matched only the first 72 bytes of a longer password: it stays bcrypt.
        assert!(!Scheme::Argon2id.needs_rehash(SEED_HASH, &"p".repeat(73)));
        assert!(Scheme::Argon2id.needs_rehash(SEED_HASH, &"p".repeat(72)));
        assert!(Scheme::Bcrypt { cost: 10 }.needs_rehash(SEED_HASH, &"p".repeat(80)));
    }

    #[test]
    fn hashes_are_2b_with_the_configured_cost_and_verify() {
        let h = bcrypt_hash("correct horse battery", 4).unwrap();
        assert!(h.starts_with("$2b$04$"), "{h}");
        assert!(Scheme::verify("correct horse battery", &h));
        assert!(!Scheme::verify("Correct horse battery", &h));
    }

    #[test]
    fn only_the_first_72_bytes_count_like_the_seed() {
        let long = "p".repeat(80);
        let h = bcrypt_hash(&long, 4).unwrap();
        assert!(Scheme::verify(&format!("{}{}", "p".repeat(72), "anything"), &h));
        assert!(!Scheme::verify(&"p".repeat(71), &h));
        // Multi-byte characters: the cut is by bytes, exactly as `password.encode()[:72]`.
        let emoji = "🔐".repeat(20); // 80 bytes
        let h = bcrypt_hash(&emoji, 4).unwrap();
        assert!(Scheme::verify(&format!("{}{}", "🔐".repeat(18), "x"), &h));
    }

    #[test]
    fn hashes_made_by_the_seed_verify() {
        // From tests/fixtures/seed-db (Python bcrypt, cost 12).
        assert!(Scheme::verify("correct horse battery", SEED_HASH));
        assert!(!Scheme::verify("wrong", SEED_HASH));
        assert!(!Scheme::verify("x", "not-a-hash"));
    }

    #[test]
    fn the_configured_kind_and_cost_make_the_scheme() {
        assert_eq!(Scheme::configured(PasswordHash::Argon2id, 12), Scheme::Argon2id);
        assert_eq!(Scheme::configured(PasswordHash::Bcrypt, 11), Scheme::Bcrypt { cost: 11 });
    }
}
