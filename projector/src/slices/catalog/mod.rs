//! `catalog`: `rm.products` from product and stock streams, and from customer streams whether
//! a product's seller is suspended (`seller_hidden`: its products are hidden while it is).
//! Replay-safe.
//!
//! The product stream and the stock stream of one product are versioned separately, so the
//! row keeps one guard per stream (`product_version`, `stock_version`).

pub mod images;
pub mod queries;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{CustomerEvent, ProductEvent, StockEvent};
use uuid::Uuid;

use super::{Projection, Write, currency, decode, position_columns, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "catalog";

pub struct Catalog;

#[async_trait]
impl Projection for Catalog {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Product, Category::Stock, Category::Customer]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["products", "product_images"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        match Category::of(&event.stream) {
            Some(Category::Product) => out.push(product_write(event, decode(event)?)?),
            Some(Category::Stock) => out.push(stock_write(event, decode(event)?)?),
            Some(Category::Customer) => out.extend(seller_write(event, decode(event)?)?),
            _ => {}
        }
        Ok(())
    }
}

/// The statement that records a product stream's event on the product's row (and its images').
fn product_write(event: &RecordedEvent, product: ProductEvent) -> Result<Write, ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    Ok(match product {
        listed @ ProductEvent::ProductListed { .. } => listed_write(event, id, listed)?,
        ProductEvent::ProductDiscontinued { discontinued_at } => {
            status_write(id, "discontinued", discontinued_at, version)
        }
        ProductEvent::ProductReactivated { reactivated_at } => {
            status_write(id, "active", reactivated_at, version)
        }
        edit @ (ProductEvent::ProductRepriced { .. } | ProductEvent::ProductEdited { .. }) => {
            edit_write(event, id, edit)?
        }
        ProductEvent::ProductCategorised {
            category_id,
            categorised_at,
            ..
        } => {
            stmt!(
                "UPDATE products SET category_id = $2, updated_at = $3, product_version = $4
                 WHERE id = $1 AND product_version > 0 AND product_version < $4",
                id,
                category_id,
                categorised_at,
                version,
            )
        }
        ProductEvent::ProductLowStockThresholdSet { threshold } => {
            stmt!(
                "UPDATE products SET low_stock_threshold = $2, product_version = $3
                 WHERE id = $1 AND product_version > 0 AND product_version < $3",
                id,
                threshold,
                version,
            )
        }
        image @ (ProductEvent::ProductImageAdded { .. }
        | ProductEvent::ProductImageRemoved { .. }
        | ProductEvent::ProductImagesReordered { .. }
        | ProductEvent::ProductCoverChosen { .. }
        | ProductEvent::ProductImageThumbnailsMade { .. }) => images::write(event, id, image)?,
    })
}

/// The row a listing creates (or, redelivered after later events, leaves as it is).
fn listed_write(
    event: &RecordedEvent,
    id: Uuid,
    listed: ProductEvent,
) -> Result<Write, ProjectorError> {
    Ok(match listed {
        ProductEvent::ProductListed {
            product_id: _,
            seller_id,
            sku,
            name,
            description,
            price,
            category_id,
            brand,
            weight_grams,
            condition: _,
            listed_at,
        } => {
            let (txid, global) = position_columns(event.position)?;
            stmt!(
                "INSERT INTO products (id, seller_id, sku, name, description, price, currency, category_id,
                     brand, weight_grams, status, created_at, updated_at, listed_txid, listed_global, product_version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11, $12, $13, $14)
                 ON CONFLICT (id) DO UPDATE SET
                     seller_id = EXCLUDED.seller_id, sku = EXCLUDED.sku, name = EXCLUDED.name,
                     description = EXCLUDED.description, price = EXCLUDED.price, currency = EXCLUDED.currency,
                     category_id = EXCLUDED.category_id, brand = EXCLUDED.brand,
                     weight_grams = EXCLUDED.weight_grams, status = EXCLUDED.status,
                     created_at = EXCLUDED.created_at,
                     updated_at = GREATEST(products.updated_at, EXCLUDED.updated_at),
                     listed_txid = EXCLUDED.listed_txid, listed_global = EXCLUDED.listed_global,
                     product_version = EXCLUDED.product_version
                 WHERE products.product_version < EXCLUDED.product_version",
                id,
                seller_id,
                sku,
                name,
                description,
                price.amount,
                currency(price),
                category_id,
                brand,
                weight_grams,
                listed_at,
                txid,
                global,
                event.stream_version,
            )
        }
        other => return Err(not_a(event, "listing", &other)),
    })
}

/// A discontinuation or reactivation: the row's `status` ('discontinued' or 'active').
fn status_write(id: Uuid, status: &'static str, at: DateTime<Utc>, version: i64) -> Write {
    stmt!(
        "UPDATE products SET status = $2, updated_at = $3, product_version = $4
         WHERE id = $1 AND product_version > 0 AND product_version < $4",
        id,
        status,
        at,
        version,
    )
}

/// A seller's edit of the price or the descriptive fields.
fn edit_write(
    event: &RecordedEvent,
    id: Uuid,
    edit: ProductEvent,
) -> Result<Write, ProjectorError> {
    Ok(match edit {
        ProductEvent::ProductRepriced {
            price, repriced_at, ..
        } => {
            stmt!(
                "UPDATE products SET price = $2, currency = $3, updated_at = $4, product_version = $5
                 WHERE id = $1 AND product_version > 0 AND product_version < $5",
                id,
                price.amount,
                currency(price),
                repriced_at,
                event.stream_version,
            )
        }
        // Only what changed is `Some`; the rest keeps its value.
        ProductEvent::ProductEdited {
            name,
            description,
            brand,
            weight_grams,
            condition: _,
            edited_at,
        } => {
            stmt!(
                "UPDATE products SET name = COALESCE($2, name), description = COALESCE($3, description),
                     brand = COALESCE($4, brand), weight_grams = COALESCE($5, weight_grams),
                     updated_at = $6, product_version = $7
                 WHERE id = $1 AND product_version > 0 AND product_version < $7",
                id,
                name,
                description,
                brand,
                weight_grams,
                edited_at,
                event.stream_version,
            )
        }
        other => return Err(not_a(event, "product edit", &other)),
    })
}

/// The error of a write helper handed an event it does not write (a routing mistake).
fn not_a(event: &RecordedEvent, kind: &str, other: &ProductEvent) -> ProjectorError {
    ProjectorError::undecodable(event, format!("not a {kind} event: {other:?}"))
}

/// A seller's suspension hides their products and reinstatement shows them again. Applied in
/// log order, so the last of the two wins, as it does in the seller's stream.
fn seller_write(
    event: &RecordedEvent,
    customer: CustomerEvent,
) -> Result<Option<Write>, ProjectorError> {
    let hidden = match customer {
        CustomerEvent::CustomerSuspended { .. } => true,
        CustomerEvent::CustomerReinstated { .. } => false,
        _ => return Ok(None),
    };
    Ok(Some(stmt!(
        "UPDATE products SET seller_hidden = $2 WHERE seller_id = $1 AND seller_hidden <> $2",
        stream_uuid(event)?,
        hidden,
    )))
}

/// Stock events carry the resulting figures; `on_hand` is absent where it did not change.
fn stock_write(event: &RecordedEvent, stock: StockEvent) -> Result<Write, ProjectorError> {
    let (on_hand, available) = match stock {
        StockEvent::StockReceived {
            on_hand, available, ..
        }
        | StockEvent::StockAdjusted {
            on_hand, available, ..
        }
        | StockEvent::ReservationCommitted {
            on_hand, available, ..
        }
        | StockEvent::StockReturned {
            on_hand, available, ..
        } => (Some(on_hand), available),
        StockEvent::StockReserved { available, .. }
        | StockEvent::ReservationReleased { available, .. } => (None, available),
    };
    Ok(stmt!(
        "INSERT INTO products (id, on_hand, available, updated_at, stock_version)
         VALUES ($1, COALESCE($2::bigint, 0), $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET
             on_hand = COALESCE($2::bigint, products.on_hand), available = EXCLUDED.available,
             updated_at = GREATEST(products.updated_at, EXCLUDED.updated_at),
             stock_version = EXCLUDED.stock_version
         WHERE products.stock_version < EXCLUDED.stock_version",
        stream_uuid(event)?,
        on_hand,
        available,
        event.recorded_at,
        event.stream_version,
    ))
}
