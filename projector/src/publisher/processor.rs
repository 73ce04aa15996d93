//! The publisher as a processor of the runtime: every event of the log (categories unknown to
//! this build included) is handed to [`Publisher::publish`]; the runtime commits the
//! checkpoint once every ack came back. Not replay-safe: a rebuild never runs it.

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::Category;

use super::{PUBLISH_BATCH, Publisher, PublisherError};

#[async_trait]
impl Processor for Publisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn categories(&self) -> &[Category] {
        &Category::ALL
    }

    /// Every event of the log: other systems consume them all.
    fn wants(&self, _event: &RecordedEvent) -> bool {
        true
    }

    fn wants_by_category(&self) -> bool {
        false
    }

    fn batch_size(&self) -> usize {
        PUBLISH_BATCH
    }

    /// Its effect is in NATS: no batch transaction.
    fn transactional(&self) -> bool {
        false
    }

    /// Publishes the batch. Every failure is transient: the next attempt reconciles with the
    /// stream first, which is always safe; a stream that is not ours keeps failing (and is
    /// logged and counted) until an operator steps in.
    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        match self.publish(events).await {
            Ok(()) => {
                self.metrics.set_problem(None);
                Ok(())
            }
            Err(e) => {
                self.metrics.failed();
                if matches!(e, PublisherError::ForeignStream { .. }) {
                    self.metrics.set_problem(Some(format!(
                        "{e}. If the database was created anew, run `projector reset-stream --yes` \
                         to delete the stream and publish this log from its start"
                    )));
                }
                Err(ProcessError::transient(e))
            }
        }
    }

    fn on_active(&self, active: bool) {
        if active {
            tracing::info!(stream = %self.config.stream, "active integration-event publisher");
        }
        self.metrics.set_active(active);
    }
}
