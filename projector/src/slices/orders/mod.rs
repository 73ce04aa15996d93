//! `orders`: `rm.orders` from order streams, with `payment_status` from payment streams.
//! Replay-safe.
//!
//! This projection is the only writer of `rm.orders`, payment status included: if the
//! payments projection wrote that column too, two independently checkpointed writers could
//! race (an order inserted while its payment row changes would keep a stale status), and a
//! reader waiting for `orders` would not know whether the payment status was current.

mod groups;
pub mod queries;
pub mod sales;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{OrderEvent, OrderLine, OrderStatus, PaymentEvent};
use serde_json::{Value, json};
use uuid::Uuid;

use super::payments::payment_status;
use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;
use groups::Groups;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "orders";

pub struct Orders;

#[async_trait]
impl Projection for Orders {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Order, Category::Payment]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["orders", "order_payment_states"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        match Category::of(&event.stream) {
            // A group of one: placements and payments have a single writer, `Groups`.
            Some(Category::Order) => self.batch_writes(&[event], out)?,
            Some(Category::Payment) => {
                let payment = decode(event)?;
                out.extend(payment_write(event, &payment)?);
                out.extend(refund_write(event, &payment)?);
                out.extend(notified_refund_write(event, &payment)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Placements (and payments) of distinct orders between two other events become one
    /// statement each, and an order's payment merges into its placement (see [`Groups`]).
    fn batch_writes(
        &self,
        events: &[&RecordedEvent],
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let mut groups = Groups::default();
        for event in events {
            if Category::of(&event.stream) == Some(Category::Order) {
                match decode(event)? {
                    placed @ OrderEvent::OrderPlaced { .. } => groups.placed(event, placed, out)?,
                    OrderEvent::OrderPaid {
                        payment_id,
                        paid_at,
                    } => groups.paid(event, payment_id, paid_at, out)?,
                    other => {
                        groups.flush(out);
                        out.push(order_write(event, other)?);
                    }
                }
            } else {
                groups.flush(out);
                self.writes(event, out)?;
            }
        }
        groups.flush(out);
        Ok(())
    }
}

fn order_write(event: &RecordedEvent, order: OrderEvent) -> Result<Write, ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    match order {
        // Written by `Groups`, which `batch_writes` routes them to before this is called.
        OrderEvent::OrderPlaced { .. } | OrderEvent::OrderPaid { .. } => Err(
            ProjectorError::undecodable(event, "placements and payments are written by Groups"),
        ),
        OrderEvent::OrderShipped {
            courier,
            tracking_number,
            shipped_at,
        } => Ok(stmt!(
            "UPDATE orders SET status = 'shipped', courier = $2, tracking_number = $3, updated_at = $4,
                 stream_version = $5
             WHERE id = $1 AND stream_version < $5",
            id,
            courier,
            tracking_number,
            shipped_at,
            version,
        )),
        refund @ (OrderEvent::OrderRefundRequested { .. }
        | OrderEvent::OrderRefunded { .. }
        | OrderEvent::OrderRefundOwed { .. }) => order_refund_write(event, id, refund),
        OrderEvent::OrderCancelled {
            cancelled_at: at, ..
        } => Ok(set_status(id, OrderStatus::Cancelled, at, version)),
        OrderEvent::OrderExpired { expired_at: at } => {
            Ok(set_status(id, OrderStatus::Expired, at, version))
        }
        // A late settlement brought it back; `OrderPaid` follows.
        OrderEvent::OrderRevived { revived_at: at, .. } => {
            Ok(set_status(id, OrderStatus::AwaitingPayment, at, version))
        }
        OrderEvent::OrderDelivered { delivered_at: at } => {
            Ok(set_status(id, OrderStatus::Delivered, at, version))
        }
        OrderEvent::OrderCompleted { completed_at: at } => {
            Ok(set_status(id, OrderStatus::Completed, at, version))
        }
    }
}

/// A refund asked for, settled or owed: `refund_status` follows it.
fn order_refund_write(
    event: &RecordedEvent,
    id: Uuid,
    refund: OrderEvent,
) -> Result<Write, ProjectorError> {
    let version = event.stream_version;
    match refund {
        // Refunds add up; the order is `refunded` once all it cost went back.
        OrderEvent::OrderRefunded {
            amount,
            refunded_at,
            ..
        } => Ok(stmt!(
            "UPDATE orders SET refunded_amount = COALESCE(refunded_amount, 0) + $2,
                 status = CASE WHEN COALESCE(refunded_amount, 0) + $2 >= total THEN 'refunded' ELSE status END,
                 refund_status = 'refunded', updated_at = $3, stream_version = $4
             WHERE id = $1 AND stream_version < $4",
            id,
            amount.amount,
            refunded_at,
            version,
        )),
        OrderEvent::OrderRefundRequested { requested_at, .. } => Ok(stmt!(
            "UPDATE orders SET refund_status = 'required', updated_at = $2, stream_version = $3
             WHERE id = $1 AND stream_version < $3",
            id,
            requested_at,
            version,
        )),
        OrderEvent::OrderRefundOwed { owed_at, .. } => Ok(stmt!(
            "UPDATE orders SET refund_status = 'owed', updated_at = $2, stream_version = $3
             WHERE id = $1 AND stream_version < $3",
            id,
            owed_at,
            version,
        )),
        other => Err(ProjectorError::undecodable(
            event,
            format!("not a refund event: {other:?}"),
        )),
    }
}

fn set_status(id: Uuid, status: OrderStatus, at: DateTime<Utc>, version: i64) -> Write {
    stmt!(
        "UPDATE orders SET status = $2, updated_at = $3, stream_version = $4 WHERE id = $1 AND stream_version < $4",
        id,
        status.as_str(),
        at,
        version,
    )
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

/// The refund of a late settlement (the payment settled after its orders closed and their
/// stock could not be reserved again), copied onto the payment's orders.
/// Midtrans' refund notifications (`refund`, `partial_refund`; the second of each with the
/// bank's confirmation), shown on every order of the payment.
fn notified_refund_write(
    event: &RecordedEvent,
    payment: &PaymentEvent,
) -> Result<Option<Write>, ProjectorError> {
    let PaymentEvent::PaymentNotificationReceived {
        transaction_status,
        refund_amount,
        refund_confirmed_at,
        received_at,
        ..
    } = payment
    else {
        return Ok(None);
    };
    let status = transaction_status.to_ascii_lowercase();
    if status != "refund" && status != "partial_refund" {
        return Ok(None);
    }
    // "50000.00" → 50000 (IDR has no minor unit below the rupiah).
    let amount: Option<i64> = refund_amount
        .as_deref()
        .and_then(|a| a.trim().split('.').next())
        .and_then(|whole| whole.parse().ok());
    Ok(Some(stmt!(
        "UPDATE orders SET payment_refund = jsonb_build_object('status', $2::text, 'amount', $3::bigint,
                 'bank_confirmed_at', $4::text, 'notified_at', $5::timestamptz),
             payment_refund_version = $6
         WHERE payment_id = $1 AND COALESCE(payment_refund_version, 0) < $6",
        stream_uuid(event)?,
        status,
        amount,
        refund_confirmed_at.clone(),
        *received_at,
        event.stream_version,
    )))
}

fn refund_write(
    event: &RecordedEvent,
    payment: &PaymentEvent,
) -> Result<Option<Write>, ProjectorError> {
    let refund = match payment {
        PaymentEvent::PaymentRefundRequired { .. } => "required",
        PaymentEvent::PaymentRefunded { .. } => "refunded",
        PaymentEvent::PaymentRefundOwed { .. } => "owed",
        _ => return Ok(None),
    };
    Ok(Some(stmt!(
        "UPDATE orders SET refund_status = $2, payment_version = $3
         WHERE payment_id = $1 AND payment_version < $3",
        stream_uuid(event)?,
        refund,
        event.stream_version,
    )))
}

/// Keeps this projection's own record of the payment's status and, if that advanced, copies
/// it onto the payment's orders: one statement, so that the copy can depend on the advance
/// without the handler reading a result (see [`Projection::writes`]).
fn payment_write(
    event: &RecordedEvent,
    payment: &PaymentEvent,
) -> Result<Option<Write>, ProjectorError> {
    let Some(status) = payment_status(payment) else {
        return Ok(None);
    };
    Ok(Some(stmt!(
        "WITH advanced AS (
             INSERT INTO order_payment_states (payment_id, status, stream_version) VALUES ($1, $2, $3)
             ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, stream_version = EXCLUDED.stream_version
             WHERE order_payment_states.stream_version < EXCLUDED.stream_version
             RETURNING 1
         )
         UPDATE orders SET payment_status = $2, payment_version = $3
         WHERE payment_id = $1 AND payment_version < $3 AND EXISTS (SELECT 1 FROM advanced)",
        stream_uuid(event)?,
        status,
        event.stream_version,
    )))
}
