//! Core API under `/v2/{id}/...` (§4, §5): status, cancel, expire, approve,
//! deny and refund. `{id}` is an order id or a transaction id. State changes
//! answer at once and notify in the background, as Midtrans does.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::inner::Inner;
use super::model::{BodyKind, SimTransaction, format_amount};
use super::state::{RefundOutcome, RefundRequest, SimError};

const CANNOT_MODIFY: &str = "Merchant cannot modify the status of the transaction";

/// A Core API error body. 404/401/500 always use the matching HTTP status;
/// business errors (406/412/414) do too unless the "errors as HTTP 200" knob is
/// on, which mimics the documented HTTP-200 examples (§3.5).
pub fn core_error(inner: &Inner, code: u16, message: &str) -> Response {
    let business = matches!(code, 406 | 412 | 414);
    let http = if business && inner.core_errors_as_http_200() {
        StatusCode::OK
    } else {
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    };
    let mut body = json!({ "status_code": code.to_string(), "status_message": message });
    if code == 404 {
        body["id"] = json!(uuid::Uuid::new_v4().to_string());
    }
    (http, Json(body)).into_response()
}

pub fn core_unauthorized(inner: &Inner) -> Response {
    core_error(
        inner,
        401,
        "Transaction cannot be authorized with the current client/server key.",
    )
}

fn not_found(inner: &Inner) -> Response {
    core_error(inner, 404, "Transaction doesn't exist.")
}

fn error_response(inner: &Inner, err: &SimError) -> Response {
    match err {
        SimError::UnknownOrder(_) => not_found(inner),
        SimError::IllegalTransition { .. } => core_error(inner, 412, CANNOT_MODIFY),
        SimError::DuplicateRefundKey(_) => core_error(inner, 406, "Duplicate refund ID"),
        SimError::InvalidRefundAmount(_) => core_error(inner, 414, "Refund amount is invalid"),
        other => core_error(inner, 500, &other.to_string()),
    }
}

/// Order id of the transaction a Core API `{id}` names, if it is visible.
fn resolve(inner: &Inner, id: &str) -> Option<String> {
    inner.store().find_visible(id).map(|t| t.order_id.clone())
}

fn snapshot(inner: &Inner, order_id: &str) -> Option<SimTransaction> {
    inner.store().get(order_id).cloned()
}

pub async fn status(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    if inner.take_status_failure() {
        let message = "Sorry, we encountered internal server error. We will fix this soon.";
        return core_error(&inner, 500, message);
    }
    inner.expire_overdue_in_background();
    let found = inner.store().find_visible(&id).cloned();
    match found {
        Some(tx) => {
            Json(tx.body(&tx.status, BodyKind::Status, None, &inner.server_key)).into_response()
        }
        None => not_found(&inner),
    }
}

/// Runs one of the status-changing endpoints: `allowed` guards the current
/// state beyond §6.1, `to`/`fraud` is the move, `message` the success text.
fn change(
    inner: &Inner,
    id: &str,
    allowed: fn(&SimTransaction) -> bool,
    to: &str,
    fraud: Option<&str>,
    message: &str,
) -> Response {
    inner.expire_overdue_in_background();
    let Some(order_id) = resolve(inner, id) else {
        return not_found(inner);
    };
    match inner.transition_if(&order_id, allowed, to, fraud) {
        Ok(dispatch) => {
            inner.send_in_background(dispatch);
            let tx = snapshot(inner, &order_id).expect("a transitioned order stays in the store");
            let mut body = tx.body(to, BodyKind::Status, None, &inner.server_key);
            body["status_message"] = json!(message);
            Json(body).into_response()
        }
        Err(err) => error_response(inner, &err),
    }
}

fn challenged(tx: &SimTransaction) -> bool {
    tx.status == "capture" && tx.fraud_status.as_deref() == Some("challenge")
}

fn any(_: &SimTransaction) -> bool {
    true
}

pub async fn cancel(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    change(
        &inner,
        &id,
        any,
        "cancel",
        None,
        "Success, transaction is canceled",
    )
}

/// Success carries `status_code: "407"` in the body with HTTP 200 (§5). Waits first for the
/// delay set with `/_sim/delay/expire` (a slow Midtrans), then acts on the state at that time.
pub async fn expire(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let delay = inner.expire_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if inner.take_lost_expire() {
        // Answered as expired while the customer's payment was already on its way: the
        // transaction stays payable (see `MidtransSim::lose_next_expire`).
        return Json(json!({
            "status_code": "407", "status_message": "Success, transaction has expired",
            "order_id": id, "transaction_status": "expire",
        }))
        .into_response();
    }
    change(
        &inner,
        &id,
        any,
        "expire",
        None,
        "Success, transaction has expired",
    )
}

pub async fn approve(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    change(
        &inner,
        &id,
        challenged,
        "capture",
        Some("accept"),
        "Success, transaction is approved",
    )
}

pub async fn deny(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    change(
        &inner,
        &id,
        challenged,
        "deny",
        Some("deny"),
        "Success, transaction is denied",
    )
}

/// `POST /v2/{id}/refund` (and `/refund/online/direct`) with an optional body
/// `{refund_key, amount, reason}`; no amount means the full remaining amount.
pub async fn refund(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    inner.expire_overdue_in_background();
    let Some(order_id) = resolve(&inner, &id) else {
        return not_found(&inner);
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let amount = &body["amount"];
    if !amount.is_null() && amount.as_i64().is_none() {
        return core_error(&inner, 414, "Refund amount is invalid");
    }
    let req = RefundRequest {
        refund_key: body["refund_key"].as_str().map(str::to_owned),
        amount: amount.as_i64(),
        reason: body["reason"].as_str().unwrap_or_default().to_owned(),
        via_api: true,
    };
    match inner.refund(&order_id, req) {
        Ok((tx, outcome, dispatch)) => {
            inner.send_in_background(dispatch);
            let refund = match outcome {
                RefundOutcome::Applied(r) | RefundOutcome::Replayed(r) => r,
            };
            Json(json!({
                "status_code": "200",
                "status_message": "Success, refund request is approved",
                "transaction_id": tx.transaction_id,
                "order_id": tx.order_id,
                "gross_amount": format_amount(tx.gross_amount),
                "currency": "IDR",
                "payment_type": tx.payment_type,
                "transaction_time": tx.transaction_time,
                "transaction_status": tx.status,
                "refund_chargeback_id": refund.refund_chargeback_id,
                "refund_amount": format_amount(refund.refund_amount),
                "refund_key": refund.refund_key,
            }))
            .into_response()
        }
        Err(err) => error_response(&inner, &err),
    }
}
