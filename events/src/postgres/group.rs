//! Group commit: appends to different streams that arrive while the committers are busy share
//! one transaction, so they share one commit and one WAL flush (as EventStoreDB commits).
//!
//! A caller hands its append to the queue and waits for its own answer, which comes only after
//! the shared transaction committed (the durable-commit guarantee of each caller is unchanged).
//! [`COMMITTERS`] tasks drain the queue: each takes what is waiting (up to [`MAX_GROUP`]
//! appends, one per stream) and runs it as one statement, `es_append_group` (migrations 005
//! and 006): it locks every stream of the group in one fixed order before the first write (a
//! later writer of a stream still gets a larger transaction id, so tailing readers see each
//! stream in order), then reads every stream's version and inserts every accepted member's
//! events in one statement.
//!
//! - A request is a unit: one append, or several to different streams made together
//!   (`EventStore::append_together`), which `es_append_group` accepts only when every one of
//!   them holds (migration 007), also when it is the group's only unit (one round trip
//!   rather than a transaction of one statement per stream). A unit refused runs in a
//!   transaction of its own ([`together`]), all or nothing, with precise answers.
//! - A group of one append is appended by its committer as one append by itself ([`alone`]).
//! - A second append to a stream already in the group, and every append whose statement
//!   failed (an event id stored already, a lost connection) are answered
//!   [`Grouped::Alone`]: the caller runs its append in a transaction of its own, as without
//!   grouping, and gets its own precise answer (an idempotent retry's original result, a
//!   duplicate id, an outage). A failed statement wrote nothing; should it have committed
//!   before its answer was lost, the members' event ids are stored, so running them again
//!   answers their original results and appends nothing twice.
//! - A member whose expected version does not hold appends nothing (its row says `refused`)
//!   while the others commit; it runs again alone, where `es_append` answers it precisely (a
//!   conflict with the stream's version, or an idempotent retry's original result).

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// Tasks committing groups at the same time (each on one pooled connection while it commits).
/// A group waits for its commit's WAL flush, so the committers' throughput is groups in flight
/// over that wait: with 2, appends reached 65–80 % of raw single-row INSERTs at 32–64 writers;
/// with 4, 67–92 %; with 8, 65–102 % (`pasar-bench appends`, alternating runs on a loaded
/// machine, 2026-11-30). Four keeps most of the gain while holding at most four connections.
pub(super) const COMMITTERS: usize = 4;
/// Most appends in one group.
const MAX_GROUP: usize = 128;

/// One append, with everything `es_append` takes.
pub(super) struct Append {
    pub stream: String,
    pub expected: i64,
    pub ids: Vec<Uuid>,
    pub types: Vec<String>,
    pub versions: Vec<i32>,
    pub data: Vec<serde_json::Value>,
    pub meta: Vec<serde_json::Value>,
}

/// One append by itself, under the stream's lock: `es_append` takes [`Append::params`]. It
/// gives the precise answer to an append whose expectation does not hold (a conflict with the
/// stream's version, an idempotent retry's original result, an id stored elsewhere).
pub(super) const APPEND: &str = "SELECT * FROM es_append($1, $2, $3, $4, $5, $6, $7)";

/// One append by itself, the common case, as one plain statement (no PL/pgSQL): it takes the
/// stream's lock, reads the stream's version and inserts the events if the expectation holds.
/// Same parameters and answer row as [`APPEND`]; no row when the expectation does not hold.
///
/// Its version read uses the statement's snapshot, taken *before* the lock is granted. So
/// when it had to wait for another writer of the stream, the version it read may be stale:
/// its insert then collides with that writer's row on the unique `(stream_id,
/// stream_version)` index and fails, writing nothing. Both that failure and a failed
/// expectation go on to [`APPEND`], which reads the version after the lock ([`alone`]).
/// The lock still comes before the transaction's first write, so a later writer of a stream
/// gets a larger transaction id, as with `es_append`.
///
/// Measured with pgbench (1 event per append, 8 clients, 2026-12-01): 13,300–13,500 appends/s
/// against `es_append`'s 10,500, and single-row INSERTs' 16,100–17,600.
const APPEND_FAST: &str = "
    WITH locked AS (SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))),
    head AS (
        SELECT coalesce(max(e.stream_version), 0) AS version FROM es_events e
        WHERE e.stream_id = $1::text
    ),
    inserted AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
        SELECT $1::text, h.version + t.ord, t.id, t.ty, t.ver, t.dat, t.met
        FROM locked, head h,
             unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])
                 WITH ORDINALITY AS t(id, ty, ver, dat, met, ord)
        WHERE NOT (($2::bigint = 0 AND h.version <> 0)
                   OR ($2::bigint > 0 AND h.version <> $2::bigint))
        ORDER BY t.ord
        RETURNING es_events.stream_version, es_events.transaction_id, es_events.global_position
    )
    SELECT 'appended'::text AS outcome, i.stream_version AS last_version,
           i.transaction_id::text AS last_txid, i.global_position AS last_position
    FROM inserted i ORDER BY i.stream_version DESC LIMIT 1";

/// The unique index that keeps one event per stream version.
const STREAM_VERSION_KEY: &str = "es_events_stream_version_key";

/// Appends `append` by itself on `client`: [`APPEND_FAST`], and [`APPEND`] when that did not
/// append (an expectation that does not hold, a version read before a concurrent writer
/// committed). Answers `es_append`'s row; an error wrote nothing.
pub(super) async fn alone(
    client: &deadpool_postgres::Client,
    append: &Append,
) -> Result<Row, tokio_postgres::Error> {
    let fast = client.prepare_cached(APPEND_FAST).await?;
    match client.query_opt(&fast, &append.params()).await {
        Ok(Some(row)) => return Ok(row),
        Ok(None) => {}
        Err(e) if constraint(&e) == Some(STREAM_VERSION_KEY) => {}
        Err(e) => return Err(e),
    }
    let locked = client.prepare_cached(APPEND).await?;
    client.query_one(&locked, &append.params()).await
}

/// The unique constraint that `e` violated, if that is what it is.
pub(super) fn constraint(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().and_then(|db| db.constraint())
}

impl Append {
    /// `events` for `stream`, with `es_append`'s expectation code (-1 any, 0 no stream, or the
    /// exact version).
    pub(super) fn new(stream: &str, expected: i64, events: Vec<crate::NewEvent>) -> Self {
        Append {
            stream: stream.to_owned(),
            expected,
            ids: events.iter().map(|e| e.event_id).collect(),
            types: events.iter().map(|e| e.event_type.clone()).collect(),
            versions: events.iter().map(|e| e.schema_version).collect(),
            meta: events
                .iter()
                .map(|e| serde_json::to_value(&e.metadata).unwrap_or_default())
                .collect(),
            data: events.into_iter().map(|e| e.data).collect(),
        }
    }

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

/// Appends waiting for a group (one, or several to make together), and where their answer
/// goes.
pub(super) struct Request {
    pub appends: Vec<Append>,
    pub reply: oneshot::Sender<Grouped>,
}

/// What a committer answers a request.
pub(super) enum Grouped {
    /// Each append's row of `es_append_group` (or of [`alone`] and [`together`], for a group
    /// of one request), committed; in the request's order.
    Rows(Vec<Row>),
    /// Not appended: run them alone (they come back).
    Alone(Vec<Append>),
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
        let (mut group, repeated) = distinct_streams(group);
        answer_alone(repeated);
        if let [request] = group.as_slice()
            && request.appends.len() == 1
        {
            let request = group.pop().expect("a group of one");
            commit_one(&pool, request).await;
            continue;
        }
        match commit(&pool, &group).await {
            Ok(rows) => {
                metrics::histogram!("pasar_event_append_group_size").record(rows.len() as f64);
                let mut rows = rows.into_iter();
                for request in group {
                    let mine: Vec<Row> = rows.by_ref().take(request.appends.len()).collect();
                    let refused = mine
                        .iter()
                        .any(|r| r.get::<_, &str>("outcome") == "refused");
                    let answer = if refused {
                        Grouped::Alone(request.appends)
                    } else {
                        Grouped::Rows(mine)
                    };
                    let _ = request.reply.send(answer);
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, appends = group.len(), "group commit failed; appending one by one");
                answer_alone(group);
            }
        }
    }
}

/// Splits `group` into the requests whose streams no earlier request names and the others,
/// which run alone (a group decides every member against the versions stored before it).
fn distinct_streams(group: Vec<Request>) -> (Vec<Request>, Vec<Request>) {
    let mut seen = std::collections::HashSet::with_capacity(group.len());
    group.into_iter().partition(|r| {
        let fresh = r.appends.iter().all(|a| !seen.contains(a.stream.as_str()));
        if fresh {
            seen.extend(r.appends.iter().map(|a| a.stream.clone()));
        }
        fresh
    })
}

fn answer_alone(group: Vec<Request>) {
    for request in group {
        let _ = request.reply.send(Grouped::Alone(request.appends));
    }
}

pub(super) type GroupError = Box<dyn std::error::Error + Send + Sync>;

/// Commits a group of one append on this committer's connection ([`alone`]): the caller is
/// answered its row, as a member of a group would be, without its append travelling back to
/// run alone (which costs the caller another connection and the queue's round trip again).
/// Any error sends it back to run alone, for the precise answer; nothing was written then.
async fn commit_one(pool: &Pool, request: Request) {
    let row = async {
        let client = pool.get().await?;
        Ok::<_, GroupError>(alone(&client, &request.appends[0]).await?)
    }
    .await;
    let answer = match row {
        Ok(row) => Grouped::Rows(vec![row]),
        Err(e) => {
            tracing::debug!(error = %e, "append of one failed; appending alone");
            Grouped::Alone(request.appends)
        }
    };
    let _ = request.reply.send(answer);
}

/// What [`together`] did.
pub(super) enum Together {
    /// Every append landed (or had landed before: an idempotent retry), committed: their rows.
    Committed(Vec<Row>),
    /// The append at `part` did not hold (`row` says why: `conflict` or `elsewhere`); the
    /// transaction was rolled back, nothing was written.
    Refused { part: usize, row: Row },
}

/// Appends `appends` (distinct streams) in one transaction of their own: every stream's lock
/// first (`es_lock_streams`, in key order, before any write), then each append under its lock
/// (`es_append_locked`, which answers a failed expectation precisely). Commits only when every
/// append landed or is an idempotent retry's original; otherwise rolls back. An error wrote
/// nothing (its index in `appends` with it when an append's own statement failed).
pub(super) async fn together(
    client: &mut deadpool_postgres::Client,
    appends: &[Append],
) -> Result<Together, TogetherError> {
    let streams: Vec<&str> = appends.iter().map(|a| a.stream.as_str()).collect();
    let transaction = client.transaction().await?;
    let lock = transaction
        .prepare_cached("SELECT es_lock_streams($1)")
        .await?;
    transaction.execute(&lock, &[&streams]).await?;
    let locked = transaction
        .prepare_cached("SELECT * FROM es_append_locked($1, $2, $3, $4, $5, $6, $7)")
        .await?;
    let mut rows = Vec::with_capacity(appends.len());
    for (part, append) in appends.iter().enumerate() {
        let row = transaction
            .query_one(&locked, &append.params())
            .await
            .map_err(|e| TogetherError::Part(part, e))?;
        if !matches!(row.get::<_, &str>("outcome"), "appended" | "existing") {
            return Ok(Together::Refused { part, row });
        }
        rows.push(row);
    }
    transaction.commit().await?;
    Ok(Together::Committed(rows))
}

/// Why [`together`] failed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub(super) enum TogetherError {
    /// The statement of the append at this index failed.
    #[error("appending part {0}: {1}")]
    Part(usize, tokio_postgres::Error),
    #[error(transparent)]
    Other(#[from] tokio_postgres::Error),
}

/// Commits `group` (distinct streams) in one statement, `es_append_group` (migrations 006 and
/// 007): one round trip, one transaction, one version lookup and one multi-row INSERT for the
/// whole group. Each request is a unit: its appends land together or not at all. Answers each
/// append's row, in the group's order. An error means nothing was written.
async fn commit(pool: &Pool, group: &[Request]) -> Result<Vec<Row>, GroupError> {
    let client = pool.get().await?;
    let units: Vec<&[Append]> = group.iter().map(|r| r.appends.as_slice()).collect();
    append_units(&client, &units).await
}

/// Appends `units` (distinct streams; a unit's appends land together or not at all) in one
/// statement, `es_append_group`, on `client`: each append's row, in order (`refused` for every
/// append of a unit whose expectations did not all hold). An error means nothing was written.
pub(super) async fn append_units(
    client: &deadpool_postgres::Client,
    units: &[&[Append]],
) -> Result<Vec<Row>, GroupError> {
    let statement = client
        .prepare_cached("SELECT * FROM es_append_group($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .await?;
    let appends = || units.iter().flat_map(|unit| unit.iter());
    let streams: Vec<&str> = appends().map(|a| a.stream.as_str()).collect();
    let expected: Vec<i64> = appends().map(|a| a.expected).collect();
    let counts: Vec<i32> = appends().map(|a| a.ids.len() as i32).collect();
    let unit_of: Vec<i32> = (0..)
        .zip(units)
        .flat_map(|(unit, appends)| std::iter::repeat_n(unit, appends.len()))
        .collect();
    let ids: Vec<Uuid> = appends().flat_map(|a| a.ids.iter().copied()).collect();
    let types: Vec<&str> = appends()
        .flat_map(|a| a.types.iter().map(String::as_str))
        .collect();
    let versions: Vec<i32> = appends().flat_map(|a| a.versions.iter().copied()).collect();
    let data: Vec<&serde_json::Value> = appends().flat_map(|a| a.data.iter()).collect();
    let meta: Vec<&serde_json::Value> = appends().flat_map(|a| a.meta.iter()).collect();
    let rows = client
        .query(
            &statement,
            &[
                &streams, &expected, &counts, &unit_of, &ids, &types, &versions, &data, &meta,
            ],
        )
        .await?;
    let mut answers: Vec<Option<Row>> = (0..streams.len()).map(|_| None).collect();
    for row in rows {
        let member: i32 = row.get("member");
        let slot = usize::try_from(member - 1)
            .ok()
            .and_then(|i| answers.get_mut(i));
        *slot.ok_or("es_append_group answered an unknown member")? = Some(row);
    }
    answers
        .into_iter()
        .map(|row| row.ok_or_else(|| "es_append_group left a member unanswered".into()))
        .collect()
}
