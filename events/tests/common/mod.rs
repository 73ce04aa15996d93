//! Helpers shared by the event-store test binaries.

use pasar_events::{Metadata, NewEvent};
use uuid::Uuid;

pub fn event(n: i64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "Tested".into(),
        schema_version: 1,
        data: serde_json::json!({ "n": n }),
        metadata: Metadata {
            correlation_id: Some(Uuid::new_v4()),
            ..Metadata::default()
        },
    }
}

/// A fresh database on the local PostgreSQL (created by the store on connect).
pub fn database_url() -> String {
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{base}/pasar_test_{}", Uuid::new_v4().simple())
}

/// Reads the global log after `after` until at least `count` events are readable, waiting on
/// the store's wake-ups for at most 10 s. On PostgreSQL, an event becomes readable only once
/// every older transaction in the cluster has finished, which other tests running at the same
/// time can delay for a moment; the contract promises order, not immediacy.
pub async fn read_all_at_least(
    store: &dyn pasar_events::EventStore,
    after: pasar_events::Position,
    count: usize,
) -> Vec<pasar_events::RecordedEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = store.read_all(after, 10_000).await.expect("read_all");
        if events.len() >= count || std::time::Instant::now() > deadline {
            return events;
        }
        store
            .wait_for_events(
                events.last().map_or(after, |e| e.position),
                std::time::Duration::from_millis(200),
            )
            .await;
    }
}
