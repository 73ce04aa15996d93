//! A customer's address book (`addresses-{customer}`): at most [`MAX_ADDRESSES`] entries, each
//! a validated [`Address`] with an optional label, and exactly one default whenever the book
//! is not empty (the first entry added; the oldest remaining one when the default is removed;
//! or the one the customer chooses). Checkout can ship to an entry by its id.

use chrono::{DateTime, Utc};
use pasar_events::types::{AddressBookEvent, ShippingAddress};
use uuid::Uuid;

use crate::values::{Address, Text};
use crate::{Aggregate, FieldError};

/// Most entries one book holds.
pub const MAX_ADDRESSES: usize = 10;

/// A label such as "Rumah" or "Kantor": 1 to 50 characters.
pub type Label = Text<1, 50>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressBook {
    /// In the order they were added.
    pub entries: Vec<Entry>,
    pub default: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub address_id: Uuid,
    pub label: Option<String>,
    pub address: ShippingAddress,
}

impl AddressBook {
    pub fn entry(&self, address_id: Uuid) -> Option<&Entry> {
        self.entries.iter().find(|e| e.address_id == address_id)
    }

    pub fn is_default(&self, address_id: Uuid) -> bool {
        self.default == Some(address_id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AddressBookCommand {
    /// `make_default` is implied for the book's first entry.
    Add {
        address_id: Uuid,
        label: Option<Label>,
        address: Address,
        make_default: bool,
        now: DateTime<Utc>,
    },
    /// `None` leaves a part as it is; `label: Some(None)` clears the label. The address
    /// fields given replace the entry's, and the result must be a valid [`Address`].
    Change {
        address_id: Uuid,
        label: Option<Option<Label>>,
        address: AddressPatch,
        make_default: Option<bool>,
        now: DateTime<Utc>,
    },
    Remove {
        address_id: Uuid,
        now: DateTime<Utc>,
    },
}

/// The address fields a change replaces (`None`: kept). Checked as a whole once merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressPatch {
    pub recipient: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    /// `Some(None)` clears it.
    pub destination_id: Option<Option<u32>>,
}

impl AddressPatch {
    /// `current` with these fields replaced, validated.
    pub fn apply(&self, current: &ShippingAddress) -> Result<Address, Vec<FieldError>> {
        let pick = |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
        Address::parse(&ShippingAddress {
            recipient: pick(&self.recipient, &current.recipient),
            phone: pick(&self.phone, &current.phone),
            address: pick(&self.address, &current.address),
            city: pick(&self.city, &current.city),
            postal_code: pick(&self.postal_code, &current.postal_code),
            country_code: pick(&self.country_code, &current.country_code),
            destination_id: self.destination_id.unwrap_or(current.destination_id),
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AddressBookError {
    #[error("an address book holds at most {max} addresses")]
    Full { max: usize },
    #[error("no such address in this address book")]
    NotFound,
    /// The default can only be moved, by making another entry the default.
    #[error("the default address stays the default until another one is made the default")]
    DefaultRequired,
    /// The entry the change would leave is not a valid address.
    #[error("the changed address is invalid")]
    Invalid(Vec<FieldError>),
}

impl Aggregate for AddressBook {
    type Event = AddressBookEvent;
    type Command = AddressBookCommand;
    type Error = AddressBookError;

    fn decide(&self, command: &AddressBookCommand) -> Result<Vec<AddressBookEvent>, Self::Error> {
        match command {
            AddressBookCommand::Add {
                address_id,
                label,
                address,
                make_default,
                now,
            } => self.add(*address_id, label, address, *make_default, *now),
            AddressBookCommand::Change {
                address_id,
                label,
                address,
                make_default,
                now,
            } => self.change(*address_id, label.as_ref(), address, *make_default, *now),
            AddressBookCommand::Remove { address_id, now } => self.remove(*address_id, *now),
        }
    }

    fn evolve(mut self, event: &AddressBookEvent) -> Self {
        match event {
            AddressBookEvent::AddressAdded {
                address_id,
                label,
                address,
                ..
            } => self.entries.push(Entry {
                address_id: *address_id,
                label: label.clone(),
                address: address.clone(),
            }),
            AddressBookEvent::AddressChanged {
                address_id,
                label,
                address,
                ..
            } => {
                if let Some(entry) = self
                    .entries
                    .iter_mut()
                    .find(|e| e.address_id == *address_id)
                {
                    entry.label.clone_from(label);
                    entry.address = address.clone();
                }
            }
            AddressBookEvent::AddressRemoved { address_id, .. } => {
                self.entries.retain(|e| e.address_id != *address_id);
                if self.default == Some(*address_id) {
                    self.default = None;
                }
            }
            AddressBookEvent::DefaultAddressChosen { address_id, .. } => {
                self.default = Some(*address_id);
            }
        }
        self
    }
}

impl AddressBook {
    fn add(
        &self,
        address_id: Uuid,
        label: &Option<Label>,
        address: &Address,
        make_default: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<AddressBookEvent>, AddressBookError> {
        if self.entry(address_id).is_some() {
            return Ok(vec![]);
        }
        if self.entries.len() >= MAX_ADDRESSES {
            return Err(AddressBookError::Full { max: MAX_ADDRESSES });
        }
        let mut events = vec![AddressBookEvent::AddressAdded {
            address_id,
            label: label.as_ref().map(|l| l.as_str().to_owned()),
            address: address.as_shipping().clone(),
            added_at: now,
        }];
        if make_default || self.default.is_none() {
            events.push(AddressBookEvent::DefaultAddressChosen {
                address_id,
                chosen_at: now,
            });
        }
        Ok(events)
    }

    fn change(
        &self,
        address_id: Uuid,
        label: Option<&Option<Label>>,
        patch: &AddressPatch,
        make_default: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AddressBookEvent>, AddressBookError> {
        let entry = self.entry(address_id).ok_or(AddressBookError::NotFound)?;
        let is_default = self.is_default(address_id);
        if make_default == Some(false) && is_default {
            return Err(AddressBookError::DefaultRequired);
        }
        let new_label = match label {
            Some(label) => label.as_ref().map(|l| l.as_str().to_owned()),
            None => entry.label.clone(),
        };
        let new_address = patch
            .apply(&entry.address)
            .map_err(AddressBookError::Invalid)?
            .as_shipping()
            .clone();
        let mut events = Vec::new();
        if new_label != entry.label || new_address != entry.address {
            events.push(AddressBookEvent::AddressChanged {
                address_id,
                label: new_label,
                address: new_address,
                changed_at: now,
            });
        }
        if make_default == Some(true) && !is_default {
            events.push(AddressBookEvent::DefaultAddressChosen {
                address_id,
                chosen_at: now,
            });
        }
        Ok(events)
    }

    fn remove(
        &self,
        address_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<AddressBookEvent>, AddressBookError> {
        self.entry(address_id).ok_or(AddressBookError::NotFound)?;
        let mut events = vec![AddressBookEvent::AddressRemoved {
            address_id,
            removed_at: now,
        }];
        let successor = self.entries.iter().find(|e| e.address_id != address_id);
        if let (true, Some(next)) = (self.is_default(address_id), successor) {
            events.push(AddressBookEvent::DefaultAddressChosen {
                address_id: next.address_id,
                chosen_at: now,
            });
        }
        Ok(events)
    }
}
