//! One reader of the log's head per runtime, shared by every processor it feeds live.
//!
//! A process hosts many processors (a dozen projections, a dozen reactors). Each used to
//! follow the log on its own: on every commit each woke, asked PostgreSQL whether the next
//! event was readable, read the same stretch of the log and decoded it. The [`Tail`] does that
//! once: it reads the log's head after its own position (the same `read_all`, so the same
//! order and the same horizon rule) into a bounded ring, and tells the processors. A processor
//! whose position lies in the ring takes its batch from memory; one further behind (catching
//! up, rebuilding, just started) reads the store itself, as before, until it reaches the ring.
//!
//! The ring is the log's stretch right after `base`, gap-free: an event is held only once every
//! event before it was (that is what `read_all` guarantees), so a batch taken from it is exactly
//! what `read_all` would return from the same position.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::backoff::Backoff;
use crate::{EventStore, Position, RecordedEvent};

/// Most events the ring holds; a processor further behind than this reads the store.
const CAPACITY: usize = 4096;
/// Most events one read of the head brings.
const READ_BATCH: usize = 1000;
/// How long the tail lets new events gather after a read that found some, before it reads
/// again. Under a steady stream of commits a read that follows at once brings a handful of
/// events, and every processor then runs a batch (a transaction, a checkpoint) for that
/// handful; waiting this long makes reads and batches larger, for at most this much more
/// delay. An event after a quiet spell is read as soon as it is announced.
const LINGER: Duration = Duration::from_millis(5);

/// The shared reader; see the module documentation.
pub(super) struct Tail {
    ring: Mutex<Ring>,
    /// The position of the newest held event (`base` while none is held); `None` before the
    /// first read of the head.
    head: watch::Sender<Option<Position>>,
    /// The reading task; a tail whose task has ended (its tokio runtime stopped) holds
    /// nothing, so processors read the store.
    task: OnceLock<tokio::task::JoinHandle<()>>,
}

struct Ring {
    /// The position right before the first held event.
    base: Position,
    events: VecDeque<Arc<RecordedEvent>>,
}

impl Tail {
    /// A tail that reads `store` from its head on, in a task that ends once the tail is dropped.
    pub(super) fn start(store: Arc<dyn EventStore>, idle_wait: Duration) -> Arc<Tail> {
        let tail = Arc::new(Tail {
            ring: Mutex::new(Ring {
                base: Position::START,
                events: VecDeque::new(),
            }),
            head: watch::Sender::new(None),
            task: OnceLock::new(),
        });
        let task = tokio::spawn(follow(Arc::downgrade(&tail), store, idle_wait));
        let _ = tail.task.set(task);
        tail
    }

    /// Up to `limit` events right after `from`, when the ring holds that stretch (empty when
    /// `from` is the newest held position: nothing more is readable yet); `None` when `from` is
    /// outside the ring (behind it, or ahead of a tail that has not got there yet), so the
    /// caller reads the store.
    pub(super) fn after(&self, from: Position, limit: usize) -> Option<Vec<Arc<RecordedEvent>>> {
        (*self.head.borrow())?;
        if self.task.get().is_none_or(|task| task.is_finished()) {
            return None;
        }
        self.ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .after(from, limit)
    }

    /// Resolves once the tail holds an event after `from`, or after `max_wait`.
    pub(super) async fn wait_after(&self, from: Position, max_wait: Duration) {
        let mut head = self.head.subscribe();
        let _ =
            tokio::time::timeout(max_wait, head.wait_for(|h| h.is_some_and(|h| h > from))).await;
    }

    fn push(&self, events: Vec<RecordedEvent>) {
        let Some(last) = events.last().map(|e| e.position) else {
            return;
        };
        self.ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(events, CAPACITY);
        self.head.send_replace(Some(last));
    }
}

impl Ring {
    fn after(&self, from: Position, limit: usize) -> Option<Vec<Arc<RecordedEvent>>> {
        let start = if from == self.base {
            0
        } else {
            self.events
                .binary_search_by(|e| e.position.cmp(&from))
                .ok()?
                + 1
        };
        Some(self.events.range(start..).take(limit).cloned().collect())
    }

    /// Holds `events` (the log's stretch right after the newest held one), dropping the
    /// oldest beyond `capacity`.
    fn push(&mut self, events: Vec<RecordedEvent>, capacity: usize) {
        self.events.extend(events.into_iter().map(Arc::new));
        while self.events.len() > capacity {
            if let Some(evicted) = self.events.pop_front() {
                self.base = evicted.position;
            }
        }
    }
}

/// The tail's task: start at the log's head, then read whatever follows, for as long as the
/// tail is in use.
async fn follow(tail: Weak<Tail>, store: Arc<dyn EventStore>, idle_wait: Duration) {
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    let mut position = loop {
        match store.head().await {
            Ok(head) => break head,
            Err(e) => {
                tracing::warn!(error = %e, "log tail: could not read the head; retrying");
                tokio::time::sleep(backoff.next_wait()).await;
            }
        }
        if tail.strong_count() == 0 {
            return;
        }
    };
    match tail.upgrade() {
        Some(tail) => {
            tail.ring.lock().unwrap_or_else(|e| e.into_inner()).base = position;
            tail.head.send_replace(Some(position));
        }
        None => return,
    }
    backoff.reset();
    loop {
        let read = store.read_all(position, READ_BATCH).await;
        let Some(tail) = tail.upgrade() else {
            return;
        };
        match read {
            Ok(events) if !events.is_empty() => {
                backoff.reset();
                let full = events.len() >= READ_BATCH;
                position = events.last().map_or(position, |e| e.position);
                tail.push(events);
                drop(tail);
                if !full {
                    tokio::time::sleep(LINGER).await;
                }
            }
            Ok(_) => {
                drop(tail);
                store.wait_for_events(position, idle_wait).await;
            }
            Err(e) => {
                drop(tail);
                let wait = backoff.next_wait();
                tracing::warn!(error = %e, retry_in = ?wait, "log tail: reading the log failed");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(global: i64) -> Position {
        Position { txid: 7, global }
    }

    fn event(global: i64) -> RecordedEvent {
        RecordedEvent {
            event_id: uuid::Uuid::new_v4(),
            stream: format!("order-{global}"),
            stream_version: 1,
            position: at(global),
            event_type: "Happened".into(),
            schema_version: 1,
            data: serde_json::json!({ "n": global }),
            metadata: crate::Metadata::default(),
            recorded_at: chrono::Utc::now(),
        }
    }

    fn globals(events: Option<Vec<Arc<RecordedEvent>>>) -> Option<Vec<i64>> {
        events.map(|events| events.iter().map(|e| e.position.global).collect())
    }

    #[test]
    fn a_batch_starts_right_after_the_position_asked_for() {
        let mut ring = Ring {
            base: at(10),
            events: VecDeque::new(),
        };
        assert_eq!(
            globals(ring.after(at(10), 5)),
            Some(vec![]),
            "nothing newer yet"
        );
        ring.push((11..=15).map(event).collect(), 100);
        assert_eq!(globals(ring.after(at(10), 3)), Some(vec![11, 12, 13]));
        assert_eq!(globals(ring.after(at(12), 10)), Some(vec![13, 14, 15]));
        assert_eq!(globals(ring.after(at(15), 10)), Some(vec![]), "caught up");
        // Behind the ring, ahead of it, or not an event of its stretch: the store's to read.
        assert_eq!(globals(ring.after(at(9), 10)), None);
        assert_eq!(globals(ring.after(at(16), 10)), None);
        assert_eq!(
            globals(ring.after(
                Position {
                    txid: 8,
                    global: 12
                },
                10
            )),
            None
        );
    }

    #[test]
    fn the_oldest_events_leave_and_the_base_follows() {
        let mut ring = Ring {
            base: at(0),
            events: VecDeque::new(),
        };
        ring.push((1..=4).map(event).collect(), 6);
        ring.push((5..=9).map(event).collect(), 6);
        assert_eq!(ring.base, at(3));
        assert_eq!(globals(ring.after(at(2), 10)), None, "evicted");
        assert_eq!(globals(ring.after(at(3), 10)), Some((4..=9).collect()));
        assert_eq!(globals(ring.after(at(6), 2)), Some(vec![7, 8]));
    }
}
