//! Events of a buyer's wishlist (`wishlist-{customer}`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Money};

/// Events of `wishlist-{customer}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum WishlistEvent {
    /// A product was wished for. Its price and available units at that moment are the
    /// baseline the wishlist's `price_dropped` and `back_in_stock` flags compare against.
    ItemWished {
        product_id: Uuid,
        price: Money,
        available: i64,
        wished_at: DateTime<Utc>,
    },
    ItemUnwished {
        product_id: Uuid,
        unwished_at: DateTime<Utc>,
    },
}

impl DomainEvent for WishlistEvent {}
