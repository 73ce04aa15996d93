use pasar_domain::wishlist::{MAX_ITEMS, Wishlist, WishlistCommand, WishlistError};
use pasar_events::types::{Money, WishlistEvent};
use uuid::Uuid;

use crate::support::{at, given, id};

fn wished(product_id: Uuid) -> WishlistEvent {
    WishlistEvent::ItemWished {
        product_id,
        price: Money::idr(75_000),
        available: 0,
        wished_at: at(0),
    }
}

fn add(product_id: Uuid) -> WishlistCommand {
    WishlistCommand::Add {
        product_id,
        price: Money::idr(75_000),
        available: 0,
        now: at(0),
    }
}

#[test]
fn a_wished_product_keeps_its_first_price_and_stock() {
    given::<Wishlist>([]).when(add(id(1))).then([wished(id(1))]);
    given::<Wishlist>([wished(id(1))])
        .when(WishlistCommand::Add {
            product_id: id(1),
            price: Money::idr(1),
            available: 9,
            now: at(5),
        })
        .then_nothing();
}

#[test]
fn a_wishlist_holds_at_most_five_hundred_products() {
    let full: Vec<WishlistEvent> = (0..MAX_ITEMS as u128)
        .map(|n| wished(id(100 + n)))
        .collect();
    given::<Wishlist>(full.clone())
        .when(add(id(1)))
        .then_rejected(WishlistError::Full { max: MAX_ITEMS });
    given::<Wishlist>(full).when(add(id(100))).then_nothing();
}

#[test]
fn removing_is_idempotent() {
    let removed = WishlistEvent::ItemUnwished {
        product_id: id(1),
        unwished_at: at(1),
    };
    let remove = WishlistCommand::Remove {
        product_id: id(1),
        now: at(1),
    };
    let list = given::<Wishlist>([wished(id(1))])
        .when(remove.clone())
        .then([removed]);
    assert!(list.items.is_empty());
    given::<Wishlist>([]).when(remove).then_nothing();
}
