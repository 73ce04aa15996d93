//! `orders`: `rm.orders` from order streams, with `payment_status` from payment streams.
//! Replay-safe.
//!
//! This projection is the only writer of `rm.orders`, payment status included: if the
//! payments projection wrote that column too, two independently checkpointed writers could
//! race (an order inserted while its payment row changes would keep a stale status), and a
//! reader waiting for `orders` would not know whether the payment status was current.

use async_trait::async_trait;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::{OrderEvent, OrderLine, OrderStatus, PaymentEvent};
use serde_json::{Value, json};
use uuid::Uuid;

use super::payments::payment_status;
use super::{Projection, Write, currency, decode, position_columns, stmt, stream_uuid};
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

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        match event.category() {
            "order" => out.push(order_write(event, decode(event)?)?),
            "payment" => out.extend(payment_write(event, &decode(event)?)?),
            _ => {}
        }
        Ok(())
    }

    /// Runs of consecutive placements (or payments) of distinct orders become one statement
    /// each (see [`Runs`]).
    fn batch_writes(
        &self,
        events: &[&RecordedEvent],
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let mut runs = Runs::default();
        for event in events {
            if event.category() == "order" {
                match decode(event)? {
                    placed @ OrderEvent::OrderPlaced { .. } => {
                        runs.paid.flush(out);
                        runs.placed.push(event, placed, out)?;
                    }
                    paid @ OrderEvent::OrderPaid { .. } => {
                        runs.placed.flush(out);
                        runs.paid.push(event, paid, out)?;
                    }
                    other => {
                        runs.flush(out);
                        out.push(order_write(event, other)?);
                    }
                }
            } else {
                runs.flush(out);
                self.writes(event, out)?;
            }
        }
        runs.flush(out);
        Ok(())
    }
}

fn order_write(event: &RecordedEvent, order: OrderEvent) -> Result<Write, ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    match order {
        OrderEvent::OrderPlaced { .. } => insert_placed(event, order),
        OrderEvent::OrderPaid {
            payment_id,
            paid_at,
        } => Ok(stmt!(
            "UPDATE orders SET status = 'paid', payment_id = $2, updated_at = $3, stream_version = $4
             WHERE id = $1 AND stream_version < $4",
            id,
            payment_id,
            paid_at,
            version,
        )),
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
        OrderEvent::OrderRefunded {
            amount,
            refunded_at,
            ..
        } => Ok(stmt!(
            "UPDATE orders SET status = 'refunded', refunded_amount = $2, updated_at = $3, stream_version = $4
             WHERE id = $1 AND stream_version < $4",
            id,
            amount.amount,
            refunded_at,
            version,
        )),
        OrderEvent::OrderCancelled {
            cancelled_at: at, ..
        } => Ok(set_status(id, OrderStatus::Cancelled, at, version)),
        OrderEvent::OrderExpired { expired_at: at } => {
            Ok(set_status(id, OrderStatus::Expired, at, version))
        }
        OrderEvent::OrderDelivered { delivered_at: at } => {
            Ok(set_status(id, OrderStatus::Delivered, at, version))
        }
        OrderEvent::OrderCompleted { completed_at: at } => {
            Ok(set_status(id, OrderStatus::Completed, at, version))
        }
    }
}

fn insert_placed(event: &RecordedEvent, placed: OrderEvent) -> Result<Write, ProjectorError> {
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
        return Err(ProjectorError::undecodable(event, "not an OrderPlaced"));
    };
    let (txid, global) = position_columns(event.position)?;
    let address = serde_json::to_value(&shipping_address).unwrap_or(Value::Null);
    // OrderPlaced is the first event of its stream: an existing row means it was applied.
    Ok(stmt!(
        "INSERT INTO orders (id, buyer_id, seller_id, checkout_id, payment_id, status, lines, subtotal,
             shipping_cost, total, currency, shipping_address, payment_status, payment_version,
             placed_at, updated_at, expires_at, placed_txid, placed_global, stream_version)
         SELECT $1, $2, $3, $4, $5, 'awaiting_payment', $6, $7, $8, $9, $10, $11, s.status,
             COALESCE(s.stream_version, 0), $12, $12, $13, $14, $15, $16
         FROM (SELECT 1) AS one
         LEFT JOIN order_payment_states s ON s.payment_id = $5
         ON CONFLICT (id) DO NOTHING",
        stream_uuid(event)?,
        buyer_id,
        seller_id,
        checkout_id,
        payment_id,
        lines_json(&lines),
        subtotal.amount,
        shipping_cost.amount,
        total.amount,
        currency(total),
        address,
        placed_at,
        expires_at,
        txid,
        global,
        event.stream_version,
    ))
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

/// Runs of consecutive `OrderPlaced` (or `OrderPaid`) events of distinct orders, written as one
/// multi-row statement each: the same rows as one statement per event (the inserts and updates
/// of a run touch distinct rows and do not read each other's), with one statement's overhead.
#[derive(Default)]
struct Runs {
    placed: Placed,
    paid: Paid,
}

impl Runs {
    fn flush(&mut self, out: &mut Vec<Write>) {
        self.placed.flush(out);
        self.paid.flush(out);
    }
}

#[derive(Default)]
struct Placed {
    ids: HashSet<Uuid>,
    id: Vec<Uuid>,
    buyer_id: Vec<Uuid>,
    seller_id: Vec<Uuid>,
    checkout_id: Vec<Uuid>,
    payment_id: Vec<Uuid>,
    lines: Vec<Value>,
    subtotal: Vec<i64>,
    shipping_cost: Vec<i64>,
    total: Vec<i64>,
    currency: Vec<String>,
    address: Vec<Value>,
    placed_at: Vec<DateTime<Utc>>,
    expires_at: Vec<DateTime<Utc>>,
    txid: Vec<i64>,
    global: Vec<i64>,
    version: Vec<i64>,
}

impl Placed {
    fn push(
        &mut self,
        event: &RecordedEvent,
        placed: OrderEvent,
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let id = stream_uuid(event)?;
        if self.ids.contains(&id) {
            self.flush(out);
        }
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
            return Err(ProjectorError::undecodable(event, "not an OrderPlaced"));
        };
        let (txid, global) = position_columns(event.position)?;
        self.ids.insert(id);
        self.id.push(id);
        self.buyer_id.push(buyer_id);
        self.seller_id.push(seller_id);
        self.checkout_id.push(checkout_id);
        self.payment_id.push(payment_id);
        self.lines.push(lines_json(&lines));
        self.subtotal.push(subtotal.amount);
        self.shipping_cost.push(shipping_cost.amount);
        self.total.push(total.amount);
        self.currency.push(currency(total));
        self.address
            .push(serde_json::to_value(&shipping_address).unwrap_or(Value::Null));
        self.placed_at.push(placed_at);
        self.expires_at.push(expires_at);
        self.txid.push(txid);
        self.global.push(global);
        self.version.push(event.stream_version);
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<Write>) {
        let run = std::mem::take(self);
        if run.id.is_empty() {
            return;
        }
        // As `insert_placed`, one row per element, in log order.
        out.push(stmt!(
            "INSERT INTO orders (id, buyer_id, seller_id, checkout_id, payment_id, status, lines, subtotal,
                 shipping_cost, total, currency, shipping_address, payment_status, payment_version,
                 placed_at, updated_at, expires_at, placed_txid, placed_global, stream_version)
             SELECT t.id, t.buyer_id, t.seller_id, t.checkout_id, t.payment_id, 'awaiting_payment', t.lines,
                 t.subtotal, t.shipping_cost, t.total, t.currency, t.address, s.status,
                 COALESCE(s.stream_version, 0), t.placed_at, t.placed_at, t.expires_at, t.txid, t.global,
                 t.version
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::jsonb[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::jsonb[],
                     $12::timestamptz[], $13::timestamptz[], $14::bigint[], $15::bigint[], $16::bigint[])
                 WITH ORDINALITY AS t(id, buyer_id, seller_id, checkout_id, payment_id, lines, subtotal,
                     shipping_cost, total, currency, address, placed_at, expires_at, txid, global, version, n)
             LEFT JOIN order_payment_states s ON s.payment_id = t.payment_id
             ORDER BY t.n
             ON CONFLICT (id) DO NOTHING",
            run.id,
            run.buyer_id,
            run.seller_id,
            run.checkout_id,
            run.payment_id,
            run.lines,
            run.subtotal,
            run.shipping_cost,
            run.total,
            run.currency,
            run.address,
            run.placed_at,
            run.expires_at,
            run.txid,
            run.global,
            run.version,
        ));
    }
}

#[derive(Default)]
struct Paid {
    ids: HashSet<Uuid>,
    id: Vec<Uuid>,
    payment_id: Vec<Uuid>,
    paid_at: Vec<DateTime<Utc>>,
    version: Vec<i64>,
}

impl Paid {
    fn push(
        &mut self,
        event: &RecordedEvent,
        paid: OrderEvent,
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let id = stream_uuid(event)?;
        if self.ids.contains(&id) {
            self.flush(out);
        }
        let OrderEvent::OrderPaid {
            payment_id,
            paid_at,
        } = paid
        else {
            return Err(ProjectorError::undecodable(event, "not an OrderPaid"));
        };
        self.ids.insert(id);
        self.id.push(id);
        self.payment_id.push(payment_id);
        self.paid_at.push(paid_at);
        self.version.push(event.stream_version);
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<Write>) {
        let run = std::mem::take(self);
        if run.id.is_empty() {
            return;
        }
        // As the `OrderPaid` arm of `order_write`; the ids are distinct, so each row is
        // joined to at most one element.
        out.push(stmt!(
            "UPDATE orders SET status = 'paid', payment_id = t.payment_id, updated_at = t.paid_at,
                 stream_version = t.version
             FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[])
                 AS t(id, payment_id, paid_at, version)
             WHERE orders.id = t.id AND orders.stream_version < t.version",
            run.id,
            run.payment_id,
            run.paid_at,
            run.version,
        ));
    }
}
