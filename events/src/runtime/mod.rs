//! The processor runtime: everything that follows the log (projections, the NATS publisher,
//! reactors, the expiry sweeper, and later thumbnail makers and the search indexer) is a named
//! [`Processor`] that this runtime feeds.
//!
//! One runtime gives every processor the same machinery: one checkpoint table, one leader
//! lock derived from the processor's name (one active instance per name across processes; the
//! others stand by), one backoff loop, one set of metrics (position, lag in events and seconds,
//! errors) and one migration mechanism for every schema.
//!
//! Delivery is at least once: a processor may see an event again after a crash between its
//! effects and its checkpoint, so every handler must be idempotent. Writes made through the
//! batch transaction handed to [`Processor::handle`] commit atomically with the checkpoint
//! (exactly-once effect for read models); effects elsewhere happen in [`Processor::react`],
//! with no transaction open.
//!
//! - [`Processor`] and [`ProcessError`]: the contract (below).
//! - `runner.rs`: [`Runtime`] (`spawn` the long-running tasks, `catch_up` for tests and
//!   CLIs); `active.rs` the active instance's loop (batches, waits, ticks, backoff);
//!   `step.rs` one batch (and why a live processor's checkpoint row may trail its position
//!   by up to a second over events it does not take).
//! - [`checkpoint`]: the one checkpoint table, `processor_checkpoints`.
//! - [`LocalProcessor`] (`local.rs`): a processor whose state is local to each process that
//!   hosts it (the search index), checkpoint kept with that state, no leader lock; fed by the
//!   same loop (`Runtime::run_local`, `Runtime::catch_up_local`).
//! - `tail.rs`: one reader of the log's head per runtime; processors following the log live
//!   take their batches from its memory instead of each reading the store; `advances.rs`:
//!   their checkpoint moves over batches they take nothing from, sent as one statement.
//! - [`lock`]: the leader lock derived from the name.
//! - `metrics.rs`: the metric names (position, lag, errors, active/standby).
//! - [`migrate`]: the one migration mechanism (re-exported from [`crate::migrate`], which the
//!   event store uses without this feature).

mod active;
mod advances;
mod backoff;
pub mod checkpoint;
mod local;
pub mod lock;
mod metrics;
mod runner;
mod step;
mod tail;
mod target;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use crate::types::streams::Category;
use crate::{Position, RecordedEvent};

pub use crate::migrate::{MigrateError, Migrations, migrate};
pub use backoff::Backoff;
pub use checkpoint::{Checkpoint, CheckpointError};
pub use local::LocalProcessor;
pub use runner::{CaughtUp, Runtime, RuntimeError, RuntimeOptions};

impl ProcessError {
    /// A [`ProcessError::Transient`] from any error.
    pub fn transient(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ProcessError::Transient(e.into())
    }

    /// A [`ProcessError::Fatal`] from any error.
    pub fn fatal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ProcessError::Fatal(e.into())
    }
}

/// A processor's failure. The runtime retries a [`ProcessError::Transient`] batch with
/// backoff (the checkpoint has not moved); a [`ProcessError::Fatal`] one stops this processor
/// (logged and counted) until the process restarts, because retrying cannot help.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// A dependency is down or a race was lost: try the same batch again later.
    #[error("transient: {0}")]
    Transient(Box<dyn std::error::Error + Send + Sync>),
    /// The batch can never succeed (an undecodable event, a broken invariant).
    #[error("fatal: {0}")]
    Fatal(Box<dyn std::error::Error + Send + Sync>),
}

/// Something that follows the log.
#[async_trait]
pub trait Processor: Send + Sync + 'static {
    /// Unique, stable name: its checkpoint row, its leader lock (derived by hashing), its
    /// metrics label. Renaming a processor restarts it from the beginning of the log.
    fn name(&self) -> &str;

    /// Stream categories it wants. Events of other categories are not passed to
    /// [`Processor::handle`]; they only move the checkpoint.
    fn categories(&self) -> &[Category];

    /// Whether replaying the log into fresh state has no effect outside that state. Rebuilds
    /// run only replay-safe processors; anything with side effects (NATS, Midtrans, emails,
    /// appending to the log) keeps the default `false`.
    fn replay_safe(&self) -> bool {
        false
    }

    /// Whether `event` is passed to [`Processor::handle`]. By default: its stream's category
    /// is one of [`Processor::categories`]. A processor that wants every event of the log
    /// (the NATS publisher, including categories unknown to this build) overrides it.
    fn wants(&self, event: &RecordedEvent) -> bool {
        Category::of(&event.stream).is_some_and(|c| self.categories().contains(&c))
    }

    /// Whether [`Processor::wants`] takes events of [`Processor::categories`] only (true for
    /// the default `wants`), so the store may send other events without their payload. A
    /// processor whose `wants` takes more (the NATS publisher) answers `false`; the runtime
    /// stops a processor that answers `true` and then wants another category's event.
    fn wants_by_category(&self) -> bool {
        true
    }

    /// Most events per batch.
    fn batch_size(&self) -> usize {
        500
    }

    /// Acts on `events` (only those of [`Processor::categories`], in log order; never empty)
    /// outside any transaction, before [`Processor::handle`]: effects away from the runtime's
    /// database (appends to the log, idempotent by event id; NATS; object storage; mail) and
    /// anything long (an import, image resizing), which must not hold a transaction, a pooled
    /// connection or the log's read horizon while it works. An `Err`, or a crash before the
    /// checkpoint commits, leaves the checkpoint where it was and the batch comes again, so
    /// what it does must be idempotent. Default: nothing.
    async fn react(&self, _events: &[RecordedEvent]) -> Result<(), ProcessError> {
        Ok(())
    }

    /// Whether [`Processor::handle`] writes through the batch's transaction (the default). A
    /// processor whose effects are all in [`Processor::react`] answers `false`: its batches
    /// then open no transaction (`handle` is not called), and the runtime moves its checkpoint
    /// in a statement of its own, sent with the other processors' moves.
    fn transactional(&self) -> bool {
        true
    }

    /// Handles `events` (as [`Processor::react`] got them, after it returned `Ok`) inside `tx`,
    /// a transaction on the runtime's PostgreSQL database; the runtime compare-and-sets this
    /// processor's checkpoint in it after `handle` returns `Ok` and then commits, so
    /// read-model writes made through `tx` and the checkpoint commit together. An `Err` rolls
    /// the transaction back and leaves the checkpoint where it was. Default: nothing.
    async fn handle(
        &self,
        _events: &[RecordedEvent],
        _tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        Ok(())
    }

    /// Periodic work apart from the log (the expiry sweep). When `Some`, the runtime calls
    /// [`Processor::tick`] at this interval while this instance is the active one, never
    /// concurrently with `handle` of the same processor.
    fn tick_interval(&self) -> Option<Duration> {
        None
    }

    /// See [`Processor::tick_interval`].
    async fn tick(&self) -> Result<(), ProcessError> {
        Ok(())
    }

    /// Called after a batch's transaction committed with the checkpoint at `position`, the
    /// batch having covered `events` events of the log (those not handed over included), and
    /// never for a rolled-back one: announcements, caches, counters. Best effort; cannot fail.
    async fn committed(&self, _position: Position, _events: usize) {}

    /// Told when this instance becomes the active one (`true`, it holds the leader lock) or
    /// stops being it (`false`: lock lost, shutdown, fatal error). The runtime's own metrics
    /// already count this; a processor may mirror it.
    fn on_active(&self, _active: bool) {}
}
