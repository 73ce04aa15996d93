use pasar_domain::customer::{Customer, CustomerCommand, CustomerError, StoreProfile};
use pasar_events::types::{CustomerEvent, Role};

use crate::support::{at, given, id};

fn registered(role: Role) -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: id(1),
        email: "toko@example.com".into(),
        full_name: "Toko Budi".into(),
        role,
        password_hash: "$argon2id$hash".into(),
        registered_at: at(0),
    }
}

fn profile(store_name: &str, description: &str) -> StoreProfile {
    StoreProfile {
        store_name: store_name.into(),
        description: description.into(),
        origin_id: 17_473,
        origin_label: "GAMBIR, JAKARTA PUSAT".into(),
    }
}

fn set(store_name: &str, description: &str) -> CustomerCommand {
    CustomerCommand::SetStoreProfile {
        profile: profile(store_name, description),
        now: at(5),
    }
}

fn profile_set() -> CustomerEvent {
    CustomerEvent::StoreProfileSet {
        store_name: "Toko Budi".into(),
        description: "Kopi Gayo".into(),
        origin_id: 17_473,
        origin_label: "GAMBIR, JAKARTA PUSAT".into(),
        set_at: at(5),
    }
}

#[test]
fn a_seller_sets_a_trimmed_store_profile() {
    let customer = given::<Customer>([registered(Role::Seller)])
        .when(set("  Toko Budi ", " Kopi Gayo "))
        .then([profile_set()]);
    assert_eq!(customer.store, Some(profile("Toko Budi", "Kopi Gayo")));
}

#[test]
fn an_admin_may_keep_a_store_too() {
    given::<Customer>([registered(Role::Admin)])
        .when(set("Toko Budi", "Kopi Gayo"))
        .then([profile_set()]);
}

#[test]
fn the_same_profile_again_records_nothing() {
    given::<Customer>([registered(Role::Seller), profile_set()])
        .when(set("Toko Budi", "Kopi Gayo"))
        .then_nothing();
}

#[test]
fn a_changed_origin_is_recorded() {
    let command = CustomerCommand::SetStoreProfile {
        profile: StoreProfile {
            origin_id: 1,
            origin_label: "SUKAJADI, BANDUNG".into(),
            ..profile("Toko Budi", "Kopi Gayo")
        },
        now: at(9),
    };
    let customer = given::<Customer>([registered(Role::Seller), profile_set()])
        .when(command)
        .then([CustomerEvent::StoreProfileSet {
            store_name: "Toko Budi".into(),
            description: "Kopi Gayo".into(),
            origin_id: 1,
            origin_label: "SUKAJADI, BANDUNG".into(),
            set_at: at(9),
        }]);
    assert_eq!(customer.store.map(|s| s.origin_id), Some(1));
}

#[test]
fn a_buyer_has_no_store() {
    given::<Customer>([registered(Role::Buyer)])
        .when(set("Toko Budi", ""))
        .then_rejected(CustomerError::NotASeller);
}

#[test]
fn nobody_unregistered_has_a_store() {
    given::<Customer>([])
        .when(set("Toko Budi", ""))
        .then_rejected(CustomerError::NotRegistered);
}

#[test]
fn a_blank_or_long_name_and_a_long_description_are_refused() {
    given::<Customer>([registered(Role::Seller)])
        .when(set("   ", ""))
        .then_rejected(CustomerError::InvalidStoreName);
    given::<Customer>([registered(Role::Seller)])
        .when(set(&"x".repeat(101), ""))
        .then_rejected(CustomerError::InvalidStoreName);
    given::<Customer>([registered(Role::Seller)])
        .when(set("Toko", &"x".repeat(2001)))
        .then_rejected(CustomerError::InvalidStoreDescription);
}
