//! `projector [run]` tails the log into the read models; `projector status` prints progress;
//! `rebuild`, `drop-retired` and `events` are operator tools (see `commands.rs`).

use anyhow::Context as _;
use pasar_projector::{Config, PublisherConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::from_env()?;
    match std::env::args().nth(1).as_deref() {
        None | Some("run") => {
            let publisher = PublisherConfig::from_env()?;
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("binding PROJECTOR_ADDR {}", config.addr))?;
            pasar_projector::run_with_publisher(config, publisher, listener, shutdown_signal())
                .await
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

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
