//! RajaOngkir V2 (Komerce) client for shipping costs, following `shared/reference/rajaongkir.md`:
//! the `key` header on every call, form-encoded cost calls with integer grams, answers in the
//! `{"meta", "data"}` envelope with integer rupiah and `etd` as free text.
//!
//! Map:
//! - [`settings`]: [`RajaOngkirSettings`] (`RAJAONGKIR_API_KEY`, `RAJAONGKIR_URL`, timeout,
//!   cache size), built by the config owner with [`RajaOngkirSettings::from_lookup`].
//! - [`model`]: what the calls return ([`Destination`], [`CourierService`]) and the strict
//!   reading of `data` rows.
//! - [`error`]: [`ShippingError`]: `Unavailable` (timeout, 5xx, 429, rejected key),
//!   `Rejected` (the input), `InvalidResponse`; its `Display` is client-safe.
//! - `cache`: the bounded TTL cache in front of the destination search.
//!
//! Start with [`RajaOngkir::search_destinations`] and [`RajaOngkir::quote`]. The client never
//! retries: a checkout must fail fast and cleanly (503), and the caller knows whether a retry
//! is worth it ([`ShippingError::is_transient`], [`ShippingError::retry_after`]).

mod cache;
/// [`ShippingError`] and its causes.
pub mod error;
/// [`Destination`] and [`CourierService`].
pub mod model;
/// [`RajaOngkirSettings`].
pub mod settings;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, RETRY_AFTER};
use serde_json::Value;

pub use error::{RejectReason, ShippingError, UnavailableCause};
pub use model::{CourierService, Destination};
pub use settings::RajaOngkirSettings;

use cache::TtlCache;

/// Rows asked for per destination search: enough for an address picker.
const SEARCH_LIMIT: u32 = 10;
/// Longest search text sent upstream; longer input is refused before any call.
const MAX_QUERY_CHARS: usize = 100;

/// A RajaOngkir client. Cheap to clone: clones share the connection pool and the cache.
#[derive(Clone)]
pub struct RajaOngkir {
    http: reqwest::Client,
    base_url: String,
    key: HeaderValue,
    searches: Arc<TtlCache<Vec<Destination>>>,
    /// Every location a search returned, by id, for [`RajaOngkir::known_destination`].
    known: Arc<TtlCache<Destination>>,
}

impl fmt::Debug for RajaOngkir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RajaOngkir")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer: effective code (HTTP status, or `meta.code` on a 2xx), body if JSON.
struct Reply {
    code: u16,
    body: Option<Value>,
    retry_after: Option<Duration>,
}

impl Reply {
    fn meta_message(&self) -> &str {
        let message = self
            .body
            .as_ref()
            .and_then(|b| b["meta"]["message"].as_str())
            .unwrap_or("");
        // Debug logs only, and bounded: an upstream page must not flood them.
        let end = message
            .char_indices()
            .nth(200)
            .map_or(message.len(), |(i, _)| i);
        &message[..end]
    }

    fn has_envelope(&self) -> bool {
        self.body.as_ref().is_some_and(|b| b["meta"].is_object())
    }
}

impl RajaOngkir {
    /// A client for the configured RajaOngkir (or simulator). Fails only if the key cannot be
    /// sent as a header or the HTTP client cannot be built (no TLS backend).
    pub fn new(settings: RajaOngkirSettings) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .build()
            .context("building the RajaOngkir HTTP client")?;
        let mut key = HeaderValue::from_str(settings.api_key.expose()).map_err(|_| {
            anyhow::anyhow!("RAJAONGKIR_API_KEY contains characters a header cannot carry")
        })?;
        key.set_sensitive(true);
        Ok(RajaOngkir {
            http,
            base_url: settings.base_url.trim().trim_end_matches('/').to_owned(),
            key,
            searches: Arc::new(TtlCache::new(settings.cache_ttl, settings.cache_capacity)),
            known: Arc::new(TtlCache::new(
                settings.cache_ttl,
                settings
                    .cache_capacity
                    .saturating_mul(SEARCH_LIMIT as usize),
            )),
        })
    }

    /// A location one of this client's searches returned within the cache's TTL. RajaOngkir
    /// has no lookup by id, so this is how an id picked from a search is checked and named.
    pub fn known_destination(&self, id: u32) -> Option<Destination> {
        self.known.get(&id.to_string())
    }

    /// Locations whose names match `query` (every word, case-insensitively), at most 10, from
    /// the cache when the same query was answered within the TTL. No match is `Ok(vec![])`.
    /// A blank or over-long query is `Rejected` without a call.
    pub async fn search_destinations(
        &self,
        query: &str,
    ) -> Result<Vec<Destination>, ShippingError> {
        let normalized = query
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if normalized.is_empty() || normalized.chars().count() > MAX_QUERY_CHARS {
            return Err(ShippingError::rejected(
                RejectReason::InvalidRequest,
                format!("search text must be 1 to {MAX_QUERY_CHARS} characters"),
            ));
        }
        if let Some(hit) = self.searches.get(&normalized) {
            for destination in &hit {
                self.known
                    .insert(destination.id.to_string(), destination.clone());
            }
            return Ok(hit);
        }
        let limit = SEARCH_LIMIT.to_string();
        let request = self
            .http
            .get(format!(
                "{}/destination/domestic-destination",
                self.base_url
            ))
            .query(&[
                ("search", normalized.as_str()),
                ("limit", &limit),
                ("offset", "0"),
            ]);
        let reply = self.send(request).await?;
        let found = match data_of(reply, "destination search") {
            Ok(data) => model::destinations(data)?,
            Err(ShippingError::Rejected {
                reason: RejectReason::UnknownLocation,
                ..
            }) => Vec::new(),
            Err(other) => return Err(other),
        };
        for destination in &found {
            self.known
                .insert(destination.id.to_string(), destination.clone());
        }
        self.searches.insert(normalized, found.clone());
        Ok(found)
    }

    /// Every service of `couriers` (codes such as `jne`, `sicepat`) from `origin` to
    /// `destination` (ids from [`RajaOngkir::search_destinations`]) for a parcel of
    /// `weight_grams`, cheapest first; empty when no courier serves the route. Never cached.
    /// Zero weight, no courier or a malformed code is `Rejected` without a call; an unknown
    /// id is `Rejected` with [`RejectReason::UnknownLocation`].
    pub async fn quote(
        &self,
        origin: u32,
        destination: u32,
        weight_grams: u32,
        couriers: &[&str],
    ) -> Result<Vec<CourierService>, ShippingError> {
        let courier = courier_list(couriers)?;
        if weight_grams == 0 {
            return Err(ShippingError::rejected(
                RejectReason::InvalidRequest,
                "weight must be at least 1 gram",
            ));
        }
        let form = [
            ("origin", origin.to_string()),
            ("destination", destination.to_string()),
            ("weight", weight_grams.to_string()),
            ("courier", courier),
            ("price", "lowest".to_owned()),
        ];
        let request = self
            .http
            .post(format!("{}/calculate/domestic-cost", self.base_url))
            .form(&form);
        let reply = self.send(request).await?;
        model::courier_services(data_of(reply, "cost calculation")?)
    }

    /// Sends one request with the key and reads the answer. Only a missing answer is an error
    /// here; [`data_of`] decides what each code means.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, ShippingError> {
        let lost = |e: reqwest::Error| {
            let cause = if e.is_timeout() {
                UnavailableCause::Timeout
            } else {
                UnavailableCause::Unreachable
            };
            // `without_url` keeps query strings (the search text) out of the error.
            ShippingError::unavailable(cause, e.without_url().to_string())
        };
        let response = request
            .header("key", self.key.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(lost)?;
        let http = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.map_err(lost)?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let meta_code = body.as_ref().and_then(|b| b["meta"]["code"].as_u64());
        let code = match meta_code.and_then(|c| u16::try_from(c).ok()) {
            Some(meta) if http < 400 => meta,
            _ => http,
        };
        Ok(Reply {
            code,
            body,
            retry_after,
        })
    }
}

/// `couriers` joined with `:`, lower-cased; each code must be ASCII letters and digits.
fn courier_list(couriers: &[&str]) -> Result<String, ShippingError> {
    let codes: Vec<String> = couriers.iter().map(|c| c.trim().to_lowercase()).collect();
    let well_formed = |c: &String| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric());
    if codes.is_empty() || !codes.iter().all(well_formed) {
        return Err(ShippingError::rejected(
            RejectReason::InvalidRequest,
            "couriers must be one or more codes of ASCII letters and digits",
        ));
    }
    Ok(codes.join(":"))
}

/// The `data` of a successful answer, or the error its code stands for.
fn data_of(reply: Reply, what: &str) -> Result<Value, ShippingError> {
    // RajaOngkir's own words stay out of the error (whose Debug reaches logs and reports);
    // they are only traced here, at debug level, for whoever is chasing a refusal.
    let detail = format!("{what}: HTTP {}", reply.code);
    if reply.code >= 300 {
        tracing::debug!(
            what,
            code = reply.code,
            upstream_message = reply.meta_message(),
            "rajaongkir refused a call"
        );
    }
    match reply.code {
        200..=299 => {
            let body = reply.body.filter(|b| b["meta"].is_object());
            let Some(mut body) = body else {
                return Err(ShippingError::invalid_response(format!(
                    "{what}: success without the meta/data envelope"
                )));
            };
            Ok(body["data"].take())
        }
        429 => Err(ShippingError::Unavailable {
            cause: UnavailableCause::RateLimited,
            retry_after: reply.retry_after,
            detail,
        }),
        500..=599 => Err(ShippingError::unavailable(
            UnavailableCause::ServerError(reply.code),
            detail,
        )),
        401 => Err(ShippingError::unavailable(
            UnavailableCause::KeyRejected,
            detail,
        )),
        // The documented 400 is the unknown key; the API says so only in its message, so this
        // adapter is the one place that reads it.
        400 if reply.meta_message().to_lowercase().contains("api key") => Err(
            ShippingError::unavailable(UnavailableCause::KeyRejected, detail),
        ),
        // A 404 without the envelope is a wrong path (RAJAONGKIR_URL without `/api/v1`?), not
        // "no such location".
        404 if reply.has_envelope() => Err(ShippingError::rejected(
            RejectReason::UnknownLocation,
            detail,
        )),
        400..=499 if reply.code != 404 => Err(ShippingError::rejected(
            RejectReason::InvalidRequest,
            detail,
        )),
        _ => Err(ShippingError::invalid_response(detail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_never_prints_its_key() {
        let client = RajaOngkir::new(RajaOngkirSettings::new(
            "SECRET-KEY-42",
            "http://sim/api/v1/",
        ))
        .unwrap();

        let printed = format!("{client:?}");

        assert!(!printed.contains("SECRET-KEY-42"));
        assert!(printed.contains("http://sim/api/v1"));
    }

    #[test]
    fn courier_codes_are_lower_cased_joined_and_checked() {
        assert_eq!(courier_list(&["JNE", " pos"]).unwrap(), "jne:pos");
        assert!(courier_list(&[]).is_err());
        assert!(courier_list(&["jne:pos"]).is_err());
        assert!(courier_list(&["j&t"]).is_err());
    }
}
