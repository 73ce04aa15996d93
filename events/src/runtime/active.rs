//! The active instance's loop (see `runner.rs`): batches until caught up, then wait for new
//! events or the next tick; transient errors back off and retry the same batch.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::lock::LeaderLock;
use super::metrics::ProcessorMetrics;
use super::runner::{Ended, Runtime, RuntimeError, Target};
use super::step::{At, Batch, STORE_EVERY};
use super::tail::Tail;
use super::{ProcessError, Processor};
use crate::Position;

/// Shortest gap between two lag measurements (each reads the log's head) during a catch-up.
const LAG_INTERVAL: Duration = Duration::from_secs(1);

impl Runtime {
    /// Processes while this instance holds `lock` (a shared processor), or until shutdown
    /// (a local one, which has no lock). `Err` only for a fatal error.
    pub(super) async fn run_active(
        &self,
        target: Target<'_>,
        metrics: &ProcessorMetrics,
        mut lock: Option<&mut LeaderLock>,
        shutdown: &CancellationToken,
    ) -> Result<Ended, RuntimeError> {
        let options = &self.inner.options;
        let mut backoff = Backoff::new(options.min_backoff, options.max_backoff);
        let ticked = match target {
            Target::Shared(processor) => Some(processor),
            Target::Local(_) => None,
        };
        let mut next_tick = ticked
            .and_then(|p| p.tick_interval())
            .map(|every| Instant::now() + every);
        let mut last_lag: Option<Instant> = None;
        // Reloaded from the table after every error: the truth may have moved.
        let mut position: Option<At> = None;
        // When the checkpoint row last caught up with the position (see `step.rs`).
        let mut stored_at = Instant::now();
        let tail = Arc::clone(self.tail());
        while !shutdown.is_cancelled() {
            if let Some(processor) = ticked {
                self.tick_if_due(processor, metrics, &mut next_tick).await?;
            }
            let outcome = match position {
                Some(at) => self.step_live(target, at, &tail).await.map(|b| (at, b)),
                None => self
                    .load_checkpoint(target)
                    .await
                    .map(|from| (At::stored(from), None)),
            };
            let wait = match outcome {
                Ok((_, Some(batch))) => {
                    backoff.reset();
                    self.committed(metrics, &batch, &mut last_lag).await;
                    if batch.stored == batch.position {
                        stored_at = Instant::now();
                    }
                    position = Some(At {
                        position: batch.position,
                        stored: batch.stored,
                        defer: stored_at.elapsed() < STORE_EVERY,
                    });
                    continue;
                }
                Ok((at, None)) if position.is_none() => {
                    stored_at = Instant::now();
                    position = Some(At { defer: true, ..at });
                    continue;
                }
                Ok((at, None)) => {
                    // Caught up: nothing readable is pending, so the lag is zero without
                    // asking the log for its head on every idle wake-up.
                    backoff.reset();
                    metrics.lag(at.position, at.position, None);
                    match self.store_if_due(target, at, &mut stored_at).await {
                        Ok(at) => {
                            position = Some(at);
                            None
                        }
                        Err(e) => {
                            position = None;
                            Some(retry_wait(target, metrics, &mut backoff, e)?)
                        }
                    }
                }
                Err(e) => {
                    position = None;
                    Some(retry_wait(target, metrics, &mut backoff, e)?)
                }
            };
            // A row left behind is moved once STORE_EVERY has passed, even if nothing comes.
            let store_due = position
                .filter(|at| at.stored != at.position)
                .map(|_| stored_at + STORE_EVERY);
            let wake = match (next_tick, store_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let from = position.map_or(Position::START, |at| at.position);
            if let Some(ended) = self
                .pause(&tail, lock.as_deref_mut(), shutdown, wake, wait, from)
                .await
            {
                if matches!(ended, Ended::Shutdown) {
                    self.store_on_shutdown(target, position).await;
                }
                return Ok(ended);
            }
        }
        self.store_on_shutdown(target, position).await;
        Ok(Ended::Shutdown)
    }

    /// Moves the checkpoint row up to the position when it has been left behind for
    /// [`STORE_EVERY`]; where the processor then stands.
    async fn store_if_due(
        &self,
        target: Target<'_>,
        at: At,
        stored_at: &mut Instant,
    ) -> Result<At, RuntimeError> {
        if at.stored == at.position || stored_at.elapsed() < STORE_EVERY {
            return Ok(at);
        }
        self.store_position(target, at).await?;
        *stored_at = Instant::now();
        Ok(At {
            stored: at.position,
            defer: true,
            ..at
        })
    }

    /// Best effort on the way out: a row left behind is moved up (otherwise the next
    /// instance only reads those events again and skips them again).
    async fn store_on_shutdown(&self, target: Target<'_>, at: Option<At>) {
        if let Some(at) = at
            && let Err(e) = self.store_position(target, at).await
        {
            tracing::debug!(processor = target.name(), error = %e, "could not store the position on shutdown");
        }
    }

    /// Counts a committed batch; measures the lag (which reads the log's head) at most once
    /// per [`LAG_INTERVAL`] during a catch-up.
    async fn committed(
        &self,
        metrics: &ProcessorMetrics,
        batch: &Batch,
        last_lag: &mut Option<Instant>,
    ) {
        metrics.committed(batch.position, batch.events);
        if last_lag.is_none_or(|at| at.elapsed() >= LAG_INTERVAL) {
            self.measure_lag(metrics, batch.position, Some(batch.oldest))
                .await;
            *last_lag = Some(Instant::now());
        }
    }

    /// Waits for `backoff` (after a failure) or for events after `from` (when caught up), or
    /// until the next tick; `Some` when the active period ends meanwhile.
    async fn pause(
        &self,
        tail: &Tail,
        lock: Option<&mut LeaderLock>,
        shutdown: &CancellationToken,
        next_tick: Option<Instant>,
        backoff: Option<Duration>,
        from: Position,
    ) -> Option<Ended> {
        let idle_wait = self.inner.options.idle_wait;
        tokio::select! {
            () = shutdown.cancelled() => Some(Ended::Shutdown),
            () = lock_lost(lock) => Some(Ended::LockLost),
            () = sleep_until(next_tick) => None,
            () = async {
                match backoff {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => tail.wait_after(from, idle_wait).await,
                }
            } => None,
        }
    }

    /// Runs the processor's tick if one is due (never while a batch is in flight: the loop
    /// calls it between batches). A transient failure is logged and counted; the next tick
    /// comes at the usual interval.
    async fn tick_if_due(
        &self,
        processor: &dyn Processor,
        metrics: &ProcessorMetrics,
        next_tick: &mut Option<Instant>,
    ) -> Result<(), RuntimeError> {
        let (Some(due), Some(every)) = (*next_tick, processor.tick_interval()) else {
            return Ok(());
        };
        if Instant::now() < due {
            return Ok(());
        }
        *next_tick = Some(Instant::now() + every);
        match processor.tick().await {
            Ok(()) => Ok(()),
            Err(source) => {
                let fatal = matches!(source, ProcessError::Fatal(_));
                metrics.error(fatal);
                let e = RuntimeError::Process {
                    name: processor.name().to_owned(),
                    source,
                };
                if fatal {
                    return Err(e);
                }
                tracing::warn!(processor = processor.name(), error = %e, "tick failed");
                Ok(())
            }
        }
    }

    async fn measure_lag(
        &self,
        metrics: &ProcessorMetrics,
        position: Position,
        oldest: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        if let Ok(head) = self.inner.store.head().await {
            metrics.lag(position, head, oldest);
        }
    }
}

/// Resolves when `lock` is lost, or never without one (a local processor holds none).
async fn lock_lost(lock: Option<&mut LeaderLock>) {
    match lock {
        Some(lock) => lock.lost().await,
        None => std::future::pending().await,
    }
}

/// Resolves at `at`, or never without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Counts a failed batch: a fatal error ends the loop (`Err`), a transient one is retried
/// after the next backoff wait (returned).
fn retry_wait(
    target: Target<'_>,
    metrics: &ProcessorMetrics,
    backoff: &mut Backoff,
    e: RuntimeError,
) -> Result<Duration, RuntimeError> {
    metrics.error(e.is_fatal());
    if e.is_fatal() {
        return Err(e);
    }
    let wait = backoff.next_wait();
    tracing::warn!(processor = target.name(), error = %e, retry_in = ?wait, "batch failed; retrying");
    Ok(wait)
}
