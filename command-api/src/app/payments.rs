//! Recording a Midtrans notification. The signature is checked in constant time before
//! anything is read from the log; an unknown order or a bad signature is refused and appends
//! nothing. Recording is idempotent (event ids derive from the notification's content), so
//! duplicates are harmless, and the payment aggregate ignores notifications that would move a
//! settled payment backwards.

use chrono::Utc;
use pasar_domain::payment::{Notification, Payment, PaymentCommand};
use pasar_events::Metadata;
use pasar_events::types::streams;
use uuid::Uuid;

use super::exec::{EventIds, derive_id, execute, load};
use super::{AppError, AppState, Dependency, Rule};
use crate::midtrans::signature_matches;

/// The notification fields we use (Midtrans adds fields over time; the rest is ignored).
pub struct IncomingNotification {
    pub order_id: String,
    pub status_code: String,
    pub gross_amount: String,
    pub signature_key: String,
    pub transaction_status: String,
    pub transaction_id: Option<String>,
    pub fraud_status: Option<String>,
    pub payment_type: Option<String>,
}

pub async fn record(state: &AppState, body: IncomingNotification) -> Result<(), AppError> {
    let server_key = state.midtrans.server_key();
    if !signature_matches(
        &body.signature_key,
        &body.order_id,
        &body.status_code,
        &body.gross_amount,
        server_key,
    ) {
        tracing::warn!(order_id = %body.order_id, "Midtrans notification with a bad signature refused");
        return Err(Rule::BadSignature.into());
    }
    let payment_id: Uuid = body.order_id.parse().map_err(|_| Rule::UnknownPayment)?;
    let stream = streams::payment(payment_id);
    if !load::<Payment>(state.store.as_ref(), &stream)
        .await?
        .exists()
    {
        return Err(Rule::UnknownPayment.into());
    }
    let notification = if state.midtrans.verifies_with_status_api() {
        confirmed_by_status_api(state, &body).await?
    } else {
        as_notification(&body)
    };
    let seed = derive_id(&[
        "midtrans",
        &body.order_id,
        &notification.transaction_id,
        &notification.transaction_status,
        notification.fraud_status.as_deref().unwrap_or(""),
        &notification.status_code,
        &notification.gross_amount,
    ]);
    let metadata = Metadata {
        correlation_id: Some(payment_id),
        causation_id: Some(seed),
        ..Metadata::default()
    };
    let command = PaymentCommand::RecordNotification(notification);
    execute::<Payment>(
        &state.store,
        &stream,
        &command,
        EventIds::Derived(seed),
        &metadata,
    )
    .await?;
    Ok(())
}

fn as_notification(body: &IncomingNotification) -> Notification {
    Notification {
        transaction_id: body.transaction_id.clone().unwrap_or_default(),
        transaction_status: body.transaction_status.clone(),
        fraud_status: body.fraud_status.clone(),
        status_code: body.status_code.clone(),
        gross_amount: body.gross_amount.clone(),
        payment_type: body.payment_type.clone(),
        now: Utc::now(),
    }
}

/// Midtrans' status API is the source of truth; a notification is only a prompt to ask it.
/// If it cannot be asked, the provider is unavailable, so Midtrans retries later.
async fn confirmed_by_status_api(
    state: &AppState,
    body: &IncomingNotification,
) -> Result<Notification, AppError> {
    let status =
        state
            .midtrans
            .status(&body.order_id)
            .await
            .map_err(|e| AppError::Unavailable {
                dependency: Dependency::PaymentProvider,
                detail: format!("confirming with the Midtrans status API: {e}"),
            })?;
    let text = |field: &str| status[field].as_str().map(str::to_owned);
    Ok(Notification {
        transaction_id: text("transaction_id")
            .or_else(|| body.transaction_id.clone())
            .unwrap_or_default(),
        transaction_status: text("transaction_status")
            .unwrap_or_else(|| body.transaction_status.clone()),
        fraud_status: text("fraud_status"),
        status_code: text("status_code").unwrap_or_else(|| body.status_code.clone()),
        gross_amount: text("gross_amount").unwrap_or_else(|| body.gross_amount.clone()),
        payment_type: text("payment_type"),
        now: Utc::now(),
    })
}
