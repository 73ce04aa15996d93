//! `wishlists`: `rm.wishlist_items` from the wishlist streams: each wished product with the
//! price and available units it was wished at. The query joins the catalog for what they are
//! now. Replay-safe: rows are guarded by their stream version and removal leaves a tombstone.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::WishlistEvent;
use pasar_events::types::streams::Category;

use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "wishlists";

pub struct Wishlists;

#[async_trait]
impl Projection for Wishlists {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Wishlist]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["wishlist_items"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Wishlist) {
            return Ok(());
        }
        let customer_id = stream_uuid(event)?;
        let version = event.stream_version;
        out.push(match decode::<WishlistEvent>(event)? {
            WishlistEvent::ItemWished {
                product_id,
                price,
                available,
                wished_at,
            } => stmt!(
                "INSERT INTO wishlist_items (customer_id, product_id, price, available, wished_at,
                    stream_version)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (customer_id, product_id) DO UPDATE SET price = excluded.price,
                    available = excluded.available, wished_at = excluded.wished_at,
                    removed = false, stream_version = excluded.stream_version
                 WHERE wishlist_items.stream_version < excluded.stream_version",
                customer_id,
                product_id,
                price.amount,
                available,
                wished_at,
                version,
            ),
            WishlistEvent::ItemUnwished { product_id, .. } => stmt!(
                "UPDATE wishlist_items SET removed = true, stream_version = $3
                 WHERE customer_id = $1 AND product_id = $2 AND stream_version < $3",
                customer_id,
                product_id,
                version,
            ),
        });
        Ok(())
    }
}
