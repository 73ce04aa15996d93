//! Pasar's query API: serves reads from the projector's read models (schema `rm`).
//!
//! - [`routes`]: the router and the `/v1` handlers (`products`, `cart`, `orders`) plus
//!   `/healthz`, `/readyz`, `/metrics`. Start reading there.
//! - [`consistency`]: read-your-writes. A request with `X-Consistency-Token` waits until the
//!   projections its route reads have passed that log position (woken by the projector's
//!   NOTIFY and NATS announcements, with a short poll as the last fallback), else 503.
//! - [`search`]: the search index, a local read model of this process (`SEARCH_INDEX_DIR`)
//!   fed by the runtime's [`pasar_events::runtime::LocalProcessor`] loop; `/v1/search`.
//! - [`auth`]: bearer access tokens (HS256 JWT from the command API) → [`auth::AuthUser`].
//! - [`pages`]: the short-lived cache of public catalog pages (`PAGE_CACHE_TTL_MS`), which
//!   keeps read-your-writes exact.
//! - [`pagination`]: keyset pagination with opaque cursors; [`error`]: the single
//!   [`ApiError`] and its problem+json; [`metrics`]; [`config`]. The plumbing they share
//!   with the other services (secrets, token checks, problem bodies, the metrics registry,
//!   shutdown, NATS) comes from `pasar_service`.
//!
//! [`run`] wires it together from a [`Config`], a bound listener and a shutdown future.

pub mod auth;
pub mod config;
pub mod consistency;
pub mod error;
pub mod metrics;
pub mod pages;
pub mod pagination;
pub mod routes;
pub mod search;
pub mod synonyms;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use deadpool_postgres::Pool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, ConfigError, Secret};
pub use error::ApiError;

use auth::TokenVerifier;
use consistency::Consistency;
use pasar_service::metrics::Registry;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub tokens: Arc<TokenVerifier>,
    pub consistency: Arc<Consistency>,
    pub metrics: Arc<metrics::Metrics>,
    pub nats: Option<async_nats::Client>,
    /// The event log, for what is read from it rather than from a read model (an order's
    /// history and its state as of a time).
    pub log: Arc<routes::history::Log>,
    /// This process's search index.
    pub search: Arc<search::SearchHost>,
    /// The operators' synonyms file, when `SEARCH_SYNONYMS_FILE` names one.
    pub synonyms: Option<Arc<synonyms::SynonymsFile>>,
    /// Where the event log is (search rebuilds read it from the start).
    pub database_url: String,
    /// Whether `database_url` is a hot standby (`QUERY_DATABASE_URL`): read it, never write.
    pub standby: bool,
    /// The object store product images are served from (`GET /v1/media/…`).
    pub media: Arc<dyn pasar_service::media::object_store::ObjectStore>,
    /// Suspended accounts and changed roles, checked with every token (kept current from the
    /// `account_access` table, see [`pasar_service::access`]).
    pub access: Arc<pasar_service::access::AccessList>,
    /// The short-lived cache of public catalog pages (`PAGE_CACHE_TTL_MS`).
    pub pages: pages::PageCache,
}

/// Connection pool size for queries.
const POOL_SIZE: usize = 16;

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests
/// and returns. Does not create the read models: the projector owns their schema (`/readyz`
/// says 503 until it exists).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = pasar_events::postgres::pool(&config.database_url, POOL_SIZE)
        .context("building the pool")?;
    let nats = pasar_service::connect_nats(&config.nats_url, "pasar-query-api").await;
    let registry = Registry::new();
    registry.install_global();
    let stop = CancellationToken::new();
    let consistency = Consistency::new(pool.clone(), config.consistency_wait);
    // A standby cannot LISTEN: NATS and the short re-read wake its readers instead.
    let listen = (!config.standby).then_some(config.database_url.as_str());
    let mut tasks = consistency.spawn(listen, nats.clone(), &stop);
    let search = search::SearchHost::open(&config.search_index_dir, Arc::clone(&consistency))?;
    let access = pasar_service::access::AccessList::new();
    let access_follower = access.spawn(config.database_url.clone());
    let synonyms = match &config.search_synonyms_file {
        Some(path) => {
            let file = synonyms::SynonymsFile::load(path, &search)?;
            tasks.push(tokio::spawn(
                Arc::clone(&file).watch(Arc::clone(&search), stop.clone()),
            ));
            Some(file)
        }
        None => None,
    };
    tasks.push(tokio::spawn(Arc::clone(&search).follow(
        config.database_url.clone(),
        config.standby,
        stop.clone(),
    )));
    let state = AppState {
        pool,
        tokens: Arc::new(TokenVerifier::new(&config.jwt_secret)),
        consistency,
        metrics: Arc::new(metrics::Metrics::new(registry)),
        nats,
        log: Arc::default(),
        search,
        synonyms,
        database_url: config.database_url.clone(),
        standby: config.standby,
        media: config.media.open().context("opening the media store")?,
        access,
        pages: pages::PageCache::new(config.page_cache_ttl),
    };
    // Room for the longest consistency wait plus the query itself.
    let request_timeout = config.consistency_wait + Duration::from_secs(10);
    let app = routes::router(state, request_timeout, &config.cors);
    let background = Background {
        stop,
        access_follower,
        tasks,
    };
    serve(listener, app, shutdown, background).await
}

/// What runs beside the HTTP server, stopped once it has finished.
struct Background {
    stop: CancellationToken,
    access_follower: tokio::task::JoinHandle<()>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Serves `app` until `shutdown` resolves and in-flight requests are done, then stops the
/// background tasks and waits for them.
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    background: Background,
) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "query API listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")?;
    background.stop.cancel();
    background.access_follower.abort();
    for task in background.tasks {
        let _ = task.await;
    }
    tracing::info!("query API stopped");
    Ok(())
}
