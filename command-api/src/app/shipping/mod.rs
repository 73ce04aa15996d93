//! Shipping through RajaOngkir: destination search for the buyer's address, quotes for the
//! buyer's cart (one per seller parcel, stored so the price is bound to the quote id), and
//! the checkout's check of the shipments it is given ([`choose`]).
//!
//! - [`parcels`]: the cart split into one parcel per seller, with weight and origin.
//! - [`store`]: the `shipping_quotes` table (command-api migration 007).
//! - [`choose`]: a checkout's shipments checked against the quotes and RajaOngkir.
//!
//! Nothing here is recorded as an event: a quote is an offer, most are never taken. The
//! chosen price reaches the log in the order's `OrderPlaced` (`shipping_cost`).

pub mod choose;
pub mod parcels;
pub mod store;

use chrono::{DateTime, Utc};
use pasar_domain::cart::Cart;
use pasar_events::types::streams;
use uuid::Uuid;

use super::exec::load;
use super::{Actor, AppError, AppState, Rule};
use crate::rajaongkir::{CourierService, Destination, RajaOngkir};

/// Why a shipping request or a checkout's shipments were refused. Every variant about one
/// seller's parcel names that seller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShippingRefusal {
    #[error("shipping is not configured on this server (RAJAONGKIR_URL / RAJAONGKIR_API_KEY)")]
    NotConfigured,
    #[error("shipments were sent, but shipping is not configured on this server")]
    ShipmentsNotAccepted,
    #[error("the cart is empty")]
    CartIsEmpty,
    #[error("unknown location {origin}: pick the origin from GET /v1/shipping/destinations")]
    UnknownOrigin { origin: u32 },
    #[error("seller {seller_id} has no shipping origin in its store profile yet")]
    NoOrigin { seller_id: Uuid },
    #[error(
        "shipping_address.destination_id is required: pick it from GET /v1/shipping/destinations"
    )]
    DestinationRequired,
    #[error("no shipment for seller {seller_id}: get quotes and choose a service for it")]
    ShipmentMissing { seller_id: Uuid },
    #[error("a shipment names seller {seller_id}, who has nothing in this cart")]
    NotInCart { seller_id: Uuid },
    #[error("two shipments name seller {seller_id}")]
    DuplicateShipment { seller_id: Uuid },
    #[error("the quote for seller {seller_id} is unknown")]
    QuoteUnknown { seller_id: Uuid },
    #[error("the quote for seller {seller_id} has expired: get new quotes")]
    QuoteExpired { seller_id: Uuid },
    #[error("the quote for seller {seller_id} was for another destination: get new quotes")]
    OtherDestination { seller_id: Uuid },
    #[error(
        "the quote for seller {seller_id} was for another parcel (the cart or the seller's origin changed): get new quotes"
    )]
    OtherParcel { seller_id: Uuid },
    #[error("the quote for seller {seller_id} has no service {courier} {service}")]
    ServiceNotQuoted {
        seller_id: Uuid,
        courier: String,
        service: String,
    },
    #[error(
        "{courier} {service} no longer serves the parcel of seller {seller_id}: get new quotes"
    )]
    ServiceWithdrawn {
        seller_id: Uuid,
        courier: String,
        service: String,
    },
}

impl ShippingRefusal {
    /// The seller whose parcel the refusal is about, if one.
    pub fn seller_id(&self) -> Option<Uuid> {
        use ShippingRefusal as R;
        match self {
            R::NoOrigin { seller_id }
            | R::ShipmentMissing { seller_id }
            | R::NotInCart { seller_id }
            | R::DuplicateShipment { seller_id }
            | R::QuoteUnknown { seller_id }
            | R::QuoteExpired { seller_id }
            | R::OtherDestination { seller_id }
            | R::OtherParcel { seller_id }
            | R::ServiceNotQuoted { seller_id, .. }
            | R::ServiceWithdrawn { seller_id, .. } => Some(*seller_id),
            _ => None,
        }
    }
}

impl From<ShippingRefusal> for AppError {
    fn from(refusal: ShippingRefusal) -> Self {
        AppError::Rejected(Rule::Shipping(refusal))
    }
}

/// The configured client, or [`ShippingRefusal::NotConfigured`].
pub fn client(state: &AppState) -> Result<&RajaOngkir, AppError> {
    state
        .shipping
        .as_ref()
        .ok_or_else(|| ShippingRefusal::NotConfigured.into())
}

/// Locations matching `search` (cached by the client).
pub async fn destinations(state: &AppState, search: &str) -> Result<Vec<Destination>, AppError> {
    client(state)?
        .search_destinations(search)
        .await
        .map_err(AppError::Shipping)
}

/// One seller's parcel, quoted.
#[derive(Debug, Clone)]
pub struct QuoteGroup {
    pub quote_id: Uuid,
    pub seller_id: Uuid,
    pub store_name: String,
    pub origin_id: u32,
    pub origin_label: String,
    pub weight_grams: u32,
    pub services: Vec<CourierService>,
    pub expires_at: DateTime<Utc>,
}

/// Quotes the buyer's cart to `destination`: one group per seller. A quote still valid for
/// at least half its lifetime for the same parcel is answered again (same id, same price)
/// instead of asking RajaOngkir; the others are asked for first, and stored only when every
/// call succeeded, so a failure leaves nothing behind.
pub async fn quote_cart(
    state: &AppState,
    buyer: Actor,
    destination: u32,
) -> Result<Vec<QuoteGroup>, AppError> {
    let client = client(state)?;
    let config = state
        .config
        .shipping
        .as_ref()
        .ok_or(ShippingRefusal::NotConfigured)?;
    let parcels = cart_parcels(state, buyer).await?;
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(config.quote_ttl).map_err(anyhow::Error::from)?;
    let couriers: Vec<&str> = config.couriers.iter().map(String::as_str).collect();
    let mut groups = Vec::new();
    let mut fresh = Vec::new();
    for parcel in parcels {
        let origin = parcel.origin()?;
        let key = store::ParcelKey {
            buyer_id: buyer.id,
            seller_id: parcel.seller_id,
            origin_id: origin.origin_id,
            destination_id: destination,
            weight_grams: parcel.weight_grams,
        };
        let group = |quote_id, services, expires_at| QuoteGroup {
            quote_id,
            seller_id: parcel.seller_id,
            store_name: origin.store_name.clone(),
            origin_id: origin.origin_id,
            origin_label: origin.origin_label.clone(),
            weight_grams: parcel.weight_grams,
            services,
            expires_at,
        };
        if let Some(reused) = store::reusable(&state.pool, &key, now + ttl / 2).await? {
            groups.push(group(reused.id, reused.services, reused.expires_at));
            continue;
        }
        let services = client
            .quote(
                origin.origin_id,
                destination,
                parcel.weight_grams,
                &couriers,
            )
            .await
            .map_err(AppError::Shipping)?;
        let quote = group(Uuid::now_v7(), services, now + ttl);
        fresh.push((key, quote.clone()));
        groups.push(quote);
    }
    store::insert(&state.pool, &fresh).await?;
    tracing::info!(buyer = %buyer.id, destination, groups = groups.len(), issued = fresh.len(), "shipping quoted");
    Ok(groups)
}

/// The buyer's cart as parcels, one per seller; refused when the cart is empty.
async fn cart_parcels(state: &AppState, buyer: Actor) -> Result<Vec<parcels::Parcel>, AppError> {
    let cart = load::<Cart>(state.store.as_ref(), &streams::cart(buyer.id))
        .await?
        .state;
    let parcels = parcels::of_cart(state, &cart).await?;
    if parcels.is_empty() {
        return Err(ShippingRefusal::CartIsEmpty.into());
    }
    Ok(parcels)
}
