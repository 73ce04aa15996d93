//! What the notifications processor knows about the people and things it writes about: its
//! own tables (`command-api/migrations/013_notifications.sql`), fed from the log through the
//! batch transaction, so they move with its checkpoint and a retried batch writes the same
//! rows again (every write is an upsert or an update by key).

use deadpool_postgres::GenericClient;
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
    db.execute(
        "INSERT INTO notification_recipients (customer_id, email, full_name) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id) DO UPDATE SET email = $2, full_name = $3",
        &[&customer_id, &email, &full_name],
    )
    .await
    .map(drop)
}

/// Forgets an account whose registration was abandoned (its email belongs to someone else).
pub async fn forget_customer(db: &impl GenericClient, customer_id: Uuid) -> Result<(), Error> {
    db.execute(
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
    db.execute(
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
    db.execute(
        "UPDATE notification_recipients SET full_name = $2 WHERE customer_id = $1",
        &[&customer_id, &full_name],
    )
    .await
    .map(drop)
}

pub async fn recipient(db: &impl GenericClient, id: Uuid) -> Result<Option<Recipient>, Error> {
    let row = db
        .query_opt(
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
    db.execute(
        "INSERT INTO notification_orders (order_id, buyer_id, seller_id, lines, total, shipping_address)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id) DO NOTHING",
        &[&order_id, &order.buyer_id, &order.seller_id, &lines, &order.total, &address],
    )
    .await
    .map(drop)
}

pub async fn order(db: &impl GenericClient, order_id: Uuid) -> Result<Option<OrderFacts>, Error> {
    let row = db
        .query_opt(
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

pub async fn record_product(
    db: &impl GenericClient,
    product_id: Uuid,
    seller_id: Uuid,
    sku: &str,
    name: &str,
) -> Result<(), Error> {
    db.execute(
        "INSERT INTO notification_products (product_id, seller_id, sku, name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (product_id) DO NOTHING",
        &[&product_id, &seller_id, &sku, &name],
    )
    .await
    .map(drop)
}

pub async fn rename_product(db: &impl GenericClient, id: Uuid, name: &str) -> Result<(), Error> {
    db.execute(
        "UPDATE notification_products SET name = $2 WHERE product_id = $1",
        &[&id, &name],
    )
    .await
    .map(drop)
}

pub async fn set_threshold(db: &impl GenericClient, id: Uuid, threshold: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE notification_products SET low_stock_threshold = $2 WHERE product_id = $1",
        &[&id, &threshold],
    )
    .await
    .map(drop)
}

/// Records that `product_id` now has `available` units; answers the product when that took it
/// from above its low-stock threshold to at or below it (one mail per fall: it must rise
/// above the threshold again before another). Before its first stock event a product counts
/// as empty, so stock received up to the threshold is not a fall.
pub async fn stock_moved(
    db: &impl GenericClient,
    product_id: Uuid,
    available: i64,
) -> Result<Option<LowStock>, Error> {
    let Some(row) = db
        .query_opt(
            "SELECT seller_id, sku, name, COALESCE(low_stock_threshold, $2), COALESCE(available, 0)
             FROM notification_products WHERE product_id = $1",
            &[&product_id, &DEFAULT_LOW_STOCK_THRESHOLD],
        )
        .await?
    else {
        return Ok(None);
    };
    db.execute(
        "UPDATE notification_products SET available = $2 WHERE product_id = $1",
        &[&product_id, &available],
    )
    .await?;
    let (threshold, before): (i64, i64) = (row.get(3), row.get(4));
    Ok(
        (before > threshold && available <= threshold).then(|| LowStock {
            seller_id: row.get(0),
            sku: row.get(1),
            name: row.get(2),
            available,
            threshold,
        }),
    )
}
