//! Snap: `POST /snap/v1/transactions` (§3) and a tiny stand-in for the hosted
//! payment page at the returned `redirect_url`.
//!
//! Only the sum-mismatch, duplicate order id, order-id-required, 401 and 500
//! messages are confirmed Midtrans texts (§10); the other validation messages
//! follow the same `field is/must ...` style but are the simulator's own.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::expiry::{SimExpiry, parse_expiry};
use super::inner::Inner;
use super::model::{SimTransaction, format_amount};

const MAX_ID_LEN: usize = 50;
const MAX_NOTIFICATION_URLS: usize = 3;

pub fn snap_error(status: StatusCode, messages: &[&str]) -> Response {
    (status, Json(json!({ "error_messages": messages }))).into_response()
}

pub fn snap_unauthorized() -> Response {
    snap_error(
        StatusCode::UNAUTHORIZED,
        &[
            "Access denied due to unauthorized transaction, please check client or server key",
            "Visit https://snap-docs.midtrans.com/#request-headers for more details",
        ],
    )
}

pub async fn create_transaction(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if inner.take_snap_create_failure() {
        let body = json!({
            "error_messages": ["Sorry, we encountered internal server error. We will fix this soon."],
            "locale": "en",
        });
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (order_id, gross_amount, expiry) = match validate(&request) {
        Ok(valid) => valid,
        Err(errors) => {
            let errors: Vec<&str> = errors.iter().map(String::as_str).collect();
            return snap_error(StatusCode::BAD_REQUEST, &errors);
        }
    };
    let mut tx = SimTransaction::new(order_id, gross_amount, request);
    tx.expiry_missing = expiry.is_none();
    tx.expiry = expiry;
    if tx.expiry_missing {
        tracing::warn!(order_id = %tx.order_id, "midtrans-sim: Snap create without expiry (payable for the default 24 h)");
    }
    tx.override_notification = notification_urls(&headers, "x-override-notification");
    tx.append_notification =
        notification_urls(&headers, "x-append-notification").unwrap_or_default();
    let (token, order_id) = (tx.token.clone(), tx.order_id.clone());
    {
        let mut store = inner.store();
        if store.contains(&tx.order_id) {
            drop(store);
            let taken = "transaction_details.order_id has already been taken";
            return snap_error(StatusCode::BAD_REQUEST, &[taken]);
        }
        store.insert(tx);
    }
    tracing::info!(%order_id, gross_amount, "midtrans-sim snap transaction created");
    let redirect_url = format!("{}/snap/v3/redirection/{token}", inner.base_url);
    (
        StatusCode::CREATED,
        Json(json!({ "token": token, "redirect_url": redirect_url })),
    )
        .into_response()
}

/// Up to three comma-separated URLs from a notification header (§8.5).
fn notification_urls(headers: &HeaderMap, name: &str) -> Option<Vec<String>> {
    let raw = headers.get(name)?.to_str().ok()?;
    let urls: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .take(MAX_NOTIFICATION_URLS)
        .map(str::to_owned)
        .collect();
    (!urls.is_empty()).then_some(urls)
}

/// Checks a Snap create body; returns the order id, gross amount and `expiry`
/// (`None` when absent), or the `error_messages` to answer 400 with.
pub fn validate(body: &Value) -> Result<(String, i64, Option<SimExpiry>), Vec<String>> {
    let mut errors = Vec::new();
    let details = &body["transaction_details"];
    let order_id = details["order_id"].as_str().unwrap_or_default();
    if order_id.is_empty() {
        errors.push("transaction_details.order_id is required".to_owned());
    } else if order_id.chars().count() > MAX_ID_LEN {
        errors
            .push("transaction_details.order_id may not be greater than 50 characters".to_owned());
    } else if !order_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_~.".contains(c))
    {
        errors.push("transaction_details.order_id format is invalid".to_owned());
    }
    let gross = match &details["gross_amount"] {
        Value::Null => {
            errors.push("transaction_details.gross_amount is required".to_owned());
            None
        }
        v => match v.as_i64() {
            Some(g) if g > 0 => Some(g),
            Some(_) => {
                errors.push("transaction_details.gross_amount must be greater than 0".to_owned());
                None
            }
            None => {
                errors.push("transaction_details.gross_amount must be an integer".to_owned());
                None
            }
        },
    };
    let items_total = check_items(&body["item_details"], &mut errors);
    if let (Some(gross), Some(total)) = (gross, items_total)
        && i128::from(gross) != total
    {
        errors.push(
            "transaction_details.gross_amount is not equal to the sum of item_details".to_owned(),
        );
    }
    let expiry = parse_expiry(body, &mut errors);
    match gross {
        Some(gross) if errors.is_empty() => Ok((order_id.to_owned(), gross, expiry)),
        _ => Err(errors),
    }
}

/// Validates `item_details`; returns sum(price * quantity) when every item is
/// valid, `None` when absent or invalid.
fn check_items(items: &Value, errors: &mut Vec<String>) -> Option<i128> {
    let items = match items {
        Value::Null => return None,
        Value::Array(items) => items,
        _ => {
            errors.push("item_details must be an array".to_owned());
            return None;
        }
    };
    let before = errors.len();
    let mut total: i128 = 0;
    for (i, item) in items.iter().enumerate() {
        let name = item["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            errors.push(format!("item_details[{i}].name is required"));
        } else if name.chars().count() > MAX_ID_LEN {
            errors.push(format!(
                "item_details[{i}].name may not be greater than 50 characters"
            ));
        }
        if item["id"]
            .as_str()
            .is_some_and(|id| id.chars().count() > MAX_ID_LEN)
        {
            errors.push(format!(
                "item_details[{i}].id may not be greater than 50 characters"
            ));
        }
        let Some(price) = item["price"].as_i64() else {
            errors.push(format!(
                "item_details[{i}].price is required and must be an integer"
            ));
            continue;
        };
        match item["quantity"].as_i64() {
            Some(q) if q >= 1 => total += i128::from(price) * i128::from(q),
            _ => errors.push(format!(
                "item_details[{i}].quantity must be an integer of at least 1"
            )),
        }
    }
    (errors.len() == before).then_some(total)
}

/// `GET /snap/v3/redirection/{token}`: a plain page with "pay" and "expire"
/// buttons wired to the simulator's control endpoints, for local development.
pub async fn payment_page(State(inner): State<Arc<Inner>>, Path(token): Path<String>) -> Response {
    let found = inner.store().all().into_iter().find(|t| t.token == token);
    let Some(tx) = found else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>Unknown Snap token</h1>".to_owned()),
        )
            .into_response();
    };
    let id = html_escape(&tx.order_id);
    let page = format!(
        "<!doctype html><html><head><title>Midtrans simulator</title></head><body>\
         <h1>Midtrans simulator</h1><p>Order <code>{id}</code>: IDR {amount} ({status})</p>\
         <form method=\"post\" action=\"/_sim/transactions/{id}/pay\"><button>Pay (BCA VA)</button></form>\
         <form method=\"post\" action=\"/_sim/transactions/{id}/pay-card\"><button>Pay (card)</button></form>\
         </body></html>",
        amount = format_amount(tx.gross_amount),
        status = html_escape(&tx.status),
    );
    Html(page).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
