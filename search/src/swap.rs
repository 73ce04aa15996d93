//! [`IndexSwap`]: the live index and rebuilds beside it, swapped atomically.
//!
//! On disk, `root/gen-<n>/` holds one generation and `root/CURRENT` names the live one. A
//! rebuild fills a new generation from the start of the log while the live one keeps
//! serving; [`IndexSwap::finish_rebuild`] then replaces `CURRENT` with a rename (atomic on
//! POSIX) and swaps the in-memory handle, so searches see the old index until that moment
//! and the new one after. Searches already running finish on the old one. Old generations
//! are deleted at the next [`IndexSwap::open`], when nothing can still be reading them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::index::SearchIndex;
use crate::request::SearchError;

const CURRENT: &str = "CURRENT";

/// The live search index of one process, and its rebuilds.
pub struct IndexSwap {
    root: PathBuf,
    live: RwLock<(u64, Arc<SearchIndex>)>,
}

/// A generation being built beside the live one; feed `index` from the log, then hand it to
/// [`IndexSwap::finish_rebuild`]. Dropping it abandons the rebuild.
pub struct Rebuild {
    generation: u64,
    /// The new index; apply the log to it until it has caught up.
    pub index: Arc<SearchIndex>,
}

fn generation_dir(root: &Path, generation: u64) -> PathBuf {
    root.join(format!("gen-{generation}"))
}

impl IndexSwap {
    /// Opens the live generation under `root` (creating the first one), and deletes any
    /// other generation left by an earlier swap or an interrupted rebuild.
    pub fn open(root: &Path) -> Result<IndexSwap, SearchError> {
        std::fs::create_dir_all(root)?;
        let generation = match std::fs::read_to_string(root.join(CURRENT)) {
            Ok(text) => text.trim().parse().unwrap_or(1),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 1,
            Err(e) => return Err(e.into()),
        };
        for entry in std::fs::read_dir(root)? {
            let path = entry?.path();
            let stale = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("gen-"))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|g| g != generation);
            if stale {
                std::fs::remove_dir_all(&path)?;
            }
        }
        // An index written with another schema (an older build) is not ours to read: start
        // the next generation empty, filled from the log like a new one.
        let (generation, index) = match SearchIndex::open(&generation_dir(root, generation)) {
            Ok(index) => (generation, index),
            Err(SearchError::Index(tantivy::TantivyError::SchemaError(_))) => {
                let next = generation + 1;
                let dir = generation_dir(root, next);
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)?;
                }
                let index = SearchIndex::open(&dir)?;
                std::fs::remove_dir_all(generation_dir(root, generation))?;
                (next, index)
            }
            Err(e) => return Err(e),
        };
        write_current(root, generation)?;
        Ok(IndexSwap {
            root: root.to_owned(),
            live: RwLock::new((generation, Arc::new(index))),
        })
    }

    /// The index searches should use now.
    pub fn current(&self) -> Arc<SearchIndex> {
        self.live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// Starts an empty generation beside the live one.
    pub fn begin_rebuild(&self) -> Result<Rebuild, SearchError> {
        let generation = self.live.read().unwrap_or_else(|e| e.into_inner()).0 + 1;
        let dir = generation_dir(&self.root, generation);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        Ok(Rebuild {
            generation,
            index: Arc::new(SearchIndex::open(&dir)?),
        })
    }

    /// Makes the rebuilt generation the live one, on disk and in memory; returns the index
    /// it replaced (still usable by searches that hold it).
    pub fn finish_rebuild(&self, rebuild: Rebuild) -> Result<Arc<SearchIndex>, SearchError> {
        write_current(&self.root, rebuild.generation)?;
        let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::replace(&mut *live, (rebuild.generation, rebuild.index));
        Ok(old.1)
    }
}

/// Replaces `CURRENT` atomically: write a temporary file, flush it, rename it over.
fn write_current(root: &Path, generation: u64) -> Result<(), SearchError> {
    use std::io::Write as _;
    let tmp = root.join("CURRENT.tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(generation.to_string().as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, root.join(CURRENT))?;
    Ok(())
}
