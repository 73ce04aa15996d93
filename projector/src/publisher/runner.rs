//! The long-running publisher: one task beside the projections, with its own NATS
//! connection and lock. It becomes the active publisher (others stand by), publishes what is
//! pending, waits for new events with `EventStore::wait_for_events`, and after any failure
//! backs off, reconciles with the stream and goes on.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::checkpoint::PublisherLock;
use super::{Cursor, Publisher, PublisherConfig, jetstream_error};

/// How long an idle publisher waits for a wake-up before looking at the log anyway.
const IDLE_WAIT: Duration = Duration::from_secs(5);
/// How often a standby instance tries to take over.
const STANDBY_RETRY: Duration = Duration::from_secs(5);
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Publisher {
    /// The long-running loop: become the active publisher, publish, wait for new events;
    /// on any failure back off, reconcile and go on. Returns on shutdown.
    pub async fn run(&self, database_url: &str, shutdown: &CancellationToken) {
        while let Some(mut lock) = self.become_active(database_url, shutdown).await {
            tracing::info!(stream = %self.config.stream, "active integration-event publisher");
            self.metrics.publisher.set_active(true);
            self.publish_while_active(&mut lock, shutdown).await;
            self.metrics.publisher.set_active(false);
        }
    }

    async fn become_active(
        &self,
        database_url: &str,
        shutdown: &CancellationToken,
    ) -> Option<PublisherLock> {
        let mut announced_standby = false;
        let mut backoff = MIN_BACKOFF;
        while !shutdown.is_cancelled() {
            let wait = match PublisherLock::try_acquire(database_url).await {
                Ok(Some(lock)) => return Some(lock),
                Ok(None) => {
                    if !announced_standby {
                        tracing::info!("another process publishes integration events; standing by");
                        announced_standby = true;
                    }
                    STANDBY_RETRY
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not take the publisher lock");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(wait) => {}
            }
        }
        None
    }

    /// Publishes until shutdown or until the lock's connection dies.
    async fn publish_while_active(&self, lock: &mut PublisherLock, shutdown: &CancellationToken) {
        let mut backoff = MIN_BACKOFF;
        let mut cursor: Option<Cursor> = None;
        loop {
            let outcome = match cursor.as_mut() {
                Some(cursor) => self.publish_pending(cursor, shutdown).await,
                None => match self.reconcile().await {
                    Ok(reconciled) => {
                        self.publish_pending(cursor.insert(reconciled), shutdown)
                            .await
                    }
                    Err(e) => Err(e),
                },
            };
            match outcome {
                Ok(published) => {
                    backoff = MIN_BACKOFF;
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = lock.lost() => {
                            tracing::warn!("lost the publisher lock");
                            return;
                        }
                        () = self.store.wait_for_events(published.position, IDLE_WAIT) => {}
                    }
                }
                Err(e) => {
                    // Whatever happened, the stream is the truth: reconcile before going on.
                    cursor = None;
                    self.metrics.publisher.failed();
                    tracing::warn!(error = %e, retry_in = ?backoff, "publishing integration events failed");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = lock.lost() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Starts the publisher beside the projections, with its own NATS connection (connecting in
/// the background) and its own lock; `None` when `PUBLISHER_ENABLED=false`. The task ends
/// once `shutdown` fires.
pub fn spawn(
    config: &crate::Config,
    publisher: PublisherConfig,
    projector: &crate::Projector,
    shutdown: &CancellationToken,
) -> Option<JoinHandle<()>> {
    if !publisher.enabled {
        tracing::info!("integration-event publisher disabled (PUBLISHER_ENABLED=false)");
        return None;
    }
    let store = Arc::clone(projector.store());
    let pool = projector.pool().clone();
    let metrics = Arc::clone(projector.metrics());
    let (config, publisher_config, shutdown) = (config.clone(), publisher, shutdown.clone());
    Some(tokio::spawn(async move {
        let mut backoff = MIN_BACKOFF;
        let publisher = loop {
            let attempt = async {
                let client = async_nats::ConnectOptions::new()
                    .name("pasar-publisher")
                    .retry_on_initial_connect()
                    .connection_timeout(Duration::from_secs(2))
                    .connect(&config.nats_url)
                    .await
                    .map_err(jetstream_error("connecting"))?;
                let jetstream = Publisher::jetstream(client);
                Publisher::new(
                    Arc::clone(&store),
                    pool.clone(),
                    jetstream,
                    publisher_config.clone(),
                    Arc::clone(&metrics),
                )
                .await
            };
            match attempt.await {
                Ok(publisher) => break publisher,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "could not start the publisher")
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        };
        publisher.run(&config.database_url, &shutdown).await;
    }))
}
