//! Unit tests of the EventStoreDB backend's mappings (no server needed).

use chrono::{DateTime, Utc};
use eventstore::CurrentRevision;

use super::*;

#[test]
fn versions_and_revisions_map_one_to_one() {
    assert_eq!(revision_for(0), ExpectedRevision::NoStream);
    assert_eq!(revision_for(1), ExpectedRevision::Exact(0));
    assert_eq!(revision_for(7), ExpectedRevision::Exact(6));
    assert_eq!(version_of(0), 1);
    assert_eq!(version_of_current(CurrentRevision::NoStream), 0);
    assert_eq!(version_of_current(CurrentRevision::Current(4)), 5);
}

#[test]
fn positions_round_trip_and_keep_the_log_order() {
    let a = eventstore::Position {
        commit: 10,
        prepare: 10,
    };
    let b = eventstore::Position {
        commit: 10,
        prepare: 250,
    };
    let c = eventstore::Position {
        commit: 300,
        prepare: 120,
    };
    assert_eq!(esdb_position(position_of(b)), b);
    assert!(a < b && b < c);
    assert!(position_of(a) < position_of(b) && position_of(b) < position_of(c));
    assert_eq!(start_at(Position::START), StreamPosition::Start);
}

#[test]
fn the_creation_time_keeps_the_servers_precision() {
    let mut event = eventstore::RecordedEvent {
        stream_id: "order-1".into(),
        id: Uuid::new_v4(),
        revision: 0,
        event_type: "Tested".into(),
        data: Default::default(),
        metadata: Default::default(),
        custom_metadata: Default::default(),
        is_json: true,
        position: eventstore::Position::end(),
        created: DateTime::UNIX_EPOCH,
    };
    // 2024-01-02T03:04:05.1234567Z in 100 ns ticks since the Unix epoch.
    event
        .metadata
        .insert("created".into(), "17041646451234567".into());
    assert_eq!(
        created_at(&event).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "2024-01-02T03:04:05.123456700Z"
    );
    assert!(matches!(
        stored_position(&event),
        Err(StoreError::Unavailable(_))
    ));
    event.metadata.clear();
    assert_eq!(created_at(&event), DateTime::<Utc>::UNIX_EPOCH);
}

#[test]
fn metadata_carries_the_schema_version_and_defaults_when_absent() {
    let event = NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "Tested".into(),
        schema_version: 3,
        data: serde_json::json!({ "n": 1 }),
        metadata: Metadata {
            correlation_id: Some(Uuid::new_v4()),
            ..Metadata::default()
        },
    };
    let stored = StoredMetadata {
        metadata: event.metadata.clone(),
        schema_version: event.schema_version,
    };
    let json = serde_json::to_vec(&stored).unwrap();
    let back: StoredMetadata = serde_json::from_slice(&json).unwrap();
    assert_eq!(back.metadata, event.metadata);
    assert_eq!(back.schema_version, 3);
    let bare: StoredMetadata = serde_json::from_slice(b"{}").unwrap();
    assert_eq!(bare.schema_version, 1);
    assert!(event_data(&event).is_ok());
}
