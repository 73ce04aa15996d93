//! The cart as parcels: one per seller, weighing what that seller's lines weigh, leaving from
//! that seller's store origin.

use std::collections::BTreeMap;

use pasar_domain::cart::Cart;
use pasar_domain::customer::{Customer, StoreProfile};
use pasar_domain::product::Product;
use pasar_events::types::streams;
use uuid::Uuid;

use super::ShippingRefusal;
use crate::app::exec::load;
use crate::app::{AppError, AppState};

/// One seller's share of a cart.
#[derive(Debug, Clone)]
pub struct Parcel {
    pub seller_id: Uuid,
    /// The lines' weight in grams (at least 1: RajaOngkir refuses 0).
    pub weight_grams: u32,
    /// The seller's store profile, if set.
    pub store: Option<StoreProfile>,
}

impl Parcel {
    /// The store profile it ships from, or [`ShippingRefusal::NoOrigin`].
    pub fn origin(&self) -> Result<&StoreProfile, AppError> {
        self.store.as_ref().ok_or_else(|| {
            ShippingRefusal::NoOrigin {
                seller_id: self.seller_id,
            }
            .into()
        })
    }
}

/// Grams of `quantity` units of `unit_grams`, summed into `total`, saturating.
pub fn add_weight(total: u32, unit_grams: i32, quantity: i64) -> u32 {
    let grams = i64::from(unit_grams.max(0)).saturating_mul(quantity.max(0));
    total.saturating_add(u32::try_from(grams).unwrap_or(u32::MAX))
}

/// The parcels of the lines still on sale, by seller id; lines no longer sold are left out
/// (checkout refuses them on its own).
pub async fn of_cart(state: &AppState, cart: &Cart) -> Result<Vec<Parcel>, AppError> {
    let mut weights: BTreeMap<Uuid, u32> = BTreeMap::new();
    for (&product_id, &quantity) in cart.lines() {
        let product = load::<Product>(state.store.as_ref(), &streams::product(product_id))
            .await?
            .state;
        if !product.listed || !product.is_on_sale() {
            continue;
        }
        let weight = weights.entry(product.seller_id).or_default();
        *weight = add_weight(*weight, product.weight_grams, quantity);
    }
    let mut parcels = Vec::new();
    for (seller_id, weight_grams) in weights {
        parcels.push(Parcel {
            seller_id,
            weight_grams: weight_grams.max(1),
            store: store_of(state, seller_id).await?,
        });
    }
    Ok(parcels)
}

/// A seller's store profile, if set.
pub async fn store_of(state: &AppState, seller_id: Uuid) -> Result<Option<StoreProfile>, AppError> {
    Ok(
        load::<Customer>(state.store.as_ref(), &streams::customer(seller_id))
            .await?
            .state
            .store,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_add_up_and_saturate() {
        assert_eq!(add_weight(0, 200, 3), 600);
        assert_eq!(add_weight(600, 1000, 1), 1600);
        assert_eq!(add_weight(0, -5, 3), 0);
        assert_eq!(add_weight(u32::MAX - 1, 1000, 5), u32::MAX);
    }
}
