//! A seller's store profile (`PUT /v1/seller/profile`): name, description and the RajaOngkir
//! location its parcels leave from, recorded on the seller's customer stream.

use chrono::Utc;
use pasar_domain::customer::{Customer, CustomerCommand, StoreProfile};
use pasar_events::types::streams;

use super::exec::{Outcome, execute};
use super::idempotency::{self, Idempotency};
use super::shipping::{self, ShippingRefusal};
use super::{Actor, AppError, AppState};

/// The profile as the seller sends it.
#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub store_name: String,
    pub description: String,
    /// A RajaOngkir location id, as `GET /v1/shipping/destinations` lists them.
    pub origin_id: u32,
}

/// Sets the actor's own store profile. The origin must be a location this server's
/// destination search has returned (RajaOngkir cannot look an id up), which also gives its
/// label; otherwise [`ShippingRefusal::UnknownOrigin`].
pub async fn set_profile(
    state: &AppState,
    actor: Actor,
    input: ProfileInput,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    let origin = shipping::client(state)?
        .known_destination(input.origin_id)
        .ok_or(ShippingRefusal::UnknownOrigin {
            origin: input.origin_id,
        })?;
    let command = CustomerCommand::SetStoreProfile {
        profile: StoreProfile {
            store_name: input.store_name,
            description: input.description,
            origin_id: origin.id,
            origin_label: origin.label,
        },
        now: Utc::now(),
    };
    let ids = idempotency::event_ids(state, "store-profile", actor.id, key).await?;
    let stream = streams::customer(actor.id);
    execute::<Customer>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
