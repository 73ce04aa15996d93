//! `POST /v1/webhooks/midtrans`: Midtrans HTTP notifications, parsed here and recorded by
//! `app::payments` (signature check, status confirmation, idempotent append).
//!
//! Answers: 200 recorded (or nothing new); 400 not a notification (a signed field missing, or
//! not JSON); 422 control characters; 403 bad signature; 404 unknown order; 503 the status API
//! could not confirm it (Midtrans retries, nothing is recorded).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use crate::app::AppState;
use crate::app::payments;
use crate::error::ApiError;
use crate::midtrans::SignedNotification;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/webhooks/midtrans", post(notification))
}

/// Every string field Midtrans sends us must be printable text.
fn printable(n: &SignedNotification) -> Result<(), ApiError> {
    let required = [
        &n.order_id,
        &n.status_code,
        &n.gross_amount,
        &n.signature_key,
    ];
    let optional = [
        &n.transaction_id,
        &n.transaction_status,
        &n.fraud_status,
        &n.payment_type,
    ];
    let control = required
        .into_iter()
        .chain(optional.into_iter().flatten())
        .any(|t| t.contains(char::is_control));
    if control {
        return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
            "notification",
            "fields must not contain control characters",
        )]));
    }
    Ok(())
}

async fn notification(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let notification = SignedNotification::parse(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a Midtrans notification: {e}")))?;
    printable(&notification)?;
    payments::record(&state, &notification).await?;
    Ok(StatusCode::OK)
}
