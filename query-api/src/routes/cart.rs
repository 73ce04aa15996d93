//! `GET /v1/cart`: the caller's cart lines, priced from the catalog.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::carts::queries::{self, CartLine};
use pasar_projector::slices::{carts, catalog};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections this route reads: the lines, and the catalog that prices them.
const READS: &[&str] = &[carts::NAME, catalog::NAME];

/// A cart line. Price fields are `null` while the catalog does not know the product.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartItem {
    pub product_id: Uuid,
    #[schema(example = 2)]
    pub quantity: i64,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: Option<String>,
    /// Rupiah.
    #[schema(example = 75000)]
    pub unit_price: Option<i64>,
    /// Rupiah.
    #[schema(example = 150000)]
    pub line_total: Option<i64>,
    #[schema(example = 5)]
    pub available: Option<i64>,
    /// `active` or `discontinued` (a discontinued product cannot be checked out).
    #[schema(example = "active")]
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cart {
    pub items: Vec<CartItem>,
    /// Sum of the line totals, in minor units of `currency`.
    #[schema(example = 150000)]
    pub total: i64,
    #[schema(example = "IDR")]
    pub currency: String,
}

/// Get the cart
///
/// The caller's cart, priced from the catalog. Buyers only.
#[utoipa::path(
    get, path = "/v1/cart", tag = "cart",
    security(("bearer" = [])),
    params(ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The cart", body = Cart),
        (status = 400, description = "The consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_cart(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Json<Cart>, ApiError> {
    user.require(&[Role::Buyer])?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let lines = queries::lines(&client, user.id).await?;
    price_cart(lines).map(Json)
}

fn price_cart(lines: Vec<CartLine>) -> Result<Cart, ApiError> {
    let overflow = || ApiError::Internal(anyhow::anyhow!("cart total overflows i64"));
    let mut total: i64 = 0;
    let mut currency: Option<String> = None;
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let quantity = line.quantity;
        let unit_price = line.price;
        let line_total = unit_price
            .map(|p| p.checked_mul(quantity).ok_or_else(overflow))
            .transpose()?;
        total = total
            .checked_add(line_total.unwrap_or(0))
            .ok_or_else(overflow)?;
        currency = currency.or(line.currency);
        items.push(CartItem {
            product_id: line.product_id,
            quantity,
            name: line.name,
            unit_price,
            line_total,
            available: line.available,
            status: line.status,
        });
    }
    Ok(Cart {
        items,
        total,
        currency: currency.unwrap_or_else(|| "IDR".to_owned()),
    })
}
