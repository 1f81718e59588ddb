//! Breached passwords, optionally (`PWNED_PASSWORDS_URL`): the k-anonymity range API of Have I Been
//! Pwned ("Pwned Passwords") or a copy of it. Only the first five hex characters of the password's SHA-1
//! leave the process (`GET {url}/range/{ABCDE}`); the answer lists every known suffix of that range with
//! its count, and the match is made here. `Add-Padding: true` asks for padding entries (count 0, ignored)
//! so the answer's size says nothing either.
//!
//! A short timeout (`PWNED_PASSWORDS_TIMEOUT_MS`) bounds what a slow service can add to a registration;
//! an unreachable or failing service allows the password and logs a warning. Ranges are cached in memory
//! (at most [`CACHE_RANGES`] ranges for [`CACHE_TTL`]); a range is public data, so the cache holds nothing
//! about anyone's password.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use sha1::{Digest, Sha1};

pub const CACHE_RANGES: usize = 128;
pub const CACHE_TTL: Duration = Duration::from_secs(3600);

/// A suffix of 35 hex digits, as 18 bytes (the last nibble padded with 0).
type Suffix = [u8; 18];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Breached,
    NotFound,
    /// The service did not answer in time or answered something unusable: the password is allowed.
    Unavailable,
}

pub struct Pwned {
    base: String,
    client: reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, Vec<Suffix>)>>,
}

fn parse_suffix(hex: &str) -> Option<Suffix> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 35 {
        return None;
    }
    let mut out = [0u8; 18];
    for (i, c) in hex.iter().enumerate() {
        let v = (*c as char).to_digit(16)? as u8;
        out[i / 2] |= if i % 2 == 0 { v << 4 } else { v };
    }
    Some(out)
}

/// The suffixes a range answer lists with a count above 0 (padding entries have 0), sorted.
fn parse_range(body: &str) -> Vec<Suffix> {
    let mut out: Vec<Suffix> = body
        .lines()
        .filter_map(|line| {
            let (suffix, count) = line.split_once(':')?;
            let count: u64 = count.trim().parse().ok()?;
            if count == 0 {
                return None;
            }
            parse_suffix(suffix)
        })
        .collect();
    out.sort_unstable();
    out
}

impl Pwned {
    pub fn new(base: &str, timeout: Duration) -> Pwned {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent("todo-auth-api (password check)")
            .build()
            .expect("an HTTP client with rustls and a timeout builds");
        Pwned { base: base.trim_end_matches('/').to_string(), client, cache: Mutex::new(HashMap::new()) }
    }

    pub async fn lookup(&self, password: &str) -> Lookup {
        let digest = Sha1::digest(password.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
        let (prefix, suffix) = hex.split_at(5);
        let Some(suffix) = parse_suffix(suffix) else { return Lookup::Unavailable };
        if let Some(found) = self.cached(prefix, &suffix) {
            return found;
        }
        let url = format!("{}/range/{prefix}", self.base);
        let answer = async {
            let res = self.client.get(&url).header("Add-Padding", "true").send().await?.error_for_status()?;
            res.text().await
        }
        .await;
        match answer {
            Ok(body) => {
                let range = parse_range(&body);
                let found = if range.binary_search(&suffix).is_ok() { Lookup::Breached } else { Lookup::NotFound };
                self.remember(prefix, range);
                found
            }
            Err(e) => {
                // The error names the URL (the prefix only), never the password or its full hash.
                tracing::warn!(error = %e, "breached-password service unreachable; the password is allowed");
                Lookup::Unavailable
            }
        }
    }

    fn cached(&self, prefix: &str, suffix: &Suffix) -> Option<Lookup> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (at, range) = cache.get(prefix)?;
        if at.elapsed() > CACHE_TTL {
            return None;
        }
        Some(if range.binary_search(suffix).is_ok() { Lookup::Breached } else { Lookup::NotFound })
    }

    fn remember(&self, prefix: &str, range: Vec<Suffix>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_RANGES && !cache.contains_key(prefix) {
            cache.retain(|_, (at, _)| at.elapsed() <= CACHE_TTL);
            if cache.len() >= CACHE_RANGES {
                if let Some(oldest) = cache.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone()) {
                    cache.remove(&oldest);
                }
            }
        }
        cache.insert(prefix.to_string(), (Instant::now(), range));
    }

    /// How many ranges are cached (for tests).
    pub fn cached_ranges(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_answer_is_read_without_its_padding() {
        // SHA-1("password") = 5BAA6 1E4C9B93F3F0682250B6CF8331B7EE68FD8
        let body = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824\r\n\
                    0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n\
                    garbage\r\n\
                    011053FD0102E94D6AE2F8B83D76FAF94F6:1";
        let range = parse_range(body);
        assert_eq!(range.len(), 2, "the padding entry and the garbage line are dropped");
        assert!(range.binary_search(&parse_suffix("1E4C9B93F3F0682250B6CF8331B7EE68FD8").unwrap()).is_ok());
        assert!(range.binary_search(&parse_suffix("0018A45C4D1DEF81644B54AB7F969B88D65").unwrap()).is_err());
        assert_eq!(
            parse_suffix("1e4c9b93f3f0682250b6cf8331b7ee68fd8"),
            parse_suffix("1E4C9B93F3F0682250B6CF8331B7EE68FD8")
        );
        assert_eq!(parse_suffix("XYZ"), None);
    }
}
