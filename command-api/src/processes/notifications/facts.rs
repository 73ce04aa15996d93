//! What the notifications processor knows about the people and things it writes about: its
//! own tables (`command-api/migrations/013_notifications.sql`), fed from the log through the
//! batch transaction, so they move with its checkpoint and a retried batch writes the same
//! rows again (every write is an upsert or an update by key).

use deadpool_postgres::GenericClient;
use pasar_events::postgres::cached;
use pasar_events::types::{DEFAULT_LOW_STOCK_THRESHOLD, OrderLine, ShippingAddress};
use serde_json::Value;
use tokio_postgres::Error;
use uuid::Uuid;

use super::templates::Locale;

/// Someone mails can go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub customer_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub locale: Locale,
}

/// An order as placed: what the mails of its later events need.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub total: i64,
    pub shipping_address: ShippingAddress,
}

/// A product whose available stock just fell to its threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub seller_id: Uuid,
    pub sku: String,
    pub name: String,
    pub available: i64,
    pub threshold: i64,
}

/// Records a registered account (mails in Indonesian until [`set_locale`] says otherwise).
pub async fn record_customer(
    db: &impl GenericClient,
    customer_id: Uuid,
    email: &str,
    full_name: &str,
) -> Result<(), Error> {
    cached::execute(
        db,
        "INSERT INTO notification_recipients (customer_id, email, full_name) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id) DO UPDATE SET email = $2, full_name = $3",
        &[&customer_id, &email, &full_name],
    )
    .await
    .map(drop)
}

/// Forgets an account whose registration was abandoned (its email belongs to someone else).
pub async fn forget_customer(db: &impl GenericClient, customer_id: Uuid) -> Result<(), Error> {
    cached::execute(
        db,
        "DELETE FROM notification_recipients WHERE customer_id = $1",
        &[&customer_id],
    )
    .await
    .map(drop)
}

/// The one place a recipient's language changes: the profile's `CustomerProfileUpdated`
/// (`PATCH /v1/me {locale}`), in the batch transaction.
pub async fn set_locale(
    db: &impl GenericClient,
    customer_id: Uuid,
    locale: Locale,
) -> Result<(), Error> {
    cached::execute(
        db,
        "UPDATE notification_recipients SET locale = $2 WHERE customer_id = $1",
        &[&customer_id, &locale.as_str()],
    )
    .await
    .map(drop)
}

/// A recipient's new name (what the mails greet them with).
pub async fn set_name(
    db: &impl GenericClient,
    customer_id: Uuid,
    full_name: &str,
) -> Result<(), Error> {
    cached::execute(
        db,
        "UPDATE notification_recipients SET full_name = $2 WHERE customer_id = $1",
        &[&customer_id, &full_name],
    )
    .await
    .map(drop)
}

pub async fn recipient(db: &impl GenericClient, id: Uuid) -> Result<Option<Recipient>, Error> {
    let row = cached::query_opt(
        db,
        "SELECT email, full_name, locale FROM notification_recipients WHERE customer_id = $1",
        &[&id],
    )
    .await?;
    Ok(row.map(|row| Recipient {
        customer_id: id,
        email: row.get(0),
        full_name: row.get(1),
        locale: Locale::parse(row.get(2)).unwrap_or_default(),
    }))
}

pub async fn record_order(
    db: &impl GenericClient,
    order_id: Uuid,
    order: &OrderFacts,
) -> Result<(), Error> {
    let lines = serde_json::to_value(&order.lines).unwrap_or(Value::Null);
    let address = serde_json::to_value(&order.shipping_address).unwrap_or(Value::Null);
    cached::execute(db,
        "INSERT INTO notification_orders (order_id, buyer_id, seller_id, lines, total, shipping_address)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id) DO NOTHING",
        &[&order_id, &order.buyer_id, &order.seller_id, &lines, &order.total, &address],
    )
    .await
    .map(drop)
}

pub async fn order(db: &impl GenericClient, order_id: Uuid) -> Result<Option<OrderFacts>, Error> {
    let row = cached::query_opt(
        db,
        "SELECT buyer_id, seller_id, lines, total, shipping_address
             FROM notification_orders WHERE order_id = $1",
        &[&order_id],
    )
    .await?;
    Ok(row.map(|row| OrderFacts {
        buyer_id: row.get(0),
        seller_id: row.get(1),
        lines: serde_json::from_value(row.get(2)).unwrap_or_default(),
        total: row.get(3),
        shipping_address: serde_json::from_value(row.get(4)).unwrap_or_default(),
    }))
}

/// A product as listed: what its row starts from.
pub struct Listed {
    pub product_id: Uuid,
    pub seller_id: Uuid,
    pub sku: String,
    pub name: String,
}

/// Records listed products, all in one statement (a product recorded already is kept as it
/// is: a retried batch writes nothing twice).
pub async fn record_products(db: &impl GenericClient, products: &[Listed]) -> Result<(), Error> {
    if products.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = products.iter().map(|p| p.product_id).collect();
    let sellers: Vec<Uuid> = products.iter().map(|p| p.seller_id).collect();
    let skus: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
    let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
    cached::execute(
        db,
        "INSERT INTO notification_products (product_id, seller_id, sku, name)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])
         ON CONFLICT (product_id) DO NOTHING",
        &[&ids, &sellers, &skus, &names],
    )
    .await
    .map(drop)
}

pub async fn rename_product(db: &impl GenericClient, id: Uuid, name: &str) -> Result<(), Error> {
    cached::execute(
        db,
        "UPDATE notification_products SET name = $2 WHERE product_id = $1",
        &[&id, &name],
    )
    .await
    .map(drop)
}

pub async fn set_threshold(db: &impl GenericClient, id: Uuid, threshold: i64) -> Result<(), Error> {
    cached::execute(
        db,
        "UPDATE notification_products SET low_stock_threshold = $2 WHERE product_id = $1",
        &[&id, &threshold],
    )
    .await
    .map(drop)
}

/// Records that `product_id` now has `available` units; answers the product when that took it
/// from above its low-stock threshold to at or below it. One level on its own: a batch keeps
/// its levels in [`StockLevels`].
pub async fn stock_moved(
    db: &impl GenericClient,
    product_id: Uuid,
    available: i64,
) -> Result<Option<LowStock>, Error> {
    let mut levels = StockLevels::default();
    let low = levels.moved(db, product_id, available).await?;
    levels.flush(db).await?;
    Ok(low)
}

/// The stock levels a batch moves. The rows of the products a batch moves are read together
/// ([`StockLevels::load`], one statement) and moved in memory; the new levels are written
/// together by [`StockLevels::flush`] at the end of the batch (and a product's own before an
/// event that changes its row, [`StockLevels::forget`]). A read takes no transaction id, so a
/// batch of stock events does not hold back the log's readers (events are readable only below
/// the oldest transaction that writes) while it works through them one by one.
#[derive(Default)]
pub struct StockLevels {
    levels: std::collections::HashMap<Uuid, Level>,
}

struct Level {
    seller_id: Uuid,
    sku: String,
    name: String,
    threshold: i64,
    available: i64,
    moved: bool,
}

impl StockLevels {
    /// `product_id` now has `available` units: the product when that is a fall to its
    /// low-stock threshold (one mail per fall: it must rise above the threshold again before
    /// another). Before its first stock event a product counts as empty, so stock received up
    /// to the threshold is not a fall. `None` for a product the processor does not know.
    pub async fn moved(
        &mut self,
        db: &impl GenericClient,
        product_id: Uuid,
        available: i64,
    ) -> Result<Option<LowStock>, Error> {
        if !self.levels.contains_key(&product_id) {
            self.load(db, &[product_id]).await?;
        }
        let Some(level) = self.levels.get_mut(&product_id) else {
            return Ok(None);
        };
        let before = std::mem::replace(&mut level.available, available);
        level.moved = true;
        Ok(
            (before > level.threshold && available <= level.threshold).then(|| LowStock {
                seller_id: level.seller_id,
                sku: level.sku.clone(),
                name: level.name.clone(),
                available,
                threshold: level.threshold,
            }),
        )
    }

    /// Reads the rows of `products` not read yet, in one statement (a product the processor
    /// does not know has no row, and its moves answer `None`).
    pub async fn load(&mut self, db: &impl GenericClient, products: &[Uuid]) -> Result<(), Error> {
        let mut wanted: Vec<Uuid> = products
            .iter()
            .copied()
            .filter(|id| !self.levels.contains_key(id))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = cached::query(
            db,
            "SELECT product_id, seller_id, sku, name, COALESCE(low_stock_threshold, $2),
                    COALESCE(available, 0)
             FROM notification_products WHERE product_id = ANY ($1)",
            &[&wanted, &DEFAULT_LOW_STOCK_THRESHOLD],
        )
        .await?;
        for row in rows {
            let level = Level {
                seller_id: row.get(1),
                sku: row.get(2),
                name: row.get(3),
                threshold: row.get(4),
                available: row.get(5),
                moved: false,
            };
            self.levels.insert(row.get(0), level);
        }
        Ok(())
    }

    /// Writes `product_id`'s level if it moved, and forgets it: its row is about to change
    /// (the next move reads it again, with whatever changed in it).
    pub async fn forget(&mut self, db: &impl GenericClient, product_id: Uuid) -> Result<(), Error> {
        match self.levels.remove(&product_id) {
            Some(level) if level.moved => write_levels(db, &[product_id], &[level.available]).await,
            _ => Ok(()),
        }
    }

    /// Writes every moved level in one statement and forgets them all.
    pub async fn flush(&mut self, db: &impl GenericClient) -> Result<(), Error> {
        let (ids, levels): (Vec<Uuid>, Vec<i64>) = self
            .levels
            .drain()
            .filter(|(_, level)| level.moved)
            .map(|(id, level)| (id, level.available))
            .unzip();
        write_levels(db, &ids, &levels).await
    }
}

/// Sets each of `ids` to its level, in one statement.
async fn write_levels(db: &impl GenericClient, ids: &[Uuid], levels: &[i64]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    cached::execute(
        db,
        "UPDATE notification_products p SET available = l.available
         FROM unnest($1::uuid[], $2::bigint[]) AS l(product_id, available)
         WHERE p.product_id = l.product_id",
        &[&ids, &levels],
    )
    .await
    .map(drop)
}
