//! Accounts: registration (email unique through its claim stream), sessions (refresh-token
//! families) and the first admin. Passwords arrive already hashed and tokens already minted:
//! credential plumbing lives with the auth module, the rules here.

use chrono::{DateTime, Utc};
use pasar_domain::customer::{Customer, CustomerCommand, REUSE_REASON};
use pasar_domain::values::{Email, Text};
use pasar_events::types::{CustomerEvent, Role, streams};
use pasar_events::{EventStore, ExpectedVersion, Metadata};
use uuid::Uuid;

use super::exec::{EventIds, Outcome, derive_id, execute, load};
use super::idempotency::{self, Idempotency};
use super::{AppError, AppState, Rule, claims};

/// `Register` with its values already parsed.
pub struct Registration {
    pub email: Email,
    pub full_name: Text<1, 100>,
    pub role: Role,
    pub password_hash: String,
}

fn own_metadata(customer_id: Uuid) -> Metadata {
    Metadata {
        correlation_id: Some(Uuid::now_v7()),
        actor_id: Some(customer_id),
        ..Metadata::default()
    }
}

/// Claims the email and records the customer in one append when nobody holds the email
/// ([`claims::claim_and_start`]); otherwise claims it, then records the customer, and gives
/// the claim back if that fails. With an idempotency key (bound per email) the customer's id
/// comes from the key, so a retry finds its own claim and registration: the outcome then has
/// no events, and the caller must check the retry's password against the recorded account
/// before answering for it.
pub async fn register(
    state: &AppState,
    registration: Registration,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    let email_owner = derive_id(&["email", registration.email.as_str()]);
    let ids = idempotency::event_ids(state, "register", email_owner, key).await?;
    let customer_id = match ids {
        EventIds::Derived(seed) => Uuid::new_v5(&seed, b"customer"),
        EventIds::Random => Uuid::now_v7(),
    };
    let metadata = own_metadata(customer_id);
    let claim_stream = streams::email_claim(registration.email.as_str());
    let command = CustomerCommand::Register {
        customer_id,
        email: registration.email.as_str().to_owned(),
        full_name: registration.full_name.into_inner(),
        role: registration.role,
        password_hash: registration.password_hash,
        now: Utc::now(),
    };
    let stream = streams::customer(customer_id);
    let (store, owner) = (&state.store, customer_id);
    let claim = (claim_stream.as_str(), ExpectedVersion::NoStream);
    let together =
        claims::claim_and_start::<Customer>(store, claim, owner, &stream, &command, ids, &metadata);
    if let Some(outcome) = together.await? {
        return Ok(outcome);
    }
    let claimed = claims::claim::<Customer>(
        state.store.as_ref(),
        &claim_stream,
        customer_id,
        streams::customer,
        Customer::is_registered,
        &metadata,
    )
    .await?;
    if !claimed {
        return Err(Rule::EmailTaken.into());
    }
    match execute::<Customer>(&state.store, &stream, &command, ids, &metadata).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            claims::release(state.store.as_ref(), &claim_stream, customer_id, &metadata).await;
            Err(e)
        }
    }
}

/// The registered account an email belongs to, through its claim stream.
pub async fn customer_by_email(
    store: &dyn EventStore,
    email: &Email,
) -> Result<Option<Customer>, AppError> {
    let holder = claims::holder(store, &streams::email_claim(email.as_str())).await?;
    let Some((owner, _)) = holder.owner else {
        return Ok(None);
    };
    let customer = load::<Customer>(store, &streams::customer(owner))
        .await?
        .state;
    Ok(customer.is_registered().then_some(customer))
}

/// Begins a refresh-token family for `customer_id`.
pub async fn start_session(
    state: &AppState,
    customer_id: Uuid,
    family_id: Uuid,
    token_hash: String,
) -> Result<Outcome<Customer>, AppError> {
    let command = CustomerCommand::StartSession {
        family_id,
        token_hash,
        expires_at: Utc::now() + state.config.refresh_token_ttl,
    };
    on_own_stream(state, customer_id, &command, EventIds::Random).await
}

/// Runs a command the customer issued on their own stream.
async fn on_own_stream(
    state: &AppState,
    customer_id: Uuid,
    command: &CustomerCommand,
    ids: EventIds,
) -> Result<Outcome<Customer>, AppError> {
    let stream = streams::customer(customer_id);
    let metadata = own_metadata(customer_id);
    execute::<Customer>(&state.store, &stream, command, ids, &metadata).await
}

/// Exchanging a refresh token (by hash) for the next one of its family.
pub struct Refresh {
    pub customer_id: Uuid,
    pub family_id: Uuid,
    pub presented_hash: String,
    pub new_hash: String,
}

/// Rotates the family's token. Presenting a rotated token revokes the family (recorded) and is
/// refused with [`Rule::RefreshTokenReused`], except in a retry of a keyed refresh already
/// recorded (its key names the rotation's event), which answers that rotation again.
pub async fn refresh(
    state: &AppState,
    refresh: Refresh,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    let ids = idempotency::event_ids(state, "refresh", refresh.customer_id, key).await?;
    let now: DateTime<Utc> = Utc::now();
    let command = CustomerCommand::RefreshSession {
        family_id: refresh.family_id,
        presented_hash: refresh.presented_hash,
        new_hash: refresh.new_hash,
        now,
        expires_at: now + state.config.refresh_token_ttl,
    };
    let outcome = on_own_stream(state, refresh.customer_id, &command, ids).await?;
    let reused = outcome.events.iter().any(
        |e| matches!(e, CustomerEvent::SessionRevoked { reason, .. } if reason == REUSE_REASON),
    );
    if reused {
        tracing::warn!(customer = %refresh.customer_id, "refresh token reuse detected; session family revoked");
        return Err(Rule::RefreshTokenReused.into());
    }
    if !outcome.state.is_registered() {
        return Err(Rule::InvalidRefreshToken.into());
    }
    Ok(outcome)
}

/// Ends a refresh-token family.
pub async fn logout(state: &AppState, customer_id: Uuid, family_id: Uuid) -> Result<(), AppError> {
    let command = CustomerCommand::RevokeSession {
        family_id,
        reason: "logout".into(),
    };
    on_own_stream(state, customer_id, &command, EventIds::Random)
        .await
        .map(drop)
}

/// Why the configured first admin cannot be set up. The service refuses to start on any.
#[derive(Debug, thiserror::Error)]
pub enum AdminBootstrapError {
    #[error("PASAR_ADMIN_EMAIL is not a valid email address")]
    InvalidEmail,
    #[error(
        "PASAR_ADMIN_PASSWORD is too weak: use at least 12 characters from at least three of lower case, upper case, digits and symbols"
    )]
    WeakPassword,
    #[error(
        "PASAR_ADMIN_EMAIL belongs to an account registered by someone else (not an admin); choose another address"
    )]
    EmailTakenByNonAdmin,
    #[error("setting up the first admin: {0}")]
    Failed(#[from] AppError),
}

/// At least 12 characters from at least three classes (lower, upper, digit, other).
pub fn is_strong_admin_password(password: &str) -> bool {
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    password.chars().count() >= 12 && classes.iter().filter(|&&c| c).count() >= 3
}

/// What the first-admin step found: an admin already there, or an email free to register.
pub async fn admin_status(
    store: &dyn EventStore,
    email: &Email,
) -> Result<Option<Customer>, AdminBootstrapError> {
    match customer_by_email(store, email).await? {
        Some(existing) if existing.role == Some(Role::Admin) => Ok(Some(existing)),
        Some(_) => Err(AdminBootstrapError::EmailTakenByNonAdmin),
        None => Ok(None),
    }
}
