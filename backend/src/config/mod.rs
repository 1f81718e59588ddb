//! Typed settings, read once at start-up from the environment and an optional `.env` file.
//!
//! The variable names are the seed's (`DATABASE_URL`, `JWT_SECRET`, `JWT_ALGORITHM`,
//! `ACCESS_TOKEN_EXPIRE_MINUTES`, `CORS_ORIGINS`) so a seed deployment's environment works unchanged;
//! the rest are ours. Every variable is listed once, in [`VARIABLES`] (`vars.rs`), which is what `--help`
//! prints; `parse.rs` turns the variables into [`Settings`]; `secrets.rs` is the policy for keys (what is
//! refused, and the keys generated beside a SQLite file for local use). A bad value stops start-up with a
//! message naming the variable: a typo must never silently fall back to a default in production.
//!
//! A leaf of the crate: it imports nothing from the rest of it, so every layer may read settings.

use std::{collections::HashMap, net::IpAddr, path::PathBuf, time::Duration};

use jsonwebtoken::Algorithm;

mod oidc;
mod parse;
mod secrets;
mod vars;

pub use oidc::OidcProvider;
pub use parse::{parse_database_url, smtp_transport_url};
pub use secrets::{check_named_secret, check_secret, MIN_SECRET_BYTES};
pub use vars::{help_text, Variable, VARIABLES};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (created if missing) or `:memory:`.
    Sqlite(PathBuf),
    Postgres(String),
}

/// The window of `TASK_CREATES_PER_MINUTE` (its own, not `RATE_LIMIT_WINDOW_SECONDS`).
pub const TASK_CREATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
pub struct RateLimits {
    pub login_failures_per_email_client: u32,
    pub login_failures_per_client: u32,
    pub logins_per_email: u32,
    pub registrations_per_client: u32,
    pub password_failures_per_account: u32,
    pub mail_requests_per_email: u32,
    pub mail_requests_per_client: u32,
    /// Task creations per user per [`TASK_CREATE_WINDOW`].
    pub task_creates_per_minute: u32,
    /// Provider sign-ins (and links) started per client.
    pub oidc_starts_per_client: u32,
    /// Wrong one-time email codes per address (from all clients).
    pub email_code_failures_per_email: u32,
    /// Passkey sign-ins started per client.
    pub passkey_starts_per_client: u32,
    pub window: Duration,
}

/// `PASSWORD_HASH`: what new password hashes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordHash {
    /// `$2b$` at `BCRYPT_COST`: the seed's backend can read every row.
    Bcrypt,
    /// Argon2id PHC strings (m = 19 MiB, t = 2, p = 1).
    Argon2id,
}

/// Mail: where it goes, what links point at, how long they work (see src/mail/).
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `None`: .eml files in [`MailSettings::folder`] and the links logged.
    pub smtp_url: Option<Secret>,
    pub from: lettre::message::Mailbox,
    /// `WEB_URL`'s first entry, without a trailing slash: what links in mail start with.
    pub web_url: String,
    /// The origins of every `WEB_URL` entry (`scheme://host[:port]`): where the web app is served.
    pub web_origins: Vec<String>,
    pub reset_ttl: Duration,
    pub verification_ttl: Duration,
    pub require_verified_email: bool,
    pub retention: Duration,
    /// Where .eml files go without SMTP: `mail/` beside the SQLite file (with PostgreSQL, in the system's
    /// temporary folder: never in the working directory, which may be a checkout).
    pub folder: PathBuf,
}

#[derive(Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub jwt_secret: Secret,
    /// Where the secret came from, for the start-up log line.
    pub jwt_secret_source: String,
    pub jwt_algorithm: Algorithm,
    /// Encrypts two-factor secrets at rest (crypto.rs); earlier keys only decrypt.
    /// `None` only on PostgreSQL without `DATA_ENCRYPTION_KEY` (a seed deployment's variables): two-factor
    /// set-up is then off.
    pub data_encryption_key: Option<Secret>,
    pub data_encryption_previous_keys: Vec<Secret>,
    pub access_token_expire: Duration,
    pub cors_origins: Vec<String>,
    pub host: IpAddr,
    pub port: u16,
    pub bcrypt_cost: u32,
    /// `PASSWORD_HASH` (its bcrypt cost is `bcrypt_cost`).
    pub password_hash: PasswordHash,
    pub pwned_passwords_url: Option<String>,
    pub pwned_passwords_timeout: Duration,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    pub db_statement_timeout: Duration,
    pub hash_workers: usize,
    pub hash_queue: usize,
    pub rate_limits: RateLimits,
    pub trusted_proxies: Vec<IpAddr>,
    pub max_tasks_per_user: i64,
    pub max_connections: usize,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `ACTIVITY_RETENTION_DAYS`: events older than this are purged.
    pub activity_retention: Duration,
    pub mail: MailSettings,
    /// `OIDC_PROVIDERS` and their `OIDC_<ID>_*` variables, in the listed order.
    pub oidc_providers: Vec<OidcProvider>,
    /// `WEBAUTHN_RP_ID`, `WEBAUTHN_ORIGINS`, `WEBAUTHN_RP_NAME`.
    pub webauthn: WebauthnSettings,
}

/// The relying party of passkey ceremonies (`WEBAUTHN_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebauthnSettings {
    /// The RP id: a domain (the host of WEB_URL's first entry by default).
    pub rp_id: String,
    pub rp_name: String,
    /// Origins (`scheme://host[:port]`) whose pages may run a ceremony; each host is the RP id or under it.
    pub origins: Vec<String>,
}

/// A secret that never prints itself (`secrecy`: Debug shows a placeholder, the memory is zeroed on drop),
/// so it cannot reach a log by accident; `expose_secret()` is the one way to read it.
pub type Secret = secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub(crate) fn invalid(name: &str, value: &str, why: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("invalid {name}={value:?}: {why}"))
}

/// The variables as one map: the process environment, over an optional `.env` in the working directory
/// (like pydantic-settings, the environment wins).
pub fn environment() -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Ok(iter) = dotenvy::from_path_iter(".env") {
        for (k, v) in iter.flatten() {
            vars.insert(k, v);
        }
    }
    vars.extend(std::env::vars());
    vars
}

/// What the unit tests of this module build settings from.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;

    pub const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    /// The given variables; where JWT_SECRET is given, a DATA_ENCRYPTION_KEY too (so no test writes a
    /// generated key into ./data).
    pub fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if map.contains_key("JWT_SECRET") {
            map.entry("DATA_ENCRYPTION_KEY".into()).or_insert_with(|| SECRET.to_string());
        }
        map
    }
}
