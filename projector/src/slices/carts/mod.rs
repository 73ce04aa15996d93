//! `carts`: `rm.cart_lines` from cart streams. Replay-safe.
//!
//! Lines come and go, so the version guard sits on `rm.carts` (one row per cart stream): an
//! event is applied only when it advances that row.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::CartEvent;
use pasar_events::types::streams::Category;

use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "carts";

/// `sql` after the guard every cart write starts with: the cart's row moves to this event's
/// version (`$1` customer, `$2` version, `$3` time), and `advanced` has a row only if it did.
macro_rules! advanced {
    ($sql:literal) => {
        concat!(
            "WITH advanced AS (
                 INSERT INTO carts (customer_id, stream_version, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (customer_id) DO UPDATE SET stream_version = EXCLUDED.stream_version,
                     updated_at = EXCLUDED.updated_at
                 WHERE carts.stream_version < EXCLUDED.stream_version
                 RETURNING 1
             ) ",
            $sql
        )
    };
}

pub struct Carts;

#[async_trait]
impl Projection for Carts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Cart]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["carts", "cart_lines"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    /// One statement per event: it advances the cart's row and, only if that advanced (a
    /// data-modifying `WITH` returns the row only then), changes the lines.
    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Cart) {
            return Ok(());
        }
        let cart: CartEvent = decode(event)?;
        let customer_id = stream_uuid(event)?;
        let (version, at) = (event.stream_version, event.recorded_at);
        out.push(match cart {
            CartEvent::CartItemAdded {
                product_id,
                line_quantity: quantity,
                ..
            }
            | CartEvent::CartItemQuantitySet {
                product_id,
                quantity,
            } if quantity > 0 => stmt!(
                advanced!(
                    "INSERT INTO cart_lines (customer_id, product_id, quantity, added_at, updated_at)
                     SELECT $1, $4, $5, $3, $3 FROM advanced
                     ON CONFLICT (customer_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,
                         updated_at = EXCLUDED.updated_at"
                ),
                customer_id,
                version,
                at,
                product_id,
                quantity,
            ),
            CartEvent::CartItemAdded { product_id, .. }
            | CartEvent::CartItemQuantitySet { product_id, .. }
            | CartEvent::CartItemRemoved { product_id } => stmt!(
                advanced!(
                    "DELETE FROM cart_lines
                     WHERE customer_id = $1 AND product_id = $4 AND EXISTS (SELECT 1 FROM advanced)"
                ),
                customer_id,
                version,
                at,
                product_id,
            ),
            CartEvent::CartCheckedOut { .. } => stmt!(
                advanced!(
                    "DELETE FROM cart_lines WHERE customer_id = $1 AND EXISTS (SELECT 1 FROM advanced)"
                ),
                customer_id,
                version,
                at,
            ),
        });
        Ok(())
    }
}
