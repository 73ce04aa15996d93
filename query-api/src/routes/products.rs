//! `GET /v1/products` and `GET /v1/products/{id}`: the catalog projection.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use pasar_projector::slices::catalog::{self, queries};
use pasar_projector::slices::categories::{self, queries::CategoryRef};
use pasar_projector::slices::reviews;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, limit};
use pasar_service::openapi::ProblemDetails as Problem;

pub use queries::{Product, ProductFilter, ProductOrder};

/// Projections these routes read (the category filter and paths read the tree).
const READS: &[&str] = &[catalog::NAME, categories::NAME, reviews::NAME];

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    /// Best rated first: average rating, then number of ratings.
    Rating,
}

/// An unknown parameter is refused (400) rather than ignored: a misspelt filter
/// (`min_prize`) would otherwise silently list everything.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this category and its subcategories.
    category: Option<Uuid>,
    /// Only this brand.
    brand: Option<String>,
    /// Only this seller's products.
    seller: Option<Uuid>,
    /// Lowest price, in rupiah.
    #[param(example = 50000)]
    min_price: Option<i64>,
    /// Highest price, in rupiah.
    #[param(example = 100000)]
    max_price: Option<i64>,
    /// Only products with available stock (`true`), or without (`false`).
    in_stock: Option<bool>,
    /// `newest` (default), `price_asc`, `price_desc` or `rating` (best average first, then
    /// most ratings; unrated products last).
    #[serde(default)]
    #[param(inline)]
    sort: Option<Sort>,
    /// 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same `sort`); 400 for any other value.
    cursor: Option<String>,
}

/// List products
///
/// Active products, newest first unless `sort` says otherwise; keyset pagination.
#[utoipa::path(
    get, path = "/v1/products", tag = "catalog",
    params(ListQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of products", body = Page<Product>),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    // PostgreSQL text cannot hold NUL (it would fail the query): no brand has one.
    if query.brand.as_deref().is_some_and(|b| b.contains('\0')) {
        return Err(ApiError::BadRequest("brand must not contain NUL".into()));
    }
    let limit = limit(query.limit)?;
    let sort = query.sort.unwrap_or_default();
    let order = order(sort, query.cursor.as_deref())?;
    let token = state.consistency.require_token(&headers, READS).await?;
    let covers = state.consistency.covered(READS);
    let key = format!("list?{}", raw.unwrap_or_default());
    let page = async {
        let client = state.pool.get().await?;
        let products = queries::list(&client, &filter(&query), order, limit + 1).await?;
        Ok::<_, ApiError>(Page::from_rows(products, limit, |p: &Product| {
            cursor(sort, p)
        }))
    };
    state.pages.serve(key, token, covers, page).await
}

/// The cursor naming `product` in the listing ordered by `sort`.
fn cursor(sort: Sort, p: &Product) -> Cursor {
    match sort {
        Sort::Newest => Cursor::Position {
            txid: p.listed.0,
            global: p.listed.1,
        },
        Sort::PriceAsc | Sort::PriceDesc => Cursor::Price {
            price: p.price,
            id: p.id,
        },
        Sort::Rating => Cursor::Rating {
            key: p.rating.sort_key(),
            count: p.rating.count,
            id: p.id,
        },
    }
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
        (Sort::Rating, None) => ProductOrder::Rating { after: None },
        (Sort::Rating, Some(Cursor::Rating { key, count, id })) => ProductOrder::Rating {
            after: Some((key, count, id)),
        },
        (_, Some(_)) => return Err(other_order()),
    })
}

/// Get a product
///
/// One product, discontinued ones included, with its images (cover first); 404 if the
/// catalog does not know it.
#[utoipa::path(
    get, path = "/v1/products/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "The product; anything but a UUID is 404"), ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The product", body = ProductDetail),
        (status = 400, description = "The consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound("no such product".into()))?;
    let token = state.consistency.require_token(&headers, READS).await?;
    let covers = state.consistency.covered(READS);
    let detail = async {
        let client = state.pool.get().await?;
        // Both sent before either answer is read (one round trip).
        let (product, images) =
            tokio::try_join!(queries::product(&client, id), queries::images(&client, id))?;
        let product = product.ok_or_else(|| ApiError::NotFound("no such product".into()))?;
        let category_path = match product.category_id {
            Some(category) => categories::queries::path(&client, category).await?,
            None => Vec::new(),
        };
        Ok::<_, ApiError>(ProductDetail {
            product,
            category_path,
            images,
        })
    };
    state
        .pages
        .serve(format!("product/{id}"), token, covers, detail)
        .await
}

/// One product with what its detail page shows beyond the listing's fields.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub product: Product,
    /// The product's category and its ancestors, root first (empty without a category).
    pub category_path: Vec<CategoryRef>,
    /// In order, the cover first; each with `processing: true` until its thumbnails exist.
    pub images: Vec<queries::Image>,
}

/// The brands of the active products.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Brands {
    /// The most carried first; spellings that differ only in case and spaces are one brand.
    pub brands: Vec<queries::BrandCount>,
}

/// List brands
///
/// Every brand of the active products with how many carry it, the most carried first (at most
/// 1,000). "Gayo" and "gayo " are one brand, named by its most common spelling. Honours
/// `X-Consistency-Token` like the product reads.
#[utoipa::path(
    get, path = "/v1/brands", tag = "catalog",
    params(ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The brands", body = Brands),
        (status = 400, description = "The consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn brands(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Brands>, ApiError> {
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let brands = queries::brands(&client).await?;
    Ok(Json(Brands { brands }))
}
