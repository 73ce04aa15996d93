//! Standalone RajaOngkir V2 simulator for local development.
//!
//! Environment (all optional):
//! - `RAJAONGKIR_SIM_ADDR`: listen address, default `127.0.0.1:8091`
//! - `RAJAONGKIR_API_KEY`: the key callers must send in the `key` header, default
//!   `pasar-dev-rajaongkir-key`
//! - `RUST_LOG`: log filter, default `info`
//!
//! Point `RAJAONGKIR_URL` at `http://127.0.0.1:8091/api/v1`. Controls (see the simulator's
//! `control` module):
//! ```text
//! curl -X POST http://127.0.0.1:8091/_sim/fail-next -H 'content-type: application/json' \
//!      -d '{"count":2,"status":503}'
//! curl -X PUT http://127.0.0.1:8091/_sim/latency -H 'content-type: application/json' -d '{"millis":3000}'
//! curl http://127.0.0.1:8091/_sim/calls
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use pasar_service::shutdown_signal;
use pasar_tests::rajaongkir_sim::{RajaOngkirSim, SimConfig};

/// The key the development configuration uses when `RAJAONGKIR_API_KEY` is not set.
const DEV_KEY: &str = "pasar-dev-rajaongkir-key";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let raw_addr = env_or("RAJAONGKIR_SIM_ADDR", "127.0.0.1:8091");
    let addr: SocketAddr = raw_addr
        .parse()
        .with_context(|| format!("RAJAONGKIR_SIM_ADDR is not an address: {raw_addr}"))?;
    let config = SimConfig {
        api_key: env_or("RAJAONGKIR_API_KEY", DEV_KEY),
        quota: None,
    };
    let sim = RajaOngkirSim::start_on(config, addr).await?;
    tracing::info!(
        api_url = %sim.api_url(),
        "set RAJAONGKIR_URL to {}; controls under {}/_sim",
        sim.api_url(),
        sim.base_url()
    );
    shutdown_signal().await;
    tracing::info!("shutting down rajaongkir simulator");
    // Bounded so a stuck keep-alive connection (or injected latency) cannot hang shutdown.
    if tokio::time::timeout(Duration::from_secs(5), sim.stop())
        .await
        .is_err()
    {
        tracing::warn!("rajaongkir simulator did not stop within 5 s; exiting anyway");
    }
    Ok(())
}
