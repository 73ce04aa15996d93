//! Events of `checkout-{id}`: the idempotency record of one `POST /v1/checkout`. The id is
//! derived from (customer, Idempotency-Key).
//!
//! - `CheckoutStarted` is the claim: appended only to a new stream, so exactly one request
//!   runs a checkout; a concurrent one finds the stream taken. It is appended together with
//!   the first attempt's `CheckoutPlanned` (or its `CheckoutAnswered`, when the cart alone
//!   refuses the checkout), which the request prepared from reads before claiming.
//! - `CheckoutResumed` claims attempt n+1 after attempt n died (appended at the exact version
//!   read, so again one resumer wins). Reservation, order and payment ids derive from
//!   (checkout, attempt), so a retry never mistakes a released reservation for its own.
//! - `CheckoutPlanned` names what an attempt is about to reserve and place, so a later attempt
//!   can give back whatever the dead one held.
//! - `CheckoutAttemptAbandoned` frees the key after an attempt that failed and compensated.
//! - `CheckoutAnswered` records the typed outcome, replayed to every retry with the key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Money, OrderLine, OrderStatus, Sensitive};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CheckoutEvent {
    CheckoutStarted {
        checkout_id: Uuid,
        customer_id: Uuid,
        idempotency_key: String,
        /// SHA-256 of the request body; the same key with another body is refused.
        request_hash: String,
        started_at: DateTime<Utc>,
    },
    /// Attempt `attempt` (2, 3, …) took over from a previous one that never answered.
    CheckoutResumed {
        attempt: u32,
        resumed_at: DateTime<Utc>,
    },
    /// What attempt `attempt` reserves and places: one order per seller.
    CheckoutPlanned {
        attempt: u32,
        payment_id: Uuid,
        orders: Vec<PlannedOrder>,
    },
    /// Attempt `attempt` failed before it could answer (a dependency down) and gave back all it
    /// held; the next request with the key may start a new attempt at once.
    CheckoutAttemptAbandoned { attempt: u32 },
    /// The outcome, replayed verbatim to retries with the same key (v2; v1 stored an HTTP
    /// status and body, read now as [`CheckoutOutcome::Recorded`]).
    CheckoutAnswered { outcome: CheckoutOutcome },
}

impl DomainEvent for CheckoutEvent {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedOrder {
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub product_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckoutOutcome {
    Succeeded {
        checkout_id: Uuid,
        orders: Vec<PlacedOrder>,
        payment: PaymentHandle,
        /// Where the checkout's effects end in the log.
        consistency_token: String,
    },
    Rejected {
        reason: CheckoutRejection,
    },
    /// Paid in full from the buyer's wallet: no Snap transaction, the orders paid at once.
    PaidWithWallet {
        checkout_id: Uuid,
        orders: Vec<PlacedOrder>,
        wallet_amount: Money,
        consistency_token: String,
    },
    /// An answer recorded before outcomes were typed (schema v1): the HTTP status and body
    /// as they were sent. Replayed as stored.
    Recorded {
        status: u16,
        body: serde_json::Value,
        consistency_token: Option<String>,
    },
}

/// An order as the checkout placed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub shipping_cost: Money,
    pub total: Money,
    pub expires_at: DateTime<Utc>,
}

/// The Midtrans Snap transaction the buyer pays through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentHandle {
    pub payment_id: Uuid,
    pub snap_token: Sensitive<String>,
    pub redirect_url: Sensitive<String>,
    pub gross_amount: Money,
}

/// Why a checkout was refused: one variant per rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum CheckoutRejection {
    CartIsEmpty,
    /// Products in the cart are no longer sold.
    ProductsUnavailable {
        product_ids: Vec<Uuid>,
    },
    /// Not enough stock for these lines; nothing stays reserved.
    InsufficientStock {
        short_lines: Vec<ShortLine>,
    },
    /// A line asks for more units than one checkout may hold.
    LineQuantityTooLarge {
        product_id: Uuid,
        max: i64,
    },
    /// The buyer already has this many unpaid checkouts open.
    TooManyOpenCheckouts {
        limit: u32,
    },
    /// The order totals do not fit (overflow, mixed currencies).
    InvalidTotal,
    /// The payment provider refused or failed to start the transaction; nothing is held.
    PaymentNotStarted,
    /// `pay_with_wallet` is more than the wallet holds; nothing is held.
    InsufficientWalletBalance {
        balance: i64,
        requested: i64,
    },
    /// `pay_with_wallet` is more than the checkout's total; nothing is held.
    WalletAmountExceedsTotal {
        total: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortLine {
    pub product_id: Uuid,
    pub requested: i64,
    pub available: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_succeeded_outcome_round_trips_with_its_secrets_marked() {
        let outcome = CheckoutOutcome::Succeeded {
            checkout_id: Uuid::nil(),
            orders: vec![],
            payment: PaymentHandle {
                payment_id: Uuid::nil(),
                snap_token: Sensitive::new("t".into()),
                redirect_url: Sensitive::new("https://x/t".into()),
                gross_amount: Money::idr(10),
            },
            consistency_token: "1-2".into(),
        };
        let event = CheckoutEvent::CheckoutAnswered { outcome };
        let data = event.to_data();
        assert_eq!(data["outcome"]["kind"], "succeeded");
        assert_eq!(data["outcome"]["payment"]["snap_token"]["$sensitive"], "t");
        let back: CheckoutEvent = super::super::decode_parts("CheckoutAnswered", 2, &data).unwrap();
        assert_eq!(back, event);
        let rejected = CheckoutOutcome::Rejected {
            reason: CheckoutRejection::TooManyOpenCheckouts { limit: 3 },
        };
        assert_eq!(
            serde_json::to_value(&rejected).unwrap(),
            serde_json::json!({ "kind": "rejected", "reason": { "rule": "too_many_open_checkouts", "limit": 3 } })
        );
    }
}
