//! Sign-in with an OpenID Connect provider ("Continue with <name>"), linking one to a signed-in account
//! ("Link <name>"), and unlinking. The provider side (discovery, the authorization request, the ID token
//! checks) is `crate::auth::oidc`; this module keeps the pending flows and applies the account rules.
//!
//! **A flow** ([`start`] → the provider → [`callback`]): `state`, `nonce` and the PKCE verifier are made per
//! flow; the database keeps the flow for [`FLOW_TTL`] under a hash of `state`, bound to the browser that started
//! it (a hash of a random value the browser holds in an HttpOnly cookie, `__Host-` over https so no other site
//! of the domain can set it; reused across the browser's flows), and the
//! callback spends it in one statement before anything else: a replayed callback, a state from another browser,
//! an unknown or expired state all find nothing ([`Failure::Expired`]). Flows live in the database, so one
//! started on one API process completes on another.
//!
//! **The account rules** (shared/contract.md), once the provider's ID token is verified:
//! - an identity is the pair (issuer, subject): one already linked signs its account in;
//! - otherwise the address counts only if the provider asserts `email_verified`
//!   ([`Failure::UnverifiedEmail`] else), and then: no account has it → a new account, verified, without a
//!   password; a verified account has it → the identity is linked to it and a notice mailed; an unverified
//!   account has it → whoever registered it never proved the address, so it is taken back (password,
//!   sessions, two-factor, other identities, pending links cleared) before the identity is linked;
//! - an account with two-factor on continues with its TOTP step ([`Finished::SecondFactor`]); otherwise the
//!   sign-in ends in [`sign_in::finish_sign_in`] like any other.
//!
//! An account without a password holds `auth::no_password`'s marker; its first password comes through
//! forgot-password. Unlinking is refused for the last way to sign in.

use std::time::Duration;

use super::{
    activity,
    sign_in::{self, Method, SignedIn},
    Device,
};
use crate::{
    auth::{
        no_password,
        oidc::{CallbackParams, Identity, OidcError, Provider},
        opaque::{self, OpaqueToken},
        throttle, ClientIp,
    },
    db::{
        identities::{IdentityRow, Linked, NewFlow, NewIdentity, Unlinked},
        Event, EventType, NewUser, SessionUser, User,
    },
    error::{ApiError, ApiResult},
    mail::{self, Kind},
    state::AppState,
};

/// How long a started flow waits for the provider's redirect back.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// All the provider's answers of one start or callback together (discovery, keys, token, userinfo), so the
/// browser hears back before the request timeout.
const PROVIDER_DEADLINE: Duration = Duration::from_secs(10);
/// Where a sign-in lands without a `next`, and where a link returns.
pub const DEFAULT_NEXT: &str = "/tasks";
pub const ACCOUNT_PAGE: &str = "/account";
/// Longest `next` kept (a path of the web app).
const MAX_NEXT_CHARS: usize = 1024;

pub const NOT_LINKED: &str = "Linked provider not found";
pub const LAST_WAY_IN: &str =
    "This is the only way to sign in to your account: set a password (\"Forgot password?\") or link another provider first";

/// Why a flow ended without signing in: what the browser is told, as `?error=<code>`, on /login (or /account
/// for a link). The details are logged, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    UnknownProvider,
    /// Too many flows started from this client; seconds until the next one may start.
    Throttled {
        retry_after: u64,
    },
    /// The provider could not be reached, or answered too slowly.
    Unavailable,
    /// The visitor cancelled at the provider (`error=access_denied`).
    Cancelled,
    /// No pending flow for this state in this browser: replayed, from another browser, unknown or expired.
    Expired,
    /// The provider does not assert a verified email, and no account is linked to the identity.
    UnverifiedEmail,
    /// The provider's address is not one an account can have (our email rules).
    UnusableEmail,
    /// A link: the identity is already linked to another account.
    LinkedElsewhere,
    /// `REQUIRE_VERIFIED_EMAIL=true` and the linked account is not verified.
    VerifyFirst,
    /// Anything else (a token the checks refused, the token endpoint's error, …).
    Failed,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::UnknownProvider => "oidc_unknown_provider",
            Failure::Throttled { .. } => "oidc_throttled",
            Failure::Unavailable => "oidc_unavailable",
            Failure::Cancelled => "oidc_cancelled",
            Failure::Expired => "oidc_expired",
            Failure::UnverifiedEmail => "oidc_unverified_email",
            Failure::UnusableEmail => "oidc_unusable_email",
            Failure::LinkedElsewhere => "oidc_linked_elsewhere",
            Failure::VerifyFirst => "oidc_verify_email_first",
            Failure::Failed => "oidc_failed",
        }
    }
}

/// A failure, and whether it ends a link (back to /account) or a sign-in (back to /login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    pub failure: Failure,
    pub link: bool,
}

/// A started flow: where to send the browser, and the value of its flow cookie (to set again).
pub struct Started {
    pub url: String,
    pub browser: String,
}

/// How a callback ended well.
pub enum Finished {
    /// Signed in: the session's token, and where to go.
    SignedIn { signed_in: SignedIn, next: String },
    /// The account has two-factor on: the sign-in continues with a code and this token.
    SecondFactor { mfa_token: String, next: String },
    /// The identity is linked to the signed-in account that asked.
    Linked { next: String },
}

/// The configured providers, for the public list.
pub fn providers(state: &AppState) -> Vec<(String, String)> {
    state.oidc.all().iter().map(|p| (p.config.id.clone(), p.config.name.clone())).collect()
}

/// `next` if it is a path of this site (`/…`, not `//host` or `/\host`, no control characters), else `None`.
pub fn same_origin_path(next: Option<&str>) -> Option<String> {
    let next = next?;
    let plausible = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= MAX_NEXT_CHARS
        && !next.chars().any(|c| c.is_control() || c == '\\');
    plausible.then(|| next.to_string())
}

/// The flow cookie's value if it is one of ours (43 URL-safe characters), so a browser keeps one value across
/// flows (two tabs may sign in at once).
fn plausible_browser(value: Option<&str>) -> Option<&str> {
    value.filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Starts a flow with provider `provider_id` for the browser holding `browser` (a new value when it holds
/// none): a sign-in, or with `link_user_id` a link to that signed-in account. Counted per client.
pub async fn start(
    state: &AppState,
    client: ClientIp,
    provider_id: &str,
    browser: Option<&str>,
    next: Option<&str>,
    link_user_id: Option<&str>,
) -> Result<Started, Failed> {
    let link = link_user_id.is_some();
    let fail = |failure| Failed { failure, link };
    let provider = state.oidc.get(provider_id).ok_or(fail(Failure::UnknownProvider))?;
    match state.reserve(&[throttle::oidc_starts_per_client(&state.settings.rate_limits, client)]).await {
        Ok(attempt) => attempt.failed(), // kept whatever the outcome
        Err(ApiError::TooManyAttempts { retry_after }) => return Err(fail(Failure::Throttled { retry_after })),
        Err(e) => return Err(fail(logged_failure(provider, "start", e))),
    }
    let request = match tokio::time::timeout(PROVIDER_DEADLINE, provider.begin()).await {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => return Err(fail(provider_failure(provider, &e))),
        Err(_) => return Err(fail(provider_failure(provider, &OidcError::ProviderUnavailable("too slow".into())))),
    };
    let browser = plausible_browser(browser).map_or_else(|| OpaqueToken::generate().token, str::to_string);
    let default = if link { ACCOUNT_PAGE } else { DEFAULT_NEXT };
    let next = if link { default.to_string() } else { same_origin_path(next).unwrap_or_else(|| default.to_string()) };
    let now = state.clock.now();
    let stored = state
        .db
        .create_oidc_flow(&NewFlow {
            state_hash: &opaque::hash(&request.state),
            browser_hash: &opaque::hash(&browser),
            provider_id,
            nonce: &request.nonce,
            pkce_verifier: &request.pkce_verifier,
            next_path: &next,
            link_user_id,
            now,
            expires_at: now.plus(FLOW_TTL),
        })
        .await;
    if let Err(e) = stored {
        return Err(fail(logged_failure(provider, "start", e.into())));
    }
    Ok(Started { url: request.url, browser })
}

/// The provider's redirect back, from the browser holding `browser`: the flow spent, the provider's answer
/// verified, and the account rules applied (see the module's comment).
pub async fn callback(
    state: &AppState,
    device: &Device,
    provider_id: &str,
    browser: Option<&str>,
    params: &CallbackParams,
) -> Result<Finished, Failed> {
    let sign_in_failure = |failure| Failed { failure, link: false };
    let provider = state.oidc.get(provider_id).ok_or(sign_in_failure(Failure::UnknownProvider))?;
    let (Some(flow_state), Some(browser)) = (params.state.as_deref(), plausible_browser(browser)) else {
        return Err(sign_in_failure(Failure::Expired));
    };
    if flow_state.is_empty() || flow_state.len() > 512 {
        return Err(sign_in_failure(Failure::Expired));
    }
    let now = state.clock.now();
    let flow = match state.db.take_oidc_flow(&opaque::hash(flow_state), &opaque::hash(browser), provider_id, now).await
    {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            tracing::info!(provider = %provider_id, "provider callback without a pending flow in this browser");
            return Err(sign_in_failure(Failure::Expired));
        }
        Err(e) => return Err(sign_in_failure(logged_failure(provider, "callback", e.into()))),
    };
    let link = flow.link_user_id.is_some();
    let fail = |failure| Failed { failure, link };
    let identity = match tokio::time::timeout(
        PROVIDER_DEADLINE,
        provider.finish(params, &flow.nonce, &flow.pkce_verifier),
    )
    .await
    {
        Ok(Ok(identity)) => identity,
        Ok(Err(e)) => return Err(fail(provider_failure(provider, &e))),
        Err(_) => return Err(fail(provider_failure(provider, &OidcError::ProviderUnavailable("too slow".into())))),
    };
    let next = flow.next_path.unwrap_or_else(|| DEFAULT_NEXT.to_string());
    let outcome = match &flow.link_user_id {
        Some(user_id) => link_to(state, device, provider, user_id, &identity).await.map(|()| Finished::Linked { next }),
        None => sign_in_as(state, device, provider, &identity, next).await,
    };
    outcome.map_err(|e| match e {
        Outcome::Failure(failure) => fail(failure),
        Outcome::Error(e) => fail(logged_failure(provider, "callback", e)),
    })
}

/// What the account rules can end in besides success.
enum Outcome {
    Failure(Failure),
    Error(ApiError),
}

impl From<ApiError> for Outcome {
    fn from(e: ApiError) -> Self {
        Outcome::Error(e)
    }
}

impl From<sqlx::Error> for Outcome {
    fn from(e: sqlx::Error) -> Self {
        Outcome::Error(e.into())
    }
}

/// The account rules of a sign-in, for a verified identity.
async fn sign_in_as(
    state: &AppState,
    device: &Device,
    provider: &Provider,
    identity: &Identity,
    next: String,
) -> Result<Finished, Outcome> {
    let now = state.clock.now();
    let asserted = identity.email.as_deref();
    if let Some(user_id) = state.db.use_identity(&identity.issuer, &identity.subject, asserted, now).await? {
        let user = state.db.user_by_id(&user_id).await?.ok_or(Outcome::Failure(Failure::Failed))?;
        return finish(state, device, user, next).await;
    }
    // No identity yet: the address decides, and only one the provider vouches for.
    let Some(email) = asserted.filter(|_| identity.email_verified) else {
        tracing::info!(provider = %provider.config.id, "provider sign-in refused: no verified email asserted");
        return Err(Outcome::Failure(Failure::UnverifiedEmail));
    };
    let email = crate::email::normalize(email).map_err(|why| {
        tracing::info!(provider = %provider.config.id, %why, "provider sign-in refused: unusable email");
        Outcome::Failure(Failure::UnusableEmail)
    })?;
    let new_identity = NewIdentity {
        provider_id: &provider.config.id,
        issuer: &identity.issuer,
        subject: &identity.subject,
        email: Some(&email),
    };
    let marker = || no_password::marker(state.settings.bcrypt_cost);
    // Twice at most: a registration, a verification or another callback may change the account in between.
    for _ in 0..2 {
        let now = state.clock.now();
        match state.db.user_by_email(&email).await? {
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let name = clean_name(identity.name.as_deref());
                match state.db.create_provider_user(&id, &email, &marker(), name.as_deref(), &new_identity, now).await?
                {
                    NewUser::Created(user) => {
                        tracing::info!(user_id = %user.id, provider = %provider.config.id, "user registered through a provider");
                        return finish(state, device, user, next).await;
                    }
                    NewUser::EmailTaken => continue,
                }
            }
            Some(user) if user.email_verified_at.is_some() => {
                let notice = linked_notice(&user.email, provider, false);
                let event = linked_event(state, device, provider);
                match state.db.link_identity(&user.id, &new_identity, &notice, &event, now).await? {
                    Linked::Done | Linked::Already { same_user: true } => {
                        tracing::info!(user_id = %user.id, provider = %provider.config.id, "provider linked by verified address");
                        return finish(state, device, user, next).await;
                    }
                    Linked::Already { same_user: false } => continue,
                }
            }
            Some(user) => {
                let notice = linked_notice(&email, provider, true);
                if let Some(user) =
                    state.db.take_back_account(&user.id, &email, &marker(), &new_identity, &notice, now).await?
                {
                    tracing::info!(user_id = %user.id, provider = %provider.config.id,
                        "unverified account taken back through a provider: password, sessions and two-factor cleared");
                    return finish(state, device, user, next).await;
                }
            }
        }
    }
    Err(Outcome::Error(ApiError::internal("the account changed twice during a provider sign-in")))
}

/// The end of a provider sign-in for `user`: the TOTP step when two-factor is on, else a session.
async fn finish(state: &AppState, device: &Device, user: User, next: String) -> Result<Finished, Outcome> {
    if state.settings.mail.require_verified_email && user.email_verified_at.is_none() {
        return Err(Outcome::Failure(Failure::VerifyFirst));
    }
    if user.two_factor_enabled {
        return Ok(Finished::SecondFactor {
            mfa_token: sign_in::start_second_factor(state, &user, Method::Provider).await?,
            next,
        });
    }
    let signed_in = sign_in::finish_sign_in(state, device, user, Method::Provider).await?;
    Ok(Finished::SignedIn { signed_in, next })
}

/// "Link <name>": the identity becomes one more way into the signed-in account that started the flow.
async fn link_to(
    state: &AppState,
    device: &Device,
    provider: &Provider,
    user_id: &str,
    identity: &Identity,
) -> Result<(), Outcome> {
    let user = state.db.user_by_id(user_id).await?.ok_or(Outcome::Failure(Failure::Expired))?;
    let new_identity = NewIdentity {
        provider_id: &provider.config.id,
        issuer: &identity.issuer,
        subject: &identity.subject,
        email: identity.email.as_deref(),
    };
    let notice = linked_notice(&user.email, provider, false);
    let event = linked_event(state, device, provider);
    match state.db.link_identity(&user.id, &new_identity, &notice, &event, state.clock.now()).await? {
        Linked::Done => {
            tracing::info!(user_id = %user.id, provider = %provider.config.id, "provider linked");
            Ok(())
        }
        Linked::Already { same_user: true } => Ok(()),
        Linked::Already { same_user: false } => Err(Outcome::Failure(Failure::LinkedElsewhere)),
    }
}

/// The signed-in user's linked identities, and whether the account has a password.
pub async fn linked(state: &AppState, user: &SessionUser) -> ApiResult<(Vec<IdentityRow>, bool)> {
    let row = state.db.user_by_id(&user.id).await?.ok_or(ApiError::Unauthorized("User not found"))?;
    Ok((state.db.list_identities(&user.id).await?, !no_password::is_marker(&row.hashed_password)))
}

/// Unlinks one of the signed-in user's identities, unless it is the account's last way to sign in; a notice
/// is mailed.
pub async fn unlink(state: &AppState, device: &Device, user: &SessionUser, identity_id: &str) -> ApiResult<()> {
    // No identity id of ours is long or holds NUL (which PostgreSQL cannot even compare): not found.
    if identity_id.len() > 128 || identity_id.contains('\0') {
        return Err(ApiError::not_found(NOT_LINKED));
    }
    let email = user.email.to_lowercase();
    let notice = |provider_id: &str| {
        let name = provider_name(state, provider_id);
        let mail = mail::compose(&email, &Kind::ProviderUnlinked { email: &email, provider: &name });
        (mail, activity::event(state, device, EventType::ProviderUnlinked, Some(name)))
    };
    match state.db.unlink_identity(&user.id, identity_id, no_password::SQL_LIKE, notice, state.clock.now()).await? {
        Unlinked::Done { provider_id } => {
            tracing::info!(user_id = %user.id, provider = %provider_id, "provider unlinked");
            Ok(())
        }
        Unlinked::NotFound => Err(ApiError::not_found(NOT_LINKED)),
        Unlinked::LastWay => Err(ApiError::bad_request(LAST_WAY_IN)),
    }
}

/// The history's `provider_linked` event: which provider.
fn linked_event(state: &AppState, device: &Device, provider: &Provider) -> Event {
    activity::event(state, device, EventType::ProviderLinked, Some(provider.config.name.clone()))
}

/// A provider's display name (`OIDC_<ID>_NAME`), or its id when it is no longer configured.
pub fn provider_name(state: &AppState, provider_id: &str) -> String {
    state.oidc.get(provider_id).map_or_else(|| provider_id.to_string(), |p| p.config.name.clone())
}

fn linked_notice(email: &str, provider: &Provider, took_back: bool) -> crate::db::Mail {
    let email = email.to_lowercase();
    mail::compose(&email, &Kind::ProviderLinked { email: &email, provider: &provider.config.name, took_back })
}

/// The provider's `name` claim as an account name: control characters dropped, at most 100 characters.
fn clean_name(name: Option<&str>) -> Option<String> {
    let name: String = name?.chars().filter(|c| !c.is_control()).take(100).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// What the browser is told about a provider's error, with the detail logged.
fn provider_failure(provider: &Provider, e: &OidcError) -> Failure {
    let failure = match e {
        OidcError::Authorization { error, .. } if error == "access_denied" => Failure::Cancelled,
        OidcError::ProviderUnavailable(_) => Failure::Unavailable,
        _ => Failure::Failed,
    };
    match failure {
        Failure::Cancelled => tracing::info!(provider = %provider.config.id, "provider sign-in cancelled"),
        _ => tracing::warn!(provider = %provider.config.id, error = %e, "provider sign-in failed"),
    }
    failure
}

/// A failure of ours (the database) during a flow, logged: the browser is told to try again.
fn logged_failure(provider: &Provider, step: &str, e: ApiError) -> Failure {
    match e {
        ApiError::Unavailable { .. } => {
            tracing::warn!(provider = %provider.config.id, step, "provider sign-in: database unavailable");
            Failure::Unavailable
        }
        other => {
            tracing::error!(provider = %provider.config.id, step, error = ?other, "provider sign-in failed");
            Failure::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_path_of_this_site_or_nothing() {
        for ok in ["/tasks", "/account?x=1", "/tasks#top", "/"] {
            assert_eq!(same_origin_path(Some(ok)).as_deref(), Some(ok));
        }
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example/", "tasks", "", "/a\nb", "/a\\b"] {
            assert_eq!(same_origin_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(same_origin_path(Some(&format!("/{}", "a".repeat(2000)))), None);
        assert_eq!(same_origin_path(None), None);
    }

    #[test]
    fn only_our_flow_cookie_values_are_reused() {
        let ours = OpaqueToken::generate().token;
        assert_eq!(plausible_browser(Some(&ours)), Some(ours.as_str()));
        for bad in ["", "short", &"a".repeat(44), &format!("{}!", "a".repeat(42))] {
            assert_eq!(plausible_browser(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name(Some(" Ada\u{7}  ")).as_deref(), Some("Ada"));
        assert_eq!(clean_name(Some(&"x".repeat(300))).map(|n| n.len()), Some(100));
        assert_eq!(clean_name(Some("  ")), None);
        assert_eq!(clean_name(None), None);
    }
}
