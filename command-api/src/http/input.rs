//! Parsing request input at the edge: every string field of every request is checked for
//! control characters (422) before anything else looks at it, and the optional
//! `Idempotency-Key` header is read once, here, and bound to a fingerprint of its request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use pasar_domain::FieldError;
use pasar_domain::values::ValueError;

use sha2::{Digest, Sha256};

use crate::app::idempotency::Idempotency;
use crate::error::ApiError;

/// Collects field errors while a request is parsed, then refuses with all of them at once.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps `Ok` values; records the refusal of an `Err` against `field`.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, ValueError>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.push(e.at(field));
                None
            }
        }
    }

    pub fn push(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    /// `Ok` when nothing was refused.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Free text of an optional or unbounded field: only control characters are refused here
/// (the domain checks lengths).
pub fn text(fields: &mut Fields, field: &'static str, raw: &str) -> Option<String> {
    fields.check(
        field,
        pasar_domain::values::printable(raw).map(str::to_owned),
    )
}

/// The `Idempotency-Key` header, when given: 1 to 255 printable characters.
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    pub fn required(self) -> Result<String, ApiError> {
        self.0
            .ok_or_else(|| ApiError::BadRequest("the Idempotency-Key header is required".into()))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The key bound to what the request means: `request` is what identifies it (path
    /// parameters and body fields, never a secret such as a password), hashed.
    pub fn for_request(
        &self,
        request: &impl serde::Serialize,
    ) -> Result<Option<Idempotency>, ApiError> {
        let Some(key) = &self.0 else {
            return Ok(None);
        };
        let bytes = serde_json::to_vec(request).map_err(anyhow::Error::from)?;
        Ok(Some(Idempotency::client(
            key.clone(),
            hex::encode(Sha256::digest(bytes)),
        )))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .map(str::trim)
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255 && !k.contains(char::is_control))
            .ok_or_else(|| {
                ApiError::BadRequest("Idempotency-Key must be 1 to 255 printable characters".into())
            })?;
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// The TCP peer's address, the login throttle's client key. Unspecified (one shared key) when
/// the router is served without connect info, as in router-level tests.
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Self(peer.map_or(
            std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            |c| c.0.ip(),
        )))
    }
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: an absent field stays `None`,
/// an explicit `null` becomes `Some(None)`, a value `Some(Some(v))`. Lets a PATCH tell
/// "leave it" from "clear it".
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
