//! `GET /v1/products` and `GET /v1/products/{id}`: the catalog projection.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::pagination::{Cursor, Filter, Page, limit};

/// Projections these routes read.
const READS: &[&str] = &["catalog"];

const COLUMNS: &str = "id, seller_id, sku, name, description, price, currency, category_id, brand, weight_grams, \
                       status, available, created_at, listed_txid, listed_global";

/// A product as served. `price` is in minor units of `currency`.
#[derive(Debug, Serialize)]
pub struct Product {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    pub brand: Option<String>,
    pub weight_grams: i32,
    pub status: String,
    pub available: i64,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    listed: (i64, i64),
}

impl Product {
    fn from_row(row: &Row) -> Self {
        Product {
            id: row.get("id"),
            seller_id: row.get("seller_id"),
            sku: row.get("sku"),
            name: row.get("name"),
            description: row.get("description"),
            price: row.get("price"),
            currency: row.get("currency"),
            category_id: row.get("category_id"),
            brand: row.get("brand"),
            weight_grams: row.get("weight_grams"),
            status: row.get("status"),
            available: row.get("available"),
            created_at: row.get("created_at"),
            listed: (row.get("listed_txid"), row.get("listed_global")),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    category: Option<Uuid>,
    brand: Option<String>,
    seller: Option<Uuid>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    in_stock: Option<bool>,
    #[serde(default)]
    sort: Sort,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Active products, newest first unless `sort` says otherwise.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Product>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let mut filter = filters(&query);
    let order = keyset(&mut filter, query.sort, query.cursor.as_deref())?;
    state.consistency.require(&headers, READS).await?;
    let limit_param = filter.push_limit(limit);
    let sql = format!(
        "SELECT {COLUMNS} FROM rm.products{} ORDER BY {order} LIMIT {limit_param}",
        filter.where_sql()
    );
    let rows = state
        .pool
        .get()
        .await?
        .query(&sql, &filter.params())
        .await?;
    let products = rows.iter().map(Product::from_row).collect();
    let sort = query.sort;
    Ok(Json(Page::from_rows(
        products,
        limit,
        |p: &Product| match sort {
            Sort::Newest => Cursor::Position {
                txid: p.listed.0,
                global: p.listed.1,
            },
            Sort::PriceAsc | Sort::PriceDesc => Cursor::Price {
                price: p.price,
                id: p.id,
            },
        },
    )))
}

fn filters(query: &ListQuery) -> Filter {
    let mut filter = Filter::default();
    filter.add_fixed("status = 'active'");
    if let Some(category) = query.category {
        filter.add("category_id = ?", category);
    }
    if let Some(brand) = &query.brand {
        filter.add("lower(brand) = lower(?)", brand.clone());
    }
    if let Some(seller) = query.seller {
        filter.add("seller_id = ?", seller);
    }
    if let Some(min) = query.min_price {
        filter.add("price >= ?", min);
    }
    if let Some(max) = query.max_price {
        filter.add("price <= ?", max);
    }
    match query.in_stock {
        Some(true) => filter.add_fixed("available > 0"),
        Some(false) => filter.add_fixed("available <= 0"),
        None => {}
    }
    filter
}

/// Adds the "after the cursor" clause and returns the ORDER BY for `sort`.
fn keyset(filter: &mut Filter, sort: Sort, cursor: Option<&str>) -> Result<&'static str, ApiError> {
    let cursor = cursor.map(Cursor::decode).transpose()?;
    match (sort, cursor) {
        (Sort::Newest, Some(Cursor::Position { txid, global })) => {
            filter.add_pair("(listed_txid, listed_global) < (?1, ?2)", txid, global);
        }
        (Sort::PriceAsc, Some(Cursor::Price { price, id })) => {
            filter.add_pair("(price, id) > (?1, ?2)", price, id)
        }
        (Sort::PriceDesc, Some(Cursor::Price { price, id })) => {
            filter.add_pair("(price, id) < (?1, ?2)", price, id)
        }
        (_, None) => {}
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another sort order".into(),
            ));
        }
    }
    Ok(match sort {
        Sort::Newest => "listed_txid DESC, listed_global DESC",
        Sort::PriceAsc => "price ASC, id ASC",
        Sort::PriceDesc => "price DESC, id DESC",
    })
}

/// One product, discontinued ones included; 404 if the catalog does not know it.
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Product>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound("no such product".into()))?;
    state.consistency.require(&headers, READS).await?;
    let sql = format!("SELECT {COLUMNS} FROM rm.products WHERE id = $1 AND status IS NOT NULL");
    // The hottest read: prepared once per connection, not parsed on every request.
    let client = state.pool.get().await?;
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.map(|r| Json(Product::from_row(&r)))
        .ok_or_else(|| ApiError::NotFound("no such product".into()))
}
