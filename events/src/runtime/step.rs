//! One batch: read the stretch of the log after a processor's position (from the store, or
//! from the shared tail's memory when following live), hand over the wanted events (to
//! `react` with no transaction open, then to `handle` inside the batch's transaction), and
//! move the checkpoint: in that transaction, or, for a processor that writes nothing there
//! (`transactional` is `false`), in a statement of its own sent with other processors' moves.
//!
//! A batch with nothing the processor takes need not move its checkpoint row at once: a
//! processor following live says so ([`At::defer`]), and its position then moves in memory
//! only (its `committed` hook still announces it: everything up to it is done, since the
//! events skipped have no effect on it). The row catches up with the next batch that writes,
//! or after [`STORE_EVERY`] (`active.rs`). A crash in between only makes the processor read
//! those events again and skip them again. Without this, every commit to the log moved the
//! row of every processor that had nothing to do with it: in a flash sale, 14,000 UPDATEs of
//! the checkpoint table for 1,000 checkouts.

use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::checkpoint;
use super::runner::{Runtime, RuntimeError, Target};
use super::tail::Tail;
use crate::{Position, RecordedEvent};

/// Longest a processor following live leaves its checkpoint row behind its position.
pub(super) const STORE_EVERY: Duration = Duration::from_secs(1);

/// Where a processor stands before a batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    /// The position it has handled everything up to: the batch starts right after it.
    pub(super) position: Position,
    /// What its checkpoint row holds (at or before `position`).
    pub(super) stored: Position,
    /// Whether a batch with nothing wanted may leave the row where it is.
    pub(super) defer: bool,
}

impl At {
    /// At `position`, which the row holds; every batch moves the row.
    pub(super) fn stored(position: Position) -> At {
        At {
            position,
            stored: position,
            defer: false,
        }
    }
}

/// What one batch covered.
pub(super) struct Batch {
    pub(super) position: Position,
    /// What the checkpoint row holds now.
    pub(super) stored: Position,
    pub(super) events: usize,
    /// Recorded time of the batch's first event (for the lag in seconds).
    pub(super) oldest: DateTime<Utc>,
}

impl Runtime {
    /// One batch after `at` for either kind of processor, read from the store; `None` when
    /// the log holds nothing after it.
    pub(super) async fn step_target(
        &self,
        target: Target<'_>,
        at: At,
    ) -> Result<Option<Batch>, RuntimeError> {
        // Read before the write transaction opens: a transaction of ours that holds an xid
        // would hold the log's read horizon (and so our own next read) back.
        let events = target.read(self.inner.store.as_ref(), at.position).await?;
        self.process(target, at, events, |e| e).await
    }

    /// [`Runtime::step_target`] for a processor following the log live: from the shared
    /// tail's memory when it holds the stretch after `at` (`None` when it holds nothing
    /// newer yet), from the store otherwise.
    pub(super) async fn step_live(
        &self,
        target: Target<'_>,
        at: At,
        tail: &Tail,
    ) -> Result<Option<Batch>, RuntimeError> {
        match tail.after(at.position, target.batch_size()) {
            Some(events) => self.process(target, at, events, Arc::unwrap_or_clone).await,
            None => self.step_target(target, at).await,
        }
    }

    /// Moves the row of a shared processor from `at.stored` to `at.position`, where they
    /// differ.
    pub(super) async fn store_position(
        &self,
        target: Target<'_>,
        at: At,
    ) -> Result<(), RuntimeError> {
        if matches!(target, Target::Shared(_)) && at.stored != at.position {
            self.advances()
                .advance(target.name(), at.stored, at.position)
                .await?;
        }
        Ok(())
    }

    /// Hands the wanted `events` (the log's stretch right after `at`) to `target` and moves
    /// its position over all of them; `None` when there are none.
    async fn process<E: Borrow<RecordedEvent>>(
        &self,
        target: Target<'_>,
        at: At,
        events: Vec<E>,
        own: fn(E) -> RecordedEvent,
    ) -> Result<Option<Batch>, RuntimeError> {
        let name = target.name();
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(None);
        };
        let mut batch = Batch {
            position: last.borrow().position,
            stored: at.stored,
            events: events.len(),
            oldest: first.borrow().recorded_at,
        };
        let failed = |source| RuntimeError::Process {
            name: name.to_owned(),
            source,
        };
        let wanted = target.wanted(events, own).map_err(failed)?;
        let processor = match target {
            Target::Shared(processor) => processor,
            Target::Local(processor) => {
                // The processor commits its state and its checkpoint together.
                processor
                    .apply(&wanted, batch.position)
                    .await
                    .map_err(failed)?;
                batch.stored = batch.position;
                return Ok(Some(batch));
            }
        };
        let took = !wanted.is_empty();
        if took {
            processor.react(&wanted).await.map_err(failed)?;
        }
        if !took || !processor.transactional() {
            // No writes to commit with the checkpoint. A batch the processor acted on moves
            // the row at once (deferring it would only make a crash act on the batch again).
            if took || !at.defer {
                self.advances()
                    .advance(name, at.stored, batch.position)
                    .await?;
                batch.stored = batch.position;
            }
            processor.committed(batch.position, batch.events).await;
            return Ok(Some(batch));
        }
        let mut client = self.inner.pool.get().await?;
        let tx = client.transaction().await?;
        processor.handle(&wanted, &tx).await.map_err(failed)?;
        // The batch's writes and checkpoint commit together without waiting for the WAL
        // flush (the checkpoint's statement sets that for the transaction: no round trip of
        // its own): a PostgreSQL crash can lose both (never one), and the batch is then
        // handled again, as after a crash of this process before the commit (delivery is at
        // least once). Waiting would hold the transaction, and with it every tailing reader's
        // horizon, for a flush per batch.
        checkpoint::advance(&tx, name, at.stored, batch.position).await?;
        tx.commit().await?;
        batch.stored = batch.position;
        processor.committed(batch.position, batch.events).await;
        Ok(Some(batch))
    }
}
