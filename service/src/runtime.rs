//! What every binary does around its service: tracing set-up, its listening socket, the
//! shutdown signal and the NATS connection.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};

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

/// Connections the kernel may hold for a listener before it accepts them (capped by
/// `net.core.somaxconn`). tokio's `TcpListener::bind` asks for 128, as the standard library
/// does: a flash sale's thousand buyers connecting at once overflowed that queue, and every
/// connection dropped there waited a second for its SYN to be sent again.
pub const LISTEN_BACKLOG: u32 = 4096;

/// The service's listening socket on `addr`, with a queue of [`LISTEN_BACKLOG`].
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
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
    match options.connect(nats_urls(url)).await {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::warn!(error = %e, url, name, "NATS unusable; carrying on without it");
            None
        }
    }
}

/// The servers of a `NATS_URL`: one URL, or several separated by commas (the nodes of a
/// cluster; the client also learns the others from the one it reaches).
pub fn nats_urls(url: &str) -> Vec<&str> {
    url.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect()
}

/// Checks a `NATS_URL` (one URL or a comma-separated list of them).
pub fn validate_nats_urls(url: &str) -> Result<(), String> {
    let urls = nats_urls(url);
    if urls.is_empty() {
        return Err("expected nats://host:port (several separated by commas)".into());
    }
    for one in urls {
        one.parse::<async_nats::ServerAddr>()
            .map_err(|e| format!("{one}: {e}"))?;
    }
    Ok(())
}

/// Whether `client` is connected right now (for `/readyz` and `pasar_nats_connected`).
pub fn nats_connected(client: Option<&async_nats::Client>) -> bool {
    client.is_some_and(|c| c.connection_state() == async_nats::connection::State::Connected)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::listen;

    /// With tokio's own 128, the connections past the queue get no answer to their SYN until it
    /// is sent again a second later, and time out here.
    #[tokio::test]
    async fn five_hundred_connections_at_once_are_all_taken_before_any_is_accepted() {
        // Arrange: a listener that accepts nothing during the test.
        let listener = listen(([127, 0, 0, 1], 0).into()).unwrap();
        let addr = listener.local_addr().unwrap();

        // Act: 500 clients connect at once.
        let connects = (0..500).map(|_| {
            tokio::time::timeout(
                Duration::from_millis(700),
                tokio::net::TcpStream::connect(addr),
            )
        });
        let connected = futures::future::join_all(connects).await;

        // Assert
        let ok = connected.iter().filter(|c| matches!(c, Ok(Ok(_)))).count();
        assert_eq!(
            ok, 500,
            "connected within 700 ms (needs net.core.somaxconn ≥ 500)"
        );
        drop(listener);
    }
}
