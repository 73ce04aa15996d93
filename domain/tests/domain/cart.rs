use pasar_domain::cart::{Cart, CartCommand, CartError, MAX_LINE_QUANTITY, MAX_LINES};
use pasar_events::types::CartEvent;
use uuid::Uuid;

use crate::support::{given, id};

fn added(product_id: Uuid, quantity: i64, line_quantity: i64) -> CartEvent {
    CartEvent::CartItemAdded {
        product_id,
        quantity,
        line_quantity,
    }
}

fn add(product_id: Uuid, quantity: i64) -> CartCommand {
    CartCommand::AddItem {
        product_id,
        quantity,
    }
}

fn set(product_id: Uuid, quantity: i64) -> CartCommand {
    CartCommand::SetQuantity {
        product_id,
        quantity,
    }
}

/// A cart already holding the maximum number of distinct products, one unit each.
fn full_cart() -> Vec<CartEvent> {
    (0..MAX_LINES as u128)
        .map(|n| added(id(100 + n), 1, 1))
        .collect()
}

#[test]
fn adding_a_product_creates_a_line_with_its_quantity() {
    let cart = given::<Cart>([])
        .when(add(id(1), 2))
        .then([added(id(1), 2, 2)]);
    assert_eq!(cart.lines().get(&id(1)), Some(&2));
}

#[test]
fn adding_more_of_a_product_reports_the_new_line_quantity() {
    given::<Cart>([added(id(1), 2, 2)])
        .when(add(id(1), 3))
        .then([added(id(1), 3, 5)]);
}

#[test]
fn adding_fewer_than_one_or_more_than_999_units_is_rejected() {
    for quantity in [0, -1, MAX_LINE_QUANTITY + 1] {
        given::<Cart>([])
            .when(add(id(1), quantity))
            .then_rejected(CartError::InvalidQuantity);
    }
    given::<Cart>([])
        .when(add(id(1), MAX_LINE_QUANTITY))
        .then([added(id(1), 999, 999)]);
}

#[test]
fn a_line_cannot_grow_beyond_999_units() {
    given::<Cart>([added(id(1), 990, 990)])
        .when(add(id(1), 10))
        .then_rejected(CartError::LineQuantityTooLarge {
            max: MAX_LINE_QUANTITY,
        });
}

#[test]
fn a_cart_holds_at_most_50_different_products() {
    given::<Cart>(full_cart())
        .when(add(id(1), 1))
        .then_rejected(CartError::TooManyLines { max: MAX_LINES });
    given::<Cart>(full_cart())
        .when(add(id(100), 1))
        .then([added(id(100), 1, 2)]);
}

#[test]
fn setting_a_quantity_replaces_the_line() {
    let cart = given::<Cart>([added(id(1), 2, 2)])
        .when(set(id(1), 7))
        .then([CartEvent::CartItemQuantitySet {
            product_id: id(1),
            quantity: 7,
        }]);
    assert_eq!(cart.quantity_of(id(1)), 7);
}

#[test]
fn setting_a_quantity_on_an_absent_product_creates_the_line() {
    given::<Cart>([])
        .when(set(id(1), 4))
        .then([CartEvent::CartItemQuantitySet {
            product_id: id(1),
            quantity: 4,
        }]);
}

#[test]
fn setting_quantity_zero_removes_the_line() {
    let cart = given::<Cart>([added(id(1), 2, 2)])
        .when(set(id(1), 0))
        .then([CartEvent::CartItemRemoved { product_id: id(1) }]);
    assert!(cart.is_empty());
}

#[test]
fn setting_quantity_zero_on_an_absent_product_changes_nothing() {
    given::<Cart>([]).when(set(id(1), 0)).then_nothing();
}

#[test]
fn setting_the_quantity_a_line_already_has_changes_nothing() {
    given::<Cart>([added(id(1), 3, 3)])
        .when(set(id(1), 3))
        .then_nothing();
}

#[test]
fn setting_a_negative_quantity_or_more_than_999_is_rejected() {
    given::<Cart>([])
        .when(set(id(1), -1))
        .then_rejected(CartError::InvalidQuantity);
    given::<Cart>([])
        .when(set(id(1), MAX_LINE_QUANTITY + 1))
        .then_rejected(CartError::LineQuantityTooLarge {
            max: MAX_LINE_QUANTITY,
        });
}

#[test]
fn setting_a_quantity_for_a_new_product_in_a_full_cart_is_rejected() {
    given::<Cart>(full_cart())
        .when(set(id(1), 1))
        .then_rejected(CartError::TooManyLines { max: MAX_LINES });
}

#[test]
fn removing_a_line_reports_it_and_removing_an_absent_one_changes_nothing() {
    given::<Cart>([added(id(1), 2, 2)])
        .when(CartCommand::RemoveItem { product_id: id(1) })
        .then([CartEvent::CartItemRemoved { product_id: id(1) }]);
    given::<Cart>([])
        .when(CartCommand::RemoveItem { product_id: id(1) })
        .then_nothing();
}

#[test]
fn clearing_removes_every_line() {
    given::<Cart>([added(id(1), 1, 1), added(id(2), 1, 1)])
        .when(CartCommand::Clear)
        .then([
            CartEvent::CartItemRemoved { product_id: id(1) },
            CartEvent::CartItemRemoved { product_id: id(2) },
        ]);
}

#[test]
fn checking_out_empties_the_cart() {
    let checkout_id = id(9);
    let cart = given::<Cart>([added(id(1), 2, 2)])
        .when(CartCommand::CheckOut { checkout_id })
        .then([CartEvent::CartCheckedOut { checkout_id }]);
    assert!(cart.is_empty());
    assert!(cart.was_checked_out_by(checkout_id));
}

#[test]
fn checking_out_an_empty_cart_is_rejected() {
    given::<Cart>([])
        .when(CartCommand::CheckOut { checkout_id: id(9) })
        .then_rejected(CartError::CartIsEmpty);
}

#[test]
fn a_retried_checkout_changes_nothing() {
    given::<Cart>([
        added(id(1), 2, 2),
        CartEvent::CartCheckedOut { checkout_id: id(9) },
    ])
    .when(CartCommand::CheckOut { checkout_id: id(9) })
    .then_nothing();
}
