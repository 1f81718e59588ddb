//! From the variables to [`Settings`]: each value read once, checked, and turned into its type.

use std::{collections::HashMap, net::IpAddr, path::PathBuf, str::FromStr, time::Duration};

use jsonwebtoken::Algorithm;

use super::{
    invalid,
    secrets::{check_named_secret, check_secret, local_secret},
    ConfigError, DatabaseUrl, MailSettings, PasswordHash, RateLimits, Secret, Settings, WebauthnSettings, VARIABLES,
};

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
        // Optional where the seed's deployments run (PostgreSQL): without it two-factor set-up is off. SQLite
        // (a fresh clone) gets one generated beside the database file.
        let data_encryption_key = match r.raw("DATA_ENCRYPTION_KEY") {
            Some(key) => {
                check_named_secret("DATA_ENCRYPTION_KEY", &key)?;
                Some(Secret::from(key))
            }
            None if matches!(database, DatabaseUrl::Sqlite(_)) => {
                Some(local_secret(&database, "DATA_ENCRYPTION_KEY", ".data_encryption_key")?.0)
            }
            None => None,
        };
        let data_encryption_previous_keys = r
            .raw("DATA_ENCRYPTION_PREVIOUS_KEYS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| check_named_secret("DATA_ENCRYPTION_PREVIOUS_KEYS", k).map(|()| Secret::from(k.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        if data_encryption_key.is_none() && !data_encryption_previous_keys.is_empty() {
            return Err(ConfigError(
                "DATA_ENCRYPTION_PREVIOUS_KEYS is set but DATA_ENCRYPTION_KEY is not: set the current key too".into(),
            ));
        }
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
        let mail = mail_settings(&r, &database)?;
        let oidc_providers = super::oidc::providers(vars, &mail.web_url)?;
        let webauthn = webauthn_settings(&r, &mail)?;
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
            host: r.parse("API_HOST")?,
            port: r.parse("API_PORT")?,
            bcrypt_cost: r.ranged("BCRYPT_COST", 4, 31)?,
            password_hash: {
                let raw = r.raw("PASSWORD_HASH").unwrap_or_default();
                match raw.to_ascii_lowercase().as_str() {
                    "bcrypt" => PasswordHash::Bcrypt,
                    "argon2id" => PasswordHash::Argon2id,
                    _ => return Err(invalid("PASSWORD_HASH", &raw, "must be bcrypt or argon2id")),
                }
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
                oidc_starts_per_client: r.parse("OIDC_STARTS_PER_CLIENT")?,
                email_code_failures_per_email: r.parse("EMAIL_CODE_FAILURES_PER_EMAIL")?,
                passkey_starts_per_client: r.parse("PASSKEY_STARTS_PER_CLIENT")?,
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
            activity_retention: Duration::from_secs(24 * 3600 * r.ranged::<u64>("ACTIVITY_RETENTION_DAYS", 1, 3650)?),
            mail,
            oidc_providers,
            webauthn,
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
            smtp_transport_url(&url)
                .and_then(|u| {
                    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&u).map_err(|e| e.to_string())
                })
                .map_err(|e| ConfigError(format!("invalid SMTP_URL: {e}")))?;
            Some(Secret::from(url))
        }
    };
    let from_raw = r.raw("MAIL_FROM").unwrap_or_default();
    let from = from_raw.parse().map_err(|e| invalid("MAIL_FROM", &from_raw, e))?;
    let (web_url, web_origins) = web_urls(&r.raw("WEB_URL").unwrap_or_default())?;
    let folder = match database {
        DatabaseUrl::Sqlite(path) => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() && path.as_os_str() != ":memory:" => p.join("mail"),
            _ => PathBuf::from("mail"),
        },
        DatabaseUrl::Postgres(_) => std::env::temp_dir().join("todo-auth-mail"),
    };
    Ok(MailSettings {
        smtp_url,
        from,
        web_url,
        web_origins,
        reset_ttl: Duration::from_secs(60 * r.ranged::<u64>("PASSWORD_RESET_TTL_MINUTES", 1, 24 * 60)?),
        verification_ttl: Duration::from_secs(3600 * r.ranged::<u64>("EMAIL_VERIFICATION_TTL_HOURS", 1, 24 * 30)?),
        require_verified_email: r.parse("REQUIRE_VERIFIED_EMAIL")?,
        retention: Duration::from_secs(3600 * r.ranged::<u64>("MAIL_RETENTION_HOURS", 1, 24 * 366)?),
        folder,
    })
}

/// `WEBAUTHN_*`: the relying party id (default: the host of WEB_URL's first entry), the origins allowed to run
/// ceremonies (default: WEB_URL's) — each the RP id or a subdomain of it, https unless on localhost — and
/// the name browsers show.
fn webauthn_settings(r: &Reader<'_>, mail: &MailSettings) -> Result<WebauthnSettings, ConfigError> {
    let rp_id = match r.raw("WEBAUTHN_RP_ID") {
        Some(raw) => raw.trim_end_matches('.').to_ascii_lowercase(),
        None => origin_host(mail.web_origins.first().map_or("http://localhost", String::as_str)).to_string(),
    };
    if rp_id.is_empty() || rp_id.contains(['/', ':', '@', ' ', '?', '#']) {
        return Err(invalid("WEBAUTHN_RP_ID", &rp_id, "must be a domain name, e.g. example.com"));
    }
    let fits = |origin: &str| {
        let host = origin_host(origin);
        let local = host == "localhost" || host.ends_with(".localhost");
        (host == rp_id || host.ends_with(&format!(".{rp_id}"))) && (origin.starts_with("https://") || local)
    };
    let origins = match r.raw("WEBAUTHN_ORIGINS") {
        Some(raw) => {
            let (_, origins) = web_urls(&raw).map_err(|e| ConfigError(e.0.replace("WEB_URL", "WEBAUTHN_ORIGINS")))?;
            if let Some(bad) = origins.iter().find(|o| !fits(o)) {
                return Err(invalid(
                    "WEBAUTHN_ORIGINS",
                    bad,
                    format!(
                        "must be https:// (or on localhost) and name {rp_id} (WEBAUTHN_RP_ID) or a subdomain of it"
                    ),
                ));
            }
            origins
        }
        // WEB_URL's origins that can hold passkeys of this RP id (a browser refuses the others anyway).
        None => mail.web_origins.iter().filter(|o| fits(o)).cloned().collect(),
    };
    let rp_name = r.raw("WEBAUTHN_RP_NAME").unwrap_or_else(|| "Todo".to_string());
    Ok(WebauthnSettings { rp_id, rp_name, origins })
}

/// The host of an origin as `web_urls` writes it (`scheme://host[:port]`; an IPv6 host keeps its brackets).
fn origin_host(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if rest.starts_with('[') {
        return rest.split_inclusive(']').next().unwrap_or(rest);
    }
    rest.split(':').next().unwrap_or(rest)
}

/// `WEB_URL`: one base URL or a comma list of them (the web app served under several origins). The first is
/// what mailed links start with (without a trailing slash); the origins of all of them are the web app's.
fn web_urls(raw: &str) -> Result<(String, Vec<String>), ConfigError> {
    let mut first = None;
    let mut origins = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let uri = axum::http::Uri::try_from(entry).map_err(|e| invalid("WEB_URL", entry, e))?;
        let (Some(scheme @ ("http" | "https")), Some(authority), None) =
            (uri.scheme_str(), uri.authority(), uri.query())
        else {
            return Err(invalid("WEB_URL", entry, "must be an http:// or https:// base URL without a query"));
        };
        if uri.host().is_none_or(str::is_empty) || authority.as_str().contains('@') {
            return Err(invalid("WEB_URL", entry, "must name a host (and no user)"));
        }
        // As a browser serializes an origin: lower-case host, the scheme's default port left out.
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let origin = match uri.port_u16().filter(|&p| !matches!((scheme, p), ("http", 80) | ("https", 443))) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        if !origins.contains(&origin) {
            origins.push(origin);
        }
        first.get_or_insert_with(|| entry.trim_end_matches('/').to_string());
    }
    let first = first.ok_or_else(|| invalid("WEB_URL", raw, "must name at least one URL"))?;
    Ok((first, origins))
}

/// `SMTP_URL` as lettre reads it. The contract's `smtp://host:port` means STARTTLS when the server offers it;
/// lettre reads a bare `smtp://` as plain text, so `tls=opportunistic` is added unless the URL says otherwise.
pub fn smtp_transport_url(url: &str) -> Result<String, String> {
    let (scheme, _) = url.split_once("://").ok_or("expected smtp://host:port or smtps://host:port")?;
    if scheme == "smtp" && !url.contains("tls=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{sep}tls=opportunistic"));
    }
    Ok(url.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{vars, SECRET};

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
    fn the_passkeys_relying_party_follows_web_url_unless_set() {
        let s = Settings::from_vars(&vars(&[("JWT_SECRET", SECRET)])).unwrap();
        assert_eq!(s.webauthn.rp_id, "localhost");
        assert_eq!(s.webauthn.origins, ["http://localhost:3000"]);
        assert_eq!(s.webauthn.rp_name, "Todo");
        let s = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("WEB_URL", "https://App.Example.com, http://127.0.0.1:3000, http://localhost:3000"),
        ]))
        .unwrap();
        assert_eq!(s.webauthn.rp_id, "app.example.com");
        assert_eq!(s.webauthn.origins, ["https://app.example.com"], "origins of another host are left out");
        let s = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("WEB_URL", "https://app.example.com"),
            ("WEBAUTHN_RP_ID", "example.com"),
            ("WEBAUTHN_ORIGINS", "https://app.example.com,https://example.com:8443"),
            ("WEBAUTHN_RP_NAME", "Acme"),
        ]))
        .unwrap();
        assert_eq!(s.webauthn.rp_id, "example.com");
        assert_eq!(s.webauthn.origins, ["https://app.example.com", "https://example.com:8443"]);
        assert_eq!(s.webauthn.rp_name, "Acme");
        for (rp, origins) in [
            ("example.com", "https://evil.test"),
            ("example.com", "http://app.example.com"),
            ("example.com", "https://notexample.com"),
            ("https://example.com", "https://example.com"),
        ] {
            let err = Settings::from_vars(&vars(&[
                ("JWT_SECRET", SECRET),
                ("WEBAUTHN_RP_ID", rp),
                ("WEBAUTHN_ORIGINS", origins),
            ]))
            .err();
            assert!(err.is_some_and(|e| e.0.contains("WEBAUTHN_")), "{rp} {origins} was accepted");
        }
    }

    #[test]
    fn web_url_may_list_several_origins_and_links_use_the_first() {
        let s = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("WEB_URL", "https://App.Example.com/, http://localhost:3000"),
        ]))
        .unwrap();
        assert_eq!(s.mail.web_url, "https://App.Example.com");
        assert_eq!(s.mail.web_origins, ["https://app.example.com", "http://localhost:3000"]);
        let ports = Settings::from_vars(&vars(&[
            ("JWT_SECRET", SECRET),
            ("WEB_URL", "http://localhost:3100/app/, http://WWW.Example.test:80, https://x.test:443"),
        ]))
        .unwrap();
        assert_eq!(ports.mail.web_url, "http://localhost:3100/app");
        assert_eq!(ports.mail.web_origins, ["http://localhost:3100", "http://www.example.test", "https://x.test"]);
        for bad in ["localhost:3000", "ftp://x", "https://x/?q=1", ",", "https://u@x"] {
            let err = Settings::from_vars(&vars(&[("JWT_SECRET", SECRET), ("WEB_URL", bad)])).err();
            assert!(err.is_some_and(|e| e.0.contains("WEB_URL")), "{bad:?} was accepted");
        }
    }

    #[test]
    fn smtp_urls_mean_starttls_when_offered_unless_told() {
        assert_eq!(smtp_transport_url("smtp://h:25").unwrap(), "smtp://h:25?tls=opportunistic");
        assert_eq!(smtp_transport_url("smtp://u:p@h:587?tls=required").unwrap(), "smtp://u:p@h:587?tls=required");
        assert_eq!(smtp_transport_url("smtps://h:465").unwrap(), "smtps://h:465");
        assert!(smtp_transport_url("h:25").is_err());
    }
}
