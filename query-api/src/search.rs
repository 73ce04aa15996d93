//! The search index, hosted in this process as a local read model.
//!
//! Every query-API process keeps its own tantivy index under `SEARCH_INDEX_DIR` (an
//! [`IndexSwap`]: the live generation and rebuilds beside it) and follows the log into it
//! with the processor runtime's `LocalProcessor` loop: the same reads, order and wake-ups
//! as every projection, but no leader lock (each replica runs its own) and the checkpoint
//! in the index's commit payload instead of `processor_checkpoints`. A replica that starts empty
//! catches up from the log; one killed mid-batch resumes from its last commit, and since
//! [`pasar_search::SearchIndex::apply`] is idempotent, ends with the same content as a fresh
//! build.
//!
//! Each commit raises this process's known position of [`NAME`] in [`Consistency`], so
//! `X-Consistency-Token` on `/v1/search` waits for the local index like for any projection
//! (`feed.rs`: a batch is committed at once while the index keeps up with the log; far
//! behind, several are staged and committed together).
//!
//! [`SearchHost::rebuild`] builds a new generation beside the live one from the start of the
//! log, pauses the live follower for a last catch-up, then swaps; searches never stop.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pasar_events::Position;
use pasar_events::runtime::Runtime;
use pasar_search::{IndexSwap, SearchIndex, Synonyms};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::consistency::Consistency;

mod feed;
mod names;

use feed::{Builder, Follower, STAGED_IDLE, Staging, commit};
pub use names::CategoryNames;

/// The search projection's name: its metrics label and its entry in the consistency map.
pub const NAME: &str = "search";

/// The live index of this process and what feeds it.
pub struct SearchHost {
    swap: IndexSwap,
    consistency: Arc<Consistency>,
    /// Held while a batch is applied, and by a rebuild's last catch-up and swap, so the
    /// follower never applies a batch to an index that is being replaced; with what the
    /// follower has staged and not yet committed.
    applying: Mutex<Staging>,
    /// Only one rebuild at a time.
    rebuilding: Mutex<()>,
    /// The operators' synonym list (`SEARCH_SYNONYMS_FILE`), given to every new generation;
    /// `None`: the built-in list.
    synonyms: std::sync::Mutex<Option<Synonyms>>,
    /// Category names for the facets of search answers.
    pub category_names: CategoryNames,
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rebuilt {
    /// Log position the new index covers (a consistency token).
    #[schema(value_type = String, example = "812-40")]
    pub position: Position,
    /// Events read from the log.
    pub events: u64,
    /// Active products in the new index.
    pub products: u64,
}

impl SearchHost {
    /// Opens (or creates) the index under `dir`.
    pub fn open(dir: &Path, consistency: Arc<Consistency>) -> anyhow::Result<Arc<SearchHost>> {
        let swap = IndexSwap::open(dir).map_err(|e| {
            anyhow::anyhow!("opening the search index in SEARCH_INDEX_DIR {dir:?}: {e}")
        })?;
        let host = Arc::new(SearchHost {
            swap,
            consistency,
            applying: Mutex::new(Staging::default()),
            rebuilding: Mutex::new(()),
            synonyms: std::sync::Mutex::new(None),
            category_names: CategoryNames::default(),
        });
        host.announce();
        Ok(host)
    }

    /// The index searches should use now.
    pub fn index(&self) -> Arc<SearchIndex> {
        self.swap.current()
    }

    /// Replaces the query-time synonyms of the live index and of every later generation.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        self.index().set_synonyms(synonyms.clone());
        *self.synonyms.lock().unwrap_or_else(|e| e.into_inner()) = Some(synonyms);
    }

    /// Tells waiting readers how far the live index has got.
    fn announce(&self) {
        if let Some(position) = self.index().checkpoint() {
            self.consistency.observe_local(NAME, position);
        }
    }

    /// Follows the log into the live index until `stop`: connects the event store (retrying
    /// while PostgreSQL is down, so the API still starts), then runs the runtime's loop,
    /// beside a task that commits staged work the loop left behind when the log went quiet.
    pub async fn follow(
        self: Arc<Self>,
        database_url: String,
        standby: bool,
        stop: CancellationToken,
    ) {
        let Some(runtime) = connect_runtime(&database_url, standby, &stop).await else {
            return;
        };
        let follower = Follower::new(Arc::clone(&self));
        let flusher = tokio::spawn(Arc::clone(&self).flush_when_idle(stop.clone()));
        runtime.run_local(&follower, &stop).await;
        flusher.abort();
    }

    /// Commits what the follower staged once no batch has come for a while: a full batch is
    /// staged in the expectation of more, and the log may have ended there.
    async fn flush_when_idle(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(STAGED_IDLE / 4) => {}
            }
            let mut staging = self.applying.lock().await;
            if !staging.idle() {
                continue;
            }
            match staging.commit(self.index()).await {
                Ok(()) => self.announce(),
                Err(e) => tracing::warn!(error = %e, "search: committing staged batches failed"),
            }
        }
    }

    /// Builds a new index from the start of the log beside the live one, then swaps it in.
    /// Searches keep using the live index until the swap.
    pub async fn rebuild(&self, runtime: &Runtime) -> anyhow::Result<Rebuilt> {
        let _one = self.rebuilding.lock().await;
        let rebuild = self.swap.begin_rebuild()?;
        let builder = Builder::new(Arc::clone(&rebuild.index));
        // The bulk of the log, while the live index keeps following.
        runtime.catch_up_local(&builder).await?;
        // Committed, so that the next catch-up starts where this one ended.
        commit(Arc::clone(&rebuild.index)).await?;
        // The tail, with the follower paused, so nothing it applies is missed by the new one.
        let _paused = self.applying.lock().await;
        let caught_up = runtime.catch_up_local(&builder).await?;
        commit(Arc::clone(&rebuild.index)).await?;
        let products = builder.index.active_count()?;
        let events = caught_up.events;
        let synonyms = self
            .synonyms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(synonyms) = synonyms {
            rebuild.index.set_synonyms(synonyms);
        }
        self.swap.finish_rebuild(rebuild)?;
        self.announce();
        Ok(Rebuilt {
            position: caught_up.position,
            events,
            products,
        })
    }
}

/// How often the index looks at a standby's log when nothing woke it (a standby hears no
/// NOTIFY): the extra delay, at most, before a replicated product change reaches the index.
pub const STANDBY_RECHECK: Duration = Duration::from_millis(50);

/// Connects the event store behind a runtime (a read-only one on a standby), retrying until
/// it answers or `stop`.
pub async fn connect_runtime(
    database_url: &str,
    standby: bool,
    stop: &CancellationToken,
) -> Option<Runtime> {
    use pasar_events::postgres::PgEventStore;
    let mut wait = Duration::from_millis(100);
    loop {
        let connected = if standby {
            PgEventStore::connect_standby(database_url, 4, STANDBY_RECHECK).await
        } else {
            PgEventStore::connect_with_pool_size(database_url, 4).await
        };
        match connected {
            Ok(store) => {
                let pool = store.pool().clone();
                return Some(Runtime::new(Arc::new(store), pool, database_url.to_owned()));
            }
            Err(e) => tracing::warn!(error = %e, "search: cannot reach the event store; retrying"),
        }
        tokio::select! {
            () = stop.cancelled() => return None,
            () = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}
