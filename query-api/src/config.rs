//! The query API's configuration: read once from the environment at start-up.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The development signing key, used (with a loud warning) when `JWT_SECRET` is unset.
pub const DEV_JWT_SECRET: &str = "pasar-dev-secret-change-me";
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/pasar";
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8082";
pub const DEFAULT_CONSISTENCY_WAIT: Duration = Duration::from_millis(5000);

/// A value that must not reach logs: `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
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

/// Everything the query API needs to start. Built by [`Config::from_env`] in `main`, or
/// directly by tests.
#[derive(Clone)]
pub struct Config {
    /// Where the API listens (`QUERY_API_ADDR`).
    pub addr: SocketAddr,
    /// PostgreSQL holding the `rm` read models and their checkpoints (`DATABASE_URL`).
    pub database_url: String,
    /// NATS server whose `pasar.checkpoints.>` messages wake waiting readers (`NATS_URL`).
    /// Optional at run time: PostgreSQL LISTEN and a short poll cover for it.
    pub nats_url: String,
    /// HS256 key the command API signs access tokens with (`JWT_SECRET`).
    pub jwt_secret: Secret,
    /// How long a request with `X-Consistency-Token` may wait for the projections before a
    /// 503 (`CONSISTENCY_WAIT_MS`).
    pub consistency_wait: Duration,
}

/// A variable that is set but unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn invalid(variable: &'static str, message: impl ToString) -> ConfigError {
    ConfigError {
        variable,
        message: message.to_string(),
    }
}

impl Config {
    /// Reads `QUERY_API_ADDR`, `DATABASE_URL`, `NATS_URL`, `JWT_SECRET` and
    /// `CONSISTENCY_WAIT_MS`, with local defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`] with another source of variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let addr = get("QUERY_API_ADDR")
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned())
            .parse()
            .map_err(|e| invalid("QUERY_API_ADDR", format!("{e} (expected host:port)")))?;
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        database_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| invalid("DATABASE_URL", e))?;
        let nats_url = get("NATS_URL").unwrap_or_else(|| DEFAULT_NATS_URL.to_owned());
        nats_url
            .parse::<async_nats::ServerAddr>()
            .map_err(|e| invalid("NATS_URL", e))?;
        let jwt_secret = match get("JWT_SECRET") {
            Some(secret) if secret.len() < 16 => {
                return Err(invalid("JWT_SECRET", "must be at least 16 bytes"));
            }
            Some(secret) => Secret::new(secret),
            None => {
                tracing::warn!(
                    "JWT_SECRET is not set: using the built-in DEVELOPMENT key. Anyone can mint tokens \
                     for this instance. Set JWT_SECRET (the command API's signing key) in production."
                );
                Secret::new(DEV_JWT_SECRET)
            }
        };
        let consistency_wait = match get("CONSISTENCY_WAIT_MS") {
            None => DEFAULT_CONSISTENCY_WAIT,
            Some(ms) => Duration::from_millis(ms.parse::<u64>().map_err(|e| {
                invalid(
                    "CONSISTENCY_WAIT_MS",
                    format!("{e} (expected milliseconds)"),
                )
            })?),
        };
        Ok(Config {
            addr,
            database_url,
            nats_url,
            jwt_secret,
            consistency_wait,
        })
    }
}

/// The database URL may carry a password, so `Debug` shows only where it points.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = self
            .database_url
            .rsplit_once('@')
            .map_or(self.database_url.as_str(), |(_, host)| host);
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database", &database)
            .field("nats_url", &self.nats_url)
            .field("jwt_secret", &self.jwt_secret)
            .field("consistency_wait", &self.consistency_wait)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_local_services_with_the_development_key() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.addr.port(), 8082);
        assert_eq!(config.jwt_secret.expose(), DEV_JWT_SECRET);
        assert_eq!(config.consistency_wait, Duration::from_secs(5));
    }

    #[test]
    fn a_bad_wait_names_its_variable() {
        let error =
            Config::from_lookup(|name| (name == "CONSISTENCY_WAIT_MS").then(|| "soon".to_owned()))
                .unwrap_err();
        assert_eq!(error.variable, "CONSISTENCY_WAIT_MS");
    }

    #[test]
    fn secrets_never_reach_the_logs() {
        let config = Config::from_lookup(|name| match name {
            "JWT_SECRET" => Some("a-very-secret-signing-key".to_owned()),
            "DATABASE_URL" => Some("postgres://app:hunter2@db/pasar".to_owned()),
            _ => None,
        })
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("a-very-secret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
