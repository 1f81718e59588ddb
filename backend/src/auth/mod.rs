//! Authentication: passwords (seed: auth/password.py), tokens (auth/jwt.py), the current-user extractor
//! (auth/dependencies.py), throttling of sign-in attempts, and the client address they key on.

pub mod jwt;
pub mod password;
pub mod policy;
pub mod pwned;
pub mod scheme;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header::AUTHORIZATION, request::Parts},
};

use crate::{db::SessionUser, error::ApiError, state::AppState};

/// A request's bearer token, verified (signature, algorithm, expiry, claims) but not yet checked against
/// the database: [`CurrentUser::admit`] completes the check. Routes take [`CurrentUser`]; only
/// `GET /api/tasks` takes this, to read the user and the tasks in one query.
pub struct BearerToken(pub jwt::TokenInfo);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credentials = bearer_token(parts).ok_or(ApiError::Unauthorized("Not authenticated"))?;
        let token = state.tokens.verify(credentials).map_err(|e| ApiError::Unauthorized(e.detail()))?;
        Ok(BearerToken(token))
    }
}

/// The signed-in user. Adding it to a handler's arguments *is* the access check: the handler only runs
/// for a valid, unrevoked token of a user who still exists; otherwise the contract's 401 is answered
/// (with `WWW-Authenticate: Bearer`).
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
        if user.revoked > 0 || token.token_version != user.token_version {
            return Err(ApiError::Unauthorized("Token has been revoked"));
        }
        Ok(CurrentUser { user, token })
    }

    /// The whole check for a verified token: its user and revocation state read, then [`Self::admit`].
    pub async fn for_token(state: &AppState, token: jwt::TokenInfo) -> Result<CurrentUser, ApiError> {
        let user = state.db.session_user(&token.user_id, &token.token_id).await?;
        CurrentUser::admit(token, user)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        CurrentUser::for_token(state, token).await
    }
}

/// `Authorization: Bearer <token>`, scheme case-insensitive (as FastAPI's HTTPBearer).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

/// The client's address, for throttling: the socket's peer, or, when that peer is a configured trusted
/// proxy, the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("unknown"),
        }
    }
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
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        let client = forwarded.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer);
        Ok(ClientIp(Some(client)))
    }
}
