//! The buyer's cart (`cart-{customer}`). Lines hold quantities only; prices are taken from the
//! product streams at checkout, never from the client.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use pasar_domain::cart::{Cart, CartCommand};
use pasar_domain::product::Product;
use pasar_events::types::{Role, streams};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{accepted, user_metadata};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use crate::exec::{EventIds, Outcome, execute, load};

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

#[derive(Deserialize)]
struct SetQuantityRequest {
    quantity: i64,
}

async fn ensure_on_sale(state: &AppState, product_id: Uuid) -> Result<(), ApiError> {
    let product = load::<Product>(state.store.as_ref(), &streams::product(product_id))
        .await?
        .state;
    if !product.listed {
        return Err(ApiError::NotFound(format!(
            "product {product_id} not found"
        )));
    }
    if !product.is_on_sale() {
        return Err(ApiError::rejected(
            "Product unavailable",
            format!("product {product_id} is discontinued"),
        ));
    }
    Ok(())
}

async fn run(
    state: &AppState,
    user: &AuthUser,
    command: CartCommand,
) -> Result<Outcome<Cart>, ApiError> {
    execute::<Cart>(
        &state.store,
        &streams::cart(user.id),
        &command,
        EventIds::Random,
        &user_metadata(user),
    )
    .await
}

fn cart_body(outcome: &Outcome<Cart>) -> serde_json::Value {
    let items: Vec<_> = outcome
        .state
        .lines()
        .iter()
        .map(|(product_id, quantity)| json!({ "product_id": product_id, "quantity": quantity }))
        .collect();
    json!({ "items": items })
}

async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<AddItemRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    ensure_on_sale(&state, req.product_id).await?;
    let outcome = run(
        &state,
        &user,
        CartCommand::AddItem {
            product_id: req.product_id,
            quantity: req.quantity,
        },
    )
    .await?;
    Ok(accepted(
        StatusCode::OK,
        cart_body(&outcome),
        outcome.position,
    ))
}

async fn set_quantity(
    State(state): State<AppState>,
    user: AuthUser,
    Path(product_id): Path<Uuid>,
    Json(req): Json<SetQuantityRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    if req.quantity > 0 {
        ensure_on_sale(&state, product_id).await?;
    }
    let outcome = run(
        &state,
        &user,
        CartCommand::SetQuantity {
            product_id,
            quantity: req.quantity,
        },
    )
    .await?;
    Ok(accepted(
        StatusCode::OK,
        cart_body(&outcome),
        outcome.position,
    ))
}

async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let outcome = run(&state, &user, CartCommand::RemoveItem { product_id }).await?;
    Ok(accepted(
        StatusCode::OK,
        cart_body(&outcome),
        outcome.position,
    ))
}
