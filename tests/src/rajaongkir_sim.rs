//! A local RajaOngkir V2 (Komerce) simulator following `shared/reference/rajaongkir.md`.
//! Start one with [`RajaOngkirSim::start`] and point `RAJAONGKIR_URL` at
//! [`RajaOngkirSim::api_url`] (`http://127.0.0.1:PORT/api/v1`).
//!
//! Map: `places` and `couriers` (the world it knows), `tariff` (deterministic cost and `etd`),
//! `envelope` (the `meta` + `data` answers and error shapes), `destination` (search and the
//! step-by-step lists), `cost` (the two cost calculations), `state` (key, knobs, call log),
//! `http` (router and the gate in front of the API) and `control` (the `/_sim` endpoints,
//! documented there).
//!
//! Every API call needs the `key` header: missing → 401, unknown → 400
//! `"Invalid Api key, key not found"`, both in the envelope with `data: null`.

mod control;
mod cost;
mod couriers;
mod destination;
mod envelope;
mod http;
mod places;
mod state;
mod tariff;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use state::CallRecord;
pub use tariff::charged_kg;

use state::Inner;

/// How to start a simulator.
#[derive(Clone)]
pub struct SimConfig {
    /// The key callers must send in the `key` header.
    pub api_key: String,
    /// Calls with a valid key allowed before every call answers 429 (`None` = unlimited).
    /// The real quotas are not published; this stands for "the plan's quota is used up".
    pub quota: Option<u32>,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("api_key", &"[redacted]")
            .field("quota", &self.quota)
            .finish()
    }
}

/// A running simulator. Dropping it (or [`RajaOngkirSim::stop`]) stops the server.
pub struct RajaOngkirSim {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl RajaOngkirSim {
    /// Serves on `127.0.0.1` with an OS-chosen port.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<RajaOngkirSim> {
        Self::start_on(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Serves the API (`/api/v1/...`) and the `/_sim` controls on one listener bound to `addr`.
    /// Fails only if the address cannot be bound.
    pub async fn start_on(cfg: SimConfig, addr: SocketAddr) -> anyhow::Result<RajaOngkirSim> {
        use anyhow::Context as _;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the RajaOngkir simulator to {addr}"))?;
        let mut local = listener
            .local_addr()
            .context("reading the simulator's local address")?;
        if local.ip().is_unspecified() {
            local.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let inner = Arc::new(Inner::new(
            cfg.api_key,
            format!("http://{local}"),
            cfg.quota,
        ));
        let (stop, mut stopped) = watch::channel(false);
        let app = http::router(Arc::clone(&inner));
        let server = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(error = %e, "rajaongkir simulator server failed");
            }
        });
        tracing::info!(base_url = %inner.base_url, "rajaongkir simulator listening");
        Ok(RajaOngkirSim {
            inner,
            stop,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`: the root, where `/_sim` lives.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/api/v1`: the value for `RAJAONGKIR_URL`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v1", self.inner.base_url)
    }

    /// The key callers must send in the `key` header.
    pub fn api_key(&self) -> &str {
        &self.inner.api_key
    }

    /// Every API call so far, in order (`/_sim` calls are not recorded).
    pub fn calls(&self) -> Vec<CallRecord> {
        self.inner.calls()
    }

    /// The next `count` API calls answer `status` (500 in the envelope, 502–504 as HTML).
    pub fn fail_next(&self, count: u32, status: u16) {
        self.inner.fail_next(count, status);
    }

    /// The next `count` calls with a valid key answer 429, with `Retry-After: secs` if given.
    pub fn rate_limit_next(&self, count: u32, retry_after: Option<Duration>) {
        self.inner
            .rate_limit_next(count, retry_after.map(|d| d.as_secs()));
    }

    /// Allows `limit` more calls with a valid key before every call answers 429 (`None` =
    /// unlimited).
    pub fn set_quota(&self, limit: Option<u32>) {
        self.inner.set_quota(limit);
    }

    /// Every later API call waits `latency` before answering; `Duration::ZERO` turns it off.
    pub fn set_latency(&self, latency: Duration) {
        self.inner.set_latency(latency);
    }

    /// Makes `courier` return zero services (or normal ones again).
    pub fn set_courier_empty(&self, courier: &str, empty: bool) {
        self.inner.set_empty_courier(courier, empty);
    }

    /// Clears every knob and the call log.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for RajaOngkirSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
