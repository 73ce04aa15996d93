//! The [`Projector`]: the registered projections on the processor runtime. The runtime reads
//! the log in batches and applies each batch to a projection's live version in one transaction
//! together with its checkpoint (`processor.rs`); rebuilds write a building version through
//! [`Projector::apply_to`] here.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::{Pool, Transaction};
use pasar_events::runtime::{ProcessError, Processor, Runtime};
use pasar_events::{EventStore, Position, RecordedEvent};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::announce::Announcer;
use crate::metrics::Metrics;
use crate::processor::{ProjectionProcessor, no_flush_wait, write_batch};
use crate::slices::{self, Projection};
use crate::{ProjectorError, checkpoint, migrate, registry};

/// Events read per batch while catching up.
pub const BATCH_SIZE: usize = 500;

/// What one projection did during a catch-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Where its checkpoint stands now.
    pub position: Position,
    /// The version (live, for a catch-up) that position belongs to.
    pub version: i32,
    /// Events read and covered (including ones of categories it ignores).
    pub events: u64,
    pub batches: u64,
}

/// The result of [`Projector::catch_up`]: every projection's progress, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaughtUp {
    pub projections: BTreeMap<&'static str, Progress>,
}

impl CaughtUp {
    /// Where the named projection stands.
    pub fn position(&self, projection: &str) -> Option<Position> {
        self.projections.get(projection).map(|p| p.position)
    }

    /// The lowest position over all projections: everything up to it is projected everywhere.
    pub fn min_position(&self) -> Position {
        self.projections
            .values()
            .map(|p| p.position)
            .min()
            .unwrap_or(Position::START)
    }
}

/// Runs the registered projections against one event store and one read-model database.
pub struct Projector {
    store: Arc<dyn EventStore>,
    pool: Pool,
    projections: Vec<Arc<dyn Projection>>,
    announcer: Announcer,
    metrics: Arc<Metrics>,
}

impl Projector {
    /// Migrates the event store's, the runtime's and the read models' schemas, makes sure
    /// every projection has a live version and returns a projector that announces checkpoints
    /// through PostgreSQL only (see [`Projector::with_nats`]).
    pub async fn new(store: Arc<dyn EventStore>, pool: Pool) -> Result<Self, ProjectorError> {
        migrate::migrate(&pool).await?;
        let projections = slices::all();
        registry::ensure(&mut pool.get().await?, &projections).await?;
        let announcer = Announcer::new(pool.clone(), None);
        Ok(Projector {
            store,
            pool,
            projections,
            announcer,
            metrics: Arc::default(),
        })
    }

    /// Also announces checkpoints on NATS.
    pub fn with_nats(mut self, nats: Option<async_nats::Client>) -> Self {
        self.announcer = Announcer::new(self.pool.clone(), nats);
        self
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.projections.iter().map(|p| p.name()).collect()
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn nats(&self) -> Option<&async_nats::Client> {
        self.announcer.nats()
    }

    /// A runtime on this projector's store and database; `database_url` (the same database)
    /// is only needed for leader locks, which [`Projector::catch_up`] does not take.
    pub fn runtime(&self, database_url: &str) -> Runtime {
        Runtime::new(
            Arc::clone(&self.store),
            self.pool.clone(),
            database_url.to_owned(),
        )
    }

    /// The projections as processors of the runtime.
    pub fn processors(&self) -> Vec<Arc<dyn Processor>> {
        self.projections
            .iter()
            .map(|projection| {
                Arc::new(ProjectionProcessor {
                    projection: Arc::clone(projection),
                    announcer: self.announcer.clone(),
                    metrics: Arc::clone(&self.metrics),
                }) as Arc<dyn Processor>
            })
            .collect()
    }

    /// Starts every projection on the runtime (one task each, one active instance per
    /// projection across processes); they stop between batches once `shutdown` fires.
    pub fn spawn_live(
        &self,
        database_url: &str,
        shutdown: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        self.runtime(database_url)
            .spawn(self.processors(), shutdown.clone())
    }

    /// Tells waiting readers that the live version of `name` now covers `position`.
    pub(crate) async fn announce(&self, name: &str, position: Position) {
        self.announcer.announce(name, position).await;
    }

    pub(crate) fn projection(&self, name: &str) -> Result<&Arc<dyn Projection>, ProjectorError> {
        self.projections
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))
    }

    /// Projects everything readable now into every projection's live version, then returns.
    /// Does not take the projections' locks: if another instance is active, the
    /// compare-and-set on the checkpoint makes one of the two roll back with
    /// [`ProjectorError::CheckpointMoved`].
    pub async fn catch_up(&self) -> Result<CaughtUp, ProjectorError> {
        let mut caught_up = CaughtUp::default();
        for projection in &self.projections {
            let progress = self.catch_up_projection(projection.name()).await?;
            caught_up.projections.insert(projection.name(), progress);
        }
        Ok(caught_up)
    }

    /// Projects everything readable now into one projection's live version.
    pub async fn catch_up_projection(&self, name: &str) -> Result<Progress, ProjectorError> {
        self.projection(name)?;
        let processor = self
            .processors()
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))?;
        let done = self
            .runtime("")
            .catch_up_counted(processor.as_ref())
            .await?;
        let live = registry::live(&self.pool.get().await?, name).await?;
        Ok(Progress {
            position: done.position,
            version: live.map_or(1, |v| v.version),
            events: done.events,
            batches: done.batches,
        })
    }

    /// Applies `events` (consecutive log events following `expected`) to the live version of
    /// the named projection and moves its checkpoint from `expected` to the last event's
    /// position, all in one transaction; then announces the new checkpoint. Returns the new
    /// position.
    ///
    /// Fails with [`ProjectorError::CheckpointMoved`] if the checkpoint is no longer at
    /// `expected`; on any error nothing of the batch is kept.
    pub async fn apply_batch(
        &self,
        name: &str,
        expected: Position,
        events: &[RecordedEvent],
    ) -> Result<Position, ProjectorError> {
        let projection = self.projection(name)?;
        let live = registry::live(&self.pool.get().await?, name)
            .await?
            .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))?;
        self.apply_to(
            Target::live(projection.as_ref(), live.version),
            expected,
            events,
        )
        .await
    }

    /// Applies a batch to one version in its own transaction (see [`Projector::apply_batch`]);
    /// only live versions are announced and counted in the metrics.
    pub(crate) async fn apply_to(
        &self,
        target: Target<'_>,
        expected: Position,
        events: &[RecordedEvent],
    ) -> Result<Position, ProjectorError> {
        let name = target.projection.name();
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(expected);
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let committed = async {
            no_flush_wait(&tx).await?;
            apply_in(&tx, target, expected, last, events).await?;
            tx.commit().await?;
            Ok::<(), ProjectorError>(())
        };
        if let Err(e) = committed.await {
            if target.live {
                self.metrics.failed(name);
            }
            return Err(e);
        }
        if target.live {
            self.metrics.batch_committed(name, events.len());
            self.announcer.announce(name, last).await;
        }
        tracing::debug!(projection = name, version = target.version, position = %last, events = events.len(), "batch committed");
        Ok(last)
    }
}

/// Which projection version a batch is written to.
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    pub projection: &'a dyn Projection,
    pub version: i32,
    /// Served to readers: announced, counted in the metrics.
    pub live: bool,
}

impl<'a> Target<'a> {
    pub fn live(projection: &'a dyn Projection, version: i32) -> Self {
        Target {
            projection,
            version,
            live: true,
        }
    }

    pub fn building(projection: &'a dyn Projection, version: i32) -> Self {
        Target {
            projection,
            version,
            live: false,
        }
    }

    /// Its row in the checkpoint table.
    fn checkpoint_row(&self) -> String {
        checkpoint::row_name(self.projection.name(), self.version, self.live)
    }
}

/// Inside `tx`: writes `events` into `target`'s tables and moves its checkpoint from
/// `expected` to `last`. A live target must still be the live version (checked under a share
/// lock that a swap waits for).
pub(crate) async fn apply_in(
    tx: &Transaction<'_>,
    target: Target<'_>,
    expected: Position,
    last: Position,
    events: &[RecordedEvent],
) -> Result<(), ProjectorError> {
    let projection = target.projection;
    if target.live && registry::share_live(tx, projection.name()).await? != target.version {
        return Err(ProjectorError::VersionRetired {
            projection: projection.name().to_owned(),
            version: target.version,
        });
    }
    let read: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| {
            pasar_events::types::streams::Category::of(&e.stream)
                .is_some_and(|c| projection.categories().contains(&c))
        })
        .collect();
    write_batch(tx, projection, target.version, &read).await?;
    checkpoint::compare_and_set(
        tx,
        projection.name(),
        &target.checkpoint_row(),
        expected,
        last,
    )
    .await
}

impl From<pasar_events::runtime::RuntimeError> for ProjectorError {
    fn from(e: pasar_events::runtime::RuntimeError) -> Self {
        use pasar_events::runtime::RuntimeError as R;
        match e {
            R::Store(e) => ProjectorError::Store(e),
            R::Checkpoint(e) => e.into(),
            R::Db(e) => ProjectorError::Db(e),
            R::Pool(e) => ProjectorError::Pool(e),
            R::Migrate(e) => ProjectorError::Migrate(e),
            // A projection's own error comes back as itself.
            R::Process { source, .. } => {
                let inner = match source {
                    ProcessError::Transient(e) | ProcessError::Fatal(e) => e,
                };
                match inner.downcast::<ProjectorError>() {
                    Ok(e) => *e,
                    Err(other) => ProjectorError::Process(other.to_string()),
                }
            }
        }
    }
}
