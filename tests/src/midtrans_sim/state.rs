//! The per-order state machine (§6.1) and refunds (§5), free of I/O: every
//! function here mutates one [`SimTransaction`] or rejects the change.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};

use super::model::{CREATED, SimRefund, SimTransaction, format_time, jakarta_now, random_digits};

/// Why the simulator refused to do something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// No such order (or, for Core API calls, no payment method chosen yet).
    UnknownOrder(String),
    /// The move is not allowed by §6.1 (Core API answers 412).
    IllegalTransition { from: String, to: String },
    /// Refund amount is zero, negative or above what is left (Core API answers 414).
    InvalidRefundAmount(i64),
    /// A refund key reused for a different refund (Core API answers 406).
    DuplicateRefundKey(String),
    /// `resend_last` on an order that has had no notification yet.
    NothingToResend(String),
    /// Neither a default nor a per-order notification URL is configured.
    NoNotificationUrl,
    /// A notification got no HTTP answer (connection error, timeout, redirect loop).
    Delivery(String),
    /// The Snap `expiry` window closed before the customer chose a payment method.
    PaymentWindowClosed(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::UnknownOrder(id) => write!(f, "unknown order {id}"),
            SimError::IllegalTransition { from, to } => {
                write!(f, "illegal transition {from} -> {to}")
            }
            SimError::InvalidRefundAmount(a) => write!(f, "invalid refund amount {a}"),
            SimError::DuplicateRefundKey(k) => write!(f, "duplicate refund key {k}"),
            SimError::NothingToResend(id) => write!(f, "no notification sent yet for {id}"),
            SimError::NoNotificationUrl => write!(f, "no notification URL configured"),
            SimError::Delivery(e) => write!(f, "notification delivery failed: {e}"),
            SimError::PaymentWindowClosed(id) => {
                write!(f, "the payment window of {id} has closed (Snap expiry)")
            }
        }
    }
}

impl std::error::Error for SimError {}

/// All transactions, by order id, plus creation order.
#[derive(Default)]
pub struct Store {
    txs: HashMap<String, SimTransaction>,
    order: Vec<String>,
    next_refund_id: u64,
}

impl Store {
    pub fn contains(&self, order_id: &str) -> bool {
        self.txs.contains_key(order_id)
    }

    pub fn insert(&mut self, tx: SimTransaction) {
        self.order.push(tx.order_id.clone());
        self.txs.insert(tx.order_id.clone(), tx);
    }

    pub fn get(&self, order_id: &str) -> Option<&SimTransaction> {
        self.txs.get(order_id)
    }

    pub fn get_mut(&mut self, order_id: &str) -> Result<&mut SimTransaction, SimError> {
        self.txs
            .get_mut(order_id)
            .ok_or_else(|| SimError::UnknownOrder(order_id.to_owned()))
    }

    /// Core API lookup: `{id}` may be an order id or a transaction id, and only
    /// transactions with a chosen payment method exist there (§4.1, §4.2).
    pub fn find_visible(&self, id: &str) -> Option<&SimTransaction> {
        self.txs
            .get(id)
            .or_else(|| self.txs.values().find(|t| t.transaction_id == id))
            .filter(|t| t.is_visible())
    }

    pub fn all(&self) -> Vec<SimTransaction> {
        self.order
            .iter()
            .filter_map(|id| self.txs.get(id))
            .cloned()
            .collect()
    }

    /// Order ids of the transactions `keep` accepts, without cloning them.
    pub fn ids_where(&self, keep: impl Fn(&SimTransaction) -> bool) -> Vec<String> {
        self.txs
            .values()
            .filter(|t| keep(t))
            .map(|t| t.order_id.clone())
            .collect()
    }

    pub fn next_refund_id(&mut self) -> u64 {
        self.next_refund_id += 1;
        self.next_refund_id
    }
}

const STATUSES: &[&str] = &[
    "pending",
    "authorize",
    "capture",
    "settlement",
    "deny",
    "cancel",
    "expire",
    "failure",
    "refund",
    "partial_refund",
    "chargeback",
    "partial_chargeback",
];

fn illegal(tx: &SimTransaction, to: &str) -> SimError {
    SimError::IllegalTransition {
        from: tx.status.clone(),
        to: to.to_owned(),
    }
}

/// Whether `tx` may move to `to` (with an optional new `fraud_status`).
/// From `created` the first status also picks the payment method: `pending`
/// means BCA VA, card statuses mean credit card.
pub fn check_transition(
    tx: &SimTransaction,
    to: &str,
    fraud: Option<&str>,
) -> Result<(), SimError> {
    let valid_fraud = fraud.is_none_or(|f| matches!(f, "accept" | "challenge" | "deny"));
    if !STATUSES.contains(&to) || !valid_fraud {
        return Err(illegal(tx, to));
    }
    let challenged = tx.fraud_status.as_deref() == Some("challenge");
    let legal = match (tx.status.as_str(), to) {
        (CREATED, "pending" | "authorize" | "capture" | "deny" | "failure") => true,
        ("pending", "settlement" | "expire" | "cancel" | "deny" | "failure") => true,
        ("authorize", "capture" | "cancel" | "deny" | "expire") => true,
        // Approving a challenged capture keeps the status and flips fraud_status.
        ("capture", "capture") => challenged && fraud.is_some_and(|f| f != "challenge"),
        ("capture", "deny") => challenged,
        ("capture", "settlement") => !challenged,
        ("capture", "cancel") => true,
        ("settlement", "refund" | "partial_refund" | "chargeback" | "partial_chargeback") => true,
        // Rare reversal of a settled payment (§6.1).
        ("settlement", "deny") => true,
        ("partial_refund", "refund" | "partial_refund") => true,
        ("partial_chargeback", "chargeback" | "partial_chargeback") => true,
        _ => false,
    };
    if legal { Ok(()) } else { Err(illegal(tx, to)) }
}

/// Applies a checked, non-refund transition at the simulator's time `now`.
pub fn apply_transition(
    tx: &mut SimTransaction,
    to: &str,
    fraud: Option<&str>,
    now: DateTime<FixedOffset>,
) {
    if tx.status == CREATED {
        // A method picked ahead (GoPay, see `flows`) wins; else `pending` means a VA.
        match (tx.payment_type.as_deref(), to) {
            (Some("gopay"), _) => tx.choose_gopay(now),
            (_, "pending") => tx.choose_bank_transfer(now),
            _ => tx.choose_credit_card(now),
        }
    }
    if matches!(to, "capture" | "authorize") && tx.approval_code.is_none() {
        tx.approval_code = Some(random_digits(13));
    }
    if to == "settlement" {
        tx.settlement_time = Some(format_time(now));
    }
    let denied_challenge = to == "deny" && tx.fraud_status.as_deref() == Some("challenge");
    if let Some(f) = fraud {
        tx.fraud_status = Some(f.to_owned());
    } else if denied_challenge {
        tx.fraud_status = Some("deny".to_owned());
    }
    tx.status = to.to_owned();
}

/// A refund request after defaults are filled in.
pub struct RefundRequest {
    pub refund_key: Option<String>,
    pub amount: Option<i64>,
    pub reason: String,
    /// Only cards and e-wallets can be refunded through the API (§5); the
    /// simulator's control path skips that check (think dashboard refund).
    pub via_api: bool,
}

pub enum RefundOutcome {
    /// A new refund was recorded; the transaction moved to refund / partial_refund.
    Applied(SimRefund),
    /// Same key and amount as an earlier refund: a retry, nothing changes.
    Replayed(SimRefund),
}

/// Records a refund on a settled transaction, or says why not.
pub fn refund(
    tx: &mut SimTransaction,
    req: RefundRequest,
    id: u64,
) -> Result<RefundOutcome, SimError> {
    // A known key is a retry, answered even after a full refund left nothing to refund (§9).
    if let Some(key) = &req.refund_key
        && let Some(prev) = tx.refunds.iter().find(|r| &r.refund_key == key)
    {
        return match req.amount {
            Some(a) if a != prev.refund_amount => Err(SimError::DuplicateRefundKey(key.clone())),
            _ => Ok(RefundOutcome::Replayed(prev.clone())),
        };
    }
    let refundable_state = matches!(tx.status.as_str(), "settlement" | "partial_refund");
    let refundable_method = !req.via_api || tx.refundable_by_api();
    if !refundable_state || !refundable_method {
        return Err(illegal(tx, "refund"));
    }
    let remaining = tx.gross_amount - tx.refunded_amount();
    let amount = req.amount.unwrap_or(remaining);
    if amount <= 0 || amount > remaining {
        return Err(SimError::InvalidRefundAmount(amount));
    }
    let refund = SimRefund {
        refund_chargeback_id: id,
        refund_chargeback_uuid: uuid::Uuid::new_v4().to_string(),
        refund_key: req
            .refund_key
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        refund_amount: amount,
        reason: req.reason,
        created_at: format_time(jakarta_now()),
        bank_confirmed_at: None,
    };
    tx.refunds.push(refund.clone());
    tx.status = if amount == remaining {
        "refund"
    } else {
        "partial_refund"
    }
    .to_owned();
    Ok(RefundOutcome::Applied(refund))
}
