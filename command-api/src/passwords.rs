//! Bounded password hashing. Each argon2id hash or check takes 19 MiB and a core for a while,
//! and tokio's blocking pool runs up to 512 of them at once: 600 concurrent failed logins once
//! took the command API to 7.6 GB RSS.
//!
//! [`Passwords`] lets at most `concurrency` hashes run at a time (by default one per available
//! core). A request waits up to `wait` for a slot and is otherwise refused with
//! [`PasswordError::Busy`], which the HTTP layer answers `503` with `Retry-After`: a short queue
//! is better than a long one here, because every queued request holds a connection and its
//! client is likely to give up and retry anyway.
//!
//! A slot reuses an argon2 memory block of 19 MiB while other hashes wait or run ([`memory`]
//! says why: with glibc, freed 19 MiB blocks stayed resident per thread arena); the last hash
//! of a burst gives every block back. The hashing memory is therefore at most
//! `concurrency × 19 MiB` during a burst and none between bursts (the services' global
//! allocator, mimalloc, returns such blocks to the system when they are freed).
//!
//! A slot is held by the blocking task doing the hashing, not by the request: if the client goes
//! away while its password is being hashed, the slot stays taken until the hash finishes, so
//! cancelled requests cannot open more slots than the bound.

mod memory;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use self::memory::Memory;

/// How many password hashes may run at once and how long a request waits for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    /// Hashes running at the same time (at least 1). Each slot holds 19 MiB once used.
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

/// The command API's password hasher: argon2id with `Argon2::default()`'s parameters (as in
/// [`crate::auth`], whose hashes it reads and which reads its hashes), at most
/// [`PasswordLimits::concurrency`] at a time. Cheap to clone; clones share the slots.
#[derive(Debug, Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    /// The memory of slots not in use; never more than `concurrency` entries, and empty
    /// whenever no hash waits or runs.
    memories: Arc<Mutex<Vec<Memory>>>,
    /// Hashes waiting for a slot or running.
    in_line: Arc<AtomicUsize>,
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
            memories: Arc::default(),
            in_line: Arc::default(),
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
        self.bounded(move |memory| memory::hash(memory, password.as_bytes()))
            .await?
            .map_err(|e| PasswordError::Internal(e.context("hashing a password")))
    }

    /// Checks a password against a stored PHC hash; with `None` (an unknown account) it does
    /// the same work, a hash, and answers `false`, so timing does not reveal registered emails.
    ///
    /// Fails only with [`PasswordError::Busy`] (nothing was checked) or
    /// [`PasswordError::Internal`].
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.bounded(move |memory| match hash {
            Some(hash) => memory::verify(memory, password.as_bytes(), &hash),
            None => {
                let _ = memory::hash(memory, password.as_bytes());
                false
            }
        })
        .await
    }

    /// Runs `work` on the blocking pool with a slot's memory once a slot is free, waiting at
    /// most [`PasswordLimits::wait`] for one. The blocking task owns the slot, so dropping the
    /// returned future (a client that hung up) does not free it before the work is done.
    async fn bounded<F, T>(&self, work: F) -> Result<T, PasswordError>
    where
        F: FnOnce(&mut Memory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let in_line = InLine::join(&self.in_line);
        let slot = Arc::clone(&self.slots).acquire_owned();
        let slot = tokio::time::timeout(self.limits.wait, slot)
            .await
            .map_err(|_| PasswordError::Busy {
                retry_after: self.limits.retry_after,
            })?
            .map_err(|_| anyhow::anyhow!("invariant: the password slots are never closed"))?;
        let memories = Arc::clone(&self.memories);
        let task = tokio::task::spawn_blocking(move || {
            let mut memory = lock(&memories).pop().unwrap_or_default();
            let output = work(&mut memory);
            if in_line.others() {
                lock(&memories).push(memory);
            } else {
                // The burst is over: give the memory back rather than hold it idle.
                drop(memory);
                lock(&memories).clear();
            }
            drop(in_line);
            drop(slot);
            output
        });
        task.await.map_err(|e| {
            PasswordError::Internal(anyhow::Error::new(e).context("password hashing task"))
        })
    }
}

/// A place in the line of hashes (waiting for a slot or running), left when dropped: by the
/// blocking task when its hash is done, or by a request that gave up waiting.
struct InLine(Arc<AtomicUsize>);

impl InLine {
    fn join(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }

    /// Whether another hash waits or runs beside this one.
    fn others(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 1
    }
}

impl Drop for InLine {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A panic while hashing cannot leave the list of free memories inconsistent; keep using it.
fn lock(memories: &Mutex<Vec<Memory>>) -> std::sync::MutexGuard<'_, Vec<Memory>> {
    memories
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    use super::*;

    fn limits(concurrency: usize) -> PasswordLimits {
        PasswordLimits {
            concurrency,
            wait: Duration::from_secs(30),
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
        /// Work that waits at `together` until as many others are inside, so that the most
        /// running at once is exactly the bound (and every piece at once without one).
        fn work(&self, together: &Barrier) {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            together.wait();
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.done.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn no_more_than_the_limit_run_at_once() {
        // Arrange: 2 slots, 10 requests, and a wait long enough for all of them.
        let passwords = Passwords::new(limits(2));
        let gauge = Arc::new(Gauge::default());
        let together = Arc::new(Barrier::new(2));

        // Act
        let requests = (0..10).map(|_| {
            let (gauge, together) = (Arc::clone(&gauge), Arc::clone(&together));
            passwords.bounded(move |_| gauge.work(&together))
        });
        let results = futures::future::join_all(requests).await;

        // Assert
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(gauge.done.load(Ordering::SeqCst), 10);
        assert_eq!(gauge.most.load(Ordering::SeqCst), 2);
        assert!(
            lock(&passwords.memories).len() <= 2,
            "one memory per slot at most"
        );
    }

    #[tokio::test]
    async fn the_memory_is_given_back_when_the_burst_is_over() {
        // Arrange: one slot; a second hash queued behind a first that holds the slot.
        let passwords = Passwords::new(limits(1));
        let (release, holder) = hold_the_slot(&passwords).await;
        let queued = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.hash("a-long-password".into()).await }
        });
        while passwords.in_line.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }

        // Act: the first finishes while the second waits, then the second finishes alone.
        drop(release);
        holder.await.expect("the holder finished");
        let hashed = queued.await.expect("the queued hash ran");

        // Assert
        assert!(hashed.is_ok());
        assert_eq!(passwords.in_line.load(Ordering::SeqCst), 0);
        assert!(
            lock(&passwords.memories).is_empty(),
            "no memory is held once no hash waits or runs"
        );
    }

    /// Takes the only slot with work that runs until `release` is sent or dropped.
    async fn hold_the_slot(
        passwords: &Passwords,
    ) -> (mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, released) = mpsc::channel::<()>();
        let (started, has_started) = tokio::sync::oneshot::channel();
        let holder = tokio::spawn({
            let passwords = passwords.clone();
            async move {
                let _ = passwords
                    .bounded(move |_| {
                        let _ = started.send(());
                        let _ = released.recv();
                    })
                    .await;
            }
        });
        has_started.await.expect("the holding work started");
        (release, holder)
    }

    #[tokio::test]
    async fn a_request_that_finds_no_free_slot_in_time_is_busy() {
        // Arrange: the only slot is held; the wait is short because it is what we test.
        let passwords = Passwords::new(PasswordLimits {
            wait: Duration::from_millis(50),
            ..limits(1)
        });
        let (release, holder) = hold_the_slot(&passwords).await;

        // Act
        let refused = passwords.bounded(|_| ()).await;

        // Assert
        assert!(
            matches!(refused, Err(PasswordError::Busy { retry_after }) if retry_after == Duration::from_secs(3)),
            "{refused:?}"
        );
        release.send(()).expect("the holder is waiting");
        holder.await.expect("holder task");
        assert!(
            passwords.bounded(|_| ()).await.is_ok(),
            "the freed slot is usable again"
        );
    }

    #[tokio::test]
    async fn a_cancelled_request_keeps_its_slot_until_its_work_is_done() {
        // Arrange
        let passwords = Passwords::new(limits(1));
        let (release, holder) = hold_the_slot(&passwords).await;

        // Act: the client hangs up.
        holder.abort();
        let _ = holder.await;

        // Assert: the work still runs, so its slot is still taken.
        assert_eq!(passwords.slots.available_permits(), 0);
        release.send(()).expect("the work is still waiting");
        assert!(passwords.bounded(|_| ()).await.is_ok());
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
