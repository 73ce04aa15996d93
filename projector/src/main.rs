//! `projector [run]` tails the log into the read models; `projector status` prints progress;
//! `rebuild`, `drop-retired` and `events` are operator tools (see `commands.rs`).

use anyhow::Context as _;
use pasar_projector::{Config, PublisherConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pasar_service::runtime::init_tracing();
    let config = Config::from_env()?;
    match std::env::args().nth(1).as_deref() {
        None | Some("run") => {
            let publisher = PublisherConfig::from_env()?;
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("binding PROJECTOR_ADDR {}", config.addr))?;
            let shutdown = pasar_service::shutdown_signal();
            pasar_projector::run_with_publisher(config, publisher, listener, shutdown).await
        }
        Some("status") => {
            print!("{}", pasar_projector::status_report(&config).await?);
            Ok(())
        }
        Some(_) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            pasar_projector::commands::run(&config, &args, &mut std::io::stdout()).await
        }
    }
}
