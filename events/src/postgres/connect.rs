//! Making a [`PgEventStore`]: on the primary (the database created if missing, the schema
//! migrated, wake-up tasks started) or on a streaming replica (read-only, no wake-ups).

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{Notify, watch};

use super::group;
use super::setup::{ensure_database, migrate, pool};
use super::wakeup::{listen, send_notifications};
use super::{Inner, PgEventStore, unavailable};
use crate::store::StoreError;

impl PgEventStore {
    /// Creates the database if needed, migrates the event-store schema and starts the
    /// wake-up tasks.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_pool_size(url, 16).await
    }

    /// Like [`PgEventStore::connect`] with `max_connections` pooled connections.
    pub async fn connect_with_pool_size(
        url: &str,
        max_connections: usize,
    ) -> Result<Self, StoreError> {
        ensure_database(url).await?;
        let pool = pool(url, max_connections)?;
        let store = Self::with_pool(pool).await?;
        tokio::spawn(listen(url.to_owned(), Arc::downgrade(&store.inner)));
        Ok(store)
    }

    /// Uses an existing pool (migrates; starts the notifier but not the LISTEN task).
    pub async fn with_pool(pool: Pool) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        let inner = Arc::new(Inner {
            groups: Some(group::start(pool.clone())),
            pool,
            wake: watch::channel(0).0,
            recheck: None,
            notify_others: Notify::new(),
            appending: Default::default(),
        });
        tokio::spawn(send_notifications(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// A reader of a streaming replica (a hot standby of the primary's database): nothing is
    /// created or migrated (the primary's services did that; a standby refuses writes), and
    /// since a standby can neither LISTEN nor hear the primary's NOTIFYs, readers waiting for
    /// new events look again every `recheck` (besides [`PgEventStore::wake`]). Appends fail.
    pub async fn connect_standby(
        url: &str,
        max_connections: usize,
        recheck: Duration,
    ) -> Result<Self, StoreError> {
        Self::standby_with_pool(pool(url, max_connections)?, recheck).await
    }

    /// Like [`PgEventStore::connect_standby`] on an existing pool.
    pub async fn standby_with_pool(pool: Pool, recheck: Duration) -> Result<Self, StoreError> {
        let client = pool
            .get()
            .await
            .map_err(|e| unavailable("connecting to the standby", e))?;
        client
            .query_one("SELECT count(*) FROM es_events WHERE false", &[])
            .await
            .map_err(|e| unavailable("reading the replicated log (is the primary migrated?)", e))?;
        drop(client);
        let inner = Arc::new(Inner {
            pool,
            wake: watch::channel(0).0,
            recheck: Some(recheck),
            notify_others: Notify::new(),
            groups: None,
            appending: Default::default(),
        });
        Ok(Self { inner })
    }

    /// Wakes the readers waiting in this process for new events (e.g. on a NATS message that
    /// the projector has moved on), so they look at the log now.
    pub fn wake(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }
}
