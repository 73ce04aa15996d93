//! Category names for the search facets, kept between changes of the category tree.
//!
//! Every search with hits answers category facets, and their names live in the category
//! tree (a PostgreSQL read model): asking it on every search was a round trip per query.
//! Names read are kept while the `categories` projection's checkpoint, as this process
//! knows it, has not moved (a rename moves it), and for at most [`TRUST`] (in case a
//! checkpoint notification was missed).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use pasar_events::Position;
use pasar_projector::slices::categories;
use uuid::Uuid;

use crate::consistency::Consistency;

/// Longest time names are kept without a newer checkpoint of the category tree.
const TRUST: Duration = Duration::from_secs(5);

/// Names read from the tree, and as of when.
#[derive(Default)]
pub struct CategoryNames {
    cached: std::sync::Mutex<Cached>,
    /// When the suggester last got the active categories' names (the tree's checkpoint then).
    suggested: std::sync::Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    names: HashMap<Uuid, String>,
    /// The tree's checkpoint when they were read.
    tree_at: Option<Position>,
    read_at: Option<Instant>,
}

impl Cached {
    fn fresh(&self, tree_at: Option<Position>) -> bool {
        self.tree_at == tree_at && self.read_at.is_some_and(|at| at.elapsed() < TRUST)
    }
}

impl CategoryNames {
    /// The names of those of `ids` the tree knows.
    pub async fn of(
        &self,
        pool: &Pool,
        consistency: &Consistency,
        ids: &[Uuid],
    ) -> anyhow::Result<HashMap<Uuid, String>> {
        let tree_at = consistency.position_of(categories::NAME);
        {
            let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
            if cached.fresh(tree_at) && ids.iter().all(|id| cached.names.contains_key(id)) {
                return Ok(pick(&cached.names, ids));
            }
        }
        let read = categories::queries::names(&pool.get().await?, ids).await?;
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if !cached.fresh(tree_at) {
            *cached = Cached {
                names: HashMap::new(),
                tree_at,
                read_at: Some(Instant::now()),
            };
        }
        cached
            .names
            .extend(read.iter().map(|(id, name)| (*id, name.clone())));
        Ok(read)
    }
}

impl CategoryNames {
    /// Gives `index`'s suggester the active categories' names when the tree has changed since
    /// it last got them (or [`TRUST`] has passed: a rebuilt index starts without them).
    pub async fn suggest_from(
        &self,
        pool: &Pool,
        consistency: &Consistency,
        index: &pasar_search::index::SearchIndex,
    ) -> anyhow::Result<()> {
        let tree_at = consistency.position_of(categories::NAME);
        if self
            .suggested
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fresh(tree_at)
        {
            return Ok(());
        }
        let names = categories::queries::active_names(&pool.get().await?).await?;
        index.set_category_names(&names);
        *self.suggested.lock().unwrap_or_else(|e| e.into_inner()) = Cached {
            names: HashMap::new(),
            tree_at,
            read_at: Some(Instant::now()),
        };
        Ok(())
    }
}

fn pick(names: &HashMap<Uuid, String>, ids: &[Uuid]) -> HashMap<Uuid, String> {
    ids.iter()
        .filter_map(|id| names.get(id).map(|name| (*id, name.clone())))
        .collect()
}
