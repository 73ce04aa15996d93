//! Writing the index: events folded into documents, documents staged in the writer, and a
//! commit that makes them durable and searchable together with the checkpoint.
//!
//! [`SearchIndex::apply`] stages and commits one batch. A catch-up far behind the log may
//! instead stage several batches ([`SearchIndex::stage`]) and commit them once
//! ([`SearchIndex::commit_staged`]): every commit is an fsync, a reader reload and a new
//! segment to merge, so fewer commits index faster. What is staged is neither searchable
//! nor in the checkpoint until committed. The staged documents stay in memory beside the
//! writer, so a later batch folds onto them rather than onto their older committed copy.
//! Any failure rolls back everything staged: the caller goes back to the committed
//! checkpoint and reads the log again from there (delivery is at least once, and applying
//! is idempotent).

use std::collections::{HashMap, HashSet};

use pasar_events::types::{CustomerEvent, DomainEvent, ProductEvent, ReviewEvent, StockEvent};
use pasar_events::{Position, RecordedEvent};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{IndexWriter, TantivyDocument};
use uuid::Uuid;

use crate::document::ProductDoc;
use crate::index::{Applied, SearchIndex};
use crate::request::SearchError;

/// The documents touched since the last commit: as committed (if stored), and now.
type Batch = HashMap<Uuid, (Option<ProductDoc>, ProductDoc)>;

/// The writer and what is staged in it (behind [`SearchIndex`]'s `writing` lock).
pub(crate) struct Writing {
    writer: IndexWriter,
    batch: Batch,
    /// The ids in `batch` whose document changed (and was written).
    changed: HashSet<Uuid>,
    /// The checkpoint the next commit records.
    checkpoint: Option<Position>,
    /// Events staged since the last commit.
    events: usize,
    /// The id of every committed document: a product the index has never stored is not
    /// looked up in each segment (most of a catch-up is new products).
    pub(crate) known: HashSet<Uuid>,
}

/// What is staged and not yet committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Staged {
    /// Events staged since the last commit.
    pub events: usize,
    /// Documents they changed.
    pub documents: usize,
}

impl Writing {
    pub(crate) fn new(writer: IndexWriter, checkpoint: Option<Position>) -> Writing {
        Writing {
            writer,
            batch: Batch::new(),
            changed: HashSet::new(),
            checkpoint,
            events: 0,
            known: HashSet::new(),
        }
    }

    fn staged(&self) -> Staged {
        Staged {
            events: self.events,
            documents: self.changed.len(),
        }
    }

    /// Forgets what was staged; the next commit starts from `committed`.
    fn clear(&mut self, committed: Option<Position>) {
        self.batch.clear();
        self.changed.clear();
        self.events = 0;
        self.checkpoint = committed;
    }
}

impl SearchIndex {
    fn lock_writing(&self) -> std::sync::MutexGuard<'_, Writing> {
        self.writing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a batch of events in log order: product and stock events update their
    /// product's document, others only move the checkpoint. Commits the documents and the
    /// position of the last event together (with anything staged before), then makes them
    /// visible to searches. An event already applied (same or older stream version)
    /// changes nothing. Fails without committing anything if an event cannot be decoded or
    /// the index cannot be written.
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
        let mut writing = self.lock_writing();
        self.stage_in(&mut writing, events, through)?;
        self.commit_in(&mut writing)
    }

    /// Like [`SearchIndex::apply_through`] but without committing: the documents go to the
    /// writer, and neither they nor the checkpoint are visible or durable until
    /// [`SearchIndex::commit_staged`] (or the next `apply`). A failure discards everything
    /// staged since the last commit, not only this batch.
    pub fn stage(
        &self,
        events: &[RecordedEvent],
        through: Option<Position>,
    ) -> Result<Staged, SearchError> {
        let mut writing = self.lock_writing();
        self.stage_in(&mut writing, events, through)?;
        Ok(writing.staged())
    }

    /// Commits what is staged (documents and checkpoint together) and makes it searchable.
    /// Nothing staged: nothing to do.
    pub fn commit_staged(&self) -> Result<Applied, SearchError> {
        let mut writing = self.lock_writing();
        self.commit_in(&mut writing)
    }

    /// What is staged and not yet committed.
    pub fn staged(&self) -> Staged {
        self.lock_writing().staged()
    }

    fn stage_in(
        &self,
        w: &mut Writing,
        events: &[RecordedEvent],
        through: Option<Position>,
    ) -> Result<(), SearchError> {
        let staged = self
            .fold(w, events)
            .and_then(|changed| self.write(w, &changed));
        if let Err(e) = staged {
            self.discard(w);
            return Err(e);
        }
        let last = events.iter().map(|e| e.position).max();
        w.checkpoint = w.checkpoint.max(last).max(through);
        w.events += events.len();
        Ok(())
    }

    /// Replaces the documents of `ids` in the writer with their staged state.
    fn write(&self, w: &mut Writing, ids: &HashSet<Uuid>) -> Result<(), SearchError> {
        for id in ids {
            let (_, doc) = &w.batch[id];
            w.writer.delete_term(self.fields.id_term(*id));
            w.writer.add_document(self.fields.to_document(doc))?;
        }
        Ok(())
    }

    /// Drops everything staged, in the writer too.
    fn discard(&self, w: &mut Writing) {
        let _ = w.writer.rollback();
        w.clear(self.checkpoint());
    }

    fn commit_in(&self, w: &mut Writing) -> Result<Applied, SearchError> {
        let committed = self.checkpoint();
        if w.changed.is_empty() && w.checkpoint <= committed {
            w.clear(committed);
            return Ok(Applied {
                documents_written: 0,
                checkpoint: committed,
            });
        }
        let mut prepared = match w.writer.prepare_commit() {
            Ok(prepared) => prepared,
            Err(e) => {
                self.discard(w);
                return Err(e.into());
            }
        };
        if let Some(position) = w.checkpoint {
            let payload = serde_json::to_string(&position).map_err(std::io::Error::other)?;
            prepared.set_payload(&payload);
        }
        if let Err(e) = prepared.commit() {
            self.discard(w);
            return Err(e.into());
        }
        let documents_written = w.changed.len();
        self.update_suggester(w.changed.iter().map(|id| &w.batch[id]));
        w.known.extend(w.changed.iter().copied());
        let checkpoint = w.checkpoint;
        w.clear(checkpoint);
        self.reader.reload()?;
        *self.checkpoint.write().unwrap_or_else(|e| e.into_inner()) = checkpoint;
        Ok(Applied {
            documents_written,
            checkpoint,
        })
    }

    /// Folds a batch into the staged documents; returns the ids it changed.
    fn fold(
        &self,
        w: &mut Writing,
        events: &[RecordedEvent],
    ) -> Result<HashSet<Uuid>, SearchError> {
        let mut changed: HashSet<Uuid> = HashSet::new();
        for event in events {
            if let Some((seller, hidden)) = seller_hidden(event)? {
                self.hide_seller(w, &mut changed, seller, hidden)?;
                continue;
            }
            let Some(id) = product_of(event)? else {
                continue;
            };
            if apply_one(self.entry(w, id)?, event)? {
                changed.insert(id);
            }
        }
        w.changed.extend(changed.iter().copied());
        Ok(changed)
    }

    /// The staged document of `id`, loaded from the index on first use.
    fn entry<'a>(&self, w: &'a mut Writing, id: Uuid) -> Result<&'a mut ProductDoc, SearchError> {
        let (_, doc) = match w.batch.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let before = if w.known.contains(&id) {
                    self.load(id)?
                } else {
                    None
                };
                let current = before.clone().unwrap_or_else(|| ProductDoc::empty(id));
                v.insert((before, current))
            }
        };
        Ok(doc)
    }

    /// Hides (or shows again) every product of `seller`: those in the index and those
    /// staged so far.
    fn hide_seller(
        &self,
        w: &mut Writing,
        changed: &mut HashSet<Uuid>,
        seller: Uuid,
        hidden: bool,
    ) -> Result<(), SearchError> {
        let mut ids = self.seller_products(seller)?;
        ids.extend(
            w.batch
                .iter()
                .filter(|(_, (_, doc))| doc.seller_id == Some(seller))
                .map(|(id, _)| *id),
        );
        for id in ids {
            if self.entry(w, id)?.set_seller_hidden(hidden) {
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
