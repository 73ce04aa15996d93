//! Projection checkpoints on the runtime's one checkpoint table (`processor_checkpoints`).
//!
//! A projection's *live* version keeps its position in the row named after the projection (the
//! row the runtime moves batch by batch); a version being rebuilt keeps its own in
//! `<name>@v<n>` until the swap copies it onto the live row and deletes it (`registry.rs`).
//! Every row moves by compare-and-set in the same transaction as the read-model rows it covers.

use deadpool_postgres::GenericClient;
use pasar_events::Position;
use pasar_events::runtime::checkpoint::{self as runtime, CheckpointError};

use crate::ProjectorError;

pub use pasar_events::runtime::Checkpoint;

/// The checkpoint row of a version: the projection's name when live, `<name>@v<n>` otherwise.
pub fn row_name(projection: &str, version: i32, live: bool) -> String {
    if live {
        projection.to_owned()
    } else {
        format!("{projection}@v{version}")
    }
}

/// The stored position of the live version of `name` (START without a row).
pub async fn load(client: &impl GenericClient, name: &str) -> Result<Position, ProjectorError> {
    Ok(runtime::load(client, name).await?)
}

/// Moves checkpoint row `row` (of `projection`) from `expected` to `new` inside the batch
/// transaction. Fails with [`ProjectorError::CheckpointMoved`] (and the caller rolls back) if
/// the row no longer holds `expected`: another instance projected the same events, or a swap
/// moved it.
pub async fn compare_and_set(
    client: &impl GenericClient,
    projection: &str,
    row: &str,
    expected: Position,
    new: Position,
) -> Result<(), ProjectorError> {
    match runtime::compare_and_set(client, row, expected, new).await {
        Err(CheckpointError::Moved { actual, .. }) => Err(ProjectorError::CheckpointMoved {
            projection: projection.to_owned(),
            expected,
            actual,
        }),
        other => Ok(other?),
    }
}

impl From<CheckpointError> for ProjectorError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Db(e) => ProjectorError::Db(e),
            CheckpointError::OutOfRange(p) => ProjectorError::PositionOutOfRange(p),
            CheckpointError::Moved {
                name,
                expected,
                actual,
            } => ProjectorError::CheckpointMoved {
                projection: name,
                expected,
                actual,
            },
        }
    }
}
