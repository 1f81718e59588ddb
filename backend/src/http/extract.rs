//! The HTTP layer's extractors: who is asking ([`CurrentUser`], [`BearerToken`]), from where ([`ClientIp`],
//! through trusted proxies; `flows::Device` adds the user agent), and about which task ([`TaskId`]). Each answers the contract's error itself, so a
//! handler that takes one runs only when it holds.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Path},
    http::{
        header::{AUTHORIZATION, USER_AGENT},
        request::Parts,
    },
};

use crate::{
    auth::{jwt, ClientIp},
    db::SessionUser,
    error::ApiError,
    flows::{Device, MAX_USER_AGENT_CHARS},
    state::AppState,
};

/// A request's bearer token, verified (signature, algorithm, expiry, claims) but not yet checked against
/// the database: [`CurrentUser::admit`] completes the check. Routes take [`CurrentUser`]; only
/// `GET /api/tasks` takes this, to read the user and the tasks in one query.
pub struct BearerToken(pub jwt::TokenInfo);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credentials = bearer_token(parts)?;
        let token = state.tokens.verify(credentials).map_err(|e| ApiError::Unauthorized(e.detail()))?;
        Ok(BearerToken(token))
    }
}

/// What `REQUIRE_VERIFIED_EMAIL=true` answers an unverified account, at sign-in and on every route but those
/// verification needs.
pub const VERIFY_FIRST: &str = "Please verify your email address first";

/// The signed-in user. Adding it to a handler's arguments *is* the access check: the handler only runs
/// for a valid, unrevoked token of a user who still exists (otherwise the contract's 401, with
/// `WWW-Authenticate: Bearer`) and, with `REQUIRE_VERIFIED_EMAIL=true`, whose address is verified (otherwise
/// 403 [`VERIFY_FIRST`]). The few routes an unverified account needs take [`AnyUser`] instead.
pub struct CurrentUser {
    pub user: SessionUser,
    pub token: jwt::TokenInfo,
}

impl CurrentUser {
    /// The database half of the check, on what [`crate::db::Db::session_user`] (or `session_tasks`) read
    /// for this token: the user still exists, and the token is neither revoked nor older than the user's
    /// last "sign out everywhere" or password change.
    pub fn admit(token: jwt::TokenInfo, user: Option<SessionUser>) -> Result<CurrentUser, ApiError> {
        // The seed answers 404 "User not found" here, which leaves its frontend stuck signed in.
        let user = user.ok_or(ApiError::Unauthorized("User not found"))?;
        if user.refuses(token.session_id.is_some()) || token.token_version != user.token_version {
            return Err(ApiError::Unauthorized("Token has been revoked"));
        }
        Ok(CurrentUser { user, token })
    }

    /// The whole check for a verified token: its user and revocation state read, then [`Self::admit`].
    pub async fn for_token(state: &AppState, token: jwt::TokenInfo) -> Result<CurrentUser, ApiError> {
        let session_id = token.session_id.as_deref().unwrap_or("");
        let user = state.db.session_user(&token.user_id, &token.token_id, session_id).await?;
        let current = CurrentUser::admit(token, user)?;
        current.note_use(state).await;
        Ok(current)
    }

    /// Moves the session's "last used" forward, at most once a minute (not a write per request). A failure
    /// is logged, never refused: the request itself was admitted.
    pub async fn note_use(&self, state: &AppState) {
        let (Some(session_id), Some(last_used)) = (&self.token.session_id, self.user.session_last_used) else {
            return;
        };
        let now = state.clock.now();
        if now.0 - last_used.0 < chrono::Duration::seconds(60) {
            return;
        }
        if let Err(e) = state.db.touch_session(session_id, now).await {
            tracing::warn!(error = %e, "could not record when a session was last used");
        }
    }
}

impl CurrentUser {
    /// The verified-address rule of `REQUIRE_VERIFIED_EMAIL=true`: 403 [`VERIFY_FIRST`] for an unverified user.
    /// (Read from what the check read: `session_tasks` reads the column only when the rule is on.)
    pub fn verified(self, state: &AppState) -> Result<CurrentUser, ApiError> {
        if state.settings.mail.require_verified_email && self.user.email_verified_at.is_none() {
            return Err(ApiError::Detail(axum::http::StatusCode::FORBIDDEN, VERIFY_FIRST.into()));
        }
        Ok(self)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        AnyUser::from_request_parts(parts, state).await?.0.verified(state)
    }
}

/// The signed-in user whether or not the address is verified: for what an unverified account needs to verify
/// it (`/me`, resend-verification, change-email, logout) and for change-password (which answers as before).
pub struct AnyUser(pub CurrentUser);

impl FromRequestParts<AppState> for AnyUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        Ok(AnyUser(CurrentUser::for_token(state, token).await?))
    }
}

/// `Authorization: Bearer <token>`, scheme case-insensitive (as FastAPI's HTTPBearer). No header, another
/// scheme or no token is "Not authenticated"; a Bearer token that is not visible ASCII (`Bearer ééé`) can only
/// be a bad token: "Invalid authentication token", as the seed answers (Starlette reads headers as latin-1).
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    const MISSING: ApiError = ApiError::Unauthorized("Not authenticated");
    let value = parts.headers.get(AUTHORIZATION).ok_or(MISSING)?.as_bytes();
    let space = value.iter().position(|&b| b == b' ').ok_or(MISSING)?;
    let (scheme, credentials) = (&value[..space], value[space + 1..].trim_ascii());
    if !scheme.eq_ignore_ascii_case(b"bearer") || credentials.is_empty() {
        return Err(MISSING);
    }
    std::str::from_utf8(credentials)
        .ok()
        .filter(|token| token.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(ApiError::Unauthorized(jwt::TokenError::Invalid.detail()))
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let trusted = &state.settings.trusted_proxies;
        let Some(peer) = peer else { return Ok(ClientIp(None)) };
        if !trusted.contains(&peer) {
            return Ok(ClientIp(Some(peer)));
        }
        let headers = parts.headers.get_all("x-forwarded-for");
        let entries = headers.iter().map(|v| v.to_str().ok()).flat_map(|v| match v {
            Some(v) => v.split(',').map(Some).collect::<Vec<_>>(),
            None => vec![None], // a header that is not text: as unparsable as a bad entry
        });
        let client = client_from_forwarded(peer, entries.collect(), trusted);
        Ok(ClientIp(Some(client)))
    }
}

/// One `X-Forwarded-For` entry: `ip`, `ip:port`, `[v6]` or `[v6]:port`; `None` for anything else.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    entry.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Walks the chain from the right (the entry our trusted peer added last): trusted proxies are passed
/// over, and the first entry that is not one is the client. An entry that does not parse stops the walk
/// at the last trusted hop, which is then the client: skipping it would let a client choose its own
/// address by writing `<anything>, <rotating address>`.
pub fn client_from_forwarded(peer: IpAddr, entries: Vec<Option<&str>>, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        let Some(ip) = entry.and_then(forwarded_ip) else { return client };
        client = ip;
        if !trusted.contains(&ip) {
            return ip;
        }
    }
    client
}

/// Where a request comes from ([`Device`]): the client's address as [`ClientIp`] reads it, and its
/// `User-Agent`, control characters removed and cut to [`MAX_USER_AGENT_CHARS`].
impl FromRequestParts<AppState> for Device {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.trim().chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect::<String>())
            .filter(|ua| !ua.is_empty());
        Ok(Device { ip, user_agent })
    }
}

/// The `{task_id}` of a task route. Any id that cannot name a task (not UTF-8, a NUL) is simply not found,
/// the contract's 404 for a task that is not the user's. A route documents it with `params(TaskId)`.
#[derive(utoipa::IntoParams)]
#[into_params(names("task_id"), parameter_in = Path)]
pub struct TaskId(
    /// Task id
    pub String,
);

impl<S: Send + Sync> FromRequestParts<S> for TaskId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) if !id.contains('\0') => Ok(TaskId(id)),
            _ => Err(ApiError::not_found(TASK_NOT_FOUND)),
        }
    }
}

pub const TASK_NOT_FOUND: &str = "Task not found";

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(header: &str, trusted: &[&str]) -> String {
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        let peer = trusted[0];
        client_from_forwarded(peer, header.split(',').map(Some).collect(), &trusted).to_string()
    }

    #[test]
    fn forwarded_entries_with_ports_are_read_and_a_bad_entry_stops_the_walk() {
        let proxy = ["10.0.0.1", "10.0.0.2"];
        assert_eq!(walk("203.0.113.9", &proxy), "203.0.113.9");
        assert_eq!(walk("203.0.113.9:5555", &proxy), "203.0.113.9");
        assert_eq!(walk("[2001:db8::1]:443", &proxy), "2001:db8::1");
        assert_eq!(walk("[2001:db8::1]", &proxy), "2001:db8::1");
        assert_eq!(walk("2001:db8::1", &proxy), "2001:db8::1");
        // The right-most non-proxy entry is the client, whatever the client wrote to its left.
        assert_eq!(walk("1.2.3.4, 203.0.113.9:5555, 10.0.0.2", &proxy), "203.0.113.9");
        // An entry that does not parse ends the walk: the last trusted hop is the client, and the
        // entries left of the garbage are never believed.
        assert_eq!(walk("198.51.100.77, garbage, 10.0.0.2", &proxy), "10.0.0.2");
        assert_eq!(walk("198.51.100.77, unknown", &proxy), "10.0.0.1");
        assert_eq!(walk("198.51.100.77, ", &proxy), "10.0.0.1");
    }
}
