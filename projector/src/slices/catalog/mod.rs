//! `catalog`: `rm.products` from product and stock streams, and from customer streams whether
//! a product's seller is suspended (`seller_hidden`: its products are hidden while it is).
//! Replay-safe.
//!
//! The product stream and the stock stream of one product are versioned separately, so the
//! row keeps one guard per stream (`product_version`, `stock_version`).

pub mod images;
pub mod queries;
mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{CustomerEvent, ProductEvent, StockEvent};
use uuid::Uuid;

use super::{Projection, Write, currency, decode, position_columns, stmt, stream_uuid};
use crate::ProjectorError;
use rows::{Figures, Listing, Rows};

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
        self.batch_writes(&[event], out)
    }

    /// Listings and stock figures of distinct products become one statement per kind (see
    /// [`Rows`]); every other event is written alone, after what was gathered before it.
    fn batch_writes(
        &self,
        events: &[&RecordedEvent],
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let mut rows = Rows::default();
        for event in events {
            match Category::of(&event.stream) {
                Some(Category::Product) => match decode(event)? {
                    listed @ ProductEvent::ProductListed { .. } => {
                        rows.listing(listing_row(event, listed)?, out);
                    }
                    other => {
                        rows.flush(out);
                        out.push(product_write(event, other)?);
                    }
                },
                Some(Category::Stock) => rows.figures(figures(event, decode(event)?)?, out),
                Some(Category::Customer) => {
                    rows.flush(out);
                    out.extend(seller_write(event, decode(event)?)?);
                }
                _ => {}
            }
        }
        rows.flush(out);
        Ok(())
    }
}

/// The statement that records a product stream's event on the product's row (and its images').
fn product_write(event: &RecordedEvent, product: ProductEvent) -> Result<Write, ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    Ok(match product {
        // Gathered by `Rows`, which `batch_writes` routes them to before this is called.
        ProductEvent::ProductListed { .. } => {
            return Err(ProjectorError::undecodable(
                event,
                "listings are written by Rows",
            ));
        }
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
fn listing_row(event: &RecordedEvent, listed: ProductEvent) -> Result<Listing, ProjectorError> {
    match listed {
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
            Ok(Listing {
                id: stream_uuid(event)?,
                seller_id,
                sku,
                name,
                description,
                price: price.amount,
                currency: currency(price),
                category_id,
                brand,
                weight_grams,
                listed_at,
                txid,
                global,
                version: event.stream_version,
            })
        }
        other => Err(not_a(event, "listing", &other)),
    }
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
fn figures(event: &RecordedEvent, stock: StockEvent) -> Result<Figures, ProjectorError> {
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
    Ok(Figures {
        id: stream_uuid(event)?,
        on_hand,
        available,
        at: event.recorded_at,
        version: event.stream_version,
    })
}
