//! Typed events of every stream. One definition of each fact.
//!
//! Each enum is stored adjacently tagged: the variant name is the stored `event_type` and its
//! named fields are the JSON `data`, so stored events are self-describing. Each event type has
//! its own schema version (`upcast::current_version`); older stored versions are upcast to the
//! current shape before typed decoding, so readers only ever see the current one.

mod address_book;
mod cart;
mod catalog;
mod category;
mod checkout;
mod customer;
mod images;
mod import;
mod money;
mod order;
mod payment;
mod profile;
mod review;
mod sensitive;
mod wallet;
mod wishlist;

pub use address_book::AddressBookEvent;
pub use cart::CartEvent;
pub use catalog::{DEFAULT_LOW_STOCK_THRESHOLD, ProductCondition, ProductEvent, StockEvent};
pub use category::CategoryEvent;
pub use checkout::{
    CheckoutEvent, CheckoutOutcome, CheckoutRejection, PaymentHandle, PlacedOrder, PlannedOrder,
    ShortLine,
};
pub use customer::{ClaimEvent, CustomerEvent, Role};
pub use images::ImageThumbnail;
pub use import::{ImportEvent, ImportRow, LineOutcome, LineReport};
pub use money::{Currency, Money, MoneyError};
pub use order::{OrderEvent, OrderLine, OrderStatus, ShippingAddress};
pub use payment::{PaymentEvent, PaymentFailure};
pub use profile::Locale;
pub use review::{ReviewEvent, ReviewStatus};
pub use sensitive::{SENSITIVE_KEY, Sensitive, is_sensitive};
pub use wallet::{WalletCreditSource, WalletEvent};
pub use wishlist::WishlistEvent;

use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::envelope::{Metadata, NewEvent, RecordedEvent};

/// A stored payload could not be turned into a typed event.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode {event_type} v{schema_version}: {message}")]
pub struct EventDecodeError {
    pub event_type: String,
    pub schema_version: i32,
    pub message: String,
}

/// A typed event of one stream category.
pub trait DomainEvent: Serialize + DeserializeOwned + Sized {
    /// Stable stored type name (the variant name).
    fn event_type(&self) -> String {
        let value = serde_json::to_value(self).expect("invariant: events serialize to JSON");
        value["type"]
            .as_str()
            .expect("invariant: events are adjacently tagged")
            .to_owned()
    }

    /// The payload without its tag.
    fn to_data(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("invariant: events serialize to JSON");
        value
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null)
    }

    /// Wraps the event for appending. The event is serialized once, for its tag and its
    /// payload both (every command appends through here).
    fn to_new_event(&self, event_id: Uuid, metadata: Metadata) -> NewEvent {
        let mut value = serde_json::to_value(self).expect("invariant: events serialize to JSON");
        let event_type = value["type"]
            .as_str()
            .expect("invariant: events are adjacently tagged")
            .to_owned();
        NewEvent {
            event_id,
            schema_version: crate::upcast::current_version(&event_type),
            event_type,
            data: value
                .get_mut("data")
                .map(serde_json::Value::take)
                .unwrap_or(serde_json::Value::Null),
            metadata,
        }
    }

    /// Decodes a stored event of this category (after upcasting it to the current version).
    fn decode(event: &RecordedEvent) -> Result<Self, EventDecodeError> {
        decode_parts(&event.event_type, event.schema_version, &event.data)
    }
}

/// Decodes a payload given its stored type and version.
pub fn decode_parts<E: DomainEvent>(
    event_type: &str,
    schema_version: i32,
    data: &serde_json::Value,
) -> Result<E, EventDecodeError> {
    let error = |message: String| EventDecodeError {
        event_type: event_type.to_owned(),
        schema_version,
        message,
    };
    let current = crate::upcast::current_version(event_type);
    if schema_version > current {
        return Err(error(format!(
            "newer than this build understands (v{current})"
        )));
    }
    let (reached, data) = crate::upcast::upcast(event_type, schema_version, data.clone());
    if reached != current {
        return Err(error(format!("no upcaster from v{reached} to v{current}")));
    }
    let tagged = serde_json::json!({ "type": event_type, "data": data });
    serde_json::from_value(tagged).map_err(|e| error(e.to_string()))
}

/// Stream names, `<category>-<id>`, and the typed [`streams::Category`] they belong to.
pub mod streams {
    use uuid::Uuid;

    /// Every stream category of the log. The only place where a category is spelled as a
    /// string: everything else names a variant.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Category {
        Customer,
        Product,
        Stock,
        Cart,
        Order,
        Payment,
        Checkout,
        /// Uniqueness claim on a normalised email address.
        EmailClaim,
        /// Uniqueness claim on a normalised SKU.
        SkuClaim,
        /// The category tree: one stream, [`CATEGORY_TREE`].
        Categories,
        /// A seller's CSV product import.
        Import,
        /// A customer's address book.
        AddressBook,
        /// A buyer's wallet, keyed by the customer id.
        Wallet,
        /// A buyer's review of a product of one order line.
        Review,
        /// A buyer's wishlist.
        Wishlist,
    }

    impl Category {
        /// Every category, in a fixed order.
        pub const ALL: [Category; 15] = [
            Category::Customer,
            Category::Product,
            Category::Stock,
            Category::Cart,
            Category::Order,
            Category::Payment,
            Category::Checkout,
            Category::EmailClaim,
            Category::SkuClaim,
            Category::Categories,
            Category::Import,
            Category::AddressBook,
            Category::Wallet,
            Category::Review,
            Category::Wishlist,
        ];

        /// The stream-name prefix (`product` in `product-<id>`).
        pub const fn as_str(self) -> &'static str {
            match self {
                Category::Customer => "customer",
                Category::Product => "product",
                Category::Stock => "stock",
                Category::Cart => "cart",
                Category::Order => "order",
                Category::Payment => "payment",
                Category::Checkout => "checkout",
                Category::EmailClaim => "email",
                Category::SkuClaim => "sku",
                Category::Categories => "categories",
                Category::Import => "import",
                Category::AddressBook => "addresses",
                Category::Wallet => "wallet",
                Category::Review => "review",
                Category::Wishlist => "wishlist",
            }
        }

        /// The category of a stream name, if it is one of ours.
        pub fn of(stream: &str) -> Option<Category> {
            let prefix = crate::envelope::category_of(stream);
            Category::ALL.into_iter().find(|c| c.as_str() == prefix)
        }

        /// The stream `<category>-<key>`.
        pub fn stream(self, key: impl std::fmt::Display) -> String {
            format!("{}-{key}", self.as_str())
        }
    }

    impl std::fmt::Display for Category {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.as_str())
        }
    }

    pub fn customer(id: Uuid) -> String {
        Category::Customer.stream(id)
    }
    pub fn product(id: Uuid) -> String {
        Category::Product.stream(id)
    }
    pub fn stock(product_id: Uuid) -> String {
        Category::Stock.stream(product_id)
    }
    pub fn cart(customer_id: Uuid) -> String {
        Category::Cart.stream(customer_id)
    }
    pub fn order(id: Uuid) -> String {
        Category::Order.stream(id)
    }
    pub fn payment(id: Uuid) -> String {
        Category::Payment.stream(id)
    }
    pub fn checkout(id: Uuid) -> String {
        Category::Checkout.stream(id)
    }
    /// Uniqueness claim on an email address (already normalised by the caller).
    pub fn email_claim(normalized_email: &str) -> String {
        Category::EmailClaim.stream(normalized_email)
    }
    /// Uniqueness claim on a SKU (already normalised by the caller).
    pub fn sku_claim(normalized_sku: &str) -> String {
        Category::SkuClaim.stream(normalized_sku)
    }

    /// The one stream of the category tree.
    pub const CATEGORY_TREE: &str = "categories-tree";
    pub fn import(id: Uuid) -> String {
        Category::Import.stream(id)
    }
    /// A customer's address book.
    pub fn address_book(customer_id: Uuid) -> String {
        Category::AddressBook.stream(customer_id)
    }

    /// A buyer's wallet.
    pub fn wallet(customer_id: Uuid) -> String {
        Category::Wallet.stream(customer_id)
    }

    /// A buyer's review.
    pub fn review(id: Uuid) -> String {
        Category::Review.stream(id)
    }

    /// A buyer's wishlist.
    pub fn wishlist(customer_id: Uuid) -> String {
        Category::Wishlist.stream(customer_id)
    }

    /// The id part of a `<category>-<uuid>` stream name.
    pub fn id_of(stream: &str) -> Option<Uuid> {
        stream.split_once('-').and_then(|(_, id)| id.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_round_trips_through_its_stored_form() {
        let event = CartEvent::CartItemRemoved {
            product_id: Uuid::nil(),
        };
        let stored = event.to_new_event(Uuid::nil(), Metadata::default());
        assert_eq!(stored.event_type, "CartItemRemoved");
        assert_eq!(
            stored.data,
            serde_json::json!({ "product_id": Uuid::nil() })
        );
        let back: CartEvent = decode_parts(&stored.event_type, 1, &stored.data).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_versions_refused() {
        let data = serde_json::json!({ "product_id": Uuid::nil(), "added_later": 1 });
        assert!(decode_parts::<CartEvent>("CartItemRemoved", 1, &data).is_ok());
        assert!(decode_parts::<CartEvent>("CartItemRemoved", 2, &data).is_err());
        assert!(
            decode_parts::<CartEvent>("CartItemRemoved", 0, &data).is_err(),
            "no upcaster from v0"
        );
    }
}
