//! Announcing checkpoints after each commit, so the query API wakes readers that wait for a
//! consistency token without polling. Best effort on both paths: a lost announcement only
//! delays a reader until its next wake-up or poll; it never stops projecting.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::connection::State;
use deadpool_postgres::Pool;
use pasar_events::Position;
use tokio::sync::mpsc;

/// NATS core subjects `pasar.checkpoints.<projection>`, payload the position text.
pub const CHECKPOINT_SUBJECT_PREFIX: &str = "pasar.checkpoints";
/// PostgreSQL NOTIFY channel; payload `<projection> <position>`.
pub const CHECKPOINT_CHANNEL: &str = "pasar_checkpoints";

/// Publishes checkpoints on NATS (when connected) and through `pg_notify`.
#[derive(Clone)]
pub struct Announcer {
    nats: Option<async_nats::Client>,
    pool: Pool,
    /// The NOTIFY sender's queue, started with the first announcement.
    notifier: Arc<OnceLock<mpsc::UnboundedSender<String>>>,
}

/// Most NOTIFYs sent in one statement.
const MOST_NOTIFIES: usize = 128;

impl Announcer {
    pub fn new(pool: Pool, nats: Option<async_nats::Client>) -> Self {
        Announcer {
            nats,
            pool,
            notifier: Arc::default(),
        }
    }

    pub fn nats(&self) -> Option<&async_nats::Client> {
        self.nats.as_ref()
    }

    /// Tells listeners that `projection` now covers the log up to `position`. Call after the
    /// batch committed, never inside its transaction (a NOTIFY there would serialise commits
    /// on the notification queue lock and announce positions that might still roll back).
    /// The NOTIFY is queued: the projections of a process commit together (they follow one
    /// tail of the log), and their announcements leave in one statement.
    pub async fn announce(&self, projection: &str, position: Position) {
        self.publish_nats(projection, position).await;
        let notifier = self.notifier.get_or_init(|| {
            let (queue, payloads) = mpsc::unbounded_channel();
            tokio::spawn(send_notifies(self.pool.clone(), payloads));
            queue
        });
        let _ = notifier.send(format!("{projection} {position}"));
    }

    async fn publish_nats(&self, projection: &str, position: Position) {
        let Some(nats) = &self.nats else { return };
        // While disconnected the client queues messages and, once its buffer is full, blocks;
        // skipping is better: readers fall back to NOTIFY, and a stale position is worthless.
        if nats.connection_state() != State::Connected {
            return;
        }
        let subject = format!("{CHECKPOINT_SUBJECT_PREFIX}.{projection}");
        let publish = nats.publish(subject, position.to_string().into());
        match tokio::time::timeout(Duration::from_millis(250), publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, projection, "checkpoint publish failed"),
            Err(_) => tracing::debug!(projection, "checkpoint publish timed out"),
        }
    }
}

/// Sends the queued announcements, every one waiting at once in one statement; ends when the
/// announcer (every clone) is gone.
async fn send_notifies(pool: Pool, mut payloads: mpsc::UnboundedReceiver<String>) {
    let mut waiting = Vec::with_capacity(MOST_NOTIFIES);
    while payloads.recv_many(&mut waiting, MOST_NOTIFIES).await > 0 {
        match pool.get().await {
            Ok(client) => {
                // Without waiting for the WAL flush of its commit: an announcement lost in a
                // crash only delays a reader until its next poll. `unnest` keeps the order, so
                // a projection's positions arrive rising.
                // Through the statement cache: one round trip, not a Parse for every batch.
                let notified = pasar_events::postgres::cached::execute(
                    &client,
                    "SELECT set_config('synchronous_commit', 'off', true),
                            pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
                    &[&CHECKPOINT_CHANNEL, &waiting],
                )
                .await;
                if let Err(e) = notified {
                    tracing::debug!(error = %e, "checkpoint NOTIFY failed");
                }
            }
            Err(e) => tracing::debug!(error = %e, "no connection for the checkpoint NOTIFY"),
        }
        waiting.clear();
    }
}
