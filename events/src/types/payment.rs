use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Money};

/// Why a payment did not go through (Midtrans `deny`, `cancel`, `expire`, `failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFailure {
    Denied,
    Cancelled,
    Expired,
    Failed,
}

/// Events of `payment-{id}`. One payment (one Midtrans transaction, `order_id` = payment id)
/// pays every order of one checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PaymentEvent {
    PaymentInitiated {
        payment_id: Uuid,
        checkout_id: Uuid,
        buyer_id: Uuid,
        order_ids: Vec<Uuid>,
        gross_amount: Money,
        snap_token: String,
        redirect_url: String,
        initiated_at: DateTime<Utc>,
    },
    /// A verified Midtrans notification, as received (audit trail).
    PaymentNotificationReceived {
        transaction_id: String,
        transaction_status: String,
        fraud_status: Option<String>,
        status_code: String,
        gross_amount: String,
        payment_type: Option<String>,
        received_at: DateTime<Utc>,
    },
    /// The customer chose a method; waiting for the money.
    PaymentPending {
        transaction_id: String,
        payment_type: Option<String>,
    },
    PaymentSettled {
        transaction_id: String,
        amount: Money,
        payment_type: Option<String>,
        settled_at: DateTime<Utc>,
    },
    PaymentFailed {
        transaction_id: Option<String>,
        failure: PaymentFailure,
    },
    /// A success notification whose amount is not the order total: never marks anything paid.
    PaymentAmountMismatched {
        transaction_id: String,
        expected: Money,
        received: String,
    },
    /// A settled payment was reversed by the provider (settlement → deny). Needs a human.
    PaymentReversed { transaction_id: String },
}

impl DomainEvent for PaymentEvent {}
