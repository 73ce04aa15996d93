//! Reading events back: the columns every read selects, a row turned into a
//! [`RecordedEvent`], and the log as read for a processor of some categories
//! (`EventStore::read_all_of`).

use tokio_postgres::Row;

use super::position_of;
use crate::{Metadata, RecordedEvent, StoreError};

/// Every event of the stretch after `($1, $2)`, at most `$3`, in log order and only below the
/// oldest running transaction (as `read_all`), but only the payload of the events whose
/// category (the stream name's part before its first `-`, as `envelope::category_of`) is one
/// of `$4`: the other rows are read (their position moves the reader on) without their JSON.
pub(super) const READ_ALL_OF: &str =
    "SELECT global_position, transaction_id::text AS txid, stream_id, stream_version,
                    event_id, event_type, schema_version, recorded_at,
                    CASE WHEN split_part(stream_id, '-', 1) = ANY ($4::text[])
                         THEN data ELSE 'null'::jsonb END AS data,
                    CASE WHEN split_part(stream_id, '-', 1) = ANY ($4::text[])
                         THEN metadata ELSE '{}'::jsonb END AS metadata
             FROM es_events
             WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
               AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY transaction_id, global_position
             LIMIT $3";

pub(super) fn recorded(row: &Row) -> Result<RecordedEvent, StoreError> {
    let metadata: serde_json::Value = row.get("metadata");
    Ok(RecordedEvent {
        event_id: row.get("event_id"),
        stream: row.get("stream_id"),
        stream_version: row.get("stream_version"),
        position: position_of(row, "txid", "global_position")?,
        event_type: row.get("event_type"),
        schema_version: row.get("schema_version"),
        data: row.get("data"),
        metadata: serde_json::from_value::<Metadata>(metadata).unwrap_or_default(),
        recorded_at: row.get("recorded_at"),
    })
}

pub(super) const COLUMNS: &str = "global_position, transaction_id::text AS txid, stream_id, stream_version, event_id, \
                       event_type, schema_version, data, metadata, recorded_at";
