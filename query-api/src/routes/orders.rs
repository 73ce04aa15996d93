//! `GET /v1/orders` and `GET /v1/orders/{id}`: buyer, seller and admin views of the orders
//! projection.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Filter, Page, limit};

/// Projections these routes read (payment status included: the orders projection keeps it).
const READS: &[&str] = &["orders"];

const COLUMNS: &str = "id, status, buyer_id, seller_id, lines, subtotal, shipping_cost, total, currency, \
                       shipping_address, payment_id, payment_status, courier, tracking_number, placed_at, \
                       updated_at, expires_at, placed_txid, placed_global";

const STATUSES: &[&str] = &[
    "awaiting_payment",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "expired",
    "refunded",
];

/// An order as served; amounts in minor units of `currency`.
#[derive(Debug, Serialize)]
pub struct Order {
    pub id: Uuid,
    pub status: String,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    /// `[{product_id, sku, name, unit_price, quantity, line_total}]`
    pub lines: Value,
    pub subtotal: i64,
    pub shipping_cost: i64,
    pub total: i64,
    pub currency: String,
    pub shipping_address: Value,
    pub payment_id: Uuid,
    /// `initiated|pending|settled|failed|amount_mismatch|reversed`, `null` before any
    /// payment event was projected.
    pub payment_status: Option<String>,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(skip)]
    placed: (i64, i64),
}

impl Order {
    fn from_row(row: &Row) -> Self {
        Order {
            id: row.get("id"),
            status: row.get("status"),
            buyer_id: row.get("buyer_id"),
            seller_id: row.get("seller_id"),
            lines: row.get("lines"),
            subtotal: row.get("subtotal"),
            shipping_cost: row.get("shipping_cost"),
            total: row.get("total"),
            currency: row.get("currency"),
            shipping_address: row.get("shipping_address"),
            payment_id: row.get("payment_id"),
            payment_status: row.get("payment_status"),
            courier: row.get("courier"),
            tracking_number: row.get("tracking_number"),
            placed_at: row.get("placed_at"),
            updated_at: row.get("updated_at"),
            expires_at: row.get("expires_at"),
            placed: (row.get("placed_txid"), row.get("placed_global")),
        }
    }

    /// The buyer, the seller and admins may see an order; nobody else learns it exists.
    fn visible_to(&self, user: &AuthUser) -> bool {
        user.role == Role::Admin || self.buyer_id == user.id || self.seller_id == user.id
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Newest first: a buyer's own orders, a seller's sales, or every order for an admin.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Order>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let mut filter = Filter::default();
    match user.role {
        Role::Buyer => filter.add("buyer_id = ?", user.id),
        Role::Seller => filter.add("seller_id = ?", user.id),
        Role::Admin => {}
    }
    if let Some(status) = query.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "status must be one of {}",
                STATUSES.join(", ")
            )));
        }
        filter.add("status = ?", status);
    }
    match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Position { txid, global }) => {
            filter.add_pair("(placed_txid, placed_global) < (?1, ?2)", txid, global);
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => {}
    }
    state.consistency.require(&headers, READS).await?;
    let limit_param = filter.push_limit(limit);
    let sql = format!(
        "SELECT {COLUMNS} FROM rm.orders{} ORDER BY placed_txid DESC, placed_global DESC LIMIT {limit_param}",
        filter.where_sql()
    );
    let rows = state
        .pool
        .get()
        .await?
        .query(&sql, &filter.params())
        .await?;
    let orders = rows.iter().map(Order::from_row).collect();
    Ok(Json(Page::from_rows(orders, limit, |o: &Order| {
        Cursor::Position {
            txid: o.placed.0,
            global: o.placed.1,
        }
    })))
}

/// One order, if the caller may see it; 404 otherwise.
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Order>, ApiError> {
    let not_found = || ApiError::NotFound("no such order".into());
    let Path(id) = id.map_err(|_| not_found())?;
    state.consistency.require(&headers, READS).await?;
    let sql = format!("SELECT {COLUMNS} FROM rm.orders WHERE id = $1");
    let row = state.pool.get().await?.query_opt(&sql, &[&id]).await?;
    row.map(|r| Order::from_row(&r))
        .filter(|order| order.visible_to(&user))
        .map(Json)
        .ok_or_else(not_found)
}
