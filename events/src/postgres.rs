//! PostgreSQL event store (the default backend).
//!
//! - An append is one round trip: one plain statement takes a per-stream advisory lock
//!   before any write, checks the expected version and inserts ([`group`]'s `APPEND_FAST`).
//!   An append it does not write (a failed expectation, an idempotent retry, a version read
//!   before a concurrent writer committed) runs again through the `es_append` function
//!   (migrations 001–006), which answers it precisely under the lock. No global lock:
//!   appends to different streams run concurrently.
//! - Appends that arrive together share a transaction and its commit ([`group`]): the
//!   streams' locks are all taken before the group's first write, each caller is answered
//!   after the commit, and a group that fails runs its appends one by one. Appends to several
//!   streams made together (`append_together`) are one unit of a group: all or nothing.
//! - The global log is read in `(transaction_id, global_position)` order and only below the
//!   oldest running transaction (`pg_snapshot_xmin`), so a tailing reader never skips an event
//!   whose transaction commits late.
//! - Wake-ups stay off the commit path: after an append commits, this process bumps an
//!   in-process watch channel and asks a background task to send one `NOTIFY es_events`
//!   (coalesced: a burst of appends sends a handful of notifications). Other processes
//!   LISTEN on a dedicated connection. Waiters also re-check on a bounded timer.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use tokio::sync::{Notify, watch};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::envelope::{NewEvent, Position, RecordedEvent};
use crate::store::{AppendResult, EventStore, ExpectedVersion, Snapshot, StoreError, StreamAppend};

const CHANNEL: &str = "es_events";
/// Shortest gap between two wake-up NOTIFYs sent by one process.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(2);

fn unavailable(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{context}: {e}"))
}

mod appends;
pub mod cached;
mod connect;
mod group;
mod reads;
use reads::{COLUMNS, recorded};
mod setup;
mod snapshots;
mod wakeup;

pub use setup::{MIGRATIONS, ensure_database, pool};

struct Inner {
    pool: Pool,
    /// Bumped whenever new events may be readable.
    wake: watch::Sender<u64>,
    /// Longest a reader waits before it looks at the log again without a wake-up: unbounded
    /// (the caller's own wait) on the primary, which sends and hears NOTIFYs; short on a
    /// standby ([`PgEventStore::connect_standby`]), which can do neither.
    recheck: Option<Duration>,
    /// Asks the notifier task to send one NOTIFY.
    notify_others: Notify,
    /// The group committers' queue ([`group`]); `None` on a standby, which cannot append.
    groups: Option<group::Queue>,
    /// Appends of this process under way: one arriving while none is runs at once, alone,
    /// without the hop through the committers (a lone writer waits for nobody).
    appending: std::sync::atomic::AtomicUsize,
}

/// The PostgreSQL [`EventStore`]. Cheap to clone.
#[derive(Clone)]
pub struct PgEventStore {
    inner: Arc<Inner>,
}

impl PgEventStore {
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.inner
            .pool
            .get()
            .await
            .map_err(|e| unavailable("getting a connection", e))
    }

    /// Runs `sql` as a statement prepared once per pooled connection (one round trip, not two).
    async fn query(
        &self,
        context: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(|e| unavailable(context, e))?;
        client
            .query(&statement, params)
            .await
            .map_err(|e| unavailable(context, e))
    }

    async fn pending_after(&self, after: Position) -> Result<Option<bool>, StoreError> {
        // Some(true): a readable event exists; Some(false): events exist but their
        // transactions are below the horizon's reach; None: nothing after `after`.
        let rows = self
            .query(
                "checking for new events",
                "SELECT transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS readable
                 FROM es_events WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
                 ORDER BY transaction_id, global_position LIMIT 1",
                &[&after.txid.to_string(), &after.global],
            )
            .await?;
        Ok(rows.first().map(|r| r.get("readable")))
    }
}

fn position_of(row: &Row, txid: &str, global: &str) -> Result<Position, StoreError> {
    let txid: String = row.get(txid);
    Ok(Position {
        txid: txid
            .parse()
            .map_err(|e| unavailable("reading a transaction id", e))?,
        global: row.get(global),
    })
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        self.append_one(stream, expected, events).await
    }

    /// All or nothing, in one transaction: through the group committers as one unit of a
    /// group (`es_append_group` accepts a unit only when every append of it holds), or, with
    /// no other append under way or after a refusal, in a transaction of its own
    /// ([`group::together`]), which answers a failed expectation precisely.
    async fn append_together(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        self.append_parts(appends).await
    }

    fn appends_together_atomically(&self) -> bool {
        true
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM es_events WHERE stream_id = $1 AND stream_version >= $2 \
             ORDER BY stream_version"
        );
        let rows = self
            .query("reading a stream", &sql, &[&stream, &from_version])
            .await?;
        rows.iter().map(recorded).collect()
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {COLUMNS} FROM es_events
             WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
               AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY transaction_id, global_position
             LIMIT $3"
        );
        let rows = self
            .query(
                "reading the log",
                &sql,
                &[&after.txid.to_string(), &after.global, &limit],
            )
            .await?;
        rows.iter().map(recorded).collect()
    }

    async fn read_all_of(
        &self,
        after: Position,
        limit: usize,
        categories: &[&str],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&after.txid.to_string(), &after.global, &limit, &categories];
        let rows = self
            .query("reading the log", reads::READ_ALL_OF, &params)
            .await?;
        rows.iter().map(recorded).collect()
    }

    async fn wait_for_events(&self, after: Position, max_wait: Duration) {
        let deadline = tokio::time::Instant::now() + max_wait;
        // Subscribe before checking, so a commit between the check and the wait still wakes us.
        let mut wake = self.inner.wake.subscribe();
        loop {
            match self.pending_after(after).await {
                Ok(Some(true)) => return,
                // Written but held behind a running transaction: it finishes within moments
                // (transactions are short and time-limited), so look again soon.
                Ok(Some(false)) => {
                    let _ = tokio::time::timeout_at(
                        deadline.min(tokio::time::Instant::now() + Duration::from_millis(5)),
                        wake.changed(),
                    )
                    .await;
                }
                Ok(None) => {
                    let until = match self.inner.recheck {
                        Some(recheck) => deadline.min(tokio::time::Instant::now() + recheck),
                        None => deadline,
                    };
                    let _ = tokio::time::timeout_at(until, wake.changed()).await;
                }
                Err(_) => {
                    let _ = tokio::time::timeout_at(deadline, std::future::pending::<()>()).await;
                    return;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return;
            }
        }
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let rows = self
            .query(
                "reading the head of the log",
                "SELECT transaction_id::text AS txid, global_position FROM es_events
                 WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                 ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
                &[],
            )
            .await?;
        rows.first().map_or(Ok(Position::START), |r| {
            position_of(r, "txid", "global_position")
        })
    }

    async fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        snapshots::load(self, stream).await
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        snapshots::save(self, &snapshot).await
    }

    async fn stored_ids(&self, stream: &str, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        snapshots::stored_ids(self, stream, ids).await
    }
}
