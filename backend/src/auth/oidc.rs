//! The relying party of OpenID Connect sign-in, on the `openidconnect` crate (ramosbugs; it implements the ID
//! token checks of OpenID Connect Core §3.1.3.7, PKCE, the nonce, the JWKS and userinfo). Without HTTP routes
//! and without the database: [`Provider::begin`] makes the authorization request, [`Provider::finish`] checks
//! the provider's answer and returns the verified [`Identity`]. The flow that stores pending sign-ins and
//! applies the account rules is `crate::flows::oidc`.
//!
//! - **Discovery** from `{issuer}/.well-known/openid-configuration` (with the JWKS), on first use and again
//!   after [`DISCOVERY_TTL`]; only a success is kept, so the API starts and runs while a provider is down, and
//!   a sign-in with it then ends in [`OidcError::ProviderUnavailable`].
//! - **Keys**: an ID token naming a key we do not have makes one JWKS re-fetch (a rotation), at most one per
//!   [`JWKS_MISS_COOLDOWN`].
//! - **Authorization request**: code flow, PKCE S256, random `state` and `nonce` (the caller keeps them, single
//!   use, bound to the browser).
//! - **Callback**: the provider's `error=`, RFC 9207's `iss` (mix-up defence, when the provider says it sends
//!   it), the code exchanged with the client secret (basic, or post when that is all the provider offers), then
//!   the ID token: signature with the provider's JWKS and an algorithm allow-list ([`ALLOWED_ALGS`]: never
//!   `none`, never a shared-secret HS*), issuer, audience, expiry and issue time ([`CLOCK_SKEW`]), nonce, and
//!   `at_hash` where present. A token without an email is completed from the userinfo endpoint (same subject).
//! - **HTTP**: one `reqwest` client that follows no redirects, with short timeouts.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
        CoreErrorResponseType, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType, CoreUserInfoClaims,
    },
    AccessTokenHash, AdditionalProviderMetadata, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, StandardErrorResponse, TokenResponse,
};
use secrecy::ExposeSecret;
use tokio::sync::{Mutex, RwLock};

use crate::config::OidcProvider;

/// How long discovery metadata is trusted before it is read again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// After a key miss made a JWKS re-fetch, the next miss re-fetches only after this long.
pub const JWKS_MISS_COOLDOWN: Duration = Duration::from_secs(30);
/// Clock skew tolerated on `exp` and `iat`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Each request to a provider (discovery, keys, token, userinfo).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// ID token signature algorithms accepted: asymmetric only. Never `none`; never HS* (a MAC keyed with the
/// client secret, the classic algorithm-confusion target). Narrowed further to what the provider advertises.
pub const ALLOWED_ALGS: &[CoreJwsSigningAlgorithm] = &[
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Every configured provider, in `OIDC_PROVIDERS` order.
pub struct Providers(Vec<Arc<Provider>>);

impl Providers {
    pub fn new(configured: &[OidcProvider]) -> Providers {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a reqwest client with rustls builds");
        Providers(configured.iter().map(|c| Arc::new(Provider::new(c.clone(), http.clone()))).collect())
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Provider>> {
        self.0.iter().find(|p| p.config.id == id)
    }

    pub fn all(&self) -> &[Arc<Provider>] {
        &self.0
    }
}

/// What the caller keeps of a started authorization request (only a hash of `state`), and where the browser
/// goes.
pub struct AuthRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The query of the provider's redirect back to the callback.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207's authorization response issuer (oidc-provider sends it; Google and Entra do not).
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A verified identity: the pair (issuer, subject) is the identity, never the email alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// False unless the provider asserts it.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why an ID token was refused (logged; the browser is told only that the sign-in failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenProblem {
    /// No key of the provider's JWKS (even after a re-fetch) matches the token.
    UnknownKey,
    /// `alg` outside the allow-list (`none`, HS256, …).
    DisallowedAlg(String),
    /// The key is known, the signature does not verify.
    BadSignature(String),
    Issuer(String),
    Audience(String),
    Expired(String),
    IssuedInFuture(String),
    Nonce(String),
    AtHash,
    /// Not a JWT that parses, or another rule of the specification.
    Malformed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery, keys, token or userinfo endpoint unreachable, too slow, or answering something else than
    /// the specification's JSON.
    #[error("the provider could not be reached: {0}")]
    ProviderUnavailable(String),
    /// The redirect back carried `error=` (`access_denied` when the user cancels).
    #[error("the provider answered {error} ({description:?})")]
    Authorization { error: String, description: Option<String> },
    /// The redirect back names another issuer than ours (RFC 9207 mix-up defence).
    #[error("authorization response from another issuer: {0}")]
    IssuerMismatch(String),
    #[error("no code in the authorization response")]
    MissingCode,
    /// The token endpoint answered an OAuth error (`invalid_grant` for a used code or a wrong verifier).
    #[error("the token endpoint answered {error} ({description:?})")]
    TokenEndpoint { error: String, description: Option<String> },
    #[error("the token response has no ID token")]
    NoIdToken,
    #[error("the ID token was refused: {0:?}")]
    IdToken(IdTokenProblem),
    #[error("userinfo: {0}")]
    UserInfo(String),
}

/// The one metadata field read beyond the crate's: RFC 9207's `authorization_response_iss_parameter_supported`.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct ExtraMetadata {
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Discovery metadata with its JWKS, and when discovery read it.
struct Cached {
    metadata: Metadata,
    fetched_at: Instant,
}

/// One configured provider and what this process has learnt about it.
pub struct Provider {
    pub config: OidcProvider,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    cache: RwLock<Option<Arc<Cached>>>,
    /// When a key miss last made a JWKS re-fetch.
    last_key_refetch: Mutex<Option<Instant>>,
}

impl Provider {
    fn new(config: OidcProvider, http: reqwest::Client) -> Provider {
        // Both were checked as URLs at start-up (config/oidc.rs); these only wrap them.
        let issuer = IssuerUrl::new(config.issuer.clone()).expect("OIDC_<ID>_ISSUER was checked at start-up");
        let redirect = RedirectUrl::new(config.redirect_uri.clone()).expect("WEB_URL was checked at start-up");
        Provider { config, issuer, redirect, http, cache: RwLock::new(None), last_key_refetch: Mutex::new(None) }
    }

    /// Discovery metadata (with its JWKS), from the cache while it is fresh.
    async fn metadata(&self) -> Result<Arc<Cached>, OidcError> {
        let fresh = |c: &Option<Arc<Cached>>| c.as_ref().filter(|c| c.fetched_at.elapsed() < DISCOVERY_TTL).cloned();
        if let Some(c) = fresh(&*self.cache.read().await) {
            return Ok(c);
        }
        let mut slot = self.cache.write().await;
        if let Some(c) = fresh(&slot) {
            return Ok(c);
        }
        let metadata = Metadata::discover_async(self.issuer.clone(), &self.http).await.map_err(|e| {
            let mut why = chain(&e);
            if why.contains("unexpected issuer") {
                why.push_str(" (OIDC_<ID>_ISSUER must be exactly the metadata's issuer, trailing slash included)");
            }
            OidcError::ProviderUnavailable(format!("discovery at {}: {why}", self.issuer.as_str()))
        })?;
        let cached = Arc::new(Cached { metadata, fetched_at: Instant::now() });
        *slot = Some(cached.clone());
        Ok(cached)
    }

    /// Re-reads the JWKS after a key miss, at most once per [`JWKS_MISS_COOLDOWN`]. Returns the metadata to try
    /// again with, or `None` while cooling down.
    async fn refetch_keys(&self, seen: &Arc<Cached>) -> Result<Option<Arc<Cached>>, OidcError> {
        let mut last = self.last_key_refetch.lock().await;
        // Another request re-read them since `seen` was read: try theirs.
        if let Some(current) = self.cache.read().await.as_ref() {
            if !Arc::ptr_eq(current, seen) {
                return Ok(Some(current.clone()));
            }
        }
        if last.is_some_and(|t| t.elapsed() < JWKS_MISS_COOLDOWN) {
            return Ok(None);
        }
        *last = Some(Instant::now());
        let jwks = JsonWebKeySet::fetch_async(seen.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::ProviderUnavailable(format!("keys: {}", chain(&e))))?;
        let cached = Arc::new(Cached { metadata: seen.metadata.clone().set_jwks(jwks), fetched_at: seen.fetched_at });
        *self.cache.write().await = Some(cached.clone());
        tracing::info!(provider = %self.config.id, "provider keys read again after an unknown key");
        Ok(Some(cached))
    }

    fn client(&self, md: &Metadata) -> Client {
        // No token_endpoint_auth_methods_supported means client_secret_basic (Discovery §3).
        let auth_type = match md.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        CoreClient::from_provider_metadata(
            md.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.expose_secret().to_string())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(auth_type)
    }

    /// The authorization request: where to send the browser, and what to keep until the callback.
    pub async fn begin(&self) -> Result<AuthRequest, OidcError> {
        let cached = self.metadata().await?;
        let client = self.client(&cached.metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(AuthRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The callback, once the caller has found and spent the pending flow of its `state` (single use, this
    /// browser's, not expired): the provider's answer checked, the code exchanged, the ID token verified.
    pub async fn finish(&self, cb: &CallbackParams, nonce: &str, pkce_verifier: &str) -> Result<Identity, OidcError> {
        if let Some(error) = &cb.error {
            return Err(OidcError::Authorization { error: error.clone(), description: cb.error_description.clone() });
        }
        let mut cached = self.metadata().await?;
        // RFC 9207: when the provider says it sends `iss`, it must be there and be ours.
        let sends_iss = cached.metadata.additional_metadata().authorization_response_iss_parameter_supported;
        match &cb.iss {
            Some(iss) if iss != self.issuer.as_str() => return Err(OidcError::IssuerMismatch(iss.clone())),
            None if sends_iss => return Err(OidcError::IssuerMismatch("no iss".into())),
            _ => {}
        }
        let code = cb.code.clone().filter(|c| !c.is_empty()).ok_or(OidcError::MissingCode)?;
        let client = self.client(&cached.metadata);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::ProviderUnavailable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let id_token = token.id_token().ok_or(OidcError::NoIdToken)?;
        let nonce = Nonce::new(nonce.to_string());

        // Verified with the keys we have; a key we do not have makes one re-fetch (a rotation).
        let claims = loop {
            let client = self.client(&cached.metadata);
            let verifier = verifier(&client, &cached.metadata);
            match id_token.claims(&verifier, &nonce) {
                Ok(claims) => {
                    if let Some(expected) = claims.access_token_hash() {
                        let alg = id_token.signing_alg().map_err(signature_problem)?;
                        let key = id_token.signing_key(&verifier).map_err(signature_problem)?;
                        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
                            .map_err(|e| OidcError::IdToken(IdTokenProblem::Malformed(e.to_string())))?;
                        if actual != *expected {
                            return Err(OidcError::IdToken(IdTokenProblem::AtHash));
                        }
                    }
                    break claims.clone();
                }
                Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                    match self.refetch_keys(&cached).await? {
                        Some(newer) if newer.metadata.jwks() != cached.metadata.jwks() => cached = newer,
                        _ => return Err(OidcError::IdToken(IdTokenProblem::UnknownKey)),
                    }
                }
                Err(e) => return Err(OidcError::IdToken(claims_problem(e))),
            }
        };

        let mut identity = Identity {
            issuer: self.issuer.as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
        };
        // Providers that keep profile claims out of the ID token (oidc-provider's conformIdTokenClaims, Entra
        // without optional claims): ask userinfo, for the same subject.
        if identity.email.is_none() && cached.metadata.userinfo_endpoint().is_some() {
            let client = self.client(&cached.metadata);
            let info: CoreUserInfoClaims = client
                .user_info(token.access_token().clone(), Some(claims.subject().clone()))
                .map_err(|e| OidcError::UserInfo(e.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|e| OidcError::UserInfo(chain(&e)))?;
            identity.email = info.email().map(|e| e.as_str().to_string());
            identity.email_verified = info.email_verified().unwrap_or(false);
            if identity.name.is_none() {
                identity.name = info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string());
            }
        }
        Ok(identity)
    }
}

/// The ID token verifier: our algorithm allow-list narrowed to what the provider advertises (the crate's
/// default is whatever the provider advertises, HS256 included), and [`CLOCK_SKEW`] on `exp` and `iat` (the
/// crate allows none on `exp` and does not look at `iat`).
fn verifier<'a>(client: &'a Client, md: &Metadata) -> openidconnect::IdTokenVerifier<'a, CoreJsonWebKey> {
    let advertised = md.id_token_signing_alg_values_supported();
    let algs: Vec<_> = ALLOWED_ALGS.iter().filter(|a| advertised.contains(a)).cloned().collect();
    let skew = chrono::Duration::from_std(CLOCK_SKEW).unwrap_or_default();
    client
        .id_token_verifier()
        .set_allowed_algs(algs)
        .set_time_fn(move || chrono::Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| match iat > chrono::Utc::now() + skew {
            true => Err(format!("issued in the future ({iat})")),
            false => Ok(()),
        })
}

fn signature_problem(e: SignatureVerificationError) -> OidcError {
    OidcError::IdToken(claims_problem(ClaimsVerificationError::SignatureVerification(e)))
}

fn claims_problem(e: ClaimsVerificationError) -> IdTokenProblem {
    use ClaimsVerificationError as C;
    use SignatureVerificationError as S;
    match e {
        C::SignatureVerification(S::NoMatchingKey) => IdTokenProblem::UnknownKey,
        C::SignatureVerification(S::DisallowedAlg(a) | S::UnsupportedAlg(a)) => IdTokenProblem::DisallowedAlg(a),
        C::SignatureVerification(S::NoSignature) => IdTokenProblem::DisallowedAlg("none".into()),
        C::SignatureVerification(s) => IdTokenProblem::BadSignature(s.to_string()),
        C::InvalidIssuer(s) => IdTokenProblem::Issuer(s),
        C::InvalidAudience(s) => IdTokenProblem::Audience(s),
        C::Expired(s) if s.starts_with("issued in the future") => IdTokenProblem::IssuedInFuture(s),
        C::Expired(s) => IdTokenProblem::Expired(s),
        C::InvalidNonce(s) => IdTokenProblem::Nonce(s),
        other => IdTokenProblem::Malformed(other.to_string()),
    }
}

fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, StandardErrorResponse<CoreErrorResponseType>>,
) -> OidcError {
    match e {
        RequestTokenError::ServerResponse(r) => OidcError::TokenEndpoint {
            error: r.error().as_ref().to_string(),
            description: r.error_description().cloned(),
        },
        // A token response that does not parse: most often an ID token that is not a JWT.
        RequestTokenError::Parse(err, body) => {
            OidcError::IdToken(IdTokenProblem::Malformed(format!("{err} ({} bytes)", body.len())))
        }
        RequestTokenError::Request(err) => OidcError::ProviderUnavailable(format!("token endpoint: {}", chain(&err))),
        RequestTokenError::Other(s) => OidcError::ProviderUnavailable(format!("token endpoint: {s}")),
    }
}

/// An error and its sources on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
