//! `/v1/products` and `/v1/inventory/{id}/receipts`: listing products and receiving stock.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use pasar_domain::product::listing_errors;
use pasar_domain::values::{Price, Sku};
use pasar_events::types::{Money, ProductCondition, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::catalog::{self, Listing};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(list_product))
        .route("/v1/inventory/{product_id}/receipts", post(receive_stock))
}

#[derive(Deserialize, Serialize)]
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

impl TryFrom<ListProductRequest> for Listing {
    type Error = ApiError;

    fn try_from(req: ListProductRequest) -> Result<Self, ApiError> {
        // Every broken field is named at once: the domain's listing rules (which include
        // refusing control characters) decide, the newtypes carry the result.
        let errors = listing_errors(
            &req.sku,
            &req.name,
            &req.description,
            Money::idr(req.price),
            req.brand.as_deref(),
            req.weight_grams,
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let (Ok(sku), Ok(price)) = (Sku::parse(&req.sku), Price::parse(req.price)) else {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "invariant: a listing without field errors parses"
            )));
        };
        let (name, description) = (req.name, req.description);
        Ok(Listing {
            sku,
            name,
            description,
            price,
            category_id: req.category_id,
            brand: req.brand,
            weight_grams: req.weight_grams,
            condition: req.condition,
        })
    }
}

async fn list_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<ListProductRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&req)?;
    let listing = req.try_into()?;
    let outcome = catalog::list_product(&state, actor(&user), listing, key.as_ref()).await?;
    let id = outcome.state.product_id;
    Ok(accepted(
        StatusCode::CREATED,
        json!({ "id": id }),
        outcome.position,
    ))
}

#[derive(Deserialize, Serialize)]
struct ReceiptRequest {
    quantity: i64,
}

async fn receive_stock(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReceiptRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, &req))?;
    let outcome =
        catalog::receive_stock(&state, actor(&user), product_id, req.quantity, key.as_ref())
            .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}
