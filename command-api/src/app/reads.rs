//! Reads of one stream wanted by many requests at once share one read. In a flash sale a
//! thousand checkouts price their line from the same product stream within a second; each
//! reading it alone is a thousand identical queries.
//!
//! A caller joins the stream's queue and gets the result of the next read that *starts after
//! it joined*, never of one already under way: whatever was stored before the caller asked is
//! in what it gets, exactly as with a read of its own. The first caller starts a reader task;
//! each of its reads answers everyone who was waiting when it started, and it reads again
//! while more callers came meanwhile.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use pasar_domain::Aggregate;
use pasar_events::EventStore;
use tokio::sync::oneshot;

use super::AppError;
use super::stream::{Loaded, load};

type Reply<A> = oneshot::Sender<Result<Loaded<A>, AppError>>;

struct Queue<A: Aggregate> {
    waiting: Vec<Reply<A>>,
    reading: bool,
}

type Key = (TypeId, String);

/// Streams with callers waiting for a read; an entry goes once its queue is empty.
static QUEUES: LazyLock<Mutex<HashMap<Key, Arc<dyn Any + Send + Sync>>>> =
    LazyLock::new(Mutex::default);

/// `stream`'s state, read after this call (shared with other callers waiting for the same
/// stream at that moment).
pub async fn load_shared<A: Aggregate>(
    store: &Arc<dyn EventStore>,
    stream: &str,
) -> Result<Loaded<A>, AppError> {
    let (reply, answer) = oneshot::channel();
    let key: Key = (TypeId::of::<A>(), stream.to_owned());
    let start = {
        let mut queues = QUEUES
            .lock()
            .expect("invariant: the read queue map is never poisoned");
        let entry = queues.entry(key.clone()).or_insert_with(|| {
            Arc::new(Mutex::new(Queue::<A> {
                waiting: Vec::new(),
                reading: false,
            }))
        });
        let queue = Arc::clone(entry)
            .downcast::<Mutex<Queue<A>>>()
            .expect("invariant: the key's TypeId names the queue's aggregate");
        let mut guard = queue.lock().expect("invariant: never poisoned");
        guard.waiting.push(reply);
        let start = !guard.reading;
        guard.reading = true;
        drop(guard);
        start.then_some(queue)
    };
    if let Some(queue) = start {
        tokio::spawn(read(Arc::clone(store), key, queue));
    }
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the shared read of {stream} stopped without answering"
        ))
    })?
}

/// Reads for everyone waiting, again while more came meanwhile; then removes the queue.
async fn read<A: Aggregate>(store: Arc<dyn EventStore>, key: Key, queue: Arc<Mutex<Queue<A>>>) {
    loop {
        let waiting = {
            // Lock order: the map, then the queue (as in `load_shared`).
            let mut queues = QUEUES.lock().expect("invariant: never poisoned");
            let mut guard = queue.lock().expect("invariant: never poisoned");
            if guard.waiting.is_empty() {
                guard.reading = false;
                queues.remove(&key);
                return;
            }
            std::mem::take(&mut guard.waiting)
        };
        // A panic in a read (a bug in an evolve) answers its waiters with an internal error
        // (their senders are dropped) and must not leave the queue marked as reading.
        let loading = std::panic::AssertUnwindSafe(load::<A>(store.as_ref(), &key.1));
        let Ok(loaded) = futures::FutureExt::catch_unwind(loading).await else {
            tracing::error!(stream = %key.1, "a shared read panicked");
            continue;
        };
        for reply in waiting {
            let _ = reply.send(match &loaded {
                Ok(loaded) => Ok(loaded.clone()),
                Err(e) => Err(e.duplicate()),
            });
        }
    }
}

#[cfg(test)]
mod tests;
