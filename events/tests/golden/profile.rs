//! Samples of the profile events (`customer-{id}`) and the address book (`addresses-{id}`),
//! kept beside the main list so each feature adds its own.

use pasar_events::DomainEvent;
use pasar_events::types::*;
use serde_json::Value;

use super::{at, id};

pub fn samples() -> Vec<(&'static str, String, Value)> {
    fn s<E: DomainEvent>(category: &'static str, e: E) -> (&'static str, String, Value) {
        (category, e.event_type(), e.to_data())
    }
    let address = ShippingAddress {
        recipient: "Ani Lestari".into(),
        phone: "081234567890".into(),
        address: "Jl. Dago 1".into(),
        city: "Bandung".into(),
        postal_code: "40135".into(),
        country_code: String::new(),
        destination_id: Some(12_045),
    };
    vec![
        s(
            "customer",
            CustomerEvent::CustomerProfileUpdated {
                full_name: "Ani Lestari".into(),
                phone: Some("+6281234567890".into()),
                locale: Locale::En,
                updated_at: at(),
            },
        ),
        s(
            "customer",
            CustomerEvent::PasswordChanged {
                password_hash: "$argon2id$v=19$new".into(),
                changed_at: at(),
            },
        ),
        s(
            "customer",
            CustomerEvent::AvatarChanged {
                avatar_id: id(20),
                key: format!("images/{}.jpg", "a".repeat(64)),
                content_type: "image/jpeg".into(),
                width: 640,
                height: 480,
                bytes: 51_234,
                changed_at: at(),
            },
        ),
        s(
            "customer",
            CustomerEvent::AvatarThumbnailMade {
                avatar_id: id(20),
                thumbnail: ImageThumbnail {
                    size: 256,
                    key: format!("thumbs/{}.jpg", "b".repeat(64)),
                    content_type: "image/jpeg".into(),
                    width: 256,
                    height: 256,
                },
                made_at: at(),
            },
        ),
        s(
            "addresses",
            AddressBookEvent::AddressAdded {
                address_id: id(21),
                label: Some("Rumah".into()),
                address: address.clone(),
                added_at: at(),
            },
        ),
        s(
            "addresses",
            AddressBookEvent::AddressChanged {
                address_id: id(21),
                label: None,
                address,
                changed_at: at(),
            },
        ),
        s(
            "addresses",
            AddressBookEvent::AddressRemoved {
                address_id: id(21),
                removed_at: at(),
            },
        ),
        s(
            "addresses",
            AddressBookEvent::DefaultAddressChosen {
                address_id: id(21),
                chosen_at: at(),
            },
        ),
    ]
}
