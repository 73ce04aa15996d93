//! Choosing the event-store backend from configuration: PostgreSQL by default, EventStoreDB
//! when `EVENT_STORE=eventstoredb` (or an `esdb://` URL is given in `EVENTSTORE_URL`).
//! The PostgreSQL database is needed in both cases: read models, checkpoints and the reactors'
//! bookkeeping live there.

use std::sync::Arc;

use crate::store::{EventStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    /// An `esdb://…` or `esdb+discover://…` connection string.
    EventStoreDb(String),
}

impl Backend {
    /// Reads `EVENT_STORE` (`postgres` | `eventstoredb`) and `EVENTSTORE_URL`. An `esdb://` URL
    /// alone selects EventStoreDB; `EVENT_STORE=eventstoredb` without a URL is an error naming
    /// the variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let kind = lookup("EVENT_STORE").filter(|v| !v.trim().is_empty());
        let url = lookup("EVENTSTORE_URL").filter(|v| !v.trim().is_empty());
        match (kind.as_deref(), url) {
            (None | Some("postgres"), None) => Ok(Backend::Postgres),
            (Some("postgres"), Some(_)) => Ok(Backend::Postgres),
            (None | Some("eventstoredb"), Some(url)) if url.starts_with("esdb") => {
                Ok(Backend::EventStoreDb(url))
            }
            (None | Some("eventstoredb"), Some(_)) => {
                Err("EVENTSTORE_URL must be an esdb:// connection string".into())
            }
            (Some("eventstoredb"), None) => {
                Err("EVENT_STORE=eventstoredb needs EVENTSTORE_URL (esdb://…)".into())
            }
            (Some(other), _) => Err(format!(
                "EVENT_STORE must be postgres or eventstoredb, not {other:?}"
            )),
        }
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::EventStoreDb(_) => "eventstoredb",
        }
    }
}

/// Connects the chosen backend. With PostgreSQL, the returned pool is the event store's own;
/// otherwise a pool on `database_url` is made (for read models and checkpoints).
pub async fn connect(
    backend: &Backend,
    database_url: &str,
    pool_size: usize,
) -> Result<(Arc<dyn EventStore>, deadpool_postgres::Pool), StoreError> {
    match backend {
        Backend::Postgres => {
            let store =
                crate::postgres::PgEventStore::connect_with_pool_size(database_url, pool_size)
                    .await?;
            let pool = store.pool().clone();
            Ok((Arc::new(store), pool))
        }
        #[cfg(feature = "eventstoredb")]
        Backend::EventStoreDb(url) => {
            crate::postgres::ensure_database(database_url).await?;
            let store = crate::eventstoredb::EsdbEventStore::connect(url).await?;
            Ok((
                Arc::new(store),
                crate::postgres::pool(database_url, pool_size)?,
            ))
        }
        #[cfg(not(feature = "eventstoredb"))]
        Backend::EventStoreDb(_) => Err(StoreError::Invalid(
            "this build has no EventStoreDB support (feature eventstoredb)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(vars: &[(&str, &str)]) -> Result<Backend, String> {
        Backend::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn postgres_is_the_default_and_an_esdb_url_selects_eventstoredb() {
        assert_eq!(pick(&[]), Ok(Backend::Postgres));
        assert_eq!(
            pick(&[("EVENTSTORE_URL", "esdb://localhost:2113?tls=false")]),
            Ok(Backend::EventStoreDb(
                "esdb://localhost:2113?tls=false".into()
            ))
        );
        assert_eq!(
            pick(&[("EVENT_STORE", "postgres"), ("EVENTSTORE_URL", "esdb://x")]),
            Ok(Backend::Postgres)
        );
        assert!(
            pick(&[("EVENT_STORE", "eventstoredb")])
                .unwrap_err()
                .contains("EVENTSTORE_URL")
        );
        assert!(
            pick(&[("EVENT_STORE", "mongo")])
                .unwrap_err()
                .contains("EVENT_STORE")
        );
        assert!(pick(&[("EVENTSTORE_URL", "http://x")]).is_err());
    }
}
