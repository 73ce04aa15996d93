//! The `shipping_quotes` table (command-api migration 007): issued quotes, each a seller
//! parcel's services and prices, looked up by id at checkout.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::QuoteGroup;
use crate::app::{AppError, Dependency};
use crate::rajaongkir::CourierService;

/// What a quote was issued for: a checkout's parcel must match it exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelKey {
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub origin_id: u32,
    pub destination_id: u32,
    pub weight_grams: u32,
}

/// A stored quote.
#[derive(Debug, Clone)]
pub struct StoredQuote {
    pub id: Uuid,
    pub key: ParcelKey,
    pub services: Vec<CourierService>,
    pub expires_at: DateTime<Utc>,
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::Database,
        detail: e.to_string(),
    }
}

fn read(row: &tokio_postgres::Row) -> Result<StoredQuote, AppError> {
    let id = |column: &str| -> Result<u32, AppError> {
        u32::try_from(row.get::<_, i64>(column))
            .map_err(|_| anyhow::anyhow!("invariant: {column} fits u32").into())
    };
    let services: serde_json::Value = row.get("services");
    Ok(StoredQuote {
        id: row.get("id"),
        key: ParcelKey {
            buyer_id: row.get("buyer_id"),
            seller_id: row.get("seller_id"),
            origin_id: id("origin_id")?,
            destination_id: id("destination_id")?,
            weight_grams: id("weight_grams")?,
        },
        services: serde_json::from_value(services).map_err(anyhow::Error::from)?,
        expires_at: row.get("expires_at"),
    })
}

const COLUMNS: &str =
    "id, buyer_id, seller_id, origin_id, destination_id, weight_grams, services, expires_at";

/// A quote for exactly this parcel that is still valid at `valid_until`, the newest first.
pub async fn reusable(
    pool: &deadpool_postgres::Pool,
    key: &ParcelKey,
    valid_until: DateTime<Utc>,
) -> Result<Option<StoredQuote>, AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM shipping_quotes
         WHERE buyer_id = $1 AND seller_id = $2 AND origin_id = $3 AND destination_id = $4
           AND weight_grams = $5 AND expires_at > $6
         ORDER BY expires_at DESC LIMIT 1"
    );
    let row = client
        .query_opt(
            &sql,
            &[
                &key.buyer_id,
                &key.seller_id,
                &i64::from(key.origin_id),
                &i64::from(key.destination_id),
                &i64::from(key.weight_grams),
                &valid_until,
            ],
        )
        .await
        .map_err(unavailable)?;
    row.as_ref().map(read).transpose()
}

/// The quote with this id, if it exists (expired or not).
pub async fn get(
    pool: &deadpool_postgres::Pool,
    id: Uuid,
) -> Result<Option<StoredQuote>, AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    let sql = format!("SELECT {COLUMNS} FROM shipping_quotes WHERE id = $1");
    let row = client.query_opt(&sql, &[&id]).await.map_err(unavailable)?;
    row.as_ref().map(read).transpose()
}

/// Stores new quotes in one transaction, and deletes quotes expired for more than a day.
pub async fn insert(
    pool: &deadpool_postgres::Pool,
    quotes: &[(ParcelKey, QuoteGroup)],
) -> Result<(), AppError> {
    if quotes.is_empty() {
        return Ok(());
    }
    let mut client = pool.get().await.map_err(unavailable)?;
    let tx = client.transaction().await.map_err(unavailable)?;
    for (key, quote) in quotes {
        let services = serde_json::to_value(&quote.services).map_err(anyhow::Error::from)?;
        tx.execute(
            "INSERT INTO shipping_quotes
                 (id, buyer_id, seller_id, origin_id, destination_id, weight_grams, services, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &quote.quote_id,
                &key.buyer_id,
                &key.seller_id,
                &i64::from(key.origin_id),
                &i64::from(key.destination_id),
                &i64::from(key.weight_grams),
                &services,
                &quote.expires_at,
            ],
        )
        .await
        .map_err(unavailable)?;
    }
    tx.execute(
        "DELETE FROM shipping_quotes WHERE expires_at < now() - interval '1 day'",
        &[],
    )
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)
}
