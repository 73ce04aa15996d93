//! Uniqueness claims (`email-…`, `sku-…`). A name nobody holds is claimed together with its
//! owner's first events, in one append to both streams ([`claim_and_start`], all or nothing on
//! PostgreSQL). Otherwise (a name held, a retry, a store without atomic appends to several
//! streams) the claim is taken *before* the owner's stream is written, and given back if that
//! write fails, so no owner exists without its claim. A crash between the two leaves a claim
//! whose owner never appeared; after [`ORPHAN_AFTER`] the next claimant takes it over (at the
//! claim stream's exact version, so only one does).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use pasar_domain::Aggregate;
use pasar_events::types::ClaimEvent;
use pasar_events::{
    DomainEvent, EventStore, ExpectedVersion, Metadata, NewEvent, StoreError, StreamAppend,
};
use uuid::Uuid;

use super::AppError;
use super::exec::{EventIds, Outcome, load};
use super::stream::new_events;

/// How long a claim whose owner stream is still empty is taken to be a registration in flight.
pub const ORPHAN_AFTER: Duration = Duration::seconds(30);

/// The claim's holder and the stream's version.
pub struct Holder {
    pub owner: Option<(Uuid, DateTime<Utc>)>,
    pub version: i64,
}

pub async fn holder(store: &dyn EventStore, stream: &str) -> Result<Holder, AppError> {
    let events = store.read_stream(stream, 1).await?;
    let mut owner = None;
    for event in &events {
        match ClaimEvent::decode(event).map_err(anyhow::Error::from)? {
            ClaimEvent::Claimed {
                owner_id,
                claimed_at,
            } => owner = Some((owner_id, claimed_at)),
            ClaimEvent::Released { owner_id } if owner.is_some_and(|(o, _)| o == owner_id) => {
                owner = None;
            }
            ClaimEvent::Released { .. } => {}
        }
    }
    Ok(Holder {
        owner,
        version: events.last().map_or(0, |e| e.stream_version),
    })
}

/// Claims `stream` for `owner`. `Ok(false)` when someone else holds it: an owner whose stream
/// (`owner_stream(id)`) is `live`, or one younger than [`ORPHAN_AFTER`]. Most names claimed
/// are new: the claim is first appended as the stream's first event without reading it, and
/// the stream is read only when it exists.
pub async fn claim<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
    owner: Uuid,
    owner_stream: fn(Uuid) -> String,
    live: fn(&A) -> bool,
    metadata: &Metadata,
) -> Result<bool, AppError> {
    match append_claim(store, stream, ExpectedVersion::NoStream, owner, metadata).await {
        Ok(()) => return Ok(true),
        Err(StoreError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let current = holder(store, stream).await?;
    claim_from(store, stream, current, owner, owner_stream, live, metadata).await
}

/// [`claim`] for a caller that has read the claim's `current` holder already (an import
/// line, which reads it to choose between listing and updating): the same answer, one read
/// fewer. A claim taken since that read makes the append conflict, and the answer is `false`.
pub async fn claim_from<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
    current: Holder,
    owner: Uuid,
    owner_stream: fn(Uuid) -> String,
    live: fn(&A) -> bool,
    metadata: &Metadata,
) -> Result<bool, AppError> {
    if let Some((held_by, claimed_at)) = current.owner {
        if held_by == owner {
            return Ok(true);
        }
        let orphan = Utc::now() - claimed_at > ORPHAN_AFTER
            && !live(&load::<A>(store, &owner_stream(held_by)).await?.state);
        if !orphan {
            return Ok(false);
        }
        tracing::info!(stream, orphan = %held_by, "taking over a claim whose owner never appeared");
    }
    let expected = ExpectedVersion::from_loaded(current.version);
    match append_claim(store, stream, expected, owner, metadata).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The common case of a name nobody holds, in one append: claims `stream` (expected at the
/// version given with it: no stream, or the version of a claim read free) for `owner` and
/// starts the owner's new stream `owner_stream` with `command`'s events, together, on a store
/// that appends together atomically (so no owner exists without its claim, and no claim is
/// left without its owner by a crash between two appends). `Ok(None)` when that does not
/// settle it: the claim or the owner's stream exists already (a name taken, a retry), or the
/// store cannot append together atomically. Nothing was written then, and the caller claims
/// and records the long way ([`claim`], then the owner's write), which answers every case.
pub async fn claim_and_start<A>(
    store: &Arc<dyn EventStore>,
    (stream, expected): (&str, ExpectedVersion),
    owner: Uuid,
    owner_stream: &str,
    command: &A::Command,
    ids: EventIds,
    metadata: &Metadata,
) -> Result<Option<Outcome<A>>, AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    if !store.appends_together_atomically() {
        return Ok(None);
    }
    let events = A::default().decide(command)?;
    if events.is_empty() {
        return Ok(None);
    }
    let parts = vec![
        StreamAppend {
            stream: stream.to_owned(),
            expected,
            events: vec![claimed(owner, metadata)],
        },
        StreamAppend {
            stream: owner_stream.to_owned(),
            expected: ExpectedVersion::NoStream,
            events: new_events(&events, ids, metadata),
        },
    ];
    match store.append_together(parts).await {
        Ok(results) => Ok(Some(Outcome {
            state: events.iter().fold(A::default(), |s, e| s.evolve(e)),
            events,
            position: results[1].position,
        })),
        Err(StoreError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The event that claims a name for `owner`, now.
fn claimed(owner: Uuid, metadata: &Metadata) -> NewEvent {
    let event = ClaimEvent::Claimed {
        owner_id: owner,
        claimed_at: Utc::now(),
    };
    event.to_new_event(Uuid::now_v7(), metadata.clone())
}

async fn append_claim(
    store: &dyn EventStore,
    stream: &str,
    expected: ExpectedVersion,
    owner: Uuid,
    metadata: &Metadata,
) -> Result<(), StoreError> {
    store
        .append(stream, expected, vec![claimed(owner, metadata)])
        .await
        .map(drop)
}

/// Gives the claim back after the owner's own write failed. Best effort: a failure here
/// leaves an orphan that [`claim`] takes over later, so it is logged, not returned.
pub async fn release(store: &dyn EventStore, stream: &str, owner: Uuid, metadata: &Metadata) {
    let event = ClaimEvent::Released { owner_id: owner };
    let appended = store
        .append(
            stream,
            ExpectedVersion::Any,
            vec![event.to_new_event(Uuid::now_v7(), metadata.clone())],
        )
        .await;
    if let Err(e) = appended {
        tracing::warn!(stream, error = %e, "could not release a claim; it will be taken over as an orphan");
    }
}
