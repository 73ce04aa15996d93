//! Simulator-only control endpoints under `/_sim` (not part of Midtrans, no
//! auth), so a developer can "pay" with curl:
//!
//! | Method and path | Body | Does |
//! |---|---|---|
//! | `GET /_sim/transactions` | | list every Snap order |
//! | `GET /_sim/transactions/{order_id}` | | one order, with notifications and deliveries |
//! | `POST /_sim/transactions/{order_id}/pay` | | BCA VA: `pending`, then `settlement` |
//! | `POST /_sim/transactions/{order_id}/pay-card` | | card: `capture` (accept), then `settlement` |
//! | `POST /_sim/transactions/{order_id}/pay-gopay` | | GoPay: `pending`, then `settlement` (refundable) |
//! | `POST /_sim/transactions/{order_id}/status` | `{"status", "fraud_status"?}` | force a legal move (§6.1) |
//! | `POST /_sim/transactions/{order_id}/resend` | | send the last notification again |
//! | `POST /_sim/transactions/{order_id}/notify` | `{"status", "gross_amount"?}` | signed notification, no state change |
//! | `POST /_sim/fail-next/snap-create` · `/_sim/fail-next/status` | | next such call answers 500 |
//! | `PUT /_sim/notification-url` | `{"url"}` | change the default notification URL |
//! | `POST /_sim/clock/advance` | `{"seconds"}` | move the clock; expire what is past its Snap `expiry` |
//! | `PUT /_sim/delay/expire` | `{"millis"}` | every later `/v2/{id}/expire` waits this long (0 = off) |
//!
//! Actions answer `{"order_id", "transaction_status", "webhook_status"}` with
//! the webhook's HTTP status; on failure `webhook_status` is replaced by
//! `error`, with HTTP 404 for an unknown order, 409 for an illegal move or a
//! missing notification URL, and 502 when the webhook could not be reached
//! (`transaction_status` then shows that the move still happened).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::inner::Inner;
use super::state::SimError;

#[derive(Deserialize)]
pub struct StatusBody {
    status: String,
    fraud_status: Option<String>,
}

#[derive(Deserialize)]
pub struct NotifyBody {
    status: String,
    gross_amount: Option<String>,
}

#[derive(Deserialize)]
pub struct AdvanceBody {
    seconds: u64,
}

#[derive(Deserialize)]
pub struct DelayBody {
    millis: u64,
}

#[derive(Deserialize)]
pub struct UrlBody {
    url: Option<String>,
}

fn outcome(inner: &Inner, order_id: &str, result: Result<u16, SimError>) -> Response {
    let status = inner.store().get(order_id).map(|t| t.status.clone());
    let mut body = json!({ "order_id": order_id, "transaction_status": status });
    let code = match result {
        Ok(webhook_status) => {
            body["webhook_status"] = json!(webhook_status);
            StatusCode::OK
        }
        Err(err) => {
            body["error"] = json!(err.to_string());
            match err {
                SimError::UnknownOrder(_) => StatusCode::NOT_FOUND,
                SimError::Delivery(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::CONFLICT,
            }
        }
    };
    (code, Json(body)).into_response()
}

pub async fn list(State(inner): State<Arc<Inner>>) -> Response {
    Json(inner.store().all()).into_response()
}

pub async fn show(State(inner): State<Arc<Inner>>, Path(order_id): Path<String>) -> Response {
    match inner.store().get(&order_id) {
        Some(tx) => Json(tx).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown order" })),
        )
            .into_response(),
    }
}

pub async fn pay(State(inner): State<Arc<Inner>>, Path(order_id): Path<String>) -> Response {
    let result = inner.pay(&order_id).await;
    outcome(&inner, &order_id, result)
}

pub async fn pay_card(State(inner): State<Arc<Inner>>, Path(order_id): Path<String>) -> Response {
    let result = inner.pay_card(&order_id).await;
    outcome(&inner, &order_id, result)
}

pub async fn pay_gopay(State(inner): State<Arc<Inner>>, Path(order_id): Path<String>) -> Response {
    let result = inner.pay_gopay(&order_id).await;
    outcome(&inner, &order_id, result)
}

pub async fn set_status(
    State(inner): State<Arc<Inner>>,
    Path(order_id): Path<String>,
    Json(body): Json<StatusBody>,
) -> Response {
    let result = inner
        .set_status(&order_id, &body.status, body.fraud_status.as_deref())
        .await;
    outcome(&inner, &order_id, result)
}

pub async fn resend(State(inner): State<Arc<Inner>>, Path(order_id): Path<String>) -> Response {
    let result = inner.resend_last_and_wait(&order_id).await;
    outcome(&inner, &order_id, result)
}

pub async fn notify(
    State(inner): State<Arc<Inner>>,
    Path(order_id): Path<String>,
    Json(body): Json<NotifyBody>,
) -> Response {
    let result = inner
        .send_forged(&order_id, &body.status, body.gross_amount.as_deref())
        .await;
    outcome(&inner, &order_id, result)
}

pub async fn fail_next_snap_create(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.arm_snap_create_failure();
    StatusCode::NO_CONTENT
}

pub async fn fail_next_status(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.arm_status_failure();
    StatusCode::NO_CONTENT
}

pub async fn set_notification_url(
    State(inner): State<Arc<Inner>>,
    Json(body): Json<UrlBody>,
) -> StatusCode {
    inner.set_notification_url(body.url);
    StatusCode::NO_CONTENT
}

/// Answers `{"expired": [order ids]}` once each `expire` notification had its first try.
pub async fn advance_clock(
    State(inner): State<Arc<Inner>>,
    Json(body): Json<AdvanceBody>,
) -> Response {
    let expired = inner
        .advance_clock(std::time::Duration::from_secs(body.seconds))
        .await;
    Json(json!({ "expired": expired })).into_response()
}

pub async fn set_expire_delay(
    State(inner): State<Arc<Inner>>,
    Json(body): Json<DelayBody>,
) -> StatusCode {
    inner.set_expire_delay(std::time::Duration::from_millis(body.millis));
    StatusCode::NO_CONTENT
}
