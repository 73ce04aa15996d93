//! Typed configuration, read once from the environment at start-up.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};

/// A secret value: usable, never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Development defaults, used (with a loud warning) when the real values are not configured.
pub const DEV_JWT_SECRET: &str = "pasar-dev-secret-change-me";
pub const DEV_MIDTRANS_SERVER_KEY: &str = "SB-Mid-server-pasar-dev";
pub const DEV_MIDTRANS_URL: &str = "http://127.0.0.1:8090";

#[derive(Debug, Clone)]
pub struct MidtransConfig {
    /// Server key: HTTP Basic user for Midtrans calls and the webhook signature secret.
    pub server_key: Secret,
    /// Snap base URL, e.g. https://app.sandbox.midtrans.com.
    pub snap_url: String,
    /// Core API base URL, e.g. https://api.sandbox.midtrans.com.
    pub api_url: String,
    /// Confirm every notification with `GET /v2/{id}/status` before acting on it.
    pub verify_with_status_api: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`COMMAND_API_ADDR`).
    pub addr: SocketAddr,
    /// PostgreSQL: the event store (by default) and the reactors' bookkeeping (`DATABASE_URL`).
    pub database_url: String,
    /// Event-store backend (`EVENT_STORE` = postgres | eventstoredb, `EVENTSTORE_URL`).
    pub event_store: pasar_events::select::Backend,
    /// NATS server (`NATS_URL`); reserved for integration wake-ups.
    pub nats_url: String,
    /// HS256 key for access tokens (`JWT_SECRET`), shared with the query API.
    pub jwt_secret: Secret,
    /// Lifetime of access tokens (`ACCESS_TOKEN_TTL_SECS`, default 900).
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh-token family (`REFRESH_TOKEN_TTL_SECS`, default 30 days).
    pub refresh_token_ttl: Duration,
    /// How long stock stays reserved for an unpaid order (`PAYMENT_TIMEOUT_SECS`, default 3600).
    pub payment_timeout: Duration,
    pub midtrans: MidtransConfig,
    /// First admin account (`PASAR_ADMIN_EMAIL` and `PASAR_ADMIN_PASSWORD`, both or neither).
    pub admin: Option<(String, Secret)>,
    /// Run the reactors (process managers) in this process (`REACTORS_ENABLED`, default true).
    pub reactors_enabled: bool,
    /// How often expired reservations are looked for (`EXPIRY_SWEEP_MS`, default 30000).
    pub expiry_sweep_interval: Duration,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match var(name) {
        Some(v) => v
            .parse()
            .with_context(|| format!("{name} is not valid: {v:?}")),
        None => Ok(default),
    }
}

impl Config {
    /// Reads and validates the environment; errors name the variable at fault.
    pub fn from_env() -> anyhow::Result<Self> {
        let jwt_secret = match var("JWT_SECRET") {
            Some(s) if s.len() < 32 => bail!("JWT_SECRET must be at least 32 characters"),
            Some(s) => Secret::new(s),
            None => {
                tracing::warn!(
                    "JWT_SECRET is not set: using the public DEVELOPMENT secret; never do this in production"
                );
                Secret::new(DEV_JWT_SECRET)
            }
        };
        let midtrans = match var("MIDTRANS_SERVER_KEY") {
            Some(key) => MidtransConfig {
                server_key: Secret::new(key),
                snap_url: var("MIDTRANS_SNAP_URL")
                    .unwrap_or_else(|| "https://app.sandbox.midtrans.com".into()),
                api_url: var("MIDTRANS_API_URL")
                    .unwrap_or_else(|| "https://api.sandbox.midtrans.com".into()),
                verify_with_status_api: parse("MIDTRANS_VERIFY_STATUS", false)?,
            },
            None => {
                tracing::warn!(
                    "MIDTRANS_SERVER_KEY is not set: talking to the local Midtrans SIMULATOR at {DEV_MIDTRANS_URL}"
                );
                MidtransConfig {
                    server_key: Secret::new(DEV_MIDTRANS_SERVER_KEY),
                    snap_url: var("MIDTRANS_SNAP_URL").unwrap_or_else(|| DEV_MIDTRANS_URL.into()),
                    api_url: var("MIDTRANS_API_URL").unwrap_or_else(|| DEV_MIDTRANS_URL.into()),
                    verify_with_status_api: parse("MIDTRANS_VERIFY_STATUS", false)?,
                }
            }
        };
        let admin = match (var("PASAR_ADMIN_EMAIL"), var("PASAR_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some((email, Secret::new(password))),
            (None, None) => None,
            _ => bail!("PASAR_ADMIN_EMAIL and PASAR_ADMIN_PASSWORD must be set together"),
        };
        Ok(Self {
            addr: parse("COMMAND_API_ADDR", SocketAddr::from(([127, 0, 0, 1], 8081)))?,
            event_store: pasar_events::select::Backend::from_env().map_err(anyhow::Error::msg)?,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/pasar".into()),
            nats_url: var("NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".into()),
            jwt_secret,
            access_token_ttl: Duration::from_secs(parse("ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(parse(
                "REFRESH_TOKEN_TTL_SECS",
                30 * 24 * 3600,
            )?),
            payment_timeout: Duration::from_secs(parse("PAYMENT_TIMEOUT_SECS", 3600)?),
            midtrans,
            admin,
            reactors_enabled: parse("REACTORS_ENABLED", true)?,
            expiry_sweep_interval: Duration::from_millis(parse("EXPIRY_SWEEP_MS", 30_000)?),
        })
    }
}
