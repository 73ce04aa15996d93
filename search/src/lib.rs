//! Product search: a tantivy index of the catalog, fed from the event log, hosted by each
//! query-API process as a local read model.
//!
//! - [`index`]: [`SearchIndex`] — open/create, [`SearchIndex::checkpoint`], suggestions.
//!   Start reading here.
//! - [`apply`]: [`SearchIndex::apply`] (idempotent, checkpoint in the commit payload), and
//!   staging several batches for one commit during a catch-up.
//! - [`search`]: [`SearchIndex::search`] — validation, planning, collection, highlights.
//! - [`request`]: [`SearchRequest`], [`SearchResults`], [`SearchError`] and the cursor.
//! - [`analyzer`]: folding, units (`128GB` ↔ `128 gb`), hyphenated words (`kue-kue`).
//! - [`plan`]: Meilisearch-style typo tolerance, prefix on the last word, ranking in the score.
//! - [`collect`]: the page after the cursor, total and facet counts in one pass.
//! - [`highlight`]: matched ranges as plain character offsets (no markup).
//! - [`synonyms`]: query-time synonym groups, changeable without a rebuild.
//! - [`suggest`]: search-as-you-type completions.
//! - [`swap`]: [`IndexSwap`], a rebuild beside the live index and an atomic swap.
//! - [`document`] and [`schema`]: the per-product state and its stored form.

pub mod analyzer;
pub mod apply;
pub mod collect;
pub mod document;
pub mod highlight;
pub mod index;
pub mod plan;
pub mod request;
pub mod schema;
pub mod search;
pub mod suggest;
pub mod swap;
pub mod synonyms;

pub use apply::Staged;
pub use index::{Applied, SearchIndex};
pub use request::{
    FacetCount, Facets, Highlight, Hit, PriceBucket, SearchError, SearchRequest, SearchResults,
    SortOrder, Span,
};
pub use suggest::Suggestion;
pub use swap::{IndexSwap, Rebuild};
pub use synonyms::{SynonymError, Synonyms};
