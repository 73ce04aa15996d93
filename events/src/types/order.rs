use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit_price: Money,
    pub quantity: i64,
    pub line_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippingAddress {
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
    #[serde(default)]
    pub country_code: String,
    /// The RajaOngkir location id shipping was quoted to (absent before shipping quotes, and
    /// when shipping is not configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_id: Option<u32>,
}

/// Where an order is in its life. Serialised in snake_case (`awaiting_payment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Paid,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    Expired,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
        }
    }
}

/// Events of `order-{id}`.
#[expect(
    clippy::large_enum_variant,
    reason = "events are built and dropped one at a time; boxing would only add noise to the stored-form code"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    /// Placed and awaiting payment.
    OrderPlaced {
        order_id: Uuid,
        checkout_id: Uuid,
        payment_id: Uuid,
        buyer_id: Uuid,
        seller_id: Uuid,
        lines: Vec<OrderLine>,
        subtotal: Money,
        shipping_cost: Money,
        total: Money,
        shipping_address: ShippingAddress,
        placed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    OrderPaid {
        payment_id: Uuid,
        paid_at: DateTime<Utc>,
    },
    OrderCancelled {
        reason: String,
        cancelled_at: DateTime<Utc>,
    },
    OrderExpired {
        expired_at: DateTime<Utc>,
    },
    /// An expired or cancelled order whose payment settled late, back to awaiting payment
    /// because its stock could be reserved again; `OrderPaid` follows.
    OrderRevived {
        payment_id: Uuid,
        revived_at: DateTime<Utc>,
    },
    OrderShipped {
        courier: String,
        tracking_number: String,
        shipped_at: DateTime<Utc>,
    },
    OrderDelivered {
        delivered_at: DateTime<Utc>,
    },
    OrderCompleted {
        completed_at: DateTime<Utc>,
    },
    /// An admin (or a cancellation after payment) asked for `amount` back for the buyer; it
    /// counts against what is left to refund until [`OrderEvent::OrderRefunded`] or
    /// [`OrderEvent::OrderRefundOwed`] settles it. `refund_id` is Midtrans' `refund_key`.
    OrderRefundRequested {
        refund_id: Uuid,
        amount: Money,
        reason: String,
        requested_at: DateTime<Utc>,
    },
    /// Money went back to the buyer (through Midtrans). v2 added `refund_id` (the request it
    /// settles; `None` for v1 refunds, recorded in one step). The order is `refunded` once
    /// everything paid has gone back.
    OrderRefunded {
        #[serde(default)]
        refund_id: Option<Uuid>,
        amount: Money,
        reason: String,
        refunded_at: DateTime<Utc>,
    },
    /// Midtrans cannot refund this payment (bank transfer, VA, convenience store) or refused:
    /// the shop owes the buyer `amount` until it is paid back another way.
    OrderRefundOwed {
        refund_id: Uuid,
        amount: Money,
        reason: String,
        owed_at: DateTime<Utc>,
    },
}

impl DomainEvent for OrderEvent {}
