//! `/healthz`, `/readyz`, `/metrics`.

use async_nats::connection::State as NatsState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /readyz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, `read models not migrated yet` or `unavailable`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `up` or `down`.
    #[schema(example = "up")]
    pub postgres: &'static str,
    /// `connected` or `disconnected` (not required).
    #[schema(example = "connected")]
    pub nats: &'static str,
}

/// Alive
///
/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain", example = "ok")))]
pub async fn healthz() -> &'static str {
    "ok"
}

fn nats_connected(state: &AppState) -> bool {
    state
        .nats
        .as_ref()
        .is_some_and(|n| n.connection_state() == NatsState::Connected)
}

/// Ready
///
/// PostgreSQL answers and the read models exist (the projector creates them). NATS is
/// reported, not required.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "PostgreSQL down or the read models not migrated yet", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let read_models = match state.pool.get().await {
        Ok(client) => client
            .query_one(
                "SELECT to_regclass('rm.projection_checkpoints') IS NOT NULL",
                &[],
            )
            .await
            .ok()
            .map(|row| row.get::<_, bool>(0)),
        Err(_) => None,
    };
    let (code, status, postgres) = match read_models {
        Some(true) => (StatusCode::OK, "ready", "up"),
        Some(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "read models not migrated yet",
            "up",
        ),
        None => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "down"),
    };
    let nats = if nats_connected(&state) {
        "connected"
    } else {
        "disconnected"
    };
    (
        code,
        Json(Readiness {
            status,
            postgres,
            nats,
        }),
    )
        .into_response()
}

/// Prometheus metrics
///
/// HTTP latency by route, consistency waits, NATS state.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(
        &state.consistency,
        nats_connected(&state),
        state.synonyms.as_deref(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
