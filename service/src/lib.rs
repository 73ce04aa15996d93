//! Plumbing every Pasar binary shares, written once.
//!
//! - [`config`]: environment lookup (empty counts as unset), parse helpers whose errors name
//!   the variable, [`Secret`], the one secret rule ([`config::MIN_SECRET_BYTES`]) and
//!   development mode (`PASAR_ENV=development`).
//! - [`access`]: what an admin changed about an account (suspension, role), checked on every
//!   request beside the token ([`access::AccessList`], kept current by LISTEN/NOTIFY).
//! - [`auth`]: the access-token claims, [`auth::TokenIssuer`] (command API) and
//!   [`auth::TokenVerifier`], and the [`AuthUser`] extractor for any state implementing
//!   [`auth::Authenticates`].
//! - [`problem`](mod@problem): RFC 9457 problem+json bodies; each service's `ApiError` renders
//!   through it.
//! - [`metrics`]: a Prometheus [`metrics::Registry`] per service instance with one bucket
//!   list, and the HTTP middleware labelling by matched route and known method.
//! - [`openapi`]: what both APIs' OpenAPI documents share (bearer scheme, problem+json
//!   schema and responses) and the `/openapi.json` and `/docs` routes (swagger-ui vendored in
//!   `assets/swagger-ui/`, compiled in).
//! - [`media`]: the object store product images live in (`MEDIA_DIR` or an S3 bucket) and
//!   its content-addressed keys.
//! - [`cors`]: `CORS_ALLOWED_ORIGINS` and the CORS layer both APIs wrap their router in.
//! - [`runtime`]: tracing set-up, [`listen`] (a deep accept queue), [`shutdown_signal`],
//!   [`connect_nats`].
//! - `testing` (feature `testing`): what every service's tests share: throwaway databases,
//!   the `/metrics` checks.
//!
//! Start with a service's `main.rs`: it reads its config through [`config::Env`], calls
//! [`runtime::init_tracing`] and passes [`shutdown_signal`] to its `run`.

pub mod access;
pub mod auth;
pub mod config;
pub mod cors;
pub mod media;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod runtime;
#[cfg(feature = "testing")]
pub mod testing;

pub use auth::{AuthError, AuthUser};
pub use config::{ConfigError, Env, Secret};
pub use problem::{Problem, problem};
pub use runtime::{connect_nats, listen, nats_urls, shutdown_signal, validate_nats_urls};
