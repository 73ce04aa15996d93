//! Reservations must not leak. The sweeper keeps a list of open reservations (fed, in its
//! batch transaction, by the stock events it reads) and, on its own tick, deals with those
//! past their expiry, several at a time (at most [`CONCURRENCY`] Midtrans calls in flight):
//! - the order exists and is still unpaid → ask Midtrans to close the transaction
//!   ([`Midtrans::close_unpaid`]): if it will not take the payment any more, expire the order
//!   (the order flow reacting to `OrderExpired` releases the stock); if it was paid meanwhile,
//!   record that status as the webhook would; otherwise look again next sweep;
//! - the order never appeared (the checkout died before placing it) → release directly.
//!
//! It is its own processor: a slow Midtrans delays only the sweep, never a settlement. As the
//! process holding the Midtrans client, it also carries out the refunds that late settlements
//! require ([`crate::app::refunds`]) and keeps the `pasar_refunds_owed` gauge.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use futures::StreamExt;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::{Payment, PaymentStatus};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{OrderStatus, PaymentEvent, StockEvent};
use pasar_events::{DomainEvent, EventStore, Metadata, RecordedEvent};
use uuid::Uuid;

use super::{database_down, process_error};
use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::{payments, refunds};
use crate::midtrans::{ExpiryDecision, Midtrans, SnapExpiry};

pub const NAME: &str = "expiry-sweeper";
/// Most expirations handled at once (each may wait on Midtrans).
pub const CONCURRENCY: usize = 8;
/// Most expired reservations looked at per tick.
const PER_TICK: i64 = 200;

pub struct ExpirySweeper {
    store: Arc<dyn EventStore>,
    pool: deadpool_postgres::Pool,
    midtrans: Midtrans,
    interval: Duration,
    /// Whether `pasar_refunds_owed` was set since start.
    owed_counted: AtomicBool,
}

impl ExpirySweeper {
    pub fn new(
        store: Arc<dyn EventStore>,
        pool: deadpool_postgres::Pool,
        midtrans: Midtrans,
        interval: Duration,
    ) -> Self {
        ExpirySweeper {
            store,
            pool,
            midtrans,
            interval,
            owed_counted: AtomicBool::new(false),
        }
    }

    /// Handles every reservation past its expiry (up to [`PER_TICK`]). Returns how many. The
    /// database being down (a restart) is an outage to wait out, never a reason to stop.
    pub async fn sweep(&self) -> Result<usize, AppError> {
        let rows = self
            .pool
            .get()
            .await
            .map_err(database_down)?
            .query(
                "SELECT product_id, order_id FROM reactor_open_reservations WHERE expires_at <= now()
                 ORDER BY expires_at LIMIT $1",
                &[&PER_TICK],
            )
            .await
            .map_err(database_down)?;
        let expired: Vec<(Uuid, Uuid)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let results: Vec<Result<(), AppError>> = futures::stream::iter(expired.clone())
            .map(|(product_id, order_id)| self.expire_one(product_id, order_id))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(expired.len())
    }

    async fn expire_one(&self, product_id: Uuid, order_id: Uuid) -> Result<(), AppError> {
        let metadata = Metadata {
            correlation_id: Some(order_id),
            ..Metadata::default()
        };
        let order = load::<Order>(self.store.as_ref(), &streams::order(order_id))
            .await?
            .state;
        match order.status {
            None => {
                let command = StockCommand::Release {
                    order_id,
                    reason: "reservation expired before its order was placed".into(),
                };
                let seed = derive_id(&[
                    "expire-release",
                    &order_id.to_string(),
                    &product_id.to_string(),
                ]);
                let stream = streams::stock(product_id);
                execute::<Stock>(
                    &self.store,
                    &stream,
                    &command,
                    EventIds::Derived(seed),
                    &metadata,
                )
                .await?;
            }
            Some(OrderStatus::AwaitingPayment) => self.expire_order(&order, &metadata).await?,
            // Paid, cancelled, expired: the order flow commits or releases it as those pass.
            Some(_) => {}
        }
        Ok(())
    }

    /// Asks Midtrans to close the transaction and acts on what it says: expired (or never
    /// paid with the page closed) → expire the order; moved on (settled while we were
    /// expiring) → record that status exactly as the webhook would, so a paid order is paid,
    /// never expired; anything else or no answer → look again next sweep.
    async fn expire_order(&self, order: &Order, metadata: &Metadata) -> Result<(), AppError> {
        let now = Utc::now();
        let payment_id = order.payment_id;
        // A payment never recorded as initiated means its checkout died before answering: if
        // a Snap page exists, its token never left this service, so nobody can open it.
        let payment = load::<Payment>(self.store.as_ref(), &streams::payment(payment_id))
            .await?
            .state;
        let unreachable = payment.status == PaymentStatus::NotInitiated;
        let page_closed = unreachable || payment_page(order).is_closed_at(now);
        match self
            .midtrans
            .close_unpaid(&payment_id.to_string(), page_closed)
            .await
        {
            Ok(ExpiryDecision::ExpireOrder) => {}
            Ok(ExpiryDecision::ActOnStatus(status)) => {
                tracing::info!(order = %order.order_id, status = ?status.transaction_status, "Midtrans moved on before the order expired; recording its status");
                return payments::record_status(&self.store, payment_id, &status, now).await;
            }
            Ok(ExpiryDecision::TryLater) => return Ok(()),
            Err(e) => {
                // Try again next tick rather than expiring an order Midtrans may still settle.
                tracing::warn!(order = %order.order_id, error = ?e, "could not close the Midtrans transaction; will retry");
                return Ok(());
            }
        }
        let command = OrderCommand::Expire { now };
        let ids = EventIds::Derived(derive_id(&["expire", &order.order_id.to_string()]));
        let stream = streams::order(order.order_id);
        match execute::<Order>(&self.store, &stream, &command, ids, metadata).await {
            Ok(_) => tracing::info!(order = %order.order_id, "unpaid order expired"),
            // Paid or cancelled meanwhile: nothing to expire.
            Err(AppError::Rejected(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// The latest the order's Snap page can close. Checkout sends `SnapExpiry::new(reserved_at,
/// timeout)` with `expires_at = reserved_at + timeout` and `reserved_at <= placed_at`; that
/// page closes by `max(expires_at, reserved_at + 1 min)`. Counting whole minutes up from
/// `placed_at` gives a window that closes no earlier, without the configured timeout (which
/// may have changed since). The price: a page with no method chosen is expired up to a minute
/// late.
fn payment_page(order: &Order) -> SnapExpiry {
    let open_for = (order.expires_at - order.placed_at).num_seconds().max(1);
    let minutes = u64::try_from(open_for).unwrap_or(1).div_ceil(60);
    SnapExpiry::new(order.placed_at, Duration::from_secs(minutes * 60))
}

/// A batch's changes to the open-reservation list, per (product, order), applied in two
/// statements however many stock events the batch holds (a flash sale reserves hundreds at
/// once). The result is the one of applying the events one by one: an insert that meets an
/// existing row does nothing, a delete removes it.
#[derive(Default)]
struct Tracked {
    changes: HashMap<(Uuid, Uuid), Change>,
}

#[derive(Default)]
struct Change {
    /// A release or commit was seen in the batch: the row goes.
    removed: bool,
    /// The first reservation seen since the last removal: the row to insert.
    added: Option<DateTime<Utc>>,
}

impl Change {
    fn reserve(&mut self, expires_at: DateTime<Utc>) {
        self.added.get_or_insert(expires_at);
    }

    fn remove(&mut self) {
        self.removed = true;
        self.added = None;
    }
}

impl Tracked {
    /// Notes a stock event (idempotent).
    fn note(&mut self, event: &RecordedEvent) -> Result<(), ProcessError> {
        let Some(product_id) = streams::id_of(&event.stream) else {
            return Ok(());
        };
        match StockEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))? {
            StockEvent::StockReserved {
                order_id,
                expires_at,
                ..
            } => {
                let change = self.changes.entry((product_id, order_id)).or_default();
                change.reserve(expires_at);
            }
            StockEvent::ReservationReleased { order_id, .. }
            | StockEvent::ReservationCommitted { order_id, .. } => {
                let change = self.changes.entry((product_id, order_id)).or_default();
                change.remove();
            }
            _ => {}
        }
        Ok(())
    }

    async fn apply(self, tx: &Transaction<'_>) -> Result<(), ProcessError> {
        let transient = |e: tokio_postgres::Error| ProcessError::Transient(e.into());
        let (mut gone, mut added) = (
            (Vec::new(), Vec::new()),
            (Vec::new(), Vec::new(), Vec::new()),
        );
        for ((product_id, order_id), change) in self.changes {
            if change.removed {
                gone.0.push(product_id);
                gone.1.push(order_id);
            }
            if let Some(expires_at) = change.added {
                added.0.push(product_id);
                added.1.push(order_id);
                added.2.push(expires_at);
            }
        }
        if !gone.0.is_empty() {
            cached::execute(
                tx,
                "DELETE FROM reactor_open_reservations r
                 USING UNNEST($1::uuid[], $2::uuid[]) AS d (product_id, order_id)
                 WHERE r.product_id = d.product_id AND r.order_id = d.order_id",
                &[&gone.0, &gone.1],
            )
            .await
            .map_err(transient)?;
        }
        if !added.0.is_empty() {
            cached::execute(
                tx,
                "INSERT INTO reactor_open_reservations (product_id, order_id, expires_at)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[])
                 ON CONFLICT DO NOTHING",
                &[&added.0, &added.1, &added.2],
            )
            .await
            .map_err(transient)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Processor for ExpirySweeper {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Stock, Category::Payment]
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        let mut owed_changed = false;
        let mut tracked = Tracked::default();
        for event in events {
            if Category::of(&event.stream) != Some(Category::Payment) {
                tracked.note(event)?;
                continue;
            }
            match PaymentEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))? {
                PaymentEvent::PaymentRefundRequired { .. } => {
                    let Some(payment_id) = streams::id_of(&event.stream) else {
                        continue;
                    };
                    refunds::carry_out(&self.store, &self.midtrans, payment_id)
                        .await
                        .map_err(process_error)?;
                }
                PaymentEvent::PaymentRefundOwed { .. } => owed_changed = true,
                _ => {}
            }
        }
        tracked.apply(tx).await?;
        if owed_changed {
            super::refresh_refunds_owed(&self.pool).await;
        }
        Ok(())
    }

    fn tick_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }

    async fn tick(&self) -> Result<(), ProcessError> {
        if !self.owed_counted.swap(true, Ordering::Relaxed) {
            super::refresh_refunds_owed(&self.pool).await;
        }
        self.sweep().await.map(drop).map_err(process_error)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::Change;

    /// Every sequence of up to five reservations (two expiries) and removals of one key, from
    /// an absent and from a present row: the two statements of [`super::Tracked::apply`] leave
    /// the row the events applied one by one would.
    #[test]
    fn a_batch_of_changes_leaves_the_row_that_one_by_one_would() {
        let base = Utc::now();
        let ops = [Some(base), Some(base + Duration::minutes(1)), None];
        let mut sequences: Vec<Vec<Option<DateTime<Utc>>>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<_> = sequences
                .iter()
                .filter(|s| s.len() == sequences.last().map_or(0, Vec::len))
                .flat_map(|s| ops.iter().map(move |op| [s.clone(), vec![*op]].concat()))
                .collect();
            sequences.extend(longer);
        }
        assert_eq!(sequences.len(), 1 + 3 + 9 + 27 + 81 + 243);
        let existing = [None, Some(base - Duration::minutes(5))];
        for sequence in &sequences {
            for before in existing {
                let mut one_by_one = before;
                let mut change = Change::default();
                for op in sequence {
                    match op {
                        Some(at) => {
                            one_by_one.get_or_insert(*at);
                            change.reserve(*at);
                        }
                        None => {
                            one_by_one = None;
                            change.remove();
                        }
                    }
                }
                let mut batched = if change.removed { None } else { before };
                if let Some(at) = change.added {
                    batched.get_or_insert(at);
                }
                assert_eq!(batched, one_by_one, "{sequence:?} from {before:?}");
            }
        }
    }
}
