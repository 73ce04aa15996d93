//! [`SearchIndex`]: the tantivy index, its writer, reader, checkpoint and suggester.
//!
//! Delivery from the log is at least once. [`SearchIndex::apply`] is idempotent: each
//! document remembers the last applied version of its product and stock streams, and the
//! log position of the last applied batch is committed in the same tantivy commit as the
//! documents (the commit payload), so after a crash the index and its checkpoint agree.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use pasar_events::types::{CustomerEvent, DomainEvent, ProductEvent, ReviewEvent, StockEvent};
use pasar_events::{Position, RecordedEvent};
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};
use uuid::Uuid;

use crate::analyzer::{PasarTokenizer, TOKENIZER_NAME};
use crate::document::ProductDoc;
use crate::request::SearchError;
use crate::schema::{self, Fields};
use crate::suggest::{Suggester, Suggestion};
use crate::synonyms::Synonyms;

/// The documents a batch touches: as stored before it (if any), and after it.
type Batch = HashMap<Uuid, (Option<ProductDoc>, ProductDoc)>;

/// Memory the writer may buffer before flushing a segment.
const WRITER_MEMORY: usize = 64_000_000;

/// A product index fed from the log. Cheap to share behind an `Arc`: searches take `&self`
/// and run concurrently; `apply` serialises on the writer.
pub struct SearchIndex {
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    checkpoint: RwLock<Option<Position>>,
    pub(crate) synonyms: RwLock<Arc<Synonyms>>,
    suggester: RwLock<Suggester>,
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
        let writer = index.writer(WRITER_MEMORY)?;
        let checkpoint = match index.load_metas()?.payload {
            Some(payload) => serde_json::from_str(&payload).ok(),
            None => None,
        };
        let this = SearchIndex {
            fields,
            reader,
            writer: Mutex::new(writer),
            checkpoint: RwLock::new(checkpoint),
            synonyms: RwLock::new(Arc::new(Synonyms::default_list())),
            suggester: RwLock::new(Suggester::default()),
        };
        this.rebuild_suggester()?;
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

    /// Applies a batch of events in log order: product and stock events update their
    /// product's document, others only move the checkpoint. Commits the documents and the
    /// position of the last event together, then makes them visible to searches. An event
    /// already applied (same or older stream version) changes nothing. Fails without
    /// committing anything if an event cannot be decoded or the index cannot be written.
    pub fn apply(&self, events: &[RecordedEvent]) -> Result<Applied, SearchError> {
        self.apply_through(events, None)
    }

    /// [`SearchIndex::apply`], committing `through` as the checkpoint when it is later than
    /// the batch's last event: a batch of the log may end with events the index does not
    /// keep (orders, carts), and the checkpoint must still cover them so that a consistency
    /// token from any command is reached. Never moves the checkpoint back.
    pub fn apply_through(
        &self,
        events: &[RecordedEvent],
        through: Option<Position>,
    ) -> Result<Applied, SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (docs, changed) = self.fold(events)?;
        let last = events.iter().map(|e| e.position).max();
        let checkpoint = self.checkpoint().max(last).max(through);
        let written = self.commit(&mut writer, &docs, &changed, checkpoint);
        if written.is_err() {
            // Leave nothing half-written in the writer for the next batch to commit.
            let _ = writer.rollback();
        }
        written?;
        self.reader.reload()?;
        *self.checkpoint.write().unwrap_or_else(|e| e.into_inner()) = checkpoint;
        self.update_suggester(changed.iter().map(|id| &docs[id]));
        Ok(Applied {
            documents_written: changed.len(),
            checkpoint,
        })
    }

    /// Folds a batch into the affected documents (before, after) and the ids that changed.
    fn fold(&self, events: &[RecordedEvent]) -> Result<(Batch, HashSet<Uuid>), SearchError> {
        let mut docs: Batch = HashMap::new();
        let mut changed: HashSet<Uuid> = HashSet::new();
        for event in events {
            if let Some((seller, hidden)) = seller_hidden(event)? {
                self.hide_seller(&mut docs, &mut changed, seller, hidden)?;
                continue;
            }
            let Some(id) = product_of(event)? else {
                continue;
            };
            if apply_one(self.entry(&mut docs, id)?, event)? {
                changed.insert(id);
            }
        }
        Ok((docs, changed))
    }

    /// The batch's current document of `id`, loaded from the index on first use.
    fn entry<'a>(&self, docs: &'a mut Batch, id: Uuid) -> Result<&'a mut ProductDoc, SearchError> {
        let (_, doc) = match docs.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let before = self.load(id)?;
                let current = before.clone().unwrap_or_else(|| ProductDoc::empty(id));
                v.insert((before, current))
            }
        };
        Ok(doc)
    }

    /// Hides (or shows again) every product of `seller`: those in the index and those the
    /// batch has listed so far.
    fn hide_seller(
        &self,
        docs: &mut Batch,
        changed: &mut HashSet<Uuid>,
        seller: Uuid,
        hidden: bool,
    ) -> Result<(), SearchError> {
        let mut ids = self.seller_products(seller)?;
        ids.extend(
            docs.iter()
                .filter(|(_, (_, doc))| doc.seller_id == Some(seller))
                .map(|(id, _)| *id),
        );
        for id in ids {
            if self.entry(docs, id)?.set_seller_hidden(hidden) {
                changed.insert(id);
            }
        }
        Ok(())
    }

    /// The ids of the stored documents of `seller`'s products.
    fn seller_products(&self, seller: Uuid) -> Result<HashSet<Uuid>, SearchError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            tantivy::Term::from_field_text(self.fields.seller, &seller.to_string()),
            IndexRecordOption::Basic,
        );
        let mut ids = HashSet::new();
        for address in searcher.search(&query, &tantivy::collector::DocSetCollector)? {
            let stored: TantivyDocument = searcher.doc(address)?;
            ids.insert(self.fields.from_document(&stored).id);
        }
        Ok(ids)
    }

    /// Replaces the changed documents and commits them with the checkpoint as payload.
    fn commit(
        &self,
        writer: &mut IndexWriter,
        docs: &Batch,
        changed: &HashSet<Uuid>,
        checkpoint: Option<Position>,
    ) -> Result<(), SearchError> {
        for id in changed {
            let (_, doc) = &docs[id];
            writer.delete_term(self.fields.id_term(*id));
            writer.add_document(self.fields.to_document(doc))?;
        }
        let mut prepared = writer.prepare_commit()?;
        if let Some(position) = checkpoint {
            let payload = serde_json::to_string(&position).map_err(std::io::Error::other)?;
            prepared.set_payload(&payload);
        }
        prepared.commit()?;
        Ok(())
    }

    /// The stored document of a product, if any.
    fn load(&self, id: Uuid) -> Result<Option<ProductDoc>, SearchError> {
        let searcher = self.reader.searcher();
        let term = self.fields.id_term(id);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let inverted = segment.inverted_index(self.fields.id)?;
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = tantivy::DocSet::doc(&postings);
            while doc != tantivy::TERMINATED {
                if !segment.is_deleted(doc) {
                    let address = tantivy::DocAddress::new(ord as u32, doc);
                    let stored: TantivyDocument = searcher.doc(address)?;
                    return Ok(Some(self.fields.from_document(&stored)));
                }
                doc = tantivy::DocSet::advance(&mut postings);
            }
        }
        Ok(None)
    }

    fn update_suggester<'a>(
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

    /// Fills the suggester from the stored names of the active products.
    fn rebuild_suggester(&self) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let mut suggester = Suggester::default();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                let stored: TantivyDocument =
                    searcher.doc(tantivy::DocAddress::new(ord as u32, doc))?;
                let product = self.fields.from_document(&stored);
                if product.active() {
                    suggester.add_name(&product.name);
                }
            }
        }
        *self.suggester.write().unwrap_or_else(|e| e.into_inner()) = suggester;
        Ok(())
    }
}

/// A seller's suspension (`true`) or reinstatement (`false`), from their customer stream.
fn seller_hidden(event: &RecordedEvent) -> Result<Option<(Uuid, bool)>, SearchError> {
    if event.category() != "customer" {
        return Ok(None);
    }
    let hidden = match CustomerEvent::decode(event)? {
        CustomerEvent::CustomerSuspended { .. } => true,
        CustomerEvent::CustomerReinstated { .. } => false,
        _ => return Ok(None),
    };
    Ok(event
        .stream
        .split_once('-')
        .and_then(|(_, id)| id.parse().ok())
        .map(|seller| (seller, hidden)))
}

/// The product a product, stock or review event is about.
fn product_of(event: &RecordedEvent) -> Result<Option<Uuid>, SearchError> {
    Ok(match event.category() {
        "product" | "stock" => event
            .stream
            .split_once('-')
            .and_then(|(_, id)| id.parse().ok()),
        "review" => Some(ReviewEvent::decode(event)?.product_id()),
        _ => None,
    })
}

fn apply_one(doc: &mut ProductDoc, event: &RecordedEvent) -> Result<bool, SearchError> {
    Ok(match event.category() {
        "product" => doc.apply_product(event.stream_version, &ProductEvent::decode(event)?),
        "review" => doc.apply_review(event.position.global, &ReviewEvent::decode(event)?),
        _ => doc.apply_stock(event.stream_version, &StockEvent::decode(event)?),
    })
}
