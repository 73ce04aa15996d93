//! TEMPORARY until the shared runtime lands (`pasar_events::runtime::Runtime`, being built
//! beside the `Processor` trait): a minimal driver that feeds each processor from the log with
//! a leader lock derived from its name, a checkpoint committed with the processor's writes,
//! its tick, and a retry on transient errors; and an applier for [`super::MIGRATIONS`]. At the
//! merge, `server::run` calls the runtime instead and this file goes.

use std::sync::Arc;
use std::time::Duration;

use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::{EventStore, Position, RecordedEvent};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_postgres::NoTls;

/// Applies command-api's migrations once each (TEMPORARY: the runtime's `migrate` replaces it).
pub async fn migrate(pool: &deadpool_postgres::Pool, steps: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7061736172000011);
         CREATE TABLE IF NOT EXISTS command_api_migrations (
             name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE IF NOT EXISTS reactor_checkpoints (
             name text PRIMARY KEY, txid bigint NOT NULL, global bigint NOT NULL,
             updated_at timestamptz NOT NULL DEFAULT now());",
    )
    .await?;
    for (name, sql) in steps {
        let done = tx
            .query_opt(
                "SELECT 1 FROM command_api_migrations WHERE name = $1",
                &[name],
            )
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO command_api_migrations (name) VALUES ($1)",
                &[name],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub struct Driver {
    pub store: Arc<dyn EventStore>,
    pub pool: deadpool_postgres::Pool,
    pub database_url: String,
}

impl Driver {
    /// One task per processor, running until aborted.
    pub fn spawn(self: &Arc<Self>, processors: Vec<Arc<dyn Processor>>) -> Vec<JoinHandle<()>> {
        processors
            .into_iter()
            .map(|p| {
                let driver = self.clone();
                tokio::spawn(async move {
                    loop {
                        if let Err(e) = driver.lead(p.as_ref()).await {
                            tracing::warn!(processor = p.name(), error = ?e, "processor stopped; retrying");
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                })
            })
            .collect()
    }

    fn lock_key(name: &str) -> i64 {
        let digest = Sha256::digest(name.as_bytes());
        i64::from_be_bytes(
            digest[..8]
                .try_into()
                .expect("invariant: a digest has 8 bytes"),
        )
    }

    /// Waits to be the one active instance of `processor`, then feeds it until an error.
    async fn lead(&self, processor: &dyn Processor) -> anyhow::Result<()> {
        let (lock, connection) = tokio_postgres::connect(&self.database_url, NoTls).await?;
        let connection = tokio::spawn(connection);
        let key = Self::lock_key(processor.name());
        while !lock
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await?
            .get::<_, bool>(0)
        {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        tracing::info!(processor = processor.name(), "processor active");
        let mut after = self.checkpoint(processor.name()).await?;
        let mut next_tick = Instant::now();
        loop {
            anyhow::ensure!(!connection.is_finished(), "lost the leader lock connection");
            if let Some(interval) = processor.tick_interval()
                && Instant::now() >= next_tick
            {
                match processor.tick().await {
                    Ok(()) => {}
                    Err(ProcessError::Transient(e)) => {
                        tracing::warn!(processor = processor.name(), error = %e, "tick failed; retrying next tick")
                    }
                    Err(e) => return Err(e.into()),
                }
                next_tick = Instant::now() + interval;
            }
            let events = self.store.read_all(after, processor.batch_size()).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                let wait = processor
                    .tick_interval()
                    .map_or(Duration::from_secs(1), |_| {
                        next_tick.saturating_duration_since(Instant::now())
                    });
                self.store
                    .wait_for_events(after, wait.min(Duration::from_secs(1)))
                    .await;
                continue;
            };
            self.feed(processor, &events, last).await?;
            after = last;
        }
    }

    /// Hands `processor` the events it wants and moves its checkpoint, in one transaction.
    async fn feed(
        &self,
        processor: &dyn Processor,
        events: &[RecordedEvent],
        last: Position,
    ) -> anyhow::Result<()> {
        let wanted: Vec<RecordedEvent> = events
            .iter()
            .filter(|e| {
                pasar_events::types::streams::Category::of(&e.stream)
                    .is_some_and(|c| processor.categories().contains(&c))
            })
            .cloned()
            .collect();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !wanted.is_empty() {
            processor.handle(&wanted, &tx).await?;
        }
        tx.execute(
            "INSERT INTO reactor_checkpoints (name, txid, global) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET txid = $2, global = $3, updated_at = now()",
            &[&processor.name(), &(last.txid as i64), &last.global],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn checkpoint(&self, name: &str) -> anyhow::Result<Position> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT txid, global FROM reactor_checkpoints WHERE name = $1",
                &[&name],
            )
            .await?;
        Ok(row.map_or(Position::START, |r| Position {
            txid: r.get::<_, i64>(0) as u64,
            global: r.get(1),
        }))
    }
}
