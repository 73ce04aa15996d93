use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, ImageThumbnail, Money};

/// The state of the goods a listing sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductCondition {
    #[default]
    New,
    Used,
    Refurbished,
}

/// The low-stock threshold of a product whose seller set none
/// ([`ProductEvent::ProductLowStockThresholdSet`]): the seller's dashboard and the low-stock
/// mail both use it.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 5;

/// Events of `product-{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ProductEvent {
    ProductListed {
        product_id: Uuid,
        seller_id: Uuid,
        sku: String,
        name: String,
        description: String,
        price: Money,
        category_id: Option<Uuid>,
        brand: Option<String>,
        weight_grams: i32,
        /// Since schema v2; v1 listings are upcast to `new` (see `upcast.rs`).
        condition: ProductCondition,
        listed_at: DateTime<Utc>,
    },
    ProductDiscontinued {
        discontinued_at: DateTime<Utc>,
    },
    /// Back on sale after being discontinued.
    ProductReactivated {
        reactivated_at: DateTime<Utc>,
    },
    /// A new price: the log keeps the price history. Orders already placed keep theirs.
    ProductRepriced {
        price: Money,
        previous_price: Money,
        repriced_at: DateTime<Utc>,
    },
    /// Other details changed by the seller or an admin: the fields that changed, each `Some`.
    ProductEdited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight_grams: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        condition: Option<ProductCondition>,
        edited_at: DateTime<Utc>,
    },
    /// Moved to another category (`null`: none). The category was active when this happened.
    ProductCategorised {
        category_id: Option<Uuid>,
        previous_category_id: Option<Uuid>,
        categorised_at: DateTime<Utc>,
    },
    /// The seller's dashboard lists the product as low on stock at or below this many units.
    ProductLowStockThresholdSet {
        threshold: i64,
    },
    /// An image stored (re-encoded, without metadata) under its content-addressed `key`
    /// before this event was appended. Appended last in the product's order.
    ProductImageAdded {
        image_id: Uuid,
        key: String,
        content_type: String,
        width: u32,
        height: u32,
        bytes: u64,
        added_at: DateTime<Utc>,
    },
    ProductImageRemoved {
        image_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    /// The images' new order, every image once; the first is the cover.
    ProductImagesReordered {
        image_ids: Vec<Uuid>,
        reordered_at: DateTime<Utc>,
    },
    /// The image moves to the front: the cover is always the first image.
    ProductCoverChosen {
        image_id: Uuid,
        chosen_at: DateTime<Utc>,
    },
    /// The thumbnails processor stored an image's thumbnails (content-addressed keys).
    ProductImageThumbnailsMade {
        image_id: Uuid,
        thumbnails: Vec<ImageThumbnail>,
        made_at: DateTime<Utc>,
    },
}

impl DomainEvent for ProductEvent {}

/// Events of `stock-{product_id}`. Each carries the resulting figures so readers need not
/// recompute them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum StockEvent {
    StockReceived {
        quantity: i64,
        on_hand: i64,
        available: i64,
    },
    StockAdjusted {
        delta: i64,
        reason: String,
        on_hand: i64,
        available: i64,
    },
    StockReserved {
        order_id: Uuid,
        quantity: i64,
        expires_at: DateTime<Utc>,
        available: i64,
    },
    ReservationReleased {
        order_id: Uuid,
        quantity: i64,
        reason: String,
        available: i64,
    },
    /// Paid: the reserved units leave the warehouse's books.
    ReservationCommitted {
        order_id: Uuid,
        quantity: i64,
        on_hand: i64,
        available: i64,
    },
    /// A paid order was cancelled before it shipped: the units it had committed are back on
    /// the shelf.
    StockReturned {
        order_id: Uuid,
        quantity: i64,
        on_hand: i64,
        available: i64,
    },
}

impl DomainEvent for StockEvent {}
