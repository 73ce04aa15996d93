//! `GET /v1/products` and `GET /v1/products/{id}`: the catalog projection.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use pasar_projector::slices::catalog::{self, queries};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, limit};

pub use queries::{Product, ProductFilter, ProductOrder};

/// Projections these routes read.
const READS: &[&str] = &[catalog::NAME];

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
    let order = order(query.sort, query.cursor.as_deref())?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let products = queries::list(&client, &filter(&query), order, limit + 1).await?;
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

fn filter(query: &ListQuery) -> ProductFilter {
    ProductFilter {
        category: query.category,
        brand: query.brand.clone(),
        seller: query.seller,
        min_price: query.min_price,
        max_price: query.max_price,
        in_stock: query.in_stock,
    }
}

/// The listing's order for `sort`, after the row the cursor names.
fn order(sort: Sort, cursor: Option<&str>) -> Result<ProductOrder, ApiError> {
    let cursor = cursor.map(Cursor::decode).transpose()?;
    let other_order = || ApiError::BadRequest("cursor belongs to another sort order".into());
    Ok(match (sort, cursor) {
        (Sort::Newest, None) => ProductOrder::Newest { after: None },
        (Sort::Newest, Some(Cursor::Position { txid, global })) => ProductOrder::Newest {
            after: Some((txid, global)),
        },
        (Sort::PriceAsc, None) => ProductOrder::PriceAsc { after: None },
        (Sort::PriceAsc, Some(Cursor::Price { price, id })) => ProductOrder::PriceAsc {
            after: Some((price, id)),
        },
        (Sort::PriceDesc, None) => ProductOrder::PriceDesc { after: None },
        (Sort::PriceDesc, Some(Cursor::Price { price, id })) => ProductOrder::PriceDesc {
            after: Some((price, id)),
        },
        (_, Some(_)) => return Err(other_order()),
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
    let client = state.pool.get().await?;
    queries::product(&client, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such product".into()))
}
