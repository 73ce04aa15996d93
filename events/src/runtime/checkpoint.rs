//! The one checkpoint table, `processor_checkpoints` (name → position), shared by every
//! processor. A row moves only by [`compare_and_set`] inside the transaction that carries the
//! processor's own writes, so both commit together.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::Position;
use crate::migrate::Migrations;

/// The runtime's own schema (the checkpoint table). Applied by the runtime before it runs
/// anything; listed here so tools can migrate it up front.
pub const MIGRATIONS: Migrations = Migrations {
    owner: "runtime",
    steps: &[(
        "001_processor_checkpoints",
        include_str!("../../migrations/runtime/001_processor_checkpoints.sql"),
    )],
};

/// Why a checkpoint could not be read or moved.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint table: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// Another instance (or a rebuild's swap) moved the row since it was read.
    #[error("checkpoint of {name} is at {actual}, expected {expected}")]
    Moved {
        name: String,
        expected: Position,
        actual: Position,
    },
    #[error("log position {0} does not fit the checkpoint columns")]
    OutOfRange(Position),
}

/// One processor's stored progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub name: String,
    pub position: Position,
    pub updated_at: DateTime<Utc>,
}

/// A position as the two bigint columns it is stored in.
pub fn columns(position: Position) -> Result<(i64, i64), CheckpointError> {
    let txid = i64::try_from(position.txid).map_err(|_| CheckpointError::OutOfRange(position))?;
    Ok((txid, position.global))
}

fn position_of(row: &tokio_postgres::Row) -> Position {
    Position {
        // The column's CHECK keeps it non-negative.
        txid: u64::try_from(row.get::<_, i64>("txid")).unwrap_or(0),
        global: row.get("global"),
    }
}

/// Registers `names` at the start of the log where they have no row yet.
pub async fn ensure(client: &impl GenericClient, names: &[&str]) -> Result<(), CheckpointError> {
    client
        .execute(
            "INSERT INTO public.processor_checkpoints (name) SELECT unnest($1::text[])
             ON CONFLICT (name) DO NOTHING",
            &[&names],
        )
        .await?;
    Ok(())
}

/// The stored position of `name` (START without a row).
pub async fn load(client: &impl GenericClient, name: &str) -> Result<Position, CheckpointError> {
    let row = client
        .query_opt(
            "SELECT txid, global FROM public.processor_checkpoints WHERE name = $1",
            &[&name],
        )
        .await?;
    Ok(row.as_ref().map_or(Position::START, position_of))
}

/// Every processor's checkpoint, by name: what `projector status` and `GET /v1/projections`
/// list (projections, the publisher, reactors, sweepers alike).
pub async fn load_all(client: &impl GenericClient) -> Result<Vec<Checkpoint>, CheckpointError> {
    let rows = client
        .query(
            "SELECT name, txid, global, updated_at FROM public.processor_checkpoints ORDER BY name",
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

/// Moves `name` from `expected` to `new`; call it inside the transaction that carries the
/// writes `new` covers. Fails with [`CheckpointError::Moved`] (and the caller rolls back) if
/// the row no longer holds `expected` (or is missing: see [`ensure`]).
pub async fn compare_and_set(
    client: &impl GenericClient,
    name: &str,
    expected: Position,
    new: Position,
) -> Result<(), CheckpointError> {
    const MOVE: &str = "UPDATE public.processor_checkpoints
        SET txid = $4, global = $5, updated_at = now()
        WHERE name = $1 AND txid = $2 AND global = $3";
    compare_and_set_with(client, MOVE, name, expected, new).await
}

/// [`compare_and_set`], committed without waiting for the WAL flush: as a statement of its
/// own (its own transaction) for a batch that writes nothing else, one round trip instead of
/// four (a PostgreSQL crash can only move the checkpoint back over events the processor does
/// not take); or as the last statement of a batch's transaction, which then commits without
/// waiting either (the setting is the transaction's, read at its commit).
pub async fn advance(
    client: &impl GenericClient,
    name: &str,
    expected: Position,
    new: Position,
) -> Result<(), CheckpointError> {
    const MOVE: &str = "UPDATE public.processor_checkpoints
        SET txid = $4, global = $5, updated_at = now()
        FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait
        WHERE name = $1 AND txid = $2 AND global = $3";
    compare_and_set_with(client, MOVE, name, expected, new).await
}

async fn compare_and_set_with(
    client: &impl GenericClient,
    sql: &str,
    name: &str,
    expected: Position,
    new: Position,
) -> Result<(), CheckpointError> {
    let (old_txid, old_global) = columns(expected)?;
    let (txid, global) = columns(new)?;
    // A concurrent holder of the row lock (another instance's batch, a rebuild's swap) makes
    // this wait, then re-check the condition against the row it committed.
    let updated = client
        .execute(sql, &[&name, &old_txid, &old_global, &txid, &global])
        .await?;
    if updated == 1 {
        return Ok(());
    }
    Err(CheckpointError::Moved {
        name: name.to_owned(),
        expected,
        actual: load(client, name).await?,
    })
}

/// Sets `name` to `position` whatever it held (a rebuild's swap, an operator's reset); inside
/// the caller's transaction.
pub async fn set(
    client: &impl GenericClient,
    name: &str,
    position: Position,
) -> Result<(), CheckpointError> {
    let (txid, global) = columns(position)?;
    client
        .execute(
            "INSERT INTO public.processor_checkpoints (name, txid, global) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET txid = EXCLUDED.txid, global = EXCLUDED.global,
                 updated_at = now()",
            &[&name, &txid, &global],
        )
        .await?;
    Ok(())
}
