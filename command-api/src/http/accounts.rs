//! `/v1/auth/*`: registration, login, token refresh and logout. Requests are parsed into
//! validated values here; passwords are hashed and tokens minted with the auth module; the
//! rules run in `app::accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::customer::Customer;
use pasar_domain::values::{Email, Text};
use pasar_events::types::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::accepted;
use super::input::{ClientAddr, Fields, IdempotencyKey, text};
use super::openapi::{IdempotencyKeyHeader, TokenAnswer};
use crate::app::accounts::{self, Refresh, Registration};
use crate::app::{AppError, AppState, Rule};
use crate::auth::{AuthUser, RefreshToken, issue_access_token};
use crate::error::{ApiError, Json};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 128;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ani@example.com", "password": "buyer-password", "full_name": "Ani Lestari", "role": "buyer"}))]
struct RegisterRequest {
    #[schema(format = "email")]
    email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    password: String,
    full_name: String,
    /// `buyer` (default) or `seller`.
    #[schema(value_type = Option<super::openapi::RegistrationRole>, example = "buyer")]
    role: Option<String>,
}

/// A registration request with its values parsed, before the password is hashed.
struct ParsedRegistration {
    email: Email,
    full_name: Text<1, 100>,
    role: Role,
}

impl TryFrom<&RegisterRequest> for ParsedRegistration {
    type Error = ApiError;

    fn try_from(req: &RegisterRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let email = fields.check("email", Email::parse(&req.email));
        let full_name = fields.check("full_name", Text::parse(&req.full_name));
        text(&mut fields, "password", &req.password);
        let length = req.password.chars().count();
        if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
            let message = format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters");
            fields.push([pasar_domain::FieldError::new("password", message)]);
        }
        let role = match req.role.as_deref() {
            None | Some("buyer") => Some(Role::Buyer),
            Some("seller") => Some(Role::Seller),
            Some(_) => {
                fields.push([pasar_domain::FieldError::new(
                    "role",
                    "must be buyer or seller",
                )]);
                None
            }
        };
        fields.finish()?;
        match (email, full_name, role) {
            (Some(email), Some(full_name), Some(role)) => Ok(ParsedRegistration {
                email,
                full_name,
                role,
            }),
            _ => Err(ApiError::Internal(anyhow::anyhow!(
                "invariant: no field errors"
            ))),
        }
    }
}

/// Register
///
/// Creates a buyer or seller account and starts a session. A retry with the same
/// `Idempotency-Key` (and the same email, name, role and password) answers for the account the
/// first request created, with a new session; the password is checked against that account, so
/// a key alone never opens it.
#[utoipa::path(
    post, path = "/v1/auth/register", tag = "auth",
    params(IdempotencyKeyHeader),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = TokenAnswer),
        (status = 409, description = "The email is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the Idempotency-Key was used with another request (or another password)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable, or every password-hashing slot is busy (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    State(state): State<AppState>,
    key: IdempotencyKey,
    Json(req): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    let parsed = ParsedRegistration::try_from(&req)?;
    // The password is not part of the fingerprint: it is never stored, even hashed, outside
    // the account; a retry's password is checked against the account instead.
    let key = key.for_request(&(parsed.email.as_str(), &req.full_name, parsed.role))?;
    let registration = Registration {
        email: parsed.email,
        full_name: parsed.full_name,
        role: parsed.role,
        password_hash: state.passwords.hash(req.password.clone()).await?,
    };
    let outcome = accounts::register(&state, registration, key.as_ref()).await?;
    let customer = outcome.state;
    let retried = outcome.events.is_empty();
    if retried {
        let recorded = Some(customer.password_hash.clone());
        if !state.passwords.verify(req.password, recorded).await? {
            return Err(Rule::IdempotencyKeyReused.into());
        }
    }
    session_answer(&state, &customer, StatusCode::CREATED).await
}

/// Begins a refresh-token family and answers with a token pair and the user.
async fn session_answer(
    state: &AppState,
    customer: &Customer,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let id = customer
        .id
        .ok_or(AppError::Rejected(Rule::InvalidCredentials))?;
    let token = RefreshToken::generate(id, Uuid::now_v7());
    let outcome = accounts::start_session(state, id, token.family_id, token.hash()).await?;
    Ok(accepted(
        status,
        token_body(state, &outcome.state, &token)?,
        outcome.position,
    ))
}

fn token_body(
    state: &AppState,
    customer: &Customer,
    token: &RefreshToken,
) -> Result<serde_json::Value, ApiError> {
    let role = customer.role.unwrap_or(Role::Buyer);
    let ttl = state.config.access_token_ttl;
    Ok(json!({
        "access_token": issue_access_token(state.config.jwt_secret.expose(), token.customer_id, role, Some(token.family_id), ttl)?,
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

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ani@example.com", "password": "buyer-password"}))]
struct LoginRequest {
    email: String,
    password: String,
}

/// Log in
///
/// Logs in, unless the account or the client address failed too often lately (429) or every
/// hashing slot is busy (503); an attempt whose password was never checked does not count.
#[utoipa::path(
    post, path = "/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenAnswer),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this account or address (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable, or every password-hashing slot is busy (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let mut fields = Fields::default();
    text(&mut fields, "email", &req.email);
    text(&mut fields, "password", &req.password);
    fields.finish()?;
    let refused = || ApiError::from(Rule::InvalidCredentials);
    if req.password.len() > MAX_PASSWORD * 4 {
        return Err(refused());
    }
    let throttle = &state.login_throttle;
    let key = req.email.trim().to_lowercase();
    let attempt = throttle.begin(&key, client, std::time::Instant::now())?;
    match check_password(&state, req).await {
        Ok(Some(customer)) => {
            throttle.succeeded(attempt);
            session_answer(&state, &customer, StatusCode::OK).await
        }
        Ok(None) => Err(refused()),
        Err(e) => {
            throttle.not_checked(attempt);
            Err(e)
        }
    }
}

/// The account whose password this is, if any. An address that cannot exist still costs a
/// hash, so timing does not tell it apart.
async fn check_password(state: &AppState, req: LoginRequest) -> Result<Option<Customer>, ApiError> {
    let customer = match Email::parse(&req.email) {
        Ok(email) => accounts::customer_by_email(state.store.as_ref(), &email).await?,
        Err(_) => None,
    };
    let hash = customer.as_ref().map(|c| c.password_hash.clone());
    let matches = state.passwords.verify(req.password, hash).await?;
    Ok(customer.filter(|_| matches))
}

#[derive(Deserialize, ToSchema)]
struct RefreshRequest {
    refresh_token: String,
}

fn parse_refresh(req: &RefreshRequest) -> Result<RefreshToken, ApiError> {
    let mut fields = Fields::default();
    text(&mut fields, "refresh_token", &req.refresh_token);
    fields.finish()?;
    RefreshToken::parse(&req.refresh_token).ok_or_else(|| Rule::InvalidRefreshToken.into())
}

/// Refresh
///
/// Swaps a refresh token for a new pair. A refresh token works once: presenting it again
/// revokes its whole family (401). With an `Idempotency-Key`, the next token is derived from
/// the presented one and the key, so a retry after a lost answer gets the same pair instead of
/// being taken for a stolen token's reuse.
#[utoipa::path(
    post, path = "/v1/auth/refresh", tag = "auth",
    params(IdempotencyKeyHeader),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenAnswer),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the Idempotency-Key was used with another token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    key: IdempotencyKey,
    Json(req): Json<RefreshRequest>,
) -> Result<Response, ApiError> {
    let presented = parse_refresh(&req)?;
    let key = key.for_request(&presented.hash())?;
    let next = match &key {
        Some(key) => presented.derived(state.config.jwt_secret.expose().as_bytes(), &key.key),
        None => RefreshToken::generate(presented.customer_id, presented.family_id),
    };
    let command = Refresh {
        customer_id: presented.customer_id,
        family_id: presented.family_id,
        presented_hash: presented.hash(),
        new_hash: next.hash(),
    };
    let outcome = accounts::refresh(&state, command, key.as_ref()).await?;
    let body = token_body(&state, &outcome.state, &next)?;
    Ok(accepted(StatusCode::OK, body, outcome.position))
}

/// Log out
///
/// Revokes the session family of `refresh_token`, which must be the caller's.
#[utoipa::path(
    post, path = "/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let token = Some(parse_refresh(&req)?)
        .filter(|t| t.customer_id == user.id)
        .ok_or(ApiError::from(Rule::InvalidRefreshToken))?;
    accounts::logout(&state, user.id, token.family_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
