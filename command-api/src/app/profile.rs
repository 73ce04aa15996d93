//! The customer's own profile (`/v1/me`): reading it, changing name, phone and locale,
//! changing the password (which ends every other session) and setting the avatar (checked,
//! re-encoded and stored like a product image before it is recorded). All of it lives on the
//! customer's own stream.

use chrono::Utc;
use pasar_domain::customer::{Avatar, Customer, CustomerCommand, CustomerError, ProfileCommand};
use pasar_domain::values::Phone;
use pasar_events::types::{Locale, streams};
use uuid::Uuid;

use super::exec::{EventIds, Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::images::{Upload, prepare_all, storage_down};
use super::{Actor, AppError, AppState};

/// The caller's account as their stream has it now. 404 for a stream that is not a
/// registered customer (a token outliving its account).
pub async fn get(state: &AppState, actor: Actor) -> Result<Customer, AppError> {
    let customer = load::<Customer>(state.store.as_ref(), &streams::customer(actor.id))
        .await?
        .state;
    if !customer.is_registered() {
        return Err(CustomerError::NotRegistered.into());
    }
    Ok(customer)
}

/// What `PATCH /v1/me` may change; `None` leaves a field, `phone: Some(None)` clears it.
pub struct ProfileChange {
    pub full_name: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub locale: Option<Locale>,
}

pub async fn update(
    state: &AppState,
    actor: Actor,
    change: ProfileChange,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    let command = ProfileCommand::Update {
        full_name: change.full_name,
        phone: change.phone,
        locale: change.locale,
        now: Utc::now(),
    };
    let ids = idempotency::event_ids(state, "profile-update", actor.id, key).await?;
    on_own_stream(state, actor, command, ids).await
}

/// A new password, hashed by the caller after it checked the current one against
/// `verified_hash` (the bounded hasher's errors are the http layer's to answer).
pub struct PasswordChange {
    pub verified_hash: String,
    pub new_hash: String,
    /// The refresh-token family of the caller's own session (from the access token), which
    /// survives the change.
    pub keep_session: Option<Uuid>,
}

/// Records the new password and revokes every session but the caller's. A change recorded
/// between the check and this one is refused by the domain (the hash checked must still be
/// the current one).
pub async fn change_password(
    state: &AppState,
    actor: Actor,
    change: PasswordChange,
) -> Result<Outcome<Customer>, AppError> {
    let command = ProfileCommand::ChangePassword {
        verified_hash: change.verified_hash,
        new_hash: change.new_hash,
        keep_session: change.keep_session,
        now: Utc::now(),
    };
    let outcome = on_own_stream(state, actor, command, EventIds::Random).await?;
    let revoked = outcome.events.len().saturating_sub(1);
    tracing::info!(customer = %actor.id, sessions_revoked = revoked, "password changed");
    Ok(outcome)
}

/// Replaces the caller's avatar with `file`: checked and re-encoded like a product image,
/// stored, then recorded. The `avatar-thumbnails` processor makes its square thumbnail.
pub async fn set_avatar(
    state: &AppState,
    actor: Actor,
    file: Upload,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    get(state, actor).await?;
    let ids = idempotency::event_ids(state, "avatar-set", actor.id, key).await?;
    let avatar_id = match ids {
        EventIds::Derived(seed) => Uuid::new_v5(&seed, b"avatar"),
        EventIds::Random => Uuid::now_v7(),
    };
    let image = prepare_all(vec![file]).await?.remove(0);
    state.media.put(&image).await.map_err(storage_down)?;
    let avatar = Avatar {
        avatar_id,
        bytes: image.bytes.len() as u64,
        key: image.key,
        content_type: image.content_type.to_owned(),
        width: image.width,
        height: image.height,
        thumbnail: None,
    };
    let command = ProfileCommand::SetAvatar {
        avatar,
        now: Utc::now(),
    };
    on_own_stream(state, actor, command, ids).await
}

async fn on_own_stream(
    state: &AppState,
    actor: Actor,
    command: ProfileCommand,
    ids: EventIds,
) -> Result<Outcome<Customer>, AppError> {
    let stream = streams::customer(actor.id);
    let command = CustomerCommand::Profile(command);
    execute::<Customer>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
