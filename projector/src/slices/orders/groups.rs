//! Batched writes of the orders projection: placements and payments of a stretch of the
//! batch as multi-row statements (see [`Groups`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::{OrderEvent, OrderStatus};
use serde_json::Value;
use uuid::Uuid;

use super::lines_json;
use crate::ProjectorError;
use crate::slices::{Write, currency, position_columns, stmt, stream_uuid};

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
pub(super) struct Groups {
    placed: Placed,
    paid: Paid,
}

impl Groups {
    pub(super) fn flush(&mut self, out: &mut Vec<Write>) {
        self.placed.flush(out);
        self.paid.flush(out);
    }

    pub(super) fn placed(
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

    pub(super) fn paid(
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
