//! The router: `/v1` read routes, operational endpoints and the middleware stack.

mod cart;
mod ops;
mod orders;
mod products;
mod projections;
mod search;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::{ApiError, problem};

pub use cart::{Cart, CartItem};
pub use orders::Order;
pub use products::Product;
pub use projections::{ProjectionStatus, Projections};
pub use search::{SearchHit, SearchResponse, SuggestResponse};

/// Reads carry no bodies worth having; anything bigger than this is refused with 413.
const BODY_LIMIT: usize = 16 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application. `request_timeout` must exceed the consistency wait.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/v1/products", get(products::list))
        .route("/v1/products/{id}", get(products::detail))
        .route("/v1/cart", get(cart::get_cart))
        .route("/v1/orders", get(orders::list))
        .route("/v1/orders/{id}", get(orders::detail))
        .route("/v1/projections", get(projections::list))
        .route("/v1/search", get(search::search))
        .route("/v1/search/suggest", get(search::suggest))
        .route(
            "/v1/admin/search/rebuild",
            axum::routing::post(search::rebuild),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.registry().clone(),
            pasar_service::metrics::track_http,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| panicked()))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Every log line of a request carries its method, path and `x-request-id`.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

fn panicked() -> Response {
    tracing::error!("request handler panicked");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "the query could not be answered",
    )
    .into_response()
}
