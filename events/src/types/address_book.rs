//! Events of `addresses-{customer}`: a customer's address book (at most ten entries, one of
//! them the default once there is any). Each entry is a whole [`ShippingAddress`] as checkout
//! takes it, with an optional label ("Rumah", "Kantor").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, ShippingAddress};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AddressBookEvent {
    /// A new entry. The first entry of a book is its default (a `DefaultAddressChosen` follows).
    AddressAdded {
        address_id: Uuid,
        label: Option<String>,
        address: ShippingAddress,
        added_at: DateTime<Utc>,
    },
    /// An entry's new label and address (the whole entry, not a diff).
    AddressChanged {
        address_id: Uuid,
        label: Option<String>,
        address: ShippingAddress,
        changed_at: DateTime<Utc>,
    },
    AddressRemoved {
        address_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    /// This entry is now the default; the previous default no longer is.
    DefaultAddressChosen {
        address_id: Uuid,
        chosen_at: DateTime<Utc>,
    },
}

impl DomainEvent for AddressBookEvent {}
