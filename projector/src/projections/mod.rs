//! The projections: each turns events of a few stream categories into rows of `rm`.
//!
//! Delivery is at least once: after a crash between a commit and the next checkpoint read, or
//! while a rebuild replays the log, a handler may see an event it has already applied. Every
//! handler is therefore idempotent: it upserts by key and applies an event only if the row's
//! stored stream version is older (`WHERE … version < $event_version`). All handlers here
//! only write read-model rows, so all are replay-safe; none has side effects outside the
//! batch transaction.

mod carts;
mod catalog;
mod orders;
mod payments;

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use pasar_events::types::Money;
use pasar_events::{DomainEvent, Position, RecordedEvent};
use uuid::Uuid;

use crate::ProjectorError;

pub use carts::Carts;
pub use catalog::Catalog;
pub use orders::Orders;
pub use payments::Payments;

/// One read model fed from the log.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Names its checkpoint row and its NATS subject (`pasar.checkpoints.<name>`).
    fn name(&self) -> &'static str;

    /// Stream categories it reads; events of other categories only move its checkpoint.
    fn categories(&self) -> &'static [&'static str];

    /// Applies one event inside the batch's transaction. Must be idempotent (see the module
    /// doc). An error rolls the whole batch back, checkpoint included.
    async fn apply(
        &self,
        tx: &Transaction<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectorError>;
}

/// Every projection this build runs, in a fixed order.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(Catalog),
        Arc::new(Carts),
        Arc::new(Orders),
        Arc::new(Payments),
    ]
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
