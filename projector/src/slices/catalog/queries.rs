//! The catalog's reads, for the query API: product listings with filters and keyset
//! pagination, and one product.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::slices::query::Filter;
use crate::slices::reviews::queries::{RATING_AFTER, RATING_JOIN, RATING_ORDER, RatingSummary};

/// The product columns, then the rating summary's (from [`RATING_JOIN`], which every read of
/// [`COLUMNS`] adds).
const COLUMNS: &str = "id, seller_id, sku, name, description, price, currency, category_id, brand, weight_grams, \
                       status, available, created_at, listed_txid, listed_global, \
                       (SELECT i.thumbnails->0->>'key' FROM rm.product_images i \
                        WHERE i.product_id = rm.products.id ORDER BY i.position LIMIT 1) AS thumbnail_key, \
                       pr.rating_count, pr.rating_sum, pr.rating_1, pr.rating_2, pr.rating_3, \
                       pr.rating_4, pr.rating_5";

/// A product as served. `price` is in minor units of `currency`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: Uuid,
    pub seller_id: Uuid,
    #[schema(example = "KOPI-001")]
    pub sku: String,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    #[schema(example = "Arabica")]
    pub description: String,
    /// Integer rupiah.
    #[schema(example = 75000)]
    pub price: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    pub category_id: Option<Uuid>,
    #[schema(example = "Gayo")]
    pub brand: Option<String>,
    #[schema(example = 250)]
    pub weight_grams: i32,
    /// `active` or `discontinued`.
    #[schema(example = "active")]
    pub status: String,
    /// On hand less what open checkouts hold.
    #[schema(example = 5)]
    pub available: i64,
    pub created_at: DateTime<Utc>,
    /// The cover image's smallest thumbnail; null without images or while the cover's
    /// thumbnails are being made.
    pub thumbnail_url: Option<String>,
    /// Its approved reviews' ratings.
    pub rating: RatingSummary,
    /// Log position of its listing: the key of the newest-first order.
    #[serde(skip)]
    pub listed: (i64, i64),
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
            thumbnail_url: row
                .get::<_, Option<&str>>("thumbnail_key")
                .map(super::images::media_url),
            rating: RatingSummary::from_row(row),
            listed: (row.get("listed_txid"), row.get("listed_global")),
        }
    }
}

/// Which active products a listing shows (every field optional).
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub category: Option<Uuid>,
    /// Compared case-insensitively.
    pub brand: Option<String>,
    pub seller: Option<Uuid>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: Option<bool>,
}

/// The order of a listing, each with the key of the last row served (keyset pagination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductOrder {
    /// Newest listing first; after the listing at this log position.
    Newest {
        after: Option<(i64, i64)>,
    },
    /// Cheapest first, ties by id; after this (price, id).
    PriceAsc {
        after: Option<(i64, Uuid)>,
    },
    PriceDesc {
        after: Option<(i64, Uuid)>,
    },
    /// Best rated first (average, then number of ratings, then id, all descending); after
    /// this (rating sort key, rating count, id).
    Rating {
        after: Option<(i64, i64, Uuid)>,
    },
}

/// Up to `limit` active products matching `filter`, in `order`.
pub async fn list(
    client: &impl GenericClient,
    filter: &ProductFilter,
    order: ProductOrder,
    limit: i64,
) -> Result<Vec<Product>, tokio_postgres::Error> {
    let mut sql = where_clause(filter);
    let order_by = match order {
        ProductOrder::Newest { after } => {
            if let Some((txid, global)) = after {
                sql.add_pair("(listed_txid, listed_global) < (?1, ?2)", txid, global);
            }
            "listed_txid DESC, listed_global DESC"
        }
        ProductOrder::PriceAsc { after } => {
            if let Some((price, id)) = after {
                sql.add_pair("(price, id) > (?1, ?2)", price, id);
            }
            "price ASC, id ASC"
        }
        ProductOrder::PriceDesc { after } => {
            if let Some((price, id)) = after {
                sql.add_pair("(price, id) < (?1, ?2)", price, id);
            }
            "price DESC, id DESC"
        }
        ProductOrder::Rating { after } => {
            if let Some((key, count, id)) = after {
                sql.add_triple(RATING_AFTER, key, count, id);
            }
            RATING_ORDER
        }
    };
    let limit_param = sql.push_limit(limit);
    let w = sql.where_sql();
    // Except by rating, the page's ids come from the products alone; the ratings and the cover
    // thumbnail are then read for those only (joined before the sort, for every match).
    let text = match order {
        ProductOrder::Rating { .. } => format!(
            "SELECT {COLUMNS} FROM rm.products{RATING_JOIN}{w} ORDER BY {order_by} LIMIT {limit_param}"
        ),
        _ => format!(
            "SELECT {COLUMNS} FROM rm.products{RATING_JOIN} WHERE rm.products.id IN (SELECT id FROM rm.products{w} ORDER BY {order_by} LIMIT {limit_param}) ORDER BY {order_by}"
        ),
    };
    // Prepared once per connection and text (a few hundred filter and order combinations at
    // most), not parsed and planned on every request.
    let statement = client.prepare_cached(&text).await?;
    let rows = client.query(&statement, &sql.params()).await?;
    Ok(rows.iter().map(Product::from_row).collect())
}

fn where_clause(filter: &ProductFilter) -> Filter {
    let mut sql = Filter::default();
    sql.add_fixed("status = 'active'");
    sql.add_fixed("NOT seller_hidden");
    if let Some(category) = filter.category {
        sql.add(crate::slices::categories::queries::IN_SUBTREE, category);
    }
    if let Some(brand) = &filter.brand {
        sql.add("lower(brand) = lower(?)", brand.clone());
    }
    if let Some(seller) = filter.seller {
        sql.add("seller_id = ?", seller);
    }
    if let Some(min) = filter.min_price {
        sql.add("price >= ?", min);
    }
    if let Some(max) = filter.max_price {
        sql.add("price <= ?", max);
    }
    match filter.in_stock {
        Some(true) => sql.add_fixed("available > 0"),
        Some(false) => sql.add_fixed("available <= 0"),
        None => {}
    }
    sql
}

/// One product, discontinued ones included; `None` if the catalog does not know it (or knows
/// only its stock so far), or its seller is suspended.
pub async fn product(
    client: &deadpool_postgres::Client,
    id: Uuid,
) -> Result<Option<Product>, tokio_postgres::Error> {
    // The hottest read: prepared once per connection, not parsed on every request.
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM rm.products{RATING_JOIN} WHERE id = $1 AND status IS NOT NULL AND NOT seller_hidden"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    Ok(row.as_ref().map(Product::from_row))
}

/// A brand and how many active products carry it. Spellings that differ only in case and
/// surrounding spaces ("Gayo", "gayo ") are one brand, named by its most common spelling.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrandCount {
    #[schema(example = "Gayo")]
    pub name: String,
    #[schema(example = 12)]
    pub products: i64,
}

/// Most brands [`brands`] answers.
pub const MAX_BRANDS: i64 = 1_000;

/// Every brand of the active products, the most carried first (ties by name), at most
/// [`MAX_BRANDS`].
pub async fn brands(client: &impl GenericClient) -> Result<Vec<BrandCount>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT mode() WITHIN GROUP (ORDER BY btrim(brand)) AS name, count(*) AS products
             FROM rm.products
             WHERE status = 'active' AND NOT seller_hidden AND brand IS NOT NULL AND btrim(brand) <> ''
             GROUP BY lower(btrim(brand))
             ORDER BY products DESC, name
             LIMIT $1",
            &[&MAX_BRANDS],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| BrandCount {
            name: row.get("name"),
            products: row.get("products"),
        })
        .collect())
}

/// A product's image as served: the re-encoded original, and its thumbnails once made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Image {
    pub id: Uuid,
    /// `/v1/media/{key}` on the query API.
    #[schema(example = "/v1/media/images/3f2a…9c.jpg")]
    pub url: String,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    /// The first image; `GET /v1/products` shows its smallest thumbnail.
    pub cover: bool,
    /// True until the thumbnails exist.
    pub processing: bool,
    /// Smallest first; empty while processing.
    pub thumbnails: Vec<Thumbnail>,
}

/// One thumbnail of an image.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Thumbnail {
    /// The long side asked for (160, 480 or 1200); never larger than the original.
    #[schema(example = 160)]
    pub size: u32,
    #[serde(skip_serializing, default)]
    pub key: String,
    #[serde(default, skip_deserializing)]
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A product's images in order, the cover first (prepared: every product detail reads it).
pub async fn images(
    client: &impl GenericClient,
    product_id: Uuid,
) -> Result<Vec<Image>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT image_id, key, content_type, width, height, bytes, thumbnails
             FROM rm.product_images WHERE product_id = $1 ORDER BY position",
        )
        .await?;
    let rows = client.query(&statement, &[&product_id]).await?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(at, row)| {
            let thumbnails: Option<serde_json::Value> = row.get("thumbnails");
            let mut thumbnails: Vec<Thumbnail> = thumbnails
                .and_then(|t| serde_json::from_value(t).ok())
                .unwrap_or_default();
            for t in &mut thumbnails {
                t.url = super::images::media_url(&t.key);
            }
            Image {
                id: row.get("image_id"),
                url: super::images::media_url(row.get("key")),
                content_type: row.get("content_type"),
                width: row.get("width"),
                height: row.get("height"),
                bytes: row.get("bytes"),
                cover: at == 0,
                processing: thumbnails.is_empty(),
                thumbnails,
            }
        })
        .collect())
}

/// Low-stock threshold of a product whose seller set none.
pub use pasar_events::types::DEFAULT_LOW_STOCK_THRESHOLD;

/// A seller's products by state.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ProductStates {
    #[schema(example = 40)]
    pub active: i64,
    #[schema(example = 3)]
    pub discontinued: i64,
    /// Active with nothing available.
    #[schema(example = 2)]
    pub out_of_stock: i64,
}

/// An active product at or below its low-stock threshold.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LowStock {
    pub id: Uuid,
    #[schema(example = "KOPI-001")]
    pub sku: String,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    #[schema(example = 2)]
    pub available: i64,
    #[schema(example = 5)]
    pub threshold: i64,
}

/// Most low-stock products the dashboard lists.
pub const MAX_LOW_STOCK: i64 = 50;

/// How many of a seller's products are in each state.
pub async fn product_states(
    client: &impl GenericClient,
    seller: Uuid,
) -> Result<ProductStates, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE status = 'active') AS active,
                    count(*) FILTER (WHERE status = 'discontinued') AS discontinued,
                    count(*) FILTER (WHERE status = 'active' AND available <= 0) AS out_of_stock
             FROM rm.products WHERE seller_id = $1",
            &[&seller],
        )
        .await?;
    Ok(ProductStates {
        active: row.get("active"),
        discontinued: row.get("discontinued"),
        out_of_stock: row.get("out_of_stock"),
    })
}

/// A seller's active products at or below their threshold, the emptiest first.
pub async fn low_stock(
    client: &impl GenericClient,
    seller: Uuid,
) -> Result<Vec<LowStock>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id, sku, name, available, COALESCE(low_stock_threshold, $2) AS threshold
             FROM rm.products
             WHERE seller_id = $1 AND status = 'active'
               AND available <= COALESCE(low_stock_threshold, $2)
             ORDER BY available, name, id LIMIT $3",
            &[&seller, &DEFAULT_LOW_STOCK_THRESHOLD, &MAX_LOW_STOCK],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| LowStock {
            id: row.get("id"),
            sku: row.get("sku"),
            name: row.get("name"),
            available: row.get("available"),
            threshold: row.get("threshold"),
        })
        .collect())
}
