//! The long-running loop: one task per projection. Each task becomes the projection's active
//! instance by taking its advisory lock (others stand by), catches up, then waits for new
//! events with `EventStore::wait_for_events`.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Projector;
use crate::checkpoint::ProjectionLock;

/// How long a live projection waits for a wake-up before looking at the log anyway.
const IDLE_WAIT: Duration = Duration::from_secs(5);
/// How often a standby instance tries to take over.
const STANDBY_RETRY: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Projector {
    /// Starts one task per projection; they stop between batches once `shutdown` fires.
    /// `database_url` is used for the dedicated lock connections.
    pub fn spawn_live(
        self: &Arc<Self>,
        database_url: &str,
        shutdown: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        self.projections()
            .iter()
            .map(|p| {
                let (projector, url, shutdown, name) = (
                    Arc::clone(self),
                    database_url.to_owned(),
                    shutdown.clone(),
                    p.name(),
                );
                tokio::spawn(async move { projector.run_projection(name, &url, &shutdown).await })
            })
            .collect()
    }

    async fn run_projection(
        &self,
        name: &'static str,
        database_url: &str,
        shutdown: &CancellationToken,
    ) {
        while let Some(mut lock) = self.become_active(name, database_url, shutdown).await {
            tracing::info!(projection = name, "active");
            self.metrics().set_active(name, true);
            self.project_while_active(name, &mut lock, shutdown).await;
            self.metrics().set_active(name, false);
            drop(lock);
        }
    }

    /// Waits until this process holds the projection's lock; `None` on shutdown.
    async fn become_active(
        &self,
        name: &str,
        database_url: &str,
        shutdown: &CancellationToken,
    ) -> Option<ProjectionLock> {
        let mut announced_standby = false;
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            let wait = match ProjectionLock::try_acquire(database_url, name).await {
                Ok(Some(lock)) => return Some(lock),
                Ok(None) => {
                    if !announced_standby {
                        tracing::info!(
                            projection = name,
                            "another instance is active; standing by"
                        );
                        announced_standby = true;
                    }
                    STANDBY_RETRY
                }
                Err(e) => {
                    tracing::warn!(projection = name, error = %e, "could not take the projection lock");
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

    /// Projects until shutdown or until the lock's connection dies.
    async fn project_while_active(
        &self,
        name: &'static str,
        lock: &mut ProjectionLock,
        shutdown: &CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.catch_up_until_cancelled(name, shutdown).await {
                Ok(progress) => {
                    backoff = Duration::from_millis(100);
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = lock.lost() => {
                            tracing::warn!(projection = name, "lost the projection lock");
                            return;
                        }
                        () = self.store().wait_for_events(progress.position, IDLE_WAIT) => {}
                    }
                }
                Err(e) => {
                    tracing::error!(projection = name, error = %e, retry_in = ?backoff, "projection batch failed");
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
