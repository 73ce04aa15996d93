//! `orders`: `rm.orders` from order streams, with `payment_status` from payment streams.
//! Replay-safe.
//!
//! This projection is the only writer of `rm.orders`, payment status included: if the
//! payments projection wrote that column too, two independently checkpointed writers could
//! race (an order inserted while its payment row changes would keep a stale status), and a
//! reader waiting for `orders` would not know whether the payment status was current.

use async_trait::async_trait;
use std::collections::{HashMap, HashSet};

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
            // A group of one: placements and payments have a single writer, `Groups`.
            "order" => self.batch_writes(&[event], out)?,
            "payment" => out.extend(payment_write(event, &decode(event)?)?),
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
            if event.category() == "order" {
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

/// The `OrderPlaced` and `OrderPaid` events of a stretch of the batch that holds no other
/// event, written as one multi-row statement each, placements first: the same rows as one
/// statement per event in log order.
///
/// Rows of different orders are independent (a placement reads only `order_payment_states`,
/// which only the other events write, and they end the stretch), so only each order's own
/// events must keep their order. Within a stretch an order has at most one placement and one
/// payment, the placement first (anything else ends the stretch first): a payment whose order
/// was placed in the stretch is merged into that placement's row (inserted already paid, or,
/// if the row exists, updated under the payment's version guard exactly as the `UPDATE` would
/// be), and the other payments follow all placements.
#[derive(Default)]
struct Groups {
    placed: Placed,
    paid: Paid,
}

impl Groups {
    fn flush(&mut self, out: &mut Vec<Write>) {
        self.placed.flush(out);
        self.paid.flush(out);
    }

    fn placed(
        &mut self,
        event: &RecordedEvent,
        placed: OrderEvent,
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let id = stream_uuid(event)?;
        if self.placed.index.contains_key(&id) || self.paid.ids.contains(&id) {
            self.flush(out);
        }
        self.placed.push(id, event, placed)
    }

    fn paid(
        &mut self,
        event: &RecordedEvent,
        payment_id: Uuid,
        paid_at: DateTime<Utc>,
        out: &mut Vec<Write>,
    ) -> Result<(), ProjectorError> {
        let id = stream_uuid(event)?;
        let version = event.stream_version;
        if self.paid.ids.contains(&id) {
            self.flush(out);
        } else if let Some(&i) = self.placed.index.get(&id) {
            if !self.placed.merged[i] && self.placed.version[i] < version {
                self.placed.merge(i, payment_id, paid_at, version);
                return Ok(());
            }
            self.flush(out);
        }
        self.paid.ids.insert(id);
        self.paid.id.push(id);
        self.paid.payment_id.push(payment_id);
        self.paid.paid_at.push(paid_at);
        self.paid.version.push(version);
        Ok(())
    }
}

#[derive(Default)]
struct Placed {
    index: HashMap<Uuid, usize>,
    merged: Vec<bool>,
    id: Vec<Uuid>,
    buyer_id: Vec<Uuid>,
    seller_id: Vec<Uuid>,
    checkout_id: Vec<Uuid>,
    /// The placement's payment, whose status the row starts with.
    placed_payment_id: Vec<Uuid>,
    /// The row's `payment_id`: the placement's, or the merged payment's.
    payment_id: Vec<Uuid>,
    status: Vec<&'static str>,
    lines: Vec<Value>,
    subtotal: Vec<i64>,
    shipping_cost: Vec<i64>,
    total: Vec<i64>,
    currency: Vec<String>,
    address: Vec<Value>,
    placed_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    expires_at: Vec<DateTime<Utc>>,
    txid: Vec<i64>,
    global: Vec<i64>,
    version: Vec<i64>,
}

impl Placed {
    fn push(
        &mut self,
        id: Uuid,
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
            return Err(ProjectorError::undecodable(event, "not an OrderPlaced"));
        };
        let (txid, global) = position_columns(event.position)?;
        self.index.insert(id, self.id.len());
        self.merged.push(false);
        self.id.push(id);
        self.buyer_id.push(buyer_id);
        self.seller_id.push(seller_id);
        self.checkout_id.push(checkout_id);
        self.placed_payment_id.push(payment_id);
        self.payment_id.push(payment_id);
        self.status.push(OrderStatus::AwaitingPayment.as_str());
        self.lines.push(lines_json(&lines));
        self.subtotal.push(subtotal.amount);
        self.shipping_cost.push(shipping_cost.amount);
        self.total.push(total.amount);
        self.currency.push(currency(total));
        self.address
            .push(serde_json::to_value(&shipping_address).unwrap_or(Value::Null));
        self.placed_at.push(placed_at);
        self.updated_at.push(placed_at);
        self.expires_at.push(expires_at);
        self.txid.push(txid);
        self.global.push(global);
        self.version.push(event.stream_version);
        Ok(())
    }

    /// Applies the order's later `OrderPaid` to element `i`, as its `UPDATE` would.
    fn merge(&mut self, i: usize, payment_id: Uuid, paid_at: DateTime<Utc>, version: i64) {
        self.merged[i] = true;
        self.payment_id[i] = payment_id;
        self.status[i] = OrderStatus::Paid.as_str();
        self.updated_at[i] = paid_at;
        self.version[i] = version;
    }

    fn flush(&mut self, out: &mut Vec<Write>) {
        let group = std::mem::take(self);
        if group.id.is_empty() {
            return;
        }
        // One row per element, in log order. OrderPlaced is the first event of its stream, so
        // a row that exists already was placed before: a plain placement leaves it alone (the
        // conflict clause only acts on merged payments), a merged payment updates it under the
        // payment's version guard, as `Paid` would.
        let statuses: Vec<String> = group.status.iter().map(|s| s.to_string()).collect();
        out.push(stmt!(
            "INSERT INTO orders (id, buyer_id, seller_id, checkout_id, payment_id, status, lines, subtotal,
                 shipping_cost, total, currency, shipping_address, payment_status, payment_version,
                 placed_at, updated_at, expires_at, placed_txid, placed_global, stream_version)
             SELECT t.id, t.buyer_id, t.seller_id, t.checkout_id, t.payment_id, t.status, t.lines,
                 t.subtotal, t.shipping_cost, t.total, t.currency, t.address, s.status,
                 COALESCE(s.stream_version, 0), t.placed_at, t.updated_at, t.expires_at, t.txid, t.global,
                 t.version
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::jsonb[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::jsonb[],
                     $12::timestamptz[], $13::timestamptz[], $14::bigint[], $15::bigint[], $16::bigint[],
                     $17::uuid[], $18::text[], $19::timestamptz[])
                 WITH ORDINALITY AS t(id, buyer_id, seller_id, checkout_id, placed_payment_id, lines,
                     subtotal, shipping_cost, total, currency, address, placed_at, expires_at, txid,
                     global, version, payment_id, status, updated_at, n)
             LEFT JOIN order_payment_states s ON s.payment_id = t.placed_payment_id
             ORDER BY t.n
             ON CONFLICT (id) DO UPDATE SET status = 'paid', payment_id = EXCLUDED.payment_id,
                 updated_at = EXCLUDED.updated_at, stream_version = EXCLUDED.stream_version
             WHERE EXCLUDED.status = 'paid' AND orders.stream_version < EXCLUDED.stream_version",
            group.id,
            group.buyer_id,
            group.seller_id,
            group.checkout_id,
            group.placed_payment_id,
            group.lines,
            group.subtotal,
            group.shipping_cost,
            group.total,
            group.currency,
            group.address,
            group.placed_at,
            group.expires_at,
            group.txid,
            group.global,
            group.version,
            group.payment_id,
            statuses,
            group.updated_at,
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
    fn flush(&mut self, out: &mut Vec<Write>) {
        let group = std::mem::take(self);
        if group.id.is_empty() {
            return;
        }
        // The ids are distinct, so each row is joined to at most one element.
        out.push(stmt!(
            "UPDATE orders SET status = 'paid', payment_id = t.payment_id, updated_at = t.paid_at,
                 stream_version = t.version
             FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[])
                 AS t(id, payment_id, paid_at, version)
             WHERE orders.id = t.id AND orders.stream_version < t.version",
            group.id,
            group.payment_id,
            group.paid_at,
            group.version,
        ));
    }
}
