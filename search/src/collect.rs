//! One pass over the matching documents: the page after the cursor in the total order, the
//! total, and the facet counts over the whole matching set.

use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::request::{FacetCount, Facets, PriceBucket, SortKey, SortOrder};
use crate::schema::names;

/// Lower bounds of the price buckets, in rupiah; the last is open.
pub const PRICE_BUCKETS: [i64; 9] = [
    0, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// Which bucket a price falls in.
pub fn price_bucket(price: i64) -> usize {
    PRICE_BUCKETS.iter().rposition(|&b| price >= b).unwrap_or(0)
}

/// Collects a page of `limit + 1` hits (the extra one tells whether there is a next page).
pub(crate) struct PageCollector {
    pub sort: SortOrder,
    pub after: Option<SortKey>,
    pub keep: usize,
}

/// What one segment (and then the whole index) found.
#[derive(Default)]
pub(crate) struct Found {
    pub hits: Vec<(SortKey, DocAddress)>,
    pub total: u64,
    pub category: HashMap<String, u64>,
    pub brand: HashMap<String, u64>,
    pub condition: HashMap<String, u64>,
    pub price: [u64; PRICE_BUCKETS.len()],
}

struct Facet {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl Facet {
    fn open(segment: &SegmentReader, name: &str) -> tantivy::Result<Facet> {
        let column = segment.fast_fields().str(name)?;
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        Ok(Facet {
            column,
            counts: vec![0; terms],
        })
    }

    fn count(&mut self, doc: DocId) {
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                self.counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let Some(column) = self.column else {
            return out;
        };
        for (ord, count) in self.counts.into_iter().enumerate() {
            let mut value = String::new();
            if count > 0 && column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                out.insert(value, count);
            }
        }
        out
    }
}

pub(crate) struct SegmentPage {
    segment: SegmentOrdinal,
    sort: SortOrder,
    after: Option<SortKey>,
    keep: usize,
    id_hi: Column<u64>,
    id_lo: Column<u64>,
    price: Column<i64>,
    listed_at: Column<i64>,
    heap: BinaryHeap<(SortKey, DocId)>,
    facets: [Facet; 3],
    prices: [u64; PRICE_BUCKETS.len()],
    total: u64,
}

impl Collector for PageCollector {
    type Fruit = Found;
    type Child = SegmentPage;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        r: &SegmentReader,
    ) -> tantivy::Result<SegmentPage> {
        let fast = r.fast_fields();
        Ok(SegmentPage {
            segment,
            sort: self.sort,
            after: self.after,
            keep: self.keep,
            id_hi: fast.u64(names::ID_HI)?,
            id_lo: fast.u64(names::ID_LO)?,
            price: fast.i64(names::PRICE)?,
            listed_at: fast.i64(names::LISTED_AT)?,
            heap: BinaryHeap::new(),
            facets: [
                Facet::open(r, names::CATEGORY)?,
                Facet::open(r, names::BRAND)?,
                Facet::open(r, names::CONDITION)?,
            ],
            prices: [0; PRICE_BUCKETS.len()],
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == SortOrder::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut all = Found::default();
        for fruit in fruits {
            all.hits.extend(fruit.hits);
            all.total += fruit.total;
            for (into, from) in [
                (&mut all.category, fruit.category),
                (&mut all.brand, fruit.brand),
                (&mut all.condition, fruit.condition),
            ] {
                for (value, count) in from {
                    *into.entry(value).or_default() += count;
                }
            }
            for (into, from) in all.price.iter_mut().zip(fruit.price) {
                *into += from;
            }
        }
        all.hits.sort();
        all.hits.truncate(self.keep);
        Ok(all)
    }
}

impl SegmentCollector for SegmentPage {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        let price = self.price.first(doc).unwrap_or(0);
        self.total += 1;
        for facet in &mut self.facets {
            facet.count(doc);
        }
        self.prices[price_bucket(price)] += 1;
        let primary = match self.sort {
            // Scores are never negative, so their bits order like the scores.
            SortOrder::Relevance => -i64::from(score.to_bits()),
            SortOrder::PriceAsc => price,
            SortOrder::PriceDesc => -price,
            SortOrder::Newest => -self.listed_at.first(doc).unwrap_or(0),
        };
        // Most matches lose on the primary key alone: no need to read their id.
        let full = self.heap.len() >= self.keep;
        if self.after.is_some_and(|after| primary < after.primary)
            || (full
                && self
                    .heap
                    .peek()
                    .is_some_and(|(worst, _)| primary > worst.primary))
        {
            return;
        }
        let hi = self.id_hi.first(doc).unwrap_or(0);
        let lo = self.id_lo.first(doc).unwrap_or(0);
        let key = SortKey {
            primary,
            id: (u128::from(hi) << 64) | u128::from(lo),
        };
        if self.after.is_some_and(|after| key <= after) {
            return;
        }
        if !full {
            self.heap.push((key, doc));
        } else if self.heap.peek().is_some_and(|(worst, _)| key < *worst) {
            // The newcomer replaces the worst hit kept.
            if let Some(mut worst) = self.heap.peek_mut() {
                *worst = (key, doc);
            }
        }
    }

    fn harvest(self) -> Found {
        let [category, brand, condition] = self.facets;
        Found {
            hits: self
                .heap
                .into_iter()
                .map(|(key, doc)| (key, DocAddress::new(self.segment, doc)))
                .collect(),
            total: self.total,
            category: category.harvest(),
            brand: brand.harvest(),
            condition: condition.harvest(),
            price: self.prices,
        }
    }
}

fn ranked(counts: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

impl Found {
    /// The facet counts in their answer form, taking them out of `self`.
    pub(crate) fn take_facets(&mut self) -> Facets {
        let price = PRICE_BUCKETS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.price[*i] > 0)
            .map(|(i, &min)| PriceBucket {
                min,
                max: PRICE_BUCKETS.get(i + 1).copied(),
                count: self.price[i],
            })
            .collect();
        Facets {
            category: ranked(std::mem::take(&mut self.category)),
            brand: ranked(std::mem::take(&mut self.brand)),
            condition: ranked(std::mem::take(&mut self.condition)),
            price,
        }
    }
}
