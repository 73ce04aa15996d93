//! The publisher's progress: its row in the runtime's one checkpoint table
//! (`publisher.<stream>`: a new stream name starts from the log's start), plus what reading it
//! needs (lag, the position of an event the stream names).
//!
//! New in the renovation (issue 6): `rm.publisher_checkpoints` and the publisher's own lock
//! key are gone; no production data existed, so nothing is carried over (a fresh publisher
//! reconciles with its stream before publishing anything, so it republishes nothing the
//! stream holds).

use deadpool_postgres::GenericClient;
use pasar_events::Position;
use pasar_events::runtime::{RuntimeError, checkpoint};

use super::PublisherError;

/// The processor (and checkpoint row) name of the publisher of `stream`.
pub fn processor_name(stream: &str) -> String {
    format!("publisher.{stream}")
}

/// The stored position for `stream` (START without a row).
pub async fn load(client: &impl GenericClient, stream: &str) -> Result<Position, PublisherError> {
    checkpoint::load(client, &processor_name(stream))
        .await
        .map_err(|e| PublisherError::Checkpoint(e.to_string()))
}

/// A runtime failure as the publisher reports it: its own error when it was one.
pub fn runtime_error(e: RuntimeError) -> PublisherError {
    match e {
        RuntimeError::Store(e) => PublisherError::Store(e),
        RuntimeError::Db(e) => PublisherError::Db(e),
        RuntimeError::Pool(e) => PublisherError::Pool(e),
        RuntimeError::Process { source, .. } => {
            let inner = match source {
                pasar_events::runtime::ProcessError::Transient(e)
                | pasar_events::runtime::ProcessError::Fatal(e) => e,
            };
            match inner.downcast::<PublisherError>() {
                Ok(e) => *e,
                Err(other) => PublisherError::Checkpoint(other.to_string()),
            }
        }
        other => PublisherError::Checkpoint(other.to_string()),
    }
}

/// Where `event_id` sits in this database's log, if it is there at all.
pub async fn position_in_log(
    client: &impl GenericClient,
    event_id: uuid::Uuid,
) -> Result<Option<Position>, PublisherError> {
    let row = client
        .query_opt(
            "SELECT transaction_id::text, global_position FROM es_events WHERE event_id = $1",
            &[&event_id],
        )
        .await?;
    Ok(row.and_then(|row| {
        let txid: String = row.get(0);
        Some(Position {
            txid: txid.parse().ok()?,
            global: row.get(1),
        })
    }))
}

/// How far the publisher of `stream` is behind the log.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lag {
    pub position: Position,
    /// Events in the log after the checkpoint (committed or still in flight).
    pub events: i64,
    /// Age of the oldest of those events; 0 when there are none.
    pub seconds: f64,
}

/// Reads the checkpoint and counts the events after it (in `es_events`, same database).
pub async fn lag(client: &impl GenericClient, stream: &str) -> Result<Lag, PublisherError> {
    let position = load(client, stream).await?;
    let row = client
        .query_one(
            "SELECT count(*),
                    COALESCE(extract(epoch FROM now() - min(recorded_at))::float8, 0)
             FROM es_events
             WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)",
            &[&position.txid.to_string(), &position.global],
        )
        .await?;
    Ok(Lag {
        position,
        events: row.get(0),
        seconds: row.get::<_, f64>(1).max(0.0),
    })
}
