//! [`SearchIndex`]: the tantivy index, its writer, reader, checkpoint and suggester.
//!
//! Delivery from the log is at least once. [`SearchIndex::apply`] is idempotent: each
//! document remembers the last applied version of its product and stock streams, and the
//! log position of the last applied batch is committed in the same tantivy commit as the
//! documents (the commit payload), so after a crash the index and its checkpoint agree.
//! Writing is in `apply.rs`: [`SearchIndex::apply`] commits each batch;
//! [`SearchIndex::stage`] and [`SearchIndex::commit_staged`] let a catch-up commit many
//! batches at once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use pasar_events::Position;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};
use uuid::Uuid;

use crate::analyzer::{PasarTokenizer, TOKENIZER_NAME};
use crate::apply::Writing;
use crate::document::ProductDoc;
use crate::request::SearchError;
use crate::schema::{self, Fields};
use crate::suggest::{Suggester, Suggestion};
use crate::synonyms::Synonyms;

/// Memory the writer may buffer before flushing a segment.
const WRITER_MEMORY: usize = 64_000_000;

/// A product index fed from the log. Cheap to share behind an `Arc`: searches take `&self`
/// and run concurrently; `apply` serialises on the writer.
pub struct SearchIndex {
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    /// The writer and what is staged in it; every write holds this lock.
    pub(crate) writing: Mutex<Writing>,
    /// The committed checkpoint.
    pub(crate) checkpoint: RwLock<Option<Position>>,
    pub(crate) synonyms: RwLock<Arc<Synonyms>>,
    pub(crate) suggester: RwLock<Suggester>,
}

/// What one [`SearchIndex::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Documents written (an already-applied event writes none).
    pub documents_written: usize,
    /// The checkpoint now committed.
    pub checkpoint: Option<Position>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if needed, and
    /// reads its checkpoint. Fails if the directory holds something that is not our index.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let directory = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Index(tantivy::TantivyError::SystemError(e.to_string())))?;
        let (schema, _) = schema::build();
        let index = Index::open_or_create(directory, schema)?;
        SearchIndex::from_index(index)
    }

    /// A fresh index in memory (tests, benchmarks).
    pub fn create_in_ram() -> Result<SearchIndex, SearchError> {
        let (schema, _) = schema::build();
        SearchIndex::from_index(Index::create_in_ram(schema))
    }

    fn from_index(index: Index) -> Result<SearchIndex, SearchError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, TextAnalyzer::from(PasarTokenizer));
        let (_, fields) = schema::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // One indexing thread: every commit flushes a segment per thread that holds
        // documents, and the live feed commits each batch it keeps up with, so two threads
        // made twice the segments (fresh arenas, term dictionaries, merges) for the same
        // documents. One thread indexed a rebuild faster too on these two cores (README
        // Performance).
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let checkpoint = match index.load_metas()?.payload {
            Some(payload) => serde_json::from_str(&payload).ok(),
            None => None,
        };
        let this = SearchIndex {
            fields,
            reader,
            writing: Mutex::new(Writing::new(writer, checkpoint)),
            checkpoint: RwLock::new(checkpoint),
            synonyms: RwLock::new(Arc::new(Synonyms::default_list())),
            suggester: RwLock::new(Suggester::default()),
        };
        let known = this.rebuild_suggester()?;
        this.writing.lock().unwrap_or_else(|e| e.into_inner()).known = known;
        Ok(this)
    }

    /// The log position of the last applied batch, as committed; none for a new index.
    pub fn checkpoint(&self) -> Option<Position> {
        *self.checkpoint.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the query-time synonyms; takes effect on the next search, no rebuild.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        *self.synonyms.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(synonyms);
    }

    /// Replaces the category names offered by [`SearchIndex::suggest`].
    pub fn set_category_names(&self, names: &HashMap<Uuid, String>) {
        self.suggester
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .set_categories(names);
    }

    /// Up to `limit` (≤ 8) completions of `prefix` from product names and categories.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Suggestion> {
        self.suggester
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .suggest(prefix, limit)
    }

    /// Number of active (searchable) products.
    pub fn active_count(&self) -> Result<u64, SearchError> {
        let query = TermQuery::new(
            tantivy::Term::from_field_u64(self.fields.active, 1),
            IndexRecordOption::Basic,
        );
        Ok(self
            .reader
            .searcher()
            .search(&query, &tantivy::collector::Count)? as u64)
    }

    pub(crate) fn update_suggester<'a>(
        &self,
        changes: impl Iterator<Item = &'a (Option<ProductDoc>, ProductDoc)>,
    ) {
        let mut suggester = self.suggester.write().unwrap_or_else(|e| e.into_inner());
        for (before, after) in changes {
            if let Some(before) = before.as_ref().filter(|b| b.active()) {
                suggester.remove_name(&before.name);
            }
            if after.active() {
                suggester.add_name(&after.name);
            }
        }
    }

    /// Fills the suggester from the stored names of the active products; returns the ids
    /// of every stored product.
    fn rebuild_suggester(&self) -> Result<HashSet<Uuid>, SearchError> {
        let searcher = self.reader.searcher();
        let mut suggester = Suggester::default();
        let mut known = HashSet::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                let stored: TantivyDocument =
                    searcher.doc(tantivy::DocAddress::new(ord as u32, doc))?;
                let product = self.fields.from_document(&stored);
                known.insert(product.id);
                if product.active() {
                    suggester.add_name(&product.name);
                }
            }
        }
        *self.suggester.write().unwrap_or_else(|e| e.into_inner()) = suggester;
        Ok(known)
    }
}
