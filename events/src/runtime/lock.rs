//! The leader lock: one active instance per processor name across processes.
//!
//! A session advisory lock keyed by a stable hash of the name (`hashtextextended`, computed
//! by the server, so every process and version derives the same key), held on a dedicated
//! connection outside the pool. It is released when the [`LeaderLock`] is dropped or when its
//! connection dies (a crashed process's locks go with its connections); a standby instance
//! then takes over on its next try.

use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

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
        let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "leader lock connection ended");
            }
        });
        let acquired: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&key_text(name)],
            )
            .await?
            .get(0);
        if acquired {
            Ok(Some(LeaderLock {
                _client: client,
                connection,
            }))
        } else {
            connection.abort();
            Ok(None)
        }
    }

    /// Resolves when the lock's connection has ended (the lock is then gone).
    pub async fn lost(&mut self) {
        if !self.connection.is_finished() {
            let _ = (&mut self.connection).await;
        }
    }
}

impl Drop for LeaderLock {
    fn drop(&mut self) {
        self.connection.abort();
    }
}
