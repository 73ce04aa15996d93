use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, ImageThumbnail, Locale};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    Seller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Admin => "admin",
        }
    }
}

/// Events of `customer-{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CustomerEvent {
    CustomerRegistered {
        customer_id: Uuid,
        email: String,
        full_name: String,
        role: Role,
        /// argon2id PHC string. Never leaves the command side.
        password_hash: String,
        registered_at: DateTime<Utc>,
    },
    /// The email claim was lost to another registration; this stream is dead.
    RegistrationAbandoned {
        reason: String,
    },
    RoleChanged {
        role: Role,
    },
    /// A refresh-token family began (login or registration). Only a hash of the token is kept.
    SessionStarted {
        family_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// The family's refresh token was exchanged for a new one.
    SessionRefreshed {
        family_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// The family may no longer refresh (logout, or reuse of a rotated token).
    SessionRevoked {
        family_id: Uuid,
        reason: String,
    },
    /// A seller's store profile was set (or changed): what buyers see, and where parcels leave
    /// from. `origin_id` is a RajaOngkir location id, `origin_label` its name when it was set.
    StoreProfileSet {
        store_name: String,
        description: String,
        origin_id: u32,
        origin_label: String,
        set_at: DateTime<Utc>,
    },
    // The customer's own profile (`/v1/me`).
    /// The profile's new values, whole (not a diff): what `PATCH /v1/me` left or changed.
    /// `phone` is normalised (`+62…`); `locale` is the language of the customer's emails.
    CustomerProfileUpdated {
        full_name: String,
        phone: Option<String>,
        locale: Locale,
        updated_at: DateTime<Utc>,
    },
    /// A new password (argon2id PHC string; never leaves the command side). The sessions it
    /// ended are recorded beside it as `SessionRevoked`.
    PasswordChanged {
        password_hash: String,
        changed_at: DateTime<Utc>,
    },
    /// A new avatar, stored (re-encoded, content-addressed) before this was recorded.
    AvatarChanged {
        avatar_id: Uuid,
        key: String,
        content_type: String,
        width: u32,
        height: u32,
        bytes: u64,
        changed_at: DateTime<Utc>,
    },
    /// The avatar's square thumbnail, made by the `avatar-thumbnails` processor.
    AvatarThumbnailMade {
        avatar_id: Uuid,
        thumbnail: ImageThumbnail,
        made_at: DateTime<Utc>,
    },
    // Admin actions on the account (admin tools). The admin who acted is the event's actor
    // (`metadata.actor_id`); `RoleChanged` above serves an admin's role change too.
    /// An admin suspended the account: its access tokens stop working, its sessions are
    /// revoked (recorded beside this event), its open checkouts are cancelled and its products
    /// hidden until [`CustomerEvent::CustomerReinstated`].
    CustomerSuspended {
        reason: String,
        suspended_at: DateTime<Utc>,
    },
    /// An admin lifted the suspension; the account signs in again (old sessions stay revoked).
    CustomerReinstated {
        reinstated_at: DateTime<Utc>,
    },
}

impl DomainEvent for CustomerEvent {}

/// Events of uniqueness-claim streams (`email-…`, `sku-…`). The stream existing is the claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClaimEvent {
    Claimed {
        owner_id: Uuid,
        claimed_at: DateTime<Utc>,
    },
    Released {
        owner_id: Uuid,
    },
}

impl DomainEvent for ClaimEvent {}
