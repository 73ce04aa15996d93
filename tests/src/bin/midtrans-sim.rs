//! Standalone Midtrans simulator for local development.
//!
//! Environment (all optional):
//! - `MIDTRANS_SIM_ADDR`: listen address, default `127.0.0.1:8090`
//! - `MIDTRANS_SERVER_KEY`: server key callers must use, default `SB-Mid-server-pasar-dev`
//! - `MIDTRANS_NOTIFICATION_URL`: webhook, default `http://127.0.0.1:8081/v1/webhooks/midtrans`
//! - `MIDTRANS_SIM_RETRY_DELAYS`: retry delays in seconds for failed notifications,
//!   comma separated (e.g. `5,10,30`), `midtrans` for the real 2/10/30/90/210
//!   minutes with jitter (the default), or `off`
//! - `RUST_LOG`: log filter, default `info`
//!
//! Paying for an order from a shell (see `/_sim` in the simulator's `control` module):
//! ```text
//! curl -X POST http://127.0.0.1:8090/_sim/transactions/ORDER-ID/pay
//! curl -X POST http://127.0.0.1:8090/_sim/transactions/ORDER-ID/status \
//!      -H 'content-type: application/json' -d '{"status":"expire"}'
//! curl http://127.0.0.1:8090/_sim/transactions
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use pasar_service::shutdown_signal;
use pasar_tests::midtrans_sim::{MidtransSim, RetrySchedule, SimConfig};

/// Settings of the standalone simulator, read once at start-up.
struct Config {
    /// Where to listen.
    addr: SocketAddr,
    /// Server key expected in Basic auth and used to sign notifications.
    server_key: String,
    /// Default notification URL (the "dashboard" setting).
    notification_url: String,
    /// Retry schedule for failed notifications; `None` disables retries.
    retries: Option<RetrySchedule>,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn parse_retries(raw: &str) -> anyhow::Result<Option<RetrySchedule>> {
    match raw.trim() {
        "off" | "" => Ok(None),
        "midtrans" => Ok(Some(RetrySchedule::midtrans())),
        list => {
            let delays = list
                .split(',')
                .map(|s| s.trim().parse::<u64>().map(Duration::from_secs))
                .collect::<Result<Vec<_>, _>>()
                .context(
                    "MIDTRANS_SIM_RETRY_DELAYS must be `off`, `midtrans` or seconds like `5,10,30`",
                )?;
            Ok(Some(RetrySchedule::fixed(delays)))
        }
    }
}

impl Config {
    fn from_env() -> anyhow::Result<Self> {
        let addr = env_or("MIDTRANS_SIM_ADDR", "127.0.0.1:8090");
        Ok(Config {
            addr: addr
                .parse()
                .with_context(|| format!("MIDTRANS_SIM_ADDR is not an address: {addr}"))?,
            server_key: env_or("MIDTRANS_SERVER_KEY", "SB-Mid-server-pasar-dev"),
            notification_url: env_or(
                "MIDTRANS_NOTIFICATION_URL",
                "http://127.0.0.1:8081/v1/webhooks/midtrans",
            ),
            retries: parse_retries(&env_or("MIDTRANS_SIM_RETRY_DELAYS", "midtrans"))?,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::from_env()?;
    let sim_config = SimConfig {
        server_key: config.server_key,
        notification_url: Some(config.notification_url.clone()),
    };
    let sim = MidtransSim::start_on(sim_config, config.addr).await?;
    sim.set_retry_schedule(config.retries);
    let base = sim.base_url();
    tracing::info!(
        %base,
        notification_url = %config.notification_url,
        "set MIDTRANS_SNAP_URL and MIDTRANS_API_URL to {base}; pay with: curl -X POST {base}/_sim/transactions/ORDER-ID/pay"
    );
    shutdown_signal().await;
    tracing::info!("shutting down midtrans simulator");
    // Bounded so a stuck keep-alive connection cannot hang shutdown.
    if tokio::time::timeout(Duration::from_secs(5), sim.stop())
        .await
        .is_err()
    {
        tracing::warn!("midtrans simulator did not stop within 5 s; exiting anyway");
    }
    Ok(())
}
