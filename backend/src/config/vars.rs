//! Every variable the API reads, with its default and what it does: the one table `--help` prints and the
//! README mirrors (a test holds the two together).

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
    Variable { name: "DATA_ENCRYPTION_KEY", default: "", help: "key that encrypts two-factor secrets at rest, at least 32 bytes. Unset with SQLite: a random one is generated once and kept beside the database file (.data_encryption_key). Unset with PostgreSQL: the API starts, two-factor set-up answers 503, and users who already have two-factor sign in with a recovery code" },
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
    Variable { name: "WEB_URL", default: "http://localhost:3000", help: "the web app's public base URL, or a comma list of them: links in mail are {first entry}/<page>?token=… (never built from a request's Host); every entry's origin may make cookie-authenticated changes (the browser's session cookie, see http/web_session.rs), and https:// in any entry makes that cookie Secure and __Host- named" },
    Variable { name: "PASSWORD_RESET_TTL_MINUTES", default: "60", help: "how long a password reset link works" },
    Variable { name: "EMAIL_VERIFICATION_TTL_HOURS", default: "48", help: "how long an email verification (or email change) link works" },
    Variable { name: "REQUIRE_VERIFIED_EMAIL", default: "false", help: "true: an unverified user's login answers 403" },
    Variable { name: "MAIL_RETENTION_HOURS", default: "168", help: "outbox rows (sent or not) older than this are deleted" },
    Variable { name: "MAIL_REQUESTS_PER_EMAIL", default: "5", help: "mail-sending requests per address per window before 429: forgot-password per (address, client) and 4x this per address from all clients, resend-verification and change-email per account, change-email per target address, one-time email codes per (address, client) and 4x this per address; 0 = no limit" },
    Variable { name: "MAIL_REQUESTS_PER_CLIENT", default: "20", help: "forgot-password requests per client per window before 429, and (counted apart) one-time email code requests per client; 0 = no limit" },
    Variable { name: "EMAIL_CODE_FAILURES_PER_EMAIL", default: "10", help: "wrong one-time email codes per address (from all clients) per window before POST /api/auth/email-code/verify answers 429; each code also dies after 5 wrong guesses; 0 = no limit" },
    Variable { name: "OIDC_PROVIDERS", default: "", help: "comma list of OpenID Connect provider ids (lowercase letters and digits), e.g. google,corp: each gets a \"Continue with <name>\" button and the redirect URI {WEB_URL}/api/auth/oidc/<id>/callback (WEB_URL's first entry) to register at the provider" },
    Variable { name: "OIDC_<ID>_ISSUER", default: "", help: "the provider's issuer URL, exactly as its /.well-known/openid-configuration writes it (e.g. https://accounts.google.com); https, or http on a loopback host. Read on first use, so the API starts while the provider is down" },
    Variable { name: "OIDC_<ID>_CLIENT_ID", default: "", help: "the client id registered at the provider (required for each listed provider)" },
    Variable { name: "OIDC_<ID>_CLIENT_SECRET", default: "", help: "the client secret registered at the provider (required; sent with client_secret_basic, or client_secret_post when the provider offers only that)" },
    Variable { name: "OIDC_<ID>_NAME", default: "", help: "what the button says after \"Continue with \" (default: the id)" },
    Variable { name: "OIDC_<ID>_SCOPES", default: "openid email profile", help: "scopes asked for, space or comma separated (openid is always added)" },
    Variable { name: "OIDC_STARTS_PER_CLIENT", default: "60", help: "provider sign-ins and links started per client per window before the next one ends on /login with \"too many attempts\" (each keeps a pending flow for 10 minutes); 0 = no limit" },
    Variable { name: "WEBAUTHN_RP_ID", default: "", help: "the passkeys' relying party id: the registrable domain the web app is served under (e.g. example.com for https://app.example.com). Default: the host of WEB_URL's first entry. A passkey works only for this domain and its subdomains; changing it later strands every registered passkey" },
    Variable { name: "WEBAUTHN_ORIGINS", default: "", help: "comma list of the origins (scheme://host[:port]) whose pages may run passkey ceremonies; each host must be the RP id or a subdomain of it, https except on localhost. Default: WEB_URL's origins" },
    Variable { name: "WEBAUTHN_RP_NAME", default: "Todo", help: "the name the browser's passkey dialogs show for this site" },
    Variable { name: "PASSKEY_STARTS_PER_CLIENT", default: "300", help: "passkey sign-ins started per client per window (each keeps a pending challenge for 5 minutes) before 429; 0 = no limit" },
    Variable { name: "ACTIVITY_RETENTION_DAYS", default: "365", help: "how long an account's history (sign-ins, failed sign-ins, changes; GET /api/auth/activity) is kept, in days (1..=3650); older events are purged every minute" },
];

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
