//! The leader lock: one active instance per processor name across processes.
//!
//! A session advisory lock keyed by a stable hash of the name (`hashtextextended`, computed
//! by the server, so every process and version derives the same key), held on a dedicated
//! connection outside the pool. It is released when the [`LeaderLock`] is dropped or when its
//! connection dies (a crashed process's locks go with its connections). A standby instance
//! waits for it in the server ([`LeaderLock::acquire`]), so it takes over the moment the
//! holder's connection is gone (a kill -9 closes the socket at once), not at its next poll.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

/// The advisory-lock key text of a processor: `pasar.processor.<name>`.
pub fn key_text(name: &str) -> String {
    format!("pasar.processor.{name}")
}

/// A held leader lock. See the module doc.
pub struct LeaderLock {
    _client: tokio_postgres::Client,
    connection: JoinHandle<()>,
}

impl LeaderLock {
    /// Tries once; `Ok(None)` when another instance holds the lock of `name`.
    pub async fn try_acquire(
        database_url: &str,
        name: &str,
    ) -> Result<Option<Self>, tokio_postgres::Error> {
        let (client, connection) = connect(database_url).await?;
        let acquired: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&key_text(name)],
            )
            .await?
            .get(0);
        Ok(Self::held_if(acquired, client, connection))
    }

    /// Waits up to `wait` in the server for the lock of `name` (queued behind its holder, so
    /// it is taken as soon as the holder's connection ends); `Ok(None)` when `wait` passed.
    pub async fn acquire(
        database_url: &str,
        name: &str,
        wait: Duration,
    ) -> Result<Option<Self>, tokio_postgres::Error> {
        let (client, connection) = connect(database_url).await?;
        let timeout = format!("{}ms", wait.as_millis().max(1));
        client
            .execute("SELECT set_config('lock_timeout', $1, false)", &[&timeout])
            .await?;
        let acquired = match client
            .execute(
                "SELECT pg_advisory_lock(hashtextextended($1, 0))",
                &[&key_text(name)],
            )
            .await
        {
            Ok(_) => true,
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => false,
            Err(e) => return Err(e),
        };
        Ok(Self::held_if(acquired, client, connection))
    }

    fn held_if(
        acquired: bool,
        client: tokio_postgres::Client,
        connection: JoinHandle<()>,
    ) -> Option<Self> {
        if acquired {
            Some(LeaderLock {
                _client: client,
                connection,
            })
        } else {
            connection.abort();
            None
        }
    }

    /// Resolves when the lock's connection has ended (the lock is then gone).
    pub async fn lost(&mut self) {
        if !self.connection.is_finished() {
            let _ = (&mut self.connection).await;
        }
    }
}

/// A dedicated connection (outside any pool) and the task driving it.
async fn connect(
    database_url: &str,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    let connection = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "leader lock connection ended");
        }
    });
    Ok((client, connection))
}

impl Drop for LeaderLock {
    fn drop(&mut self) {
        self.connection.abort();
    }
}
