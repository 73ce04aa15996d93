//! What the client needs to know, independent of how a binary reads its configuration.

use std::fmt;
use std::time::Duration;

use anyhow::bail;
use pasar_service::Env;

use crate::config::Secret;

/// The live V2 (Komerce) base URL, used when a key is set and `RAJAONGKIR_URL` is not.
pub const LIVE_URL: &str = "https://rajaongkir.komerce.id/api/v1";
/// The local simulator (`rajaongkir-sim`), used in development when no key is set.
pub const DEV_URL: &str = "http://127.0.0.1:8091/api/v1";
/// The simulator's development key, used only in development (`PASAR_ENV=development`) when
/// `RAJAONGKIR_API_KEY` is not set. It is public: never in production.
pub const DEV_API_KEY: &str = "pasar-dev-rajaongkir-key";

/// Settings of the RajaOngkir client. `Debug` never prints the key.
#[derive(Clone)]
pub struct RajaOngkirSettings {
    /// The "Shipping Cost" API key, sent as the `key` header on every call.
    pub api_key: Secret,
    /// Base URL including `/api/v1`, e.g. [`LIVE_URL`].
    pub base_url: String,
    /// Whole-call limit (connect, send, read the answer) for one request.
    pub timeout: Duration,
    /// How long a destination search answer is reused.
    pub cache_ttl: Duration,
    /// How many distinct searches the cache keeps.
    pub cache_capacity: usize,
}

impl fmt::Debug for RajaOngkirSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RajaOngkirSettings")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_capacity", &self.cache_capacity)
            .finish()
    }
}

impl RajaOngkirSettings {
    /// Settings for `api_key` at `base_url` with the default timeout (5 s) and cache (1000
    /// searches for 6 hours: location lists change rarely).
    pub fn new(api_key: impl Into<String>, base_url: impl Into<String>) -> Self {
        RajaOngkirSettings {
            api_key: Secret::new(api_key),
            base_url: base_url.into(),
            timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(6 * 60 * 60),
            cache_capacity: 1000,
        }
    }

    /// [`RajaOngkirSettings::from_lookup`] over the service's [`Env`].
    pub fn read(env: &Env) -> anyhow::Result<Self> {
        Self::from_lookup(|name| env.get(name))
    }

    /// Reads `RAJAONGKIR_API_KEY` and `RAJAONGKIR_URL` through `lookup` (blank counts as
    /// unset). With a key, the URL defaults to [`LIVE_URL`]. Without one the command API must
    /// not start, except in development (`PASAR_ENV=development`, the same rule as Midtrans),
    /// where the client talks to the local simulator ([`DEV_URL`] with [`DEV_API_KEY`]) and
    /// this logs a warning. Fails, naming the variable, on a missing key outside development,
    /// a bad `PASAR_ENV`, or a `RAJAONGKIR_URL` that is not an `http(s)://` URL.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let settings = match var("RAJAONGKIR_API_KEY") {
            Some(key) => Self::new(
                key,
                var("RAJAONGKIR_URL").unwrap_or_else(|| LIVE_URL.into()),
            ),
            None => {
                // The service-wide PASAR_ENV rule, applied to the one value it needs.
                let mode = var("PASAR_ENV").unwrap_or_default();
                if !Env::from_pairs(&[("PASAR_ENV", &mode)]).development()? {
                    bail!(
                        "RAJAONGKIR_API_KEY is not set: it authenticates shipping-cost calls. \
                         Set it, or set PASAR_ENV=development to use the local simulator"
                    );
                }
                tracing::warn!(
                    "RAJAONGKIR_API_KEY is not set: talking to the local RajaOngkir SIMULATOR"
                );
                Self::new(
                    DEV_API_KEY,
                    var("RAJAONGKIR_URL").unwrap_or_else(|| DEV_URL.into()),
                )
            }
        };
        let url = settings.base_url.trim();
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok || reqwest::Url::parse(url).is_err() {
            bail!("RAJAONGKIR_URL is not an http(s) URL: {url:?}");
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_key_without_a_url_talks_to_the_live_api() {
        let settings =
            RajaOngkirSettings::from_lookup(lookup(&[("RAJAONGKIR_API_KEY", "k-123")])).unwrap();
        assert_eq!(settings.base_url, LIVE_URL);
        assert_eq!(settings.api_key.expose(), "k-123");
    }

    #[test]
    fn no_key_in_development_means_the_local_simulator() {
        let settings = RajaOngkirSettings::from_lookup(lookup(&[
            ("RAJAONGKIR_API_KEY", " "),
            ("PASAR_ENV", "development"),
        ]))
        .unwrap();
        assert_eq!(settings.base_url, DEV_URL);
        assert_eq!(settings.api_key.expose(), DEV_API_KEY);
    }

    #[test]
    fn no_key_outside_development_is_refused_naming_the_variable() {
        let missing = RajaOngkirSettings::from_lookup(lookup(&[])).unwrap_err();
        let typo = RajaOngkirSettings::from_lookup(lookup(&[("PASAR_ENV", "dev")])).unwrap_err();

        assert!(missing.to_string().contains("RAJAONGKIR_API_KEY"));
        assert!(typo.to_string().contains("PASAR_ENV"));
    }

    #[test]
    fn read_takes_the_services_env() {
        let env = Env::from_pairs(&[
            ("RAJAONGKIR_API_KEY", "k-1"),
            ("RAJAONGKIR_URL", "http://sim:8091/api/v1"),
        ]);
        let settings = RajaOngkirSettings::read(&env).unwrap();
        assert_eq!(settings.base_url, "http://sim:8091/api/v1");
    }

    #[test]
    fn a_bad_url_is_refused_naming_the_variable() {
        let error = RajaOngkirSettings::from_lookup(lookup(&[
            ("RAJAONGKIR_API_KEY", "k"),
            ("RAJAONGKIR_URL", "ftp://x"),
        ]))
        .unwrap_err();
        assert!(error.to_string().contains("RAJAONGKIR_URL"));
    }

    #[test]
    fn debug_never_prints_the_key() {
        let settings = RajaOngkirSettings::new("SECRET-KEY-42", "http://sim/api/v1");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("SECRET-KEY-42"));
        assert!(printed.contains("[redacted]"));
    }
}
