//! The browser's session (issue 24): the API reads and writes the web app's session cookie itself, so a
//! browser's call reaches it by path (`{WEB_URL}/api/...`, routed here by nginx or by the web server's
//! stream, neither of which understands cookies) and never through a hop that holds credentials.
//!
//! One middleware, [`layer`], around every route. A request is in **cookie mode** when it carries the
//! session cookie and no `Authorization`, when it says `X-Session: cookie` (what the web app's client sends
//! on every call, sign-ins included), or when it is a browser navigation (`Sec-Fetch-Mode: navigate`: a
//! form or a link can only ever carry the cookie, never a bearer header). Any other request — the seed's
//! frontend, API clients, curl with `Authorization: Bearer` — passes through untouched.
//!
//! In cookie mode:
//! - **forgery**: a request with an unsafe method (anything but GET/HEAD/OPTIONS) must say it comes from one
//!   of `WEB_URL`'s origins: `Sec-Fetch-Site`, when sent, is `same-origin`; `Origin`, when sent, is one of
//!   them; a request with neither is refused. Refusal: `403 {"detail":"Cross-site request refused"}`
//!   before any handler runs;
//! - **in**: without an `Authorization` header, the cookie's token is copied into `Authorization: Bearer`,
//!   so every extractor works unchanged (a bearer header sent alongside always wins);
//! - **out**: a token in the JSON answer to a POST (every sign-in is one) becomes the cookie, and the body
//!   keeps the rest of the JSON with `expires_at` (RFC 3339) in its place: a cookie-mode answer never
//!   carries a token. A 401 to a request that carried the cookie clears it (as does
//!   [`current_session`]'s "nobody" for a refused cookie), and so does a successful sign-out, sign-out
//!   everywhere or account deletion.
//!
//! Other answers are never read: only the JSON answer to a POST, whose body is already whole in memory, is
//! looked into (a streamed `GET /api/tasks` passes untouched).
//!
//! [`router`] adds `GET /api/auth/session`: who the cookie (or a bearer header) signs in, and until when —
//! `200 {"user": null, "expires_at": null}` for nobody, so a page's first look is never an error.

use std::sync::Arc;

use axum::{
    body::{Body, HttpBody},
    extract::{Request, State},
    http::{
        header::{self, HeaderMap, HeaderName, HeaderValue},
        Method, StatusCode,
    },
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    config::Settings,
    error::{detail_response, ApiError},
    http::{extract::CurrentUser, responses::Unavailable, schemas::UserResponse},
    state::AppState,
};

/// Our web app's client sends `X-Session: cookie` on every call.
pub const MODE_HEADER: HeaderName = HeaderName::from_static("x-session");
pub const FORGERY_REFUSED: &str = "Cross-site request refused";

/// Paths whose success ends the browser's session, with their method.
const SIGN_OUTS: &[(Method, &str)] = &[
    (Method::POST, "/api/auth/logout"),
    (Method::POST, "/api/auth/logout-all"),
    (Method::DELETE, "/api/auth/account"),
];

/// The key of a token in a sign-in's answer, as serde_json writes it.
const TOKEN_KEY: &[u8] = b"\"access_token\"";

/// A sign-in's answer is a few hundred bytes; a POST answer larger than this is not looked into.
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

/// What the middleware needs from the settings, built once.
#[derive(Debug)]
pub struct WebSession {
    /// `__Host-todo_session` when any `WEB_URL` entry is https, else `todo_session`.
    cookie_name: &'static str,
    secure: bool,
    /// `WEB_URL`'s origins, as a browser writes `Origin`.
    origins: Vec<String>,
}

/// Whether the web app is served over https (any `WEB_URL` entry is): its cookies are then `Secure` and carry
/// the `__Host-` prefix.
pub fn served_over_https(settings: &Settings) -> bool {
    settings.mail.web_origins.iter().any(|o| o.starts_with("https://"))
}

/// The value of the cookie `name` in a request's headers, if it carries it (exact name, any value).
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (n, value) = pair.split_once('=')?;
        (n.trim() == name).then(|| value.trim())
    })
}

/// A response extension: this answer (a redirect, not a JSON body) signs the browser in with this token. The
/// middleware makes it the session cookie, as it does with a token in a JSON answer — the one place that
/// writes the cookie (the OpenID Connect callback uses it).
#[derive(Clone)]
pub struct IssuedSession(pub String);

impl WebSession {
    pub fn new(settings: &Settings) -> Arc<WebSession> {
        let secure = served_over_https(settings);
        Arc::new(WebSession {
            cookie_name: if secure { "__Host-todo_session" } else { "todo_session" },
            secure,
            origins: settings.mail.web_origins.clone(),
        })
    }

    pub fn cookie_name(&self) -> &'static str {
        self.cookie_name
    }

    /// `Set-Cookie` holding `token` until `exp` (unix seconds).
    fn set_cookie(&self, token: &str, exp: i64) -> Option<HeaderValue> {
        let max_age = (exp - chrono::Utc::now().timestamp()).max(0);
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!("{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", self.cookie_name);
        HeaderValue::from_str(&value).ok()
    }

    fn cleared_cookie(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", self.cookie_name);
        HeaderValue::from_str(&value).expect("a cookie name is a valid header value")
    }

    /// The session cookie's value, if the request carries the cookie (whatever its value).
    fn cookie<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie_value(headers, self.cookie_name)
    }

    /// Turns an [`IssuedSession`] the handler attached into the session cookie.
    fn issue(&self, res: &mut Response) {
        let Some(IssuedSession(token)) = res.extensions_mut().remove::<IssuedSession>() else { return };
        if let Some(cookie) = token_exp(&token).and_then(|exp| self.set_cookie(&token, exp)) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }

    /// The forgery check of a state change: the browser says the request comes from one of our origins.
    fn comes_from_our_origin(&self, headers: &HeaderMap) -> bool {
        let site = headers.get("sec-fetch-site");
        if site.is_some_and(|s| s.as_bytes() != b"same-origin") {
            return false;
        }
        match headers.get(header::ORIGIN) {
            Some(origin) => self.origins.iter().any(|o| o.as_bytes() == origin.as_bytes()),
            None => site.is_some(),
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `exp` claim of a JWT, read without verifying it: only to size the cookie of a token the API has
/// just issued.
fn token_exp(token: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: i64,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<Claims>(&bytes).ok().map(|c| c.exp)
}

fn rfc3339(unix: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(unix, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The middleware (see the module's documentation).
pub async fn layer(State(web): State<Arc<WebSession>>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let has_bearer = headers.contains_key(header::AUTHORIZATION);
    let cookie = web.cookie(headers);
    let asked = headers.get(MODE_HEADER).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cookie"));
    let navigation = headers.get("sec-fetch-mode").is_some_and(|v| v.as_bytes() == b"navigate");
    if !(asked || navigation || (cookie.is_some() && !has_bearer)) {
        let mut res = next.run(req).await;
        web.issue(&mut res);
        return res;
    }
    if !is_safe(req.method()) && !web.comes_from_our_origin(headers) {
        return detail_response(StatusCode::FORBIDDEN, FORGERY_REFUSED);
    }

    let carried_cookie = cookie.is_some();
    if let (Some(token), false) = (cookie, has_bearer) {
        // A value that cannot be a header is no credential: the request goes on unauthenticated (401).
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            req.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }
    let post = req.method() == Method::POST;
    let signs_out = SIGN_OUTS.iter().any(|(m, p)| req.method() == m && req.uri().path() == *p);

    let mut res = next.run(req).await;
    web.issue(&mut res);

    let status = res.status();
    let refused = status == StatusCode::UNAUTHORIZED || res.extensions().get::<Nobody>().is_some();
    if (refused && carried_cookie) || (status.is_success() && signs_out) {
        res.headers_mut().append(header::SET_COOKIE, web.cleared_cookie());
        return res;
    }
    if status.is_success() && post {
        return take_token(&web, res).await.unwrap_or_else(IntoResponse::into_response);
    }
    res
}

/// A JSON answer (whole in memory) holding `access_token`: the token becomes the cookie and leaves the body.
async fn take_token(web: &WebSession, res: Response) -> Result<Response, ApiError> {
    let json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let whole = res.body().size_hint().exact().is_some_and(|n| n <= MAX_TOKEN_ANSWER_BYTES as u64);
    if !json || !whole {
        return Ok(res);
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_TOKEN_ANSWER_BYTES).await.map_err(ApiError::internal)?;
    // Most POST answers (a task created, a message) hold no token: only those that name one are parsed.
    if !bytes.windows(TOKEN_KEY.len()).any(|w| w == TOKEN_KEY) {
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    }
    let mut object = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(object)) if object.contains_key("access_token") => object,
        _ => return Ok(Response::from_parts(parts, Body::from(bytes))),
    };
    let Some(serde_json::Value::String(token)) = object.remove("access_token") else {
        return Err(ApiError::internal("an access_token that is not a string"));
    };
    let exp = token_exp(&token).ok_or_else(|| ApiError::internal("an issued token without a readable exp"))?;
    let cookie = web.set_cookie(&token, exp).ok_or_else(|| ApiError::internal("a token that cannot be a cookie"))?;
    let expires_at = rfc3339(exp).ok_or_else(|| ApiError::internal("an exp out of range"))?;
    object.insert("expires_at".into(), serde_json::Value::String(expires_at));
    let body = serde_json::to_vec(&object).map_err(ApiError::internal)?;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.append(header::SET_COOKIE, cookie);
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// `GET /api/auth/session`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentSessionResponse {
    /// The signed-in user, or null when the request carries no session the API accepts.
    #[schema(required = true)]
    pub user: Option<UserResponse>,
    /// When the session ends (RFC 3339 UTC), or null with no user.
    #[schema(required = true, value_type = Option<String>, format = DateTime, example = "2026-11-27T11:36:54Z")]
    pub expires_at: Option<String>,
}

/// Marks [`current_session`]'s "nobody" answer to a refused credential, for [`layer`] to clear the cookie.
#[derive(Clone, Copy)]
struct Nobody;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current_session))
}

/// Who is signed in, if anyone, and until when.
///
/// The browser's session cookie, or a bearer header (which wins). Never a 401: a page asks this on load to
/// learn whether anyone is signed in; a cookie the API refuses is cleared by the answer.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth", security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The session, or user null when there is none", body = CurrentSessionResponse),
        Unavailable,
    ))]
pub async fn current_session(current: Result<CurrentUser, ApiError>) -> Response {
    match current {
        Ok(current) => Json(CurrentSessionResponse {
            expires_at: rfc3339(current.token.expires_at),
            user: Some(UserResponse::from(&current.user)),
        })
        .into_response(),
        Err(ApiError::Unauthorized(_)) => {
            let mut res = Json(CurrentSessionResponse { user: None, expires_at: None }).into_response();
            res.extensions_mut().insert(Nobody);
            res
        }
        Err(other) => other.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(origins: &[&str]) -> WebSession {
        let secure = origins.iter().any(|o| o.starts_with("https://"));
        WebSession {
            cookie_name: if secure { "__Host-todo_session" } else { "todo_session" },
            secure,
            origins: origins.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn a_state_change_must_name_one_of_our_origins() {
        let web = web(&["http://localhost:3000", "http://127.0.0.1:3000"]);
        assert!(web.comes_from_our_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(web.comes_from_our_origin(&headers(&[("origin", "http://localhost:3000")])));
        assert!(web.comes_from_our_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        for refused in [
            &[("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")][..],
            &[("origin", "http://localhost:3000"), ("sec-fetch-site", "same-site")],
            &[("origin", "http://evil.example")],
            &[("origin", "null")],
            &[("sec-fetch-site", "none")],
            &[],
        ] {
            assert!(!web.comes_from_our_origin(&headers(refused)), "{refused:?}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others_and_named_for_https() {
        let plain = web(&["http://localhost:3000"]);
        let h = headers(&[("cookie", "a=1; todo_session=abc.def.ghi ; b=2")]);
        assert_eq!(plain.cookie(&h), Some("abc.def.ghi"));
        assert_eq!(plain.cookie(&headers(&[("cookie", "todo_session_x=1")])), None);
        let secure = web(&["http://localhost:3000", "https://todo.example"]);
        assert_eq!(secure.cookie(&h), None);
        assert_eq!(secure.cookie(&headers(&[("cookie", "__Host-todo_session=t")])), Some("t"));
        let set = secure.set_cookie("t.o.k", chrono::Utc::now().timestamp() + 60).unwrap();
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-todo_session=t.o.k; Path=/; HttpOnly; SameSite=Lax; Max-Age="), "{set}");
        assert!(set.ends_with("; Secure"), "{set}");
        assert_eq!(plain.cleared_cookie(), "todo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    }

    #[test]
    fn exp_is_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"u","exp":1767225600}"#);
        assert_eq!(token_exp(&format!("h.{payload}.s")), Some(1_767_225_600));
        assert_eq!(rfc3339(1_767_225_600).as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(token_exp("not-a-token"), None);
        assert_eq!(token_exp("a.!!!.c"), None);
    }
}
