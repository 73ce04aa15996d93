//! Operators' search synonyms: `SEARCH_SYNONYMS_FILE` names a file in the text format of
//! [`pasar_search::Synonyms`] (one group per line, `hp, handphone, ponsel`). It is read at
//! start (a file that cannot be read or parsed stops the start, so a typo is seen at once)
//! and again whenever it changes (checked every [`RELOAD_INTERVAL`]); synonyms apply when a
//! query is planned, so a change needs no rebuild. A broken edit is logged and counted, and
//! the last good list stays in use.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use pasar_search::Synonyms;
use tokio_util::sync::CancellationToken;

use crate::search::SearchHost;

/// How often the file's modification time and length are looked at.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The file and what became of its versions (for `/metrics`).
pub struct SynonymsFile {
    path: PathBuf,
    /// Versions applied (the one read at start included) and refused.
    pub applied: AtomicU64,
    pub rejected: AtomicU64,
}

impl SynonymsFile {
    /// Reads `path` and applies it to `host`; an error stops the start.
    pub fn load(path: &Path, host: &SearchHost) -> anyhow::Result<Arc<SynonymsFile>> {
        let synonyms = Synonyms::load(path)
            .with_context(|| format!("SEARCH_SYNONYMS_FILE {}", path.display()))?;
        host.set_synonyms(synonyms);
        tracing::info!(file = %path.display(), "search synonyms loaded");
        Ok(Arc::new(SynonymsFile {
            path: path.to_owned(),
            applied: AtomicU64::new(1),
            rejected: AtomicU64::new(0),
        }))
    }

    /// Applies each new version of the file until `stop`.
    pub async fn watch(self: Arc<Self>, host: Arc<SearchHost>, stop: CancellationToken) {
        let mut seen = self.version();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(RELOAD_INTERVAL) => {}
            }
            let now = self.version();
            if now == seen {
                continue;
            }
            seen = now;
            match Synonyms::load(&self.path) {
                Ok(synonyms) => {
                    host.set_synonyms(synonyms);
                    self.applied.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(file = %self.path.display(), "search synonyms reloaded");
                }
                Err(e) => {
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(file = %self.path.display(), error = %e, "search synonyms not reloaded; the last good list stays in use");
                }
            }
        }
    }

    /// What identifies a version of the file: its modification time and length.
    fn version(&self) -> Option<(SystemTime, u64)> {
        let meta = std::fs::metadata(&self.path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }
}
