//! `POST /v1/webhooks/midtrans`: Midtrans HTTP notifications. The signature is checked in
//! constant time before anything is read from the log; an unknown order or a bad signature
//! answers 4xx and appends nothing. Recording is idempotent (event ids derive from the
//! notification's content), so duplicates are harmless, and the payment aggregate ignores
//! notifications that would move a settled payment backwards.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Utc;
use pasar_domain::payment::{Notification, Payment, PaymentCommand};
use pasar_events::Metadata;
use pasar_events::types::streams;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::ApiError;
use crate::exec::{EventIds, derive_id, execute, load};
use crate::midtrans::signature_matches;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/webhooks/midtrans", post(notification))
}

/// The fields we use; everything else Midtrans sends is ignored (they add fields over time).
#[derive(Deserialize)]
struct Body {
    order_id: String,
    status_code: String,
    gross_amount: String,
    signature_key: String,
    transaction_status: String,
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    fraud_status: Option<String>,
    #[serde(default)]
    payment_type: Option<String>,
}

async fn notification(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let body: Body = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a Midtrans notification: {e}")))?;
    let server_key = state.midtrans.server_key();
    if !signature_matches(
        &body.signature_key,
        &body.order_id,
        &body.status_code,
        &body.gross_amount,
        server_key,
    ) {
        tracing::warn!(order_id = %body.order_id, "Midtrans notification with a bad signature refused");
        return Err(ApiError::Forbidden("invalid signature_key".into()));
    }
    let payment_id: Uuid = body
        .order_id
        .parse()
        .map_err(|_| ApiError::NotFound("unknown order_id".into()))?;
    let stream = streams::payment(payment_id);
    let payment = load::<Payment>(state.store.as_ref(), &stream).await?;
    if !payment.exists() {
        return Err(ApiError::NotFound("unknown order_id".into()));
    }
    let notification = if state.midtrans.verifies_with_status_api() {
        confirmed_by_status_api(&state, &body).await?
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
    Ok(StatusCode::OK)
}

fn as_notification(body: &Body) -> Notification {
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
/// If it cannot be asked, answer 503 so Midtrans retries later.
async fn confirmed_by_status_api(state: &AppState, body: &Body) -> Result<Notification, ApiError> {
    let status = state.midtrans.status(&body.order_id).await.map_err(|e| {
        ApiError::Unavailable(format!("confirming with the Midtrans status API: {e}"))
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
