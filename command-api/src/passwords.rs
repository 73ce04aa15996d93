//! Bounded password hashing. Each argon2id hash or check takes 19 MiB and a core for a while
//! (see [`crate::auth`], which owns the parameters), and tokio's blocking pool runs up to 512 of
//! them at once: 600 concurrent failed logins once took the command API to 7.6 GB RSS.
//!
//! [`Passwords`] lets at most `concurrency` hashes run at a time (by default one per available
//! core). A request waits up to `wait` for a slot and is otherwise refused with
//! [`PasswordError::Busy`], which the HTTP layer answers `503` with `Retry-After`: a short queue
//! is better than a long one here, because every queued request holds a connection and its
//! client is likely to give up and retry anyway.
//!
//! A slot is held by the hashing itself, not by the request: if the client goes away while its
//! password is being hashed, the slot stays taken until the hash finishes, so cancelled requests
//! cannot open more slots than the bound.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::auth;

/// How many password hashes may run at once and how long a request waits for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    /// Hashes running at the same time (at least 1). Each holds 19 MiB while it runs.
    pub concurrency: usize,
    /// How long a request waits for a free slot before it is answered [`PasswordError::Busy`].
    pub wait: Duration,
    /// What a refused request is told to wait before retrying (`Retry-After`).
    pub retry_after: Duration,
}

impl PasswordLimits {
    /// One slot per available core (as the OS and any cgroup CPU quota report it), a 250 ms
    /// wait and a 1 s `Retry-After`.
    pub fn from_cores() -> Self {
        Self {
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            wait: Duration::from_millis(250),
            retry_after: Duration::from_secs(1),
        }
    }
}

impl Default for PasswordLimits {
    fn default() -> Self {
        Self::from_cores()
    }
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// 503 with `Retry-After: retry_after`: every hashing slot stayed taken for the whole wait.
    /// Nothing was checked; the caller must not count it as a failed login.
    #[error("password hashing is saturated; retry in {} s", retry_after.as_secs())]
    Busy {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
    /// 500: hashing failed or its task panicked. Logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The command API's password hasher: [`crate::auth`]'s argon2id, at most
/// [`PasswordLimits::concurrency`] at a time. Cheap to clone; clones share the slots.
#[derive(Debug, Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    limits: PasswordLimits,
}

impl Passwords {
    /// A hasher with `limits` (a `concurrency` of 0 is taken as 1).
    pub fn new(limits: PasswordLimits) -> Self {
        let limits = PasswordLimits {
            concurrency: limits.concurrency.max(1),
            ..limits
        };
        Self {
            slots: Arc::new(Semaphore::new(limits.concurrency)),
            limits,
        }
    }

    /// The limits this hasher was built with.
    pub fn limits(&self) -> PasswordLimits {
        self.limits
    }

    /// Hashes a password into a PHC string (argon2id, a fresh salt).
    ///
    /// Fails with [`PasswordError::Busy`] when no slot frees within the wait, and with
    /// [`PasswordError::Internal`] when hashing itself fails.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.bounded(auth::hash_password(password))
            .await?
            .map_err(|e| {
                PasswordError::Internal(anyhow::Error::new(e).context("hashing a password"))
            })
    }

    /// Checks a password against a stored hash; with `None` (an unknown account) it still does
    /// the work of a check and answers `false`, so timing does not reveal registered emails.
    ///
    /// Fails only with [`PasswordError::Busy`] (nothing was checked) or
    /// [`PasswordError::Internal`].
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.bounded(auth::verify_password(password, hash)).await
    }

    /// Runs `work` once a slot is free, waiting at most [`PasswordLimits::wait`] for one.
    /// The work runs on a task of its own that owns the slot, so dropping the returned future
    /// (a client that hung up) does not free the slot before the work is done.
    async fn bounded<F>(&self, work: F) -> Result<F::Output, PasswordError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let slot = tokio::time::timeout(self.limits.wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| PasswordError::Busy {
                retry_after: self.limits.retry_after,
            })?
            .map_err(|_| anyhow::anyhow!("invariant: the password slots are never closed"))?;
        let task = tokio::spawn(async move {
            let output = work.await;
            drop(slot);
            output
        });
        task.await.map_err(|e| {
            PasswordError::Internal(anyhow::Error::new(e).context("password hashing task"))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::oneshot;

    use super::*;

    fn limits(concurrency: usize) -> PasswordLimits {
        PasswordLimits {
            concurrency,
            wait: Duration::from_millis(250),
            retry_after: Duration::from_secs(3),
        }
    }

    /// Counts how many pieces of work run at the same time.
    #[derive(Default)]
    struct Gauge {
        running: AtomicUsize,
        most: AtomicUsize,
        done: AtomicUsize,
    }

    impl Gauge {
        /// Work that stays running across several scheduler turns, so that without a bound
        /// every piece would be inside at once.
        async fn work(self: Arc<Self>) {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            for _ in 0..20 {
                tokio::task::yield_now().await;
            }
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.done.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_the_limit_run_at_once() {
        // Arrange: 2 slots, 10 requests, and a wait long enough for all of them.
        let passwords = Passwords::new(PasswordLimits {
            wait: Duration::from_secs(30),
            ..limits(2)
        });
        let gauge = Arc::new(Gauge::default());

        // Act
        let requests = (0..10).map(|_| passwords.bounded(Arc::clone(&gauge).work()));
        let results = futures::future::join_all(requests).await;

        // Assert
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(gauge.done.load(Ordering::SeqCst), 10);
        assert_eq!(
            gauge.most.load(Ordering::SeqCst),
            2,
            "the bound is reached, never passed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_finds_no_free_slot_in_time_is_busy() {
        // Arrange: the only slot is held by work that waits for our signal.
        let passwords = Passwords::new(limits(1));
        let (release, released) = oneshot::channel::<()>();
        let holder = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.bounded(released).await }
        });
        while passwords.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }

        // Act: with the clock paused, the 250 ms wait elapses as soon as nothing else can run.
        let refused = passwords.bounded(async {}).await;

        // Assert
        assert!(
            matches!(refused, Err(PasswordError::Busy { retry_after }) if retry_after == Duration::from_secs(3)),
            "{refused:?}"
        );
        release.send(()).expect("the holder is waiting");
        assert!(holder.await.expect("holder task").is_ok());
        assert!(
            passwords.bounded(async {}).await.is_ok(),
            "the freed slot is usable again"
        );
    }

    #[tokio::test]
    async fn a_cancelled_request_keeps_its_slot_until_its_work_is_done() {
        // Arrange
        let passwords = Passwords::new(limits(1));
        let (release, released) = oneshot::channel::<()>();
        let (started_tx, started) = oneshot::channel::<()>();
        let work = async move {
            let _ = started_tx.send(());
            let _ = released.await;
        };
        let request = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.bounded(work).await }
        });
        started.await.expect("the work started");

        // Act: the client hangs up.
        request.abort();
        let _ = request.await;

        // Assert: the work still runs, so its slot is still taken.
        assert_eq!(passwords.slots.available_permits(), 0);
        release.send(()).expect("the work is still waiting");
        assert!(passwords.bounded(async {}).await.is_ok());
        assert_eq!(passwords.slots.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let passwords = Passwords::new(limits(2));
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .expect("hashed");

        let right = passwords.verify("correct horse battery".into(), Some(hash.clone()));
        let wrong = passwords.verify("wrong horse battery".into(), Some(hash));
        let unknown = passwords.verify("correct horse battery".into(), None);

        assert!(right.await.expect("checked"));
        assert!(!wrong.await.expect("checked"));
        assert!(!unknown.await.expect("checked"));
    }

    #[test]
    fn a_limit_of_zero_still_lets_one_hash_run() {
        let passwords = Passwords::new(limits(0));
        assert_eq!(passwords.limits().concurrency, 1);
        assert_eq!(passwords.slots.available_permits(), 1);
    }
}
