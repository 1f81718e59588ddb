//! The account's history, from the flows' side.
//!
//! How a flow records an event: it builds the [`Event`] of its request with [`event`] (what happened, a short
//! detail, and where and when: the client's address as throttling sees it, its user agent, the app's clock) and
//! passes it to the db function that makes the change, which writes it in the change's own transaction
//! (`crate::db::activity::record!`). A change that has no transaction of its own calls [`record`]. A sign-in's
//! event is written by [`super::sign_in::finish_sign_in`] for every way in, with the new-device notice
//! ([`new_device_notice`]); failed sign-ins go through [`failed_sign_in`], which caps them.
//!
//! Also here: the page `GET /api/auth/activity` reads ([`page`]) and what a device is ([`browser`],
//! [`device_key`]).

use std::{net::IpAddr, time::Duration};

use super::Device;
use crate::{
    auth::ClientIp,
    db::{ActivityRow, Event, EventType, FailureCap, Mail, Origin, SessionRow},
    error::ApiResult,
    mail::{self, Kind},
    state::AppState,
};

/// Failed sign-ins kept per account: at most 10 rows in any hour (the rest of that hour's failures are counted
/// on the newest row) and 100 in all (the oldest go). Under a brute force the throttle lets at most
/// `LOGINS_PER_EMAIL` attempts per window reach an account; this keeps what they leave bounded whatever the
/// attack's length.
pub const FAILURE_CAP: FailureCap = FailureCap { per_hour: 10, kept: 100 };

/// A sign-in from a device (browser family and network) not seen on the account for this long mails a notice.
pub const NEW_DEVICE_AFTER: Duration = Duration::from_secs(90 * 24 * 3600);

/// `GET /api/auth/activity`: events per page by default, and at most.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// Where and when the request of `device` happened, by the app's clock.
pub fn origin(state: &AppState, device: &Device) -> Origin {
    Origin { at: state.clock.now(), ip: device.ip.0.map(|ip| ip.to_string()), user_agent: device.user_agent.clone() }
}

/// The event `kind` of the request of `device`, with `detail` (short; never a secret).
pub fn event(state: &AppState, device: &Device, kind: EventType, detail: Option<String>) -> Event {
    Event::new(kind, detail, origin(state, device))
}

/// Records an event in a transaction of its own: for a change that has none (a flow whose change does have
/// one passes the [`event`] to its db function instead).
pub async fn record(
    state: &AppState,
    device: &Device,
    user_id: &str,
    kind: EventType,
    detail: Option<String>,
) -> ApiResult<()> {
    Ok(state.db.record(user_id, &event(state, device, kind, detail)).await?)
}

/// A failed sign-in on the account `user_id` (whose address was tried; the password tried is never recorded),
/// capped by [`FAILURE_CAP`]. Written after the answer, in the background: a refused sign-in takes the same time
/// whether or not the address has an account, and a write only for the one that has would tell them apart.
pub fn failed_sign_in(state: &AppState, device: &Device, user_id: &str, detail: &'static str) {
    let event = event(state, device, EventType::SignInFailed, Some(detail.to_string()));
    let (task_state, user_id) = (state.clone(), user_id.to_string());
    state.background.spawn(async move {
        if let Err(e) = task_state.db.record_failed_sign_in(&user_id, &event, FAILURE_CAP).await {
            tracing::warn!(user_id = %user_id, error = %e, "failed sign-in not recorded");
        }
    });
}

/// The event of a sign-in (detail: how it was proved), with its device for the new-device check.
pub fn sign_in_event(state: &AppState, device: &Device, how: &str) -> Event {
    Event { device: Some(device_key(device)), ..event(state, device, EventType::SignIn, Some(how.to_string())) }
}

/// The "new sign-in" notice for a sign-in `event` of the account `email`: when, from where, which browser,
/// and a link to the account page. Whether it is sent is decided with the sign-in's session, in its
/// transaction (`Db::create_session`).
pub fn new_device_notice(state: &AppState, email: &str, device: &Device, event: &Event) -> Mail {
    let when = event.origin.at.0.format("%Y-%m-%d %H:%M UTC").to_string();
    let ip = event.origin.ip.as_deref().unwrap_or("an unknown address");
    let browser = browser(device.user_agent.as_deref());
    let link = format!("{}/account", state.settings.mail.web_url);
    mail::compose(email, &Kind::NewSignIn { email, when: &when, ip, browser: &browser, link: &link })
}

/// Up to `limit` of the account's events, newest first, older than the event `before` when given.
pub async fn page(state: &AppState, user_id: &str, before: Option<i64>, limit: i64) -> ApiResult<Vec<ActivityRow>> {
    Ok(state.db.activity_page(user_id, before, limit.clamp(1, MAX_PAGE)).await?)
}

/// What a session was, for the event that ends it: its browser and address.
pub fn describe_session(session: &SessionRow) -> String {
    let browser = browser(session.user_agent.as_deref());
    match &session.ip {
        Some(ip) => format!("{browser}, {ip}"),
        None => browser,
    }
}

/// A device, as new-device notices tell devices apart: the browser family (with its system) and the network.
pub fn device_key(device: &Device) -> String {
    format!("{}|{}", browser(device.user_agent.as_deref()), network(device.ip))
}

/// The network of an address: its /24 for IPv4, its /48 for IPv6 (an address changes within these when a
/// home or office connection reconnects).
pub fn network(ip: ClientIp) -> String {
    match ip.0.map(|ip| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }) {
        Some(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{}/48", std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
        None => "unknown network".to_string(),
    }
}

/// The browser family and system of a `User-Agent`, as people name them — "Firefox on Linux", "Safari on
/// iPhone", "curl" — by the same rule as the web app's `lib/device.ts` (its sessions list and this history say
/// the same names). Tokens are tried from the most specific (Edge and Opera also say Chrome and Safari).
pub fn browser(user_agent: Option<&str>) -> String {
    const UNKNOWN: &str = "Unknown device";
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return UNKNOWN.to_string();
    };
    let has = |token: &str| ua.contains(token);
    let family = if has("Edg/") || has("EdgA/") || has("EdgiOS/") || has("Edge/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera/") {
        Some("Opera")
    } else if has("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Version/") && has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("iPhone") || has("iPod") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (family, system) {
        (Some(family), Some(system)) => format!("{family} on {system}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        // A program rather than a browser: its product token ("curl/8.5.0" is curl).
        (None, None) => match ua.split_once('/').map(|(product, _)| product) {
            Some(product)
                if product != "Mozilla"
                    && (1..=41).contains(&product.len())
                    && product.starts_with(|c: char| c.is_ascii_alphabetic())
                    && product.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) =>
            {
                product.to_string()
            }
            _ => UNKNOWN.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_by_family_and_system() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.32.3", "python-requests"),
            ("Mozilla/5.0 (compatible; something)", "Unknown device"),
            ("Mozilla/5.0 (X11; Linux x86_64)", "Linux"),
            ("not a user agent", "Unknown device"),
        ];
        for (ua, name) in cases {
            assert_eq!(browser(Some(ua)), name, "{ua}");
        }
        assert_eq!(browser(None), "Unknown device");
        assert_eq!(browser(Some("  ")), "Unknown device");
    }

    #[test]
    fn networks_are_a_v4_24_and_a_v6_48() {
        let net = |ip: &str| network(ClientIp(Some(ip.parse().unwrap())));
        assert_eq!(net("203.0.113.7"), "203.0.113.0/24");
        assert_eq!(net("203.0.113.200"), net("203.0.113.7"));
        assert_ne!(net("203.0.114.7"), net("203.0.113.7"));
        assert_eq!(net("::ffff:203.0.113.9"), "203.0.113.0/24");
        assert_eq!(net("2001:db8:1:2:3::1"), "2001:db8:1::/48");
        assert_eq!(net("2001:db8:1:ffff::9"), net("2001:db8:1:2::1"));
        assert_eq!(network(ClientIp(None)), "unknown network");
    }
}
