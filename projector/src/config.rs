//! The projector's configuration: read once from the environment at start-up.

use std::fmt;
use std::net::SocketAddr;

use pasar_service::Env;

pub use pasar_service::ConfigError;

/// Everything the projector needs to start. Built by [`Config::from_env`] in `main`, or
/// directly by tests.
#[derive(Clone)]
pub struct Config {
    /// PostgreSQL holding both the event store and the `rm` read models (`DATABASE_URL`).
    pub database_url: String,
    /// NATS server for checkpoint announcements (`NATS_URL`). Optional at run time: while it
    /// is unreachable the projector keeps projecting and PostgreSQL NOTIFY wakes readers.
    pub nats_url: String,
    /// Where `/healthz`, `/readyz` and `/metrics` are served (`PROJECTOR_ADDR`).
    pub addr: SocketAddr,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/pasar";
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8083";

impl Config {
    /// Reads `DATABASE_URL`, `NATS_URL` and `PROJECTOR_ADDR`, with local defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(&Env::process())
    }

    /// Like [`Config::from_env`] with the variables of `env`.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let database_url = env.get_or("DATABASE_URL", DEFAULT_DATABASE_URL);
        validate_database_url("DATABASE_URL", &database_url)?;
        let nats_url = env.get_or("NATS_URL", DEFAULT_NATS_URL);
        validate_nats_url("NATS_URL", &nats_url)?;
        let addr = env
            .get_or("PROJECTOR_ADDR", DEFAULT_ADDR)
            .parse()
            .map_err(|e| ConfigError::new("PROJECTOR_ADDR", format!("{e} (expected host:port)")))?;
        Ok(Config {
            database_url,
            nats_url,
            addr,
        })
    }
}

pub(crate) fn validate_database_url(variable: &'static str, url: &str) -> Result<(), ConfigError> {
    url.parse::<tokio_postgres::Config>()
        .map(|_| ())
        .map_err(|e| ConfigError::new(variable, e))
}

pub(crate) fn validate_nats_url(variable: &'static str, url: &str) -> Result<(), ConfigError> {
    pasar_service::validate_nats_urls(url).map_err(|e| ConfigError::new(variable, e))
}

/// The database URL may carry a password, so `Debug` shows only where it points.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("nats_url", &redact_url(&self.nats_url))
            .field("addr", &self.addr)
            .finish()
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:[redacted]@host/db`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:[redacted]@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_local_services() {
        let config = Config::read(&Env::from_pairs(&[])).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.addr.port(), 8083);
    }

    #[test]
    fn a_bad_address_names_its_variable() {
        let error = Config::read(&Env::from_pairs(&[("PROJECTOR_ADDR", "nowhere")])).unwrap_err();
        assert_eq!(error.variable, "PROJECTOR_ADDR");
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        let config = Config::read(&Env::from_pairs(&[(
            "DATABASE_URL",
            "postgres://app:hunter2@db:5432/pasar",
        )]))
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
