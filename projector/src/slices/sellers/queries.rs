//! The sellers' reads, for the query API: one seller's public store.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// A seller's public store, as `GET /v1/sellers/{id}` shows it.
#[derive(Debug, Clone)]
pub struct SellerStore {
    pub seller_id: Uuid,
    /// `None` until the seller sets a profile.
    pub store_name: Option<String>,
    pub description: Option<String>,
    pub origin_id: Option<i64>,
    pub origin_label: Option<String>,
    pub profile_set_at: Option<DateTime<Utc>>,
    /// Active products in the catalog (a reader also waits for the catalog projection).
    pub active_products: i64,
}

/// The seller with this id: a seller account, or an admin that set a store profile. `None`
/// for anyone else (buyers, unknown ids).
pub async fn store(
    client: &impl GenericClient,
    seller_id: Uuid,
) -> Result<Option<SellerStore>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT s.seller_id, s.store_name, s.description, s.origin_id, s.origin_label,
                    s.profile_set_at,
                    (SELECT count(*) FROM rm.products p
                      WHERE p.seller_id = s.seller_id AND p.status = 'active'
                        AND NOT p.seller_hidden) AS active_products
             FROM rm.sellers s
             WHERE s.seller_id = $1 AND (s.role = 'seller' OR s.store_name IS NOT NULL)",
            &[&seller_id],
        )
        .await?;
    Ok(row.map(|row| SellerStore {
        seller_id: row.get("seller_id"),
        store_name: row.get("store_name"),
        description: row.get("description"),
        origin_id: row.get("origin_id"),
        origin_label: row.get("origin_label"),
        profile_set_at: row.get("profile_set_at"),
        active_products: row.get("active_products"),
    }))
}
