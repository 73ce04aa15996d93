//! In-memory event store for fast unit tests. Same contract as the PostgreSQL backend (it runs
//! the same conformance suite); positions use `txid = 0` since appends are serialised.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::watch;

use crate::envelope::{NewEvent, Position, RecordedEvent};
use crate::store::{AppendResult, EventStore, ExpectedVersion, Snapshot, StoreError, StreamAppend};

#[derive(Default)]
struct Log {
    events: Vec<RecordedEvent>,
    /// stream → indexes into `events`
    streams: HashMap<String, Vec<usize>>,
    by_id: HashMap<uuid::Uuid, usize>,
    snapshots: HashMap<String, Snapshot>,
}

pub struct MemoryEventStore {
    log: Mutex<Log>,
    appended: watch::Sender<i64>,
}

impl Default for MemoryEventStore {
    fn default() -> Self {
        Self {
            log: Mutex::default(),
            appended: watch::channel(0).0,
        }
    }
}

impl MemoryEventStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        // A panic while holding the lock cannot leave the log half-written: every mutation
        // below happens after all checks, so the data is still consistent.
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn original_result(
    log: &Log,
    stream: &str,
    events: &[NewEvent],
) -> Result<Option<AppendResult>, StoreError> {
    let Some(&index) = events.first().and_then(|e| log.by_id.get(&e.event_id)) else {
        return Ok(None);
    };
    if log.events[index].stream != stream {
        return Err(StoreError::DuplicateEventId {
            event_id: events[0].event_id,
        });
    }
    let last = events
        .iter()
        .filter_map(|e| log.by_id.get(&e.event_id))
        .map(|&i| &log.events[i])
        .max_by_key(|e| e.stream_version)
        .expect("invariant: the first event is stored");
    Ok(Some(AppendResult {
        stream_version: last.stream_version,
        position: last.position,
    }))
}

/// What an append would do, decided under the log's lock before anything is written.
enum Check {
    /// An idempotent retry: its original result.
    Original(AppendResult),
    /// New events, after the stream's current version.
    Fresh(i64),
}

fn check(
    log: &Log,
    stream: &str,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> Result<Check, StoreError> {
    if let Some(original) = original_result(log, stream, events)? {
        return Ok(Check::Original(original));
    }
    if let Some(dup) = events.iter().find(|e| log.by_id.contains_key(&e.event_id)) {
        return Err(StoreError::DuplicateEventId {
            event_id: dup.event_id,
        });
    }
    let actual = log.streams.get(stream).map_or(0, |v| v.len() as i64);
    let matches = match expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream => actual == 0,
        ExpectedVersion::Exact(v) => actual == v,
    };
    if !matches {
        return Err(StoreError::Conflict {
            stream: stream.to_owned(),
            expected,
            actual,
        });
    }
    Ok(Check::Fresh(actual))
}

/// Writes `events` (checked, not empty) after version `actual` of `stream`.
fn write(log: &mut Log, stream: &str, actual: i64, events: Vec<NewEvent>) -> AppendResult {
    let now = Utc::now();
    let mut last = None;
    for (offset, event) in events.into_iter().enumerate() {
        let index = log.events.len();
        let recorded = RecordedEvent {
            event_id: event.event_id,
            stream: stream.to_owned(),
            stream_version: actual + offset as i64 + 1,
            position: Position {
                txid: 0,
                global: index as i64 + 1,
            },
            event_type: event.event_type,
            schema_version: event.schema_version,
            data: event.data,
            metadata: event.metadata,
            recorded_at: now,
        };
        last = Some(AppendResult {
            stream_version: recorded.stream_version,
            position: recorded.position,
        });
        log.by_id.insert(recorded.event_id, index);
        log.streams
            .entry(stream.to_owned())
            .or_default()
            .push(index);
        log.events.push(recorded);
    }
    last.expect("invariant: validate_append refuses empty batches")
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        crate::store::validate_append(stream, &events)?;
        let mut log = self.lock();
        let actual = match check(&log, stream, expected, &events)? {
            Check::Original(original) => return Ok(original),
            Check::Fresh(actual) => actual,
        };
        let last = write(&mut log, stream, actual, events);
        drop(log);
        self.appended.send_replace(last.position.global);
        Ok(last)
    }

    /// Every part is checked under the log's lock before the first is written: all or nothing.
    async fn append_together(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        crate::store::validate_together(&appends)?;
        let mut log = self.lock();
        let checks = appends
            .iter()
            .map(|part| check(&log, &part.stream, part.expected, &part.events))
            .collect::<Result<Vec<_>, _>>()?;
        let results: Vec<AppendResult> = appends
            .into_iter()
            .zip(checks)
            .map(|(part, checked)| match checked {
                Check::Original(original) => original,
                Check::Fresh(actual) => write(&mut log, &part.stream, actual, part.events),
            })
            .collect();
        let global = log.events.len() as i64;
        drop(log);
        self.appended.send_replace(global);
        Ok(results)
    }

    fn appends_together_atomically(&self) -> bool {
        true
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.lock();
        let indexes = log
            .streams
            .get(stream)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(indexes
            .iter()
            .map(|&i| &log.events[i])
            .filter(|e| e.stream_version >= from_version)
            .cloned()
            .collect())
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.lock();
        let start = usize::try_from(after.global).unwrap_or(0);
        Ok(log.events.iter().skip(start).take(limit).cloned().collect())
    }

    async fn wait_for_events(&self, after: Position, max_wait: Duration) {
        let mut rx = self.appended.subscribe();
        let _ = tokio::time::timeout(max_wait, rx.wait_for(|&head| head > after.global)).await;
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(self
            .lock()
            .events
            .last()
            .map_or(Position::START, |e| e.position))
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.lock().snapshots.get(stream).cloned())
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let mut log = self.lock();
        let newer = log
            .snapshots
            .get(&snapshot.stream)
            .is_some_and(|kept| kept.version >= snapshot.version);
        if !newer {
            log.snapshots.insert(snapshot.stream.clone(), snapshot);
        }
        Ok(())
    }
}
