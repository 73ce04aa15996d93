//! Events of `wallet-{customer}`: a buyer's stored rupiah. The balance is the fold of these
//! events (credits add, debits subtract, returned debits add back); each event also carries
//! the balance after it, so the read side never recomputes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Money};

/// Where a credit came from. Each source is credited at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WalletCreditSource {
    /// A top-up paid through Midtrans Snap settled (`payment-{payment_id}`).
    TopUp { payment_id: Uuid },
    /// An order's refund that Midtrans could not make (`OrderRefundOwed` of `refund_id`).
    OrderRefund { order_id: Uuid, refund_id: Uuid },
    /// A late settlement's refund that Midtrans could not make (`PaymentRefundOwed`).
    PaymentRefund { payment_id: Uuid },
}

/// Events of `wallet-{customer}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum WalletEvent {
    /// The buyer asked to top up `amount` through the Snap payment `payment_id`; nothing is
    /// credited until that payment settles for exactly this amount.
    WalletTopUpRequested {
        payment_id: Uuid,
        amount: Money,
        requested_at: DateTime<Utc>,
    },
    /// Money came in.
    WalletCredited {
        amount: Money,
        source: WalletCreditSource,
        /// The balance after this credit.
        balance: Money,
        credited_at: DateTime<Utc>,
    },
    /// Spent on checkout `checkout_id`. `debit_id` is the checkout attempt's payment id, so a
    /// retried attempt debits once.
    WalletDebited {
        debit_id: Uuid,
        checkout_id: Uuid,
        amount: Money,
        /// The balance after this debit (never below zero).
        balance: Money,
        debited_at: DateTime<Utc>,
    },
    /// A debit given back in full: its checkout did not go through (refused, failed, or its
    /// Snap part failed or expired).
    WalletDebitReturned {
        debit_id: Uuid,
        amount: Money,
        reason: String,
        /// The balance after the return.
        balance: Money,
        returned_at: DateTime<Utc>,
    },
}

impl DomainEvent for WalletEvent {}
