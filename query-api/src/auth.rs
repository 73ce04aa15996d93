//! Bearer access tokens: HS256 JWTs issued by the command API.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pasar_events::types::Role;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::config::Secret;
use crate::error::ApiError;

/// The issuer the command API writes into every token.
pub const ISSUER: &str = "pasar";

/// The claims of an access token (`iat` is issued but not needed here).
#[derive(Debug, Deserialize)]
struct Claims {
    sub: Uuid,
    role: Role,
}

/// Checks access tokens.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(secret: &Secret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        TokenVerifier {
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    /// The caller a token names, if it is signed with our key, issued by `pasar` and unexpired.
    pub fn verify(&self, token: &str) -> Result<AuthUser, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| AuthUser {
                id: data.claims.sub,
                role: data.claims.role,
            })
            .map_err(|_| ApiError::Unauthorized("invalid or expired access token".into()))
    }
}

/// The authenticated caller, from `Authorization: Bearer <access token>`. Extracting it
/// rejects the request with 401 when the header is missing or the token is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

impl AuthUser {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "not available to the {} role",
                self.role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("an Authorization: Bearer token is required".into())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        state.tokens.verify(token.trim())
    }
}
