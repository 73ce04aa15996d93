//! Running commands: load → decide → append, with the loaded version as the expectation.
//! Commands on one stream go through [`super::serial`], which decides them together and
//! retries races lost to other instances; loading and ids live in [`super::stream`].

use std::sync::Arc;

use pasar_domain::Aggregate;
use pasar_events::{EventStore, ExpectedVersion, Metadata, StoreError};

use super::AppError;
use super::stream::new_events;
pub use super::stream::{EventIds, Loaded, Outcome, derive_id, load};

/// Runs `command` against the aggregate in `stream`. With [`EventIds::Derived`], a command
/// whose first event is already in the stream is recognised as applied and not decided again.
/// A domain rejection is [`AppError::Rejected`]. Commands on one stream are serialised in this
/// instance and decided together (see [`super::serial`]); a race lost to another instance is
/// decided again until [`super::serial::CONFLICT_DEADLINE`], then [`AppError::Conflict`].
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
    let (reply, answer) = tokio::sync::oneshot::channel();
    let pending = super::serial::Pending {
        command: command.clone(),
        ids,
        metadata: metadata.clone(),
        reply,
    };
    super::serial::submit(store, stream, pending);
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the command queue of {stream} stopped without answering"
        ))
    })?
}

/// Runs `command` on a stream the caller has just made up (a product id nobody else knows
/// yet): decided on the empty state and appended as the stream's first events, without
/// reading the stream first. A stream that exists after all is no error: when it holds this
/// command's events already (a retry after a crash, with [`EventIds::Derived`]) the store
/// answers the original append, and the outcome is the state those events made; otherwise
/// the command runs through [`execute`] on what is there.
pub async fn start_stream<A>(
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
    let events = A::default().decide(command)?;
    if events.is_empty() {
        return execute::<A>(store, stream, command, ids, metadata).await;
    }
    let new = new_events(&events, ids, metadata);
    match store.append(stream, ExpectedVersion::NoStream, new).await {
        Ok(appended) => Ok(Outcome {
            state: events.iter().fold(A::default(), |s, e| s.evolve(e)),
            events,
            position: appended.position,
        }),
        Err(StoreError::Conflict { .. }) => {
            execute::<A>(store, stream, command, ids, metadata).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A stream only one task writes (a process's own log, under its leader lock), whose state
/// the task keeps between commands: each command costs its append and no reload. Should
/// another writer have moved the stream after all, the append conflicts, the command runs
/// through [`execute`] and the state is loaded again.
pub struct Held<A: Aggregate> {
    stream: String,
    loaded: Loaded<A>,
}

impl<A> Held<A>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    pub async fn load(store: &dyn EventStore, stream: &str) -> Result<Self, AppError> {
        Ok(Held {
            stream: stream.to_owned(),
            loaded: load::<A>(store, stream).await?,
        })
    }

    pub fn state(&self) -> &A {
        &self.loaded.state
    }

    /// Runs `command` on the held state, as [`execute`] would on a freshly loaded one; the
    /// events it appended (none when it was satisfied already). The state is evolved in place,
    /// never copied (an import's holds all its rows).
    pub async fn run(
        &mut self,
        store: &Arc<dyn EventStore>,
        command: &A::Command,
        ids: EventIds,
        metadata: &Metadata,
    ) -> Result<Vec<A::Event>, AppError> {
        let loaded = &mut self.loaded;
        if loaded.applied(ids) {
            return Ok(Vec::new());
        }
        let events = loaded.state.decide(command)?;
        if events.is_empty() {
            return Ok(events);
        }
        let expected = ExpectedVersion::from_loaded(loaded.version);
        let new = new_events(&events, ids, metadata);
        match store.append(&self.stream, expected, new).await {
            Ok(appended) if appended.stream_version == loaded.version + events.len() as i64 => {
                let state = std::mem::take(&mut loaded.state);
                loaded.state = events.iter().fold(state, |s, e| s.evolve(e));
                loaded.version = appended.stream_version;
                loaded.last_position = Some(appended.position);
                Ok(events)
            }
            Ok(_) => {
                // The store answered an earlier append of these ids (a repeated command).
                self.loaded = load::<A>(store.as_ref(), &self.stream).await?;
                Ok(Vec::new())
            }
            Err(StoreError::Conflict { .. }) => {
                let outcome = execute::<A>(store, &self.stream, command, ids, metadata).await;
                self.loaded = load::<A>(store.as_ref(), &self.stream).await?;
                Ok(outcome?.events)
            }
            Err(e) => Err(e.into()),
        }
    }
}
