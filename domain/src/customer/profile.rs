//! The customer's own profile on `customer-{id}`: full name, phone, the language of their
//! emails, their password and their avatar. Values arrive validated (`values::Phone`, an
//! argon2id hash, a stored image); the rules here are what may change and what a change ends.

use chrono::{DateTime, Utc};
use pasar_events::types::{CustomerEvent, ImageThumbnail, Locale};
use uuid::Uuid;

use super::{Customer, CustomerError, MAX_FULL_NAME_CHARS};
use crate::char_len;
use crate::values::Phone;

/// The reason recorded on the sessions a password change ends.
pub const PASSWORD_CHANGED_REASON: &str = "password changed";

/// What the customer keeps about themselves beyond registration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// `+628…`, once given.
    pub phone: Option<String>,
    pub locale: Locale,
    pub avatar: Option<Avatar>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The current avatar: the stored (re-encoded) image and, once made, its square thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub avatar_id: Uuid,
    pub key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub thumbnail: Option<ImageThumbnail>,
}

/// Commands on the customer's own profile (`CustomerCommand::Profile`).
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileCommand {
    /// `None` leaves a field as it is; `phone: Some(None)` clears the phone.
    Update {
        full_name: Option<String>,
        phone: Option<Option<Phone>>,
        locale: Option<Locale>,
        now: DateTime<Utc>,
    },
    /// Sets a new password hash. The caller checked the current password against
    /// `verified_hash`; if the hash changed meanwhile, the change is refused. Every session
    /// but `keep_session` (the caller's own) is revoked.
    ChangePassword {
        verified_hash: String,
        new_hash: String,
        keep_session: Option<Uuid>,
        now: DateTime<Utc>,
    },
    /// A new avatar, already stored (the avatar without a thumbnail).
    SetAvatar { avatar: Avatar, now: DateTime<Utc> },
    /// The thumbnail of `avatar_id`; nothing if the avatar was replaced or has one already.
    RecordAvatarThumbnail {
        avatar_id: Uuid,
        thumbnail: ImageThumbnail,
        now: DateTime<Utc>,
    },
}

impl Customer {
    pub(super) fn decide_profile(
        &self,
        command: &ProfileCommand,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        match command {
            ProfileCommand::Update {
                full_name,
                phone,
                locale,
                now,
            } => self.update_profile(full_name.as_deref(), phone.as_ref(), *locale, *now),
            ProfileCommand::ChangePassword {
                verified_hash,
                new_hash,
                keep_session,
                now,
            } => self.change_password(verified_hash, new_hash, *keep_session, *now),
            ProfileCommand::SetAvatar { avatar, now } => Ok(self.set_avatar(avatar, *now)),
            ProfileCommand::RecordAvatarThumbnail {
                avatar_id,
                thumbnail,
                now,
            } => Ok(self.record_avatar_thumbnail(*avatar_id, thumbnail, *now)),
        }
    }

    fn update_profile(
        &self,
        full_name: Option<&str>,
        phone: Option<&Option<Phone>>,
        locale: Option<Locale>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        let full_name = match full_name.map(str::trim) {
            Some(name) if !(1..=MAX_FULL_NAME_CHARS).contains(&char_len(name)) => {
                return Err(CustomerError::InvalidFullName);
            }
            Some(name) => name.to_owned(),
            None => self.full_name.clone(),
        };
        let phone = match phone {
            Some(phone) => phone.as_ref().map(|p| p.as_str().to_owned()),
            None => self.profile.phone.clone(),
        };
        let locale = locale.unwrap_or(self.profile.locale);
        let unchanged = full_name == self.full_name
            && phone == self.profile.phone
            && locale == self.profile.locale;
        if unchanged {
            return Ok(vec![]);
        }
        Ok(vec![CustomerEvent::CustomerProfileUpdated {
            full_name,
            phone,
            locale,
            updated_at: now,
        }])
    }

    fn change_password(
        &self,
        verified_hash: &str,
        new_hash: &str,
        keep_session: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        if self.password_hash != verified_hash {
            return Err(CustomerError::PasswordChangedMeanwhile);
        }
        let mut events = vec![CustomerEvent::PasswordChanged {
            password_hash: new_hash.to_owned(),
            changed_at: now,
        }];
        let ended = self
            .sessions
            .iter()
            .filter(|(family_id, session)| Some(**family_id) != keep_session && !session.revoked)
            .map(|(family_id, _)| CustomerEvent::SessionRevoked {
                family_id: *family_id,
                reason: PASSWORD_CHANGED_REASON.to_owned(),
            });
        events.extend(ended);
        Ok(events)
    }

    fn set_avatar(&self, avatar: &Avatar, now: DateTime<Utc>) -> Vec<CustomerEvent> {
        let current = self.profile.avatar.as_ref().map(|a| a.avatar_id);
        if current == Some(avatar.avatar_id) {
            return vec![];
        }
        vec![CustomerEvent::AvatarChanged {
            avatar_id: avatar.avatar_id,
            key: avatar.key.clone(),
            content_type: avatar.content_type.clone(),
            width: avatar.width,
            height: avatar.height,
            bytes: avatar.bytes,
            changed_at: now,
        }]
    }

    fn record_avatar_thumbnail(
        &self,
        avatar_id: Uuid,
        thumbnail: &ImageThumbnail,
        now: DateTime<Utc>,
    ) -> Vec<CustomerEvent> {
        match &self.profile.avatar {
            Some(avatar) if avatar.avatar_id == avatar_id && avatar.thumbnail.is_none() => {
                vec![CustomerEvent::AvatarThumbnailMade {
                    avatar_id,
                    thumbnail: thumbnail.clone(),
                    made_at: now,
                }]
            }
            _ => vec![],
        }
    }

    /// Folds the profile events (the others are [`Customer`]'s own).
    pub(super) fn evolve_profile(&mut self, event: &CustomerEvent) {
        match event {
            CustomerEvent::CustomerProfileUpdated {
                full_name,
                phone,
                locale,
                updated_at,
            } => {
                self.full_name.clone_from(full_name);
                self.profile.phone.clone_from(phone);
                self.profile.locale = *locale;
                self.profile.updated_at = Some(*updated_at);
            }
            CustomerEvent::PasswordChanged { password_hash, .. } => {
                self.password_hash.clone_from(password_hash);
            }
            CustomerEvent::AvatarChanged {
                avatar_id,
                key,
                content_type,
                width,
                height,
                bytes,
                ..
            } => {
                self.profile.avatar = Some(Avatar {
                    avatar_id: *avatar_id,
                    key: key.clone(),
                    content_type: content_type.clone(),
                    width: *width,
                    height: *height,
                    bytes: *bytes,
                    thumbnail: None,
                });
            }
            CustomerEvent::AvatarThumbnailMade {
                avatar_id,
                thumbnail,
                ..
            } => {
                if let Some(avatar) = self.profile.avatar.as_mut()
                    && avatar.avatar_id == *avatar_id
                {
                    avatar.thumbnail = Some(thumbnail.clone());
                }
            }
            _ => {}
        }
    }
}
