//! Sign-in with OpenID Connect providers: `OIDC_PROVIDERS` and each provider's `OIDC_<ID>_*` variables, checked
//! at start-up (an id that is not lowercase letters and digits, a missing issuer, client id or secret, an issuer
//! that is not an https URL stop it, naming the variable). Nothing here talks to a provider: discovery is done
//! on first use (`auth/oidc.rs`), so the API starts while a provider is down.

use std::collections::HashMap;

use super::{invalid, ConfigError, Secret, VARIABLES};

/// One configured provider.
#[derive(Clone, Debug)]
pub struct OidcProvider {
    /// The id in `OIDC_PROVIDERS` (lowercase letters and digits): in the routes and the variables' names.
    pub id: String,
    /// What the button says after "Continue with " (`OIDC_<ID>_NAME`, default: the id).
    pub name: String,
    /// `OIDC_<ID>_ISSUER`, exactly as the provider writes it in its metadata (no trailing slash added or
    /// removed: discovery compares the two strings).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `OIDC_<ID>_SCOPES`, split on spaces or commas; `openid` is always among them.
    pub scopes: Vec<String>,
    /// `{WEB_URL}/api/auth/oidc/<id>/callback` (WEB_URL's first entry): what is registered at the provider.
    pub redirect_uri: String,
}

/// Longest provider id (it becomes part of variable names and paths).
const MAX_ID_CHARS: usize = 32;

/// `OIDC_PROVIDERS` and the variables of each provider it names. `web_url` is WEB_URL's first entry.
pub fn providers(vars: &HashMap<String, String>, web_url: &str) -> Result<Vec<OidcProvider>, ConfigError> {
    let value = |name: &str| vars.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let Some(list) = value("OIDC_PROVIDERS") else { return Ok(Vec::new()) };
    let mut providers: Vec<OidcProvider> = Vec::new();
    for id in list.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        if id.len() > MAX_ID_CHARS || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return Err(invalid(
                "OIDC_PROVIDERS",
                id,
                format!("a provider id is 1 to {MAX_ID_CHARS} lowercase letters and digits"),
            ));
        }
        if providers.iter().any(|p| p.id == id) {
            return Err(invalid("OIDC_PROVIDERS", id, "listed twice"));
        }
        let var = |suffix: &str| format!("OIDC_{}_{suffix}", id.to_ascii_uppercase());
        let required = |suffix: &str| {
            let name = var(suffix);
            value(&name)
                .ok_or_else(|| ConfigError(format!("{name} must be set (provider {id:?} is in OIDC_PROVIDERS)")))
        };
        let issuer = required("ISSUER")?;
        check_issuer(&var("ISSUER"), &issuer)?;
        let redirect_uri = format!("{web_url}/api/auth/oidc/{id}/callback");
        openidconnect::RedirectUrl::new(redirect_uri.clone()).map_err(|e| invalid("WEB_URL", web_url, e))?;
        let client_id = required("CLIENT_ID")?;
        let client_secret = Secret::from(required("CLIENT_SECRET")?);
        let name = value(&var("NAME")).unwrap_or_else(|| id.to_string());
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(invalid(&var("NAME"), &name, "at most 100 characters, no control characters"));
        }
        let scopes_raw = value(&var("SCOPES")).unwrap_or_else(|| default_of("OIDC_<ID>_SCOPES"));
        let mut scopes: Vec<String> = Vec::new();
        for scope in scopes_raw.split([' ', ',']).filter(|s| !s.is_empty()) {
            if !scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') {
                return Err(invalid(&var("SCOPES"), &scopes_raw, "scopes are printable ASCII, without quotes"));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".to_string());
        }
        providers.push(OidcProvider {
            id: id.to_string(),
            name,
            issuer,
            client_id,
            client_secret,
            scopes,
            redirect_uri,
        });
    }
    Ok(providers)
}

/// The documented default of a variable of [`VARIABLES`].
fn default_of(name: &str) -> String {
    VARIABLES.iter().find(|v| v.name == name).map(|v| v.default.to_string()).unwrap_or_default()
}

/// An issuer is an https URL without query or fragment; plain http only on this machine (a local test
/// provider), since the provider's keys and tokens travel over it.
fn check_issuer(name: &str, issuer: &str) -> Result<(), ConfigError> {
    let uri = axum::http::Uri::try_from(issuer).map_err(|e| invalid(name, issuer, e))?;
    let host = uri.host().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        Some("http") => {
            return Err(invalid(name, issuer, "must be an https:// URL (http:// only for a loopback host)"))
        }
        _ => return Err(invalid(name, issuer, "must be an https:// URL")),
    }
    if host.is_empty()
        || uri.query().is_some()
        || issuer.contains('#')
        || uri.authority().is_some_and(|a| a.as_str().contains('@'))
    {
        return Err(invalid(name, issuer, "must be a URL with a host and no user, query or fragment"));
    }
    openidconnect::IssuerUrl::new(issuer.to_string()).map(|_| ()).map_err(|e| invalid(name, issuer, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{vars, SECRET};
    use crate::config::Settings;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut all = vec![("JWT_SECRET", SECRET), ("WEB_URL", "https://app.example.com/")];
        all.extend_from_slice(pairs);
        Settings::from_vars(&vars(&all))
    }

    #[test]
    fn providers_are_read_with_their_defaults_and_redirect_uri() {
        let s = settings(&[
            ("OIDC_PROVIDERS", "google, corp2"),
            ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
            ("OIDC_GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com"),
            ("OIDC_GOOGLE_CLIENT_SECRET", "GOCSPX-secret"),
            ("OIDC_GOOGLE_NAME", "Google"),
            ("OIDC_CORP2_ISSUER", "http://127.0.0.1:9400"),
            ("OIDC_CORP2_CLIENT_ID", "web"),
            ("OIDC_CORP2_CLIENT_SECRET", "s"),
            ("OIDC_CORP2_SCOPES", "email,profile groups"),
        ])
        .unwrap();
        let [google, corp] = &s.oidc_providers[..] else { panic!("two providers") };
        assert_eq!((google.id.as_str(), google.name.as_str()), ("google", "Google"));
        assert_eq!(google.scopes, ["openid", "email", "profile"]);
        assert_eq!(google.redirect_uri, "https://app.example.com/api/auth/oidc/google/callback");
        assert_eq!(corp.name, "corp2", "the name defaults to the id");
        assert_eq!(corp.scopes, ["openid", "email", "profile", "groups"]);
        assert!(settings(&[]).unwrap().oidc_providers.is_empty());
    }

    #[test]
    fn a_bad_provider_stops_start_up_naming_the_variable() {
        let good = [
            ("OIDC_PROVIDERS", "corp"),
            ("OIDC_CORP_ISSUER", "https://id.example.com/realms/x"),
            ("OIDC_CORP_CLIENT_ID", "web"),
            ("OIDC_CORP_CLIENT_SECRET", "s3cret"),
        ];
        assert!(settings(&good).is_ok());
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("OIDC_PROVIDERS", "Corp")], "OIDC_PROVIDERS"),
            (&[("OIDC_PROVIDERS", "corp-1")], "OIDC_PROVIDERS"),
            (&[("OIDC_PROVIDERS", "corp,corp")], "OIDC_PROVIDERS"),
            (&[("OIDC_CORP_ISSUER", "")], "OIDC_CORP_ISSUER"),
            (&[("OIDC_CORP_ISSUER", "http://id.example.com")], "OIDC_CORP_ISSUER"),
            (&[("OIDC_CORP_ISSUER", "id.example.com")], "OIDC_CORP_ISSUER"),
            (&[("OIDC_CORP_ISSUER", "https://id.example.com/?x=1")], "OIDC_CORP_ISSUER"),
            (&[("OIDC_CORP_CLIENT_ID", " ")], "OIDC_CORP_CLIENT_ID"),
            (&[("OIDC_CORP_CLIENT_SECRET", "")], "OIDC_CORP_CLIENT_SECRET"),
            (&[("OIDC_CORP_SCOPES", "openid \"x\"")], "OIDC_CORP_SCOPES"),
        ];
        for (changes, name) in cases {
            let mut pairs: Vec<(&str, &str)> = good.to_vec();
            for (k, v) in *changes {
                pairs.retain(|(key, _)| key != k);
                pairs.push((k, v));
            }
            let err = settings(&pairs).err().unwrap_or_else(|| panic!("{changes:?} was accepted"));
            assert!(err.0.contains(name), "{changes:?}: {err} should name {name}");
        }
        let secret =
            settings(&[("OIDC_PROVIDERS", "corp"), ("OIDC_CORP_ISSUER", "https://x"), ("OIDC_CORP_CLIENT_ID", "w")])
                .err()
                .unwrap();
        assert!(secret.0.contains("OIDC_CORP_CLIENT_SECRET must be set"), "{secret}");
    }
}
