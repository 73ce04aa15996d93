//! A customer account and its refresh-token sessions (`customer-{id}`); the customer's own
//! profile, password and avatar are in `customer/profile.rs` ([`CustomerCommand::Profile`]).
//!
//! Email uniqueness is not decided here: the caller claims `email-{normalized}` (see
//! [`normalize_email`] and [`crate::values::Email`]) before registering, and gives the claim
//! back if the registration cannot be recorded. [`CustomerCommand::AbandonRegistration`]
//! closes a stream for good (an abandoned stream is dead); nothing issues it today.
//!
//! Sessions are refresh-token families. Each refresh rotates the token; only hashes are kept.
//! Presenting a token the family has already rotated away means it leaked, so the whole
//! family is revoked (refresh token rotation, as the OAuth 2.0 security BCP recommends).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pasar_events::types::{CustomerEvent, Role};
use uuid::Uuid;

use crate::{Aggregate, char_len};

mod profile;
mod sessions;
mod store;
pub use profile::{Avatar, PASSWORD_CHANGED_REASON, Profile, ProfileCommand};
mod suspension;
pub use store::{MAX_STORE_DESCRIPTION_CHARS, MAX_STORE_NAME_CHARS, StoreProfile};
pub use suspension::{MAX_SUSPENSION_REASON_CHARS, SUSPENDED_REASON, Suspension};

/// Longest full name, in characters, after trimming.
pub const MAX_FULL_NAME_CHARS: usize = 100;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The reason recorded when a rotated refresh token is presented again.
pub const REUSE_REASON: &str = "refresh token reused";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    /// Set once registered.
    pub id: Option<Uuid>,
    pub email: String,
    pub full_name: String,
    pub role: Option<Role>,
    /// argon2id PHC string.
    pub password_hash: String,
    pub registered_at: Option<DateTime<Utc>>,
    /// The email claim was lost; no command succeeds on this stream any more.
    pub abandoned: bool,
    /// Refresh-token families by family id.
    pub sessions: BTreeMap<Uuid, Session>,
    /// A seller's store profile, once set.
    pub store: Option<StoreProfile>,
    /// Phone, locale and avatar (`/v1/me`).
    pub profile: Profile,
    /// Set while an admin has the account suspended.
    pub suspension: Option<Suspension>,
}

/// One refresh-token family.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Hash of the only token that may refresh the family now.
    pub token_hash: String,
    /// Hashes of tokens already rotated away, oldest first.
    pub previous_hashes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl Customer {
    /// Registered and not abandoned.
    pub fn is_registered(&self) -> bool {
        self.id.is_some() && !self.abandoned
    }

    pub fn session(&self, family_id: Uuid) -> Option<&Session> {
        self.sessions.get(&family_id)
    }

    /// The family that issued this token hash, current or rotated away.
    pub fn family_holding(&self, token_hash: &str) -> Option<Uuid> {
        self.sessions
            .iter()
            .find(|(_, session)| {
                session.token_hash == token_hash
                    || session.previous_hashes.iter().any(|h| h == token_hash)
            })
            .map(|(family_id, _)| *family_id)
    }
}

/// Trimmed and lowercased, the form used for the `email-…` claim stream.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomerCommand {
    Register {
        customer_id: Uuid,
        email: String,
        full_name: String,
        role: Role,
        password_hash: String,
        now: DateTime<Utc>,
    },
    /// The email claim went to someone else; this stream is closed for good.
    AbandonRegistration {
        reason: String,
    },
    ChangeRole {
        role: Role,
    },
    /// Login or registration began a refresh-token family.
    StartSession {
        family_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// Exchange the presented refresh token (by hash) for a new one. `expires_at` is the
    /// newest expiry the caller would grant; the family's own end is never moved later.
    RefreshSession {
        family_id: Uuid,
        presented_hash: String,
        new_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    /// Logout.
    RevokeSession {
        family_id: Uuid,
        reason: String,
    },
    /// Sets a seller's (or an admin's) store profile; the same profile again records nothing.
    SetStoreProfile {
        profile: StoreProfile,
        now: DateTime<Utc>,
    },
    /// The customer's own profile, password and avatar.
    Profile(ProfileCommand),
    // Admin actions (admin tools); the caller checks that an admin issues them.
    /// Suspends the account and revokes its sessions; again records nothing.
    Suspend {
        reason: String,
        now: DateTime<Utc>,
    },
    /// Lifts a suspension; on an account that is not suspended records nothing.
    Reinstate {
        now: DateTime<Utc>,
    },
}

/// Why a customer command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("the customer is already registered")]
    AlreadyRegistered,
    /// The stream was abandoned after losing its email claim.
    #[error("this registration was abandoned")]
    RegistrationAbandoned,
    #[error("the customer is not registered")]
    NotRegistered,
    #[error("unknown session")]
    SessionUnknown,
    #[error("the session was revoked")]
    SessionRevoked,
    #[error("the session has expired")]
    SessionExpired,
    /// The family id is taken by another token.
    #[error("a session with this id already exists")]
    SessionAlreadyStarted,
    #[error("full name must be 1 to {MAX_FULL_NAME_CHARS} characters")]
    InvalidFullName,
    #[error("email address is not valid")]
    InvalidEmail,
    /// Only sellers and admins keep a store.
    #[error("only a seller or an admin has a store profile")]
    NotASeller,
    #[error("store name must be 1 to {MAX_STORE_NAME_CHARS} characters")]
    InvalidStoreName,
    #[error("store description must be at most {MAX_STORE_DESCRIPTION_CHARS} characters")]
    InvalidStoreDescription,
    /// The password changed between checking the current one and recording the new one.
    #[error("the password was changed meanwhile; sign in again")]
    PasswordChangedMeanwhile,
    /// An admin suspended the account: no sign-in, no refresh.
    #[error("the account is suspended")]
    Suspended,
    #[error("reason must be 1 to {MAX_SUSPENSION_REASON_CHARS} characters")]
    InvalidSuspensionReason,
}

impl Aggregate for Customer {
    type Event = CustomerEvent;
    type Command = CustomerCommand;
    type Error = CustomerError;

    fn decide(&self, command: &CustomerCommand) -> Result<Vec<CustomerEvent>, CustomerError> {
        match command {
            CustomerCommand::Register {
                customer_id,
                email,
                full_name,
                role,
                password_hash,
                now,
            } => self.register(*customer_id, email, full_name, *role, password_hash, *now),
            CustomerCommand::AbandonRegistration { reason } => Ok(self.abandon(reason)),
            CustomerCommand::ChangeRole { role } => self.change_role(*role),
            CustomerCommand::StartSession {
                family_id,
                token_hash,
                expires_at,
            } => self.start_session(*family_id, token_hash, *expires_at),
            CustomerCommand::RefreshSession {
                family_id,
                presented_hash,
                new_hash,
                now,
                expires_at,
            } => self.refresh_session(*family_id, presented_hash, new_hash, *now, *expires_at),
            CustomerCommand::RevokeSession { family_id, reason } => {
                self.revoke_session(*family_id, reason)
            }
            CustomerCommand::SetStoreProfile { profile, now } => {
                self.set_store_profile(profile, *now)
            }
            CustomerCommand::Profile(command) => self.decide_profile(command),
            CustomerCommand::Suspend { reason, now } => self.suspend(reason, *now),
            CustomerCommand::Reinstate { now } => self.reinstate(*now),
        }
    }

    fn evolve(mut self, event: &CustomerEvent) -> Self {
        match event {
            CustomerEvent::CustomerRegistered {
                customer_id,
                email,
                full_name,
                role,
                password_hash,
                registered_at,
            } => {
                self.id = Some(*customer_id);
                self.email.clone_from(email);
                self.full_name.clone_from(full_name);
                self.role = Some(*role);
                self.password_hash.clone_from(password_hash);
                self.registered_at = Some(*registered_at);
            }
            CustomerEvent::RegistrationAbandoned { .. } => self.abandoned = true,
            CustomerEvent::RoleChanged { role } => self.role = Some(*role),
            CustomerEvent::SessionStarted { .. }
            | CustomerEvent::SessionRefreshed { .. }
            | CustomerEvent::SessionRevoked { .. } => self.evolve_session(event),
            CustomerEvent::StoreProfileSet {
                store_name,
                description,
                origin_id,
                origin_label,
                ..
            } => {
                self.store = Some(StoreProfile {
                    store_name: store_name.clone(),
                    description: description.clone(),
                    origin_id: *origin_id,
                    origin_label: origin_label.clone(),
                });
            }
            CustomerEvent::CustomerProfileUpdated { .. }
            | CustomerEvent::PasswordChanged { .. }
            | CustomerEvent::AvatarChanged { .. }
            | CustomerEvent::AvatarThumbnailMade { .. } => self.evolve_profile(event),
            CustomerEvent::CustomerSuspended { .. } | CustomerEvent::CustomerReinstated { .. } => {
                self.evolve_suspension(event);
            }
        }
        self
    }
}

impl Customer {
    fn register(
        &self,
        customer_id: Uuid,
        email: &str,
        full_name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        if self.abandoned {
            return Err(CustomerError::RegistrationAbandoned);
        }
        if self.id.is_some() {
            return Err(CustomerError::AlreadyRegistered);
        }
        let full_name = full_name.trim();
        if !(1..=MAX_FULL_NAME_CHARS).contains(&char_len(full_name)) {
            return Err(CustomerError::InvalidFullName);
        }
        let email = email.trim();
        if !is_plausible_email(email) {
            return Err(CustomerError::InvalidEmail);
        }
        Ok(vec![CustomerEvent::CustomerRegistered {
            customer_id,
            email: email.to_owned(),
            full_name: full_name.to_owned(),
            role,
            password_hash: password_hash.to_owned(),
            registered_at: now,
        }])
    }

    fn abandon(&self, reason: &str) -> Vec<CustomerEvent> {
        if self.abandoned {
            return vec![];
        }
        vec![CustomerEvent::RegistrationAbandoned {
            reason: reason.to_owned(),
        }]
    }

    fn change_role(&self, role: Role) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        if self.role == Some(role) {
            return Ok(vec![]);
        }
        Ok(vec![CustomerEvent::RoleChanged { role }])
    }

    fn ensure_registered(&self) -> Result<(), CustomerError> {
        if self.is_registered() {
            Ok(())
        } else {
            Err(CustomerError::NotRegistered)
        }
    }
}

/// A deliberately loose check (see [`crate::values::Email`]): one `@` with something on both
/// sides within the RFC 5321 limits, a dot in the domain, no whitespace or control characters.
/// Whether the address works is proven by mail, not by parsing.
fn is_plausible_email(email: &str) -> bool {
    char_len(email) <= MAX_EMAIL_CHARS && crate::values::Email::parse(email).is_ok()
}
