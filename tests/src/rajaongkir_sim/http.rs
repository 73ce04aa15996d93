//! The router: the V2 API under `/api/v1` behind the gate (latency, injected failures, the
//! `key` header, forced 429s and the quota, in that order), and the `/_sim` controls without
//! auth. Every API call is recorded with the status it got; `/_sim` calls are not.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};

use super::state::{CallRecord, Gate, Inner};
use super::{control, cost, destination, envelope};

/// The whole simulator: API routes behind `gate`, `/_sim` routes beside them.
pub fn router(inner: Arc<Inner>) -> Router {
    let api = Router::new()
        .route(
            "/api/v1/destination/domestic-destination",
            get(destination::search),
        )
        .route("/api/v1/destination/province", get(destination::provinces))
        .route("/api/v1/destination/city/{id}", get(destination::cities))
        .route(
            "/api/v1/destination/district/{id}",
            get(destination::districts),
        )
        .route(
            "/api/v1/destination/sub-district/{id}",
            get(destination::subdistricts),
        )
        .route("/api/v1/calculate/domestic-cost", post(cost::domestic))
        .route(
            "/api/v1/calculate/district/domestic-cost",
            post(cost::district),
        )
        .fallback(api_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&inner), gate));
    let sim = Router::new()
        .route("/_sim/calls", get(control::calls))
        .route("/_sim/fail-next", post(control::fail_next))
        .route("/_sim/rate-limit", post(control::rate_limit))
        .route("/_sim/quota", put(control::quota))
        .route("/_sim/latency", put(control::latency))
        .route("/_sim/couriers/{code}/empty", put(control::empty_courier))
        .route("/_sim/reset", post(control::reset));
    sim.merge(api).with_state(inner)
}

/// An unknown path gets a bare 404 page, not the envelope, so a client pointed at the wrong
/// base URL can tell "no such endpoint" from "no such location".
async fn api_not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "404 page not found")
}

/// Runs in front of every API call (and unknown paths): waits the configured latency, then
/// answers an injected failure, a key error or a 429, or passes the call on; records the call.
async fn gate(State(inner): State<Arc<Inner>>, req: Request, next: Next) -> Response {
    let latency = inner.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let key = req
        .headers()
        .get("key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let key_present = key.is_some();
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let response = match inner.admit(key) {
        Gate::Fail(code) => envelope::server_failure(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        ),
        Gate::MissingKey => envelope::missing_key(),
        Gate::InvalidKey => envelope::invalid_key(),
        Gate::RateLimited { retry_after } => {
            envelope::too_many_requests("Too Many Requests", retry_after)
        }
        Gate::QuotaExceeded => envelope::too_many_requests("Quota exceeded", None),
        Gate::Pass => next.run(req).await,
    };
    tracing::info!(%method, %path, status = response.status().as_u16(), "rajaongkir-sim call");
    inner.record(CallRecord {
        method,
        path,
        key_present,
        status: response.status().as_u16(),
    });
    response
}
