//! Typed settings, read once at start-up from the environment and an optional `.env` file.
//!
//! The variable names are the seed's (`DATABASE_URL`, `JWT_SECRET`, `JWT_ALGORITHM`,
//! `ACCESS_TOKEN_EXPIRE_MINUTES`, `CORS_ORIGINS`) so a seed deployment's environment works unchanged;
//! the rest are ours. Every variable is listed once, in [`VARIABLES`], which is what `--help` prints.
//! A bad value stops start-up with a message naming the variable: a typo must never silently fall back
//! to a default in production.

use std::{collections::HashMap, net::IpAddr, path::PathBuf, str::FromStr, time::Duration};

use jsonwebtoken::Algorithm;

/// One documented variable: name, default (as text; empty = unset) and what it does.
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Every variable the API reads. `--help` prints this table; the README mirrors it.
pub const VARIABLES: &[Variable] = &[
    Variable { name: "DATABASE_URL", default: "sqlite:///data/app.db", help: "sqlite:///relative.db, sqlite:////absolute.db (SQLAlchemy's form) or postgres://… / postgresql://…; the SQLite folder is created" },
    Variable { name: "JWT_SECRET", default: "", help: "HMAC key, at least 32 bytes. Unset with SQLite: a random one is generated once and kept beside the database file (.jwt_secret)" },
    Variable { name: "DATA_ENCRYPTION_KEY", default: "", help: "key that encrypts two-factor secrets at rest, at least 32 bytes. Unset with SQLite: a random one is generated once and kept beside the database file (.data_encryption_key). Required with PostgreSQL" },
    Variable { name: "DATA_ENCRYPTION_PREVIOUS_KEYS", default: "", help: "comma list of earlier DATA_ENCRYPTION_KEY values, for key rotation: they still decrypt, and a secret read with one is written again under the current key" },
    Variable { name: "JWT_ALGORITHM", default: "HS256", help: "HS256, HS384 or HS512; tokens signed with any other algorithm are refused" },
    Variable { name: "ACCESS_TOKEN_EXPIRE_MINUTES", default: "1440", help: "token lifetime in minutes" },
    Variable { name: "CORS_ORIGINS", default: "http://localhost:3000", help: "allowed browser origins: a JSON list (the seed's form) or a comma-separated list; * allows any origin" },
    Variable { name: "API_HOST", default: "127.0.0.1", help: "address to listen on (0.0.0.0 for every interface)" },
    Variable { name: "API_PORT", default: "8000", help: "port to listen on (0 picks a free one)" },
    Variable { name: "BCRYPT_COST", default: "12", help: "bcrypt work factor for new hashes, 4..=31 (the seed uses 12)" },
    Variable { name: "PASSWORD_HASH", default: "bcrypt", help: "hash of new passwords: bcrypt (at BCRYPT_COST; the seed's backend can read every row) or argon2id (m=19 MiB, t=2, p=1; a bcrypt hash is replaced at its owner's next sign-in, after which the seed cannot read it)" },
    Variable { name: "PWNED_PASSWORDS_URL", default: "", help: "optional k-anonymity range API (e.g. https://api.pwnedpasswords.com): a new password seen in a breach is refused; only the first 5 hex of its SHA-1 are sent; unreachable -> allowed and logged" },
    Variable { name: "PWNED_PASSWORDS_TIMEOUT_MS", default: "2000", help: "how long a breached-password lookup may take before the password is allowed (100..=30000)" },
    Variable { name: "RUST_LOG", default: "info", help: "log filter (tracing EnvFilter syntax), e.g. warn or todo_auth=debug" },
    Variable { name: "DB_MAX_CONNECTIONS", default: "10", help: "connection pool size" },
    Variable { name: "DB_ACQUIRE_TIMEOUT_SECONDS", default: "3", help: "how long a request waits for a pooled connection before answering 503" },
    Variable { name: "DB_STATEMENT_TIMEOUT_SECONDS", default: "5", help: "PostgreSQL statement_timeout and SQLite busy timeout" },
    Variable { name: "HASH_WORKERS", default: "", help: "bcrypt computations run at once (default: the number of CPUs)" },
    Variable { name: "HASH_QUEUE", default: "64", help: "bcrypt jobs allowed to wait; beyond it a login answers 503 with Retry-After at once" },
    Variable { name: "LOGIN_FAILURES_PER_EMAIL_CLIENT", default: "5", help: "failed logins per (email, client) per window before 429; 0 = no limit" },
    Variable { name: "LOGIN_FAILURES_PER_CLIENT", default: "50", help: "failed logins per client (any email) per window before 429; 0 = no limit" },
    Variable { name: "LOGINS_PER_EMAIL", default: "30", help: "login attempts per email from all clients per window before 429; 0 = no limit" },
    Variable { name: "REGISTRATIONS_PER_CLIENT", default: "10", help: "registrations per client per window before 429; 0 = no limit" },
    Variable { name: "PASSWORD_FAILURES_PER_ACCOUNT", default: "10", help: "wrong current passwords per account (from all clients) per window before change-password answers 429; 0 = no limit" },
    Variable { name: "TASK_CREATES_PER_MINUTE", default: "600", help: "tasks one user may create per minute (a sliding 60 s window of its own) before 429; 0 = no limit" },
    Variable { name: "RATE_LIMIT_WINDOW_SECONDS", default: "900", help: "length of the sliding window of every limit above" },
    Variable { name: "TRUSTED_PROXIES", default: "", help: "comma list of proxy IPs whose X-Forwarded-For is believed; empty = use the socket address" },
    Variable { name: "MAX_TASKS_PER_USER", default: "10000", help: "tasks one user may have; creating beyond it answers 400 \"Task limit reached\" (existing tasks are never deleted)" },
    Variable { name: "MAX_CONNECTIONS", default: "1000", help: "open client connections at once; beyond it a new connection is closed at once (keep it below the open-file limit)" },
    Variable { name: "MAX_BODY_BYTES", default: "65536", help: "largest request body; larger answers 413" },
    Variable { name: "MAX_HEADER_BYTES", default: "16384", help: "largest request head (request line + headers); larger closes the connection with 431" },
    Variable { name: "REQUEST_TIMEOUT_SECONDS", default: "15", help: "a request still running after this answers 503" },
    Variable { name: "HEADER_READ_TIMEOUT_SECONDS", default: "10", help: "a client must send its request head within this time (slow or idle connections are closed)" },
    Variable { name: "METRICS_ADDR", default: "", help: "host:port of a second listener serving Prometheus text at /metrics (never on the public port); empty = no metrics" },
    Variable { name: "SHUTDOWN_GRACE_SECONDS", default: "20", help: "on SIGINT/SIGTERM, in-flight requests get this long to finish" },
    Variable { name: "SMTP_URL", default: "", help: "smtp://[user:pass@]host:port (STARTTLS when offered; ?tls=required to insist) or smtps://host:port. Unset: mail is written as .eml files beside the SQLite file and each link is logged (local development only)" },
    Variable { name: "MAIL_FROM", default: "Todo <no-reply@localhost>", help: "the From of every mail" },
    Variable { name: "WEB_URL", default: "http://localhost:3000", help: "the web app's public base URL, or a comma list of them: links in mail are {first entry}/<page>?token=… (never built from a request's Host); every entry's origin may make cookie-authenticated changes (the browser's session cookie, see web_session), and https:// in any entry makes that cookie Secure and __Host- named" },
    Variable { name: "PASSWORD_RESET_TTL_MINUTES", default: "60", help: "how long a password reset link works" },
    Variable { name: "EMAIL_VERIFICATION_TTL_HOURS", default: "48", help: "how long an email verification (or email change) link works" },
    Variable { name: "REQUIRE_VERIFIED_EMAIL", default: "false", help: "true: an unverified user's login answers 403" },
    Variable { name: "MAIL_RETENTION_HOURS", default: "168", help: "outbox rows (sent or not) older than this are deleted" },
    Variable { name: "MAIL_REQUESTS_PER_EMAIL", default: "5", help: "forgot-password / resend-verification requests per email (or account) per window before 429; 0 = no limit" },
    Variable { name: "MAIL_REQUESTS_PER_CLIENT", default: "20", help: "forgot-password requests per client per window before 429; 0 = no limit" },
];

/// Example secrets that appear in our docs or the seed's: refused at start-up, since anyone can read them.
const EXAMPLE_SECRETS: &[&str] = &[
    "your-super-secret-32-char-minimum-key",
    "change-me-to-a-long-random-string-of-32-bytes-or-more",
    "some-32-byte-or-longer-secret-value",
];
const ENV_EXAMPLE: &str = include_str!("../../.env.example");

pub const MIN_SECRET_BYTES: usize = 32;

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
    pub window: Duration,
}

/// Mail: where it goes, what links point at, how long they work (see src/mail/).
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `None`: .eml files in [`MailSettings::folder`] and the links logged.
    pub smtp_url: Option<Secret>,
    pub from: lettre::message::Mailbox,
    /// `WEB_URL`'s first entry, without a trailing slash.
    pub web_url: String,
    pub reset_ttl: Duration,
    pub verification_ttl: Duration,
    pub require_verified_email: bool,
    pub retention: Duration,
    /// Where .eml files go without SMTP: `mail/` beside the SQLite file (or in the working directory).
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
    pub data_encryption_key: Secret,
    pub data_encryption_previous_keys: Vec<Secret>,
    pub access_token_expire: Duration,
    pub cors_origins: Vec<String>,
    /// The origins of every `WEB_URL` entry (`scheme://host[:port]`, as a browser writes `Origin`): where the
    /// browser's session cookie may come from (web_session.rs).
    pub web_origins: Vec<String>,
    pub host: IpAddr,
    pub port: u16,
    pub bcrypt_cost: u32,
    /// `PASSWORD_HASH` (its bcrypt cost is `bcrypt_cost`).
    pub password_hash: crate::auth::scheme::Scheme,
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
    pub mail: MailSettings,
}

/// A secret that never prints itself (`secrecy`: Debug shows a placeholder, the memory is zeroed on drop),
/// so it cannot reach a log by accident; `expose_secret()` is the one way to read it.
pub type Secret = secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn invalid(name: &str, value: &str, why: impl std::fmt::Display) -> ConfigError {
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

struct Reader<'a>(&'a HashMap<String, String>);

impl Reader<'_> {
    /// The trimmed value, or the documented default; `None` when neither is set.
    fn raw(&self, name: &str) -> Option<String> {
        match self.0.get(name).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => Some(v.to_string()),
            _ => VARIABLES.iter().find(|v| v.name == name).map(|v| v.default.to_string()).filter(|d| !d.is_empty()),
        }
    }

    fn parse<T: FromStr>(&self, name: &str) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let raw = self.raw(name).ok_or_else(|| ConfigError(format!("{name} must be set")))?;
        raw.parse::<T>().map_err(|e| invalid(name, &raw, e))
    }

    fn ranged<T>(&self, name: &str, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
        T::Err: std::fmt::Display,
    {
        let v: T = self.parse(name)?;
        if v < min || v > max {
            return Err(invalid(name, &v.to_string(), format!("must be between {min} and {max}")));
        }
        Ok(v)
    }

    fn seconds(&self, name: &str, min: u64, max: u64) -> Result<Duration, ConfigError> {
        self.ranged::<u64>(name, min, max).map(Duration::from_secs)
    }
}

impl Settings {
    /// Reads and checks every variable. `vars` is normally [`environment()`]; tests pass their own map.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Settings, ConfigError> {
        let r = Reader(vars);
        let database = parse_database_url(&r.raw("DATABASE_URL").unwrap_or_default())?;
        let jwt_algorithm = match r.raw("JWT_ALGORITHM").as_deref() {
            Some("HS256") | None => Algorithm::HS256,
            Some("HS384") => Algorithm::HS384,
            Some("HS512") => Algorithm::HS512,
            Some(other) => return Err(invalid("JWT_ALGORITHM", other, "must be HS256, HS384 or HS512")),
        };
        let (jwt_secret, jwt_secret_source) = match r.raw("JWT_SECRET") {
            Some(secret) => {
                check_secret(&secret)?;
                (Secret::from(secret), "JWT_SECRET".to_string())
            }
            None => local_secret(&database, "JWT_SECRET", ".jwt_secret")?,
        };
        let data_encryption_key = match r.raw("DATA_ENCRYPTION_KEY") {
            Some(key) => {
                check_named_secret("DATA_ENCRYPTION_KEY", &key)?;
                Secret::from(key)
            }
            None => local_secret(&database, "DATA_ENCRYPTION_KEY", ".data_encryption_key")?.0,
        };
        let data_encryption_previous_keys = r
            .raw("DATA_ENCRYPTION_PREVIOUS_KEYS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| check_named_secret("DATA_ENCRYPTION_PREVIOUS_KEYS", k).map(|()| Secret::from(k.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let cors_origins = parse_origins(&r.raw("CORS_ORIGINS").unwrap_or_default())?;
        let trusted_proxies = match r.raw("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<IpAddr>().map_err(|e| invalid("TRUSTED_PROXIES", s, e)))
                .collect::<Result<_, _>>()?,
        };
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hash_workers = match r.raw("HASH_WORKERS") {
            None => cpus,
            Some(_) => r.ranged("HASH_WORKERS", 1usize, 1024)?,
        };
        Ok(Settings {
            jwt_secret,
            jwt_secret_source,
            jwt_algorithm,
            data_encryption_key,
            data_encryption_previous_keys,
            access_token_expire: Duration::from_secs(
                60 * r.ranged::<u64>("ACCESS_TOKEN_EXPIRE_MINUTES", 1, 60 * 24 * 366)?,
            ),
            cors_origins,
            web_origins: web_urls(&r)?.iter().map(|(_, origin)| origin.clone()).collect(),
            host: r.parse("API_HOST")?,
            port: r.parse("API_PORT")?,
            bcrypt_cost: r.ranged("BCRYPT_COST", 4, 31)?,
            password_hash: {
                let raw = r.raw("PASSWORD_HASH").unwrap_or_default();
                crate::auth::scheme::Scheme::parse(&raw, r.ranged("BCRYPT_COST", 4, 31)?)
                    .map_err(|why| invalid("PASSWORD_HASH", &raw, why))?
            },
            pwned_passwords_url: match r.raw("PWNED_PASSWORDS_URL") {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
                Some(url) => return Err(invalid("PWNED_PASSWORDS_URL", &url, "must be an http:// or https:// URL")),
                None => None,
            },
            pwned_passwords_timeout: Duration::from_millis(r.ranged("PWNED_PASSWORDS_TIMEOUT_MS", 100u64, 30_000)?),
            db_max_connections: r.ranged("DB_MAX_CONNECTIONS", 1, 1000)?,
            db_acquire_timeout: r.seconds("DB_ACQUIRE_TIMEOUT_SECONDS", 1, 300)?,
            db_statement_timeout: r.seconds("DB_STATEMENT_TIMEOUT_SECONDS", 1, 3600)?,
            hash_workers,
            hash_queue: r.ranged("HASH_QUEUE", 0usize, 1_000_000)?,
            rate_limits: RateLimits {
                login_failures_per_email_client: r.parse("LOGIN_FAILURES_PER_EMAIL_CLIENT")?,
                login_failures_per_client: r.parse("LOGIN_FAILURES_PER_CLIENT")?,
                logins_per_email: r.parse("LOGINS_PER_EMAIL")?,
                registrations_per_client: r.parse("REGISTRATIONS_PER_CLIENT")?,
                password_failures_per_account: r.parse("PASSWORD_FAILURES_PER_ACCOUNT")?,
                mail_requests_per_email: r.parse("MAIL_REQUESTS_PER_EMAIL")?,
                mail_requests_per_client: r.parse("MAIL_REQUESTS_PER_CLIENT")?,
                task_creates_per_minute: r.parse("TASK_CREATES_PER_MINUTE")?,
                window: r.seconds("RATE_LIMIT_WINDOW_SECONDS", 1, 7 * 24 * 3600)?,
            },
            trusted_proxies,
            max_connections: r.ranged("MAX_CONNECTIONS", 1, 1_000_000)?,
            max_tasks_per_user: r.ranged("MAX_TASKS_PER_USER", 1, 100_000_000)?,
            max_body_bytes: r.ranged("MAX_BODY_BYTES", 1024usize, 64 << 20)?,
            max_header_bytes: r.ranged("MAX_HEADER_BYTES", 8192usize, 1 << 20)?,
            request_timeout: r.seconds("REQUEST_TIMEOUT_SECONDS", 1, 3600)?,
            header_read_timeout: r.seconds("HEADER_READ_TIMEOUT_SECONDS", 1, 3600)?,
            shutdown_grace: r.seconds("SHUTDOWN_GRACE_SECONDS", 0, 3600)?,
            metrics_addr: r
                .raw("METRICS_ADDR")
                .map(|a| a.parse().map_err(|e| invalid("METRICS_ADDR", &a, e)))
                .transpose()?,
            mail: mail_settings(&r, &database)?,
            database,
        })
    }
}

fn mail_settings(r: &Reader<'_>, database: &DatabaseUrl) -> Result<MailSettings, ConfigError> {
    let smtp_url = match r.raw("SMTP_URL") {
        None => None,
        Some(url) => {
            let scheme = url.split_once("://").map(|(s, _)| s);
            if !matches!(scheme, Some("smtp" | "smtps")) {
                return Err(ConfigError("invalid SMTP_URL: must start with smtp:// or smtps://".into()));
            }
            // Parsed by lettre here, so a typo stops start-up (the value may hold a password: not echoed).
            crate::mail::transport_url(&url)
                .and_then(|u| {
                    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&u).map_err(|e| e.to_string())
                })
                .map_err(|e| ConfigError(format!("invalid SMTP_URL: {e}")))?;
            Some(Secret::from(url))
        }
    };
    let from_raw = r.raw("MAIL_FROM").unwrap_or_default();
    let from = from_raw.parse().map_err(|e| invalid("MAIL_FROM", &from_raw, e))?;
    let (web_url, _) = web_urls(r)?.swap_remove(0);
    let folder = match database {
        DatabaseUrl::Sqlite(path) => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() && path.as_os_str() != ":memory:" => p.join("mail"),
            _ => PathBuf::from("mail"),
        },
        DatabaseUrl::Postgres(_) => PathBuf::from("mail"),
    };
    Ok(MailSettings {
        smtp_url,
        from,
        web_url,
        reset_ttl: Duration::from_secs(60 * r.ranged::<u64>("PASSWORD_RESET_TTL_MINUTES", 1, 24 * 60)?),
        verification_ttl: Duration::from_secs(3600 * r.ranged::<u64>("EMAIL_VERIFICATION_TTL_HOURS", 1, 24 * 30)?),
        require_verified_email: r.parse("REQUIRE_VERIFIED_EMAIL")?,
        retention: Duration::from_secs(3600 * r.ranged::<u64>("MAIL_RETENTION_HOURS", 1, 24 * 366)?),
        folder,
    })
}

/// `WEB_URL`: one base URL or a comma list of them, each `(base without a trailing slash, its origin)`; at
/// least one.
fn web_urls(r: &Reader<'_>) -> Result<Vec<(String, String)>, ConfigError> {
    let raw = r.raw("WEB_URL").unwrap_or_default();
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = axum::http::Uri::try_from(entry).map_err(|e| invalid("WEB_URL", entry, e))?;
        let (Some(scheme @ ("http" | "https")), Some(host), None) =
            (parsed.scheme_str(), parsed.host(), parsed.query())
        else {
            return Err(invalid(
                "WEB_URL",
                entry,
                "each entry must be an http:// or https:// base URL without a query",
            ));
        };
        if parsed.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(invalid("WEB_URL", entry, "a base URL carries no user name or password"));
        }
        // As a browser serializes an origin: lowercase host, the scheme's default port left out.
        let port = parsed.port_u16().filter(|&p| !matches!((scheme, p), ("http", 80) | ("https", 443)));
        let origin = match port {
            Some(port) => format!("{scheme}://{}:{port}", host.to_ascii_lowercase()),
            None => format!("{scheme}://{}", host.to_ascii_lowercase()),
        };
        out.push((entry.trim_end_matches('/').to_string(), origin));
    }
    if out.is_empty() {
        return Err(invalid("WEB_URL", &raw, "must name at least one http:// or https:// base URL"));
    }
    Ok(out)
}

/// The `--help` text: every variable with its default.
pub fn help_text() -> String {
    let mut out = String::from(
        "todo-auth-api — the Rust (axum) drop-in for the seed's FastAPI auth + tasks backend\n\n\
         Usage: todo-auth-api [--help | --openapi]\n\n\
         --openapi prints the OpenAPI document (/openapi.json) and exits.\n\n\
         Configuration comes from the environment and an optional .env file in the working directory\n\
         (the environment wins). A bad value stops start-up with a message naming the variable.\n\n",
    );
    for v in VARIABLES {
        let default = if v.default.is_empty() { "unset" } else { v.default };
        out.push_str(&format!("  {:<34} (default: {default})\n      {}\n", v.name, v.help));
    }
    out
}

/// Accepts SQLAlchemy's SQLite URLs (`sqlite:///rel.db`, `sqlite:////abs.db`), sqlx's (`sqlite://rel.db`,
/// `sqlite:rel.db`) and PostgreSQL URLs, including the `postgresql+psycopg2://` driver suffix a seed
/// deployment may carry.
pub fn parse_database_url(url: &str) -> Result<DatabaseUrl, ConfigError> {
    let err = |why: &str| invalid("DATABASE_URL", url, why);
    let (scheme, rest) = url.split_once(':').ok_or_else(|| err("expected sqlite:… or postgres://…"))?;
    let scheme = scheme.split('+').next().unwrap_or(scheme);
    match scheme {
        "sqlite" => {
            let path = rest.split('?').next().unwrap_or(rest);
            let path = if let Some(abs) = path.strip_prefix("////") {
                format!("/{abs}")
            } else if let Some(rel) = path.strip_prefix("///") {
                rel.to_string()
            } else if let Some(rel) = path.strip_prefix("//") {
                rel.to_string()
            } else {
                path.to_string()
            };
            if path.is_empty() {
                return Err(err("no database file in the URL"));
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        }
        "postgres" | "postgresql" => {
            if !rest.starts_with("//") {
                return Err(err("expected postgres://user@host/db"));
            }
            Ok(DatabaseUrl::Postgres(format!("postgres:{rest}")))
        }
        _ => Err(err("only sqlite and postgres/postgresql URLs are supported")),
    }
}

fn parse_origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    let origins: Vec<String> = if raw.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(raw)
            .map_err(|e| invalid("CORS_ORIGINS", raw, format!("not a JSON list of strings ({e})")))?
    } else {
        raw.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    };
    for o in &origins {
        if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
            return Err(invalid("CORS_ORIGINS", o, "each origin must start with http:// or https:// (or be *)"));
        }
        if o != "*" && axum::http::HeaderValue::from_str(o).is_err() {
            return Err(invalid("CORS_ORIGINS", o, "not a valid header value"));
        }
    }
    Ok(origins.into_iter().map(|o| o.trim_end_matches('/').to_string()).collect())
}

/// Example values from `.env.example` and our docs: known to the world, so never accepted as a key.
fn example_secrets() -> impl Iterator<Item = String> {
    let from_env_example = ENV_EXAMPLE.lines().filter_map(|line| {
        let line = line.trim_start_matches('#').trim();
        line.strip_prefix("JWT_SECRET=").map(|v| v.trim().trim_matches('"').to_string()).filter(|v| !v.is_empty())
    });
    EXAMPLE_SECRETS.iter().map(|s| s.to_string()).chain(from_env_example)
}

pub fn check_secret(secret: &str) -> Result<(), ConfigError> {
    check_named_secret("JWT_SECRET", secret)
}

/// [`check_secret`]'s rules for any key variable, named in the message.
pub fn check_named_secret(name: &str, secret: &str) -> Result<(), ConfigError> {
    const HOW: &str = "generate one with: openssl rand -hex 32";
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError(format!(
            "{name} is {} bytes; at least {MIN_SECRET_BYTES} are required ({HOW})",
            secret.len()
        )));
    }
    if example_secrets().any(|example| example == secret) {
        return Err(ConfigError(format!(
            "{name} is an example value from the documentation and must not be used ({HOW})"
        )));
    }
    let mut chars = secret.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(ConfigError(format!(
                "JWT_SECRET is one character repeated, which anyone can guess like an example value ({HOW})"
            )));
        }
    }
    Ok(())
}

/// For a fresh clone on SQLite: a random secret, made once and kept beside the database file, so tokens
/// survive restarts without anyone editing a file. PostgreSQL deployments run several processes that
/// must share one key, so there the secret has to be configured.
fn local_secret(database: &DatabaseUrl, name: &str, file_name: &str) -> Result<(Secret, String), ConfigError> {
    let DatabaseUrl::Sqlite(path) = database else {
        return Err(ConfigError(format!(
            "{name} must be set when DATABASE_URL is PostgreSQL (every API process needs the same key; \
             generate one with: openssl rand -hex 32)"
        )));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() && path.as_os_str() != ":memory:" => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = dir.join(file_name);
    if let Some(existing) = read_local_secret(name, &file)? {
        return Ok((existing, format!("{} (generated earlier for local use)", file.display())));
    }
    std::fs::create_dir_all(&dir).map_err(|e| ConfigError(format!("cannot create {}: {e}", dir.display())))?;
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut bytes);
    let secret = hex::encode(bytes);
    // Written whole into a private temporary file beside it, then linked into place only if no file is there:
    // of two processes starting at once on a fresh database, one wins and the other reads the winner's file
    // (never a half-written one) instead of aborting.
    let cannot_write = |e: std::io::Error| ConfigError(format!("cannot write {}: {e}", file.display()));
    let mut tmp = tempfile::Builder::new().prefix(&format!("{file_name}.")).tempfile_in(&dir).map_err(cannot_write)?;
    std::io::Write::write_all(&mut tmp, secret.as_bytes()).map_err(cannot_write)?;
    match tmp.persist_noclobber(&file) {
        Ok(_) => Ok((Secret::from(secret), format!("{} (just generated for local use)", file.display()))),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => match read_local_secret(name, &file)? {
            Some(winner) => {
                Ok((winner, format!("{} (generated at the same moment by another process)", file.display())))
            }
            None => Err(ConfigError(format!("{} vanished while starting", file.display()))),
        },
        Err(e) => Err(cannot_write(e.error)),
    }
}

/// The secret kept in `file`, checked; `None` when there is no such file.
fn read_local_secret(name: &str, file: &std::path::Path) -> Result<Option<Secret>, ConfigError> {
    match std::fs::read_to_string(file) {
        Ok(existing) => {
            let existing = existing.trim().to_string();
            check_named_secret(name, &existing).map_err(|e| ConfigError(format!("{}: {e}", file.display())))?;
            Ok(Some(Secret::from(existing)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError(format!("cannot read {}: {e}", file.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// The given variables; where JWT_SECRET is given, a DATA_ENCRYPTION_KEY too (so no test writes a
    /// generated key into ./data).
    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if map.contains_key("JWT_SECRET") {
            map.entry("DATA_ENCRYPTION_KEY".into()).or_insert_with(|| SECRET.to_string());
        }
        map
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn sqlalchemy_and_sqlx_sqlite_urls_are_understood() {
        let cases = [
            ("sqlite:///data/app.db", "data/app.db"),
            ("sqlite:////tmp/seed.db", "/tmp/seed.db"),
            ("sqlite://./data/app.db", "./data/app.db"),
            ("sqlite:app.db", "app.db"),
            ("sqlite+pysqlite:///x.db", "x.db"),
        ];
        for (url, path) in cases {
            assert_eq!(parse_database_url(url).unwrap(), DatabaseUrl::Sqlite(path.into()), "{url}");
        }
        assert_eq!(
            parse_database_url("postgresql+psycopg2://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert!(parse_database_url("mysql://x").is_err());
        assert!(parse_database_url("sqlite://").is_err());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("JWT_ALGORITHM", "RS256"),
            ("API_PORT", "eighty"),
            ("BCRYPT_COST", "3"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("CORS_ORIGINS", "[not json"),
            ("CORS_ORIGINS", "localhost:3000"),
            ("TRUSTED_PROXIES", "10.0.0.300"),
            ("METRICS_ADDR", "localhost"),
        ] {
            let err = Settings::from_vars(&vars(&[("JWT_SECRET", SECRET), (name, value)]))
                .err()
                .unwrap_or_else(|| panic!("{name}={value} was accepted"));
            assert!(err.0.contains(name), "{err} should name {name}");
        }
    }

    #[test]
    fn cors_origins_accept_the_seed_json_list_and_a_comma_list() {
        let json = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("CORS_ORIGINS", r#"["http://a.test:3000", "https://b.test/"]"#),
        ]))
        .unwrap();
        assert_eq!(json.cors_origins, ["http://a.test:3000", "https://b.test"]);
        let comma = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("CORS_ORIGINS", "http://a.test:3000, https://b.test"),
        ]))
        .unwrap();
        assert_eq!(comma.cors_origins, ["http://a.test:3000", "https://b.test"]);
    }

    #[test]
    fn web_url_is_a_comma_list_whose_first_entry_makes_the_links() {
        let one = Settings::from_vars(&vars(&[("JWT_SECRET", SECRET), ("WEB_URL", "https://todo.example/")])).unwrap();
        assert_eq!(one.mail.web_url, "https://todo.example");
        assert_eq!(one.web_origins, ["https://todo.example"]);
        let list = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("WEB_URL", "http://localhost:3100/app/, http://127.0.0.1:3100,http://WWW.Example.test:80"),
        ]))
        .unwrap();
        assert_eq!(list.mail.web_url, "http://localhost:3100/app");
        assert_eq!(list.web_origins, ["http://localhost:3100", "http://127.0.0.1:3100", "http://www.example.test"]);
        for bad in ["localhost:3000", "http://a.test,ftp://b.test", "http://a.test/?x=1", "http://u:p@a.test", " , "] {
            let err = Settings::from_vars(&vars(&[("JWT_SECRET", SECRET), ("WEB_URL", bad)])).err();
            assert!(err.is_some_and(|e| e.0.contains("WEB_URL")), "WEB_URL={bad} was accepted");
        }
    }

    #[test]
    fn short_and_example_secrets_are_refused_with_advice() {
        let short = check_secret("too-short").unwrap_err();
        assert!(short.0.contains("at least 32") && short.0.contains("openssl rand"), "{short}");
        for example in example_secrets() {
            let err = check_secret(&example).unwrap_err();
            assert!(err.0.contains("example value"), "{example}: {err}");
        }
        // README examples must be among the refused ones.
        let readme = include_str!("../../README.md");
        for line in readme.lines() {
            if let Some(v) = line.trim().strip_prefix("JWT_SECRET=") {
                let v = v.split_whitespace().next().unwrap_or("").trim_matches('"');
                if v.len() >= MIN_SECRET_BYTES && !v.starts_with('$') {
                    assert!(check_secret(v).is_err(), "README example {v} is accepted");
                }
            }
        }
        check_secret(SECRET).unwrap();
    }

    #[test]
    fn a_secret_of_one_repeated_character_is_refused() {
        for repeated in ["a".repeat(32), "0".repeat(64), "é".repeat(20)] {
            let err = check_secret(&repeated).unwrap_err();
            assert!(err.0.contains("one character repeated"), "{err}");
        }
        check_secret(&format!("{}b", "a".repeat(32))).unwrap();
    }

    #[test]
    fn a_missing_secret_is_generated_once_beside_the_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        // `dir` is absolute, so this is SQLAlchemy's four-slash form.
        let url = format!("sqlite:///{}/data/app.db", dir.path().display());
        let first = Settings::from_vars(&vars(&[("DATABASE_URL", &url)])).unwrap();
        let second = Settings::from_vars(&vars(&[("DATABASE_URL", &url)])).unwrap();
        assert_eq!(first.jwt_secret.expose_secret(), second.jwt_secret.expose_secret());
        assert!(first.jwt_secret.expose_secret().len() >= MIN_SECRET_BYTES);
        let file = dir.path().join("data/.jwt_secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(dir.path().join("data/.data_encryption_key").exists());
        assert_eq!(first.data_encryption_key.expose_secret(), second.data_encryption_key.expose_secret());
        assert_ne!(first.data_encryption_key.expose_secret(), first.jwt_secret.expose_secret());
        let debug = format!("{:?}", first.jwt_secret);
        assert!(!debug.contains(first.jwt_secret.expose_secret()), "Debug must not print the secret: {debug}");
        let pg = Settings::from_vars(&vars(&[("DATABASE_URL", "postgres://u@h/db")]));
        assert!(pg.err().unwrap().0.contains("JWT_SECRET"));
        let pg = Settings::from_vars(
            &vars(&[("DATABASE_URL", "postgres://u@h/db"), ("JWT_SECRET", SECRET)])
                .into_iter()
                .filter(|(k, _)| k != "DATA_ENCRYPTION_KEY")
                .collect(),
        );
        assert!(pg.err().unwrap().0.contains("DATA_ENCRYPTION_KEY must be set"));
    }

    #[test]
    fn processes_starting_at_once_on_a_fresh_database_agree_on_one_secret() {
        for _round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:///{}/app.db", dir.path().display());
            let start = std::sync::Barrier::new(8);
            let secrets: Vec<String> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            let settings = Settings::from_vars(&vars(&[("DATABASE_URL", &url)]))
                                .unwrap_or_else(|e| panic!("a process starting at the same time failed: {e}"));
                            settings.jwt_secret.expose_secret().to_string()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(secrets.iter().all(|s| s == &secrets[0]), "every process uses the winner's secret");
            let kept = std::fs::read_to_string(dir.path().join(".jwt_secret")).unwrap();
            assert_eq!(kept, secrets[0]);
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names, [".data_encryption_key", ".jwt_secret"], "no temporary file is left beside the secrets");
        }
    }
}
