//! Carrying out a refund that a late settlement required ([`super::late_settlement`]): one
//! Midtrans refund with a fixed key (`<payment id>-late`, so a retry after a lost answer refunds
//! once), recorded as refunded; a method Midtrans cannot refund (bank transfer, VA) is recorded
//! as owed by the shop until the wallet (issue 11) or a person pays it back.

use std::sync::Arc;

use chrono::Utc;
use pasar_domain::payment::{Payment, PaymentCommand, RefundState};
use pasar_events::types::streams;
use pasar_events::{EventStore, Metadata};
use uuid::Uuid;

use super::exec::{EventIds, derive_id, execute, load};
use super::{AppError, Dependency};
use crate::midtrans::{Midtrans, RefundOutcome, RefundRequest};

/// Refunds `payment_id` if a refund is required and not yet carried out. Fails (retry later)
/// only when Midtrans gave no usable answer or the log is unavailable.
pub async fn carry_out(
    store: &Arc<dyn EventStore>,
    midtrans: &Midtrans,
    payment_id: Uuid,
) -> Result<(), AppError> {
    let stream = streams::payment(payment_id);
    let payment = load::<Payment>(store.as_ref(), &stream).await?.state;
    if payment.refund != Some(RefundState::Required) {
        return Ok(());
    }
    let request = RefundRequest {
        refund_key: format!("{payment_id}-late"),
        amount: None,
        reason: "paid after the order closed; its stock was no longer available".into(),
    };
    let now = Utc::now();
    let command = match midtrans.refund(&payment_id.to_string(), &request).await {
        Ok(RefundOutcome::Refunded {
            refund_key,
            refund_amount,
            ..
        }) => PaymentCommand::RecordRefund {
            refund_key,
            refund_amount,
            now,
        },
        Ok(outcome) => {
            tracing::warn!(%payment_id, ?outcome, "Midtrans cannot refund a late settlement; the shop owes it");
            let method = payment.payment_type.as_deref().unwrap_or("unknown method");
            PaymentCommand::OweRefund {
                reason: format!("Midtrans refused the refund ({outcome:?}, {method})"),
                now,
            }
        }
        Err(e) => {
            tracing::warn!(%payment_id, error = ?e, "refund of a late settlement not answered; will retry");
            return Err(AppError::Unavailable {
                dependency: Dependency::PaymentProvider,
                detail: e.to_string(),
            });
        }
    };
    let ids = EventIds::Derived(derive_id(&["late-refund-outcome", &payment_id.to_string()]));
    let metadata = Metadata {
        correlation_id: Some(payment_id),
        ..Metadata::default()
    };
    execute::<Payment>(store, &stream, &command, ids, &metadata).await?;
    Ok(())
}
