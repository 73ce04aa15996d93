//! Hot streams: commands on one stream are serialised inside this instance and decided
//! together. The first command to arrive for a stream starts a drainer task; commands that
//! arrive while it works queue up behind it, and each round takes every queued command, loads
//! the stream once, decides them one after another on the evolving state and appends all
//! their events in one append. A thousand reservations on one product in a flash sale are a
//! handful of appends, not a thousand optimistic-concurrency retries.
//!
//! Across instances the optimistic check still decides: a round that loses the race is
//! decided again after a short jittered pause, until [`CONFLICT_DEADLINE`] passes, and only
//! then does a client see a conflict.
//!
//! The state a round leaves is kept for the stream's next round (`states.rs`), so a busy
//! stream is not read back from the store before every round.
//!
//! Each command keeps its own outcome: a rule refusing one command refuses only that one, and
//! the others' events are appended as if they had run alone, in arrival order.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use pasar_domain::Aggregate;
use pasar_events::types::streams::Category;
use pasar_events::{EventStore, ExpectedVersion, Metadata, NewEvent, StoreError};
use rand::Rng as _;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::AppError;
use super::stream::{self, EventIds, Loaded, Outcome, SNAPSHOT_EVERY, load, unchanged};

/// How long a round keeps deciding again after losing races to other instances.
pub const CONFLICT_DEADLINE: Duration = Duration::from_secs(10);
/// Most commands decided together in one round (bounds the append's size).
const MAX_ROUND: usize = 256;

/// One queued command and where its outcome goes.
pub struct Pending<A: Aggregate> {
    pub command: A::Command,
    pub ids: EventIds,
    pub metadata: Metadata,
    pub reply: oneshot::Sender<Result<Outcome<A>, AppError>>,
}

struct Queue<A: Aggregate> {
    waiting: VecDeque<Pending<A>>,
    draining: bool,
}

type Key = (TypeId, String);

/// Every stream with queued commands, by aggregate type and stream name. Entries are removed
/// when their queue drains, so the map only holds streams busy right now.
static QUEUES: LazyLock<Mutex<HashMap<Key, Arc<dyn Any + Send + Sync>>>> =
    LazyLock::new(Mutex::default);

/// Queues `pending` on `stream`, starting its drainer if none runs.
pub fn submit<A>(store: &Arc<dyn EventStore>, stream: &str, pending: Pending<A>)
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let key: Key = (TypeId::of::<A>(), stream.to_owned());
    let mut queues = QUEUES
        .lock()
        .expect("invariant: the queue map lock is never poisoned");
    let entry = queues.entry(key.clone()).or_insert_with(|| {
        Arc::new(Mutex::new(Queue::<A> {
            waiting: VecDeque::new(),
            draining: false,
        }))
    });
    let queue = Arc::clone(entry)
        .downcast::<Mutex<Queue<A>>>()
        .expect("invariant: the key's TypeId names the queue's aggregate");
    let mut guard = queue
        .lock()
        .expect("invariant: a queue lock is never poisoned");
    guard.waiting.push_back(pending);
    if !guard.draining {
        guard.draining = true;
        drop(guard);
        drop(queues);
        tokio::spawn(drain(Arc::clone(store), key, queue));
    }
}

/// Runs rounds until the queue is empty, then removes it from the map.
async fn drain<A>(store: Arc<dyn EventStore>, key: Key, queue: Arc<Mutex<Queue<A>>>)
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    loop {
        let round: Vec<Pending<A>> = {
            // Lock order: the map, then the queue (as in `submit`).
            let mut queues = QUEUES.lock().expect("invariant: never poisoned");
            let mut guard = queue.lock().expect("invariant: never poisoned");
            if guard.waiting.is_empty() {
                guard.draining = false;
                queues.remove(&key);
                return;
            }
            let n = guard.waiting.len().min(MAX_ROUND);
            guard.waiting.drain(..n).collect()
        };
        // A panic inside a round (a bug in a decide) must not leave the stream's queue marked
        // as draining forever: the round's waiters get "the queue stopped without answering"
        // (their reply senders are dropped) and the next round runs.
        let round = std::panic::AssertUnwindSafe(run_round(store.as_ref(), &key.1, round));
        if futures::FutureExt::catch_unwind(round).await.is_err() {
            tracing::error!(stream = %key.1, "a command round panicked; its commands were answered with an internal error");
        }
    }
}

/// What one command of a round came to, before the append.
enum Decision<A: Aggregate> {
    /// Nothing to append (already applied, or already satisfied). `after` is the state the
    /// round had reached when an earlier command of the round appended (the answer shows it,
    /// at the round's position); `None` when nothing before it in the round appended.
    Unchanged {
        after: Option<A>,
    },
    Refused(AppError),
    /// Its events, the state after them, and how many of the round's events precede them.
    Appends {
        events: Vec<A::Event>,
        state: A,
    },
}

/// Decides and appends one round, answering every command in it.
async fn run_round<A>(store: &dyn EventStore, stream: &str, round: Vec<Pending<A>>)
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let deadline = Instant::now() + CONFLICT_DEADLINE;
    let mut kept = states::take::<A>(stream);
    loop {
        let loaded = match kept.take() {
            Some(kept) => kept,
            None => match load::<A>(store, stream).await {
                Ok(loaded) => loaded,
                Err(e) => return answer_all(round, &e),
            },
        };
        let stored = match stored_before_snapshot(store, stream, &loaded, &round).await {
            Ok(stored) => stored,
            Err(e) => return answer_all(round, &e),
        };
        let (decisions, new_events) = decide_round(&loaded, &round, &stored);
        if loaded.kept
            && decisions
                .iter()
                .any(|d| !matches!(d, Decision::Appends { .. }))
        {
            // A refusal or a no-op is checked by no append: decide again on the stream as
            // stored, which may have moved since this instance's last round.
            continue;
        }
        if new_events.is_empty() {
            return answer(store, round, decisions, loaded, None).await;
        }
        let appended_ids: Vec<Uuid> = new_events.iter().map(|e| e.event_id).collect();
        let expected = ExpectedVersion::from_loaded(loaded.version);
        match store.append(stream, expected, new_events).await {
            Ok(result) => {
                let snapshot = snapshot_if_due(store, stream, &loaded, &decisions, &result).await;
                if let Some(state) = last_state(&decisions) {
                    let snapshot_version = snapshot.or(loaded.snapshot_version);
                    let after = Loaded::after_round(
                        stream,
                        state.clone(),
                        result.stream_version,
                        result.position,
                        appended_ids,
                        snapshot_version,
                    );
                    states::keep(stream, after);
                }
                return answer(store, round, decisions, loaded, Some(result.position)).await;
            }
            Err(StoreError::Conflict { .. }) if Instant::now() < deadline => {
                let category = Category::of(stream).map_or("other", Category::as_str);
                metrics::counter!("pasar_command_retries_total", "category" => category)
                    .increment(1);
                let pause = rand::thread_rng().gen_range(1..=20);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Err(e) => return answer_all(round, &<AppError as From<StoreError>>::from(e)),
        }
    }
}

/// The state after the round's last appending command.
fn last_state<A: Aggregate>(decisions: &[Decision<A>]) -> Option<&A> {
    decisions.iter().rev().find_map(|d| match d {
        Decision::Appends { state, .. } => Some(state),
        _ => None,
    })
}

/// Derived first-event ids of the round that are stored before the snapshot the stream was
/// loaded from (the events read after it cannot show them). Without this, a retried command
/// would be decided again, and its already-stored first id would make the store skip the
/// whole round's append as a retry.
async fn stored_before_snapshot<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
    loaded: &Loaded<A>,
    round: &[Pending<A>],
) -> Result<HashSet<Uuid>, AppError> {
    if loaded.read_whole() {
        return Ok(HashSet::new());
    }
    let unseen: Vec<Uuid> = round
        .iter()
        .filter(|p| !loaded.applied(p.ids))
        .filter_map(|p| p.ids.first())
        .collect();
    if unseen.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(store
        .stored_ids(stream, &unseen)
        .await?
        .into_iter()
        .collect())
}

/// Saves the state after the round once the stream has grown [`SNAPSHOT_EVERY`] events past
/// its last snapshot; the new snapshot's version when one was saved. Best effort: a failure
/// only means the next load reads more events.
async fn snapshot_if_due<A: Aggregate>(
    store: &dyn EventStore,
    stream: &str,
    loaded: &Loaded<A>,
    decisions: &[Decision<A>],
    appended: &pasar_events::AppendResult,
) -> Option<i64> {
    let schema = A::SNAPSHOT_VERSION?;
    if appended.stream_version - loaded.snapshot_version.unwrap_or(0) < SNAPSHOT_EVERY {
        return None;
    }
    let state = last_state(decisions).and_then(Aggregate::to_snapshot)?;
    let snapshot = pasar_events::Snapshot {
        stream: stream.to_owned(),
        version: appended.stream_version,
        position: appended.position,
        schema,
        state,
    };
    match store.save_snapshot(snapshot).await {
        Ok(()) => Some(appended.stream_version),
        Err(e) => {
            tracing::warn!(stream, error = %e, "could not save a snapshot");
            None
        }
    }
}

/// Decides every command of the round on the state the ones before it left.
fn decide_round<A>(
    loaded: &Loaded<A>,
    round: &[Pending<A>],
    stored: &HashSet<Uuid>,
) -> (Vec<Decision<A>>, Vec<NewEvent>)
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let mut state = loaded.state.clone();
    let mut seen = HashSet::new();
    let mut new_events = Vec::new();
    let decisions = round
        .iter()
        .map(|p| {
            // A retry of a command already applied, in the log or earlier in this round.
            let first = p.ids.first();
            let repeated = first.is_some_and(|id| stored.contains(&id) || !seen.insert(id));
            // Answered on the state the round has reached: a command satisfied by an earlier
            // one of the round (eight suspensions of one account at once), or the same keyed
            // command twice, must see that command's effect, not the state loaded before it.
            let unchanged = || Decision::Unchanged {
                after: (!new_events.is_empty()).then(|| state.clone()),
            };
            if loaded.applied(p.ids) || repeated {
                return unchanged();
            }
            match state.decide(&p.command) {
                Ok(events) if events.is_empty() => unchanged(),
                Ok(events) => {
                    new_events.extend(stream::new_events(&events, p.ids, &p.metadata));
                    state = events.iter().fold(state.clone(), |s, e| s.evolve(e));
                    Decision::Appends {
                        events,
                        state: state.clone(),
                    }
                }
                Err(e) => Decision::Refused(e.into()),
            }
        })
        .collect();
    (decisions, new_events)
}

/// Sends each command its outcome. An appending command's position is the round's last one
/// (its own events are at or before it, so a consistency token from it is never early).
async fn answer<A: Aggregate>(
    store: &dyn EventStore,
    round: Vec<Pending<A>>,
    decisions: Vec<Decision<A>>,
    loaded: Loaded<A>,
    appended_at: Option<pasar_events::Position>,
) {
    for (pending, decision) in round.into_iter().zip(decisions) {
        let outcome = match decision {
            Decision::Refused(e) => Err(e),
            Decision::Appends { events, state } => Ok(Outcome {
                state,
                events,
                position: appended_at.expect("invariant: a round with events appended them"),
            }),
            Decision::Unchanged { after: None } => unchanged(store, &loaded, pending.ids).await,
            Decision::Unchanged { after: Some(state) } => Ok(Outcome {
                state,
                events: Vec::new(),
                position: appended_at.expect("invariant: a round with events appended them"),
            }),
        };
        // The caller may have gone (its request was dropped); its command stands regardless.
        let _ = pending.reply.send(outcome);
    }
}

fn answer_all<A: Aggregate>(round: Vec<Pending<A>>, error: &AppError) {
    for pending in round {
        let _ = pending.reply.send(Err(error.duplicate()));
    }
}

mod states;
#[cfg(test)]
mod tests;
