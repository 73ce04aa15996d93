//! Passwords (argon2id), access tokens (HS256 JWT) and refresh tokens (opaque, rotated,
//! stored only as SHA-256 hashes in the customer's stream).

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pasar_events::types::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::error::ApiError;

const ISSUER: &str = "pasar";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes) off the async runtime.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks a password against a stored hash. With no hash (unknown account) it still does the
/// work of a check, so response times do not reveal which emails are registered.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3g1q7mHk0Yl2bd5yHcw7zJ5zFqZb8rWZ6x0xO2d3aHw";
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY.to_owned());
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && known
}

pub fn issue_access_token(
    secret: &str,
    user: Uuid,
    role: Role,
    ttl: Duration,
) -> Result<String, ApiError> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user,
        role,
        iat: now,
        exp: now + ttl.as_secs() as i64,
        iss: ISSUER.into(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| ApiError::Internal(e.into()))
}

pub fn decode_access_token(secret: &str, token: &str) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 5;
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|_| ApiError::Unauthorized("invalid or expired access token".into()))
}

/// A refresh token names its owner and family so it can be checked against the customer's
/// stream: `rt.<customer>.<family>.<secret>`.
pub struct RefreshToken {
    pub customer_id: Uuid,
    pub family_id: Uuid,
    pub token: String,
}

impl RefreshToken {
    pub fn generate(customer_id: Uuid, family_id: Uuid) -> Self {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        let token = format!(
            "rt.{}.{}.{secret}",
            customer_id.simple(),
            family_id.simple()
        );
        Self {
            customer_id,
            family_id,
            token,
        }
    }

    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (Some("rt"), Some(customer), Some(family), Some(secret), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if secret.len() < 40 {
            return None;
        }
        Some(Self {
            customer_id: customer.parse().ok()?,
            family_id: family.parse().ok()?,
            token: token.to_owned(),
        })
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.token.as_bytes()))
    }
}

/// The authenticated caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

impl AuthUser {
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action is not available to a {}",
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
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer token".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::Unauthorized("expected a Bearer token".into()))?;
        let claims = decode_access_token(state.config.jwt_secret.expose(), token.trim())?;
        Ok(AuthUser {
            id: claims.sub,
            role: claims.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_round_trips_and_junk_is_refused() {
        let token = RefreshToken::generate(Uuid::new_v4(), Uuid::new_v4());
        let parsed = RefreshToken::parse(&token.token).unwrap();
        assert_eq!(parsed.customer_id, token.customer_id);
        assert_eq!(parsed.hash(), token.hash());
        assert!(RefreshToken::parse("rt.x.y.z").is_none());
    }

    #[test]
    fn an_access_token_signed_with_another_secret_is_refused() {
        let token = issue_access_token(
            "a".repeat(32).as_str(),
            Uuid::new_v4(),
            Role::Buyer,
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(decode_access_token(&"a".repeat(32), &token).is_ok());
        assert!(decode_access_token(&"b".repeat(32), &token).is_err());
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(hash)).await);
        assert!(!verify_password("correct horse".into(), None).await);
    }
}
