//! Test harness: a fresh PostgreSQL database per test, the real event store, the projector.

pub mod fixtures;
pub mod workload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::Pool;
use pasar_events::postgres::PgEventStore;
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata, NewEvent, Position};
use pasar_projector::{CaughtUp, Config, Projector};
use serde_json::Value;
use uuid::Uuid;

pub use pasar_service::testing::TestDb;

/// Store, projector and a pool on one fresh database.
pub struct Harness {
    pub store: PgEventStore,
    pub projector: Projector,
    pub pool: Pool,
    last_appended: Mutex<Position>,
    // Last, so it is dropped after everything that holds connections.
    pub db: TestDb,
}

impl Harness {
    pub async fn new() -> Self {
        let db = TestDb::create().await;
        let store = PgEventStore::connect(&db.url).await.expect("event store");
        let pool = pasar_events::postgres::pool(&db.url, 4).expect("pool");
        let projector = Projector::new(Arc::new(store.clone()), pool.clone())
            .await
            .expect("projector");
        Harness {
            store,
            projector,
            pool,
            last_appended: Mutex::new(Position::START),
            db,
        }
    }

    /// Appends typed events to `stream` and returns the last one's position.
    pub async fn append<E: DomainEvent>(&self, stream: &str, events: &[E]) -> Position {
        let new = events
            .iter()
            .map(|e| e.to_new_event(Uuid::new_v4(), Metadata::default()))
            .collect();
        self.append_raw(stream, new).await
    }

    /// Appends stored-form events as they are (for malformed payloads).
    pub async fn append_raw(&self, stream: &str, events: Vec<NewEvent>) -> Position {
        let result = self
            .store
            .append(stream, ExpectedVersion::Any, events)
            .await
            .expect("append");
        let mut last = self.last_appended.lock().unwrap();
        *last = (*last).max(result.position);
        result.position
    }

    /// Catches up until every projection covers everything appended so far. Appends become
    /// readable only once no older transaction in the cluster is running, so a first pass
    /// can miss them; the loop waits for the store's wake-up, not a fixed time.
    pub async fn project(&self) -> CaughtUp {
        let target = *self.last_appended.lock().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let caught_up = self.projector.catch_up().await.expect("catch up");
            if caught_up.min_position() >= target {
                return caught_up;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "log never reached {target}"
            );
            self.store
                .wait_for_events(caught_up.min_position(), Duration::from_secs(1))
                .await;
        }
    }

    /// Waits until everything appended so far is readable from the log.
    pub async fn wait_readable(&self) {
        let target = *self.last_appended.lock().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let head = self.store.head().await.expect("head");
            if head >= target {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "log never reached {target}"
            );
            self.store
                .wait_for_events(head, Duration::from_secs(1))
                .await;
        }
    }

    /// Every row of a table as JSON, in primary-key order.
    pub async fn rows(&self, table: &str) -> Vec<Value> {
        let client = self.pool.get().await.unwrap();
        let sql = format!("SELECT to_jsonb(t) FROM {table} t ORDER BY 1");
        client
            .query(&sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// One row by id as JSON.
    pub async fn row(&self, table: &str, id: Uuid) -> Option<Value> {
        let client = self.pool.get().await.unwrap();
        let sql = format!("SELECT to_jsonb(t) FROM {table} t WHERE id = $1");
        client
            .query_opt(&sql, &[&id])
            .await
            .unwrap()
            .map(|r| r.get(0))
    }

    pub async fn checkpoint(&self, projection: &str) -> Position {
        pasar_projector::checkpoint::load(&self.pool.get().await.unwrap(), projection)
            .await
            .unwrap()
    }

    /// A projector configuration for this database, serving HTTP on `addr`.
    pub fn config(&self, addr: &str) -> Config {
        Config {
            database_url: self.db.url.clone(),
            nats_url: "nats://127.0.0.1:4222".into(),
            addr: addr.parse().unwrap(),
        }
    }

    /// The registry: `(name, version, state, tables dropped)` by name and version.
    pub async fn versions(&self) -> Vec<(String, i32, String, bool)> {
        let client = self.pool.get().await.unwrap();
        client
            .query(
                "SELECT name, version, state, dropped_at IS NOT NULL FROM rm.projection_versions
                 ORDER BY name, version",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }

    /// The single bigint a query returns.
    pub async fn count(&self, sql: &str) -> i64 {
        let client = self.pool.get().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// Moves every live checkpoint back to the start, as a crash before the checkpoint was
    /// read back (or a replay) would: the next catch-up delivers everything again.
    pub async fn rewind_checkpoints(&self) {
        let client = self.pool.get().await.unwrap();
        client
            .execute(
                "UPDATE processor_checkpoints SET txid = 0, global = 0 WHERE name NOT LIKE '%@v%'",
                &[],
            )
            .await
            .unwrap();
    }
}
