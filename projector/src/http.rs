//! The projector's small HTTP surface: `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use pasar_service::metrics::track_http;
use pasar_service::runtime::nats_connected;

use crate::{Projector, publisher, status};

pub fn router(projector: Arc<Projector>) -> Router {
    let registry = projector.metrics().registry().clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route_layer(axum::middleware::from_fn_with_state(registry, track_http))
        .layer(TraceLayer::new_for_http())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ))
        .with_state(projector)
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: PostgreSQL answers and the publisher is not stuck on a stream that is not its own.
/// NATS is reported but not required (announcements fall back to NOTIFY while it is down).
async fn readyz(AxumState(projector): AxumState<Arc<Projector>>) -> Response {
    let postgres = match projector.pool().get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    let nats = if nats_connected(projector.nats()) {
        "connected"
    } else {
        "disconnected"
    };
    // A publisher that cannot publish at all needs an operator: not ready, and says why.
    let publisher = projector.metrics().publisher.problem();
    let ready = postgres && publisher.is_none();
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "postgres": if postgres { "up" } else { "down" },
        "nats": nats,
        "publisher": publisher.as_deref().unwrap_or("ok"),
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

async fn metrics_text(AxumState(projector): AxumState<Arc<Projector>>) -> Response {
    let names = projector.names();
    let statuses = match status::statuses(projector.pool(), &names).await {
        Ok(statuses) => statuses,
        Err(e) => {
            tracing::error!(error = %e, "could not read checkpoints for /metrics");
            Vec::new()
        }
    };
    let metrics = projector.metrics();
    publisher::observe_metrics(projector.pool(), &metrics.publisher).await;
    let body = metrics.render(&statuses, nats_connected(projector.nats()));
    metrics.registry().text_response(body)
}
