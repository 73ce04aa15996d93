//! The HTTP layer: routes, extractors and request types that parse into commands. The only
//! place that knows status codes and problem+json; each handler parses its input, calls one
//! use case in `app`, and renders the outcome with a consistency token.
//!
//! - [`accounts`], [`catalog`], [`cart`], [`checkout`], [`webhook`]: one module per area,
//!   each with its `router()`; [`router`] merges them (one line per area).
//! - [`imports`]: the CSV product import (its file checks in [`import_file`]).
//! - [`profile`], [`addresses`]: the caller's own account (`/v1/me`: profile, password,
//!   avatar) and address book, read from the caller's own streams.
//! - [`rules`]: how an `AppError` becomes an `ApiError` (status and problem per rule).
//! - [`input`]: request-field parsing helpers and the `Idempotency-Key` extractor.
//! - [`openapi`]: the OpenAPI document's frame and the answer bodies it describes. Each
//!   handler carries its `#[utoipa::path]`; registering it with `routes!` documents it.

pub mod accounts;
pub mod addresses;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod categories;
pub mod checkout;
pub mod images;
pub mod import_file;
pub mod imports;
pub mod input;
pub mod inventory;
pub mod openapi;
pub mod orders;
pub mod profile;
pub mod reviews;
pub mod rules;
pub mod sellers;
pub mod shipping;
pub mod wallet;
pub mod webhook;
pub mod wishlist;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pasar_events::Position;
use pasar_service::metrics::track_http;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{Actor, AppState};
use crate::auth::AuthUser;

/// Largest request body accepted (JSON commands are small); image uploads have their own
/// limit ([`images::UPLOAD_BODY_LIMIT`]).
pub const BODY_LIMIT: usize = 256 * 1024;

pub const CONSISTENCY_HEADER: HeaderName = HeaderName::from_static("x-consistency-token");

pub fn router(state: AppState) -> Router {
    let (routes, doc) = documented_routes().split_for_parts();
    let app = routes
        .merge(pasar_service::openapi::routes(&finish(doc)))
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
        .layer(TraceLayer::new_for_http());
    pasar_service::cors::apply(app, &state.config.cors).with_state(state)
}

/// Every route of the API, each registered with its documentation (one line per area).
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(accounts::router())
        .merge(catalog::router())
        .merge(categories::router())
        .merge(images::router())
        .merge(inventory::router())
        .merge(imports::router())
        .merge(cart::router())
        .merge(checkout::router())
        .merge(orders::router())
        .merge(webhook::router())
        .merge(shipping::router())
        .merge(sellers::router())
        .merge(profile::router())
        .merge(addresses::router())
        .merge(wallet::router())
        .merge(admin::router())
        .merge(reviews::router())
        .merge(wishlist::router())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The command API's OpenAPI document, as `GET /openapi.json` serves it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    finish(documented_routes().into_openapi())
}

fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    pasar_service::openapi::finish(&mut doc);
    openapi::consistency_token_headers(&mut doc);
    doc
}

/// Alive
///
/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain", example = "ok")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus metrics
///
/// HTTP latency by route, event-store appends and conflicts, command retries, checkout
/// outcomes, the processes' progress.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.response()
}

/// Ready
///
/// PostgreSQL answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = openapi::Readiness),
        (status = 503, description = "PostgreSQL does not answer", body = openapi::Readiness),
    ))]
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

/// A successful command's answer: its JSON body gains `consistency_token`, and the same token
/// goes in the `X-Consistency-Token` header.
pub fn accepted(status: StatusCode, body: serde_json::Value, position: Position) -> Response {
    accepted_with_token(status, body, &position.to_string())
}

pub fn accepted_with_token(
    status: StatusCode,
    mut body: serde_json::Value,
    token: &str,
) -> Response {
    if let Some(map) = body.as_object_mut() {
        map.insert("consistency_token".into(), token.into());
    }
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert(CONSISTENCY_HEADER, value);
    }
    response
}

/// The use-case layer's view of the caller.
pub fn actor(user: &AuthUser) -> Actor {
    Actor {
        id: user.id,
        role: user.role,
    }
}

#[cfg(test)]
mod openapi_tests;
