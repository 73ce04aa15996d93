//! `/v1/products`: listing and editing products, discontinuing and reactivating them. Their
//! stock is [`super::inventory`]'s.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::product::listing_errors;
use pasar_domain::values::{Price, Sku};
use pasar_events::types::{Money, ProductCondition, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::openapi::{Condition, CreatedAnswer, IdempotencyKeyHeader};
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::catalog::{self, Listing, ProductChange};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_product))
        .routes(routes!(edit_product, discontinue_product))
        .routes(routes!(reactivate_product))
}

#[derive(Deserialize, Serialize, ToSchema)]
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
    params(IdempotencyKeyHeader),
    request_body = ListProductRequest,
    responses(
        (status = 201, description = "Listed (a retry with its Idempotency-Key answers the same product)", body = CreatedAnswer),
        (status = 403, description = "Not a seller or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU is already in use", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
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

/// `PATCH /v1/products/{id}`: the fields to change; absent ones stay as they are.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price": 79000, "name": "Kopi Gayo 250 g (panen baru)"}))]
struct EditProductRequest {
    name: Option<String>,
    description: Option<String>,
    /// Integer rupiah.
    price: Option<i64>,
    brand: Option<String>,
    weight_grams: Option<i32>,
    #[schema(value_type = Option<Condition>)]
    condition: Option<ProductCondition>,
    /// An active category; `null` takes the product out of its category.
    #[serde(
        default,
        deserialize_with = "super::input::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>, nullable)]
    category_id: Option<Option<Uuid>>,
    /// The seller dashboard lists the product as low on stock at or below this many units
    /// (0 to 1,000,000; default 5).
    #[schema(example = 10)]
    low_stock_threshold: Option<i64>,
}

/// A product as its seller sees it after a change.
#[derive(ToSchema)]
pub struct ProductAnswer {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Integer rupiah.
    #[schema(example = 79000)]
    pub price: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    pub brand: Option<String>,
    pub weight_grams: i32,
    pub condition: Condition,
    pub category_id: Option<Uuid>,
    /// Set by the seller; `null` while the default (5) applies.
    pub low_stock_threshold: Option<i64>,
    /// `active` or `discontinued`.
    #[schema(example = "active")]
    pub status: String,
    #[schema(example = "812-42")]
    pub consistency_token: String,
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
        "category_id": product.category_id,
        "low_stock_threshold": product.low_stock_threshold,
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

/// Edit a product
///
/// Changes a product's details: its seller or an admin. Each change is its own event (a price
/// change is `ProductRepriced`, so the log holds the price history); orders already placed
/// keep their prices. Nothing changed, nothing recorded.
#[utoipa::path(
    patch, path = "/v1/products/{product_id}", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = EditProductRequest,
    responses(
        (status = 200, description = "Changed (or nothing to change)", body = ProductAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks its rule (e.g. `category_id` names no active category), or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
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
        category: req.category_id,
        low_stock_threshold: req.low_stock_threshold,
        now: chrono::Utc::now(),
    };
    changed(&state, &user, product_id, ProductChange::Edit(command), key).await
}

/// Discontinue a product
///
/// Takes a product off sale (it stays readable): its seller or an admin.
#[utoipa::path(
    delete, path = "/v1/products/{product_id}", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Discontinued", body = ProductAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already discontinued", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn discontinue_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(product_id, "discontinue"))?;
    changed(&state, &user, product_id, ProductChange::Discontinue, key).await
}

/// Reactivate a product
///
/// Puts a discontinued product back on sale: its seller or an admin.
#[utoipa::path(
    post, path = "/v1/products/{product_id}/reactivate", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "On sale", body = ProductAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reactivate_product(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(product_id, "reactivate"))?;
    changed(&state, &user, product_id, ProductChange::Reactivate, key).await
}
