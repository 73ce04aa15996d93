//! `GET /v1/cart`: the caller's cart lines, priced from the catalog.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use pasar_events::types::Role;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

/// Projections this route reads: the lines, and the catalog that prices them.
const READS: &[&str] = &["carts", "catalog"];

/// A cart line. Price fields are `null` while the catalog does not know the product.
#[derive(Debug, Serialize)]
pub struct CartItem {
    pub product_id: Uuid,
    pub quantity: i64,
    pub name: Option<String>,
    pub unit_price: Option<i64>,
    pub line_total: Option<i64>,
    pub available: Option<i64>,
    /// `active` or `discontinued` (a discontinued product cannot be checked out).
    pub status: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Cart {
    pub items: Vec<CartItem>,
    /// Sum of the line totals, in minor units of `currency`.
    pub total: i64,
    pub currency: String,
}

pub async fn get_cart(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Json<Cart>, ApiError> {
    user.require(&[Role::Buyer])?;
    state.consistency.require(&headers, READS).await?;
    let rows = state
        .pool
        .get()
        .await?
        .query(
            "SELECT l.product_id, l.quantity, p.name, p.price, p.currency, p.available, p.status
             FROM rm.cart_lines l
             LEFT JOIN rm.products p ON p.id = l.product_id AND p.status IS NOT NULL
             WHERE l.customer_id = $1
             ORDER BY l.added_at, l.product_id",
            &[&user.id],
        )
        .await?;
    price_cart(&rows).map(Json)
}

fn price_cart(rows: &[Row]) -> Result<Cart, ApiError> {
    let overflow = || ApiError::Internal(anyhow::anyhow!("cart total overflows i64"));
    let mut total: i64 = 0;
    let mut currency: Option<String> = None;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let quantity: i64 = row.get("quantity");
        let unit_price: Option<i64> = row.get("price");
        let line_total = unit_price
            .map(|p| p.checked_mul(quantity).ok_or_else(overflow))
            .transpose()?;
        total = total
            .checked_add(line_total.unwrap_or(0))
            .ok_or_else(overflow)?;
        currency = currency.or_else(|| row.get("currency"));
        items.push(CartItem {
            product_id: row.get("product_id"),
            quantity,
            name: row.get("name"),
            unit_price,
            line_total,
            available: row.get("available"),
            status: row.get("status"),
        });
    }
    Ok(Cart {
        items,
        total,
        currency: currency.unwrap_or_else(|| "IDR".to_owned()),
    })
}
