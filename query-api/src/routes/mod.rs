//! The router: `/v1` read routes, operational endpoints and the middleware stack. Every route
//! is registered with `routes!`, which documents it in the OpenAPI document ([`openapi`]).

mod activity;
mod cart;
mod categories;
mod customers;
mod dashboard;
pub mod history;
mod imports;
pub mod media;
mod openapi;
mod ops;
mod orders;
mod products;
mod projections;
mod reviews;
mod search;
mod sellers;
mod wallet;
mod wishlist;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::HeaderName;
use axum::response::{IntoResponse, Response};
use pasar_service::cors::CorsOrigins;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

/// The whole application. `request_timeout` must exceed the consistency wait; `cors` says
/// which browser origins may call it.
pub fn router(state: AppState, request_timeout: Duration, cors: &CorsOrigins) -> Router {
    let (routes, doc) = documented_routes().split_for_parts();
    let app = routes
        .merge(pasar_service::openapi::routes(&finish(doc)))
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
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    pasar_service::cors::apply(app, cors).with_state(state)
}

/// Every route of the API, each registered with its documentation (one line each).
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(products::list))
        .routes(routes!(products::detail))
        .routes(routes!(products::brands))
        .routes(routes!(reviews::product_reviews))
        .routes(routes!(reviews::moderation))
        .routes(routes!(wishlist::get))
        .routes(routes!(categories::tree))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(media::get))
        .routes(routes!(cart::get_cart))
        .routes(routes!(imports::detail))
        .routes(routes!(orders::list))
        .routes(routes!(orders::detail))
        .routes(routes!(orders::history))
        .routes(routes!(projections::list))
        .routes(routes!(sellers::detail))
        .routes(routes!(customers::list))
        .routes(routes!(activity::activity))
        .routes(routes!(search::search))
        .routes(routes!(search::suggest))
        .routes(routes!(search::rebuild))
        .routes(routes!(wallet::mine))
        .routes(routes!(wallet::of_customer))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
}

/// The query API's OpenAPI document, as `GET /openapi.json` serves it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    finish(documented_routes().into_openapi())
}

fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    pasar_service::openapi::finish(&mut doc);
    doc
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
