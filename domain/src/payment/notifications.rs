//! How a verified Midtrans notification maps to a payment's state (the table in
//! [`super`]'s docs), and its gross amount parsed without floating point.

use pasar_events::types::{PaymentEvent, PaymentFailure};

use super::{Notification, Payment, PaymentStatus};

impl Payment {
    /// The state change a notification causes, if any. See the module table.
    pub(super) fn outcome_of(&self, n: &Notification) -> Option<PaymentEvent> {
        let open = matches!(
            self.status,
            PaymentStatus::Initiated | PaymentStatus::Pending
        );
        match classify(n) {
            Verdict::Success if open => Some(self.settle_or_mismatch(n)),
            Verdict::Pending if self.status == PaymentStatus::Initiated => {
                Some(PaymentEvent::PaymentPending {
                    transaction_id: n.transaction_id.clone(),
                    payment_type: n.payment_type.clone(),
                })
            }
            Verdict::Failure(failure) if open => Some(PaymentEvent::PaymentFailed {
                transaction_id: Some(n.transaction_id.clone()),
                failure,
            }),
            Verdict::Failure(PaymentFailure::Denied)
                if self.status == PaymentStatus::Settled
                    && n.transaction_status.eq_ignore_ascii_case("deny") =>
            {
                Some(PaymentEvent::PaymentReversed {
                    transaction_id: n.transaction_id.clone(),
                })
            }
            _ => None,
        }
    }

    fn settle_or_mismatch(&self, n: &Notification) -> PaymentEvent {
        if parse_gross_amount(&n.gross_amount) == Some(self.gross_amount.amount) {
            PaymentEvent::PaymentSettled {
                transaction_id: n.transaction_id.clone(),
                amount: self.gross_amount,
                payment_type: n.payment_type.clone(),
                settled_at: n.now,
            }
        } else {
            PaymentEvent::PaymentAmountMismatched {
                transaction_id: n.transaction_id.clone(),
                expected: self.gross_amount,
                received: n.gross_amount.clone(),
            }
        }
    }
}

/// What a notification says happened, regardless of the payment's state.
enum Verdict {
    Success,
    Pending,
    Failure(PaymentFailure),
    /// Nothing to act on: a challenge under review, refunds, chargebacks, unknown statuses.
    Informational,
}

fn classify(n: &Notification) -> Verdict {
    let status = n.transaction_status.to_ascii_lowercase();
    let fraud = n.fraud_status.as_deref().map(str::to_ascii_lowercase);
    match (status.as_str(), fraud.as_deref()) {
        ("settlement" | "capture", Some("deny")) => Verdict::Failure(PaymentFailure::Denied),
        // Midtrans: success only with status code 200; a missing fraud status means accepted.
        ("settlement" | "capture", None | Some("accept")) if n.status_code.trim() == "200" => {
            Verdict::Success
        }
        ("pending", _) => Verdict::Pending,
        ("deny", _) => Verdict::Failure(PaymentFailure::Denied),
        ("cancel", _) => Verdict::Failure(PaymentFailure::Cancelled),
        ("expire", _) => Verdict::Failure(PaymentFailure::Expired),
        ("failure", _) => Verdict::Failure(PaymentFailure::Failed),
        _ => Verdict::Informational,
    }
}

/// Parses Midtrans's `gross_amount` to whole minor units without floating point: digits,
/// optionally followed by a fraction of zeros (`"150000"`, `"150000.00"`). Anything else,
/// including a non-zero fraction, is `None` and can never equal an expected amount.
pub fn parse_gross_amount(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    whole.parse().ok()
}

pub(super) fn received(n: &Notification) -> PaymentEvent {
    PaymentEvent::PaymentNotificationReceived {
        transaction_id: n.transaction_id.clone(),
        transaction_status: n.transaction_status.clone(),
        fraud_status: n.fraud_status.clone(),
        status_code: n.status_code.clone(),
        gross_amount: n.gross_amount.clone(),
        payment_type: n.payment_type.clone(),
        received_at: n.now,
        refund_amount: n.refund_amount.clone(),
        refund_confirmed_at: n.refund_confirmed_at.clone(),
    }
}
