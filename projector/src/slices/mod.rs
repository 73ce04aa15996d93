//! Read-model slices: one folder per feature (`catalog/`, `categories/`, `carts/`, `orders/`,
//! `payments/`, `sellers/`, `imports/`, `wallets/`),
//! `payments/`, `sellers/`, `imports/`, `customers/`),
//! each with its projection (`mod.rs`: events of a few stream categories into rows), its
//! tables' DDL (`schema.sql`, the only copy: every version is created from it) and, where the
//! query API reads it, its queries (`queries.rs`). A slice is registered with one line in
//! [`all`]; a test fails when a folder here is not registered.
//!
//! Delivery is at least once: after a crash between a commit and the next checkpoint read, or
//! while a rebuild replays the log, a handler may see an event it has already applied. Every
//! handler is therefore idempotent: it upserts by key and applies an event only if the row's
//! stored stream version is older (`WHERE … version < $event_version`). All handlers here
//! only write read-model rows, so all are replay-safe; none has side effects outside the
//! batch transaction.
//!
//! Handlers name their tables unqualified (`products`, not `rm.products`): the batch
//! transaction sets `search_path` to the schema of the version being written (live or
//! building, see `registry.rs`). Writing `rm.<table>` would go through the view to the *live*
//! version even while a rebuild writes the next one, so a test forbids it.

pub mod carts;
pub mod catalog;
pub mod categories;
pub mod customers;
pub mod imports;
pub mod orders;
pub mod payments;
pub mod query;
pub mod reviews;
pub mod sellers;
pub mod wallets;
pub mod wishlists;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use futures::future;
use pasar_events::types::Money;
use pasar_events::types::streams::Category;
use pasar_events::{DomainEvent, Position, RecordedEvent};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::ProjectorError;

pub use carts::Carts;
pub use catalog::Catalog;
pub use categories::Categories;
pub use customers::Customers;
pub use imports::Imports;
pub use orders::Orders;
pub use payments::Payments;
pub use reviews::Reviews;
pub use sellers::Sellers;
pub use wallets::Wallets;
pub use wishlists::Wishlists;

/// One read model fed from the log.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Names its checkpoint row and its NATS subject (`pasar.checkpoints.<name>`).
    fn name(&self) -> &'static str;

    /// Stream categories it reads; events of other categories only move its checkpoint.
    fn categories(&self) -> &'static [Category];

    /// Tables it owns. Each version has its own copy in schema `rm_<name>_v<n>`, and
    /// `rm.<table>` is a view over the live version's.
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    /// DDL creating [`Projection::tables`] with unqualified names; run in a new version's
    /// schema.
    fn schema(&self) -> &'static str {
        ""
    }

    /// Whether replaying the log into a fresh version has no effect outside that version's
    /// tables. `projector rebuild` refuses projections that do not say so; anything with side
    /// effects (the NATS integration publisher, emails) must keep the default `false`.
    fn replay_safe(&self) -> bool {
        false
    }

    /// The writes one event turns into, appended to `out` in the order they must run. Must
    /// be idempotent (see the module doc).
    ///
    /// A batch's writes are pipelined: all of them are sent before the first result is read
    /// (see [`execute_pipelined`]), so a write must never depend on another write's *result*
    /// (a row count, a returned value). The server runs them one after the other in the order
    /// given, so a write does see every earlier write's effects. A write that should only
    /// happen if another one did must be one statement (a data-modifying `WITH`).
    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError>;

    /// The writes of a batch's `events` (those of its categories, in log order), appended to
    /// `out`. By default each event's [`Projection::writes`] in turn; a projection may merge
    /// runs of events into multi-row statements, as long as the rows come out as if the events
    /// were written one by one.
    fn batch_writes(
        &self,
        events: &[&RecordedEvent],
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        for event in events {
            self.writes(event, out)?;
        }
        Ok(())
    }

    /// Applies one event inside `tx` (the batch's transaction): runs its
    /// [`Projection::writes`]. An error rolls the whole batch back, checkpoint included.
    async fn apply(
        &self,
        tx: &Transaction<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectorError> {
        let mut writes = Vec::new();
        self.writes(event, &mut writes)?;
        execute_pipelined(tx, &writes).await
    }
}

/// Every projection this build runs, in a fixed order.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(Catalog),
        Arc::new(Categories),
        Arc::new(Carts),
        Arc::new(Orders),
        Arc::new(Payments),
        Arc::new(Sellers),
        Arc::new(Imports),
        Arc::new(Wallets),
        Arc::new(Customers),
        Arc::new(Reviews),
        Arc::new(Wishlists),
    ]
}

/// One parameter of a [`Write`].
pub type Param = Box<dyn ToSql + Sync + Send>;

/// One statement a handler asks for, with its parameters.
pub struct Write {
    sql: &'static str,
    params: Vec<Param>,
}

impl Write {
    pub fn new(sql: &'static str, params: Vec<Param>) -> Self {
        Write { sql, params }
    }
}

/// `stmt!(sql, a, b, …)`: a [`Write`] of `sql` with the (owned) parameters `a, b, …`.
macro_rules! stmt {
    ($sql:expr $(, $param:expr)* $(,)?) => {
        $crate::slices::Write::new($sql, vec![$(Box::new($param) as $crate::slices::Param),*])
    };
}
pub(crate) use stmt;

/// Runs `writes` in order inside `tx`, pipelined on its connection.
///
/// Statements go through the connection's statement cache (one round trip per statement
/// instead of two; PostgreSQL re-plans a cached statement when `search_path` changed since it
/// was prepared, so one cache serves every version a connection writes). They are all
/// prepared first, one after the other (a cache hit costs nothing). Then every execute is
/// *sent* before any result is awaited: tokio-postgres queues a request on the connection
/// when its future is first polled, and the futures are first polled strictly in `writes`
/// order, so the server receives and runs the statements in that order, each seeing the
/// earlier ones' effects. Results come back in the same order and are read in it; the first
/// error is returned (the statements after it fail too, the transaction being aborted, and
/// the batch is rolled back).
pub(crate) async fn execute_pipelined(
    tx: &Transaction<'_>,
    writes: &[Write],
) -> Result<(), ProjectorError> {
    if writes.is_empty() {
        return Ok(());
    }
    let mut statements = Vec::with_capacity(writes.len());
    for write in writes {
        statements.push(tx.prepare_cached(write.sql).await?);
    }
    let mut pending: Vec<_> = statements
        .iter()
        .zip(writes)
        .map(|(statement, write)| {
            let params = write
                .params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync));
            Box::pin(future::maybe_done(tx.execute_raw(statement, params)))
        })
        .collect();
    // Send them all, in order: one poll each queues the request.
    future::poll_fn(|cx| {
        for execute in &mut pending {
            let _ = execute.as_mut().poll(cx);
        }
        Poll::Ready(())
    })
    .await;
    for execute in &mut pending {
        execute.as_mut().await;
        if let Some(Err(e)) = execute.as_mut().take_output() {
            return Err(e.into());
        }
    }
    Ok(())
}

/// Decodes a typed event, naming the event when it cannot.
pub(crate) fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<E, ProjectorError> {
    E::decode(event).map_err(|e| ProjectorError::undecodable(event, e))
}

/// The uuid in a `<category>-<uuid>` stream name.
pub(crate) fn stream_uuid(event: &RecordedEvent) -> Result<Uuid, ProjectorError> {
    pasar_events::types::streams::id_of(&event.stream)
        .ok_or_else(|| ProjectorError::undecodable(event, "stream name carries no uuid"))
}

/// A position as the two bigint columns it is stored in.
pub(crate) fn position_columns(position: Position) -> Result<(i64, i64), ProjectorError> {
    let txid =
        i64::try_from(position.txid).map_err(|_| ProjectorError::PositionOutOfRange(position))?;
    Ok((txid, position.global))
}

/// The ISO code of an amount's currency, as stored (`IDR`).
pub(crate) fn currency(money: Money) -> String {
    match serde_json::to_value(money.currency) {
        Ok(serde_json::Value::String(code)) => code,
        _ => format!("{:?}", money.currency),
    }
}

#[cfg(test)]
mod tests {
    /// `rm.<table>` is a view over the live version: a handler naming it would write into the
    /// live tables while a rebuild fills the next version.
    use std::path::{Path, PathBuf};

    /// Every slice folder under `src/slices`.
    fn slice_folders() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/slices");
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("src/slices is readable")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.is_dir())
            .collect();
        folders.sort();
        folders
    }

    /// `rm.<table>` is a view over the live version: a handler naming it would write into the
    /// live tables while a rebuild fills the next version.
    #[test]
    fn handlers_name_their_tables_unqualified() {
        for folder in slice_folders() {
            let file = folder.join("mod.rs");
            let source = std::fs::read_to_string(&file).expect("every slice has a mod.rs");
            for line in source.lines() {
                let code = line.split("//").next().unwrap_or_default();
                let qualified = code.match_indices("rm.").any(|(at, _)| {
                    !code[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                assert!(
                    !qualified,
                    "{} names a table through rm.: {line}",
                    file.display()
                );
            }
        }
    }

    /// A slice folder whose projection is missing from [`super::all`] would never run.
    #[test]
    fn every_slice_folder_is_a_registered_projection() {
        let registered: Vec<&str> = super::all().iter().map(|p| p.name()).collect();
        let folders = slice_folders();
        assert!(!folders.is_empty());
        for folder in folders {
            let name = folder
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            assert!(
                registered.contains(&name),
                "slice {name} is not registered in slices::all()"
            );
            assert!(
                folder.join("schema.sql").is_file(),
                "slice {name} has its schema.sql"
            );
        }
    }

    #[test]
    fn every_projection_owns_tables_and_creates_them() {
        for projection in super::all() {
            assert!(projection.replay_safe(), "{}", projection.name());
            for table in projection.tables() {
                assert!(
                    projection
                        .schema()
                        .contains(&format!("CREATE TABLE {table} (")),
                    "{} creates {table}",
                    projection.name()
                );
            }
        }
    }
}
