//! A real OpenID provider for the tests: `scripts/oidc-provider` (panva's `oidc-provider`, OpenID Certified),
//! installed with `npm ci` from its pinned lock file when missing, started per test on a free loopback port,
//! killed when dropped. Never a mock: negative cases are made by the real provider (a tampered authorization
//! request, a client registered for HS256, a cancelled login, the process stopped) or by its test-control
//! endpoint, which rewrites the ID token it has just issued for one code ([`OidcProvider::misbehave`]).
//!
//! And a [`Browser`]: a cookie jar that walks the API's start, the provider's login page and the API's
//! callback as a person's browser would, without following redirects (each hop is checked).

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use reqwest::{header::LOCATION, StatusCode};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use super::TestApp;

/// What the API's `WEB_URL` is in these tests: the redirect URI registered at the provider starts with it.
/// Nothing listens there; [`Browser::callback`] delivers the provider's redirect back to the API under test.
pub const OIDC_WEB_URL: &str = "http://127.0.0.1:18699";
pub const CLIENT_SECRET: &str = "oidc-test-client-secret-0123456789";

fn provider_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/oidc-provider"))
}

/// Installs the provider's packages once per test run (`npm ci`, from the committed lock file).
fn installed() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    INSTALLED
        .get_or_init(|| {
            let dir = provider_dir();
            if dir.join("node_modules/oidc-provider/package.json").exists() {
                return Ok(());
            }
            let out = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .output()
                .map_err(|e| format!("npm: {e}"))?;
            if !out.status.success() {
                return Err(format!("npm ci in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr)));
            }
            Ok(())
        })
        .clone()
}

/// The clients every test provider knows. `web` is the API's; `web-hs256` asks the provider to sign its ID
/// tokens HS256 with the client secret.
fn clients(provider_ids: &[&str]) -> Value {
    let redirects: Vec<String> =
        provider_ids.iter().map(|id| format!("{OIDC_WEB_URL}/api/auth/oidc/{id}/callback")).collect();
    json!([
        { "client_id": "web", "client_secret": CLIENT_SECRET, "redirect_uris": redirects },
        { "client_id": "web-hs256", "client_secret": CLIENT_SECRET, "redirect_uris": redirects,
          "id_token_signed_response_alg": "HS256" },
    ])
}

pub struct OidcProvider {
    child: Option<Child>,
    pub issuer: String,
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl OidcProvider {
    /// A provider whose clients accept the callbacks of the API's `provider_ids`. `None` (after saying so)
    /// where Node or the registry is missing locally; under `CI` that fails the test instead.
    pub async fn start(provider_ids: &[&str]) -> Option<OidcProvider> {
        if let Err(e) = installed() {
            if std::env::var_os("CI").is_some() {
                panic!("the test OpenID provider is required under CI: {e}");
            }
            eprintln!("SKIPPED: the test OpenID provider cannot be installed ({e}); set CI=1 to make this fatal");
            super::record_skip();
            return None;
        }
        let env = vec![
            ("OP_CLIENTS".to_string(), clients(provider_ids).to_string()),
            ("OP_TEST_CONTROL".to_string(), "1".to_string()),
        ];
        let log = std::env::temp_dir().join(format!("oidc-test-provider-{}.log", uuid::Uuid::new_v4().simple()));
        let mut provider = OidcProvider { child: None, issuer: String::new(), port: 0, env, log };
        provider.spawn(0).await;
        Some(provider)
    }

    async fn spawn(&mut self, port: u16) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let mut child = Command::new("node")
            .arg(provider_dir().join("provider.mjs"))
            .args(["--port", &port.to_string()])
            .envs(self.env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("node starts the test OpenID provider");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("READY ") {
                    return serde_json::from_str::<Value>(rest).unwrap();
                }
            }
            panic!("the test OpenID provider exited: {}", std::fs::read_to_string(&self.log).unwrap_or_default())
        })
        .await
        .expect("the test OpenID provider is ready within 20 s");
        self.issuer = ready["issuer"].as_str().unwrap().to_string();
        self.port = u16::try_from(ready["port"].as_u64().unwrap()).unwrap();
        self.child = Some(child);
    }

    /// Stops the process: the provider is down (its port refuses connections).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Stops it and starts it again on the same port: the same issuer with a new signing key (a key
    /// rotation), its sessions and codes gone.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn(self.port).await;
    }

    /// The API's variables for this provider as `id` (client `client_id`).
    pub fn api_vars(&self, id: &str, client_id: &str, name: &str) -> Vec<(String, String)> {
        let up = id.to_ascii_uppercase();
        vec![
            (format!("OIDC_{up}_ISSUER"), self.issuer.clone()),
            (format!("OIDC_{up}_CLIENT_ID"), client_id.to_string()),
            (format!("OIDC_{up}_CLIENT_SECRET"), CLIENT_SECRET.to_string()),
            (format!("OIDC_{up}_NAME"), name.to_string()),
        ]
    }

    /// Makes the provider rewrite the ID token it issues for `code` (see scripts/oidc-provider/README.md).
    pub async fn misbehave(&self, mode: &str, code: &str) {
        let res = reqwest::Client::new()
            .post(format!("{}/__test/misbehave", self.issuer))
            .json(&json!({ "mode": mode, "code": code }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    }

    /// How many requests the provider has logged whose line contains `needle` (e.g. `GET /jwks`).
    pub fn requests(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().matches(needle).count()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The API under test with `providers` configured: `(id, provider, client_id)`, plus `overrides`.
pub async fn oidc_app(
    kind: super::Kind,
    providers: &[(&str, &OidcProvider, &str)],
    overrides: &[(&str, &str)],
) -> TestApp {
    let ids: Vec<&str> = providers.iter().map(|(id, _, _)| *id).collect();
    let list = ids.join(",");
    let mut vars: Vec<(String, String)> =
        vec![("OIDC_PROVIDERS".into(), list), ("WEB_URL".into(), OIDC_WEB_URL.into())];
    for (id, provider, client) in providers {
        vars.extend(provider.api_vars(id, client, &format!("Provider {id}")));
    }
    vars.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::start_with(kind, &borrowed).await
}

/// Where a provider-flow answer sends the browser: the status must be 303.
pub fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", res.headers());
    res.headers().get(LOCATION).expect("a Location").to_str().unwrap().to_string()
}

/// The value of the cookie `name` a response sets, if it sets it.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (n, value) = pair.split_once('=')?;
        (n.trim() == name).then(|| value.trim().to_string())
    })
}

/// The whole `Set-Cookie` line of the cookie `name`.
pub fn set_cookie_line(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

/// `url` with the query parameter `name` set to `value` (or removed).
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && p.split('=').next() != Some(name)).map(str::to_string).collect();
    if let Some(v) = value {
        pairs.push(format!("{name}={}", percent_encode(v)));
    }
    format!("{base}?{}", pairs.join("&"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A browser: one cookie jar for the API and the provider (both on 127.0.0.1; cookies do not tell ports
/// apart, and their names differ), redirects not followed.
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Mozilla/5.0 (X11; Linux x86_64) OIDC-test-browser")
            .build()
            .unwrap();
        Browser { http }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// "Continue with <name>": the API's start, which must send the browser to the provider.
    pub async fn start(&self, app: &TestApp, provider_id: &str, next: Option<&str>) -> String {
        let path = match next {
            Some(n) => format!("/api/auth/oidc/{provider_id}/start?next={}", percent_encode(n)),
            None => format!("/api/auth/oidc/{provider_id}/start"),
        };
        let res = self.get(&app.url(&path)).await;
        let to = location(&res);
        assert!(to.starts_with("http://127.0.0.1:"), "to the provider, not {to}");
        to
    }

    /// "Link <name>" on /account: the signed-in start, answering the provider's URL.
    pub async fn start_link(&self, app: &TestApp, provider_id: &str, token: &str) -> String {
        let res = self
            .http
            .post(app.url(&format!("/api/auth/oidc/{provider_id}/link")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, body) = super::parts(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["authorization_url"].as_str().unwrap().to_string()
    }

    /// Follows the provider's redirects from `url` until one leaves the provider (the redirect back) or a page
    /// is shown: (the URL, the page if one was shown).
    async fn follow(&self, mut url: String, issuer: &str) -> (String, Option<String>) {
        for _ in 0..10 {
            if !url.starts_with(issuer) {
                return (url, None);
            }
            let res = self.get(&url).await;
            match res.headers().get(LOCATION) {
                Some(to) => url = absolute(issuer, to.to_str().unwrap()),
                None => return (url, Some(res.text().await.unwrap())),
            }
        }
        panic!("a redirect loop at the provider");
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)], issuer: &str) -> (String, Option<String>) {
        let res = self.http.post(url).form(form).send().await.unwrap();
        match res.headers().get(LOCATION) {
            Some(to) => self.follow(absolute(issuer, to.to_str().unwrap()), issuer).await,
            None => (url.to_string(), Some(res.text().await.unwrap())),
        }
    }

    /// At the provider: its login page, `login` and `<login>-pass` typed in; returns the redirect back to the
    /// API (not yet delivered). A browser already signed in at the provider goes straight back.
    pub async fn sign_in_at_provider(&self, authorization_url: &str, issuer: &str, login: &str) -> String {
        let (url, page) = self.follow(authorization_url.to_string(), issuer).await;
        let Some(page) = page else { return url };
        let action = form_action(&page, "/login");
        let password = format!("{login}-pass");
        let (url, page) =
            self.post_form(&absolute(issuer, &action), &[("login", login), ("password", &password)], issuer).await;
        assert!(page.is_none(), "expected the redirect back, got a page at {url}: {page:?}");
        url
    }

    /// At the provider: "Cancel" on its login page.
    pub async fn cancel_at_provider(&self, authorization_url: &str, issuer: &str) -> String {
        let (_, page) = self.follow(authorization_url.to_string(), issuer).await;
        let action = form_action(&page.expect("the login page"), "/abort");
        let (url, page) = self.post_form(&absolute(issuer, &action), &[], issuer).await;
        assert!(page.is_none());
        url
    }

    /// Delivers the provider's redirect back (to `WEB_URL`'s callback) to the API under test.
    pub async fn callback(&self, app: &TestApp, redirect_back: &str) -> reqwest::Response {
        let path =
            redirect_back.strip_prefix(OIDC_WEB_URL).unwrap_or_else(|| panic!("not our callback: {redirect_back}"));
        self.get(&app.url(path)).await
    }

    /// Start, sign in at the provider as `login`, return the redirect back (not yet delivered).
    pub async fn to_callback(&self, app: &TestApp, provider: &OidcProvider, id: &str, login: &str) -> String {
        let authorization = self.start(app, id, None).await;
        self.sign_in_at_provider(&authorization, &provider.issuer, login).await
    }
}

fn absolute(issuer: &str, to: &str) -> String {
    if to.starts_with('/') {
        format!("{issuer}{to}")
    } else {
        to.to_string()
    }
}

fn form_action(page: &str, ends_with: &str) -> String {
    page.split("action=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|a| a.ends_with(ends_with))
        .unwrap_or_else(|| panic!("no form ending in {ends_with} in the page:\n{page}"))
        .to_string()
}
