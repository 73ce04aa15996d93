//! Loading an aggregate from its stream (from its snapshot plus the events after it where
//! one exists), the ids a command's events get, and a command's outcome. [`super::exec`]
//! runs commands on top of this; [`super::serial`] batches them per stream.

use pasar_domain::Aggregate;
use pasar_events::{DomainEvent, EventStore, Metadata, NewEvent, Position};
use uuid::Uuid;

use super::AppError;

/// A snapshot is taken once a stream has grown this many events past its last one.
pub const SNAPSHOT_EVERY: i64 = 100;

#[derive(Clone)]
pub struct Loaded<A> {
    pub state: A,
    pub version: i64,
    /// Position of the stream's last event (`None` for a new stream).
    pub last_position: Option<Position>,
    /// Ids and positions of the events read (those after the snapshot, when one was used), to
    /// recognise a command already applied.
    recorded: Vec<(Uuid, Position)>,
    /// The version of the snapshot the state started from, if one was used.
    pub(super) snapshot_version: Option<i64>,
    /// Kept in memory from this instance's last round on the stream (`serial::states`), not
    /// read: `recorded` then holds only that round's events.
    pub(super) kept: bool,
}

impl<A> Loaded<A> {
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

/// Loads a stream's state: from its snapshot (when the aggregate keeps them and one of the
/// current shape exists) plus the events after it, else from the whole stream.
pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
) -> Result<Loaded<A>, AppError> {
    let snapshot = match A::SNAPSHOT_VERSION {
        Some(schema) if !short_streams::known_short(stream) => {
            snapshot_of::<A>(store, stream, schema).await
        }
        _ => None,
    };
    let (mut state, base_version, base_position) = match snapshot {
        Some((state, snapshot)) => (state, snapshot.version, Some(snapshot.position)),
        None => (A::default(), 0, None),
    };
    let recorded = store.read_stream(stream, base_version + 1).await?;
    for event in &recorded {
        let typed = A::Event::decode(event)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{stream}: {e}")))?;
        state = state.evolve(&typed);
    }
    let version = recorded.last().map_or(base_version, |e| e.stream_version);
    if A::SNAPSHOT_VERSION.is_some() {
        short_streams::saw(stream, base_position.is_none() && version < SNAPSHOT_EVERY);
    }
    Ok(Loaded {
        state,
        version,
        last_position: recorded.last().map(|e| e.position).or(base_position),
        recorded: recorded.iter().map(|e| (e.event_id, e.position)).collect(),
        snapshot_version: base_position.map(|_| base_version),
        kept: false,
    })
}

/// Streams this instance last saw shorter than a snapshot interval and without a snapshot:
/// no snapshot can exist for them yet, so loading one skips the look-up (a round trip on every
/// stock command). Only a hint: if another instance grew the stream meanwhile, the load reads
/// the whole stream once (still correct, since snapshots are only a cache) and learns.
mod short_streams {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};

    /// Forget everything past this many streams (the hint only saves a round trip).
    const CAPACITY: usize = 100_000;

    static SHORT: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

    pub fn known_short(stream: &str) -> bool {
        SHORT.lock().is_ok_and(|set| set.contains(stream))
    }

    pub fn saw(stream: &str, short: bool) {
        let Ok(mut set) = SHORT.lock() else { return };
        if !short {
            set.remove(stream);
        } else if !set.contains(stream) {
            if set.len() >= CAPACITY {
                set.clear();
            }
            set.insert(stream.to_owned());
        }
    }
}

/// The stream's snapshot if it has the aggregate's current shape. A snapshot that cannot be
/// read is only logged: the stream is replayed instead.
async fn snapshot_of<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
    schema: i32,
) -> Option<(A, pasar_events::Snapshot)> {
    match store.load_snapshot(stream).await {
        Ok(Some(snapshot)) if snapshot.schema == schema => {
            A::from_snapshot(&snapshot.state).map(|state| (state, snapshot))
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(stream, error = %e, "snapshot unreadable; replaying the stream");
            None
        }
    }
}

impl<A: Aggregate> Loaded<A> {
    /// `stream` as a round left it: `state` after appending `appended` (event ids), the
    /// last at `version` and `position`; `snapshot_version` the stream's newest snapshot.
    pub(super) fn after_round(
        stream: &str,
        state: A,
        version: i64,
        position: Position,
        appended: impl IntoIterator<Item = Uuid>,
        snapshot_version: Option<i64>,
    ) -> Self {
        if A::SNAPSHOT_VERSION.is_some() {
            // As a load would tell: a stream grown past a snapshot interval is no longer short.
            short_streams::saw(
                stream,
                snapshot_version.is_none() && version < SNAPSHOT_EVERY,
            );
        }
        Loaded {
            state,
            version,
            last_position: Some(position),
            recorded: appended.into_iter().map(|id| (id, position)).collect(),
            snapshot_version,
            kept: true,
        }
    }
}

impl<A> Loaded<A> {
    /// Whether `recorded` holds every event a retried command's first id could be among:
    /// the whole stream was read (no snapshot, not kept from a round).
    pub(super) fn read_whole(&self) -> bool {
        self.snapshot_version.is_none() && !self.kept
    }

    /// Whether the first event `ids` would append is among the events read.
    pub(super) fn applied(&self, ids: EventIds) -> bool {
        matches!(ids, EventIds::Derived(_)) && self.recorded.iter().any(|(id, _)| *id == ids.id(0))
    }
}

/// The outcome of a command that appended nothing: where its effect already is in the log
/// (its own earlier event when it was applied before, else the stream's last event).
pub(super) async fn unchanged<A: Aggregate>(
    store: &dyn EventStore,
    loaded: &Loaded<A>,
    ids: EventIds,
) -> Result<Outcome<A>, AppError> {
    let earlier = loaded.recorded.iter().find(|(id, _)| *id == ids.id(0));
    let position = match (ids, earlier, loaded.last_position) {
        (EventIds::Derived(_), Some(&(_, position)), _) => position,
        (_, _, Some(last)) => last,
        _ => store.head().await?,
    };
    Ok(Outcome {
        state: loaded.state.clone(),
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
    /// The first event's id when it is derived (a retry would repeat it), else `None`.
    pub fn first(self) -> Option<Uuid> {
        match self {
            EventIds::Random => None,
            EventIds::Derived(_) => Some(self.id(0)),
        }
    }

    pub(super) fn id(self, index: usize) -> Uuid {
        match self {
            EventIds::Random => Uuid::now_v7(),
            EventIds::Derived(seed) => Uuid::new_v5(&seed, &index.to_le_bytes()),
        }
    }
}

/// `events` wrapped for appending, with ids from `ids` in order.
pub(super) fn new_events<E: DomainEvent>(
    events: &[E],
    ids: EventIds,
    metadata: &Metadata,
) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| e.to_new_event(ids.id(i), metadata.clone()))
        .collect()
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
