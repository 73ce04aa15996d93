//! Listings and stock figures of distinct products in a batch, written as one multi-row
//! statement per kind instead of one statement per event (an import of 10,000 lines is
//! 20,000 of them).
//!
//! The rows come out as if the events were written one by one, in log order:
//! - a listing and a stock event write disjoint columns (each guarded by its own stream's
//!   version, both moving `updated_at` with `GREATEST`), so they commute;
//! - a stock event of a product whose figures are gathered already replaces them: a stock
//!   event carries the stream's figures after it, so only the newest need be written (the
//!   hot product of a flash sale is one row per batch, not one statement per reservation);
//!   `on_hand` carries over from the replaced figures when the newer event left it alone;
//! - otherwise two events of one product never share a statement (an `ON CONFLICT DO UPDATE`
//!   may not touch a row twice): a product seen again flushes what is gathered first;
//! - every other event (an edit, a discontinuation, an image, a seller's suspension) flushes
//!   what is gathered before its own statement, since it updates rows these create.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{Param, Write, stmt};

const LISTINGS: &str = "INSERT INTO products (id, seller_id, sku, name, description, price,
        currency, category_id, brand, weight_grams, status, created_at, updated_at, listed_txid,
        listed_global, product_version)
    SELECT l.id, l.seller_id, l.sku, l.name, l.description, l.price, l.currency, l.category_id,
        l.brand, l.weight_grams, 'active', l.listed_at, l.listed_at, l.txid, l.global, l.version
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[],
        $7::text[], $8::uuid[], $9::text[], $10::integer[], $11::timestamptz[], $12::bigint[],
        $13::bigint[], $14::bigint[])
        AS l(id, seller_id, sku, name, description, price, currency, category_id, brand,
             weight_grams, listed_at, txid, global, version)
    ON CONFLICT (id) DO UPDATE SET
        seller_id = EXCLUDED.seller_id, sku = EXCLUDED.sku, name = EXCLUDED.name,
        description = EXCLUDED.description, price = EXCLUDED.price, currency = EXCLUDED.currency,
        category_id = EXCLUDED.category_id, brand = EXCLUDED.brand,
        weight_grams = EXCLUDED.weight_grams, status = EXCLUDED.status,
        created_at = EXCLUDED.created_at,
        updated_at = GREATEST(products.updated_at, EXCLUDED.updated_at),
        listed_txid = EXCLUDED.listed_txid, listed_global = EXCLUDED.listed_global,
        product_version = EXCLUDED.product_version
    WHERE products.product_version < EXCLUDED.product_version";

/// Stock events that carry `on_hand` (received, adjusted, committed, returned).
const COUNTED: &str = "INSERT INTO products (id, on_hand, available, updated_at, stock_version)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::bigint[])
    ON CONFLICT (id) DO UPDATE SET
        on_hand = EXCLUDED.on_hand, available = EXCLUDED.available,
        updated_at = GREATEST(products.updated_at, EXCLUDED.updated_at),
        stock_version = EXCLUDED.stock_version
    WHERE products.stock_version < EXCLUDED.stock_version";

/// Stock events that leave `on_hand` as it is (reserved, released); a row they create starts
/// at the column's default, 0.
const RESERVED: &str = "INSERT INTO products (id, available, updated_at, stock_version)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::bigint[])
    ON CONFLICT (id) DO UPDATE SET
        available = EXCLUDED.available,
        updated_at = GREATEST(products.updated_at, EXCLUDED.updated_at),
        stock_version = EXCLUDED.stock_version
    WHERE products.stock_version < EXCLUDED.stock_version";

/// A listing's row.
pub(super) struct Listing {
    pub(super) id: Uuid,
    pub(super) seller_id: Uuid,
    pub(super) sku: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) price: i64,
    pub(super) currency: String,
    pub(super) category_id: Option<Uuid>,
    pub(super) brand: Option<String>,
    pub(super) weight_grams: i32,
    pub(super) listed_at: DateTime<Utc>,
    pub(super) txid: i64,
    pub(super) global: i64,
    pub(super) version: i64,
}

/// A stock event's figures; `on_hand` is `None` where the event did not change it.
pub(super) struct Figures {
    pub(super) id: Uuid,
    pub(super) on_hand: Option<i64>,
    pub(super) available: i64,
    pub(super) at: DateTime<Utc>,
    pub(super) version: i64,
}

/// What a batch has gathered and not written yet.
#[derive(Default)]
pub(super) struct Rows {
    /// Every product with a gathered row, of either kind.
    ids: HashSet<Uuid>,
    listings: Vec<Listing>,
    /// Each product's newest gathered figures, and where they are in `stock`.
    stock: Vec<Figures>,
    stock_at: HashMap<Uuid, usize>,
}

impl Rows {
    pub(super) fn listing(&mut self, listing: Listing, out: &mut Vec<Write>) {
        self.make_room(listing.id, out);
        self.listings.push(listing);
    }

    pub(super) fn figures(&mut self, mut figures: Figures, out: &mut Vec<Write>) {
        if let Some(&i) = self.stock_at.get(&figures.id) {
            let earlier = &self.stock[i];
            figures.on_hand = figures.on_hand.or(earlier.on_hand);
            figures.at = figures.at.max(earlier.at);
            self.stock[i] = figures;
            return;
        }
        self.make_room(figures.id, out);
        self.stock_at.insert(figures.id, self.stock.len());
        self.stock.push(figures);
    }

    fn make_room(&mut self, id: Uuid, out: &mut Vec<Write>) {
        if !self.ids.insert(id) {
            self.flush(out);
            self.ids.insert(id);
        }
    }

    /// Writes everything gathered (call it before any other statement and at the end).
    pub(super) fn flush(&mut self, out: &mut Vec<Write>) {
        self.ids.clear();
        self.stock_at.clear();
        if !self.listings.is_empty() {
            out.push(listings_write(&std::mem::take(&mut self.listings)));
        }
        let (counted, reserved): (Vec<Figures>, Vec<Figures>) = std::mem::take(&mut self.stock)
            .into_iter()
            .partition(|f| f.on_hand.is_some());
        if !counted.is_empty() {
            let on_hand = column(&counted, |r| r.on_hand.unwrap_or(0));
            let [id, available, at, version] = columns(&counted);
            out.push(Write::new(
                COUNTED,
                vec![id, Box::new(on_hand), available, at, version],
            ));
        }
        if !reserved.is_empty() {
            let [id, available, at, version] = columns(&reserved);
            out.push(Write::new(RESERVED, vec![id, available, at, version]));
        }
    }
}

/// One column of `rows`, as an array parameter.
fn column<R, T>(rows: &[R], value: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

/// The columns every stock row has, as statement parameters.
fn columns(rows: &[Figures]) -> [Param; 4] {
    [
        Box::new(column(rows, |r| r.id)),
        Box::new(column(rows, |r| r.available)),
        Box::new(column(rows, |r| r.at)),
        Box::new(column(rows, |r| r.version)),
    ]
}

fn listings_write(rows: &[Listing]) -> Write {
    stmt!(
        LISTINGS,
        column(rows, |l| l.id),
        column(rows, |l| l.seller_id),
        column(rows, |l| l.sku.clone()),
        column(rows, |l| l.name.clone()),
        column(rows, |l| l.description.clone()),
        column(rows, |l| l.price),
        column(rows, |l| l.currency.clone()),
        column(rows, |l| l.category_id),
        column(rows, |l| l.brand.clone()),
        column(rows, |l| l.weight_grams),
        column(rows, |l| l.listed_at),
        column(rows, |l| l.txid),
        column(rows, |l| l.global),
        column(rows, |l| l.version),
    )
}
