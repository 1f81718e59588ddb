//! Sign-in with an OpenID Connect provider (the flows are `crate::flows::oidc`):
//!
//! - `GET /api/auth/providers`: the configured providers, for the "Continue with <name>" buttons;
//! - `GET /api/auth/oidc/{provider}/start?next=`: a browser navigation; answers `303` to the provider, with the
//!   flow cookie ([`flow_cookie`]) that binds the flow to this browser;
//! - `GET /api/auth/oidc/{provider}/callback`: the provider's redirect back (the redirect URI registered there,
//!   `{WEB_URL}/api/auth/oidc/<id>/callback`); answers `303` to `next` with the session cookie
//!   (the web session middleware writes it: `http::web_session::IssuedSession`) — or, for an account with two-factor on, to `/login?next=…#mfa_token=…` (the token in
//!   the fragment, which no server and no log sees); any failure to `/login?error=<code>&provider=<id>`
//!   (`/account?error=…` for a link), never an error page;
//! - `POST /api/auth/oidc/{provider}/link` (signed in): starts a link, answering the provider's URL for the page
//!   to navigate to (and the flow cookie);
//! - `GET /api/auth/identities`, `DELETE /api/auth/identities/{identity_id}` (signed in): the linked providers.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{oidc::CallbackParams, ClientIp},
    clock::Ts,
    config::Settings,
    error::{ApiError, ApiResult},
    flows::{
        oidc::{self, Failed, Failure, Finished, FLOW_TTL},
        Device,
    },
    http::{
        extract::CurrentUser,
        responses::{NotSignedIn, TooManyAttempts},
        schemas::ErrorResponse,
        web_session::{cookie_value, served_over_https, IssuedSession},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(link))
        .routes(routes!(list_identities))
        .routes(routes!(unlink))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderInfo {
    /// The id in the routes (`/api/auth/oidc/{id}/start`).
    #[schema(example = "google")]
    pub id: String,
    /// What the button says after "Continue with ".
    #[schema(example = "Google")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersResponse {
    /// In `OIDC_PROVIDERS` order; empty when none is configured.
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkStartResponse {
    /// Where the page sends the browser (the provider's authorization endpoint).
    pub authorization_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityResponse {
    /// For `DELETE /api/auth/identities/{identity_id}`.
    pub id: String,
    #[schema(example = "google")]
    pub provider_id: String,
    /// The provider's name (its id if it is no longer configured).
    #[schema(example = "Google")]
    pub provider_name: String,
    /// The address the provider asserted when last used; null when it gave none.
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.829173Z")]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:40:02.112233Z")]
    pub last_used_at: Ts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentitiesResponse {
    /// Oldest first.
    pub identities: Vec<IdentityResponse>,
    /// False for an account made by a provider sign-in (or taken back) that has not set a password yet
    /// ("Forgot password?" sets the first one). Without a password, the last identity cannot be unlinked.
    pub has_password: bool,
}

/// The providers one can sign in with ("Continue with <name>"). No sign-in needed.
#[utoipa::path(get, path = "/api/auth/providers", tag = "auth",
    responses((status = 200, description = "The configured providers", body = ProvidersResponse)))]
pub async fn list_providers(State(state): State<AppState>) -> Json<ProvidersResponse> {
    let providers = oidc::providers(&state).into_iter().map(|(id, name)| ProviderInfo { id, name }).collect();
    Json(ProvidersResponse { providers })
}

/// Start signing in with a provider: a browser navigation (a link), answered with a redirect to the
/// provider. `next`: where to land afterwards (a path of the web app; default `/tasks`).
///
/// Any failure (unknown provider, too many attempts, provider unreachable) redirects to
/// `/login?error=<code>&provider=<id>`.
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "Provider id"),
           ("next" = Option<String>, Query, description = "Where to land after signing in (a path of the web app)")),
    responses(
        (status = 303, description = "To the provider (with the flow cookie), or to /login?error=<code>&provider=<id>",
         headers(("Location" = String, description = "Where to go"), ("Set-Cookie" = String, description = "The flow cookie"))),
    ))]
pub async fn start(
    State(state): State<AppState>,
    client: ClientIp,
    provider: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let provider = provider.map(|Path(p)| p).unwrap_or_default();
    let next = query.ok().and_then(|Query(q)| q.get("next").cloned());
    let browser = cookie_value(&headers, flow_cookie_name(&state.settings));
    match oidc::start(&state, client, &provider, browser, next.as_deref(), None).await {
        Ok(started) => with_cookie(see_other(&started.url), flow_cookie(&state.settings, &started.browser)),
        Err(failed) => see_other(&failure_location(failed, &provider)),
    }
}

/// The provider's redirect back (the redirect URI registered at the provider). Answers a redirect: to
/// `next` signed in (the session cookie set); to `/login?next=…#mfa_token=…` when the account has two-factor
/// on; to `/account?linked=<id>` after a link; on any failure to `/login?error=<code>&provider=<id>`
/// (`/account?error=…` for a link). Codes: `oidc_cancelled`, `oidc_expired` (replayed, another browser's,
/// unknown or expired), `oidc_unavailable`, `oidc_unverified_email`, `oidc_unusable_email`,
/// `oidc_linked_elsewhere`, `oidc_verify_email_first`, `oidc_unknown_provider`, `oidc_failed`.
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "Provider id"),
           ("code" = Option<String>, Query, description = "From the provider"),
           ("state" = Option<String>, Query, description = "From the provider"),
           ("iss" = Option<String>, Query, description = "From the provider (RFC 9207)"),
           ("error" = Option<String>, Query, description = "From the provider")),
    responses(
        (status = 303, description = "Signed in (session cookie set) and on to `next`, or on to the two-factor step, /account, or /login?error=<code>",
         headers(("Location" = String, description = "Where to go"), ("Set-Cookie" = String, description = "The session cookie, when signed in"))),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    device: Device,
    provider: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let provider = provider.map(|Path(p)| p).unwrap_or_default();
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let params = CallbackParams {
        code: q.get("code").cloned(),
        state: q.get("state").cloned(),
        iss: q.get("iss").cloned(),
        error: q.get("error").cloned(),
        error_description: q.get("error_description").cloned(),
    };
    let browser = cookie_value(&headers, flow_cookie_name(&state.settings));
    match oidc::callback(&state, &device, &provider, browser, &params).await {
        Ok(Finished::SignedIn { signed_in, next }) => {
            let mut response = see_other(&next);
            response.extensions_mut().insert(IssuedSession(signed_in.access_token));
            response
        }
        Ok(Finished::SecondFactor { mfa_token, next }) => {
            see_other(&format!("/login?next={}&provider={provider}#mfa_token={mfa_token}", encode(&next)))
        }
        Ok(Finished::Linked { next }) => see_other(&format!("{next}?linked={provider}")),
        Err(failed) => see_other(&failure_location(failed, &provider)),
    }
}

/// Start linking a provider to the signed-in account ("Link <name>" on /account): answers the provider's URL
/// for the page to navigate to, and sets the flow cookie. The provider's redirect back ends on
/// `/account?linked=<id>` (or `/account?error=<code>&provider=<id>`, e.g. `oidc_linked_elsewhere` when that
/// identity belongs to another account).
#[utoipa::path(post, path = "/api/auth/oidc/{provider}/link", tag = "auth", security(("bearer" = [])),
    params(("provider" = String, Path, description = "Provider id")),
    responses(
        (status = 200, description = "Go to authorization_url (the flow cookie is set)", body = LinkStartResponse),
        NotSignedIn,
        (status = 404, description = "Unknown provider", body = ErrorResponse),
        TooManyAttempts,
        (status = 503, description = "The provider cannot be reached", body = ErrorResponse),
    ))]
pub async fn link(
    State(state): State<AppState>,
    client: ClientIp,
    current: CurrentUser,
    provider: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let provider = provider.map(|Path(p)| p).unwrap_or_default();
    let browser = cookie_value(&headers, flow_cookie_name(&state.settings));
    match oidc::start(&state, client, &provider, browser, None, Some(&current.user.id)).await {
        Ok(started) => {
            let body = Json(LinkStartResponse { authorization_url: started.url }).into_response();
            Ok(with_cookie(body, flow_cookie(&state.settings, &started.browser)))
        }
        Err(Failed { failure: Failure::UnknownProvider, .. }) => Err(ApiError::not_found("Unknown provider")),
        Err(Failed { failure: Failure::Throttled { retry_after }, .. }) => {
            Err(ApiError::TooManyAttempts { retry_after })
        }
        Err(_) => Err(ApiError::Detail(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} cannot be reached right now. Try again in a few minutes.",
                oidc::provider_name(&state, &provider)
            )
            .into(),
        )),
    }
}

/// The providers linked to the signed-in account, and whether it has a password.
#[utoipa::path(get, path = "/api/auth/identities", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Linked providers", body = IdentitiesResponse),
        NotSignedIn,
    ))]
pub async fn list_identities(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<IdentitiesResponse>> {
    let (rows, has_password) = oidc::linked(&state, &current.user).await?;
    let identities = rows
        .into_iter()
        .map(|row| IdentityResponse {
            provider_name: oidc::provider_name(&state, &row.provider_id),
            id: row.id,
            provider_id: row.provider_id,
            email: row.email,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
        .collect();
    Ok(Json(IdentitiesResponse { identities, has_password }))
}

/// Unlink a provider: it no longer signs in to this account (a notice is mailed). Refused for the last way to
/// sign in (an account without a password and no other linked provider).
#[utoipa::path(delete, path = "/api/auth/identities/{identity_id}", tag = "auth", security(("bearer" = [])),
    params(("identity_id" = String, Path, description = "Identity id (from GET /api/auth/identities)")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 400, description = "The last way to sign in to this account", body = ErrorResponse),
        NotSignedIn,
        (status = 404, description = "Linked provider not found", body = ErrorResponse),
    ))]
pub async fn unlink(
    State(state): State<AppState>,
    device: Device,
    current: CurrentUser,
    identity_id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<StatusCode> {
    let Ok(Path(identity_id)) = identity_id else { return Err(ApiError::not_found(oidc::NOT_LINKED)) };
    oidc::unlink(&state, &device, &current.user, &identity_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a failed flow sends the browser: /login (or /account for a link) with the failure's code and the
/// provider (whose name the page shows).
fn failure_location(failed: Failed, provider: &str) -> String {
    let page = if failed.link { oidc::ACCOUNT_PAGE } else { "/login" };
    let plausible = provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) && provider.len() <= 32;
    let provider = if plausible { provider } else { "" };
    format!("{page}?error={}&provider={provider}", failed.failure.code())
}

/// `303 See Other` to `location` (a path of the web app, or the provider's URL).
fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/login?error=oidc_failed"))])
            .into_response(),
    }
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn flow_cookie_name(settings: &Settings) -> &'static str {
    if served_over_https(settings) {
        "__Host-oidc_flow"
    } else {
        "oidc_flow"
    }
}

/// The flow cookie: binds a flow to the browser that started it. HttpOnly; `SameSite=Lax`, because the
/// provider's redirect back is a cross-site top-level navigation, which carries Lax cookies (never Strict ones);
/// as long as a flow lives. Over https it is `__Host-` (Secure, no Domain, Path=/): no other site of the domain
/// can plant a value of its choosing (which would let an attacker's flow finish in a victim's browser); over
/// plain http (local use) it is sent only on the flow's paths.
fn flow_cookie(settings: &Settings, value: &str) -> Option<HeaderValue> {
    let (path, secure) = if served_over_https(settings) { ("/", "; Secure") } else { ("/api/auth/oidc", "") };
    let cookie = format!(
        "{}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        flow_cookie_name(settings),
        FLOW_TTL.as_secs()
    );
    HeaderValue::from_str(&cookie).ok()
}

/// Percent-encodes a query value (everything but unreserved characters and `/`).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_land_on_the_page_that_started_the_flow() {
        let sign_in = Failed { failure: Failure::Cancelled, link: false };
        assert_eq!(failure_location(sign_in, "google"), "/login?error=oidc_cancelled&provider=google");
        let link = Failed { failure: Failure::LinkedElsewhere, link: true };
        assert_eq!(failure_location(link, "corp"), "/account?error=oidc_linked_elsewhere&provider=corp");
        assert_eq!(failure_location(sign_in, "<x>&y=1"), "/login?error=oidc_cancelled&provider=");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("/tasks?a=1&b=é #x"), "/tasks%3Fa%3D1%26b%3D%C3%A9%20%23x");
    }

    #[test]
    fn over_https_the_cookies_are_secure_and_host_only() {
        let vars = |web: &str| {
            [
                ("JWT_SECRET", "0123456789abcdef0123456789abcdef-test"),
                ("DATA_ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef-test"),
                ("WEB_URL", web),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let https = Settings::from_vars(&vars("https://todo.example.com")).unwrap();
        let flow = flow_cookie(&https, "v").unwrap();
        assert_eq!(flow, "__Host-oidc_flow=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=600; Secure");
        let http = Settings::from_vars(&vars("http://localhost:3000")).unwrap();
        assert_eq!(
            flow_cookie(&http, "v").unwrap(),
            "oidc_flow=v; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600"
        );
    }
}
