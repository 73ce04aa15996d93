//! [`SearchIndex::search`]: validate, plan, collect, then load and highlight the page.

use std::collections::HashSet;

use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::collect::{Found, PageCollector};
use crate::highlight::{highlight_snippet, highlight_whole};
use crate::index::SearchIndex;
use crate::plan::{full_query, matched_terms, plan_words, text_query};
use crate::request::{
    Facets, Hit, SearchError, SearchRequest, SearchResults, SortKey, decode_cursor, encode_cursor,
};

impl SearchIndex {
    /// Searches the active products.
    ///
    /// Hits are ordered by `request.sort`, ties broken by product id, so following
    /// `next_cursor` never repeats or skips a hit while the index is unchanged. `total` and
    /// the facets count every matching product, not just the page. A `q` of only punctuation
    /// matches nothing. Fails with [`SearchError::Invalid`] on an empty or over-long `q`, an
    /// inverted price range, a bad limit, condition or cursor.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let limit = request.validate()?;
        let fingerprint = request.fingerprint();
        let after = match &request.cursor {
            Some(cursor) => Some(decode_cursor(cursor, fingerprint)?),
            None => None,
        };
        let searcher = self.reader.searcher();
        let synonyms = self
            .synonyms
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let words = plan_words(&searcher, &self.fields, &request.q, &synonyms)?;
        if words.iter().all(|w| w.derivations.is_empty()) {
            return Ok(SearchResults {
                hits: Vec::new(),
                facets: Facets::default(),
                total: 0,
                next_cursor: None,
            });
        }
        let query = full_query(&self.fields, text_query(&self.fields, &words), request);
        let collector = PageCollector {
            sort: request.sort,
            after,
            keep: limit + 1,
        };
        let mut found: Found = searcher.search(query.as_ref(), &collector)?;
        let facets = found.take_facets();
        let more = found.hits.len() > limit;
        found.hits.truncate(limit);
        let next_cursor = more
            .then(|| {
                found
                    .hits
                    .last()
                    .map(|(key, _)| encode_cursor(fingerprint, *key))
            })
            .flatten();
        let terms = matched_terms(&words);
        let hits = self.load_hits(&searcher, &found.hits, &terms)?;
        Ok(SearchResults {
            hits,
            facets,
            total: found.total,
            next_cursor,
        })
    }

    fn load_hits(
        &self,
        searcher: &Searcher,
        page: &[(SortKey, DocAddress)],
        terms: &HashSet<String>,
    ) -> Result<Vec<Hit>, SearchError> {
        page.iter()
            .map(|(_, address)| {
                let stored: TantivyDocument = searcher.doc(*address)?;
                let p = self.fields.from_document(&stored);
                Ok(Hit {
                    thumbnail_key: p.thumbnail_key().map(str::to_owned),
                    rating_average: p.rating_average(),
                    rating_count: p.rating_count,
                    id: p.id,
                    highlight_name: highlight_whole(&p.name, terms),
                    highlight_description: highlight_snippet(&p.description, terms),
                    name: p.name,
                    price: p.price,
                    brand: p.brand,
                    category_id: p.category_id,
                    seller_id: p.seller_id,
                    condition: p.condition,
                    available: p.available,
                })
            })
            .collect()
    }
}
