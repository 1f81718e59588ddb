//! Passwords: bcrypt `$2b$`, the seed's rule of hashing only the first 72 bytes of the UTF-8 password,
//! so hashes move between the seed and us in both directions.
//!
//! bcrypt is deliberately slow (≈0.25 s at cost 12), so it never runs on the async workers. It runs on a
//! small pool of dedicated threads, one per CPU by default, at a lower scheduling priority: a burst of
//! logins saturates those threads while the request workers keep serving everything else promptly.
//! The pool's queue is bounded; past it a request is told `503` with `Retry-After` at once instead of
//! waiting for seconds (and the server's memory does not grow with the flood).

use std::sync::{
    atomic::{AtomicU64, AtomicUsize, Ordering},
    mpsc, Arc, Mutex,
};

use tokio::sync::{oneshot, OnceCell};

use super::scheme::Scheme;
use crate::error::ApiError;

/// bcrypt reads at most 72 bytes; the seed truncates explicitly (newer Python bcrypt refuses longer).
pub const BCRYPT_MAX_BYTES: usize = 72;

fn truncated(password: &str) -> &[u8] {
    let bytes = password.as_bytes();
    &bytes[..bytes.len().min(BCRYPT_MAX_BYTES)]
}

/// Hash with the seed's rules (synchronous; call through [`Hasher`] on a request path).
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash_with_result(truncated(password), cost).map(|parts| parts.format_for_version(bcrypt::Version::TwoB))
}

/// Verify a stored hash of either kind (bcrypt or Argon2id, see [`Scheme`]); synchronous.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    Scheme::verify(password, hash)
}

/// Verify with the seed's rules. A stored value that is not a bcrypt hash verifies as false.
pub(crate) fn verify_bcrypt(password: &str, hash: &str) -> bool {
    match bcrypt::verify(truncated(password), hash) {
        Ok(ok) => ok,
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash is not a valid bcrypt hash");
            false
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

pub struct Hasher {
    cost: u32,
    /// What new hashes are (`PASSWORD_HASH`); `cost` is its bcrypt cost.
    scheme: Scheme,
    workers: usize,
    /// Jobs queued or running; admission is refused past `workers + queue`.
    in_flight: Arc<AtomicUsize>,
    limit: usize,
    jobs: mpsc::Sender<Job>,
    /// How many bcrypt computations have started: lets tests prove a path did no bcrypt work.
    pub computations: Arc<AtomicU64>,
    /// A hash of a random password, verified against when the email is unknown, so that answer costs
    /// the same time as a wrong password. Made once, off the start-up path.
    dummy: OnceCell<String>,
}

impl Hasher {
    /// `scheme`: a [`Scheme`], or a bare bcrypt cost.
    pub fn new(scheme: impl Into<Scheme>, workers: usize, queue: usize) -> Arc<Hasher> {
        let scheme = scheme.into();
        let cost = match scheme {
            Scheme::Bcrypt { cost } => cost,
            Scheme::Argon2id => 12,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("bcrypt-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the Hasher was dropped
                        }
                    }
                })
                .expect("spawning a bcrypt thread at start-up");
        }
        Arc::new(Hasher {
            cost,
            scheme,
            workers,
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit: workers + queue,
            jobs: tx,
            computations: Arc::new(AtomicU64::new(0)),
            dummy: OnceCell::new(),
        })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Seconds a refused caller should wait: one round of the queue ahead of it.
    fn retry_after(&self) -> u64 {
        let per_hash = self.scheme.seconds_per_hash();
        ((self.limit as f64 / self.workers as f64) * per_hash).ceil().max(1.0) as u64
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::Unavailable { retry_after: Some(self.retry_after()) });
        }
        let (tx, rx) = oneshot::channel();
        let in_flight = self.in_flight.clone();
        let computations = self.computations.clone();
        let job: Job = Box::new(move || {
            computations.fetch_add(1, Ordering::SeqCst);
            let out = f();
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(out);
        });
        if self.jobs.send(job).is_err() {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::internal("bcrypt workers are gone"));
        }
        rx.await.map_err(|_| ApiError::internal("a bcrypt job panicked"))
    }

    /// A new hash of the configured scheme. A new password from a request goes through
    /// [`super::policy::new_password_hash`] (the password rules), not straight here.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let (password, scheme) = (password.to_owned(), self.scheme);
        self.run(move || scheme.hash(&password)).await?.map_err(ApiError::internal)
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether a hash that just verified should be replaced (see [`Scheme::needs_rehash`]).
    pub fn needs_rehash(&self, stored: &str, password: &str) -> bool {
        self.scheme.needs_rehash(stored, password)
    }

    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, ApiError> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.run(move || verify_blocking(&password, &hash)).await
    }

    /// The same work as a wrong password: one verification against a hash of the configured cost.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), ApiError> {
        let dummy = self.dummy_hash().await?;
        self.verify(password, &dummy).await.map(|_| ())
    }

    pub async fn dummy_hash(&self) -> Result<String, ApiError> {
        self.dummy
            .get_or_try_init(|| async {
                let random = uuid::Uuid::new_v4().to_string();
                self.hash(&random).await
            })
            .await
            .cloned()
    }
}

/// Nice +10 for the calling thread only (Linux: PRIO_PROCESS with a thread id is per thread), so the
/// request workers win the CPU whenever both want it.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's own id; failure only means normal priority.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_2b_with_the_configured_cost_and_verify() {
        let h = hash_blocking("correct horse battery", 4).unwrap();
        assert!(h.starts_with("$2b$04$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("Correct horse battery", &h));
    }

    #[test]
    fn only_the_first_72_bytes_count_like_the_seed() {
        let long = "p".repeat(80);
        let h = hash_blocking(&long, 4).unwrap();
        assert!(verify_blocking(&format!("{}{}", "p".repeat(72), "anything"), &h));
        assert!(!verify_blocking(&"p".repeat(71), &h));
        // Multi-byte characters: the cut is by bytes, exactly as `password.encode()[:72]`.
        let emoji = "🔐".repeat(20); // 80 bytes
        let h = hash_blocking(&emoji, 4).unwrap();
        assert!(verify_blocking(&format!("{}{}", "🔐".repeat(18), "x"), &h));
    }

    #[test]
    fn hashes_made_by_the_seed_verify() {
        // From ../shared/seed-db (Python bcrypt, cost 12).
        let seed = "$2b$12$a8cV6Xiu/dYBiWh99VIkBO96yWZgxd8p76yiYxN8Mqe5gaMF9KG.e";
        assert!(verify_blocking("correct horse battery", seed));
        assert!(!verify_blocking("wrong", seed));
        assert!(!verify_blocking("x", "not-a-hash"));
    }

    #[tokio::test]
    async fn a_full_queue_answers_unavailable_at_once() {
        let hasher = Hasher::new(10, 1, 1);
        let a = hasher.hash("one");
        let b = hasher.hash("two");
        let c = hasher.hash("three");
        let (a, b, c) = tokio::join!(a, b, c);
        let refused = [&a, &b, &c].iter().filter(|r| matches!(r, Err(ApiError::Unavailable { .. }))).count();
        assert_eq!(refused, 1, "exactly one of three jobs is over the 1 worker + 1 queued limit");
        assert_eq!(hasher.computations.load(Ordering::SeqCst), 2);
    }
}
