//! A product as the index keeps it: what the catalog's events say, folded per product.
//!
//! [`ProductDoc`] is plain state with `evolve`-style methods that never fail; each remembers
//! the last applied version of the product and stock streams, so an event delivered twice
//! (delivery is at least once) changes nothing.

use pasar_events::types::{ProductCondition, ProductEvent, StockEvent};
use uuid::Uuid;

/// Everything the index stores for one product (document id = product id).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductDoc {
    /// The product id, also the document id.
    pub id: Uuid,
    /// A `ProductListed` has been applied (stock may arrive first).
    pub listed: bool,
    /// A `ProductDiscontinued` has been applied.
    pub discontinued: bool,
    /// Listing name.
    pub name: String,
    /// Listing description.
    pub description: String,
    /// Brand as written by the seller.
    pub brand: Option<String>,
    /// Seller's customer id.
    pub seller_id: Option<Uuid>,
    /// Catalog category.
    pub category_id: Option<Uuid>,
    /// `new`, `used` or `refurbished`.
    pub condition: String,
    /// Price in rupiah.
    pub price: i64,
    /// Units available to sell (from the stock stream).
    pub available: i64,
    /// Listing time, milliseconds since the epoch.
    pub listed_at_ms: i64,
    /// Last applied version of `product-{id}` (0 = none).
    pub product_version: i64,
    /// Last applied version of `stock-{id}` (0 = none).
    pub stock_version: i64,
}

/// The stored name of a condition.
pub fn condition_name(condition: ProductCondition) -> &'static str {
    match condition {
        ProductCondition::New => "new",
        ProductCondition::Used => "used",
        ProductCondition::Refurbished => "refurbished",
    }
}

impl ProductDoc {
    /// An empty document for a product nothing is known about yet.
    pub fn empty(id: Uuid) -> ProductDoc {
        ProductDoc {
            id,
            condition: "new".to_owned(),
            ..ProductDoc::default()
        }
    }

    /// Searchable: listed and not discontinued.
    pub fn active(&self) -> bool {
        self.listed && !self.discontinued
    }

    /// Applies an event of `product-{id}` at `version`; false if it was already applied.
    pub fn apply_product(&mut self, version: i64, event: &ProductEvent) -> bool {
        if version <= self.product_version {
            return false;
        }
        self.product_version = version;
        match event {
            ProductEvent::ProductListed {
                seller_id,
                name,
                description,
                price,
                category_id,
                brand,
                condition,
                listed_at,
                ..
            } => {
                self.listed = true;
                self.name.clone_from(name);
                self.description.clone_from(description);
                self.price = price.amount;
                self.category_id = *category_id;
                self.brand = brand.as_ref().map(|b| b.trim().to_owned());
                self.seller_id = Some(*seller_id);
                self.condition = condition_name(*condition).to_owned();
                self.listed_at_ms = listed_at.timestamp_millis();
            }
            ProductEvent::ProductDiscontinued { .. } => self.discontinued = true,
            ProductEvent::ProductReactivated { .. } => self.discontinued = false,
            ProductEvent::ProductRepriced { price, .. } => self.price = price.amount,
            ProductEvent::ProductEdited {
                name,
                description,
                brand,
                condition,
                ..
            } => {
                if let Some(name) = name {
                    self.name.clone_from(name);
                }
                if let Some(description) = description {
                    self.description.clone_from(description);
                }
                if let Some(brand) = brand {
                    self.brand = Some(brand.trim().to_owned());
                }
                if let Some(condition) = condition {
                    self.condition = condition_name(*condition).to_owned();
                }
            }
            ProductEvent::ProductCategorised { category_id, .. } => {
                self.category_id = *category_id;
            }
            ProductEvent::ProductLowStockThresholdSet { .. } => {}
        }
        true
    }

    /// Applies an event of `stock-{id}` at `version`; false if it was already applied.
    pub fn apply_stock(&mut self, version: i64, event: &StockEvent) -> bool {
        if version <= self.stock_version {
            return false;
        }
        self.stock_version = version;
        self.available = match event {
            StockEvent::StockReceived { available, .. }
            | StockEvent::StockAdjusted { available, .. }
            | StockEvent::StockReserved { available, .. }
            | StockEvent::ReservationReleased { available, .. }
            | StockEvent::ReservationCommitted { available, .. }
            | StockEvent::StockReturned { available, .. } => *available,
        };
        true
    }
}
