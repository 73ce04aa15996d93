//! The long-running publisher: one task beside the projections, with its own NATS
//! connection; once connected it runs on the processor runtime (leader lock, backoff,
//! wake-ups), like every processor.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Publisher, PublisherConfig, jetstream_error};

const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

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
                    .connect(pasar_service::nats_urls(&config.nats_url))
                    .await
                    .map_err(jetstream_error("connecting"))?;
                let jetstream = Publisher::jetstream(client);
                Publisher::new(
                    Arc::clone(&store),
                    pool.clone(),
                    jetstream,
                    publisher_config.clone(),
                    Arc::clone(&metrics.publisher),
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
