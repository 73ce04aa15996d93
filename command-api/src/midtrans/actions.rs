//! State-changing Core API calls (reference §5) with typed outcomes. A 404 or 412 from these
//! endpoints is an answer about the transaction, not a success: the caller must look at the
//! status ([`Midtrans::fetch_status`]) before deciding what happened to the money.

use serde::Serialize;
use serde_json::Value;

use super::{Midtrans, MidtransError, PaymentOutcome, StatusLookup, TransactionStatus};

/// The answer of [`Midtrans::expire_transaction`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireOutcome {
    /// Body `status_code` 407 / `transaction_status` `expire`: it can no longer be paid.
    Expired,
    /// 404: no transaction. With Snap this also means "no payment method chosen yet" (§4.2); a
    /// page still open could create one, so check again unless the Snap `expiry` has passed.
    NotFound,
    /// 412: not pending any more. It may be settled, cancelled or already expired: fetch the
    /// status and act on that; never treat this as "expired".
    NotExpirable,
}

/// What the expiry sweeper should do with an unpaid order whose time is up, decided by
/// [`Midtrans::close_unpaid`] from `/expire` and, when that is not a plain success, the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpiryDecision {
    /// Midtrans will not take this payment any more: expire the order and release its stock.
    ExpireOrder,
    /// Midtrans has moved on without us (typically settled while we were expiring): act on
    /// this status exactly as on a confirmed notification; do **not** expire a paid order.
    ActOnStatus(Box<TransactionStatus>),
    /// No transaction yet while the Snap page may still be open, or still pending after a 412:
    /// leave the order alone and look again on the next sweep.
    TryLater,
}

/// A refund of a settled transaction (§5). Retrying with the same `refund_key` is safe: Midtrans
/// answers the recorded refund again; the same key with a different amount is refused (406).
#[derive(Clone, Debug, Serialize)]
pub struct RefundRequest {
    /// The merchant's id for this refund: `[A-Za-z0-9-_]`, derived from what is being refunded
    /// (e.g. `<payment id>-late`) so a retry reuses it.
    pub refund_key: String,
    /// In rupiah; `None` refunds what is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub reason: String,
}

/// The answer of [`Midtrans::refund`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Accepted (or a retry of an accepted refund). `transaction_status` is `refund` or
    /// `partial_refund`; `refund_amount` is as sent, e.g. `"10000.00"`.
    Refunded {
        refund_key: String,
        refund_amount: String,
        transaction_status: String,
    },
    /// 404: no such transaction.
    NotFound,
    /// 412: not refundable, either by state (not settled yet, already refunded) or by method
    /// (bank transfer, echannel and convenience-store payments cannot be refunded through the
    /// API). The money must go back another way (wallet, manual transfer).
    NotRefundable,
    /// 406: this `refund_key` was used for a different refund.
    DuplicateRefundKey,
    /// 414: amount invalid or merchant balance insufficient.
    Rejected,
}

impl Midtrans {
    /// `POST /v2/{id}/expire`: stop a pending transaction from being paid.
    ///
    /// Errors only when there is no usable answer (unreachable, 401, 5xx): try again later.
    pub async fn expire_transaction(&self, id: &str) -> Result<ExpireOutcome, MidtransError> {
        let reply = self.core(reqwest::Method::POST, id, "expire", None).await?;
        let expired = reply.body["transaction_status"].as_str() == Some("expire");
        match reply.code() {
            407 => Ok(ExpireOutcome::Expired),
            200 if expired => Ok(ExpireOutcome::Expired),
            404 => Ok(ExpireOutcome::NotFound),
            412 => Ok(ExpireOutcome::NotExpirable),
            200..=399 => Err(MidtransError::InvalidResponse {
                detail: format!("expire answered {} without expiring", reply.code()),
            }),
            _ => Err(reply.refused()),
        }
    }

    /// Closes an unpaid transaction whose order timed out. `page_closed` says whether the Snap
    /// `expiry` sent at checkout has passed ([`super::SnapExpiry::is_closed_at`]): only then can a
    /// 404 (no payment method chosen) be trusted to stay a 404.
    ///
    /// Errors only when Midtrans gave no usable answer; the sweeper then tries again later.
    pub async fn close_unpaid(
        &self,
        id: &str,
        page_closed: bool,
    ) -> Result<ExpiryDecision, MidtransError> {
        match self.expire_transaction(id).await? {
            ExpireOutcome::Expired => Ok(ExpiryDecision::ExpireOrder),
            ExpireOutcome::NotFound if page_closed => Ok(ExpiryDecision::ExpireOrder),
            ExpireOutcome::NotFound => Ok(ExpiryDecision::TryLater),
            ExpireOutcome::NotExpirable => match self.fetch_status(id).await? {
                StatusLookup::Found(status) => Ok(match status.outcome() {
                    PaymentOutcome::Expired => ExpiryDecision::ExpireOrder,
                    PaymentOutcome::AwaitingPayment => ExpiryDecision::TryLater,
                    _ => ExpiryDecision::ActOnStatus(status),
                }),
                StatusLookup::NotFound => Ok(ExpiryDecision::TryLater),
            },
        }
    }

    /// `POST /v2/{id}/refund` with a `refund_key`, so a retry after a lost answer does not
    /// refund twice. Errors only when there is no usable answer.
    pub async fn refund(
        &self,
        id: &str,
        request: &RefundRequest,
    ) -> Result<RefundOutcome, MidtransError> {
        let body = serde_json::to_value(request).map_err(|e| MidtransError::InvalidResponse {
            detail: format!("encoding a refund request: {e}"),
        })?;
        let reply = self
            .core(reqwest::Method::POST, id, "refund", Some(&body))
            .await?;
        match reply.code() {
            200 => refunded(&reply.body, request).map_err(|field| MidtransError::InvalidResponse {
                detail: format!("refund answer without {field}"),
            }),
            404 => Ok(RefundOutcome::NotFound),
            406 => Ok(RefundOutcome::DuplicateRefundKey),
            412 => Ok(RefundOutcome::NotRefundable),
            414 => Ok(RefundOutcome::Rejected),
            _ => Err(reply.refused()),
        }
    }
}

fn refunded(body: &Value, request: &RefundRequest) -> Result<RefundOutcome, &'static str> {
    let text = |field: &'static str| body[field].as_str().map(str::to_owned).ok_or(field);
    Ok(RefundOutcome::Refunded {
        refund_key: text("refund_key").unwrap_or_else(|_| request.refund_key.clone()),
        refund_amount: text("refund_amount")?,
        transaction_status: text("transaction_status")?,
    })
}
