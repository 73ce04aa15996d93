use pasar_events::{Position, StoreError};
use uuid::Uuid;

/// Why a batch could not be projected. Every variant leaves the read model and its checkpoint
/// as they were (the batch's transaction rolls back), so retrying is always safe.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// The event log could not be read.
    #[error("reading the event log: {0}")]
    Store(#[from] StoreError),
    /// A read-model statement failed.
    #[error("read-model database: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// No connection to the read-model database.
    #[error("getting a read-model connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A stored event this build cannot understand. The projection stops here rather than
    /// skip it: skipping would silently lose a fact (typically a newer build wrote it).
    #[error("event {event_id} ({stream} v{stream_version}) cannot be projected: {reason}")]
    Undecodable {
        event_id: Uuid,
        stream: String,
        stream_version: i64,
        reason: String,
    },
    /// Another instance advanced this projection's checkpoint; the batch was rolled back.
    #[error(
        "checkpoint of {projection} is at {actual}, expected {expected}: another instance is projecting"
    )]
    CheckpointMoved {
        projection: String,
        expected: Position,
        actual: Position,
    },
    /// The version this batch was written for is no longer live or building (a rebuild swapped
    /// it out); the batch was rolled back. The next batch goes to the new live version.
    #[error("version {version} of {projection} was retired")]
    VersionRetired { projection: String, version: i32 },
    /// `projector rebuild` of a projection that does not declare itself replay-safe.
    #[error("{0} is not a replay-safe projection and is never rebuilt")]
    NotReplaySafe(String),
    /// The rebuild could not swap (for instance the live version's log position is not
    /// readable, or another rebuild promoted a version first).
    #[error("rebuilding {projection}: {reason}")]
    Rebuild { projection: String, reason: String },
    /// A transaction id beyond what a bigint column holds (not reachable in practice: xid8 is
    /// epoch << 32 | xid).
    #[error("log position {0} does not fit the checkpoint columns")]
    PositionOutOfRange(Position),
    /// The schema migrations failed.
    #[error(transparent)]
    Migrate(#[from] pasar_events::runtime::MigrateError),
    /// A processor failed with an error of another kind than the above.
    #[error("processing: {0}")]
    Process(String),
    /// No projection of that name is registered.
    #[error("no projection named {0}")]
    UnknownProjection(String),
}

impl ProjectorError {
    pub(crate) fn undecodable(event: &pasar_events::RecordedEvent, reason: impl ToString) -> Self {
        ProjectorError::Undecodable {
            event_id: event.event_id,
            stream: event.stream.clone(),
            stream_version: event.stream_version,
            reason: reason.to_string(),
        }
    }
}
