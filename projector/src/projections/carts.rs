//! `carts`: `rm.cart_lines` from cart streams. Replay-safe.
//!
//! Lines come and go, so the version guard sits on `rm.carts` (one row per cart stream): an
//! event is applied only when it advances that row.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use pasar_events::RecordedEvent;
use pasar_events::types::CartEvent;
use uuid::Uuid;

use super::{Projection, decode, execute, stream_uuid};
use crate::ProjectorError;

pub struct Carts;

#[async_trait]
impl Projection for Carts {
    fn name(&self) -> &'static str {
        "carts"
    }

    fn categories(&self) -> &'static [&'static str] {
        &["cart"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["carts", "cart_lines"]
    }

    fn schema(&self) -> &'static str {
        include_str!("carts.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectorError> {
        if event.category() != "cart" {
            return Ok(());
        }
        let cart: CartEvent = decode(event)?;
        let customer_id = stream_uuid(event)?;
        if !advance_cart(tx, customer_id, event).await? {
            return Ok(());
        }
        match cart {
            CartEvent::CartItemAdded {
                product_id,
                line_quantity,
                ..
            } => set_line(tx, customer_id, product_id, line_quantity, event).await,
            CartEvent::CartItemQuantitySet {
                product_id,
                quantity,
            } => set_line(tx, customer_id, product_id, quantity, event).await,
            CartEvent::CartItemRemoved { product_id } => {
                remove_line(tx, customer_id, product_id).await
            }
            CartEvent::CartCheckedOut { .. } => {
                execute(
                    tx,
                    "DELETE FROM cart_lines WHERE customer_id = $1",
                    &[&customer_id],
                )
                .await?;
                Ok(())
            }
        }
    }
}

/// Records that the cart has seen this event; false when it already had.
async fn advance_cart(
    tx: &Transaction<'_>,
    customer_id: Uuid,
    event: &RecordedEvent,
) -> Result<bool, ProjectorError> {
    let advanced = execute(
        tx,
        "INSERT INTO carts (customer_id, stream_version, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (customer_id) DO UPDATE SET stream_version = EXCLUDED.stream_version,
                 updated_at = EXCLUDED.updated_at
             WHERE carts.stream_version < EXCLUDED.stream_version",
        &[&customer_id, &event.stream_version, &event.recorded_at],
    )
    .await?;
    Ok(advanced == 1)
}

/// Sets a line to the quantity the event says it now has (0 or less removes it).
async fn set_line(
    tx: &Transaction<'_>,
    customer_id: Uuid,
    product_id: Uuid,
    quantity: i64,
    event: &RecordedEvent,
) -> Result<(), ProjectorError> {
    if quantity <= 0 {
        return remove_line(tx, customer_id, product_id).await;
    }
    execute(
        tx,
        "INSERT INTO cart_lines (customer_id, product_id, quantity, added_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (customer_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,
             updated_at = EXCLUDED.updated_at",
        &[&customer_id, &product_id, &quantity, &event.recorded_at],
    )
    .await?;
    Ok(())
}

async fn remove_line(
    tx: &Transaction<'_>,
    customer_id: Uuid,
    product_id: Uuid,
) -> Result<(), ProjectorError> {
    execute(
        tx,
        "DELETE FROM cart_lines WHERE customer_id = $1 AND product_id = $2",
        &[&customer_id, &product_id],
    )
    .await?;
    Ok(())
}
