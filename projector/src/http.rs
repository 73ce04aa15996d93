//! The projector's small HTTP surface: `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use axum::extract::State as AxumState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::{Projector, metrics, publisher, status};

pub fn router(projector: Arc<Projector>) -> Router {
    install_recorder();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route_layer(axum::middleware::from_fn(track_http))
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

fn nats_connected(projector: &Projector) -> bool {
    projector
        .nats()
        .is_some_and(|n| n.connection_state() == State::Connected)
}

/// Ready: PostgreSQL answers. NATS is reported but not required (announcements fall back to
/// NOTIFY while it is down).
async fn readyz(AxumState(projector): AxumState<Arc<Projector>>) -> Response {
    let postgres = match projector.pool().get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    let nats = if nats_connected(&projector) {
        "connected"
    } else {
        "disconnected"
    };
    let body = json!({
        "status": if postgres { "ready" } else { "unavailable" },
        "postgres": if postgres { "up" } else { "down" },
        "nats": nats,
    });
    let code = if postgres {
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
    let mut body = metrics::render(
        &projector.metrics().snapshot(),
        &statuses,
        nats_connected(&projector),
    );
    body.push_str(
        &publisher::render_metrics(projector.pool(), &projector.metrics().publisher).await,
    );
    if let Some(Some(handle)) = RECORDER.get() {
        body.push_str(&handle.render());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

static RECORDER: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
    std::sync::OnceLock::new();

/// The process-wide recorder for `http_request_duration_seconds` (as in the two APIs).
fn install_recorder() {
    RECORDER.get_or_init(|| {
        let buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                &buckets,
            )
            .expect("invariant: bucket list is not empty")
            .install_recorder()
            // Another recorder in this process (a test embedding several services): the
            // histogram is then the other's to render.
            .ok()
    });
}

/// Records each request's latency by matched route, method and status.
async fn track_http(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    ::metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
