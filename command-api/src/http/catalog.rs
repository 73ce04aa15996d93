//! `/v1/products` and `/v1/inventory/{id}/…`: listing and editing products, discontinuing
//! and reactivating them, receiving stock and correcting it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{patch, post};
use pasar_domain::product::listing_errors;
use pasar_domain::values::{Price, Sku};
use pasar_events::types::{Money, ProductCondition, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::catalog::{self, ADJUSTMENT_REASONS, Listing, ProductChange};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(list_product))
        .route(
            "/v1/products/{product_id}",
            patch(edit_product).delete(discontinue_product),
        )
        .route(
            "/v1/products/{product_id}/reactivate",
            post(reactivate_product),
        )
        .route("/v1/inventory/{product_id}/receipts", post(receive_stock))
        .route("/v1/inventory/{product_id}/adjustments", post(adjust_stock))
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

/// `PATCH /v1/products/{id}`: the fields to change; absent ones stay as they are.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct EditProductRequest {
    name: Option<String>,
    description: Option<String>,
    /// Integer rupiah.
    price: Option<i64>,
    brand: Option<String>,
    weight_grams: Option<i32>,
    condition: Option<ProductCondition>,
}

fn product_json(product: &pasar_domain::product::Product) -> serde_json::Value {
    json!({
        "id": product.product_id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": product.price.amount,
        "currency": product.price.currency,
        "brand": product.brand,
        "weight_grams": product.weight_grams,
        "condition": product.condition,
        "status": if product.discontinued { "discontinued" } else { "active" },
    })
}

async fn changed(
    state: &AppState,
    user: &AuthUser,
    product_id: Uuid,
    change: ProductChange,
    key: Option<crate::app::idempotency::Idempotency>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let outcome =
        catalog::change_product(state, actor(user), product_id, change, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        product_json(&outcome.state),
        outcome.position,
    ))
}

/// Changes a product's details: its seller or an admin. Each change is its own event (a price
/// change is `ProductRepriced`, so the log holds the price history); orders already placed
/// keep their prices. Nothing changed, nothing recorded.
async fn edit_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<EditProductRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, &req))?;
    let mut fields = super::input::Fields::default();
    for (field, value) in [
        ("name", &req.name),
        ("description", &req.description),
        ("brand", &req.brand),
    ] {
        if let Some(value) = value {
            super::input::text(&mut fields, field, value);
        }
    }
    if let Some(price) = req.price {
        fields.check("price", Price::parse(price).map(drop));
    }
    fields.finish()?;
    let command = pasar_domain::product::ProductCommand::Edit {
        name: req.name,
        description: req.description,
        price: req.price.map(Money::idr),
        brand: req.brand,
        weight_grams: req.weight_grams,
        condition: req.condition,
        now: chrono::Utc::now(),
    };
    changed(&state, &user, product_id, ProductChange::Edit(command), key).await
}

/// Takes a product off sale (it stays readable): its seller or an admin.
async fn discontinue_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(product_id, "discontinue"))?;
    changed(&state, &user, product_id, ProductChange::Discontinue, key).await
}

/// Puts a discontinued product back on sale: its seller or an admin.
async fn reactivate_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(product_id, "reactivate"))?;
    changed(&state, &user, product_id, ProductChange::Reactivate, key).await
}

/// `{delta, reason, note?}`: `reason` one of damaged, lost, found, recount, returned.
#[derive(Deserialize, Serialize)]
struct AdjustmentRequest {
    delta: i64,
    reason: String,
    #[serde(default)]
    note: Option<String>,
}

/// Corrects a product's stock by hand (either sign), never below what is reserved: its seller
/// or an admin. The reason (and note) stay in the stock's history.
async fn adjust_stock(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<AdjustmentRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, &req))?;
    let mut fields = super::input::Fields::default();
    if !ADJUSTMENT_REASONS.contains(&req.reason.as_str()) {
        let message = format!("must be one of {}", ADJUSTMENT_REASONS.join(", "));
        fields.push([pasar_domain::FieldError::new("reason", message)]);
    }
    let note = match req.note.as_deref() {
        Some(note) => fields
            .check("note", pasar_domain::values::Text::<1, 500>::parse(note))
            .map(|n| format!(": {}", n.into_inner())),
        None => Some(String::new()),
    };
    if req.delta == 0 {
        fields.push([pasar_domain::FieldError::new("delta", "must not be 0")]);
    }
    fields.finish()?;
    let reason = format!("{}{}", req.reason, note.unwrap_or_default());
    let outcome = catalog::adjust_stock(
        &state,
        actor(&user),
        product_id,
        req.delta,
        reason,
        key.as_ref(),
    )
    .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}
