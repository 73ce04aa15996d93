//! Loading aggregates from their streams and running commands against them: load, decide,
//! append with the loaded version as the expectation, and on a lost race load and decide again.

use std::sync::Arc;

use pasar_domain::Aggregate;
use pasar_events::types::streams::Category;
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata, Position, StoreError};
use uuid::Uuid;

use super::AppError;

/// How many times a command is re-decided after losing an optimistic-concurrency race.
const MAX_ATTEMPTS: usize = 8;

pub struct Loaded<A> {
    pub state: A,
    pub version: i64,
    /// Position of the stream's last event (`None` for a new stream).
    pub last_position: Option<Position>,
    /// Ids and positions of the stream's events, to recognise a command already applied.
    recorded: Vec<(Uuid, Position)>,
}

impl<A> Loaded<A> {
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
) -> Result<Loaded<A>, AppError> {
    let recorded = store.read_stream(stream, 1).await?;
    let mut state = A::default();
    for event in &recorded {
        let typed = A::Event::decode(event)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{stream}: {e}")))?;
        state = state.evolve(&typed);
    }
    Ok(Loaded {
        state,
        version: recorded.last().map_or(0, |e| e.stream_version),
        last_position: recorded.last().map(|e| e.position),
        recorded: recorded.iter().map(|e| (e.event_id, e.position)).collect(),
    })
}

impl<A> Loaded<A> {
    /// Whether the first event `ids` would append is already in the stream.
    fn applied(&self, ids: EventIds) -> bool {
        matches!(ids, EventIds::Derived(_)) && self.recorded.iter().any(|(id, _)| *id == ids.id(0))
    }
}

/// The outcome of a command that appended nothing: where its effect already is in the log
/// (its own earlier event when it was applied before, else the stream's last event).
async fn unchanged<A: Aggregate>(
    store: &dyn EventStore,
    loaded: Loaded<A>,
    ids: EventIds,
) -> Result<Outcome<A>, AppError> {
    let earlier = loaded.recorded.iter().find(|(id, _)| *id == ids.id(0));
    let position = match (ids, earlier, loaded.last_position) {
        (EventIds::Derived(_), Some(&(_, position)), _) => position,
        (_, _, Some(last)) => last,
        _ => store.head().await?,
    };
    Ok(Outcome {
        state: loaded.state,
        events: Vec::new(),
        position,
    })
}

/// How the ids of appended events are chosen.
#[derive(Clone, Copy)]
pub enum EventIds {
    /// Fresh ids (a user's command).
    Random,
    /// Ids derived from a seed (a checkout step, a reactor's reaction to one event): a retry
    /// after a crash appends the same ids, and the store recognises it.
    Derived(Uuid),
}

impl EventIds {
    fn id(self, index: usize) -> Uuid {
        match self {
            EventIds::Random => Uuid::now_v7(),
            EventIds::Derived(seed) => Uuid::new_v5(&seed, &index.to_le_bytes()),
        }
    }
}

/// A seed for [`EventIds::Derived`] from a few parts.
pub fn derive_id(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, parts.join("\u{1f}").as_bytes())
}

pub struct Outcome<A: Aggregate> {
    pub state: A,
    pub events: Vec<A::Event>,
    /// Where the command's effect is in the log: the last appended event, or the stream's last
    /// event when nothing needed appending. Becomes the consistency token.
    pub position: Position,
}

/// Runs `command` against the aggregate in `stream`. With [`EventIds::Derived`], a command
/// whose first event is already in the stream is recognised as applied and not decided again.
/// A domain rejection is
/// [`AppError::Rejected`]; a lost race is retried, and one lost [`MAX_ATTEMPTS`] times is
/// [`AppError::Conflict`].
pub async fn execute<A>(
    store: &Arc<dyn EventStore>,
    stream: &str,
    command: &A::Command,
    ids: EventIds,
    metadata: &Metadata,
) -> Result<Outcome<A>, AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let loaded = load::<A>(store.as_ref(), stream).await?;
        // Already applied (a retry after a lost acknowledgement): deciding again would
        // describe a second application.
        let events = if loaded.applied(ids) {
            Vec::new()
        } else {
            loaded.state.decide(command)?
        };
        if events.is_empty() {
            return unchanged(store.as_ref(), loaded, ids).await;
        }
        let new_events = events
            .iter()
            .enumerate()
            .map(|(i, e)| e.to_new_event(ids.id(i), metadata.clone()))
            .collect();
        match store
            .append(
                stream,
                ExpectedVersion::from_loaded(loaded.version),
                new_events,
            )
            .await
        {
            Ok(result) => {
                let state = events.iter().fold(loaded.state, |s, e| s.evolve(e));
                return Ok(Outcome {
                    state,
                    events,
                    position: result.position,
                });
            }
            Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => {
                let category = Category::of(stream).map_or("other", Category::as_str);
                metrics::counter!("pasar_command_retries_total", "category" => category)
                    .increment(1);
                tracing::debug!(stream, attempt, "concurrent update; deciding again");
            }
            Err(e) => return Err(e.into()),
        }
    }
}
