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
        /// On `refund` / `partial_refund`: everything refunded so far, as Midtrans sends it
        /// (`"50000.00"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refund_amount: Option<String>,
        /// On `refund` / `partial_refund`: when the bank confirmed the latest refund (Midtrans'
        /// `bank_confirmed_at`, Asia/Jakarta time as sent); absent until it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refund_confirmed_at: Option<String>,
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
    /// The payment settled after its orders closed and their stock could not be reserved
    /// again: the money must go back (through Midtrans where the method allows it).
    PaymentRefundRequired {
        amount: Money,
        reason: String,
        required_at: DateTime<Utc>,
    },
    /// Midtrans accepted the refund of a [`PaymentEvent::PaymentRefundRequired`].
    PaymentRefunded {
        refund_key: String,
        /// As Midtrans answered, e.g. `"150000.00"`.
        refund_amount: String,
        refunded_at: DateTime<Utc>,
    },
    /// The refund cannot go through Midtrans (bank transfer, VA, ...): the shop owes the buyer
    /// `amount` until it is paid back another way (the wallet, issue 11, or by hand).
    PaymentRefundOwed {
        amount: Money,
        reason: String,
        owed_at: DateTime<Utc>,
    },
}

impl DomainEvent for PaymentEvent {}
