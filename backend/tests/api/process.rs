//! The real binary as a child process, for what an in-process server cannot show: `kill -9`, and the
//! resident memory of the process serving a flood.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use crate::helpers::{retry_after, DATA_KEY, SECRET};

const BIN: &str = env!("CARGO_BIN_EXE_todo-auth-api");

pub struct ApiProcess {
    child: Child,
    pub base: String,
    /// Every line the process printed so far is kept: start-up problems are reported in a failure message.
    log: mpsc::Receiver<String>,
    pub early_log: Vec<String>,
}

impl ApiProcess {
    /// Starts the binary on `database_url` with the tests' secret, cheap bcrypt, no rate limits, port 0
    /// (the address comes from its start-up line), and `overrides` on top.
    pub fn start(database_url: &str, overrides: &[(&str, &str)]) -> ApiProcess {
        let mut vars: Vec<(String, String)> = [
            ("DATABASE_URL", database_url),
            ("JWT_SECRET", SECRET),
            ("DATA_ENCRYPTION_KEY", DATA_KEY),
            ("BCRYPT_COST", "4"),
            ("API_HOST", "127.0.0.1"),
            ("API_PORT", "0"),
            // Only start-up lines and warnings: a line per request would only fill the pipe.
            ("RUST_LOG", "warn,todo_auth_api=info"),
            ("REGISTRATIONS_PER_CLIENT", "0"),
            ("LOGIN_FAILURES_PER_CLIENT", "0"),
            ("LOGIN_FAILURES_PER_EMAIL_CLIENT", "0"),
            ("LOGINS_PER_EMAIL", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            vars.retain(|(name, _)| name != k);
            vars.push((k.to_string(), v.to_string()));
        }
        Self::start_in(&std::env::temp_dir(), &vars)
    }

    /// Starts the binary in `dir` with exactly `vars` as its environment (and PATH): nothing inherited,
    /// no defaults of ours, as a fresh checkout would run it.
    pub fn start_in<K: AsRef<str>, V: AsRef<str>>(dir: &std::path::Path, vars: &[(K, V)]) -> ApiProcess {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.envs(vars.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn the API binary");
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut early = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let addr = line
                    .split("listening on http://")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .map(String::from);
                early.push(line);
                if let Some(addr) = addr {
                    return ApiProcess { child, base: format!("http://{addr}"), log: rx, early_log: early };
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the API exited ({status}) before listening:\n{}", early.join("\n"));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the API did not announce its address:\n{}", early.join("\n"));
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Registers a user through the process's API and returns the access token. A `503` (hashing pool or
    /// database pool busy, which a machine running every test at once can cause) is retried after its
    /// `Retry-After`, as a client would: these tests are about the process, not about shedding load.
    pub async fn signup(&self, client: &reqwest::Client, email: &str, password: &str) -> String {
        for _ in 0..5 {
            let res = client
                .post(self.url("/api/auth/register"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .expect("register");
            let status = res.status();
            if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                tokio::time::sleep(Duration::from_secs(retry_after(&res).min(5))).await;
                continue;
            }
            let body: serde_json::Value = res.json().await.expect("a JSON body");
            assert_eq!(status, reqwest::StatusCode::CREATED, "register {email}: {body}");
            return body["access_token"].as_str().expect("access_token").to_string();
        }
        panic!("register {email}: 503 five times");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Resident memory in KiB (`VmRSS` of /proc/<pid>/status).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    /// SIGTERM, then the exit status (panics if the process is still there after 10 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: signalling a child process we own.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the API") {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no exit 10 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no shutdown code of ours runs, exactly as a crash or the OOM killer.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// Everything the process printed so far.
    pub fn log(&self) -> Vec<String> {
        self.early_log.iter().cloned().chain(self.log.try_iter()).collect()
    }

    /// Everything the process printed, to the end of its output: call it once the process has exited, and
    /// it returns when both pipes have been read to their end (not after a guessed pause).
    pub fn log_to_end(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lines = self.early_log.clone();
        loop {
            match self.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => lines.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return lines,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the API's output did not end within 10 s"),
            }
        }
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// p50, p99 and max of a set of latencies, for reports.
pub fn percentiles(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    format!(
        "n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3
    )
}
