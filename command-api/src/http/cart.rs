//! `/v1/cart/items`: the buyer's cart. Quantities are parsed at the edge; an optional
//! `Idempotency-Key` makes a retried change land once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::cart::{Cart, CartCommand, MAX_LINE_QUANTITY};
use pasar_domain::values::Quantity;
use pasar_events::types::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::openapi::{CartAnswer, IdempotencyKeyHeader};
use super::{accepted, actor};
use crate::app::exec::Outcome;
use crate::app::idempotency::Idempotency;
use crate::app::{AppState, cart};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_item))
        .routes(routes!(set_quantity, remove_item))
}

#[derive(Deserialize, ToSchema)]
struct AddItemRequest {
    product_id: Uuid,
    /// 1 or more.
    #[schema(example = 2)]
    quantity: i64,
}

impl TryFrom<AddItemRequest> for CartCommand {
    type Error = ApiError;

    fn try_from(req: AddItemRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let quantity = fields.check(
            "quantity",
            Quantity::<MAX_LINE_QUANTITY>::parse(req.quantity),
        );
        fields.finish()?;
        Ok(CartCommand::AddItem {
            product_id: req.product_id,
            quantity: quantity.map_or(0, Quantity::get),
        })
    }
}

#[derive(Deserialize, ToSchema)]
struct SetQuantityRequest {
    /// The line's new quantity; 0 removes it.
    #[schema(example = 3)]
    quantity: i64,
}

async fn answer(
    state: &AppState,
    user: &AuthUser,
    command: CartCommand,
    key: Option<Idempotency>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let outcome: Outcome<Cart> = cart::change(state, actor(user), command, key.as_ref()).await?;
    let items: Vec<_> = outcome
        .state
        .lines()
        .iter()
        .map(|(product_id, quantity)| json!({ "product_id": product_id, "quantity": quantity }))
        .collect();
    Ok(accepted(
        StatusCode::OK,
        json!({ "items": items }),
        outcome.position,
    ))
}

/// Add a product to the cart
///
/// Adds `quantity` units (to a line already there, if any). Buyers only.
#[utoipa::path(
    post, path = "/v1/cart/items", tag = "cart",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = AddItemRequest,
    responses(
        (status = 200, description = "The cart after the change", body = CartAnswer),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid quantity, a discontinued product, or a cart rule", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<AddItemRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&("add", req.product_id, req.quantity))?;
    answer(&state, &user, req.try_into()?, key).await
}

/// Set a line's quantity
///
/// Sets the quantity of `product_id` in the cart; 0 removes the line. Buyers only.
#[utoipa::path(
    put, path = "/v1/cart/items/{product_id}", tag = "cart",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = SetQuantityRequest,
    responses(
        (status = 200, description = "The cart after the change", body = CartAnswer),
        (status = 400, description = "`product_id` is not a UUID, or a bad `Idempotency-Key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product, or the buyer has no cart yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid quantity, or the product is not in the cart", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn set_quantity(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<SetQuantityRequest>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&("set", product_id, req.quantity))?;
    let command = CartCommand::SetQuantity {
        product_id,
        quantity: req.quantity,
    };
    answer(&state, &user, command, key).await
}

/// Remove a line
///
/// Removes `product_id` from the cart. Buyers only.
#[utoipa::path(
    delete, path = "/v1/cart/items/{product_id}", tag = "cart",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The cart after the change", body = CartAnswer),
        (status = 400, description = "`product_id` is not a UUID, or a bad `Idempotency-Key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product, or the buyer has no cart yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The product is not in the cart", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&("remove", product_id))?;
    answer(&state, &user, CartCommand::RemoveItem { product_id }, key).await
}
