//! `/v1/wishlist/{product_id}`: a buyer wishes for a product, or stops. The list itself is
//! read from the query API (`GET /v1/wishlist`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::wishlist::Wishlist;
use pasar_events::types::Role;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::exec::Outcome;
use crate::app::{AppState, wishlist};
use crate::auth::AuthUser;
use crate::error::{ApiError, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(wish, unwish))
}

/// The wishlist after a change.
#[derive(ToSchema)]
pub struct WishlistAnswer {
    pub product_id: Uuid,
    /// Whether the product is on the wishlist now.
    pub wished: bool,
    /// Products on the wishlist (at most 500).
    #[schema(example = 3)]
    pub items: u64,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

fn answer(outcome: &Outcome<Wishlist>, product_id: Uuid) -> Response {
    let items = &outcome.state.items;
    accepted(
        StatusCode::OK,
        json!({
            "product_id": product_id,
            "wished": items.contains_key(&product_id),
            "items": items.len(),
        }),
        outcome.position,
    )
}

/// Wish for a product
///
/// Adds a product to the buyer's wishlist with its current price and stock, against which
/// the wishlist later flags a price drop or a restock. Adding it again changes nothing.
#[utoipa::path(
    put, path = "/v1/wishlist/{product_id}", tag = "wishlist",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "On the wishlist", body = WishlistAnswer),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A discontinued product, the wishlist holds 500 products already, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn wish(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&product_id)?;
    let outcome = wishlist::add(&state, actor(&user), product_id, key.as_ref()).await?;
    Ok(answer(&outcome, product_id))
}

/// Stop wishing for a product
///
/// Removes a product from the buyer's wishlist; one that is not there changes nothing.
#[utoipa::path(
    delete, path = "/v1/wishlist/{product_id}", tag = "wishlist",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Not on the wishlist", body = WishlistAnswer),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn unwish(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&product_id)?;
    let outcome = wishlist::remove(&state, actor(&user), product_id, key.as_ref()).await?;
    Ok(answer(&outcome, product_id))
}
