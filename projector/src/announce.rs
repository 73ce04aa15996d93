//! Announcing checkpoints after each commit, so the query API wakes readers that wait for a
//! consistency token without polling. Best effort on both paths: a lost announcement only
//! delays a reader until its next wake-up or poll; it never stops projecting.

use std::time::Duration;

use async_nats::connection::State;
use deadpool_postgres::Pool;
use pasar_events::Position;

/// NATS core subjects `pasar.checkpoints.<projection>`, payload the position text.
pub const CHECKPOINT_SUBJECT_PREFIX: &str = "pasar.checkpoints";
/// PostgreSQL NOTIFY channel; payload `<projection> <position>`.
pub const CHECKPOINT_CHANNEL: &str = "pasar_checkpoints";

/// Publishes checkpoints on NATS (when connected) and through `pg_notify`.
#[derive(Clone)]
pub struct Announcer {
    nats: Option<async_nats::Client>,
    pool: Pool,
}

impl Announcer {
    pub fn new(pool: Pool, nats: Option<async_nats::Client>) -> Self {
        Announcer { nats, pool }
    }

    pub fn nats(&self) -> Option<&async_nats::Client> {
        self.nats.as_ref()
    }

    /// Tells listeners that `projection` now covers the log up to `position`. Call after the
    /// batch committed, never inside its transaction (a NOTIFY there would serialise commits
    /// on the notification queue lock and announce positions that might still roll back).
    pub async fn announce(&self, projection: &str, position: Position) {
        self.publish_nats(projection, position).await;
        let payload = format!("{projection} {position}");
        match self.pool.get().await {
            Ok(client) => {
                if let Err(e) = client
                    // Without waiting for the WAL flush of its commit: an announcement lost
                    // in a crash only delays a reader until its next poll.
                    .execute(
                        "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)",
                        &[&CHECKPOINT_CHANNEL, &payload],
                    )
                    .await
                {
                    tracing::debug!(error = %e, projection, "checkpoint NOTIFY failed");
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, projection, "no connection for the checkpoint NOTIFY")
            }
        }
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
