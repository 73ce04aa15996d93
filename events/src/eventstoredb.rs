//! EventStoreDB (KurrentDB) event store, through the `eventstore` 4.x gRPC client.
//!
//! Same contract as the PostgreSQL backend (it runs the same conformance suite, less the
//! cross-stream event-id check), with these differences:
//!
//! - **No multi-stream atomic append.** One append writes one stream; a flow that must change
//!   two streams together cannot rely on this backend to do it atomically.
//! - **No transaction spanning an append and read-model writes.** Nothing here can share a
//!   transaction with PostgreSQL: projector checkpoints (and every read model) still live in
//!   PostgreSQL, committed in the same transaction as the read-model changes, so exactly-once
//!   effects hold for this backend too.
//! - **Positions are `(commit, prepare)`.** A [`Position`] carries the EventStoreDB log
//!   position: `txid` = commit position, `global` = prepare position. They compare
//!   lexicographically, as EventStoreDB orders `$all`. [`Position::START`] is the start of
//!   `$all`. `$all` only ever shows committed events in commit order, so a reader can never see
//!   an event before an earlier one commits (no horizon is needed).
//! - **`$all` is shared with the server's own events.** System events (types or streams
//!   starting with `$`) are never returned; appending to a `$` stream or with a `$` event type is
//!   refused as invalid. Reading `$all` needs a user allowed to (an admin in a secure cluster):
//!   put the credentials in the connection string (`esdb://admin:changeit@host:2113`).
//! - **Event ids are unique per stream only.** The server has no index by event id, so an id
//!   already stored in *another* stream is not detected ([`StoreError::DuplicateEventId`] is
//!   reported only for ids found in the same stream).
//!
//! How `append` keeps the contract: it first reads the stream (newest first) looking for the
//! batch's event ids (idempotent retry → the original result, nothing written) and for its
//! current version; then appends with an exact expected revision — also for
//! [`ExpectedVersion::Any`], which becomes a compare-and-set loop on the version just read, so
//! the server's guaranteed de-duplication applies (it is only best effort for `Any`). The
//! reported position is read back from the stored last event, so it is exactly the position
//! that `read_all` and subscriptions report for it. Cost: one stream read (whole stream when
//! the ids are not there; nothing for a new stream), one write and one single-event read per
//! append.
//!
//! Data and metadata are JSON; the metadata holds our [`Metadata`] plus `schema_version`.
//!
//! Needs EventStoreDB 22.6 or later (or KurrentDB): older servers do not give the `$all`
//! position of events read from a stream, which stream reads and appends report here (they
//! fail with [`StoreError::Unavailable`] saying so rather than report a wrong position).

use std::time::Duration;

use async_trait::async_trait;
use eventstore::{
    Client, ClientSettings, ExpectedRevision, ReadAllOptions, ReadStreamOptions, StreamPosition,
    SubscribeToAllOptions, SubscriptionEvent, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Metadata, NewEvent, Position, RecordedEvent};
use crate::store::{AppendResult, EventStore, ExpectedVersion, StoreError, validate_append};

/// Smallest and largest page read from `$all` at a time.
mod convert;
mod steps;

use convert::*;

const PAGE_MIN: usize = 32;
const PAGE_MAX: usize = 4096;
/// Page size when looking backwards for the newest non-system event.
const HEAD_PAGE: usize = 256;
/// Compare-and-set attempts of an `Any` append before falling back to the server's `Any`
/// (whose de-duplication of a retried batch is only best effort).
const ANY_ATTEMPTS: usize = 8;

fn unavailable(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{context}: {e}"))
}

/// The metadata stored with each event.
#[derive(Serialize, Deserialize)]
struct StoredMetadata {
    #[serde(flatten)]
    metadata: Metadata,
    #[serde(default = "first_schema_version")]
    schema_version: i32,
}

fn first_schema_version() -> i32 {
    1
}

/// The EventStoreDB [`EventStore`]. Cheap to clone (the client is shared).
#[derive(Clone)]
pub struct EsdbEventStore {
    client: Client,
}

impl EsdbEventStore {
    /// Connects to the server(s) of an `esdb://…` (or `esdb+discover://…`) connection string
    /// and checks that `$all` can be read.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let settings: ClientSettings = url
            .parse()
            .map_err(|e| unavailable("parsing the EventStoreDB connection string", e))?;
        let client = Client::new(settings)
            .map_err(|e| unavailable("creating the EventStoreDB client", e))?;
        let store = Self { client };
        let options = ReadAllOptions::default()
            .position(StreamPosition::End)
            .max_count(1);
        let mut probe = store
            .client
            .read_all(&options)
            .await
            .map_err(|e| unavailable("reading $all from EventStoreDB", e))?;
        probe
            .next()
            .await
            .map_err(|e| unavailable("reading $all from EventStoreDB", e))?;
        Ok(store)
    }

    /// Uses an existing client (no connectivity check).
    pub fn with_client(client: Client) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl EventStore for EsdbEventStore {
    // Longer than 60 lines: the expected-version mapping, the idempotency scan, the write and
    // the confirmation of an unknown outcome are one retry loop whose steps share its state;
    // the steps themselves live in `eventstoredb/steps.rs`.
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        validate_append(stream, &events)?;
        if stream.starts_with('$') {
            return Err(StoreError::Invalid(
                "stream names starting with '$' are EventStoreDB system streams".into(),
            ));
        }
        if events.iter().any(|e| e.event_type.starts_with('$')) {
            return Err(StoreError::Invalid(
                "event types starting with '$' are EventStoreDB system events".into(),
            ));
        }
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let last_id = *ids
            .last()
            .expect("invariant: validate_append refuses empty batches");
        let data = events
            .iter()
            .map(event_data)
            .collect::<Result<Vec<_>, _>>()?;

        for _ in 0..ANY_ATTEMPTS {
            let scan = self.scan(stream, &ids).await?;
            if let Some(original) = scan.original {
                return Ok(original);
            }
            if let Some(event_id) = scan.duplicate {
                return Err(StoreError::DuplicateEventId { event_id });
            }
            let current = scan.current.unwrap_or(0);
            let wanted = match expected {
                ExpectedVersion::Any => current,
                ExpectedVersion::NoStream => 0,
                ExpectedVersion::Exact(version) => version,
            };
            if wanted != current {
                return Err(StoreError::Conflict {
                    stream: stream.to_owned(),
                    expected,
                    actual: current,
                });
            }
            match self.write(stream, revision_for(current), &data).await {
                Ok(revision) => return self.confirm(stream, revision, last_id).await,
                Err(eventstore::Error::WrongExpectedVersion { current, .. }) => {
                    // Written since the scan (perhaps by a concurrent retry of this very batch).
                    if expected == ExpectedVersion::Any {
                        continue;
                    }
                    let scan = self.scan(stream, &ids).await?;
                    if let Some(original) = scan.original {
                        return Ok(original);
                    }
                    return Err(StoreError::Conflict {
                        stream: stream.to_owned(),
                        expected,
                        actual: version_of_current(current),
                    });
                }
                Err(e) => return Err(unavailable("appending", e)),
            }
        }
        // Only `Any` gets here, after losing every compare-and-set to other writers.
        tracing::debug!(
            stream,
            "contended `Any` append; appending without a version check"
        );
        match self.write(stream, ExpectedRevision::Any, &data).await {
            Ok(revision) => self.confirm(stream, revision, last_id).await,
            Err(e) => Err(unavailable("appending", e)),
        }
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let from = u64::try_from(from_version.max(1) - 1).unwrap_or(0);
        let options = ReadStreamOptions::default()
            .position(StreamPosition::Position(from))
            .forwards();
        let mut read = match self.client.read_stream(stream, &options).await {
            Ok(read) => read,
            Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(unavailable("reading a stream", e)),
        };
        let mut events = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(resolved)) => {
                    if let Some(event) = original(&resolved) {
                        events.push(recorded(event)?);
                    }
                }
                Ok(None) => return Ok(events),
                Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
                Err(e) => return Err(unavailable("reading a stream", e)),
            }
        }
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::new();
        if limit == 0 {
            return Ok(events);
        }
        let mut cursor = after;
        loop {
            let page = (limit - events.len())
                .saturating_add(1)
                .clamp(PAGE_MIN, PAGE_MAX);
            let options = ReadAllOptions::default()
                .position(start_at(cursor))
                .forwards()
                .max_count(page);
            let mut read = self
                .client
                .read_all(&options)
                .await
                .map_err(|e| unavailable("reading $all", e))?;
            let mut seen = 0;
            while let Some(resolved) = read
                .next()
                .await
                .map_err(|e| unavailable("reading $all", e))?
            {
                seen += 1;
                let Some(event) = original(&resolved) else {
                    continue;
                };
                let position = position_of(event.position);
                if position <= cursor {
                    continue; // the read starts at `cursor`, inclusive
                }
                cursor = position;
                if is_system(event) {
                    continue;
                }
                events.push(recorded(event)?);
                if events.len() == limit {
                    return Ok(events);
                }
            }
            if seen < page {
                return Ok(events); // the end of $all
            }
        }
    }

    async fn wait_for_events(&self, after: Position, max_wait: Duration) {
        let deadline = tokio::time::Instant::now() + max_wait;
        let options = SubscribeToAllOptions::default()
            .position(start_at(after))
            .filter(SubscriptionFilter::on_event_type().exclude_system_events());
        let _ = tokio::time::timeout_at(deadline, async {
            let mut subscription = self.client.subscribe_to_all(&options).await;
            loop {
                match subscription.next_subscription_event().await {
                    Ok(SubscriptionEvent::EventAppeared(resolved)) => {
                        if let Some(event) = original(&resolved)
                            && !is_system(event)
                            && position_of(event.position) > after
                        {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "EventStoreDB subscription failed; waiting out");
                        // Wait out `max_wait` rather than have the caller spin on a failing server.
                        std::future::pending::<()>().await;
                    }
                }
            }
        })
        .await;
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let mut cursor: Option<Position> = None;
        loop {
            let start = cursor.map_or(StreamPosition::End, |p| {
                StreamPosition::Position(esdb_position(p))
            });
            let options = ReadAllOptions::default()
                .position(start)
                .backwards()
                .max_count(HEAD_PAGE);
            let mut read = self
                .client
                .read_all(&options)
                .await
                .map_err(|e| unavailable("reading the head of $all", e))?;
            let mut seen = 0;
            while let Some(resolved) = read
                .next()
                .await
                .map_err(|e| unavailable("reading the head of $all", e))?
            {
                seen += 1;
                let Some(event) = original(&resolved) else {
                    continue;
                };
                let position = position_of(event.position);
                if cursor.is_some_and(|c| position >= c) {
                    continue; // a backwards read may include its starting event
                }
                cursor = Some(position);
                if !is_system(event) {
                    return Ok(position);
                }
            }
            if seen < HEAD_PAGE {
                return Ok(Position::START); // only system events, or none
            }
        }
    }
}

#[cfg(test)]
mod tests;
