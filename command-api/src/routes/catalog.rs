//! Listing products and receiving stock. A product belongs to the seller who listed it; SKUs
//! are unique through `sku-<SKU>` claim streams.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use pasar_domain::Aggregate;
use pasar_domain::product::{Product, ProductCommand, normalize_sku};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::{ClaimEvent, Money, ProductCondition, Role, streams};
use pasar_events::{DomainEvent, ExpectedVersion, StoreError};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{accepted, user_metadata};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use crate::exec::{EventIds, execute, load};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(list_product))
        .route("/v1/inventory/{product_id}/receipts", post(receive_stock))
}

#[derive(Deserialize)]
struct ListProductRequest {
    sku: String,
    name: String,
    #[serde(default)]
    description: String,
    /// Integer minor units (rupiah).
    price: i64,
    category_id: Option<Uuid>,
    brand: Option<String>,
    weight_grams: i32,
    /// new (default), used or refurbished.
    #[serde(default)]
    condition: ProductCondition,
}

async fn list_product(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<ListProductRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let product_id = Uuid::now_v7();
    let command = ProductCommand::List {
        product_id,
        seller_id: user.id,
        sku: req.sku,
        name: req.name,
        description: req.description,
        price: Money::idr(req.price),
        category_id: req.category_id,
        brand: req.brand,
        weight_grams: req.weight_grams,
        condition: req.condition,
        now: Utc::now(),
    };
    // Validate before claiming the SKU, so a refused listing claims nothing.
    Product::default().decide(&command)?;
    let ProductCommand::List { sku, .. } = &command else {
        unreachable!("built above")
    };
    let metadata = user_metadata(&user);
    let claim = ClaimEvent::Claimed {
        owner_id: product_id,
        claimed_at: Utc::now(),
    };
    match state
        .store
        .append(
            &streams::sku_claim(&normalize_sku(sku)),
            ExpectedVersion::NoStream,
            vec![claim.to_new_event(Uuid::now_v7(), metadata.clone())],
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::conflict(
                "SKU already in use",
                format!("another product has SKU {sku}"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let outcome = execute::<Product>(
        &state.store,
        &streams::product(product_id),
        &command,
        EventIds::Random,
        &metadata,
    )
    .await?;
    Ok(accepted(
        StatusCode::CREATED,
        json!({ "id": product_id }),
        outcome.position,
    ))
}

/// Loads a product the caller may manage: 404 if unknown, 403 if someone else's.
pub async fn managed_product(
    state: &AppState,
    user: &AuthUser,
    product_id: Uuid,
) -> Result<Product, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let product = load::<Product>(state.store.as_ref(), &streams::product(product_id))
        .await?
        .state;
    if !product.listed {
        return Err(ApiError::NotFound("product not found".into()));
    }
    if !product.can_be_managed_by(user.id, user.role) {
        return Err(ApiError::Forbidden(
            "only the product's seller or an admin may do this".into(),
        ));
    }
    Ok(product)
}

#[derive(Deserialize)]
struct ReceiptRequest {
    quantity: i64,
}

async fn receive_stock(
    State(state): State<AppState>,
    user: AuthUser,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReceiptRequest>,
) -> Result<Response, ApiError> {
    managed_product(&state, &user, product_id).await?;
    let command = StockCommand::Receive {
        quantity: req.quantity,
    };
    let outcome = execute::<Stock>(
        &state.store,
        &streams::stock(product_id),
        &command,
        EventIds::Random,
        &user_metadata(&user),
    )
    .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}
