//! `POST /v1/webhooks/midtrans`: Midtrans HTTP notifications, parsed here and recorded by
//! `app::payments` (signature check, status confirmation, idempotent append).
//!
//! Answers: 200 recorded (or nothing new); 400 not a notification (a signed field missing, or
//! not JSON); 422 control characters; 403 bad signature; 404 unknown order; 503 the status API
//! could not confirm it (Midtrans retries, nothing is recorded).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::MidtransNotification;
use crate::app::AppState;
use crate::app::payments;
use crate::error::ApiError;
use crate::midtrans::SignedNotification;
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(notification))
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

/// Midtrans notification
///
/// Midtrans' HTTP notification of a payment's status. Authenticated by its `signature_key`,
/// then confirmed with Midtrans' status API; recording is idempotent.
#[utoipa::path(
    post, path = "/v1/webhooks/midtrans", tag = "webhooks",
    request_body = MidtransNotification,
    responses(
        (status = 200, description = "Recorded, or nothing new"),
        (status = 400, description = "Not a Midtrans notification (a signed field missing, or not JSON)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Invalid `signature_key`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`order_id` is not a known payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A conflict with the payment's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Control characters in a field", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Midtrans' status API could not confirm it; Midtrans retries", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn notification(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let notification = SignedNotification::parse(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a Midtrans notification: {e}")))?;
    printable(&notification)?;
    payments::record(&state, &notification).await?;
    Ok(StatusCode::OK)
}
