//! `/healthz`, `/readyz`, `/metrics`.

use async_nats::connection::State as NatsState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

fn nats_connected(state: &AppState) -> bool {
    state
        .nats
        .as_ref()
        .is_some_and(|n| n.connection_state() == NatsState::Connected)
}

/// Ready: PostgreSQL answers and the read models exist (the projector creates them). NATS
/// is reported, not required.
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
        Json(json!({ "status": status, "postgres": postgres, "nats": nats })),
    )
        .into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state
        .metrics
        .render(&state.consistency, nats_connected(&state));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
