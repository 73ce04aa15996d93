//! Group commit: appends to different streams that arrive while the committers are busy share
//! one transaction, so they share one commit and one WAL flush (as EventStoreDB commits).
//!
//! A caller hands its append to the queue and waits for its own answer, which comes only after
//! the shared transaction committed (the durable-commit guarantee of each caller is unchanged).
//! [`COMMITTERS`] tasks drain the queue: each takes what is waiting (up to [`MAX_GROUP`]
//! appends), locks every stream of the group in one fixed order before the first write
//! (`es_lock_streams`, migration 004: a later writer of a stream still gets a larger
//! transaction id, so tailing readers see each stream in order), then runs each append's
//! version check and insert (`es_append_locked`) pipelined, and commits.
//!
//! - A group of one, and every member of a group whose transaction failed (an event id stored
//!   already, a lost connection), is answered [`Grouped::Alone`]: the caller runs its append in
//!   a transaction of its own, as without grouping, and gets its own precise answer (an
//!   idempotent retry's original result, a duplicate id, an outage). A failed group committed
//!   nothing, so running its members again is safe.
//! - A version conflict is an answer, not a failure: that member's row says `conflict` and the
//!   others commit.

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// Tasks committing groups at the same time (each on one pooled connection while it commits).
pub(super) const COMMITTERS: usize = 2;
/// Most appends in one group.
const MAX_GROUP: usize = 128;

/// One append, with everything `es_append` and `es_append_locked` take.
pub(super) struct Append {
    pub stream: String,
    pub expected: i64,
    pub ids: Vec<Uuid>,
    pub types: Vec<String>,
    pub versions: Vec<i32>,
    pub data: Vec<serde_json::Value>,
    pub meta: Vec<serde_json::Value>,
}

impl Append {
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.stream,
            &self.expected,
            &self.ids,
            &self.types,
            &self.versions,
            &self.data,
            &self.meta,
        ]
    }
}

/// An append waiting for a group, and where its answer goes.
pub(super) struct Request {
    pub append: Append,
    pub reply: oneshot::Sender<Grouped>,
}

/// What a committer answers an append.
pub(super) enum Grouped {
    /// `es_append_locked`'s row, committed with the group.
    Row(Row),
    /// Not appended: run it alone (it comes back).
    Alone(Append),
}

/// The queue's sending side; the committers stop when it is dropped.
pub(super) type Queue = mpsc::Sender<Request>;

/// Counts an append under way for as long as it lives.
pub(super) struct Appending<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Appending<'a> {
    /// Counts one more; answers how many were under way before it.
    pub(super) fn start(count: &'a std::sync::atomic::AtomicUsize) -> (Self, usize) {
        let before = count.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        (Appending(count), before)
    }
}

impl Drop for Appending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Starts the committers on `pool` and answers their queue.
pub(super) fn start(pool: Pool) -> Queue {
    let (queue, receiver) = mpsc::channel(MAX_GROUP * COMMITTERS * 4);
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..COMMITTERS {
        tokio::spawn(commit_groups(pool.clone(), receiver.clone()));
    }
    queue
}

async fn commit_groups(pool: Pool, receiver: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        let group = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match receiver.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            group
        };
        if group.len() == 1 {
            answer_alone(group);
            continue;
        }
        match commit(&pool, &group).await {
            Ok(rows) => {
                metrics::histogram!("pasar_event_append_group_size").record(group.len() as f64);
                for (request, row) in group.into_iter().zip(rows) {
                    let _ = request.reply.send(Grouped::Row(row));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, appends = group.len(), "group commit failed; appending one by one");
                answer_alone(group);
            }
        }
    }
}

fn answer_alone(group: Vec<Request>) {
    for request in group {
        let _ = request.reply.send(Grouped::Alone(request.append));
    }
}

type GroupError = Box<dyn std::error::Error + Send + Sync>;

/// Commits `group` in one transaction, in one round trip: `BEGIN`, every stream's lock, the
/// appends and `COMMIT` are all sent before any answer is read. When any statement before
/// `COMMIT` failed, the transaction was aborted and PostgreSQL turns that `COMMIT` into a
/// rollback, so the group counts as failed; either way the connection ends outside a
/// transaction (everything is queued on the connection at the first poll).
async fn commit(pool: &Pool, group: &[Request]) -> Result<Vec<Row>, GroupError> {
    let client = pool.get().await?;
    let lock = client
        .prepare_cached("SELECT es_lock_streams($1::text[])")
        .await?;
    let append = client
        .prepare_cached("SELECT * FROM es_append_locked($1, $2, $3, $4, $5, $6, $7)")
        .await?;
    let streams: Vec<&str> = group.iter().map(|r| r.append.stream.as_str()).collect();
    let params: Vec<[&(dyn ToSql + Sync); 7]> = group.iter().map(|r| r.append.params()).collect();
    let lock_params: [&(dyn ToSql + Sync); 1] = [&streams];
    let (begun, locked, appended, committed) = futures::join!(
        client.batch_execute("BEGIN"),
        client.execute(&lock, &lock_params),
        futures::future::join_all(params.iter().map(|p| client.query_one(&append, p))),
        client.batch_execute("COMMIT"),
    );
    begun?;
    locked?;
    let rows = appended.into_iter().collect::<Result<Vec<Row>, _>>()?;
    committed?;
    Ok(rows)
}
