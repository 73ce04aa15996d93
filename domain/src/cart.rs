//! The shopping cart of one customer (`cart-{customer_id}`).
//!
//! A cart holds at most [`MAX_LINES`] products, each at most [`MAX_LINE_QUANTITY`] units.
//! Whether a product exists, is listed or is in stock is checked by the caller before it
//! sends the command; prices are never kept here (checkout prices from the product streams).

use std::collections::BTreeMap;

use pasar_events::types::CartEvent;
use uuid::Uuid;

use crate::Aggregate;

/// Most distinct products one cart may hold.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one cart.
pub const MAX_LINE_QUANTITY: i64 = 999;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cart {
    /// Quantity per product id. A product is present only with a quantity of at least one.
    pub lines: BTreeMap<Uuid, i64>,
    /// Every checkout that emptied this cart, oldest first.
    pub checked_out: Vec<Uuid>,
}

impl Cart {
    pub fn lines(&self) -> &BTreeMap<Uuid, i64> {
        &self.lines
    }

    pub fn quantity_of(&self, product_id: Uuid) -> i64 {
        self.lines.get(&product_id).copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether this checkout already emptied the cart.
    pub fn was_checked_out_by(&self, checkout_id: Uuid) -> bool {
        self.checked_out.contains(&checkout_id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CartCommand {
    /// Adds units to a line, creating it if needed.
    AddItem {
        product_id: Uuid,
        quantity: i64,
    },
    /// Sets a line's quantity; zero removes the line.
    SetQuantity {
        product_id: Uuid,
        quantity: i64,
    },
    RemoveItem {
        product_id: Uuid,
    },
    /// Removes every line.
    Clear,
    /// The cart's lines became the orders of this checkout.
    CheckOut {
        checkout_id: Uuid,
    },
}

/// Why a cart command was refused, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("the quantity is out of range")]
    InvalidQuantity,
    #[error("a cart line may hold at most {max} units")]
    LineQuantityTooLarge { max: i64 },
    #[error("a cart may hold at most {max} different products")]
    TooManyLines { max: usize },
    #[error("the cart is empty")]
    CartIsEmpty,
}

impl Aggregate for Cart {
    type Event = CartEvent;
    type Command = CartCommand;
    type Error = CartError;

    fn decide(&self, command: &CartCommand) -> Result<Vec<CartEvent>, CartError> {
        match command {
            CartCommand::AddItem {
                product_id,
                quantity,
            } => self.add_item(*product_id, *quantity),
            CartCommand::SetQuantity {
                product_id,
                quantity,
            } => self.set_quantity(*product_id, *quantity),
            CartCommand::RemoveItem { product_id } => Ok(self.remove_item(*product_id)),
            CartCommand::Clear => Ok(self
                .lines
                .keys()
                .flat_map(|id| self.remove_item(*id))
                .collect()),
            CartCommand::CheckOut { checkout_id } => self.check_out(*checkout_id),
        }
    }

    fn evolve(mut self, event: &CartEvent) -> Self {
        match event {
            CartEvent::CartItemAdded {
                product_id,
                line_quantity,
                ..
            } => {
                self.lines.insert(*product_id, *line_quantity);
            }
            CartEvent::CartItemQuantitySet {
                product_id,
                quantity,
            } => {
                self.lines.insert(*product_id, *quantity);
            }
            CartEvent::CartItemRemoved { product_id } => {
                self.lines.remove(product_id);
            }
            CartEvent::CartCheckedOut { checkout_id } => {
                self.lines.clear();
                self.checked_out.push(*checkout_id);
            }
        }
        self
    }
}

impl Cart {
    fn add_item(&self, product_id: Uuid, quantity: i64) -> Result<Vec<CartEvent>, CartError> {
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(CartError::InvalidQuantity);
        }
        let line_quantity = self.quantity_of(product_id) + quantity;
        if line_quantity > MAX_LINE_QUANTITY {
            return Err(CartError::LineQuantityTooLarge {
                max: MAX_LINE_QUANTITY,
            });
        }
        self.ensure_room_for(product_id)?;
        Ok(vec![CartEvent::CartItemAdded {
            product_id,
            quantity,
            line_quantity,
        }])
    }

    fn set_quantity(&self, product_id: Uuid, quantity: i64) -> Result<Vec<CartEvent>, CartError> {
        if quantity < 0 {
            return Err(CartError::InvalidQuantity);
        }
        if quantity > MAX_LINE_QUANTITY {
            return Err(CartError::LineQuantityTooLarge {
                max: MAX_LINE_QUANTITY,
            });
        }
        if quantity == 0 {
            return Ok(self.remove_item(product_id));
        }
        if self.quantity_of(product_id) == quantity {
            return Ok(vec![]);
        }
        self.ensure_room_for(product_id)?;
        Ok(vec![CartEvent::CartItemQuantitySet {
            product_id,
            quantity,
        }])
    }

    fn remove_item(&self, product_id: Uuid) -> Vec<CartEvent> {
        if self.lines.contains_key(&product_id) {
            vec![CartEvent::CartItemRemoved { product_id }]
        } else {
            vec![]
        }
    }

    fn check_out(&self, checkout_id: Uuid) -> Result<Vec<CartEvent>, CartError> {
        // A retried checkout finds the cart already emptied by itself: not an error.
        if self.was_checked_out_by(checkout_id) {
            return Ok(vec![]);
        }
        if self.is_empty() {
            return Err(CartError::CartIsEmpty);
        }
        Ok(vec![CartEvent::CartCheckedOut { checkout_id }])
    }

    /// A new line needs a free slot; an existing line always has one.
    fn ensure_room_for(&self, product_id: Uuid) -> Result<(), CartError> {
        if !self.lines.contains_key(&product_id) && self.lines.len() >= MAX_LINES {
            return Err(CartError::TooManyLines { max: MAX_LINES });
        }
        Ok(())
    }
}
