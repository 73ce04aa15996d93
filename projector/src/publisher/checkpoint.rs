//! The publisher's own progress (`rm.publisher_checkpoints`, one row per JetStream stream) and
//! its one-active-instance lock. Deliberately apart from `rm.projection_checkpoints`: the
//! publisher is not a projection, and rebuilds or replays must never move it.

use deadpool_postgres::GenericClient;
use pasar_events::Position;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

use super::PublisherError;

/// Session advisory lock held by the one active publisher of a database. The other keys of
/// the `0x7061_7361_72…` ("pasar") family: 01 event-store migrations, 02 read-model
/// migrations, 10 reactors.
pub const LOCK_KEY: i64 = 0x7061_7361_7200_0020;
/// Serialises the creation of the checkpoint table by concurrently starting processes.
const SCHEMA_LOCK: i64 = 0x7061_7361_7200_0021;

/// Created by the publisher itself rather than by the numbered read-model migrations: the
/// table is no read model and outlives every rebuild. Each statement must stay safe to run
/// again; change it by adding statements, never by editing these.
const SCHEMA: &str = "
    SET LOCAL client_min_messages = warning;
    CREATE SCHEMA IF NOT EXISTS rm;
    CREATE TABLE IF NOT EXISTS rm.publisher_checkpoints (
        -- The JetStream stream published to: a new stream name starts from the log's start.
        stream          text PRIMARY KEY,
        -- Position of the last event the stream has acknowledged (or reconciliation found).
        txid            bigint NOT NULL DEFAULT 0,
        global          bigint NOT NULL DEFAULT 0,
        -- The stream sequence of that event's message, for operators.
        stream_sequence bigint NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now()
    );";

/// Creates the table (if missing) and a START row for `stream` (if missing).
pub async fn ensure(client: &mut impl GenericClient, stream: &str) -> Result<(), PublisherError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await?;
    tx.batch_execute(SCHEMA).await?;
    tx.execute(
        "INSERT INTO rm.publisher_checkpoints (stream) VALUES ($1) ON CONFLICT (stream) DO NOTHING",
        &[&stream],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The stored position for `stream` (START without a row).
pub async fn load(client: &impl GenericClient, stream: &str) -> Result<Position, PublisherError> {
    let row = client
        .query_opt(
            "SELECT txid, global FROM rm.publisher_checkpoints WHERE stream = $1",
            &[&stream],
        )
        .await?;
    Ok(row.map_or(Position::START, |row| Position {
        txid: u64::try_from(row.get::<_, i64>("txid")).unwrap_or(0),
        global: row.get("global"),
    }))
}

/// Moves the checkpoint from `expected` to `new` after the stream acknowledged everything up
/// to `new`. Fails with [`PublisherError::CheckpointMoved`] if the row no longer holds
/// `expected` (another publisher moved it: this one then reconciles).
pub async fn commit(
    client: &impl GenericClient,
    stream: &str,
    expected: Position,
    new: Position,
    stream_sequence: u64,
) -> Result<(), PublisherError> {
    let (old_txid, old_global) = columns(expected)?;
    let (txid, global) = columns(new)?;
    let sequence = i64::try_from(stream_sequence).unwrap_or(i64::MAX);
    let updated = client
        .execute(
            "UPDATE rm.publisher_checkpoints
             SET txid = $4, global = $5, stream_sequence = $6, updated_at = now()
             WHERE stream = $1 AND txid = $2 AND global = $3",
            &[&stream, &old_txid, &old_global, &txid, &global, &sequence],
        )
        .await?;
    if updated == 1 {
        return Ok(());
    }
    Err(PublisherError::CheckpointMoved {
        expected,
        actual: load(client, stream).await?,
    })
}

/// Moves the checkpoint forward to `found` (never back): the stream already holds everything
/// up to it. Returns where the checkpoint stands afterwards.
pub async fn advance(
    client: &impl GenericClient,
    stream: &str,
    found: Position,
    stream_sequence: u64,
) -> Result<Position, PublisherError> {
    let (txid, global) = columns(found)?;
    let sequence = i64::try_from(stream_sequence).unwrap_or(i64::MAX);
    client
        .execute(
            "UPDATE rm.publisher_checkpoints
             SET txid = $2, global = $3, stream_sequence = $4, updated_at = now()
             WHERE stream = $1 AND (txid, global) < ($2, $3)",
            &[&stream, &txid, &global, &sequence],
        )
        .await?;
    load(client, stream).await
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

fn columns(position: Position) -> Result<(i64, i64), PublisherError> {
    let txid =
        i64::try_from(position.txid).map_err(|_| PublisherError::PositionOutOfRange(position))?;
    Ok((txid, position.global))
}

/// [`LOCK_KEY`] held on a dedicated connection: while held, this process is the active
/// publisher. Released when dropped or when the connection dies ([`PublisherLock::lost`]).
pub struct PublisherLock {
    _client: tokio_postgres::Client,
    connection: JoinHandle<()>,
}

impl PublisherLock {
    /// Tries once; `Ok(None)` when another process publishes.
    pub async fn try_acquire(database_url: &str) -> Result<Option<Self>, PublisherError> {
        let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "publisher lock connection ended");
            }
        });
        let acquired: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await?
            .get(0);
        if acquired {
            Ok(Some(PublisherLock {
                _client: client,
                connection,
            }))
        } else {
            connection.abort();
            Ok(None)
        }
    }

    /// Resolves when the lock's connection has ended (the lock is then gone).
    pub async fn lost(&mut self) {
        if !self.connection.is_finished() {
            let _ = (&mut self.connection).await;
        }
    }
}

impl Drop for PublisherLock {
    fn drop(&mut self) {
        self.connection.abort();
    }
}
