//! A buyer's wishlist (`wishlist-{customer}`): up to [`MAX_ITEMS`] products, each remembered
//! with its price and available units when it was wished for, so the wishlist can tell when
//! the price dropped or the product came back in stock. Whether the product exists and what it
//! costs are facts the caller brings in the command.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pasar_events::types::{Money, WishlistEvent};
use uuid::Uuid;

use crate::Aggregate;

/// Most products one wishlist holds.
pub const MAX_ITEMS: usize = 500;

/// A wished product's baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Wished {
    pub price: Money,
    pub available: i64,
    pub wished_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wishlist {
    pub items: BTreeMap<Uuid, Wished>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WishlistCommand {
    /// Adds a product with its current price and available units; a product already wished
    /// for keeps its first baseline.
    Add {
        product_id: Uuid,
        price: Money,
        available: i64,
        now: DateTime<Utc>,
    },
    /// Removes a product; removing one that is not there changes nothing.
    Remove {
        product_id: Uuid,
        now: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WishlistError {
    #[error("a wishlist holds at most {max} products")]
    Full { max: usize },
}

impl Aggregate for Wishlist {
    type Event = WishlistEvent;
    type Command = WishlistCommand;
    type Error = WishlistError;

    fn decide(&self, command: &WishlistCommand) -> Result<Vec<WishlistEvent>, WishlistError> {
        match command {
            WishlistCommand::Add {
                product_id,
                price,
                available,
                now,
            } => {
                if self.items.contains_key(product_id) {
                    return Ok(vec![]);
                }
                if self.items.len() >= MAX_ITEMS {
                    return Err(WishlistError::Full { max: MAX_ITEMS });
                }
                Ok(vec![WishlistEvent::ItemWished {
                    product_id: *product_id,
                    price: *price,
                    available: *available,
                    wished_at: *now,
                }])
            }
            WishlistCommand::Remove { product_id, now } => {
                if !self.items.contains_key(product_id) {
                    return Ok(vec![]);
                }
                Ok(vec![WishlistEvent::ItemUnwished {
                    product_id: *product_id,
                    unwished_at: *now,
                }])
            }
        }
    }

    fn evolve(mut self, event: &WishlistEvent) -> Self {
        match event {
            WishlistEvent::ItemWished {
                product_id,
                price,
                available,
                wished_at,
            } => {
                self.items.insert(
                    *product_id,
                    Wished {
                        price: *price,
                        available: *available,
                        wished_at: *wished_at,
                    },
                );
            }
            WishlistEvent::ItemUnwished { product_id, .. } => {
                self.items.remove(product_id);
            }
        }
        self
    }
}
