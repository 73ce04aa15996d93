//! Conversions between the EventStoreDB client's types and ours (versions, revisions,
//! positions, event data), and what a scan of one stream found.

use crate::envelope::{Metadata, NewEvent, Position, RecordedEvent};
use crate::store::{AppendResult, StoreError};
use chrono::{DateTime, Utc};
use eventstore::{CurrentRevision, EventData, ExpectedRevision, ResolvedEvent, StreamPosition};
use uuid::Uuid;

use super::{StoredMetadata, first_schema_version};

#[derive(Default)]
pub(super) struct StreamScan {
    /// Version (1-based) of the stream's last event; `None` if the stream does not exist.
    pub(super) current: Option<i64>,
    /// The batch's first event is stored: the original result.
    pub(super) original: Option<AppendResult>,
    /// Another event of the batch (not the first) is stored in the stream.
    pub(super) duplicate: Option<Uuid>,
}

/// The event read, or the link when the read resolved links (we never ask it to).
pub(super) fn original(resolved: &ResolvedEvent) -> Option<&eventstore::RecordedEvent> {
    resolved.link.as_ref().or(resolved.event.as_ref())
}

pub(super) fn is_system(event: &eventstore::RecordedEvent) -> bool {
    event.event_type.starts_with('$') || event.stream_id.starts_with('$')
}

pub(super) fn version_of(revision: u64) -> i64 {
    i64::try_from(revision).map_or(i64::MAX, |r| r + 1)
}

/// The expected revision (0-based revision of the last event) for a stream at `version`.
pub(super) fn revision_for(version: i64) -> ExpectedRevision {
    match u64::try_from(version - 1) {
        Ok(revision) => ExpectedRevision::Exact(revision),
        Err(_) => ExpectedRevision::NoStream,
    }
}

pub(super) fn version_of_current(current: CurrentRevision) -> i64 {
    match current {
        CurrentRevision::Current(revision) => version_of(revision),
        CurrentRevision::NoStream => 0,
    }
}

pub(super) fn position_of(p: eventstore::Position) -> Position {
    Position {
        txid: p.commit,
        global: i64::try_from(p.prepare).unwrap_or(i64::MAX),
    }
}

/// The `$all` position of an event, refusing the "no position" marker (`u64::MAX`) that
/// servers before EventStoreDB 22.6 send for events read from a stream rather than from `$all`.
pub(super) fn stored_position(event: &eventstore::RecordedEvent) -> Result<Position, StoreError> {
    if event.position.commit == u64::MAX {
        return Err(StoreError::Unavailable(format!(
            "the server gave no $all position for event {} of {}; EventStoreDB 22.6 or later \
             (or KurrentDB) is required",
            event.id, event.stream_id
        )));
    }
    Ok(position_of(event.position))
}

/// When the event was stored, to the 100 ns the server keeps (the client's own `created` is
/// truncated to the second).
pub(super) fn created_at(event: &eventstore::RecordedEvent) -> DateTime<Utc> {
    event
        .metadata
        .get("created")
        .and_then(|ticks| ticks.parse::<i64>().ok())
        .and_then(|ticks| {
            let nanos = u32::try_from(ticks.rem_euclid(10_000_000) * 100).ok()?;
            DateTime::from_timestamp(ticks.div_euclid(10_000_000), nanos)
        })
        .unwrap_or(event.created)
}

pub(super) fn esdb_position(p: Position) -> eventstore::Position {
    eventstore::Position {
        commit: p.txid,
        prepare: u64::try_from(p.global).unwrap_or(0),
    }
}

/// Where a read of `$all` "strictly after `after`" starts. Reads start *at* a position
/// (inclusive), so callers skip events at or before `after`.
pub(super) fn start_at(after: Position) -> StreamPosition<eventstore::Position> {
    if after == Position::START {
        StreamPosition::Start
    } else {
        StreamPosition::Position(esdb_position(after))
    }
}

pub(super) fn event_data(event: &NewEvent) -> Result<EventData, StoreError> {
    let metadata = StoredMetadata {
        metadata: event.metadata.clone(),
        schema_version: event.schema_version,
    };
    EventData::json(&event.event_type, &event.data)
        .and_then(|data| data.metadata_as_json(&metadata))
        .map(|data| data.id(event.event_id))
        .map_err(|e| StoreError::Invalid(format!("event {}: {e}", event.event_id)))
}

pub(super) fn recorded(event: &eventstore::RecordedEvent) -> Result<RecordedEvent, StoreError> {
    let data = if event.data.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&event.data).map_err(|e| {
            StoreError::Unavailable(format!(
                "event {} ({}@{}) is not JSON: {e}",
                event.id, event.stream_id, event.revision
            ))
        })?
    };
    let metadata = serde_json::from_slice::<StoredMetadata>(&event.custom_metadata).ok();
    let (metadata, schema_version) = metadata.map_or_else(
        || (Metadata::default(), first_schema_version()),
        |m| (m.metadata, m.schema_version),
    );
    Ok(RecordedEvent {
        event_id: event.id,
        stream: event.stream_id.clone(),
        stream_version: version_of(event.revision),
        position: stored_position(event)?,
        event_type: event.event_type.clone(),
        schema_version,
        data,
        metadata,
        recorded_at: created_at(event),
    })
}
