//! Pasar's business rules, with no I/O, no clock and no async.
//!
//! Every aggregate is a state type implementing [`Aggregate`]: [`Aggregate::decide`] turns a
//! command into new events or a rejection, and [`Aggregate::evolve`] folds one event into the
//! state. [`replay`] rebuilds a state from a stream's history. Time, ids and outside facts
//! (prices, hashes, Midtrans notifications) arrive inside commands, so `decide` is
//! deterministic. The events themselves are defined once, in [`pasar_events::types`].
//!
//! | module | stream | rules |
//! |---|---|---|
//! | [`customer`] | `customer-{id}` | registration, role, refresh-token sessions with reuse detection, profile, password, avatar |
//! | [`category`] | `categories-tree` | the admin-managed tree: no cycles, slugs unique among active siblings, retire |
//! | [`product`] | `product-{id}` | listing validation, ownership, discontinuation, SKU normalisation |
//! | [`stock`] | `stock-{product}` | receive, adjust, reserve per order, release, commit; available ≥ 0 |
//! | [`cart`] | `cart-{customer}` | line limits, set/remove, checkout once per checkout id |
//! | [`order`] | `order-{id}` | the order state machine; no skips, no reversals |
//! | [`payment`] | `payment-{id}` | Midtrans notifications mapped to payment states |
//! | [`import`] | `import-{id}` | a CSV import's rows, each line reported once, complete when all are |
//! | [`address_book`] | `addresses-{customer}` | at most ten addresses, exactly one default while any |
//! | [`wallet`] | `wallet-{customer}` | credits once per source, debits never below zero, each debit returned once |
//! | [`review`] | `review-{id}` | one review per order line, edits for 30 days, moderation, helpful votes |
//! | [`wishlist`] | `wishlist-{customer}` | up to 500 products, each with the price and stock it was wished at |
//!
//! [`values`] holds the validated newtypes (`Email`, `Sku`, `Quantity`, `Price`, `Address`,
//! `Text`) that requests are parsed into before a command is built.
//!
//! Start reading at [`Aggregate`], then [`cart`], the smallest aggregate.

pub mod address_book;
pub mod cart;
pub mod category;
pub mod customer;
pub mod import;
pub mod order;
pub mod payment;
pub mod product;
pub mod review;
pub mod stock;
pub mod values;
pub mod wallet;
pub mod wishlist;

use std::borrow::Borrow;

/// A consistency boundary: one event stream, its state, and the rules that guard it.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Event: pasar_events::DomainEvent + Clone + Send + Sync;
    type Command: Clone + Send + Sync + 'static;
    /// One variant per broken rule.
    type Error: std::error::Error + PartialEq + Send + Sync + 'static;

    /// Checks the command against the current state and says what happened. All business
    /// rules live here. An empty `Ok` means the command was already satisfied (an idempotent
    /// repeat) and nothing needs appending.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Records one fact. Never fails and never checks rules, so history always replays even
    /// after the rules change.
    fn evolve(self, event: &Self::Event) -> Self;

    /// The version of [`Aggregate::to_snapshot`]'s shape; `None` (the default) when this
    /// aggregate is never snapshotted. Bump it whenever the state's shape changes: snapshots of
    /// another version are ignored and the stream is replayed instead.
    const SNAPSHOT_VERSION: Option<i32> = None;

    /// The state as JSON, for aggregates whose streams grow without bound (stock), so that
    /// loading one costs the snapshot plus the events after it, not the whole history.
    fn to_snapshot(&self) -> Option<serde_json::Value> {
        None
    }

    /// The state back from [`Aggregate::to_snapshot`]'s JSON; `None` if it does not parse.
    fn from_snapshot(_value: &serde_json::Value) -> Option<Self> {
        None
    }
}

/// Folds events, oldest first, into state. Accepts owned events or references.
///
/// ```
/// use pasar_domain::{cart::Cart, replay};
/// use pasar_events::types::CartEvent;
/// # let product_id = uuid::Uuid::nil();
///
/// let history = vec![CartEvent::CartItemAdded { product_id, quantity: 2, line_quantity: 2 }];
/// let by_reference = replay::<Cart>(&history);
/// let owned: Cart = replay(history);
/// assert_eq!(by_reference, owned);
/// assert_eq!(owned.quantity_of(product_id), 2);
/// ```
pub fn replay<A: Aggregate>(events: impl IntoIterator<Item = impl Borrow<A::Event>>) -> A {
    events
        .into_iter()
        .fold(A::default(), |state, event| state.evolve(event.borrow()))
}

/// One invalid field of a command, named so the client can fix it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldError {
    /// The request field's name, as the client sent it.
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

/// Length in characters (not bytes), which is what limits shown to people mean.
pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}
