//! The [`Projector`]: reads the log in batches and applies each batch to one version of a
//! projection in one transaction together with that version's checkpoint.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::{Pool, Transaction};
use pasar_events::{EventStore, Position, RecordedEvent};
use tokio_util::sync::CancellationToken;

use crate::announce::Announcer;
use crate::metrics::Metrics;
use crate::projections::{self, Projection};
use crate::registry::{self, VersionState};
use crate::{ProjectorError, checkpoint, migrate};

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
    /// Migrates the `rm` schema, makes sure every projection has a live version and returns
    /// a projector that announces checkpoints through PostgreSQL only (see
    /// [`Projector::with_nats`]).
    pub async fn new(store: Arc<dyn EventStore>, pool: Pool) -> Result<Self, ProjectorError> {
        migrate::migrate(&pool).await?;
        let projections = projections::all();
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

    /// Tells waiting readers that the live version of `name` now covers `position`.
    pub(crate) async fn announce(&self, name: &str, position: Position) {
        self.announcer.announce(name, position).await;
    }

    pub(crate) fn projections(&self) -> &[Arc<dyn Projection>] {
        &self.projections
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
        self.catch_up_until_cancelled(name, &CancellationToken::new())
            .await
    }

    /// Like [`Projector::catch_up_projection`], stopping between batches once `cancel` fires.
    ///
    /// The live version is looked up in the registry before every batch, so after a rebuild's
    /// swap the next batch goes to the new version (a batch caught mid-swap is rolled back
    /// and redone there).
    pub(crate) async fn catch_up_until_cancelled(
        &self,
        name: &str,
        cancel: &CancellationToken,
    ) -> Result<Progress, ProjectorError> {
        let projection = Arc::clone(self.projection(name)?);
        let mut progress = Progress::default();
        while !cancel.is_cancelled() {
            let live = registry::live(&self.pool.get().await?, name)
                .await?
                .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))?;
            (progress.position, progress.version) = (live.position, live.version);
            // Read before the write transaction opens: a transaction of ours that holds an
            // xid would hold the log's read horizon (and so our own next read) back.
            let events = self.store.read_all(live.position, BATCH_SIZE).await?;
            if events.is_empty() {
                break;
            }
            let target = Target::live(projection.as_ref(), live.version);
            match self.apply_to(target, live.position, &events).await {
                Ok(position) => progress.position = position,
                Err(ProjectorError::VersionRetired { .. }) => continue,
                Err(e) => return Err(e),
            }
            progress.events += events.len() as u64;
            progress.batches += 1;
        }
        Ok(progress)
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
        if let Err(e) = self.commit_batch(target, expected, last, events).await {
            let e = self.retired_or(target, e).await;
            if target.live && !matches!(e, ProjectorError::VersionRetired { .. }) {
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

    /// A batch that failed because its version's tables were dropped under it (a rebuild
    /// swapped and dropped them) is reported as [`ProjectorError::VersionRetired`].
    async fn retired_or(&self, target: Target<'_>, error: ProjectorError) -> ProjectorError {
        if matches!(error, ProjectorError::Db(_)) {
            let name = target.projection.name();
            if let Ok(client) = self.pool.get().await
                && let Ok(found) = registry::version(&client, name, target.version).await
                && found.is_none_or(|v| v.state == VersionState::Retired)
            {
                return ProjectorError::VersionRetired {
                    projection: name.to_owned(),
                    version: target.version,
                };
            }
        }
        error
    }

    async fn commit_batch(
        &self,
        target: Target<'_>,
        expected: Position,
        last: Position,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectorError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // No WAL flush wait: rows and checkpoint commit together and both derive from the log,
        // so a server crash can only lose the last few milliseconds of batches as a whole,
        // which are projected again. Readers see the commit at once either way.
        tx.batch_execute("SET LOCAL synchronous_commit = off")
            .await?;
        apply_in(&tx, target, expected, last, events).await?;
        tx.commit().await?;
        Ok(())
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
}

/// Inside `tx`: writes `events` into `target`'s tables and moves its checkpoint from
/// `expected` to `last`.
pub(crate) async fn apply_in(
    tx: &Transaction<'_>,
    target: Target<'_>,
    expected: Position,
    last: Position,
    events: &[RecordedEvent],
) -> Result<(), ProjectorError> {
    let projection = target.projection;
    registry::use_version(tx, projection.name(), target.version).await?;
    // Every write looks rows up by key, but a multi-row one joins an array to a table, and
    // PostgreSQL keeps the generic plan it settles on for a cached statement: one made while a
    // new version's tables were nearly empty would hash-join them by scanning them whole, for
    // good. Only index lookups are planned here.
    tx.batch_execute(
        "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; \
         SET LOCAL enable_seqscan = off",
    )
    .await?;
    let categories = projection.categories();
    let read: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| categories.contains(&e.category()))
        .collect();
    let mut writes = Vec::new();
    projection.batch_writes(&read, &mut writes)?;
    // The whole batch in one pipeline: one round trip's wait instead of one per statement.
    projections::execute_pipelined(tx, &writes).await?;
    checkpoint::compare_and_set_version(tx, projection.name(), target.version, expected, last).await
}
