//! What every binary does around its service: tracing set-up, the shutdown signal and the
//! NATS connection.

use std::time::Duration;

use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
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

/// A NATS client named `name` that connects (and reconnects) in the background, so NATS being
/// down at start-up never blocks or stops a service. `None` only when `url` is unusable.
pub async fn connect_nats(url: &str, name: &str) -> Option<async_nats::Client> {
    let options = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(2));
    match options.connect(url).await {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::warn!(error = %e, url, name, "NATS unusable; carrying on without it");
            None
        }
    }
}

/// Whether `client` is connected right now (for `/readyz` and `pasar_nats_connected`).
pub fn nats_connected(client: Option<&async_nats::Client>) -> bool {
    client.is_some_and(|c| c.connection_state() == async_nats::connection::State::Connected)
}
