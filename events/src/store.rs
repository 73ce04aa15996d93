//! The [`EventStore`] trait: the small surface every backend implements.

use std::time::Duration;

use async_trait::async_trait;
use futures::Stream;
use uuid::Uuid;

use crate::envelope::{NewEvent, Position, RecordedEvent};

/// What the appender believes the stream's current version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream holds.
    Any,
    /// The stream must not exist yet (claims, first events).
    NoStream,
    /// The stream's last event must have exactly this version (1-based).
    Exact(i64),
}

impl ExpectedVersion {
    /// `NoStream` for version 0, `Exact(v)` otherwise: what a decider that loaded a stream at
    /// version `v` expects.
    pub fn from_loaded(version: i64) -> Self {
        if version == 0 {
            Self::NoStream
        } else {
            Self::Exact(version)
        }
    }
}

/// One stream's part of [`EventStore::append_together`].
#[derive(Debug, Clone)]
pub struct StreamAppend {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// Result of an append (or of an idempotent retry of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// Version of the last event appended.
    pub stream_version: i64,
    /// Position of the last event appended.
    pub position: Position,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else wrote the stream first. Reload, decide again, retry. → HTTP 409 if it persists.
    #[error("stream {stream} is at version {actual}, expected {expected:?}")]
    Conflict {
        stream: String,
        expected: ExpectedVersion,
        actual: i64,
    },
    /// An event id that is already stored was appended with other events or to another stream.
    #[error("event {event_id} is already stored elsewhere in the log")]
    DuplicateEventId { event_id: Uuid },
    /// Nothing was appended: the input is unusable (empty batch, bad stream name).
    #[error("invalid append: {0}")]
    Invalid(String),
    /// The backend could not be reached or failed. → HTTP 503/500.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
}

/// A stream's state as of one of its versions, kept beside the log so that loading a long
/// stream costs the snapshot plus the events after it. Only a cache: the log stays the truth,
/// and a snapshot that is missing, stale or of another shape is simply not used.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub stream: String,
    /// The stream version the state includes.
    pub version: i64,
    /// The position of that version's event.
    pub position: Position,
    /// The shape of `state` (the aggregate's snapshot version).
    pub schema: i32,
    pub state: serde_json::Value,
}

/// Events of the global log, first the backlog, then live.
pub type Subscription =
    std::pin::Pin<Box<dyn Stream<Item = Result<RecordedEvent, StoreError>> + Send>>;

/// The event log. Every backend passes the same conformance suite (`events/tests`).
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically if the stream is at `expected`.
    ///
    /// Fails with [`StoreError::Conflict`] on a version mismatch. If the first event id is
    /// already stored in this stream, nothing is written and the original result is returned
    /// (idempotent retry).
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError>;

    /// Appends to several distinct streams as one: each part as [`EventStore::append`] would
    /// (its expectation, an idempotent retry answered with the original result), with one
    /// result per part, in order.
    ///
    /// Where the backend can ([`EventStore::appends_together_atomically`]: PostgreSQL and the
    /// memory store), every part lands or none does, in one transaction; a part whose
    /// expectation fails makes the whole call fail with that part's error. Elsewhere (the
    /// default, EventStoreDB) the parts are appended one after the other and an error leaves
    /// the parts before it written: a caller must tolerate that (a uniqueness claim does, by
    /// taking over a claim whose owner never appeared).
    async fn append_together(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        validate_together(&appends)?;
        let mut results = Vec::with_capacity(appends.len());
        for part in appends {
            results.push(
                self.append(&part.stream, part.expected, part.events)
                    .await?,
            );
        }
        Ok(results)
    }

    /// Whether [`EventStore::append_together`] is all or nothing on this backend.
    fn appends_together_atomically(&self) -> bool {
        false
    }

    /// Events of one stream with `stream_version >= from_version`, oldest first.
    async fn read_stream(
        &self,
        stream: &str,
        from_version: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events of the global log strictly after `after`, in log order. Never
    /// returns an event while an event before it could still commit.
    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// [`EventStore::read_all`] for a reader of `categories` (stream-name prefixes) only: the
    /// same events, so a batch covers the same stretch of the log and its last position moves
    /// the reader on, but an event of another category may come without its payload (`data`
    /// null, default metadata), which spares the store sending and the reader decoding it.
    /// By default every event comes whole.
    async fn read_all_of(
        &self,
        after: Position,
        limit: usize,
        categories: &[&str],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let _ = categories;
        self.read_all(after, limit).await
    }

    /// Resolves once an event after `after` is readable, or after `max_wait`, whichever comes
    /// first. Wakes on commits without a polling delay where the backend can notify. The caller
    /// reads again afterwards and may still find nothing (the wait is a hint, not a promise).
    async fn wait_for_events(&self, after: Position, max_wait: Duration);

    /// The position of the newest readable event (`Position::START` for an empty log).
    async fn head(&self) -> Result<Position, StoreError>;

    /// The latest snapshot of `stream`, where this backend keeps snapshots (default: none).
    async fn load_snapshot(&self, _stream: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(None)
    }

    /// Keeps `snapshot` unless a newer one of its stream is already kept (default: dropped).
    async fn save_snapshot(&self, _snapshot: Snapshot) -> Result<(), StoreError> {
        Ok(())
    }

    /// Which of `ids` are stored in `stream` (to recognise a retried command whose events lie
    /// before the snapshot it was loaded from). The default reads the whole stream.
    async fn stored_ids(&self, stream: &str, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        let events = self.read_stream(stream, 1).await?;
        Ok(ids
            .iter()
            .copied()
            .filter(|id| events.iter().any(|e| e.event_id == *id))
            .collect())
    }
}

/// Catch-up then live subscription to the global log after `after`, built on `read_all` and
/// `wait_for_events`; works for every backend.
pub fn subscribe(
    store: std::sync::Arc<dyn EventStore>,
    after: Position,
    batch: usize,
) -> Subscription {
    let state = (
        store,
        after,
        std::collections::VecDeque::<RecordedEvent>::new(),
    );
    Box::pin(futures::stream::unfold(
        state,
        move |(store, mut after, mut buffer)| async move {
            loop {
                if let Some(event) = buffer.pop_front() {
                    after = event.position;
                    return Some((Ok(event), (store, after, buffer)));
                }
                match store.read_all(after, batch).await {
                    Ok(events) if events.is_empty() => {
                        store.wait_for_events(after, Duration::from_secs(1)).await
                    }
                    Ok(events) => buffer.extend(events),
                    Err(e) => return Some((Err(e), (store, after, buffer))),
                }
            }
        },
    ))
}

/// [`validate_append`] for each part of [`EventStore::append_together`], which must have at
/// least one part, name distinct streams and not share an event id between parts.
pub(crate) fn validate_together(appends: &[StreamAppend]) -> Result<(), StoreError> {
    if appends.is_empty() {
        return Err(StoreError::Invalid("no appends to make together".into()));
    }
    let mut streams = std::collections::HashSet::with_capacity(appends.len());
    let mut ids = std::collections::HashSet::new();
    for part in appends {
        validate_append(&part.stream, &part.events)?;
        if !streams.insert(part.stream.as_str()) {
            return Err(StoreError::Invalid(format!(
                "stream {} appears twice in one append_together",
                part.stream
            )));
        }
        if !part.events.iter().all(|e| ids.insert(e.event_id)) {
            return Err(StoreError::Invalid(
                "the same event id appears in two parts of one append_together".into(),
            ));
        }
    }
    Ok(())
}

/// Checks shared by every backend before anything is written.
pub(crate) fn validate_append(stream: &str, events: &[crate::NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::Invalid("no events to append".into()));
    }
    if stream.is_empty() || stream.len() > 200 {
        return Err(StoreError::Invalid(
            "stream names are 1 to 200 characters".into(),
        ));
    }
    let mut ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != events.len() {
        return Err(StoreError::Invalid(
            "the same event id appears twice in one append".into(),
        ));
    }
    Ok(())
}
