//! `orders`: `rm.orders` from order streams, with `payment_status` from payment streams.
//! Replay-safe.
//!
//! This projection is the only writer of `rm.orders`, payment status included: if the
//! payments projection wrote that column too, two independently checkpointed writers could
//! race (an order inserted while its payment row changes would keep a stale status), and a
//! reader waiting for `orders` would not know whether the payment status was current.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use pasar_events::RecordedEvent;
use pasar_events::types::{OrderEvent, OrderLine, OrderStatus, PaymentEvent};
use serde_json::{Value, json};
use uuid::Uuid;

use super::payments::payment_status;
use super::{Projection, currency, decode, execute, position_columns, stream_uuid};
use crate::ProjectorError;

pub struct Orders;

#[async_trait]
impl Projection for Orders {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn categories(&self) -> &'static [&'static str] {
        &["order", "payment"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["orders", "order_payment_states"]
    }

    fn schema(&self) -> &'static str {
        include_str!("orders.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        event: &RecordedEvent,
    ) -> Result<(), ProjectorError> {
        match event.category() {
            "order" => apply_order(tx, event, decode(event)?).await,
            "payment" => apply_payment(tx, event, &decode(event)?).await,
            _ => Ok(()),
        }
    }
}

async fn apply_order(
    tx: &Transaction<'_>,
    event: &RecordedEvent,
    order: OrderEvent,
) -> Result<(), ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    match order {
        OrderEvent::OrderPlaced { .. } => insert_placed(tx, event, order).await,
        OrderEvent::OrderPaid {
            payment_id,
            paid_at,
        } => {
            execute(
                tx,
                "UPDATE orders SET status = 'paid', payment_id = $2, updated_at = $3, stream_version = $4
                 WHERE id = $1 AND stream_version < $4",
                &[&id, &payment_id, &paid_at, &version],
            )
            .await?;
            Ok(())
        }
        OrderEvent::OrderShipped {
            courier,
            tracking_number,
            shipped_at,
        } => {
            execute(
                tx,
                "UPDATE orders SET status = 'shipped', courier = $2, tracking_number = $3, updated_at = $4,
                     stream_version = $5
                 WHERE id = $1 AND stream_version < $5",
                &[&id, &courier, &tracking_number, &shipped_at, &version],
            )
            .await?;
            Ok(())
        }
        OrderEvent::OrderRefunded {
            amount,
            refunded_at,
            ..
        } => {
            execute(
                tx,
                "UPDATE orders SET status = 'refunded', refunded_amount = $2, updated_at = $3, stream_version = $4
                 WHERE id = $1 AND stream_version < $4",
                &[&id, &amount.amount, &refunded_at, &version],
            )
            .await?;
            Ok(())
        }
        OrderEvent::OrderCancelled {
            cancelled_at: at, ..
        } => set_status(tx, id, OrderStatus::Cancelled, at, version).await,
        OrderEvent::OrderExpired { expired_at: at } => {
            set_status(tx, id, OrderStatus::Expired, at, version).await
        }
        OrderEvent::OrderDelivered { delivered_at: at } => {
            set_status(tx, id, OrderStatus::Delivered, at, version).await
        }
        OrderEvent::OrderCompleted { completed_at: at } => {
            set_status(tx, id, OrderStatus::Completed, at, version).await
        }
    }
}

async fn insert_placed(
    tx: &Transaction<'_>,
    event: &RecordedEvent,
    placed: OrderEvent,
) -> Result<(), ProjectorError> {
    let OrderEvent::OrderPlaced {
        order_id: _,
        checkout_id,
        payment_id,
        buyer_id,
        seller_id,
        lines,
        subtotal,
        shipping_cost,
        total,
        shipping_address,
        placed_at,
        expires_at,
    } = placed
    else {
        return Ok(());
    };
    let (txid, global) = position_columns(event.position)?;
    let address = serde_json::to_value(&shipping_address).unwrap_or(Value::Null);
    // OrderPlaced is the first event of its stream: an existing row means it was applied.
    execute(
        tx,
        "INSERT INTO orders (id, buyer_id, seller_id, checkout_id, payment_id, status, lines, subtotal,
             shipping_cost, total, currency, shipping_address, payment_status, payment_version,
             placed_at, updated_at, expires_at, placed_txid, placed_global, stream_version)
         SELECT $1, $2, $3, $4, $5, 'awaiting_payment', $6, $7, $8, $9, $10, $11, s.status,
             COALESCE(s.stream_version, 0), $12, $12, $13, $14, $15, $16
         FROM (SELECT 1) AS one
         LEFT JOIN order_payment_states s ON s.payment_id = $5
         ON CONFLICT (id) DO NOTHING",
        &[
            &stream_uuid(event)?,
            &buyer_id,
            &seller_id,
            &checkout_id,
            &payment_id,
            &lines_json(&lines),
            &subtotal.amount,
            &shipping_cost.amount,
            &total.amount,
            &currency(total),
            &address,
            &placed_at,
            &expires_at,
            &txid,
            &global,
            &event.stream_version,
        ],
    )
    .await?;
    Ok(())
}

async fn set_status(
    tx: &Transaction<'_>,
    id: Uuid,
    status: OrderStatus,
    at: DateTime<Utc>,
    version: i64,
) -> Result<(), ProjectorError> {
    execute(
        tx,
        "UPDATE orders SET status = $2, updated_at = $3, stream_version = $4 WHERE id = $1 AND stream_version < $4",
        &[&id, &status.as_str(), &at, &version],
    )
    .await?;
    Ok(())
}

/// Lines as served: integer minor units, no nested money objects.
fn lines_json(lines: &[OrderLine]) -> Value {
    lines
        .iter()
        .map(|line| {
            json!({
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "unit_price": line.unit_price.amount,
                "quantity": line.quantity,
                "line_total": line.line_total.amount,
            })
        })
        .collect()
}

/// Keeps this projection's own record of the payment's status, then copies it onto the
/// payment's orders.
async fn apply_payment(
    tx: &Transaction<'_>,
    event: &RecordedEvent,
    payment: &PaymentEvent,
) -> Result<(), ProjectorError> {
    let Some(status) = payment_status(payment) else {
        return Ok(());
    };
    let payment_id = stream_uuid(event)?;
    let advanced = execute(
            tx,
            "INSERT INTO order_payment_states (payment_id, status, stream_version) VALUES ($1, $2, $3)
             ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, stream_version = EXCLUDED.stream_version
             WHERE order_payment_states.stream_version < EXCLUDED.stream_version",
            &[&payment_id, &status, &event.stream_version],
        )
        .await?;
    if advanced == 1 {
        execute(
            tx,
            "UPDATE orders SET payment_status = $2, payment_version = $3
             WHERE payment_id = $1 AND payment_version < $3",
            &[&payment_id, &status, &event.stream_version],
        )
        .await?;
    }
    Ok(())
}
