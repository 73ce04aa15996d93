//! A payment that settles after its orders expired or were cancelled (issue 7 item 4): the
//! money is never lost. If every closed order's stock can be reserved again, the orders are
//! revived (`OrderRevived`) and the order flow pays them as usual; otherwise the payment
//! requires a refund (`PaymentRefundRequired`), any order still open is cancelled, and the
//! expiry sweeper, which holds the Midtrans client, refunds it or records it as owed.
//!
//! A checkout that took a wallet part is never revived: that part went back to the wallet
//! when its orders closed, so its Snap part is refunded instead.
//!
//! Idempotent under replay: ids derive from the settlement event, and the refund is decided
//! first, so a replay after it never revives on a reservation that was given back.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::{Payment, PaymentCommand};
use pasar_domain::stock::{Stock, StockCommand, StockError};
use pasar_events::types::{OrderStatus, streams};
use pasar_events::{EventStore, Metadata, RecordedEvent};

use super::exec::{EventIds, derive_id, execute};
use super::{AppError, Rule};

/// How long a revived order's fresh reservation lives before the sweeper may take it back;
/// the order flow commits it as soon as the order is paid, right after the revival.
const REVIVED_HOLD: Duration = Duration::from_secs(15 * 60);

pub struct LateSettlement<'a> {
    pub store: &'a Arc<dyn EventStore>,
    /// The `PaymentSettled` being reacted to.
    pub event: &'a RecordedEvent,
    pub payment: &'a Payment,
}

impl LateSettlement<'_> {
    fn ids(&self, step: &str, target: &str) -> EventIds {
        EventIds::Derived(derive_id(&[step, &self.event.event_id.to_string(), target]))
    }

    fn metadata(&self) -> Metadata {
        Metadata {
            correlation_id: self.event.metadata.correlation_id,
            causation_id: Some(self.event.event_id),
            ..Metadata::default()
        }
    }

    /// Brings `closed` back if their stock can be reserved again. `false` when it cannot (or a
    /// refund was already decided): the refund path was taken instead.
    pub async fn revive_or_refund(&self, orders: &[Order]) -> Result<bool, AppError> {
        let closed: Vec<&Order> = orders.iter().filter(|o| is_closed(o)).collect();
        let (store, buyer) = (self.store.as_ref(), self.payment.buyer_id);
        let wallet_part = super::wallet::had_wallet_part(store, buyer, self.payment.payment_id);
        if self.payment.refund.is_none()
            && !wallet_part.await?
            && self.reserve_again(&closed).await?
        {
            for order in &closed {
                let command = OrderCommand::Revive {
                    payment_id: self.payment.payment_id,
                    now: Utc::now(),
                };
                let stream = streams::order(order.order_id);
                let ids = self.ids("late-revive", &stream);
                execute::<Order>(self.store, &stream, &command, ids, &self.metadata()).await?;
                tracing::info!(order = %order.order_id, "order revived by a late settlement");
            }
            return Ok(true);
        }
        self.refund(orders, &closed).await?;
        Ok(false)
    }

    /// Reserves every line of `closed` for its order. `false` on a shortage (what this call
    /// reserved stays until [`Self::refund`] releases it).
    async fn reserve_again(&self, closed: &[&Order]) -> Result<bool, AppError> {
        let expires_at = Utc::now() + REVIVED_HOLD;
        for order in closed {
            for line in &order.lines {
                let command = StockCommand::Reserve {
                    order_id: order.order_id,
                    quantity: line.quantity,
                    expires_at,
                };
                let stream = streams::stock(line.product_id);
                let ids = self.ids("late-reserve", &format!("{stream}/{}", order.order_id));
                match execute::<Stock>(self.store, &stream, &command, ids, &self.metadata()).await {
                    Ok(_) => {}
                    Err(AppError::Rejected(Rule::Stock(StockError::InsufficientStock {
                        ..
                    }))) => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(true)
    }

    /// Decides the refund, then gives back what the revival attempt reserved and cancels the
    /// orders still open (the order flow releases their stock).
    async fn refund(&self, orders: &[Order], closed: &[&Order]) -> Result<(), AppError> {
        let command = PaymentCommand::RequireRefund {
            reason: "settled after its orders closed; their stock is no longer available".into(),
            now: Utc::now(),
        };
        let stream = streams::payment(self.payment.payment_id);
        let ids = self.ids("late-refund", &stream);
        execute::<Payment>(self.store, &stream, &command, ids, &self.metadata()).await?;
        tracing::warn!(payment = %self.payment.payment_id, "late settlement cannot revive its orders; refund required");
        for order in closed {
            for line in &order.lines {
                let command = StockCommand::Release {
                    order_id: order.order_id,
                    reason: "late settlement refunded".into(),
                };
                let stream = streams::stock(line.product_id);
                let ids = self.ids("late-release", &format!("{stream}/{}", order.order_id));
                execute::<Stock>(self.store, &stream, &command, ids, &self.metadata()).await?;
            }
        }
        let open = orders
            .iter()
            .filter(|o| o.status == Some(OrderStatus::AwaitingPayment));
        for order in open {
            let command = OrderCommand::Cancel {
                reason: "payment refunded".into(),
                now: Utc::now(),
            };
            let stream = streams::order(order.order_id);
            let ids = self.ids("late-cancel", &stream);
            execute::<Order>(self.store, &stream, &command, ids, &self.metadata()).await?;
        }
        Ok(())
    }
}

pub fn is_closed(order: &Order) -> bool {
    matches!(
        order.status,
        Some(OrderStatus::Expired | OrderStatus::Cancelled)
    )
}
