//! The [`Runtime`]: feeds processors from the log. One task per processor: it takes the
//! processor's leader lock (or stands by), then loops: read a batch *before* opening a
//! transaction, hand the processor's events to [`Processor::react`] (no transaction open) and
//! to [`Processor::handle`] inside the transaction, compare-and-set the checkpoint in it,
//! commit; when the log has nothing more, wait for new
//! events (or the next tick). Transient errors retry the same batch with exponential backoff;
//! a fatal one stops the processor.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::advances::Advances;
use super::backoff::Backoff;
use super::checkpoint::{self, CheckpointError};
use super::lock::LeaderLock;
use super::metrics::ProcessorMetrics;
use super::step::At;
use super::tail::Tail;
pub(super) use super::target::Target;
use super::{ProcessError, Processor};
use crate::migrate::{MigrateError, migrate};
use crate::{EventStore, Position, StoreError};

/// Why a batch (or the set-up before it) failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("reading the log: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("runtime database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("runtime database, getting a connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error("processor {name}: {source}")]
    Process {
        name: String,
        #[source]
        source: ProcessError,
    },
}

impl RuntimeError {
    /// Whether retrying cannot help (the processor said so).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            RuntimeError::Process {
                source: ProcessError::Fatal(_),
                ..
            }
        )
    }
}

/// Timings of the loop; the defaults suit production, tests shorten them.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// How long an idle processor waits for a wake-up before looking at the log anyway.
    pub idle_wait: Duration,
    /// How long a standby instance stays queued for the leader lock in the server before it
    /// asks again (it takes the lock as soon as the holder lets go, whatever this is).
    pub standby_retry: Duration,
    /// First and longest wait between retries of a failed batch.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            idle_wait: Duration::from_secs(5),
            standby_retry: Duration::from_secs(5),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What a [`Runtime::catch_up_counted`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaughtUp {
    /// The checkpoint now.
    pub position: Position,
    /// Events read and covered (including those not handed to the processor).
    pub events: u64,
    pub batches: u64,
}

/// How an active period ended.
pub(super) enum Ended {
    Shutdown,
    LockLost,
}

pub(super) struct Inner {
    pub(super) store: Arc<dyn EventStore>,
    pub(super) pool: Pool,
    pub(super) database_url: String,
    pub(super) options: RuntimeOptions,
    pub(super) migrated: OnceCell<()>,
    /// The shared reader of the log's head (`tail.rs`), once a processor runs live.
    pub(super) tail: OnceLock<Arc<Tail>>,
    /// Checkpoint moves sent together (`advances.rs`), once a batch needs one.
    pub(super) advances: OnceLock<Advances>,
}

/// Feeds [`Processor`]s from one event store, with checkpoints, leader locks and metrics in
/// one PostgreSQL database. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(super) inner: Arc<Inner>,
}

impl Runtime {
    /// A runtime reading `store` and keeping checkpoints in `pool`'s database; leader locks
    /// use dedicated connections to `database_url` (the same database). Touches nothing yet:
    /// the checkpoint table is migrated on first use.
    pub fn new(store: Arc<dyn EventStore>, pool: Pool, database_url: String) -> Self {
        Runtime {
            inner: Arc::new(Inner {
                store,
                pool,
                database_url,
                options: RuntimeOptions::default(),
                migrated: OnceCell::new(),
                tail: OnceLock::new(),
                advances: OnceLock::new(),
            }),
        }
    }

    /// The same runtime with other timings.
    pub fn with_options(self, options: RuntimeOptions) -> Self {
        let inner = &self.inner;
        Runtime {
            inner: Arc::new(Inner {
                store: Arc::clone(&inner.store),
                pool: inner.pool.clone(),
                database_url: inner.database_url.clone(),
                options,
                migrated: OnceCell::new(),
                tail: OnceLock::new(),
                advances: OnceLock::new(),
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.inner.store
    }

    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Migrates the checkpoint table (once per runtime) and registers `names` at the start of
    /// the log where they have no checkpoint, so status lists them before their first batch.
    pub async fn register(&self, names: &[&str]) -> Result<(), RuntimeError> {
        self.inner
            .migrated
            .get_or_try_init(|| async {
                migrate(&self.inner.pool, &[checkpoint::MIGRATIONS]).await
            })
            .await?;
        checkpoint::ensure(&self.inner.pool.get().await?, names).await?;
        Ok(())
    }

    /// Starts one task per processor; each stops between batches once `shutdown` fires.
    pub fn spawn(
        &self,
        processors: Vec<Arc<dyn Processor>>,
        shutdown: CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        processors
            .into_iter()
            .map(|processor| {
                let (runtime, shutdown) = (self.clone(), shutdown.clone());
                tokio::spawn(async move { runtime.run(processor.as_ref(), &shutdown).await })
            })
            .collect()
    }

    /// Processes everything readable now, then returns the checkpoint. Takes no leader lock
    /// (tests, CLIs): an active instance running meanwhile makes one of the two fail its
    /// compare-and-set ([`CheckpointError::Moved`]) and roll its batch back.
    pub async fn catch_up(&self, processor: &dyn Processor) -> Result<Position, RuntimeError> {
        Ok(self.catch_up_counted(processor).await?.position)
    }

    /// [`Runtime::catch_up`], also counting what it did.
    pub async fn catch_up_counted(
        &self,
        processor: &dyn Processor,
    ) -> Result<CaughtUp, RuntimeError> {
        self.register(&[processor.name()]).await?;
        let mut caught_up = CaughtUp {
            position: checkpoint::load(&self.inner.pool.get().await?, processor.name()).await?,
            ..CaughtUp::default()
        };
        while let Some(batch) = self
            .step_target(Target::Shared(processor), At::stored(caught_up.position))
            .await?
        {
            caught_up.position = batch.position;
            caught_up.events += batch.events as u64;
            caught_up.batches += 1;
        }
        Ok(caught_up)
    }

    /// The runtime's queue of checkpoint moves over batches with nothing wanted.
    pub(super) fn advances(&self) -> &Advances {
        self.inner
            .advances
            .get_or_init(|| Advances::start(self.inner.pool.clone()))
    }

    /// The runtime's shared reader of the log's head, started by the first live processor.
    pub(super) fn tail(&self) -> &Arc<Tail> {
        self.inner.tail.get_or_init(|| {
            Tail::start(Arc::clone(&self.inner.store), self.inner.options.idle_wait)
        })
    }

    /// Where `target` stands: its checkpoint row, or what a local processor says.
    pub(super) async fn load_checkpoint(
        &self,
        target: Target<'_>,
    ) -> Result<Position, RuntimeError> {
        match target {
            Target::Shared(p) => {
                Ok(checkpoint::load(&self.inner.pool.get().await?, p.name()).await?)
            }
            Target::Local(p) => p
                .checkpoint()
                .await
                .map_err(|source| RuntimeError::Process {
                    name: p.name().to_owned(),
                    source,
                }),
        }
    }

    /// The long-running loop of one processor: become active, process, stand by again when
    /// the lock is lost; returns on shutdown or after a fatal error.
    pub async fn run(&self, processor: &dyn Processor, shutdown: &CancellationToken) {
        let name = processor.name();
        let metrics = ProcessorMetrics::new(name);
        metrics.active(false);
        while let Some(mut lock) = self.become_active(name, shutdown).await {
            tracing::info!(processor = name, "active");
            metrics.active(true);
            processor.on_active(true);
            let ended = self
                .run_active(
                    Target::Shared(processor),
                    &metrics,
                    Some(&mut lock),
                    shutdown,
                )
                .await;
            metrics.active(false);
            processor.on_active(false);
            match ended {
                Ok(Ended::Shutdown) => return,
                Ok(Ended::LockLost) => tracing::warn!(processor = name, "lost the leader lock"),
                Err(e) => {
                    // Keep the lock until shutdown: the batch can never succeed, so another
                    // instance must not take over and fail the same way.
                    tracing::error!(processor = name, error = %e, "fatal error; processor stopped until restart");
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = lock.lost() => {}
                    }
                    return;
                }
            }
        }
    }

    /// Waits until this process holds `name`'s leader lock; `None` on shutdown.
    async fn become_active(&self, name: &str, shutdown: &CancellationToken) -> Option<LeaderLock> {
        if let Err(e) = self.register(&[name]).await {
            tracing::warn!(processor = name, error = %e, "could not register the checkpoint");
        }
        let options = &self.inner.options;
        let mut backoff = Backoff::new(options.min_backoff, options.max_backoff);
        let mut announced_standby = false;
        while !shutdown.is_cancelled() {
            let attempt =
                LeaderLock::acquire(&self.inner.database_url, name, options.standby_retry);
            let wait = match tokio::select! {
                () = shutdown.cancelled() => return None,
                attempt = attempt => attempt,
            } {
                Ok(Some(lock)) => return Some(lock),
                Ok(None) => {
                    if !announced_standby {
                        tracing::info!(processor = name, "another instance is active; standing by");
                        announced_standby = true;
                    }
                    // The wait was spent queued for the lock in the server.
                    continue;
                }
                Err(e) => {
                    tracing::warn!(processor = name, error = %e, "could not take the leader lock");
                    backoff.next_wait()
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(wait) => {}
            }
        }
        None
    }
}
