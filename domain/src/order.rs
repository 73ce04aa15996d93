//! One seller's order from one checkout (`order-{id}`).
//!
//! ```text
//! awaiting_payment ─► paid ─► shipped ─► delivered ─► completed
//!      │                │         │           │            │
//!      ├─► cancelled    └─────────┴───────────┴────────────┴─► refunded
//!      └─► expired
//! ```
//!
//! A paid, unshipped order may also be cancelled by its seller or an admin: that asks for its
//! whole amount back in the same step. Refunds are asked for (`RequestRefund`, counted at once
//! against what is left, so two at a time can never return more than was paid) and then
//! settled (`SettleRefund`: refunded through Midtrans, or owed when Midtrans cannot); the order
//! is `refunded` once everything paid went back. Money in = money out: refunded + owed +
//! pending never exceeds the total.
//!
//! No transition skips a step or goes back; refunded is final. Cancelled and expired are final
//! but for one way back: its own payment settled late and its stock was reserved again
//! (`Revive` → `OrderRevived` → awaiting payment), so a buyer who paid is never left without
//! the order.
//! Repeats that reactors send (mark paid, cancel, expire) succeed with no new events.

use chrono::{DateTime, Utc};
use pasar_events::types::{Currency, Money, OrderEvent, OrderLine, OrderStatus, ShippingAddress};
use uuid::Uuid;

use crate::Aggregate;

mod moves;
mod place;
mod refunds;

use place::place;
pub use place::subtotal_of;
pub use refunds::{PendingRefund, RefundResult};

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// `None` until placed.
    pub status: Option<OrderStatus>,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub payment_id: Uuid,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub shipping_cost: Money,
    pub total: Money,
    pub shipping_address: ShippingAddress,
    pub placed_at: DateTime<Utc>,
    /// Unpaid past this instant, the order may be expired.
    pub expires_at: DateTime<Utc>,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    /// Returned to the buyer through Midtrans.
    pub refunded_amount: Money,
    /// Owed to the buyer: Midtrans could not refund it.
    pub owed_amount: Money,
    /// Asked for, not settled yet.
    pub pending_refunds: Vec<PendingRefund>,
    /// Every refund request ever made (settled or not), so a repeat is recognised.
    pub refund_ids: Vec<Uuid>,
    /// When it was paid; `None` for an order never paid (one that closed unpaid gives its
    /// checkout's wallet part back).
    pub paid_at: Option<DateTime<Utc>>,
}

impl Default for Order {
    fn default() -> Self {
        Order {
            status: None,
            order_id: Uuid::nil(),
            checkout_id: Uuid::nil(),
            payment_id: Uuid::nil(),
            buyer_id: Uuid::nil(),
            seller_id: Uuid::nil(),
            lines: vec![],
            subtotal: Money::zero(Currency::IDR),
            shipping_cost: Money::zero(Currency::IDR),
            total: Money::zero(Currency::IDR),
            shipping_address: ShippingAddress::default(),
            placed_at: DateTime::default(),
            expires_at: DateTime::default(),
            courier: None,
            tracking_number: None,
            refunded_amount: Money::zero(Currency::IDR),
            owed_amount: Money::zero(Currency::IDR),
            pending_refunds: Vec::new(),
            refund_ids: Vec::new(),
            paid_at: None,
        }
    }
}

impl Order {
    pub fn is_placed(&self) -> bool {
        self.status.is_some()
    }

    /// What may still be asked back: the total less what was refunded, owed or is pending.
    pub fn refundable(&self) -> i64 {
        let pending: i64 = self.pending_refunds.iter().map(|r| r.amount.amount).sum();
        self.total.amount - self.refunded_amount.amount - self.owed_amount.amount - pending
    }
}

#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one command per request, never stored in bulk; boxing Place would only burden callers"
)]
pub enum OrderCommand {
    /// Lines arrive priced by the caller (from the product streams, never the client).
    Place {
        order_id: Uuid,
        checkout_id: Uuid,
        payment_id: Uuid,
        buyer_id: Uuid,
        seller_id: Uuid,
        lines: Vec<OrderLine>,
        shipping_cost: Money,
        shipping_address: ShippingAddress,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    MarkPaid {
        payment_id: Uuid,
        now: DateTime<Utc>,
    },
    Cancel {
        reason: String,
        now: DateTime<Utc>,
    },
    Expire {
        now: DateTime<Utc>,
    },
    /// Its payment settled after it expired or was cancelled, and its stock is reserved again
    /// (the caller reserved it): back to awaiting payment, so `MarkPaid` can follow.
    Revive {
        payment_id: Uuid,
        now: DateTime<Utc>,
    },
    Ship {
        courier: String,
        tracking_number: String,
        now: DateTime<Utc>,
    },
    Deliver {
        now: DateTime<Utc>,
    },
    Complete {
        now: DateTime<Utc>,
    },
    /// Ask for `amount` back for the buyer (an admin): from paid onwards, at most what is
    /// left. A repeat with the same `refund_id` changes nothing.
    RequestRefund {
        refund_id: Uuid,
        amount: Money,
        reason: String,
        now: DateTime<Utc>,
    },
    /// Record how a requested refund ended (the refund processor, after Midtrans answered).
    SettleRefund {
        refund_id: Uuid,
        result: RefundResult,
        now: DateTime<Utc>,
    },
    /// The seller or an admin cancels a paid order before it ships: cancelled, and everything
    /// paid asked back (`refund_id`).
    CancelPaid {
        refund_id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    },
}

/// Why an order command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order is already placed")]
    AlreadyPlaced,
    #[error("the order does not exist")]
    NotPlaced,
    #[error("an order needs at least one line")]
    NoLines,
    /// A quantity below one, a negative price or shipping cost, a line total that is
    /// not unit price × quantity, or mixed currencies.
    #[error("an order line is invalid")]
    InvalidLine,
    #[error("the order total overflows")]
    MoneyOverflow,
    #[error("an order cannot go from {} to {}", .from.as_str(), .to.as_str())]
    InvalidTransition { from: OrderStatus, to: OrderStatus },
    #[error("the order has not reached its expiry time")]
    NotYetExpired,
    #[error("the order is paid by another payment")]
    OtherPayment,
    #[error(
        "the refund exceeds what is left to refund (the total less what was refunded, owed or asked for)"
    )]
    RefundExceedsTotal,
    #[error("a refund must be a positive amount in the order's currency")]
    InvalidRefundAmount,
}

impl Aggregate for Order {
    type Event = OrderEvent;
    type Command = OrderCommand;
    type Error = OrderError;

    fn decide(&self, command: &OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        match self.status {
            None => place(command).map(|event| vec![event]),
            Some(from) => match command {
                OrderCommand::RequestRefund {
                    refund_id,
                    amount,
                    reason,
                    now,
                } => Ok(self
                    .request_refund(from, *refund_id, *amount, reason, *now)?
                    .into_iter()
                    .collect()),
                OrderCommand::SettleRefund {
                    refund_id,
                    result,
                    now,
                } => Ok(self
                    .settle_refund(*refund_id, result, *now)
                    .into_iter()
                    .collect()),
                OrderCommand::CancelPaid {
                    refund_id,
                    reason,
                    now,
                } => self.cancel_paid(from, *refund_id, reason, *now),
                _ => Ok(self.transition(from, command)?.into_iter().collect()),
            },
        }
    }

    fn evolve(mut self, event: &OrderEvent) -> Self {
        let status = match event.clone() {
            OrderEvent::OrderPlaced {
                order_id,
                checkout_id,
                payment_id,
                buyer_id,
                seller_id,
                lines,
                subtotal,
                shipping_cost,
                total,
                shipping_address,
                placed_at,
                expires_at,
            } => {
                self = Order {
                    order_id,
                    checkout_id,
                    payment_id,
                    buyer_id,
                    seller_id,
                    lines,
                    subtotal,
                    shipping_cost,
                    total,
                    shipping_address,
                    placed_at,
                    expires_at,
                    ..self
                };
                OrderStatus::AwaitingPayment
            }
            OrderEvent::OrderPaid { paid_at, .. } => {
                self.paid_at = Some(paid_at);
                OrderStatus::Paid
            }
            OrderEvent::OrderCancelled { .. } => OrderStatus::Cancelled,
            OrderEvent::OrderExpired { .. } => OrderStatus::Expired,
            OrderEvent::OrderRevived { .. } => OrderStatus::AwaitingPayment,
            OrderEvent::OrderShipped {
                courier,
                tracking_number,
                ..
            } => {
                self.courier = Some(courier);
                self.tracking_number = Some(tracking_number);
                OrderStatus::Shipped
            }
            OrderEvent::OrderDelivered { .. } => OrderStatus::Delivered,
            OrderEvent::OrderCompleted { .. } => OrderStatus::Completed,
            OrderEvent::OrderRefundRequested { .. }
            | OrderEvent::OrderRefunded { .. }
            | OrderEvent::OrderRefundOwed { .. } => self.evolve_refund(event),
        };
        self.status = Some(status);
        self
    }
}

fn invalid<T>(from: OrderStatus, to: OrderStatus) -> Result<T, OrderError> {
    Err(OrderError::InvalidTransition { from, to })
}

/// The one forward step of the delivery path: `to` is reachable only from `required`.
fn step(from: OrderStatus, required: OrderStatus, to: OrderStatus) -> Result<(), OrderError> {
    if from == required {
        Ok(())
    } else {
        invalid(from, to)
    }
}
