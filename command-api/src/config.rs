//! Typed configuration, read once from the environment at start-up (through
//! [`pasar_service::Env`], so every service follows the same rules).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;
use pasar_service::Env;

pub use pasar_service::Secret;

/// The Midtrans simulator's development server key (`tests/src/bin/midtrans-sim.rs`), used only
/// in development mode when `MIDTRANS_SERVER_KEY` is unset. It is public: never in production.
pub const DEV_MIDTRANS_SERVER_KEY: &str = "SB-Mid-server-pasar-dev";
/// Where `scripts/dev` starts the Midtrans simulator.
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
    /// Connections in this process's PostgreSQL pool (`DATABASE_POOL_SIZE`, default 16, 2–256),
    /// shared by requests, appends and processors.
    pub database_pool_size: usize,
    /// Event-store backend (`EVENT_STORE` = postgres | eventstoredb, `EVENTSTORE_URL`).
    pub event_store: pasar_events::select::Backend,
    /// HS256 key for access tokens (`JWT_SECRET`, required, at least 32 bytes), shared with
    /// the query API.
    pub jwt_secret: Secret,
    /// Lifetime of access tokens (`ACCESS_TOKEN_TTL_SECS`, default 900).
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh-token family (`REFRESH_TOKEN_TTL_SECS`, default 30 days).
    pub refresh_token_ttl: Duration,
    /// How long stock stays reserved for an unpaid order (`PAYMENT_TIMEOUT_SECS`, default 3600).
    pub payment_timeout: Duration,
    /// Midtrans: `MIDTRANS_SERVER_KEY` (required outside development), URLs, verification.
    pub midtrans: MidtransConfig,
    /// First admin account (`PASAR_ADMIN_EMAIL` and `PASAR_ADMIN_PASSWORD`, both or neither).
    pub admin: Option<(String, Secret)>,
    /// Run the reactors (process managers) in this process (`REACTORS_ENABLED`, default true).
    pub reactors_enabled: bool,
    /// How often expired reservations are looked for (`EXPIRY_SWEEP_MS`, default 30000).
    pub expiry_sweep_interval: Duration,
    /// Checkout limits and timing.
    pub checkout: CheckoutLimits,
    /// A delivered order its buyer has not completed is completed this long after delivery
    /// (`ORDER_AUTO_COMPLETE_DAYS`, default 7; fractions allowed, e.g. 0.5 for 12 hours).
    pub order_auto_complete: Duration,
    /// Origins browsers may call from (`CORS_ALLOWED_ORIGINS`, none by default).
    pub cors: pasar_service::cors::CorsOrigins,
    /// Where product images go (`MEDIA_DIR`, or `MEDIA_S3_BUCKET` and its companions).
    pub media: pasar_service::media::MediaConfig,
    /// Shipping quotes through RajaOngkir: on when `RAJAONGKIR_URL` or `RAJAONGKIR_API_KEY`
    /// is set (checkout then requires a quoted shipment per seller), off otherwise (shipping
    /// costs 0 and the shipping routes answer 503).
    pub shipping: Option<ShippingConfig>,
    /// Notification mails: `SMTP_URL`, `MAIL_FROM` (see `processes::notifications::mailer`).
    pub mail: crate::processes::notifications::mailer::MailConfig,
}

/// Couriers asked for a quote unless `RAJAONGKIR_COURIERS` says otherwise.
pub const DEFAULT_COURIERS: &str = "jne,sicepat,jnt,pos,tiki,anteraja";

/// Shipping quotes: the RajaOngkir client, how long a quote holds its price, which couriers.
#[derive(Debug, Clone)]
pub struct ShippingConfig {
    pub rajaongkir: crate::rajaongkir::RajaOngkirSettings,
    /// How long an issued quote can be checked out with (`SHIPPING_QUOTE_TTL_SECS`, default
    /// 1800, 60 to 86400).
    pub quote_ttl: Duration,
    /// Courier codes asked for (`RAJAONGKIR_COURIERS`, comma-separated, at most 10).
    pub couriers: Vec<String>,
}

impl ShippingConfig {
    /// `None` unless `RAJAONGKIR_URL` or `RAJAONGKIR_API_KEY` is set.
    pub fn read(env: &Env) -> anyhow::Result<Option<Self>> {
        if env.get("RAJAONGKIR_URL").is_none() && env.get("RAJAONGKIR_API_KEY").is_none() {
            return Ok(None);
        }
        let ttl: u64 = env.parse_or("SHIPPING_QUOTE_TTL_SECS", 1800)?;
        if !(60..=86_400).contains(&ttl) {
            bail!("SHIPPING_QUOTE_TTL_SECS must be 60 to 86400 (got {ttl})");
        }
        let couriers: Vec<String> = env
            .get_or("RAJAONGKIR_COURIERS", DEFAULT_COURIERS)
            .split(',')
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        let well_formed =
            |c: &String| c.len() <= 20 && c.chars().all(|ch| ch.is_ascii_alphanumeric());
        if couriers.is_empty() || couriers.len() > 10 || !couriers.iter().all(well_formed) {
            bail!(
                "RAJAONGKIR_COURIERS must be 1 to 10 courier codes (letters and digits), comma-separated"
            );
        }
        Ok(Some(ShippingConfig {
            rajaongkir: crate::rajaongkir::RajaOngkirSettings::read(env)?,
            quote_ttl: Duration::from_secs(ttl),
            couriers,
        }))
    }
}

/// Checkout limits and timing.
#[derive(Debug, Clone)]
pub struct CheckoutLimits {
    /// An unanswered checkout younger than this is taken to be still running, and a retry with
    /// its key answers `Checkout in progress` (`CHECKOUT_IN_FLIGHT_SECS`, default 60). An older
    /// one is taken over by the retry. Keep it above the request timeout (30 s), which drops a
    /// request still running, so a takeover never races a live attempt.
    pub in_flight: Duration,
    /// Most open (unpaid, unexpired) checkouts one buyer may hold
    /// (`MAX_OPEN_CHECKOUTS_PER_BUYER`, default 3).
    pub max_open_checkouts: u32,
    /// Most units of one product in one checkout (`MAX_CHECKOUT_LINE_QUANTITY`, default 100).
    pub max_line_quantity: i64,
}

impl Default for CheckoutLimits {
    fn default() -> Self {
        CheckoutLimits {
            in_flight: Duration::from_secs(60),
            max_open_checkouts: 3,
            max_line_quantity: 100,
        }
    }
}

impl CheckoutLimits {
    fn read(env: &Env) -> anyhow::Result<Self> {
        let default = CheckoutLimits::default();
        Ok(CheckoutLimits {
            in_flight: Duration::from_secs(
                env.parse_or("CHECKOUT_IN_FLIGHT_SECS", default.in_flight.as_secs())?,
            ),
            max_open_checkouts: env
                .parse_or("MAX_OPEN_CHECKOUTS_PER_BUYER", default.max_open_checkouts)?,
            max_line_quantity: env
                .parse_or("MAX_CHECKOUT_LINE_QUANTITY", default.max_line_quantity)?,
        })
    }
}

impl Config {
    /// Reads and validates the process environment; errors name the variable at fault.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::read(&Env::process())
    }

    /// Like [`Config::from_env`] with another source of variables.
    pub fn read(env: &Env) -> anyhow::Result<Self> {
        let admin = match (
            env.get("PASAR_ADMIN_EMAIL"),
            env.get("PASAR_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => Some((email, Secret::new(password))),
            (None, None) => None,
            _ => bail!("PASAR_ADMIN_EMAIL and PASAR_ADMIN_PASSWORD must be set together"),
        };
        Ok(Self {
            addr: env.parse_or("COMMAND_API_ADDR", SocketAddr::from(([127, 0, 0, 1], 8081)))?,
            event_store: pasar_events::select::Backend::from_env().map_err(anyhow::Error::msg)?,
            database_url: env.get_or("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pasar"),
            database_pool_size: pool_size(env)?,
            jwt_secret: env.required_secret("JWT_SECRET")?,
            access_token_ttl: Duration::from_secs(env.parse_or("ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(
                env.parse_or("REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            ),
            payment_timeout: Duration::from_secs(env.parse_or("PAYMENT_TIMEOUT_SECS", 3600)?),
            midtrans: MidtransConfig::read(env)?,
            admin,
            reactors_enabled: env.parse_or("REACTORS_ENABLED", true)?,
            expiry_sweep_interval: Duration::from_millis(env.parse_or("EXPIRY_SWEEP_MS", 30_000)?),
            checkout: CheckoutLimits::read(env)?,
            order_auto_complete: auto_complete_after(env)?,
            cors: pasar_service::cors::CorsOrigins::from_env(env)?,
            media: pasar_service::media::MediaConfig::read(env)?,
            shipping: ShippingConfig::read(env)?,
            mail: crate::processes::notifications::mailer::MailConfig::read(env)?,
        })
    }
}

fn pool_size(env: &Env) -> anyhow::Result<usize> {
    let size: usize = env.parse_or("DATABASE_POOL_SIZE", 16)?;
    if !(2..=256).contains(&size) {
        bail!("DATABASE_POOL_SIZE must be from 2 to 256 (got {size})");
    }
    Ok(size)
}

fn auto_complete_after(env: &Env) -> anyhow::Result<Duration> {
    let days: f64 = env.parse_or("ORDER_AUTO_COMPLETE_DAYS", 7.0)?;
    if !(days.is_finite() && days > 0.0 && days <= 365.0) {
        bail!("ORDER_AUTO_COMPLETE_DAYS must be more than 0 and at most 365 (got {days})");
    }
    Ok(Duration::from_secs_f64(days * 24.0 * 3600.0))
}

impl MidtransConfig {
    /// Midtrans with `MIDTRANS_SERVER_KEY` (sandbox URLs by default). Without the key the
    /// command API refuses to start, except in development (`PASAR_ENV=development`), where it
    /// talks to the local simulator with the simulator's public key and says so loudly.
    pub fn read(env: &Env) -> anyhow::Result<Self> {
        let verify_with_status_api = env.parse_or("MIDTRANS_VERIFY_STATUS", true)?;
        if let Some(key) = env.get("MIDTRANS_SERVER_KEY") {
            return Ok(MidtransConfig {
                server_key: Secret::new(key),
                snap_url: env.get_or("MIDTRANS_SNAP_URL", "https://app.sandbox.midtrans.com"),
                api_url: env.get_or("MIDTRANS_API_URL", "https://api.sandbox.midtrans.com"),
                verify_with_status_api,
            });
        }
        if !env.development()? {
            bail!(
                "MIDTRANS_SERVER_KEY is not set: it verifies webhook signatures and authenticates \
                 calls to Midtrans. Set it, or set PASAR_ENV=development to use the local simulator"
            );
        }
        tracing::warn!(
            "DEVELOPMENT MODE: MIDTRANS_SERVER_KEY is not set, so the command API uses the Midtrans \
             SIMULATOR's public development key and talks to {DEV_MIDTRANS_URL} unless \
             MIDTRANS_SNAP_URL / MIDTRANS_API_URL say otherwise. Anyone can forge webhooks: \
             never run like this in production"
        );
        Ok(MidtransConfig {
            server_key: Secret::new(DEV_MIDTRANS_SERVER_KEY),
            snap_url: env.get_or("MIDTRANS_SNAP_URL", DEV_MIDTRANS_URL),
            api_url: env.get_or("MIDTRANS_API_URL", DEV_MIDTRANS_URL),
            verify_with_status_api,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn refusal(pairs: &[(&str, &str)]) -> String {
        format!("{:#}", Config::read(&Env::from_pairs(pairs)).unwrap_err())
    }

    #[test]
    fn without_jwt_secret_the_command_api_refuses_to_start() {
        let error = refusal(&[("MIDTRANS_SERVER_KEY", "SB-Mid-server-x")]);
        assert!(
            error.contains("JWT_SECRET") && error.contains("not set"),
            "{error}"
        );
        let error = refusal(&[("PASAR_ENV", "development")]);
        assert!(
            error.contains("JWT_SECRET"),
            "development still needs a key: {error}"
        );
    }

    #[test]
    fn a_jwt_secret_shorter_than_32_bytes_is_refused() {
        let error = refusal(&[
            ("JWT_SECRET", "pasar-dev-secret-change-me"),
            ("MIDTRANS_SERVER_KEY", "SB-Mid-server-x"),
        ]);
        assert!(
            error.contains("JWT_SECRET") && error.contains("32 bytes"),
            "{error}"
        );
    }

    #[test]
    fn cors_origins_are_read_and_none_by_default() {
        let base = [("JWT_SECRET", KEY), ("PASAR_ENV", "development")];
        let config = Config::read(&Env::from_pairs(&base)).unwrap();
        assert_eq!(config.cors, pasar_service::cors::CorsOrigins::None);
        let with = [
            base[0],
            base[1],
            ("CORS_ALLOWED_ORIGINS", "https://shop.example"),
        ];
        let config = Config::read(&Env::from_pairs(&with)).unwrap();
        assert!(
            matches!(config.cors, pasar_service::cors::CorsOrigins::List(ref o) if o.len() == 1)
        );
        let bad = [base[0], base[1], ("CORS_ALLOWED_ORIGINS", "shop.example")];
        assert!(refusal(&bad).contains("CORS_ALLOWED_ORIGINS"));
    }

    #[test]
    fn without_midtrans_server_key_it_refuses_outside_development() {
        let error = refusal(&[("JWT_SECRET", KEY)]);
        assert!(error.contains("MIDTRANS_SERVER_KEY"), "{error}");
    }

    #[test]
    fn in_development_it_starts_with_the_simulators_key() {
        let config = Config::read(&Env::from_pairs(&[
            ("JWT_SECRET", KEY),
            ("PASAR_ENV", "development"),
        ]))
        .unwrap();
        assert_eq!(config.jwt_secret.expose(), KEY);
        assert_eq!(config.midtrans.server_key.expose(), DEV_MIDTRANS_SERVER_KEY);
        assert_eq!(config.midtrans.snap_url, DEV_MIDTRANS_URL);
    }

    #[test]
    fn with_both_keys_it_starts_in_production_and_hides_them() {
        let config = Config::read(&Env::from_pairs(&[
            ("JWT_SECRET", KEY),
            ("MIDTRANS_SERVER_KEY", "SB-Mid-server-real"),
        ]))
        .unwrap();
        assert_eq!(config.midtrans.api_url, "https://api.sandbox.midtrans.com");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains(KEY) && !shown.contains("server-real"),
            "{shown}"
        );
    }

    #[test]
    fn shipping_is_on_only_when_rajaongkir_is_configured() {
        let midtrans = ("MIDTRANS_SERVER_KEY", "SB-Mid-server-real");
        let off = Config::read(&Env::from_pairs(&[("JWT_SECRET", KEY), midtrans])).unwrap();
        assert!(off.shipping.is_none());

        let on = Config::read(&Env::from_pairs(&[
            ("JWT_SECRET", KEY),
            midtrans,
            ("RAJAONGKIR_API_KEY", "ro-key"),
            ("RAJAONGKIR_URL", "http://127.0.0.1:8091/api/v1"),
            ("RAJAONGKIR_COURIERS", "JNE, sicepat"),
        ]))
        .unwrap();
        let shipping = on.shipping.expect("shipping on");
        assert_eq!(shipping.couriers, ["jne", "sicepat"]);
        assert_eq!(shipping.quote_ttl, Duration::from_secs(1800));
        assert!(!format!("{shipping:?}").contains("ro-key"));

        let url_only = [
            ("JWT_SECRET", KEY),
            midtrans,
            ("RAJAONGKIR_URL", "http://sim/api/v1"),
        ];
        assert!(refusal(&url_only).contains("RAJAONGKIR_API_KEY"));
        let bad_ttl = [
            ("JWT_SECRET", KEY),
            midtrans,
            ("RAJAONGKIR_API_KEY", "k"),
            ("SHIPPING_QUOTE_TTL_SECS", "5"),
        ];
        assert!(refusal(&bad_ttl).contains("SHIPPING_QUOTE_TTL_SECS"));
        let bad_courier = [
            ("JWT_SECRET", KEY),
            midtrans,
            ("RAJAONGKIR_API_KEY", "k"),
            ("RAJAONGKIR_COURIERS", "j&t"),
        ];
        assert!(refusal(&bad_courier).contains("RAJAONGKIR_COURIERS"));
    }

    #[test]
    fn the_pool_size_defaults_to_16_and_is_bounded() {
        let midtrans = ("MIDTRANS_SERVER_KEY", "SB-Mid-server-real");
        let default = Config::read(&Env::from_pairs(&[("JWT_SECRET", KEY), midtrans])).unwrap();
        assert_eq!(default.database_pool_size, 16);
        let four = [("JWT_SECRET", KEY), midtrans, ("DATABASE_POOL_SIZE", "4")];
        assert_eq!(
            Config::read(&Env::from_pairs(&four))
                .unwrap()
                .database_pool_size,
            4
        );
        for bad in ["1", "257", "many"] {
            let pairs = [("JWT_SECRET", KEY), midtrans, ("DATABASE_POOL_SIZE", bad)];
            assert!(refusal(&pairs).contains("DATABASE_POOL_SIZE"), "{bad}");
        }
    }
}
