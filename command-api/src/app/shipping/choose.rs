//! A checkout's shipments, checked before anything is reserved: one per seller parcel, each
//! naming a quote this buyer was issued for exactly that parcel (origin, destination, weight),
//! unexpired, and one of its services. The price charged is the quote's. RajaOngkir is then
//! asked once per parcel whether the chosen service still serves it (a courier can drop a
//! route), so a checkout while RajaOngkir is down fails fast (503) with nothing held.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use uuid::Uuid;

use super::parcels::Parcel;
use super::{ShippingRefusal, client, store};
use crate::app::{Actor, AppError, AppState};

/// One `shipments` entry of the checkout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub seller_id: Uuid,
    pub quote_id: Uuid,
    pub courier: String,
    pub service: String,
}

/// The service a seller's parcel goes with, at the quoted price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub quote_id: Uuid,
    pub courier: String,
    pub service: String,
    /// Whole rupiah, from the quote.
    pub cost: u64,
}

/// The chosen service per seller. Without shipping configured, no shipments are accepted and
/// the map is empty (shipping costs 0).
pub async fn confirm(
    state: &AppState,
    buyer: Actor,
    destination: Option<u32>,
    parcels: &[Parcel],
    shipments: &[Shipment],
) -> Result<BTreeMap<Uuid, Chosen>, AppError> {
    if state.shipping.is_none() {
        if shipments.is_empty() {
            return Ok(BTreeMap::new());
        }
        return Err(ShippingRefusal::ShipmentsNotAccepted.into());
    }
    let destination = destination.ok_or(ShippingRefusal::DestinationRequired)?;
    let by_seller = index(parcels, shipments)?;
    let mut chosen = BTreeMap::new();
    let mut checks = Vec::new();
    for parcel in parcels {
        let seller_id = parcel.seller_id;
        let origin = parcel.origin()?;
        let shipment = by_seller
            .get(&seller_id)
            .ok_or(ShippingRefusal::ShipmentMissing { seller_id })?;
        let offered = chosen_service(
            state,
            buyer,
            destination,
            parcel,
            origin.origin_id,
            shipment,
        )
        .await?;
        checks.push((seller_id, origin.origin_id, parcel.weight_grams));
        chosen.insert(seller_id, offered);
    }
    still_served(state, destination, &checks, &chosen).await?;
    Ok(chosen)
}

/// The service `shipment` chose for `parcel`, at its quote's price: refused unless the quote
/// was issued to this buyer for exactly this parcel (seller, origin, destination, weight), is
/// unexpired and offers that courier's service.
async fn chosen_service(
    state: &AppState,
    buyer: Actor,
    destination: u32,
    parcel: &Parcel,
    origin_id: u32,
    shipment: &Shipment,
) -> Result<Chosen, AppError> {
    let seller_id = parcel.seller_id;
    let quote = store::get(&state.pool, shipment.quote_id)
        .await?
        .filter(|q| q.key.buyer_id == buyer.id && q.key.seller_id == seller_id)
        .ok_or(ShippingRefusal::QuoteUnknown { seller_id })?;
    if quote.expires_at <= Utc::now() {
        return Err(ShippingRefusal::QuoteExpired { seller_id }.into());
    }
    if quote.key.destination_id != destination {
        return Err(ShippingRefusal::OtherDestination { seller_id }.into());
    }
    if quote.key.weight_grams != parcel.weight_grams || quote.key.origin_id != origin_id {
        return Err(ShippingRefusal::OtherParcel { seller_id }.into());
    }
    let courier = shipment.courier.trim().to_lowercase();
    let service = shipment.service.trim();
    let Some(offered) = quote
        .services
        .iter()
        .find(|s| s.courier == courier && s.service == service)
    else {
        return Err(ShippingRefusal::ServiceNotQuoted {
            seller_id,
            courier,
            service: service.to_owned(),
        }
        .into());
    };
    Ok(Chosen {
        quote_id: quote.id,
        courier: offered.courier.clone(),
        service: offered.service.clone(),
        cost: offered.cost,
    })
}

/// The shipments by seller, each naming a seller of this cart, once.
fn index<'a>(
    parcels: &[Parcel],
    shipments: &'a [Shipment],
) -> Result<BTreeMap<Uuid, &'a Shipment>, AppError> {
    let sellers: BTreeSet<Uuid> = parcels.iter().map(|p| p.seller_id).collect();
    let mut by_seller = BTreeMap::new();
    for shipment in shipments {
        let seller_id = shipment.seller_id;
        if !sellers.contains(&seller_id) {
            return Err(ShippingRefusal::NotInCart { seller_id }.into());
        }
        if by_seller.insert(seller_id, shipment).is_some() {
            return Err(ShippingRefusal::DuplicateShipment { seller_id }.into());
        }
    }
    Ok(by_seller)
}

/// Asks RajaOngkir whether each chosen service still carries its parcel. Its price now is not
/// charged (the quote's is), only its presence matters.
async fn still_served(
    state: &AppState,
    destination: u32,
    checks: &[(Uuid, u32, u32)],
    chosen: &BTreeMap<Uuid, Chosen>,
) -> Result<(), AppError> {
    let client = client(state)?;
    for (seller_id, origin, weight) in checks {
        let Some(choice) = chosen.get(seller_id) else {
            continue;
        };
        let services = client
            .quote(*origin, destination, *weight, &[choice.courier.as_str()])
            .await
            .map_err(AppError::Shipping)?;
        if !services
            .iter()
            .any(|s| s.courier == choice.courier && s.service == choice.service)
        {
            return Err(ShippingRefusal::ServiceWithdrawn {
                seller_id: *seller_id,
                courier: choice.courier.clone(),
                service: choice.service.clone(),
            }
            .into());
        }
    }
    Ok(())
}
