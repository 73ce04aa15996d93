//! Listing products (SKU unique through its claim stream) and receiving stock.

use std::sync::LazyLock;

use chrono::Utc;
use pasar_domain::Aggregate;
use pasar_domain::product::{Product, ProductCommand};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_domain::values::{Price, Sku};
use pasar_events::ExpectedVersion;
use pasar_events::types::{ProductCondition, Role, streams};
use uuid::Uuid;

use super::exec::{EventIds, Outcome, execute, load, start_stream};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule, claims};

/// `List` with its values parsed; the domain checks the rest (lengths, weight).
pub struct Listing {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub price: Price,
    pub category_id: Option<Uuid>,
    pub brand: Option<String>,
    pub weight_grams: i32,
    pub condition: ProductCondition,
}

/// Lists a product: validates, claims the SKU, records the listing; gives the claim back if
/// the listing cannot be recorded. With an idempotency key the product's id comes from the key,
/// so a retry finds its own claim and its own listing and answers the same product.
pub async fn list_product(
    state: &AppState,
    actor: Actor,
    listing: Listing,
    key: Option<&Idempotency>,
) -> Result<Outcome<Product>, AppError> {
    let new = NewListing::prepare(state, actor, listing, key).await?;
    new.record(state, None).await
}

/// [`list_product`] for a caller that has read the SKU's claim already (an import line reads
/// it to choose between listing and updating): `holder` is what it read.
pub async fn list_product_claimed(
    state: &AppState,
    actor: Actor,
    listing: Listing,
    key: Option<&Idempotency>,
    holder: claims::Holder,
) -> Result<Outcome<Product>, AppError> {
    let new = NewListing::prepare(state, actor, listing, key).await?;
    new.record(state, Some(holder)).await
}

/// A listing checked and ready to record.
struct NewListing {
    product_id: Uuid,
    command: ProductCommand,
    claim_stream: String,
    ids: EventIds,
    metadata: pasar_events::Metadata,
}

impl NewListing {
    /// Picks the product's id and validates the listing (before the SKU is claimed, so a
    /// refused listing claims nothing).
    async fn prepare(
        state: &AppState,
        actor: Actor,
        listing: Listing,
        key: Option<&Idempotency>,
    ) -> Result<Self, AppError> {
        let ids = idempotency::event_ids(state, "list-product", actor.id, key).await?;
        let product_id = match ids {
            EventIds::Derived(seed) => Uuid::new_v5(&seed, b"product"),
            EventIds::Random => Uuid::now_v7(),
        };
        let claim_stream = streams::sku_claim(&listing.sku.normalized());
        let command = ProductCommand::List {
            product_id,
            seller_id: actor.id,
            sku: listing.sku.as_str().to_owned(),
            name: listing.name,
            description: listing.description,
            price: listing.price.money(),
            category_id: listing.category_id,
            brand: listing.brand,
            weight_grams: listing.weight_grams,
            condition: listing.condition,
            now: Utc::now(),
        };
        Product::default().decide(&command)?;
        if let Some(category_id) = listing.category_id {
            super::categories::usable_category(state, category_id).await?;
        }
        let metadata = actor.metadata();
        Ok(NewListing {
            product_id,
            command,
            claim_stream,
            ids,
            metadata,
        })
    }

    /// Claims the SKU (from `holder`, what its claim stream was read to hold, or without a
    /// read first when `None`), then records the listing as the product stream's first events
    /// (the id is new: nothing to load). A SKU nobody holds (no holder read, or one read free)
    /// is claimed and listed in one append ([`claims::claim_and_start`]).
    async fn record(
        self,
        state: &AppState,
        holder: Option<claims::Holder>,
    ) -> Result<Outcome<Product>, AppError> {
        let stream = streams::product(self.product_id);
        let (command, ids, metadata) = (&self.command, self.ids, &self.metadata);
        let free = match &holder {
            None => Some(ExpectedVersion::NoStream),
            Some(held) if held.owner.is_none() => Some(ExpectedVersion::from_loaded(held.version)),
            Some(_) => None,
        };
        if let Some(expected) = free {
            let claim = (self.claim_stream.as_str(), expected);
            let (store, owner) = (&state.store, self.product_id);
            let together = claims::claim_and_start::<Product>(
                store, claim, owner, &stream, command, ids, metadata,
            );
            if let Some(outcome) = together.await? {
                return Ok(outcome);
            }
        }
        let store = state.store.as_ref();
        let (claim, owner) = (&self.claim_stream, self.product_id);
        let live = |p: &Product| p.listed;
        let claimed = match holder {
            Some(holder) => {
                claims::claim_from(
                    store,
                    claim,
                    holder,
                    owner,
                    streams::product,
                    live,
                    metadata,
                )
                .await?
            }
            None => claims::claim(store, claim, owner, streams::product, live, metadata).await?,
        };
        if !claimed {
            return Err(Rule::SkuTaken.into());
        }
        match start_stream::<Product>(&state.store, &stream, command, ids, metadata).await {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                claims::release(store, &self.claim_stream, self.product_id, metadata).await;
                Err(e)
            }
        }
    }
}

/// A product the actor may manage: refused if unknown or someone else's.
pub async fn managed_product(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
) -> Result<Product, AppError> {
    let product = load::<Product>(state.store.as_ref(), &streams::product(product_id))
        .await?
        .state;
    may_manage(&product, actor)?;
    Ok(product)
}

/// The sellers of products seen listed, by product id. A product once listed stays listed
/// and keeps its seller (`Product::evolve` never clears either), so an entry is never stale;
/// bounded, and only saves the product stream's read before a stock command.
static LISTED_BY: LazyLock<moka::sync::Cache<Uuid, Uuid>> =
    LazyLock::new(|| moka::sync::Cache::new(16_384));

/// [`managed_product`] for a caller that needs only the answer (stock receipts and
/// adjustments): the product's seller is remembered once seen listed, so a busy product's
/// stock commands do not read its stream each time.
async fn may_manage_product(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
) -> Result<(), AppError> {
    let Some(seller_id) = LISTED_BY.get(&product_id) else {
        let product = managed_product(state, actor, product_id).await?;
        LISTED_BY.insert(product_id, product.seller_id);
        return Ok(());
    };
    let known = Product {
        listed: true,
        product_id,
        seller_id,
        ..Product::default()
    };
    may_manage(&known, actor)
}

/// Refuses a product that is not listed or that the actor may not manage.
fn may_manage(product: &Product, actor: Actor) -> Result<(), AppError> {
    if !product.listed {
        return Err(Rule::ProductNotFound.into());
    }
    if !product.can_be_managed_by(actor.id, actor.role) || actor.role == Role::Buyer {
        return Err(Rule::NotProductOwner.into());
    }
    Ok(())
}

/// Goods arrived for a product the actor manages.
pub async fn receive_stock(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    quantity: i64,
    key: Option<&Idempotency>,
) -> Result<Outcome<Stock>, AppError> {
    may_manage_product(state, actor, product_id).await?;
    let command = StockCommand::Receive { quantity };
    let ids = idempotency::event_ids(state, "stock-receipt", actor.id, key).await?;
    let stream = streams::stock(product_id);
    execute::<Stock>(&state.store, &stream, &command, ids, &actor.metadata()).await
}

/// Goods that arrive with a listing (an import line's stock): `product` is the one the actor
/// has just listed, so its stock stream is new and is neither loaded nor read first.
pub async fn receive_first_stock(
    state: &AppState,
    actor: Actor,
    product: &Product,
    quantity: i64,
    key: Option<&Idempotency>,
) -> Result<Outcome<Stock>, AppError> {
    may_manage(product, actor)?;
    let command = StockCommand::Receive { quantity };
    let ids = idempotency::event_ids(state, "stock-receipt", actor.id, key).await?;
    let stream = streams::stock(product.product_id);
    start_stream::<Stock>(&state.store, &stream, &command, ids, &actor.metadata()).await
}

/// A change to a product its seller (or an admin) makes.
#[derive(Debug, Clone)]
pub enum ProductChange {
    /// `ProductCommand::Edit`: only the given fields change.
    Edit(ProductCommand),
    Discontinue,
    Reactivate,
}

impl ProductChange {
    fn action(&self) -> &'static str {
        match self {
            ProductChange::Edit(_) => "product-edit",
            ProductChange::Discontinue => "product-discontinue",
            ProductChange::Reactivate => "product-reactivate",
        }
    }
}

/// Edits, discontinues or reactivates a product the actor manages. A price change never
/// touches an order already placed: orders carry their own prices.
pub async fn change_product(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    change: ProductChange,
    key: Option<&Idempotency>,
) -> Result<Outcome<Product>, AppError> {
    managed_product(state, actor, product_id).await?;
    if let ProductChange::Edit(ProductCommand::Edit {
        category: Some(Some(category_id)),
        ..
    }) = &change
    {
        super::categories::usable_category(state, *category_id).await?;
    }
    let ids = idempotency::event_ids(state, change.action(), actor.id, key).await?;
    let now = Utc::now();
    let command = match change {
        ProductChange::Edit(command) => command,
        ProductChange::Discontinue => ProductCommand::Discontinue { now },
        ProductChange::Reactivate => ProductCommand::Reactivate { now },
    };
    let stream = streams::product(product_id);
    execute::<Product>(&state.store, &stream, &command, ids, &actor.metadata()).await
}

/// Why stock is corrected by hand.
pub const ADJUSTMENT_REASONS: &[&str] = &["damaged", "lost", "found", "recount", "returned"];

/// Corrects a product's stock by `delta` (either sign), never below what is reserved. The
/// reason is one of [`ADJUSTMENT_REASONS`], with an optional note, and stays in the stock's
/// history.
pub async fn adjust_stock(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    delta: i64,
    reason: String,
    key: Option<&Idempotency>,
) -> Result<Outcome<Stock>, AppError> {
    may_manage_product(state, actor, product_id).await?;
    let command = StockCommand::Adjust { delta, reason };
    let ids = idempotency::event_ids(state, "stock-adjustment", actor.id, key).await?;
    let stream = streams::stock(product_id);
    execute::<Stock>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
