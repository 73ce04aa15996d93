//! The [`Projector`]: reads the log in batches and applies each batch to a projection in one
//! transaction together with its checkpoint.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::Pool;
use pasar_events::{EventStore, Position, RecordedEvent};
use tokio_util::sync::CancellationToken;

use crate::announce::Announcer;
use crate::metrics::Metrics;
use crate::projections::{self, Projection};
use crate::{ProjectorError, checkpoint, migrate};

/// Events read per batch while catching up.
pub const BATCH_SIZE: usize = 500;

/// What one projection did during a catch-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Where its checkpoint stands now.
    pub position: Position,
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
    /// Migrates the `rm` schema, makes sure every projection has a checkpoint row and returns
    /// a projector that announces checkpoints through PostgreSQL only (see
    /// [`Projector::with_nats`]).
    pub async fn new(store: Arc<dyn EventStore>, pool: Pool) -> Result<Self, ProjectorError> {
        migrate::migrate(&pool).await?;
        let projections = projections::all();
        let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
        checkpoint::ensure(&pool.get().await?, &names).await?;
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

    pub(crate) fn projections(&self) -> &[Arc<dyn Projection>] {
        &self.projections
    }

    fn projection(&self, name: &str) -> Result<&Arc<dyn Projection>, ProjectorError> {
        self.projections
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))
    }

    /// Projects everything readable now into every projection, then returns. Does not take
    /// the projections' locks: if another instance is active, the compare-and-set on the
    /// checkpoint makes one of the two roll back with [`ProjectorError::CheckpointMoved`].
    pub async fn catch_up(&self) -> Result<CaughtUp, ProjectorError> {
        let mut caught_up = CaughtUp::default();
        for projection in &self.projections {
            let progress = self.catch_up_projection(projection.name()).await?;
            caught_up.projections.insert(projection.name(), progress);
        }
        Ok(caught_up)
    }

    /// Projects everything readable now into one projection.
    pub async fn catch_up_projection(&self, name: &str) -> Result<Progress, ProjectorError> {
        self.catch_up_until_cancelled(name, &CancellationToken::new())
            .await
    }

    /// Like [`Projector::catch_up_projection`], stopping between batches once `cancel` fires.
    pub(crate) async fn catch_up_until_cancelled(
        &self,
        name: &str,
        cancel: &CancellationToken,
    ) -> Result<Progress, ProjectorError> {
        let start = checkpoint::load(&self.pool.get().await?, name).await?;
        let mut progress = Progress {
            position: start,
            ..Progress::default()
        };
        while !cancel.is_cancelled() {
            // Read before the write transaction opens: a transaction of ours that holds an
            // xid would hold the log's read horizon (and so our own next read) back.
            let events = self.store.read_all(progress.position, BATCH_SIZE).await?;
            if events.is_empty() {
                break;
            }
            progress.position = self.apply_batch(name, progress.position, &events).await?;
            progress.events += events.len() as u64;
            progress.batches += 1;
        }
        Ok(progress)
    }

    /// Applies `events` (consecutive log events following `expected`) to the named projection
    /// and moves its checkpoint from `expected` to the last event's position, all in one
    /// transaction; then announces the new checkpoint. Returns the new position.
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
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(expected);
        };
        if let Err(e) = self
            .commit_batch(projection.as_ref(), expected, last, events)
            .await
        {
            self.metrics.failed(name);
            return Err(e);
        }
        self.metrics.batch_committed(name, events.len());
        tracing::debug!(projection = name, position = %last, events = events.len(), "batch committed");
        self.announcer.announce(name, last).await;
        Ok(last)
    }

    async fn commit_batch(
        &self,
        projection: &dyn Projection,
        expected: Position,
        last: Position,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectorError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let categories = projection.categories();
        for event in events.iter().filter(|e| categories.contains(&e.category())) {
            projection.apply(&tx, event).await?;
        }
        checkpoint::compare_and_set(&tx, projection.name(), expected, last).await?;
        tx.commit().await?;
        Ok(())
    }
}
