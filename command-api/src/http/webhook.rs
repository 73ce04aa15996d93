//! `POST /v1/webhooks/midtrans`: Midtrans HTTP notifications, parsed here and recorded by
//! `app::payments` (signature check, status confirmation, idempotent append).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;

use crate::app::AppState;
use crate::app::payments::{self, IncomingNotification};
use crate::error::ApiError;

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

impl TryFrom<Body> for IncomingNotification {
    type Error = ApiError;

    fn try_from(body: Body) -> Result<Self, ApiError> {
        let texts = [
            &body.order_id,
            &body.status_code,
            &body.gross_amount,
            &body.transaction_status,
        ];
        let optional = [&body.transaction_id, &body.fraud_status, &body.payment_type];
        let control = texts.iter().any(|t| t.contains(char::is_control))
            || optional
                .iter()
                .flat_map(|t| t.as_deref())
                .any(|t| t.contains(char::is_control));
        if control {
            return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
                "notification",
                "fields must not contain control characters",
            )]));
        }
        Ok(IncomingNotification {
            order_id: body.order_id,
            status_code: body.status_code,
            gross_amount: body.gross_amount,
            signature_key: body.signature_key,
            transaction_status: body.transaction_status,
            transaction_id: body.transaction_id,
            fraud_status: body.fraud_status,
            payment_type: body.payment_type,
        })
    }
}

async fn notification(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let body: Body = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a Midtrans notification: {e}")))?;
    payments::record(&state, body.try_into()?).await?;
    Ok(StatusCode::OK)
}
