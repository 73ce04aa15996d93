//! `/v1/products` and `/v1/inventory/{id}/receipts`: listing products and receiving stock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::product::listing_errors;
use pasar_domain::values::{Price, Sku};
use pasar_events::types::{Money, ProductCondition, Role};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::openapi::{Condition, CreatedAnswer, IdempotencyKeyHeader, StockAnswer};
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::catalog::{self, Listing};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_product))
        .routes(routes!(receive_stock))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"sku": "KOPI-001", "name": "Kopi Gayo 250 g", "description": "Arabica", "price": 75000, "weight_grams": 250, "brand": "Gayo"}))]
struct ListProductRequest {
    #[schema(example = "KOPI-001")]
    sku: String,
    #[schema(example = "Kopi Gayo 250 g")]
    name: String,
    #[serde(default)]
    description: String,
    /// Integer minor units (rupiah).
    #[schema(example = 75000)]
    price: i64,
    category_id: Option<Uuid>,
    #[schema(example = "Gayo")]
    brand: Option<String>,
    #[schema(example = 250)]
    weight_grams: i32,
    /// new (default), used or refurbished.
    #[serde(default)]
    #[schema(value_type = Option<Condition>)]
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

/// List a product
///
/// A seller (or an admin) lists a product for sale; prices are integer rupiah.
#[utoipa::path(
    post, path = "/v1/products", tag = "catalog",
    security(("bearer" = [])),
    request_body = ListProductRequest,
    responses(
        (status = 201, description = "Listed", body = CreatedAnswer),
        (status = 403, description = "Not a seller or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU is already in use", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_product(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<ListProductRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let outcome = catalog::list_product(&state, actor(&user), req.try_into()?).await?;
    let id = outcome.state.product_id;
    Ok(accepted(
        StatusCode::CREATED,
        json!({ "id": id }),
        outcome.position,
    ))
}

#[derive(Deserialize, ToSchema)]
struct ReceiptRequest {
    /// Units received, 1 or more.
    #[schema(example = 5)]
    quantity: i64,
}

/// Receive stock
///
/// Adds received units to a product's stock. The product's seller or an admin.
#[utoipa::path(
    post, path = "/v1/inventory/{product_id}/receipts", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = ReceiptRequest,
    responses(
        (status = 201, description = "Received", body = StockAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A conflict with the stock's state", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn receive_stock(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReceiptRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let outcome = catalog::receive_stock(
        &state,
        actor(&user),
        product_id,
        req.quantity,
        key.as_deref(),
    )
    .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}
