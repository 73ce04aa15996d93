use pasar_domain::address_book::{
    AddressBook, AddressBookCommand, AddressBookError, AddressPatch, Label, MAX_ADDRESSES,
};
use pasar_domain::values::Address;
use pasar_events::types::{AddressBookEvent, ShippingAddress};

use crate::support::{at, given, id};

fn shipping(city: &str) -> ShippingAddress {
    ShippingAddress {
        recipient: "Ani".into(),
        phone: "081234567890".into(),
        address: "Jl. Dago 1".into(),
        city: city.into(),
        postal_code: "40135".into(),
        country_code: String::new(),
        destination_id: None,
    }
}

fn add(n: u128, make_default: bool) -> AddressBookCommand {
    AddressBookCommand::Add {
        address_id: id(n),
        label: Some(Label::parse("Rumah").unwrap()),
        address: Address::parse(&shipping("Bandung")).unwrap(),
        make_default,
        now: at(0),
    }
}

fn added(n: u128) -> AddressBookEvent {
    AddressBookEvent::AddressAdded {
        address_id: id(n),
        label: Some("Rumah".into()),
        address: shipping("Bandung"),
        added_at: at(0),
    }
}

fn chosen(n: u128) -> AddressBookEvent {
    AddressBookEvent::DefaultAddressChosen {
        address_id: id(n),
        chosen_at: at(0),
    }
}

fn change(n: u128, patch: AddressPatch, make_default: Option<bool>) -> AddressBookCommand {
    AddressBookCommand::Change {
        address_id: id(n),
        label: None,
        address: patch,
        make_default,
        now: at(0),
    }
}

#[test]
fn the_first_address_becomes_the_default_and_later_ones_only_when_asked() {
    let book = given::<AddressBook>([])
        .when(add(1, false))
        .then([added(1), chosen(1)]);
    assert_eq!(book.default, Some(id(1)));
    given::<AddressBook>([added(1), chosen(1)])
        .when(add(2, false))
        .then([added(2)]);
    given::<AddressBook>([added(1), chosen(1)])
        .when(add(2, true))
        .then([added(2), chosen(2)]);
}

#[test]
fn an_eleventh_address_is_refused() {
    let full: Vec<AddressBookEvent> = (1..=MAX_ADDRESSES as u128).map(added).collect();
    given::<AddressBook>(full)
        .when(add(99, false))
        .then_rejected(AddressBookError::Full { max: MAX_ADDRESSES });
}

#[test]
fn a_change_merges_the_fields_given_and_is_checked_whole() {
    let patch = AddressPatch {
        city: Some("Sleman".into()),
        ..AddressPatch::default()
    };
    given::<AddressBook>([added(1), chosen(1)])
        .when(change(1, patch, None))
        .then([AddressBookEvent::AddressChanged {
            address_id: id(1),
            label: Some("Rumah".into()),
            address: shipping("Sleman"),
            changed_at: at(0),
        }]);
    let blank = AddressPatch {
        recipient: Some(" ".into()),
        ..AddressPatch::default()
    };
    let error = given::<AddressBook>([added(1), chosen(1)])
        .when(change(1, blank, None))
        .error();
    assert!(
        matches!(error, AddressBookError::Invalid(ref e) if e[0].field == "shipping_address.recipient"),
        "{error:?}"
    );
}

#[test]
fn making_another_entry_the_default_moves_it_and_the_default_cannot_be_unset() {
    let history = [added(1), chosen(1), added(2)];
    let book = given::<AddressBook>(history.clone())
        .when(change(2, AddressPatch::default(), Some(true)))
        .then([chosen(2)]);
    assert!(book.is_default(id(2)) && !book.is_default(id(1)));
    given::<AddressBook>(history.clone())
        .when(change(1, AddressPatch::default(), Some(false)))
        .then_rejected(AddressBookError::DefaultRequired);
    given::<AddressBook>(history)
        .when(change(1, AddressPatch::default(), Some(true)))
        .then_nothing();
}

#[test]
fn removing_the_default_makes_the_oldest_remaining_entry_the_default() {
    let removed = |n| AddressBookEvent::AddressRemoved {
        address_id: id(n),
        removed_at: at(0),
    };
    given::<AddressBook>([added(1), chosen(1), added(2), added(3)])
        .when(AddressBookCommand::Remove {
            address_id: id(1),
            now: at(0),
        })
        .then([removed(1), chosen(2)]);
    given::<AddressBook>([added(1), chosen(1)])
        .when(AddressBookCommand::Remove {
            address_id: id(5),
            now: at(0),
        })
        .then_rejected(AddressBookError::NotFound);
}
