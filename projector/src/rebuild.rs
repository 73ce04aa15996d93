//! `projector rebuild`: builds the next version of a projection beside the live one, catches
//! it up from the start of the log in large batches, and swaps it in atomically (mechanism in
//! `registry.rs`). Reads are served from the live version until the swap, and the live
//! version keeps projecting meanwhile.
//!
//! Only projections that declare themselves replay-safe are rebuilt; the swap is the only
//! shared state a rebuild touches, so nothing with side effects (the NATS integration
//! publisher) ever runs again because of one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Object;
use pasar_events::{Position, RecordedEvent, StoreError};

use crate::projector::{Target, apply_in};
use crate::registry::{self, ProjectionVersion};
use crate::{Projection, Projector, ProjectorError};

/// Events read per batch while a new version catches up. Twice the live batch, not more:
/// every batch transaction holds the log's read horizon (`pg_snapshot_xmin`) back while it
/// runs, so a bigger batch delays the *live* projections' next events by as long as it takes
/// (about 1 s at 5 000 events in a debug build, against 0.3 s at 1 000, which was also faster
/// overall).
pub const REBUILD_BATCH_SIZE: usize = 1_000;
/// How long the swap may wait for readers of the views before it gives up and retries.
const SWAP_LOCK_TIMEOUT: &str = "5s";
const SWAP_ATTEMPTS: u32 = 5;

/// How a rebuild runs.
#[derive(Debug, Clone)]
pub struct RebuildOptions {
    /// Events per catch-up batch.
    pub batch_size: usize,
    /// Keep the replaced version's tables (drop them later with `projector drop-retired`).
    pub keep_retired: bool,
}

impl Default for RebuildOptions {
    fn default() -> Self {
        RebuildOptions {
            batch_size: REBUILD_BATCH_SIZE,
            keep_retired: false,
        }
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
    pub projection: &'static str,
    /// The version now live.
    pub version: i32,
    /// The version it replaced, if there was one.
    pub replaced: Option<i32>,
    /// Whether the replaced version's tables were dropped.
    pub dropped: bool,
    /// Where the new version stood when it went live.
    pub position: Position,
    /// Events read from the log into the new version (catch-up and swap).
    pub events: u64,
    pub batches: u64,
    pub elapsed: Duration,
}

impl Projector {
    /// Rebuilds one projection (see the module doc). A rebuild that stopped half-way (crash,
    /// Ctrl-C) resumes from its version's checkpoint when run again.
    pub async fn rebuild(
        &self,
        name: &str,
        options: &RebuildOptions,
    ) -> Result<Rebuilt, ProjectorError> {
        let projection = Arc::clone(self.projection(name)?);
        self.rebuild_projection(projection, options).await
    }

    /// Rebuilds `projection`, registered or not (see [`Projector::rebuild`]); refuses with
    /// [`ProjectorError::NotReplaySafe`], before touching anything, one that does not declare
    /// itself replay-safe.
    pub async fn rebuild_projection(
        &self,
        projection: Arc<dyn Projection>,
        options: &RebuildOptions,
    ) -> Result<Rebuilt, ProjectorError> {
        let started = Instant::now();
        let name = projection.name();
        if !projection.replay_safe() {
            return Err(ProjectorError::NotReplaySafe(name.to_owned()));
        }
        let _lock = RebuildLock::acquire(self.pool().get().await?, name).await?;
        let building =
            registry::begin_building(&mut self.pool().get().await?, projection.as_ref()).await?;
        tracing::info!(projection = name, version = building.version, from = %building.position, "building");
        let mut rebuilt = Rebuilt {
            projection: projection.name(),
            version: building.version,
            replaced: None,
            dropped: false,
            position: building.position,
            events: 0,
            batches: 0,
            elapsed: Duration::ZERO,
        };
        self.fill(projection.as_ref(), &building, options, &mut rebuilt)
            .await?;
        self.swap(projection.as_ref(), options, &mut rebuilt)
            .await?;
        if let Some(replaced) = rebuilt.replaced
            && !options.keep_retired
        {
            let dropped = registry::drop_retired(&mut self.pool().get().await?, Some(name)).await?;
            rebuilt.dropped = dropped.contains(&(name.to_owned(), replaced));
        }
        rebuilt.elapsed = started.elapsed();
        tracing::info!(projection = name, version = rebuilt.version, events = rebuilt.events, elapsed = ?rebuilt.elapsed, "rebuilt");
        Ok(rebuilt)
    }

    /// Catches the building version up until a read comes back short of a full batch (the
    /// log's readable end, give or take what arrives meanwhile). Reads one batch ahead while
    /// the previous one is applied.
    async fn fill(
        &self,
        projection: &dyn Projection,
        building: &ProjectionVersion,
        options: &RebuildOptions,
        rebuilt: &mut Rebuilt,
    ) -> Result<(), ProjectorError> {
        let target = Target::building(projection, building.version);
        let categories = prefixes(projection);
        let mut events = self
            .store()
            .read_all_of(rebuilt.position, options.batch_size, &categories)
            .await?;
        while let Some(last) = events.last().map(|e| e.position) {
            let full = events.len() == options.batch_size;
            let ahead = full.then(|| self.read_ahead(last, options.batch_size, &categories));
            rebuilt.position = self.apply_to(target, rebuilt.position, &events).await?;
            rebuilt.events += events.len() as u64;
            rebuilt.batches += 1;
            events = match ahead {
                Some(read) => read
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))??,
                None => break,
            };
        }
        Ok(())
    }

    fn read_ahead(
        &self,
        after: Position,
        limit: usize,
        categories: &[&'static str],
    ) -> tokio::task::JoinHandle<Result<Vec<RecordedEvent>, StoreError>> {
        let store = Arc::clone(self.store());
        let categories = categories.to_vec();
        tokio::spawn(async move { store.read_all_of(after, limit, &categories).await })
    }

    /// Swaps the building version in, retrying when readers hold the views too long.
    async fn swap(
        &self,
        projection: &dyn Projection,
        options: &RebuildOptions,
        rebuilt: &mut Rebuilt,
    ) -> Result<(), ProjectorError> {
        let mut attempt = 1;
        loop {
            match self.try_swap(projection, options, rebuilt).await {
                Err(ProjectorError::Db(e))
                    if attempt < SWAP_ATTEMPTS
                        && e.code()
                            == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) =>
                {
                    tracing::warn!(
                        projection = projection.name(),
                        attempt,
                        "swap waited too long for readers; retrying"
                    );
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// One transaction: lock both registry rows (the live version's projector cannot commit
    /// while we hold them), apply whatever the live version has that the new one lacks, point
    /// the views at the new version and flip the states.
    async fn try_swap(
        &self,
        projection: &dyn Projection,
        options: &RebuildOptions,
        rebuilt: &mut Rebuilt,
    ) -> Result<(), ProjectorError> {
        let name = projection.name();
        let failed = |reason: String| ProjectorError::Rebuild {
            projection: name.to_owned(),
            reason,
        };
        let mut client = self.pool().get().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(&format!("SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'"))
            .await?;
        let (live, building) = registry::lock_for_swap(&tx, name).await?;
        let building = building
            .filter(|b| b.version == rebuilt.version)
            .ok_or_else(|| failed(format!("version {} is no longer building", rebuilt.version)))?;
        let target = Target::building(projection, building.version);
        let live_at = live.as_ref().map_or(Position::START, |l| l.position);
        let mut position = building.position;
        let (mut events, mut batches) = (0, 0);
        // The live version's position was readable when it got there, so everything up to it
        // is readable now: this loop ends.
        while position < live_at {
            let tail = self
                .store()
                .read_all_of(position, options.batch_size, &prefixes(projection))
                .await?;
            let last = tail
                .last()
                .map(|e| e.position)
                .ok_or_else(|| failed(format!("the log up to {live_at} is not readable")))?;
            apply_in(&tx, target, position, last, &tail).await?;
            (position, events, batches) = (last, events + tail.len() as u64, batches + 1);
        }
        registry::promote(
            &tx,
            projection,
            building.version,
            position,
            live.as_ref().map(|l| l.version),
        )
        .await?;
        tx.commit().await?;
        rebuilt.position = position;
        rebuilt.events += events;
        rebuilt.batches += batches;
        rebuilt.replaced = live.map(|l| l.version);
        tracing::info!(projection = name, version = building.version, position = %position, "swapped in");
        self.announce(name, position).await;
        Ok(())
    }
}

/// One rebuild per projection at a time: a session advisory lock on a connection taken out
/// of the pool, so it ends with that connection whatever happens.
struct RebuildLock {
    client: Option<Object>,
}

impl RebuildLock {
    async fn acquire(client: Object, projection: &str) -> Result<Self, ProjectorError> {
        let key = format!("pasar.rebuild.{projection}");
        let acquired: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&key],
            )
            .await?
            .get(0);
        if !acquired {
            return Err(ProjectorError::Rebuild {
                projection: projection.to_owned(),
                reason: "another rebuild of it is running".into(),
            });
        }
        Ok(RebuildLock {
            client: Some(client),
        })
    }
}

impl Drop for RebuildLock {
    fn drop(&mut self) {
        // Closing the connection (instead of returning it to the pool) releases the lock.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

/// The stream-name prefixes of `projection`'s categories: a rebuild reads only their payloads
/// (it writes only their events, see [`crate::projector`]'s batch filter).
fn prefixes(projection: &dyn Projection) -> Vec<&'static str> {
    projection.categories().iter().map(|c| c.as_str()).collect()
}
