//! The hashing pool: every password hash and verification of a request runs here, never on the async workers.
//!
//! bcrypt (≈0.25 s at cost 12) and Argon2id are deliberately slow. They run on a small pool of dedicated
//! threads, one per CPU by default, at a lower scheduling priority: a burst of sign-ins saturates those threads
//! while the request workers keep serving everything else promptly. The pool's places are a semaphore; past
//! them a request is told `503` with `Retry-After` at once instead of waiting for seconds (and the server's
//! memory does not grow with the flood). The hashes themselves are [`super::scheme`]'s.

use std::{
    collections::HashMap,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc, Arc, Mutex,
    },
};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use super::scheme::Scheme;
use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// One admitted place in the hashing pool ([`Hasher::admit`]); given back when the job it is spent on
/// ends, or when it is dropped unspent (a flow refused by its throttle after admission).
#[must_use = "a permit holds a place in the hashing pool"]
pub struct Permit {
    _place: OwnedSemaphorePermit,
}

/// How long a successful sign-in keeps its (account, client) in the reserved share, and how many such
/// pairs one process remembers.
const RECENT_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
const RECENT_MAX: usize = 100_000;

pub struct Hasher {
    cost: u32,
    /// What new hashes are (`PASSWORD_HASH`); `cost` is its bcrypt cost.
    scheme: Scheme,
    /// The pool's places (`workers + queue`, running or queued), in two shares: `open` to every caller,
    /// and `held_back` (a quarter) only for a client that recently signed in to the account it is
    /// signing in to. Admission is `try_acquire`: a full share refuses at once, nothing waits.
    open: Arc<Semaphore>,
    held_back: Arc<Semaphore>,
    recent: Mutex<HashMap<String, std::time::Instant>>,
    workers: usize,
    limit: usize,
    jobs: mpsc::Sender<Job>,
    /// How many hash computations have started: lets tests prove a path did no hashing work.
    pub computations: Arc<AtomicU64>,
    /// Hashes of random passwords by kind (bcrypt at a cost, or Argon2id), verified against when the email
    /// is unknown, so that answer costs the same time as a wrong password. Made off the start-up path.
    dummies: Arc<Mutex<HashMap<Scheme, String>>>,
    dummy_scheme: Mutex<Scheme>,
    /// How long one verification of each kind of hash takes on this machine (a moving average, in seconds):
    /// every kind a verification met, or [`Hasher::calibrate`] was asked about. The slowest is the floor of a
    /// refusal ([`Hasher::refusal_floor`]).
    timings: Arc<Mutex<HashMap<Scheme, f64>>>,
}

/// Weight of a new measurement in a kind's moving average.
const TIMING_WEIGHT: f64 = 0.2;

fn record_timing(timings: &Mutex<HashMap<Scheme, f64>>, scheme: Scheme, seconds: f64) {
    if let Ok(mut t) = timings.lock() {
        t.entry(scheme).and_modify(|avg| *avg += TIMING_WEIGHT * (seconds - *avg)).or_insert(seconds);
    }
}

/// Verifies `password` against `hash` and records how long a verification of the hash's kind took.
fn timed_verify(timings: &Mutex<HashMap<Scheme, f64>>, password: &str, hash: &str) -> bool {
    let started = std::time::Instant::now();
    let ok = Scheme::verify(password, hash);
    if let Some(scheme) = Scheme::of_stored(hash) {
        record_timing(timings, scheme, started.elapsed().as_secs_f64());
    }
    ok
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
                .name(format!("hash-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A job that panics loses only itself (its caller gets a 500); the thread
                            // goes on serving the queue.
                            Ok(job) => {
                                let _ = catch_unwind(AssertUnwindSafe(job));
                            }
                            Err(_) => return, // the Hasher was dropped
                        }
                    }
                })
                .expect("spawning a hashing thread at start-up");
        }
        let limit = workers + queue;
        // A quarter of the pool (at least one place, and never all of it).
        let held_back = (limit / 4).max(1).min(limit.saturating_sub(1));
        Arc::new(Hasher {
            cost,
            scheme,
            open: Arc::new(Semaphore::new(limit - held_back)),
            held_back: Arc::new(Semaphore::new(held_back)),
            recent: Mutex::new(HashMap::new()),
            workers,
            limit,
            jobs: tx,
            computations: Arc::new(AtomicU64::new(0)),
            dummies: Arc::new(Mutex::new(HashMap::new())),
            dummy_scheme: Mutex::new(scheme),
            timings: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// (running, waiting) hashing jobs right now, for the metrics.
    pub fn load(&self) -> (usize, usize) {
        let in_flight = self.in_flight();
        (in_flight.min(self.workers), in_flight.saturating_sub(self.workers))
    }

    /// Places taken (jobs running or queued, and permits not yet spent).
    fn in_flight(&self) -> usize {
        self.limit - self.open.available_permits() - self.held_back.available_permits()
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Seconds a refused caller should wait: one round of the queue ahead of it.
    fn retry_after(&self) -> u64 {
        let per_hash = self.scheme.seconds_per_hash();
        ((self.limit as f64 / self.workers as f64) * per_hash).ceil().max(1.0) as u64
    }

    /// A place in the pool (running or queued), or 503 with `Retry-After` at once when it is full.
    /// Taken *before* a flow writes anything (its throttle reservation included), so a flood beyond the
    /// hashing capacity is refused at the cost of an atomic counter, with no database work.
    pub fn admit(&self) -> Result<Permit, ApiError> {
        self.admit_from(&[&self.open])
    }

    /// [`Hasher::admit`] for a sign-in: the client that last signed in to this account successfully
    /// (see [`Hasher::remember`]) may also use the share of the pool held back from everyone else, so
    /// its owner still gets in while a flood of unknown clients fills the rest.
    pub fn admit_for(&self, account_client: &str) -> Result<Permit, ApiError> {
        let known = self.recent.lock().ok().and_then(|r| r.get(account_client).copied());
        if known.is_some_and(|at| at.elapsed() < RECENT_FOR) {
            self.admit_from(&[&self.open, &self.held_back])
        } else {
            self.admit_from(&[&self.open])
        }
    }

    /// Notes a successful sign-in of `account_client` (kept in this process for [`RECENT_FOR`]).
    pub fn remember(&self, account_client: &str) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= RECENT_MAX {
                recent.retain(|_, at| at.elapsed() < RECENT_FOR);
                if recent.len() >= RECENT_MAX {
                    recent.clear();
                }
            }
            recent.insert(account_client.to_owned(), std::time::Instant::now());
        }
    }

    /// A place from the first of `shares` that has one, or 503 with `Retry-After`.
    fn admit_from(&self, shares: &[&Arc<Semaphore>]) -> Result<Permit, ApiError> {
        match shares.iter().find_map(|share| Arc::clone(share).try_acquire_owned().ok()) {
            Some(place) => Ok(Permit { _place: place }),
            None => {
                metrics::counter!("password_hash_shed_total").increment(1);
                Err(ApiError::Unavailable { retry_after: Some(self.retry_after()) })
            }
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        permit: Permit,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = oneshot::channel();
        let computations = self.computations.clone();
        let job: Job = Box::new(move || {
            // The place is given back before the caller is woken (by the send, or by `tx` dropped when `f`
            // panics: locals drop in reverse order, so `permit` goes first), so a caller that goes on at once
            // finds it free. (Captures alone drop in no promised order, and `tx.send(f())` would move `tx`
            // into the call before running `f`.)
            let tx = tx;
            let permit = permit;
            computations.fetch_add(1, Ordering::SeqCst);
            let out = f();
            drop(permit);
            let _ = tx.send(out);
        });
        if self.jobs.send(job).is_err() {
            return Err(ApiError::internal("the hashing threads are gone"));
        }
        rx.await.map_err(|_| ApiError::internal("a hashing job panicked"))
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let permit = self.admit()?;
        self.hash_with(permit, password).await
    }

    /// A new hash of the configured scheme. A new password from a request goes through
    /// [`super::policy::Passwords::new_hash`] (the password rules), not straight here.
    pub async fn hash_with(&self, permit: Permit, password: &str) -> Result<String, ApiError> {
        let (password, scheme) = (password.to_owned(), self.scheme);
        self.run(permit, move || scheme.hash(&password)).await?.map_err(ApiError::internal)
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether a hash that just verified should be replaced (see [`Scheme::needs_rehash`]).
    pub fn needs_rehash(&self, stored: &str, password: &str) -> bool {
        self.scheme.needs_rehash(stored, password)
    }

    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, ApiError> {
        let permit = self.admit()?;
        self.verify_with(permit, password, hash).await
    }

    pub async fn verify_with(&self, permit: Permit, password: &str, hash: &str) -> Result<bool, ApiError> {
        let (password, hash, timings) = (password.to_owned(), hash.to_owned(), self.timings.clone());
        self.run(permit, move || timed_verify(&timings, &password, &hash)).await
    }

    /// The kind of hash the unknown-email verification runs against: that of most stored hashes (see
    /// [`Hasher::set_dummy_scheme`]), so "no such email" takes as long as a wrong password even when
    /// `BCRYPT_COST` differs from the cost the stored hashes were made with, and whether most stored hashes
    /// are bcrypt or Argon2id (`PASSWORD_HASH` changes what new hashes are, not what the table holds).
    pub fn dummy_scheme(&self) -> Scheme {
        self.dummy_scheme.lock().map_or(self.scheme, |s| *s)
    }

    /// Sets the kind of the dummy verification (the most common kind among stored hashes).
    pub fn set_dummy_scheme(&self, scheme: Scheme) {
        if matches!(scheme, Scheme::Bcrypt { cost } if !(4..=31).contains(&cost)) {
            return;
        }
        if let Ok(mut s) = self.dummy_scheme.lock() {
            *s = scheme;
        }
    }

    /// The same work as a wrong password: one verification against a hash of the stored hashes' kind.
    /// The first call for a kind also makes that hash (once; [`Hasher::dummy_hash`] does it ahead).
    pub async fn verify_dummy_with(&self, permit: Permit, password: &str) -> Result<(), ApiError> {
        let scheme = self.dummy_scheme();
        let cached = self.dummies.lock().ok().and_then(|d| d.get(&scheme).cloned());
        let (password, dummies, timings) = (password.to_owned(), self.dummies.clone(), self.timings.clone());
        self.run(permit, move || {
            let hash = cached.or_else(|| make_dummy(&dummies, scheme)).unwrap_or_default();
            timed_verify(&timings, &password, &hash)
        })
        .await
        .map(|_| ())
    }

    /// The least time a refused sign-in (a wrong password, an unknown email) takes from the start of its
    /// verification: as long as one verification of the slowest kind of hash met so far. A refusal that ends
    /// sooner waits out the rest, so the answer's timing does not tell an Argon2id row from a bcrypt one, nor
    /// either from an email without an account (issue 22, finding 4). Waiting holds no hashing thread.
    pub fn refusal_floor(&self) -> std::time::Duration {
        let slowest = self.timings.lock().map_or(0.0, |t| t.values().copied().fold(0.0, f64::max));
        std::time::Duration::from_secs_f64(slowest)
    }

    /// Measures one verification of each of `kinds` not measured yet (against a dummy hash of that kind), so
    /// the refusal floor covers every kind the table holds before a sign-in meets it. A full pool skips it.
    pub async fn calibrate(&self, kinds: impl IntoIterator<Item = Scheme>) {
        for scheme in kinds {
            if self.timings.lock().is_ok_and(|t| t.contains_key(&scheme)) {
                continue;
            }
            let Ok(permit) = self.admit() else { return };
            let (dummies, timings) = (self.dummies.clone(), self.timings.clone());
            let _ = self
                .run(permit, move || {
                    let hash = dummies.lock().ok().and_then(|d| d.get(&scheme).cloned());
                    let hash = hash.or_else(|| make_dummy(&dummies, scheme)).unwrap_or_default();
                    timed_verify(&timings, "calibration", &hash)
                })
                .await;
        }
    }

    pub async fn verify_dummy(&self, password: &str) -> Result<(), ApiError> {
        let permit = self.admit()?;
        self.verify_dummy_with(permit, password).await
    }

    /// The dummy hash of the current dummy kind, made now if it was not yet.
    pub async fn dummy_hash(&self) -> Result<String, ApiError> {
        let scheme = self.dummy_scheme();
        if let Some(hash) = self.dummies.lock().ok().and_then(|d| d.get(&scheme).cloned()) {
            return Ok(hash);
        }
        let (permit, dummies) = (self.admit()?, self.dummies.clone());
        self.run(permit, move || make_dummy(&dummies, scheme)).await?.ok_or_else(|| ApiError::internal("dummy hash"))
    }
}

/// A hash of a random password of kind `scheme`, kept in `dummies`.
fn make_dummy(dummies: &Mutex<HashMap<Scheme, String>>, scheme: Scheme) -> Option<String> {
    let hash = scheme.hash(&uuid::Uuid::new_v4().to_string()).ok()?;
    if let Ok(mut d) = dummies.lock() {
        d.entry(scheme).or_insert_with(|| hash.clone());
    }
    Some(hash)
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

    #[tokio::test]
    async fn a_full_queue_answers_unavailable_at_once() {
        let hasher = Hasher::new(10, 1, 2); // 3 places, 1 held back for known clients: 2 for anyone
        let a = hasher.hash("one");
        let b = hasher.hash("two");
        let c = hasher.hash("three");
        let (a, b, c) = tokio::join!(a, b, c);
        let refused = [&a, &b, &c].iter().filter(|r| matches!(r, Err(ApiError::Unavailable { .. }))).count();
        assert_eq!(refused, 1, "exactly one of three jobs is over the 2 places open to anyone");
        assert_eq!(hasher.computations.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_recent_successful_client_gets_the_reserved_share_when_the_rest_is_full() {
        let hasher = Hasher::new(4, 1, 7); // 8 places, 2 held back
        let taken: Vec<Permit> = (0..6).map(|_| hasher.admit().unwrap()).collect();
        assert!(matches!(hasher.admit(), Err(ApiError::Unavailable { .. })));
        assert!(matches!(hasher.admit_for("ada@example.com|203.0.113.9"), Err(ApiError::Unavailable { .. })));
        hasher.remember("ada@example.com|203.0.113.9");
        let mine = hasher.admit_for("ada@example.com|203.0.113.9").unwrap();
        assert!(matches!(hasher.admit_for("ada@example.com|198.51.100.1"), Err(ApiError::Unavailable { .. })));
        drop(taken);
        drop(mine);
        assert_eq!(hasher.in_flight(), 0, "every place given back");
    }

    #[tokio::test]
    async fn a_job_that_panics_returns_its_slot_and_keeps_its_worker() {
        // One worker and no queue: a lost place or a dead thread would refuse or hang everything after.
        let hasher = Hasher::new(4, 1, 0);
        for _ in 0..3 {
            let permit = hasher.admit().expect("the one place is free");
            let out = hasher.run(permit, || -> u8 { panic!("a hashing job panics on purpose") }).await;
            assert!(matches!(out, Err(ApiError::Internal(_))), "a panicked job is a 500: {out:?}");
            assert_eq!(hasher.in_flight(), 0, "the panicked job gave its place back");
        }
        let hash = hasher.hash("still hashing").await.expect("the worker survived the panics");
        assert!(hasher.verify("still hashing", &hash).await.unwrap());
    }
}
