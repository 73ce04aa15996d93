//! Why publishing stopped.

use pasar_events::StoreError;

/// Why publishing stopped. Every variant leaves the checkpoint at or behind what the stream
/// holds, so retrying (after reconciling) is always safe.
#[derive(Debug, thiserror::Error)]
pub enum PublisherError {
    #[error("reading the event log: {0}")]
    Store(#[from] StoreError),
    #[error("publisher database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("getting a database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// NATS unreachable, a request timed out, or JetStream refused a request.
    #[error("NATS JetStream, {action}: {source}")]
    JetStream {
        action: &'static str,
        #[source]
        source: async_nats::Error,
    },
    /// The stream did not end where the publisher expected (a publish lost in a dropped
    /// connection, or a second publisher); it reconciles and goes on.
    #[error("stream {stream} is out of step with the publisher: {detail}")]
    OutOfStep { stream: String, detail: String },
    /// The stream holds messages that are not this log's, or captures other subjects.
    #[error("stream {stream} is not this publisher's: {detail}")]
    ForeignStream { stream: String, detail: String },
    /// The checkpoint could not be read or moved (another publisher moved it, or the
    /// runtime's table failed).
    #[error("publisher checkpoint: {0}")]
    Checkpoint(String),
}

/// Wraps an async-nats error, naming what was being done.
pub(super) fn jetstream_error<E>(action: &'static str) -> impl FnOnce(E) -> PublisherError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| PublisherError::JetStream {
        action,
        source: Box::new(e),
    }
}
