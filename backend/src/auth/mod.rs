//! Authentication's primitives, without HTTP: password hashes (`scheme.rs`, seed: auth/password.py) and the
//! pool they run on (`hasher.rs`), the password rules (`policy.rs`, `pwned.rs`), tokens (`jwt.rs`, seed:
//! auth/jwt.py; `opaque.rs` for the random ones), two-factor codes (`totp.rs`), one-time email codes (`email_code.rs`), encryption at rest
//! (`cipher.rs`), throttling (`throttle.rs`) and the client address it keys on, the relying party of OpenID
//! Connect sign-in (`oidc.rs`) and the marker of an account without a password (`no_password.rs`). The flows
//! that combine them are in `crate::flows`; the request extractors in `crate::http::extract`.

pub mod cipher;
pub mod email_code;
pub mod hasher;
pub mod jwt;
pub mod no_password;
pub mod oidc;
pub mod opaque;
pub mod passkey;
pub mod policy;
pub mod pwned;
pub mod scheme;
pub mod throttle;
pub mod totp;

use std::net::IpAddr;

/// The client's address, for throttling: the socket's peer, or, when that peer is a configured trusted
/// proxy, the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (see
/// `crate::http::extract::client_from_forwarded`). IPv6 clients are keyed by their /64 (see [`ClientIp::fmt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// The throttling key of a client: an IPv4 address as it is, an IPv6 address by its /64 network (one
/// subscriber's allocation, so rotating through it does not make new clients).
impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                write!(f, "{net}/64")
            }
            Some(IpAddr::V6(v6)) => write!(f, "{}", v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)),
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |ip: &str| ClientIp(Some(ip.parse().unwrap())).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
    }
}
