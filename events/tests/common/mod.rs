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
