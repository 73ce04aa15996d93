//! `/v1/cart/items`: the buyer's cart. Quantities are parsed at the edge; an optional
//! `Idempotency-Key` makes a retried change land once.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use pasar_domain::cart::{Cart, CartCommand, MAX_LINE_QUANTITY};
use pasar_domain::values::Quantity;
use pasar_events::types::Role;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::{accepted, actor};
use crate::app::exec::Outcome;
use crate::app::idempotency::Idempotency;
use crate::app::{AppState, cart};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/cart/items", post(add_item)).route(
        "/v1/cart/items/{product_id}",
        put(set_quantity).delete(remove_item),
    )
}

#[derive(Deserialize)]
struct AddItemRequest {
    product_id: Uuid,
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

#[derive(Deserialize)]
struct SetQuantityRequest {
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

async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&("remove", product_id))?;
    answer(&state, &user, CartCommand::RemoveItem { product_id }, key).await
}
