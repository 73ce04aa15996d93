//! Checkpoints and the one-active-instance lock.
//!
//! Every projection version's checkpoint is its row in `rm.projection_versions` (see
//! `registry.rs`), moved by compare-and-set in the same transaction as the rows it covers.
//! The functions taking only a name act on the *live* version; `rm.projection_checkpoints` is
//! a view of those (what the query API reads for consistency tokens).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use deadpool_postgres::Transaction;
use pasar_events::Position;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

use crate::ProjectorError;
use crate::projections::position_columns;
use crate::registry::{self, VersionState};

/// A live version's stored progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub name: String,
    pub position: Position,
    pub updated_at: DateTime<Utc>,
}

/// Registers a live version 1 at the start of the log for each name that has no version at
/// all: a checkpoint without read-model tables. (Projections get theirs, with tables, from
/// `registry::ensure`.)
pub async fn ensure(client: &impl GenericClient, names: &[&str]) -> Result<(), ProjectorError> {
    client
        .execute(
            "INSERT INTO rm.projection_versions (name, version, state, live_since)
             SELECT n, 1, 'live', now() FROM unnest($1::text[]) AS n
             WHERE NOT EXISTS (SELECT 1 FROM rm.projection_versions v WHERE v.name = n)
             ON CONFLICT DO NOTHING",
            &[&names],
        )
        .await?;
    Ok(())
}

/// The stored position of the live version of `name` (START if it has none).
pub async fn load(client: &impl GenericClient, name: &str) -> Result<Position, ProjectorError> {
    Ok(registry::live(client, name)
        .await?
        .map_or(Position::START, |v| v.position))
}

/// Every live version's checkpoint, by name.
pub async fn load_all(client: &impl GenericClient) -> Result<Vec<Checkpoint>, ProjectorError> {
    Ok(registry::all(client)
        .await?
        .into_iter()
        .filter(|v| v.state == VersionState::Live)
        .map(|v| Checkpoint {
            name: v.name,
            position: v.position,
            updated_at: v.updated_at,
        })
        .collect())
}

/// Moves the live version of `name` from `expected` to `new` inside the batch transaction.
/// See [`compare_and_set_version`].
pub async fn compare_and_set(
    tx: &Transaction<'_>,
    name: &str,
    expected: Position,
    new: Position,
) -> Result<(), ProjectorError> {
    let version = registry::live(tx, name).await?.map_or(1, |v| v.version);
    compare_and_set_version(tx, name, version, expected, new).await
}

/// Moves version `version` of `name` from `expected` to `new` inside the batch transaction.
/// Fails (and the caller rolls back) with [`ProjectorError::VersionRetired`] if that version
/// was swapped out meanwhile, or [`ProjectorError::CheckpointMoved`] if the row no longer
/// holds `expected`: another instance projected the same events.
pub async fn compare_and_set_version(
    tx: &Transaction<'_>,
    name: &str,
    version: i32,
    expected: Position,
    new: Position,
) -> Result<(), ProjectorError> {
    let (old_txid, old_global) = position_columns(expected)?;
    let (new_txid, new_global) = position_columns(new)?;
    // A swap holds this row FOR UPDATE; a batch of the version it retires waits here and
    // then finds the state changed.
    let updated = tx
        .execute(
            "UPDATE rm.projection_versions SET txid = $5, global = $6, updated_at = now()
             WHERE name = $1 AND version = $2 AND txid = $3 AND global = $4
               AND state IN ('live', 'building')",
            &[
                &name,
                &version,
                &old_txid,
                &old_global,
                &new_txid,
                &new_global,
            ],
        )
        .await?;
    if updated == 1 {
        return Ok(());
    }
    match registry::version(tx, name, version).await? {
        Some(found) if found.state != VersionState::Retired => {
            Err(ProjectorError::CheckpointMoved {
                projection: name.to_owned(),
                expected,
                actual: found.position,
            })
        }
        _ => Err(ProjectorError::VersionRetired {
            projection: name.to_owned(),
            version,
        }),
    }
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
