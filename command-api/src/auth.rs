//! Passwords (argon2id), access tokens (HS256 JWT, signed and checked by
//! [`pasar_service::auth`]) and refresh tokens (opaque, rotated, stored only as SHA-256 hashes
//! in the customer's stream).

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use pasar_events::types::Role;
use pasar_service::Secret;
use pasar_service::auth::{Authenticates, TokenIssuer, TokenVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::error::ApiError;

pub use pasar_service::AuthUser;

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

/// A signed access token for `user` (HS256 with `secret`, see [`pasar_service::auth`]).
pub fn issue_access_token(
    secret: &str,
    user: Uuid,
    role: Role,
    session: Option<Uuid>,
    ttl: Duration,
) -> Result<String, ApiError> {
    TokenIssuer::new(&Secret::new(secret))
        .issue_for_session(user, role, session, ttl)
        .map_err(ApiError::from)
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
        Self::with_secret(customer_id, family_id, &secret)
    }

    /// The token a keyed refresh hands out: the same for every retry of that refresh (so a
    /// retry after a lost answer gets the pair the first one recorded), and unguessable
    /// without the server's key: HMAC-SHA256 under `server_key` of the presented token and the
    /// client's idempotency key.
    pub fn derived(&self, server_key: &[u8], idempotency_key: &str) -> Self {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(server_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"pasar refresh token\x1f");
        mac.update(self.token.as_bytes());
        mac.update(b"\x1f");
        mac.update(idempotency_key.as_bytes());
        let secret = mac.finalize().into_bytes();
        Self::with_secret(self.customer_id, self.family_id, &secret)
    }

    fn with_secret(customer_id: Uuid, family_id: Uuid, secret: &[u8]) -> Self {
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

/// `AuthUser` extracts from the command API's state, rejecting with its `ApiError`.
impl Authenticates for AppState {
    type Rejection = ApiError;

    fn token_verifier(&self) -> &TokenVerifier {
        &self.tokens
    }

    fn access_list(&self) -> &pasar_service::access::AccessList {
        &self.access
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
            None,
            Duration::from_secs(60),
        )
        .unwrap();
        let verify = |key: &str| TokenVerifier::new(&Secret::new(key.repeat(32))).verify(&token);
        assert!(verify("a").is_ok());
        assert!(verify("b").is_err());
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
