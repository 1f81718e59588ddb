//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP: HMAC-SHA-1, 6 digits, 30-second steps,
//! one step of clock drift either way) and recovery codes.
//!
//! Only the arithmetic lives here; which steps a user has already used, and the encrypted secret, are in
//! the database (routes/two_factor.rs).

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

pub const DIGITS: u32 = 6;
/// [`DIGITS`] as a length.
const CODE_LEN: usize = 6;
pub const STEP_SECONDS: i64 = 30;
/// Steps accepted either side of the current one.
pub const DRIFT_STEPS: i64 = 1;
/// 160 bits, the size RFC 4226 recommends (and HMAC-SHA-1's block-friendly length).
const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;
/// 80 random bits each: out of reach of guessing even offline against their SHA-256.
const RECOVERY_CODE_BYTES: usize = 10;

/// HOTP (RFC 4226 section 5.3) for `counter`, as a number of `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    binary % 10u32.pow(digits)
}

/// The time step of a Unix time (T0 = 0).
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of `step`, zero-padded.
pub fn code_for_step(secret: &[u8], step: i64) -> String {
    // Steps before 1970 do not occur (the clock is the system's); 0 stands in for them.
    format!("{:0CODE_LEN$}", hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS))
}

/// The step within the drift window around `now_step` whose code `code` is, if any. Compared in constant
/// time per candidate.
pub fn matching_step(secret: &[u8], code: &str, now_step: i64) -> Option<i64> {
    if code.len() != CODE_LEN || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (now_step - DRIFT_STEPS..=now_step + DRIFT_STEPS)
        .find(|&step| constant_time_eq(code_for_step(secret, step).as_bytes(), code.as_bytes()))
}

/// A code as users type it: spaces and dashes dropped.
pub fn normalize(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

/// Whether a (normalized) code looks like a TOTP code rather than a recovery code.
pub fn is_totp_shaped(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| b.is_ascii_digit())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// The secret as authenticator apps take it typed in: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

pub fn secret_from_base32(text: &str) -> Option<Vec<u8>> {
    BASE32_NOPAD.decode(text.as_bytes()).ok()
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30` (Google
/// Authenticator's key URI format), what the QR code holds.
pub fn otpauth_url(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{}:{}", percent_encode(issuer), percent_encode(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret_base32(secret),
        percent_encode(issuer)
    )
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Ten fresh recovery codes, shown once: `xxxx-xxxx-xxxx-xxxx` in lower-case base32.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let text = BASE32_NOPAD.encode(&bytes).to_lowercase();
            text.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-")
        })
        .collect()
}

/// What is stored of a recovery code: SHA-256 of its normalized form (case, spaces and dashes ignored).
pub fn recovery_code_hash(code: &str) -> String {
    let normalized = normalize(code).to_lowercase();
    super::opaque::sha256_hex(normalized.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, the SHA-1 column (8 digits, seed "12345678901234567890").
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        let vectors: [(i64, u32); 6] = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (time, expected) in vectors {
            assert_eq!(hotp(secret, u64::try_from(step_at(time)).unwrap(), 8), expected, "T = {time}");
        }
        // The same secret at 6 digits is the last six of each (RFC 4226 dynamic truncation).
        assert_eq!(code_for_step(secret, step_at(59)), "287082");
        assert_eq!(code_for_step(secret, step_at(1111111109)), "081804", "leading zero kept");
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", u64::try_from(counter).unwrap(), 6), code);
        }
    }

    #[test]
    fn drift_window_is_one_step_either_way() {
        let secret = b"12345678901234567890";
        let now = 1000;
        for delta in -1..=1 {
            assert_eq!(matching_step(secret, &code_for_step(secret, now + delta), now), Some(now + delta));
        }
        for delta in [-2, 2] {
            let code = code_for_step(secret, now + delta);
            let in_window = (now - 1..=now + 1).any(|s| code_for_step(secret, s) == code);
            assert_eq!(matching_step(secret, &code, now).is_some(), in_window);
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "12345a", now), None);
    }

    #[test]
    fn secrets_urls_and_recovery_codes() {
        let secret = new_secret();
        assert_eq!(secret.len(), 20);
        assert_eq!(secret_from_base32(&secret_base32(&secret)).unwrap(), secret);
        let url = otpauth_url("Todo App", "ada+x@example.com", b"12345678901234567890");
        assert_eq!(
            url,
            "otpauth://totp/Todo%20App:ada%2Bx@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Todo%20App&algorithm=SHA1&digits=6&period=30"
        );
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 19 && c.matches('-').count() == 3), "{codes:?}");
        assert_eq!(recovery_code_hash(&codes[0]), recovery_code_hash(&codes[0].to_uppercase().replace('-', " ")));
        assert_ne!(recovery_code_hash(&codes[0]), recovery_code_hash(&codes[1]));
    }
}
