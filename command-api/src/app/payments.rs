//! Recording a Midtrans notification. The signature is checked in constant time before
//! anything is read from the log; an unknown order or a bad signature is refused and appends
//! nothing. Then Midtrans' status API confirms it ([`Midtrans::verify_notification`], on by
//! default) and only **its** fields are recorded, so an unsigned `transaction_status` in the
//! body can never change a payment. Recording is idempotent (event ids derive from the
//! confirmed fields), so duplicates are harmless, and the payment aggregate ignores
//! notifications that would move a settled payment backwards.
//!
//! Metrics: `pasar_webhook_rejected_total{reason}` (signature, unknown_order, unverifiable)
//! and `pasar_payment_notifications_total{status}` (the mapped outcome of what was recorded).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pasar_domain::payment::{Payment, PaymentCommand};
use pasar_events::types::streams;
use pasar_events::{EventStore, Metadata};
use uuid::Uuid;

use super::exec::{EventIds, derive_id, execute, load};
use super::{AppError, AppState, Dependency, Rule};
use crate::midtrans::{PaymentOutcome, SignedNotification, TransactionStatus, VerifyError};

fn rejected(reason: &'static str) {
    metrics::counter!("pasar_webhook_rejected_total", "reason" => reason).increment(1);
}

pub async fn record(state: &AppState, notification: &SignedNotification) -> Result<(), AppError> {
    // Cheap and local first: a forged body never costs a log read or a status API call.
    if !notification.signature_matches(state.midtrans.server_key()) {
        tracing::warn!(order_id = %notification.order_id, "Midtrans notification with a bad signature refused");
        rejected("signature");
        return Err(Rule::BadSignature.into());
    }
    let payment_id = known_payment(state.store.as_ref(), &notification.order_id).await?;
    let status = match state.midtrans.verify_notification(notification).await {
        Ok(status) => status,
        Err(VerifyError::BadSignature) => {
            rejected("signature");
            return Err(Rule::BadSignature.into());
        }
        Err(e) => {
            tracing::warn!(error = ?e, %payment_id, "notification not confirmed; Midtrans will retry");
            rejected("unverifiable");
            return Err(AppError::Unavailable {
                dependency: Dependency::PaymentProvider,
                detail: e.to_string(),
            });
        }
    };
    record_status(&state.store, payment_id, &status, Utc::now()).await
}

/// The payment a Midtrans `order_id` names, if this system started it.
async fn known_payment(store: &dyn EventStore, order_id: &str) -> Result<Uuid, AppError> {
    let unknown = || {
        rejected("unknown_order");
        AppError::from(Rule::UnknownPayment)
    };
    let payment_id: Uuid = order_id.parse().map_err(|_| unknown())?;
    if load::<Payment>(store, &streams::payment(payment_id))
        .await?
        .exists()
    {
        Ok(payment_id)
    } else {
        Err(unknown())
    }
}

/// Records a status confirmed by Midtrans (from a verified notification or the expiry
/// sweeper's status check) exactly like a notification: the event ids derive from the status
/// fields, so the webhook and the sweeper seeing the same status append it once.
pub async fn record_status(
    store: &Arc<dyn EventStore>,
    payment_id: Uuid,
    status: &TransactionStatus,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let notification = status.to_notification(now);
    let seed = derive_id(&[
        "midtrans",
        &payment_id.to_string(),
        &notification.transaction_id,
        &notification.transaction_status,
        notification.fraud_status.as_deref().unwrap_or(""),
        &notification.status_code,
        &notification.gross_amount,
        notification.refund_amount.as_deref().unwrap_or(""),
        notification.refund_confirmed_at.as_deref().unwrap_or(""),
    ]);
    let metadata = Metadata {
        correlation_id: Some(payment_id),
        causation_id: Some(seed),
        ..Metadata::default()
    };
    let command = PaymentCommand::RecordNotification(notification);
    let stream = streams::payment(payment_id);
    execute::<Payment>(store, &stream, &command, EventIds::Derived(seed), &metadata).await?;
    metrics::counter!("pasar_payment_notifications_total", "status" => outcome_label(status.outcome()))
        .increment(1);
    Ok(())
}

fn outcome_label(outcome: PaymentOutcome) -> &'static str {
    match outcome {
        PaymentOutcome::AwaitingPayment => "awaiting_payment",
        PaymentOutcome::Authorized => "authorized",
        PaymentOutcome::Paid => "paid",
        PaymentOutcome::InReview => "in_review",
        PaymentOutcome::Failed => "failed",
        PaymentOutcome::Cancelled => "cancelled",
        PaymentOutcome::Expired => "expired",
        PaymentOutcome::Refunded => "refunded",
        PaymentOutcome::PartiallyRefunded => "partially_refunded",
        PaymentOutcome::ChargedBack => "charged_back",
        PaymentOutcome::Unknown => "unknown",
    }
}
