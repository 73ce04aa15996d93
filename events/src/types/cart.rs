use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainEvent;

/// Events of `cart-{customer_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CartEvent {
    CartItemAdded {
        product_id: Uuid,
        quantity: i64,
        line_quantity: i64,
    },
    CartItemQuantitySet {
        product_id: Uuid,
        quantity: i64,
    },
    CartItemRemoved {
        product_id: Uuid,
    },
    /// The cart's lines became orders of this checkout; the cart is empty again.
    CartCheckedOut {
        checkout_id: Uuid,
    },
}

impl DomainEvent for CartEvent {}
