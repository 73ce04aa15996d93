//! One Midtrans transaction paying every order of one checkout (`payment-{id}`).
//!
//! Midtrans notifications arrive late, twice, or out of order. Every verified notification
//! is recorded as received, then mapped (Midtrans reference §6.3) to at most one state
//! change:
//!
//! | notification | from | event |
//! |---|---|---|
//! | `settlement`, or `capture` with fraud `accept`/absent, status code 200 | initiated, pending | settled, or amount mismatched |
//! | `pending` | initiated | pending |
//! | `deny`/`cancel`/`expire`/`failure`, or fraud `deny` | initiated, pending | failed |
//! | `deny` | settled | reversed |
//! | anything else (`capture` + challenge, refunds, chargebacks, repeats) | any | — |
//!
//! A settlement that arrives after its orders closed is never lost: the order flow revives
//! the orders when their stock can be reserved again, and otherwise requires a refund
//! (`RequireRefund`), which ends as refunded through Midtrans (`RecordRefund`) or, for methods
//! Midtrans cannot refund (bank transfer, VA), as a refund the shop owes (`OweRefund`).
//!
//! So a settled payment never regresses except by the provider's explicit reversal, and an
//! amount other than the gross amount never settles anything. Midtrans calls deny, cancel,
//! expire and failure final, so a success seen after one of them is stale and changes nothing.

use chrono::{DateTime, Utc};
use pasar_events::types::{Currency, Money, PaymentEvent, PaymentFailure};
use uuid::Uuid;

use crate::Aggregate;

mod notifications;

pub use notifications::parse_gross_amount;
use notifications::received;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaymentStatus {
    #[default]
    NotInitiated,
    /// The Snap transaction exists; the customer has not chosen a method yet.
    Initiated,
    /// A method was chosen; waiting for the money.
    Pending,
    Settled,
    Failed(PaymentFailure),
    /// Settled, then reversed by the provider (settlement → deny). Needs a human.
    Reversed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub status: PaymentStatus,
    pub payment_id: Uuid,
    pub checkout_id: Uuid,
    pub buyer_id: Uuid,
    pub order_ids: Vec<Uuid>,
    /// What Midtrans must report, to the rupiah, for the payment to settle.
    pub gross_amount: Money,
    pub snap_token: String,
    pub redirect_url: String,
    /// Midtrans's id, known from the first state-changing notification.
    pub transaction_id: Option<String>,
    pub payment_type: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    /// Where the return of a late settlement stands; `None` unless one was required.
    pub refund: Option<RefundState>,
}

/// The money of a settled payment going back to the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    /// Decided; Midtrans has not been asked yet (or did not answer).
    Required,
    Refunded,
    /// Midtrans cannot refund this method: the shop owes the buyer the gross amount.
    Owed,
}

impl Default for Payment {
    fn default() -> Self {
        Payment {
            status: PaymentStatus::NotInitiated,
            payment_id: Uuid::nil(),
            checkout_id: Uuid::nil(),
            buyer_id: Uuid::nil(),
            order_ids: vec![],
            gross_amount: Money::zero(Currency::IDR),
            snap_token: String::new(),
            redirect_url: String::new(),
            transaction_id: None,
            payment_type: None,
            settled_at: None,
            refund: None,
        }
    }
}

/// A verified Midtrans HTTP notification, fields as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub transaction_id: String,
    pub transaction_status: String,
    pub fraud_status: Option<String>,
    pub status_code: String,
    /// Decimal string, e.g. `"150000.00"`.
    pub gross_amount: String,
    pub payment_type: Option<String>,
    /// On refunds: the cumulative `refund_amount` and the latest refund's
    /// `bank_confirmed_at`, as Midtrans sends them.
    pub refund_amount: Option<String>,
    pub refund_confirmed_at: Option<String>,
    /// When it was received.
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PaymentCommand {
    Initiate {
        payment_id: Uuid,
        checkout_id: Uuid,
        buyer_id: Uuid,
        order_ids: Vec<Uuid>,
        gross_amount: Money,
        snap_token: String,
        redirect_url: String,
        now: DateTime<Utc>,
    },
    RecordNotification(Notification),
    /// Give a settled payment back (its orders closed and their stock is gone).
    RequireRefund {
        reason: String,
        now: DateTime<Utc>,
    },
    /// Midtrans accepted the required refund.
    RecordRefund {
        refund_key: String,
        refund_amount: String,
        now: DateTime<Utc>,
    },
    /// Midtrans cannot refund the required refund: the shop owes it.
    OweRefund {
        reason: String,
        now: DateTime<Utc>,
    },
}

/// Why a payment command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment was already initiated")]
    AlreadyInitiated,
    /// A notification for a payment this system never started.
    #[error("the payment was never initiated")]
    NotInitiated,
    #[error("only a settled payment can be refunded")]
    NotSettled,
    #[error("no refund is waiting for an outcome")]
    NoRefundRequired,
}

impl Aggregate for Payment {
    type Event = PaymentEvent;
    type Command = PaymentCommand;
    type Error = PaymentError;

    fn decide(&self, command: &PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            PaymentCommand::Initiate { .. } if self.status != PaymentStatus::NotInitiated => {
                Err(PaymentError::AlreadyInitiated)
            }
            PaymentCommand::Initiate {
                payment_id,
                checkout_id,
                buyer_id,
                order_ids,
                gross_amount,
                snap_token,
                redirect_url,
                now,
            } => Ok(vec![PaymentEvent::PaymentInitiated {
                payment_id: *payment_id,
                checkout_id: *checkout_id,
                buyer_id: *buyer_id,
                order_ids: order_ids.clone(),
                gross_amount: *gross_amount,
                snap_token: snap_token.clone(),
                redirect_url: redirect_url.clone(),
                initiated_at: *now,
            }]),
            PaymentCommand::RecordNotification(_) if self.status == PaymentStatus::NotInitiated => {
                Err(PaymentError::NotInitiated)
            }
            PaymentCommand::RecordNotification(notification) => {
                let received = received(notification);
                Ok(std::iter::once(received)
                    .chain(self.outcome_of(notification))
                    .collect())
            }
            refund => self.decide_refund(refund),
        }
    }

    fn evolve(mut self, event: &PaymentEvent) -> Self {
        match event {
            PaymentEvent::PaymentInitiated {
                payment_id,
                checkout_id,
                buyer_id,
                order_ids,
                gross_amount,
                snap_token,
                redirect_url,
                ..
            } => {
                self.status = PaymentStatus::Initiated;
                self.payment_id = *payment_id;
                self.checkout_id = *checkout_id;
                self.buyer_id = *buyer_id;
                self.order_ids.clone_from(order_ids);
                self.gross_amount = *gross_amount;
                self.snap_token.clone_from(snap_token);
                self.redirect_url.clone_from(redirect_url);
            }
            PaymentEvent::PaymentNotificationReceived { .. }
            | PaymentEvent::PaymentAmountMismatched { .. } => {}
            PaymentEvent::PaymentPending {
                transaction_id,
                payment_type,
            } => {
                self.status = PaymentStatus::Pending;
                self.transaction_id = Some(transaction_id.clone());
                self.payment_type.clone_from(payment_type);
            }
            PaymentEvent::PaymentSettled {
                transaction_id,
                payment_type,
                settled_at,
                ..
            } => {
                self.status = PaymentStatus::Settled;
                self.transaction_id = Some(transaction_id.clone());
                self.payment_type.clone_from(payment_type);
                self.settled_at = Some(*settled_at);
            }
            PaymentEvent::PaymentFailed {
                transaction_id,
                failure,
            } => {
                self.status = PaymentStatus::Failed(*failure);
                if transaction_id.is_some() {
                    self.transaction_id.clone_from(transaction_id);
                }
            }
            PaymentEvent::PaymentReversed { .. } => self.status = PaymentStatus::Reversed,
            PaymentEvent::PaymentRefundRequired { .. } => self.refund = Some(RefundState::Required),
            PaymentEvent::PaymentRefunded { .. } => self.refund = Some(RefundState::Refunded),
            PaymentEvent::PaymentRefundOwed { .. } => self.refund = Some(RefundState::Owed),
        }
        self
    }
}

impl Payment {
    /// The refund commands: each moves the refund one step, and a repeat changes nothing.
    fn decide_refund(&self, command: &PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        use RefundState::{Owed, Refunded, Required};
        let event = match (command, self.refund) {
            (PaymentCommand::RequireRefund { .. }, Some(_)) => return Ok(vec![]),
            (PaymentCommand::RequireRefund { .. }, None)
                if self.status != PaymentStatus::Settled =>
            {
                return Err(PaymentError::NotSettled);
            }
            (PaymentCommand::RequireRefund { reason, now }, None) => {
                PaymentEvent::PaymentRefundRequired {
                    amount: self.gross_amount,
                    reason: reason.clone(),
                    required_at: *now,
                }
            }
            (PaymentCommand::RecordRefund { .. }, Some(Refunded))
            | (PaymentCommand::OweRefund { .. }, Some(Owed)) => return Ok(vec![]),
            (
                PaymentCommand::RecordRefund {
                    refund_key,
                    refund_amount,
                    now,
                },
                Some(Required),
            ) => PaymentEvent::PaymentRefunded {
                refund_key: refund_key.clone(),
                refund_amount: refund_amount.clone(),
                refunded_at: *now,
            },
            (PaymentCommand::OweRefund { reason, now }, Some(Required)) => {
                PaymentEvent::PaymentRefundOwed {
                    amount: self.gross_amount,
                    reason: reason.clone(),
                    owed_at: *now,
                }
            }
            _ => return Err(PaymentError::NoRefundRequired),
        };
        Ok(vec![event])
    }
}
