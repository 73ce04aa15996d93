//! A seller's store profile on the customer stream: the name and description buyers see, and
//! the RajaOngkir location its parcels leave from (what shipping quotes start at). Whether the
//! location exists is checked by the caller against RajaOngkir before the command is issued.

use chrono::{DateTime, Utc};
use pasar_events::types::{CustomerEvent, Role};

use super::{Customer, CustomerError};
use crate::char_len;

/// Longest store name, in characters, after trimming.
pub const MAX_STORE_NAME_CHARS: usize = 100;
/// Longest store description, in characters, after trimming.
pub const MAX_STORE_DESCRIPTION_CHARS: usize = 2000;

/// What a store shows and where it ships from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreProfile {
    pub store_name: String,
    /// May be empty.
    pub description: String,
    /// RajaOngkir location id of the parcels' origin.
    pub origin_id: u32,
    /// That location's name as RajaOngkir gave it when the profile was set.
    pub origin_label: String,
}

impl Customer {
    pub(super) fn set_store_profile(
        &self,
        profile: &StoreProfile,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        if !matches!(self.role, Some(Role::Seller | Role::Admin)) {
            return Err(CustomerError::NotASeller);
        }
        let store_name = profile.store_name.trim();
        if store_name.is_empty() || char_len(store_name) > MAX_STORE_NAME_CHARS {
            return Err(CustomerError::InvalidStoreName);
        }
        let description = profile.description.trim();
        if char_len(description) > MAX_STORE_DESCRIPTION_CHARS {
            return Err(CustomerError::InvalidStoreDescription);
        }
        let profile = StoreProfile {
            store_name: store_name.to_owned(),
            description: description.to_owned(),
            ..profile.clone()
        };
        if self.store.as_ref() == Some(&profile) {
            return Ok(vec![]);
        }
        Ok(vec![CustomerEvent::StoreProfileSet {
            store_name: profile.store_name,
            description: profile.description,
            origin_id: profile.origin_id,
            origin_label: profile.origin_label,
            set_at: now,
        }])
    }
}
