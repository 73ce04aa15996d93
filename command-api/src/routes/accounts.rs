//! Registration, login, token refresh and logout. Email uniqueness lives in the log: the
//! `email-<address>` claim stream can be created only once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use pasar_domain::FieldError;
use pasar_domain::customer::{Customer, CustomerCommand, REUSE_REASON, normalize_email};
use pasar_events::types::{ClaimEvent, CustomerEvent, Role, streams};
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata, Position, StoreError};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::accepted;
use crate::app::AppState;
use crate::auth::{AuthUser, RefreshToken, hash_password, issue_access_token, verify_password};
use crate::error::{ApiError, Json};
use crate::exec::{EventIds, execute, load};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/register", post(register))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
}

const MIN_PASSWORD: usize = 10;
const MAX_PASSWORD: usize = 128;

#[derive(Deserialize)]
struct RegisterRequest {
    email: String,
    password: String,
    full_name: String,
    role: Option<String>,
}

fn validate_registration(req: &RegisterRequest) -> Result<Role, ApiError> {
    let mut errors = Vec::new();
    let email = normalize_email(&req.email);
    let valid_email = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !valid_email {
        errors.push(FieldError::new("email", "must be a valid email address"));
    }
    let length = req.password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        errors.push(FieldError::new(
            "password",
            format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    let role = match req.role.as_deref() {
        None | Some("buyer") => Some(Role::Buyer),
        Some("seller") => Some(Role::Seller),
        Some(_) => {
            errors.push(FieldError::new("role", "must be buyer or seller"));
            None
        }
    };
    match role {
        Some(role) if errors.is_empty() => Ok(role),
        _ => Err(ApiError::Validation(errors)),
    }
}

async fn register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    let role = validate_registration(&req)?;
    let password_hash = hash_password(req.password).await?;
    let customer =
        register_customer(&state, &req.email, &req.full_name, role, password_hash).await?;
    let (body, position) = start_session(&state, &customer).await?;
    Ok(accepted(StatusCode::CREATED, body, position))
}

/// Records the customer, then claims the email. If the claim is lost to a concurrent
/// registration, the new stream is closed (`RegistrationAbandoned`) and the caller gets 409.
pub async fn register_customer(
    state: &AppState,
    email: &str,
    full_name: &str,
    role: Role,
    password_hash: String,
) -> Result<Customer, ApiError> {
    let email = normalize_email(email);
    let claim_stream = streams::email_claim(&email);
    if !state.store.read_stream(&claim_stream, 1).await?.is_empty() {
        return Err(ApiError::conflict(
            "Email already registered",
            "an account with this email exists",
        ));
    }
    let customer_id = Uuid::now_v7();
    let stream = streams::customer(customer_id);
    let metadata = Metadata {
        correlation_id: Some(customer_id),
        actor_id: Some(customer_id),
        ..Metadata::default()
    };
    let command = CustomerCommand::Register {
        customer_id,
        email: email.clone(),
        full_name: full_name.trim().to_owned(),
        role,
        password_hash,
        now: Utc::now(),
    };
    let outcome =
        execute::<Customer>(&state.store, &stream, &command, EventIds::Random, &metadata).await?;
    let claim = ClaimEvent::Claimed {
        owner_id: customer_id,
        claimed_at: Utc::now(),
    };
    match state
        .store
        .append(
            &claim_stream,
            ExpectedVersion::NoStream,
            vec![claim.to_new_event(Uuid::now_v7(), metadata.clone())],
        )
        .await
    {
        Ok(_) => Ok(outcome.state),
        Err(StoreError::Conflict { .. }) => {
            let abandon = CustomerCommand::AbandonRegistration {
                reason: "email claimed by another registration".into(),
            };
            execute::<Customer>(&state.store, &stream, &abandon, EventIds::Random, &metadata)
                .await?;
            Err(ApiError::conflict(
                "Email already registered",
                "an account with this email exists",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Begins a refresh-token family and answers with a token pair and the user.
async fn start_session(
    state: &AppState,
    customer: &Customer,
) -> Result<(serde_json::Value, Position), ApiError> {
    let id = customer
        .id
        .ok_or_else(|| ApiError::NotFound("customer not found".into()))?;
    let token = RefreshToken::generate(id, Uuid::now_v7());
    let command = CustomerCommand::StartSession {
        family_id: token.family_id,
        token_hash: token.hash(),
        expires_at: Utc::now() + state.config.refresh_token_ttl,
    };
    let metadata = Metadata {
        correlation_id: Some(Uuid::now_v7()),
        actor_id: Some(id),
        ..Metadata::default()
    };
    let outcome = execute::<Customer>(
        &state.store,
        &streams::customer(id),
        &command,
        EventIds::Random,
        &metadata,
    )
    .await?;
    Ok((token_body(state, &outcome.state, &token)?, outcome.position))
}

fn token_body(
    state: &AppState,
    customer: &Customer,
    token: &RefreshToken,
) -> Result<serde_json::Value, ApiError> {
    let role = customer.role.unwrap_or(Role::Buyer);
    let ttl = state.config.access_token_ttl;
    Ok(json!({
        "access_token": issue_access_token(state.config.jwt_secret.expose(), token.customer_id, role, ttl)?,
        "refresh_token": token.token,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
        "user": {
            "id": token.customer_id,
            "email": customer.email,
            "full_name": customer.full_name,
            "role": role,
        },
    }))
}

#[derive(Deserialize)]
struct LoginRequest {
    email: String,
    password: String,
}

/// Finds the account an email belongs to, through its claim stream.
pub async fn customer_by_email(
    store: &dyn EventStore,
    email: &str,
) -> Result<Option<Customer>, ApiError> {
    let claim = store
        .read_stream(&streams::email_claim(&normalize_email(email)), 1)
        .await?;
    let owner = claim.iter().find_map(|e| match ClaimEvent::decode(e) {
        Ok(ClaimEvent::Claimed { owner_id, .. }) => Some(owner_id),
        _ => None,
    });
    let Some(owner) = owner else { return Ok(None) };
    let customer = load::<Customer>(store, &streams::customer(owner))
        .await?
        .state;
    Ok(customer.is_registered().then_some(customer))
}

async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    if req.email.len() > 254 || req.password.len() > MAX_PASSWORD * 4 {
        return Err(ApiError::Unauthorized("invalid email or password".into()));
    }
    let customer = customer_by_email(state.store.as_ref(), &req.email).await?;
    let hash = customer.as_ref().map(|c| c.password_hash.clone());
    if !verify_password(req.password, hash).await {
        return Err(ApiError::Unauthorized("invalid email or password".into()));
    }
    let customer = customer.expect("invariant: a password verified only against a known account");
    let (body, position) = start_session(&state, &customer).await?;
    Ok(accepted(StatusCode::OK, body, position))
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Response, ApiError> {
    let presented = RefreshToken::parse(&req.refresh_token)
        .ok_or_else(|| ApiError::Unauthorized("invalid refresh token".into()))?;
    let next = RefreshToken::generate(presented.customer_id, presented.family_id);
    let now = Utc::now();
    let command = CustomerCommand::RefreshSession {
        family_id: presented.family_id,
        presented_hash: presented.hash(),
        new_hash: next.hash(),
        now,
        expires_at: now + state.config.refresh_token_ttl,
    };
    let stream = streams::customer(presented.customer_id);
    let metadata = Metadata {
        correlation_id: Some(Uuid::now_v7()),
        actor_id: Some(presented.customer_id),
        ..Metadata::default()
    };
    let outcome =
        execute::<Customer>(&state.store, &stream, &command, EventIds::Random, &metadata).await?;
    if outcome.events.iter().any(
        |e| matches!(e, CustomerEvent::SessionRevoked { reason, .. } if reason == REUSE_REASON),
    ) {
        tracing::warn!(customer = %presented.customer_id, "refresh token reuse detected; session family revoked");
        return Err(ApiError::Unauthorized(
            "refresh token was already used; the session is revoked".into(),
        ));
    }
    if !outcome.state.is_registered() {
        return Err(ApiError::Unauthorized("invalid refresh token".into()));
    }
    let body = token_body(&state, &outcome.state, &next)?;
    Ok(accepted(StatusCode::OK, body, outcome.position))
}

async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let token = RefreshToken::parse(&req.refresh_token)
        .filter(|t| t.customer_id == user.id)
        .ok_or_else(|| ApiError::Unauthorized("invalid refresh token".into()))?;
    let command = CustomerCommand::RevokeSession {
        family_id: token.family_id,
        reason: "logout".into(),
    };
    let metadata = super::user_metadata(&user);
    execute::<Customer>(
        &state.store,
        &streams::customer(user.id),
        &command,
        EventIds::Random,
        &metadata,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates the first admin from configuration when the email is not yet registered.
pub async fn ensure_admin(state: &AppState, email: &str, password: &str) -> anyhow::Result<()> {
    if let Some(existing) = customer_by_email(state.store.as_ref(), email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        if existing.role != Some(Role::Admin) {
            tracing::warn!(
                "PASAR_ADMIN_EMAIL belongs to an existing non-admin account; not promoting it"
            );
        }
        return Ok(());
    }
    let hash = hash_password(password.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match register_customer(state, email, "Administrator", Role::Admin, hash).await {
        Ok(_) => tracing::info!("created the first admin account from PASAR_ADMIN_EMAIL"),
        Err(ApiError::Conflict { .. }) => {}
        Err(e) => anyhow::bail!("creating the admin account: {e}"),
    }
    Ok(())
}
