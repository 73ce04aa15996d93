//! A projection as a processor of the runtime (`pasar_events::runtime`): the runtime reads the
//! batch, opens the transaction, moves the checkpoint and commits; [`ProjectionProcessor`]
//! writes the batch into the live version's tables inside that transaction and announces the
//! checkpoint after the commit.

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::Category;
use pasar_events::{Position, RecordedEvent};

use crate::announce::Announcer;
use crate::metrics::Metrics;
use crate::slices::{self, Projection};
use crate::{BATCH_SIZE, ProjectorError, registry};

/// One projection fed by the runtime. See the module doc.
pub(crate) struct ProjectionProcessor {
    pub projection: Arc<dyn Projection>,
    pub announcer: Announcer,
    pub metrics: Arc<Metrics>,
}

#[async_trait]
impl Processor for ProjectionProcessor {
    fn name(&self) -> &str {
        self.projection.name()
    }

    fn categories(&self) -> &[Category] {
        self.projection.categories()
    }

    fn replay_safe(&self) -> bool {
        self.projection.replay_safe()
    }

    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        let name = self.projection.name();
        let written = async {
            // The runtime's batch transaction commits without waiting for the WAL flush.
            let version = registry::share_live(tx, name).await?;
            let events: Vec<&RecordedEvent> = events.iter().collect();
            write_batch(tx, self.projection.as_ref(), version, &events).await
        };
        written.await.map_err(|e| {
            self.metrics.failed(name);
            process_error(e)
        })
    }

    fn on_active(&self, active: bool) {
        self.metrics.set_active(self.projection.name(), active);
    }

    async fn committed(&self, position: Position, events: usize) {
        let name = self.projection.name();
        self.metrics.batch_committed(name, events);
        self.announcer.announce(name, position).await;
    }
}

/// An event this build cannot project (or a position beyond the columns) stops the
/// projection; anything else (database, a swap under the batch) is retried.
pub(crate) fn process_error(e: ProjectorError) -> ProcessError {
    match e {
        ProjectorError::Undecodable { .. } | ProjectorError::PositionOutOfRange(_) => {
            ProcessError::fatal(e)
        }
        _ => ProcessError::transient(e),
    }
}

/// No WAL flush wait: rows and checkpoint commit together and both derive from the log, so a
/// server crash can only lose the last few milliseconds of batches as a whole, which are
/// projected again. Readers see the commit at once either way.
pub(crate) async fn no_flush_wait(tx: &Transaction<'_>) -> Result<(), ProjectorError> {
    tx.batch_execute("SET LOCAL synchronous_commit = off")
        .await?;
    Ok(())
}

/// Inside `tx`: writes `events` (those of the projection's categories, in log order) into
/// version `version` of `projection`. The checkpoint is the caller's.
pub(crate) async fn write_batch(
    tx: &Transaction<'_>,
    projection: &dyn Projection,
    version: i32,
    events: &[&RecordedEvent],
) -> Result<(), ProjectorError> {
    // Every write looks rows up by key, but a multi-row one joins an array to a table, and
    // PostgreSQL keeps the generic plan it settles on for a cached statement: one made while a
    // new version's tables were nearly empty would hash-join them by scanning them whole, for
    // good. Only index lookups are planned here. (Sent with the version's search path: one
    // round trip.)
    registry::use_version(
        tx,
        projection.name(),
        version,
        "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; \
         SET LOCAL enable_seqscan = off",
    )
    .await?;
    let mut writes = Vec::new();
    projection.batch_writes(events, &mut writes)?;
    // The whole batch in one pipeline: one round trip's wait instead of one per statement.
    slices::execute_pipelined(tx, &writes).await
}
