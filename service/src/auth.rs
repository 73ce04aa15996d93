//! Access tokens: HS256 JWTs that the command API issues ([`TokenIssuer`]) and both APIs
//! check ([`TokenVerifier`]), so the claims exist once. [`AuthUser`] is the axum extractor
//! for `Authorization: Bearer <token>` (which also consults the service's
//! [`AccessList`]: a suspended account or an outdated role is refused at once); a service opts in by implementing [`Authenticates`]
//! for its state, naming its own error type as the rejection.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::AccessList;
use crate::config::Secret;

/// The issuer written into, and required of, every access token.
pub const ISSUER: &str = "pasar";

/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The customer.
    pub sub: Uuid,
    /// Their role when the token was issued.
    pub role: Role,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always [`ISSUER`].
    pub iss: String,
    /// The refresh-token family (session) the token was issued for, when it was issued for
    /// one (a password change keeps that session and ends the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Why a request is not allowed. Each service maps it onto its `ApiError` (401 / 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 401: no token, a malformed header, or a token that is invalid or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a valid token whose role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 500: a token could not be signed.
    #[error("signing an access token: {0}")]
    Signing(String),
}

/// Signs access tokens (the command API).
pub struct TokenIssuer {
    key: EncodingKey,
}

impl TokenIssuer {
    /// An issuer signing with `secret` (the `JWT_SECRET` both APIs share).
    pub fn new(secret: &Secret) -> Self {
        TokenIssuer {
            key: EncodingKey::from_secret(secret.expose().as_bytes()),
        }
    }

    /// A token naming `user` with `role`, valid for `ttl` from now.
    pub fn issue(&self, user: Uuid, role: Role, ttl: Duration) -> Result<String, AuthError> {
        self.issue_for_session(user, role, None, ttl)
    }

    /// [`TokenIssuer::issue`] naming the session (refresh-token family) it belongs to.
    pub fn issue_for_session(
        &self,
        user: Uuid,
        role: Role,
        session: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role,
            iat: now,
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            iss: ISSUER.into(),
            sid: session,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(|e| AuthError::Signing(e.to_string()))
    }
}

/// Checks access tokens (both APIs).
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    /// A verifier for tokens signed with `secret`.
    pub fn new(secret: &Secret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECS;
        TokenVerifier {
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    /// The caller a token names, if it is signed with our key, issued by `pasar` and unexpired.
    pub fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| AuthUser {
                id: data.claims.sub,
                role: data.claims.role,
                session: data.claims.sid,
            })
            .map_err(|_| AuthError::Unauthorized("invalid or expired access token".into()))
    }

    /// The caller named by the `Authorization: Bearer <token>` header of `headers`.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<AuthUser, AuthError> {
        let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
            AuthError::Unauthorized("an Authorization: Bearer token is required".into())
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                AuthError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        self.verify(token.trim())
    }
}

/// The authenticated caller. Extracting it rejects the request (401) when the header is
/// missing or the token is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// The customer id (`sub`).
    pub id: Uuid,
    /// The role the token grants.
    pub role: Role,
    /// The session (refresh-token family) the token was issued for, if it names one.
    pub session: Option<Uuid>,
}

impl AuthUser {
    /// `Forbidden` unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "not available to the {} role",
                self.role.as_str()
            )))
        }
    }
}

/// A service state that can check access tokens; implementing it makes [`AuthUser`] an
/// extractor for that state, rejecting with the service's own error type.
pub trait Authenticates: Send + Sync {
    /// The service's error type (its `ApiError`).
    type Rejection: From<AuthError> + IntoResponse;

    /// The verifier for this service's key.
    fn token_verifier(&self) -> &TokenVerifier;

    /// The accounts an admin suspended or gave another role (see [`crate::access`]).
    fn access_list(&self) -> &AccessList;
}

impl<S: Authenticates> FromRequestParts<S> for AuthUser {
    type Rejection = S::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = state.token_verifier().authenticate(&parts.headers)?;
        state.access_list().check(&user)?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(c: char) -> Secret {
        Secret::new(c.to_string().repeat(32))
    }

    #[test]
    fn a_token_verifies_only_with_its_own_key() {
        let user = Uuid::new_v4();
        let token = TokenIssuer::new(&secret('a'))
            .issue(user, Role::Seller, Duration::from_secs(60))
            .unwrap();
        let caller = TokenVerifier::new(&secret('a')).verify(&token).unwrap();
        assert_eq!(
            caller,
            AuthUser {
                id: user,
                role: Role::Seller,
                session: None,
            }
        );
        assert!(TokenVerifier::new(&secret('b')).verify(&token).is_err());
    }

    #[test]
    fn a_missing_or_odd_header_is_unauthorized() {
        let verifier = TokenVerifier::new(&secret('a'));
        let mut headers = HeaderMap::new();
        assert!(matches!(
            verifier.authenticate(&headers),
            Err(AuthError::Unauthorized(_))
        ));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(matches!(
            verifier.authenticate(&headers),
            Err(AuthError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_role_outside_the_list_is_forbidden() {
        let buyer = AuthUser {
            id: Uuid::new_v4(),
            role: Role::Buyer,
            session: None,
        };
        assert!(buyer.require(&[Role::Buyer, Role::Admin]).is_ok());
        assert!(matches!(
            buyer.require(&[Role::Admin]),
            Err(AuthError::Forbidden(_))
        ));
    }
}
