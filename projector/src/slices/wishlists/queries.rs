//! The wishlist's read, for the query API: a buyer's wished products with what the catalog
//! says of them now, and whether the price dropped or the product came back in stock since
//! each was wished for.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use uuid::Uuid;

/// A wished product as served.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WishedProduct {
    pub product_id: Uuid,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    /// Current price, integer rupiah.
    #[schema(example = 70000)]
    pub price: i64,
    /// The price when it was wished for.
    #[schema(example = 75000)]
    pub price_when_wished: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    /// Units available now.
    #[schema(example = 4)]
    pub available: i64,
    /// `active` or `discontinued`.
    #[schema(example = "active")]
    pub status: String,
    /// Cheaper now than when it was wished for.
    pub price_dropped: bool,
    /// Out of stock when it was wished for, available now.
    pub back_in_stock: bool,
    pub wished_at: DateTime<Utc>,
    /// The cover's smallest thumbnail, if any.
    pub thumbnail_url: Option<String>,
}

/// Up to `limit` of `customer`'s wished products, the most recently wished first, after this
/// (wished_at, product_id).
pub async fn items(
    client: &impl GenericClient,
    customer: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<WishedProduct>, tokio_postgres::Error> {
    let (at, id) = after.unzip();
    let rows = client
        .query(
            "SELECT w.product_id, w.price AS price_when_wished, w.available AS available_when_wished,
                    w.wished_at, p.name, p.price, p.currency, p.available, p.status,
                    (SELECT i.thumbnails->0->>'key' FROM rm.product_images i
                     WHERE i.product_id = w.product_id ORDER BY i.position LIMIT 1) AS thumbnail_key
             FROM rm.wishlist_items w JOIN rm.products p ON p.id = w.product_id
             WHERE w.customer_id = $1 AND NOT w.removed
               AND ($2::timestamptz IS NULL OR (w.wished_at, w.product_id) < ($2, $3))
             ORDER BY w.wished_at DESC, w.product_id DESC LIMIT $4",
            &[&customer, &at, &id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let price_when_wished: i64 = row.get("price_when_wished");
            let price = row
                .get::<_, Option<i64>>("price")
                .unwrap_or(price_when_wished);
            let available: i64 = row.get("available");
            let available_when_wished: i64 = row.get("available_when_wished");
            WishedProduct {
                product_id: row.get("product_id"),
                name: row.get::<_, Option<String>>("name").unwrap_or_default(),
                price,
                price_when_wished,
                currency: row
                    .get::<_, Option<String>>("currency")
                    .unwrap_or_else(|| "IDR".into()),
                available,
                status: row
                    .get::<_, Option<String>>("status")
                    .unwrap_or_else(|| "active".into()),
                price_dropped: price < price_when_wished,
                back_in_stock: available_when_wished <= 0 && available > 0,
                wished_at: row.get("wished_at"),
                thumbnail_url: row
                    .get::<_, Option<&str>>("thumbnail_key")
                    .map(crate::slices::catalog::images::media_url),
            }
        })
        .collect())
}
