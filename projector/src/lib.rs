//! Pasar's projector: tails the event log and keeps the PostgreSQL read models (schema `rm`).
//!
//! - [`slices`]: the read-model slices, one folder per feature (`catalog`, `carts`, `orders`,
//!   `payments`): its [`Projection`], its `schema.sql` and its queries (which the query API
//!   calls). Start reading there: every handler is an idempotent upsert, because delivery is
//!   at least once.
//! - [`Projector`] (`projector.rs`): the projections on the processor runtime
//!   (`pasar_events::runtime`: one checkpoint table, leader lock per name, backoff loop,
//!   metrics). `processor.rs` adapts a projection to a runtime `Processor`: inside the
//!   runtime's batch transaction it writes the live version's rows; the runtime
//!   compare-and-sets the checkpoint in the same transaction (exactly-once effect).
//!   [`Projector::catch_up`] processes what is pending and returns.
//! - `announce.rs`: after each commit the checkpoint is announced on NATS
//!   (`pasar.checkpoints.<projection>`) and by `pg_notify('pasar_checkpoints', …)`, so the
//!   query API can wake readers holding a consistency token.
//! - [`registry`]: versioned read models (a schema per projection version, `rm.*` views over
//!   the live one) and [`rebuild`] (`projector rebuild`: build the next version beside the
//!   live one, swap atomically). [`commands`]: `rebuild`, `drop-retired`, `events`.
//! - [`publisher`]: integration events to NATS JetStream (`PASAR_EVENTS`). Not a projection:
//!   its own task, lock and checkpoint table; rebuilds never run it.
//! - [`migrate`] (the one migration mechanism, owner `read_models`), [`checkpoint`] (versions'
//!   rows in the runtime's checkpoint table), [`status`] (`projector status`: every processor
//!   sharing the checkpoint table, with lag), [`metrics`],
//!   `http.rs` (`/healthz`, `/readyz`, `/metrics`), [`config`]. Plumbing shared with the
//!   other services (metrics registry, shutdown, NATS connection) comes from `pasar_service`.
//!
//! [`run`] wires it together from a [`Config`], a bound listener and a shutdown future.

mod announce;
pub mod checkpoint;
pub mod commands;
pub mod config;
mod error;
mod http;
pub mod metrics;
pub mod migrate;
mod processor;
mod projector;
pub mod publisher;
pub mod rebuild;
pub mod registry;
pub mod slices;
pub mod status;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use pasar_events::EventStore;
use pasar_events::postgres::PgEventStore;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use announce::{CHECKPOINT_CHANNEL, CHECKPOINT_SUBJECT_PREFIX};
pub use config::{Config, ConfigError};
pub use error::ProjectorError;
pub use projector::{BATCH_SIZE, CaughtUp, Progress, Projector};
pub use publisher::PublisherConfig;
pub use rebuild::{RebuildOptions, Rebuilt};
pub use slices::Projection;

/// Connections of the read-model pool beyond one per projection: the NATS publisher's batches,
/// `/readyz` and `/metrics`. Every projection's batch holds a connection while it is written,
/// so fewer than one each makes them queue for one another (and time out under load).
const POOL_SPARE: usize = 3;

/// Connects to the event store and the read-model database (migrating both), starts every
/// projection and serves the HTTP endpoints on `listener` until `shutdown` resolves; then
/// lets in-flight batches finish and returns. Publishes no integration events: see
/// [`run_with_publisher`].
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let no_publisher = PublisherConfig {
        enabled: false,
        ..PublisherConfig::default()
    };
    run_with_publisher(config, no_publisher, listener, shutdown).await
}

/// [`run`], plus the integration-event publisher of `publisher` (what `projector run` does).
/// Its configuration is apart from [`Config`] so that callers of [`run`] (tests on a shared
/// NATS) never publish by accident.
pub async fn run_with_publisher(
    config: Config,
    publisher: PublisherConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let projector = Arc::new(connect(&config).await?);
    // The first registry of the process also takes the library-level metrics.
    projector.metrics().registry().install_global();
    let stop = CancellationToken::new();
    let mut workers = projector.spawn_live(&config.database_url, &stop);
    if pasar_events::select::Backend::from_env() == Ok(pasar_events::select::Backend::Postgres) {
        workers.extend(publisher::spawn(&config, publisher, &projector, &stop));
    } else {
        tracing::warn!("the NATS publisher runs only with the PostgreSQL event store; not started");
    }
    tracing::info!(addr = %listener.local_addr()?, projections = ?projector.names(), "projector started");

    let stop_serving = stop.clone();
    axum::serve(listener, http::router(Arc::clone(&projector)))
        .with_graceful_shutdown(async move {
            tokio::select! {
                () = shutdown => {}
                () = stop_serving.cancelled() => {}
            }
        })
        .await
        .context("serving HTTP")?;

    stop.cancel();
    for worker in workers {
        let _ = worker.await;
    }
    tracing::info!("projector stopped");
    Ok(())
}

/// A projector for `config`: event store connected and migrated, read models migrated, NATS
/// connecting in the background.
///
/// The log is read from the backend chosen by `EVENT_STORE` / `EVENTSTORE_URL` (PostgreSQL by
/// default). The PostgreSQL event-store schema is created either way: the status views and the
/// publisher's bookkeeping refer to it.
pub async fn connect(config: &Config) -> anyhow::Result<Projector> {
    let backend = pasar_events::select::Backend::from_env().map_err(anyhow::Error::msg)?;
    let postgres = PgEventStore::connect(&config.database_url)
        .await
        .context("connecting to the event store")?;
    let store: Arc<dyn EventStore> = match &backend {
        pasar_events::select::Backend::Postgres => Arc::new(postgres),
        pasar_events::select::Backend::EventStoreDb(url) => {
            tracing::warn!(
                "reading the log from EventStoreDB: projections run; lag figures and the NATS publisher need the PostgreSQL log and are off"
            );
            Arc::new(
                pasar_events::eventstoredb::EsdbEventStore::connect(url)
                    .await
                    .context("connecting to EventStoreDB")?,
            )
        }
    };
    let pool_size = slices::all().len() + POOL_SPARE;
    let pool = pasar_events::postgres::pool(&config.database_url, pool_size)
        .context("building the read-model pool")?;
    let nats = pasar_service::connect_nats(&config.nats_url, "pasar-projector").await;
    let projector = Projector::new(store, pool)
        .await
        .context("preparing the read models")?;
    Ok(projector.with_nats(nats))
}

/// The `projector status` table: log head, then version, state, position, lag and last update
/// per projection version (live and building).
pub async fn status_report(config: &Config) -> anyhow::Result<String> {
    let store = PgEventStore::connect(&config.database_url)
        .await
        .context("connecting to the event store")?;
    let pool =
        pasar_events::postgres::pool(&config.database_url, 2).context("building the pool")?;
    migrate::migrate(&pool)
        .await
        .context("migrating the read models")?;
    // Every processor sharing the checkpoint table: projections first, then the others
    // (the publisher, the command API's reactors and sweeper) by name.
    let mut names: Vec<String> = slices::all().iter().map(|p| p.name().to_owned()).collect();
    for checkpoint in pasar_events::runtime::checkpoint::load_all(&pool.get().await?).await? {
        if !names.contains(&checkpoint.name) && !checkpoint.name.contains("@v") {
            names.push(checkpoint.name);
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let store: &dyn EventStore = &store;
    status::report(store, &pool, &names)
        .await
        .context("reading projection status")
}
