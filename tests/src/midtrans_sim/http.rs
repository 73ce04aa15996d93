//! The router: Snap and Core API behind server-key Basic auth (§2), the Snap
//! payment page and the `/_sim` control endpoints without auth.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::inner::Inner;
use super::{control, core_api, snap};

pub fn router(inner: Arc<Inner>) -> Router {
    let snap_api = Router::new()
        .route("/snap/v1/transactions", post(snap::create_transaction))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&inner),
            snap_auth,
        ));
    let core = Router::new()
        .route("/v2/{id}/status", get(core_api::status))
        .route("/v2/{id}/cancel", post(core_api::cancel))
        .route("/v2/{id}/expire", post(core_api::expire))
        .route("/v2/{id}/approve", post(core_api::approve))
        .route("/v2/{id}/deny", post(core_api::deny))
        .route("/v2/{id}/refund", post(core_api::refund))
        .route("/v2/{id}/refund/online/direct", post(core_api::refund))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&inner),
            core_auth,
        ));
    let sim = Router::new()
        .route("/snap/v3/redirection/{token}", get(snap::payment_page))
        .route("/_sim/transactions", get(control::list))
        .route("/_sim/transactions/{order_id}", get(control::show))
        .route("/_sim/transactions/{order_id}/pay", post(control::pay))
        .route(
            "/_sim/transactions/{order_id}/pay-card",
            post(control::pay_card),
        )
        .route(
            "/_sim/transactions/{order_id}/pay-gopay",
            post(control::pay_gopay),
        )
        .route(
            "/_sim/transactions/{order_id}/status",
            post(control::set_status),
        )
        .route(
            "/_sim/transactions/{order_id}/resend",
            post(control::resend),
        )
        .route(
            "/_sim/transactions/{order_id}/notify",
            post(control::notify),
        )
        .route(
            "/_sim/fail-next/snap-create",
            post(control::fail_next_snap_create),
        )
        .route("/_sim/fail-next/status", post(control::fail_next_status))
        .route("/_sim/notification-url", put(control::set_notification_url))
        .route("/_sim/clock/advance", post(control::advance_clock))
        .route("/_sim/delay/expire", put(control::set_expire_delay));
    snap_api.merge(core).merge(sim).with_state(inner)
}

/// Whether the request carries `Authorization: Basic base64(server_key + ":")`.
pub fn authorized(headers: &HeaderMap, server_key: &str) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return false;
    };
    let decoded = STANDARD.decode(credentials.trim()).unwrap_or_default();
    scheme.eq_ignore_ascii_case("basic")
        && !server_key.is_empty()
        && decoded == format!("{server_key}:").as_bytes()
}

async fn snap_auth(State(inner): State<Arc<Inner>>, req: Request, next: Next) -> Response {
    if !authorized(req.headers(), &inner.server_key) {
        tracing::info!(path = %req.uri().path(), "midtrans-sim rejected snap call: bad server key");
        return snap::snap_unauthorized();
    }
    tracing::info!(method = %req.method(), path = %req.uri().path(), "midtrans-sim snap call");
    next.run(req).await
}

async fn core_auth(State(inner): State<Arc<Inner>>, req: Request, next: Next) -> Response {
    if !authorized(req.headers(), &inner.server_key) {
        tracing::info!(path = %req.uri().path(), "midtrans-sim rejected core api call: bad server key");
        return core_api::core_unauthorized(&inner);
    }
    tracing::info!(method = %req.method(), path = %req.uri().path(), "midtrans-sim core api call");
    next.run(req).await
}
