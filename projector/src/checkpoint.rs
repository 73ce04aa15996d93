//! Checkpoints (`rm.projection_checkpoints`) and the one-active-instance lock.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use deadpool_postgres::Transaction;
use pasar_events::Position;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

use crate::ProjectorError;
use crate::projections::position_columns;

/// A projection's stored progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub name: String,
    pub position: Position,
    pub updated_at: DateTime<Utc>,
}

/// Creates a START checkpoint for each name that has none.
pub async fn ensure(client: &impl GenericClient, names: &[&str]) -> Result<(), ProjectorError> {
    client
        .execute(
            "INSERT INTO rm.projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
            &[&names],
        )
        .await?;
    Ok(())
}

fn position_of(row: &tokio_postgres::Row) -> Position {
    let txid: i64 = row.get("txid");
    // Stored from a u64, so never negative; START if someone wrote nonsense by hand.
    Position {
        txid: u64::try_from(txid).unwrap_or(0),
        global: row.get("global"),
    }
}

/// The stored position of one projection (START if it has no row yet).
pub async fn load(client: &impl GenericClient, name: &str) -> Result<Position, ProjectorError> {
    let row = client
        .query_opt(
            "SELECT txid, global FROM rm.projection_checkpoints WHERE name = $1",
            &[&name],
        )
        .await?;
    Ok(row.as_ref().map_or(Position::START, position_of))
}

/// Every stored checkpoint, by name.
pub async fn load_all(client: &impl GenericClient) -> Result<Vec<Checkpoint>, ProjectorError> {
    let rows = client
        .query(
            "SELECT name, txid, global, updated_at FROM rm.projection_checkpoints ORDER BY name",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Checkpoint {
            name: row.get("name"),
            position: position_of(row),
            updated_at: row.get("updated_at"),
        })
        .collect())
}

/// Moves `name` from `expected` to `new` inside the batch transaction. Fails with
/// [`ProjectorError::CheckpointMoved`] (and the caller rolls back) if the row no longer holds
/// `expected`: another instance projected the same events.
pub async fn compare_and_set(
    tx: &Transaction<'_>,
    name: &str,
    expected: Position,
    new: Position,
) -> Result<(), ProjectorError> {
    let (old_txid, old_global) = position_columns(expected)?;
    let (new_txid, new_global) = position_columns(new)?;
    let updated = tx
        .execute(
            "UPDATE rm.projection_checkpoints SET txid = $4, global = $5, updated_at = now()
             WHERE name = $1 AND txid = $2 AND global = $3",
            &[&name, &old_txid, &old_global, &new_txid, &new_global],
        )
        .await?;
    if updated == 1 {
        return Ok(());
    }
    let actual = load(tx, name).await?;
    Err(ProjectorError::CheckpointMoved {
        projection: name.to_owned(),
        expected,
        actual,
    })
}

/// A session advisory lock held on a dedicated connection: while it is held, this process is
/// the one active instance of the projection. Released when dropped or when the connection
/// dies (then [`ProjectionLock::lost`] resolves).
pub struct ProjectionLock {
    _client: tokio_postgres::Client,
    connection: JoinHandle<()>,
}

impl ProjectionLock {
    /// Tries once; `Ok(None)` when another instance holds the lock.
    pub async fn try_acquire(
        database_url: &str,
        projection: &str,
    ) -> Result<Option<Self>, ProjectorError> {
        let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "projection lock connection ended");
            }
        });
        let key = format!("pasar.projection.{projection}");
        let acquired: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&key],
            )
            .await?
            .get(0);
        if acquired {
            Ok(Some(ProjectionLock {
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
        if self.connection.is_finished() {
            return;
        }
        let _ = (&mut self.connection).await;
    }
}

impl Drop for ProjectionLock {
    fn drop(&mut self) {
        self.connection.abort();
    }
}
