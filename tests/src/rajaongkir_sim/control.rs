//! Simulator-only controls under `/_sim` (not part of RajaOngkir, no auth):
//!
//! | Method and path | Body | Does |
//! |---|---|---|
//! | `GET /_sim/calls` | | every API call so far: `[{method, path, key_present, status}]` |
//! | `POST /_sim/fail-next` | `{"count"?: 1, "status"?: 500}` | the next `count` API calls answer `status` (500–599; 500 in the envelope, 502–504 as a gateway's HTML page) |
//! | `POST /_sim/rate-limit` | `{"count"?: 1, "retry_after"?: secs}` | the next `count` calls with a valid key answer 429, with `Retry-After` if given |
//! | `PUT /_sim/quota` | `{"limit": n \| null}` | at most `n` calls with a valid key, then 429 until the quota is set again |
//! | `PUT /_sim/latency` | `{"millis"}` | every API call waits this long before answering (0 = off) |
//! | `PUT /_sim/couriers/{code}/empty` | `{"empty": bool}` | the courier returns zero services |
//! | `POST /_sim/reset` | | clear every knob and the call log |
//!
//! Setters answer 204; a body outside these ranges is a 422 `{"error"}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::couriers::courier;
use super::state::Inner;

fn one() -> u32 {
    1
}

fn server_error() -> u16 {
    500
}

#[derive(Deserialize)]
pub struct FailBody {
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "server_error")]
    status: u16,
}

#[derive(Deserialize)]
pub struct RateLimitBody {
    #[serde(default = "one")]
    count: u32,
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
pub struct QuotaBody {
    limit: Option<u32>,
}

#[derive(Deserialize)]
pub struct LatencyBody {
    millis: u64,
}

#[derive(Deserialize)]
pub struct EmptyBody {
    empty: bool,
}

fn refuse(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": message })),
    )
        .into_response()
}

/// `GET /_sim/calls`.
pub async fn calls(State(inner): State<Arc<Inner>>) -> Response {
    Json(inner.calls()).into_response()
}

/// `POST /_sim/fail-next`.
pub async fn fail_next(State(inner): State<Arc<Inner>>, Json(body): Json<FailBody>) -> Response {
    if !(500..=599).contains(&body.status) {
        return refuse("status must be between 500 and 599");
    }
    inner.fail_next(body.count, body.status);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_sim/rate-limit`.
pub async fn rate_limit(
    State(inner): State<Arc<Inner>>,
    Json(body): Json<RateLimitBody>,
) -> StatusCode {
    inner.rate_limit_next(body.count, body.retry_after);
    StatusCode::NO_CONTENT
}

/// `PUT /_sim/quota`.
pub async fn quota(State(inner): State<Arc<Inner>>, Json(body): Json<QuotaBody>) -> StatusCode {
    inner.set_quota(body.limit);
    StatusCode::NO_CONTENT
}

/// `PUT /_sim/latency`.
pub async fn latency(State(inner): State<Arc<Inner>>, Json(body): Json<LatencyBody>) -> StatusCode {
    inner.set_latency(Duration::from_millis(body.millis));
    StatusCode::NO_CONTENT
}

/// `PUT /_sim/couriers/{code}/empty`; an unknown courier is a 422.
pub async fn empty_courier(
    State(inner): State<Arc<Inner>>,
    Path(code): Path<String>,
    Json(body): Json<EmptyBody>,
) -> Response {
    if courier(&code).is_none() {
        return refuse("unknown courier");
    }
    inner.set_empty_courier(&code, body.empty);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_sim/reset`.
pub async fn reset(State(inner): State<Arc<Inner>>) -> StatusCode {
    inner.reset();
    StatusCode::NO_CONTENT
}
