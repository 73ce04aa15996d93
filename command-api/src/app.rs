//! Builds the command API from a [`Config`], a bound listener and a shutdown future.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pasar_events::EventStore;
use pasar_service::auth::TokenVerifier;
use pasar_service::metrics::{Registry, track_http};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::midtrans::Midtrans;
use crate::reactors::{self, Reactors};
use crate::routes;

/// Largest request body accepted (JSON commands are small).
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn EventStore>,
    pub midtrans: Midtrans,
    pub pool: deadpool_postgres::Pool,
    /// Checks access tokens for the [`crate::auth::AuthUser`] extractor.
    pub tokens: Arc<TokenVerifier>,
    /// This instance's Prometheus metrics (`/metrics`).
    pub metrics: Registry,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::accounts::router())
        .merge(routes::catalog::router())
        .merge(routes::cart::router())
        .merge(routes::checkout::router())
        .merge(routes::webhook::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async { crate::error::ApiError::NotFound("no such route".into()) })
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            track_http,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match state.pool.get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(json!({ "database": database })))
}

async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.response()
}

/// Connects, migrates, starts the reactors and serves until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = Registry::new();
    metrics.install_global();
    let (store, pool) =
        pasar_events::select::connect(&config.event_store, &config.database_url, 16).await?;
    tracing::info!(backend = config.event_store.name(), "event store connected");
    reactors::migrate(&pool).await?;
    let state = AppState {
        midtrans: Midtrans::new(config.midtrans.clone())?,
        store,
        pool: pool.clone(),
        tokens: Arc::new(TokenVerifier::new(&config.jwt_secret)),
        metrics,
        config: Arc::new(config),
    };
    if let Some((email, password)) = &state.config.admin {
        routes::accounts::ensure_admin(&state, email, password.expose()).await?;
    }
    let reactor_task = state.config.reactors_enabled.then(|| {
        let reactors = Reactors::new(
            state.store.clone(),
            pool,
            state.config.database_url.clone(),
            state.midtrans.clone(),
            state.config.expiry_sweep_interval,
        );
        tokio::spawn(reactors.run())
    });
    tracing::info!(addr = %listener.local_addr()?, "command API listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    if let Some(task) = reactor_task {
        task.abort();
    }
    Ok(())
}
