//! Payment → orders → stock. Delivery is at least once: every reaction appends with ids
//! derived from (the event it reacts to, the target), and the aggregates treat repeats as
//! already done, so a replay changes nothing.
//! - payment settled → its orders paid; order paid → its reservations committed; a payment
//!   that settles after its orders closed revives them or requires a refund
//!   ([`crate::app::late_settlement`]);
//! - payment denied / cancelled / expired / failed → its orders cancelled; order cancelled or
//!   expired → its reservations released;
//! - a paid order cancelled before it shipped (by its seller or an admin) → the units it
//!   committed return to stock (`StockReturned`). Which units a paid order committed is kept
//!   in `committed_order_lines` (written in the batch transaction at `OrderPaid`, dropped at
//!   `OrderShipped`), because the stock stream only remembers its recent commits.
//!
//! The checkout's open-checkout row is removed (in the batch transaction) when its payment
//! settles or fails or an order of it closes.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use deadpool_postgres::Transaction;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::Payment;
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{OrderEvent, PaymentEvent};
use pasar_events::{DomainEvent, EventStore, RecordedEvent};
use uuid::Uuid;

use super::{database_down, process_error, react, react_with_state};
use crate::app::AppError;
use crate::app::exec::load;
use crate::app::late_settlement::{self, LateSettlement};

pub const NAME: &str = "order-flow";

pub struct OrderFlow {
    store: Arc<dyn EventStore>,
}

impl OrderFlow {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        OrderFlow { store }
    }

    async fn on_payment(&self, event: &RecordedEvent, settled: bool) -> Result<Uuid, AppError> {
        let payment = load::<Payment>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        let mut orders = Vec::new();
        for order_id in &payment.order_ids {
            let stream = streams::order(*order_id);
            orders.push(load::<Order>(self.store.as_ref(), &stream).await?.state);
        }
        if settled && orders.iter().any(late_settlement::is_closed) {
            let late = LateSettlement {
                store: &self.store,
                event,
                payment: &payment,
            };
            if !late.revive_or_refund(&orders).await? {
                return Ok(payment.payment_id);
            }
        }
        for order in &orders {
            let command = if settled {
                OrderCommand::MarkPaid {
                    payment_id: payment.payment_id,
                    now: Utc::now(),
                }
            } else if late_settlement::is_closed(order) {
                continue; // already closed (e.g. expired by the sweeper)
            } else {
                OrderCommand::Cancel {
                    reason: "payment did not complete".into(),
                    now: Utc::now(),
                }
            };
            react::<Order>(
                &self.store,
                event,
                &streams::order(order.order_id),
                &command,
            )
            .await?;
        }
        Ok(payment.payment_id)
    }

    /// A paid order: its reservations committed, and what each line committed noted.
    async fn on_paid(&self, event: &RecordedEvent, tx: &Transaction<'_>) -> Result<(), AppError> {
        let order = load::<Order>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        let command = StockCommand::Commit {
            order_id: order.order_id,
        };
        for line in &order.lines {
            let stream = streams::stock(line.product_id);
            let stock = react_with_state::<Stock>(&self.store, event, &stream, &command).await?;
            if stock.is_some_and(|s| s.is_committed(order.order_id)) {
                cached::execute(
                    tx,
                    "INSERT INTO committed_order_lines (order_id, product_id, quantity)
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&order.order_id, &line.product_id, &line.quantity],
                )
                .await
                .map_err(database_down)?;
            }
        }
        Ok(())
    }

    /// A closed order: the units it committed return (a paid order cancelled before shipping),
    /// or else its reservations are released.
    async fn on_closed(
        &self,
        event: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<Uuid, AppError> {
        let order = load::<Order>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        let committed = cached::query(
            tx,
            "SELECT product_id, quantity FROM committed_order_lines WHERE order_id = $1
                 ORDER BY product_id",
            &[&order.order_id],
        )
        .await
        .map_err(database_down)?;
        if committed.is_empty() {
            let command = StockCommand::Release {
                order_id: order.order_id,
                reason: format!("order {}", order.order_id),
            };
            for line in &order.lines {
                let stream = streams::stock(line.product_id);
                react::<Stock>(&self.store, event, &stream, &command).await?;
            }
        } else {
            for row in &committed {
                let (product_id, quantity): (Uuid, i64) = (row.get(0), row.get(1));
                let command = StockCommand::Return {
                    order_id: order.order_id,
                    quantity,
                };
                react::<Stock>(&self.store, event, &streams::stock(product_id), &command).await?;
            }
            tracing::info!(order = %order.order_id, lines = committed.len(), "a paid order was cancelled before shipping; its units are back in stock");
            forget_committed(tx, order.order_id).await?;
        }
        Ok(order.payment_id)
    }

    /// Reacts to one event; `Some(payment id)` when its checkout is no longer open.
    async fn react(
        &self,
        event: &RecordedEvent,
        tx: &Transaction<'_>,
    ) -> Result<Option<Uuid>, AppError> {
        let decode = |e: pasar_events::EventDecodeError| AppError::Internal(e.into());
        match Category::of(&event.stream) {
            Some(Category::Payment) => match PaymentEvent::decode(event).map_err(decode)? {
                PaymentEvent::PaymentSettled { .. } => self.on_payment(event, true).await.map(Some),
                PaymentEvent::PaymentFailed { failure, .. } => {
                    tracing::info!(payment = %event.stream, ?failure, "payment failed; cancelling its orders");
                    self.on_payment(event, false).await.map(Some)
                }
                _ => Ok(None),
            },
            Some(Category::Order) => match OrderEvent::decode(event).map_err(decode)? {
                OrderEvent::OrderPaid { .. } => self.on_paid(event, tx).await.map(|()| None),
                OrderEvent::OrderCancelled { .. } | OrderEvent::OrderExpired { .. } => {
                    self.on_closed(event, tx).await.map(Some)
                }
                OrderEvent::OrderShipped { .. } => {
                    let order_id = streams::id_of(&event.stream).ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!("{} names no order", event.stream))
                    })?;
                    forget_committed(tx, order_id).await.map(|()| None)
                }
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl Processor for OrderFlow {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Payment, Category::Order]
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        for event in events {
            let closed = self.react(event, tx).await.map_err(process_error)?;
            if let Some(payment_id) = closed {
                cached::execute(
                    tx,
                    "DELETE FROM checkout_open WHERE payment_id = $1",
                    &[&payment_id],
                )
                .await
                .map_err(|e| ProcessError::Transient(e.into()))?;
            }
        }
        Ok(())
    }
}

/// The order's units are no longer ours to return (shipped, or returned already).
async fn forget_committed(tx: &Transaction<'_>, order_id: Uuid) -> Result<(), AppError> {
    cached::execute(
        tx,
        "DELETE FROM committed_order_lines WHERE order_id = $1",
        &[&order_id],
    )
    .await
    .map_err(database_down)?;
    Ok(())
}
