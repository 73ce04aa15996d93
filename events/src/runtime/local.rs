//! [`LocalProcessor`]: a processor whose state lives in the process that runs it (the search
//! index of each query-API replica), with its checkpoint kept beside that state instead of in
//! `processor_checkpoints`.
//!
//! It is fed by the same loop as every other processor (`active.rs`): the same reads of the
//! log (so the same delivery order, and only below the oldest running transaction, so no late
//! commit is skipped), the same wake-ups, backoff and metrics. What differs: no leader lock
//! (every process hosting it runs its own copy), no PostgreSQL transaction, and the checkpoint
//! is whatever [`LocalProcessor::checkpoint`] says, moved by [`LocalProcessor::apply`]
//! together with the state it covers.

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::ProcessError;
use super::metrics::ProcessorMetrics;
use super::runner::{CaughtUp, Runtime, RuntimeError, Target};
use super::step::At;
use crate::types::streams::Category;
use crate::{Position, RecordedEvent};

/// Something that follows the log into state of its own, in every process that hosts it.
///
/// Delivery is at least once (a crash between reading a batch and committing it replays the
/// batch), so [`LocalProcessor::apply`] must be idempotent.
#[async_trait]
pub trait LocalProcessor: Send + Sync + 'static {
    /// Stable name: its metrics label and log field (no checkpoint row, no lock).
    fn name(&self) -> &str;

    /// Stream categories it wants; other events only move its checkpoint.
    fn categories(&self) -> &[Category];

    /// Whether `event` is passed to [`LocalProcessor::apply`]; by default, by category.
    fn wants(&self, event: &RecordedEvent) -> bool {
        Category::of(&event.stream).is_some_and(|c| self.categories().contains(&c))
    }

    /// As [`super::Processor::wants_by_category`].
    fn wants_by_category(&self) -> bool {
        true
    }

    /// Most events per batch.
    fn batch_size(&self) -> usize {
        500
    }

    /// The position its state covers, as last committed (`Position::START` when empty).
    async fn checkpoint(&self) -> Result<Position, ProcessError>;

    /// Applies `events` (the wanted ones of a batch, in log order; possibly none) and
    /// commits `position` (the batch's last position) as its checkpoint atomically with them.
    /// An `Err` must leave both the state and the checkpoint as they were.
    async fn apply(&self, events: &[RecordedEvent], position: Position)
    -> Result<(), ProcessError>;
}

impl Runtime {
    /// Runs `processor` until `shutdown`: catch up from its own checkpoint, then follow the
    /// log. Transient errors back off and retry; a fatal one stops it until the process
    /// restarts (logged and counted).
    pub async fn run_local(&self, processor: &dyn LocalProcessor, shutdown: &CancellationToken) {
        let name = processor.name();
        let metrics = ProcessorMetrics::new(name);
        metrics.active(true);
        tracing::info!(processor = name, "local processor running");
        let ended = self
            .run_active(Target::Local(processor), &metrics, None, shutdown)
            .await;
        metrics.active(false);
        if let Err(e) = ended {
            tracing::error!(processor = name, error = %e, "fatal error; local processor stopped until restart");
        }
    }

    /// Processes everything readable now into `processor`, then returns what it did (tests,
    /// CLIs, rebuilds).
    pub async fn catch_up_local(
        &self,
        processor: &dyn LocalProcessor,
    ) -> Result<CaughtUp, RuntimeError> {
        let target = Target::Local(processor);
        let mut caught_up = CaughtUp {
            position: self.load_checkpoint(target).await?,
            ..CaughtUp::default()
        };
        while let Some(batch) = self
            .step_target(target, At::stored(caught_up.position))
            .await?
        {
            caught_up.position = batch.position;
            caught_up.events += batch.events as u64;
            caught_up.batches += 1;
        }
        Ok(caught_up)
    }
}
