//! The caller's address book (`/v1/me/addresses`), on its own stream `addresses-{customer}`,
//! and the lookup checkout uses to ship to an entry by id.

use chrono::Utc;
use pasar_domain::address_book::{
    AddressBook, AddressBookCommand, AddressBookError, AddressPatch, Label,
};
use pasar_domain::values::Address;
use pasar_events::types::streams;
use uuid::Uuid;

use super::exec::{EventIds, Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState};

/// The caller's book as its stream has it now (empty when they never added an address).
pub async fn list(state: &AppState, actor: Actor) -> Result<AddressBook, AppError> {
    Ok(
        load::<AddressBook>(state.store.as_ref(), &streams::address_book(actor.id))
            .await?
            .state,
    )
}

/// A new entry as the caller sent it.
pub struct NewAddress {
    pub label: Option<Label>,
    pub address: Address,
    pub make_default: bool,
}

/// Adds an entry; answers the book and the new entry's id (the same id again for a retry with
/// the same idempotency key).
pub async fn add(
    state: &AppState,
    actor: Actor,
    new: NewAddress,
    key: Option<&Idempotency>,
) -> Result<(Outcome<AddressBook>, Uuid), AppError> {
    let ids = idempotency::event_ids(state, "address-add", actor.id, key).await?;
    let address_id = match ids {
        EventIds::Derived(seed) => Uuid::new_v5(&seed, b"address"),
        EventIds::Random => Uuid::now_v7(),
    };
    let command = AddressBookCommand::Add {
        address_id,
        label: new.label,
        address: new.address,
        make_default: new.make_default,
        now: Utc::now(),
    };
    let outcome = on_own_book(state, actor, &command, ids).await?;
    Ok((outcome, address_id))
}

/// What a `PATCH` of one entry changes; `None` leaves a part as it is.
pub struct AddressChange {
    pub label: Option<Option<Label>>,
    pub address: AddressPatch,
    pub make_default: Option<bool>,
}

pub async fn change(
    state: &AppState,
    actor: Actor,
    address_id: Uuid,
    change: AddressChange,
    key: Option<&Idempotency>,
) -> Result<Outcome<AddressBook>, AppError> {
    let command = AddressBookCommand::Change {
        address_id,
        label: change.label,
        address: change.address,
        make_default: change.make_default,
        now: Utc::now(),
    };
    let ids = idempotency::event_ids(state, "address-change", actor.id, key).await?;
    on_own_book(state, actor, &command, ids).await
}

pub async fn remove(
    state: &AppState,
    actor: Actor,
    address_id: Uuid,
    key: Option<&Idempotency>,
) -> Result<Outcome<AddressBook>, AppError> {
    let command = AddressBookCommand::Remove {
        address_id,
        now: Utc::now(),
    };
    let ids = idempotency::event_ids(state, "address-remove", actor.id, key).await?;
    on_own_book(state, actor, &command, ids).await
}

/// The buyer's entry `address_id` as a checkout address; [`AddressBookError::NotFound`] when
/// their book has no such entry (another customer's id included).
pub async fn for_checkout(
    state: &AppState,
    buyer: Actor,
    address_id: Uuid,
) -> Result<Address, AppError> {
    let book = list(state, buyer).await?;
    let entry = book.entry(address_id).ok_or(AddressBookError::NotFound)?;
    Address::parse(&entry.address).map_err(|errors| {
        AppError::Internal(anyhow::anyhow!(
            "a stored address no longer parses: {errors:?}"
        ))
    })
}

async fn on_own_book(
    state: &AppState,
    actor: Actor,
    command: &AddressBookCommand,
    ids: EventIds,
) -> Result<Outcome<AddressBook>, AppError> {
    let stream = streams::address_book(actor.id);
    execute::<AddressBook>(&state.store, &stream, command, ids, &actor.metadata()).await
}
