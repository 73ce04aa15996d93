//! Snapshots in PostgreSQL (`es_snapshots`, one row per stream, the newest kept) and the
//! look-up of stored event ids that lets a writer recognise a retry from before a snapshot.

use uuid::Uuid;

use super::{PgEventStore, position_of};
use crate::store::{Snapshot, StoreError};

pub(super) async fn load(
    store: &PgEventStore,
    stream: &str,
) -> Result<Option<Snapshot>, StoreError> {
    let rows = store
        .query(
            "reading a snapshot",
            "SELECT stream_version, transaction_id::text AS txid, global_position, schema_version, state
             FROM es_snapshots WHERE stream_id = $1",
            &[&stream],
        )
        .await?;
    rows.first()
        .map(|row| {
            Ok(Snapshot {
                stream: stream.to_owned(),
                version: row.get("stream_version"),
                position: position_of(row, "txid", "global_position")?,
                schema: row.get("schema_version"),
                state: row.get("state"),
            })
        })
        .transpose()
}

/// Upserts `snapshot` unless the row already holds a newer version.
pub(super) async fn save(store: &PgEventStore, snapshot: &Snapshot) -> Result<(), StoreError> {
    store
        .query(
            "saving a snapshot",
            "INSERT INTO es_snapshots
                 (stream_id, stream_version, transaction_id, global_position, schema_version, state)
             VALUES ($1, $2, $3::text::xid8, $4, $5, $6)
             ON CONFLICT (stream_id) DO UPDATE SET
                 stream_version = EXCLUDED.stream_version, transaction_id = EXCLUDED.transaction_id,
                 global_position = EXCLUDED.global_position, schema_version = EXCLUDED.schema_version,
                 state = EXCLUDED.state, taken_at = now()
             WHERE es_snapshots.stream_version < EXCLUDED.stream_version",
            &[
                &snapshot.stream,
                &snapshot.version,
                &snapshot.position.txid.to_string(),
                &snapshot.position.global,
                &snapshot.schema,
                &snapshot.state,
            ],
        )
        .await?;
    Ok(())
}

/// Which of `ids` are stored in `stream` (one index look-up each, through `event_id`'s key).
pub(super) async fn stored_ids(
    store: &PgEventStore,
    stream: &str,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, StoreError> {
    let rows = store
        .query(
            "looking up event ids",
            "SELECT event_id FROM es_events WHERE event_id = ANY($1) AND stream_id = $2",
            &[&ids, &stream],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get("event_id")).collect())
}
