//! Query planning: from `q` to query words, from words to index terms, from terms to a
//! tantivy query whose score encodes the ranking rules.
//!
//! Typo tolerance follows Meilisearch: words of fewer than 5 characters allow no typo, 5–8
//! one, 9 or more two; a typo on the first letter counts as two; words with digits allow
//! none. The last query word also matches as a prefix. At most [`MAX_WORDS`] words count.
//!
//! A hit must match the first word (Meilisearch's default `last` matching strategy never
//! drops it); the other words rank hits that have them higher.
//!
//! Each word becomes a disjunction-max over its derivations in each text field, every one a
//! constant score `WORD + quality + field`, so the summed score orders hits first by the
//! number of words found, then by exactness (exact, prefix, one typo, two typos), then by
//! field (name, brand, description); a tiny BM25 of the exact word in the name breaks ties
//! inside a bucket. The query is built from values, never parsed, so no character of `q` is
//! syntax.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, FuzzyTermQuery,
    Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermDictionary;
use tantivy::{Searcher, Term};

use crate::request::SearchRequest;
use crate::schema::{Fields, brand_key};
use crate::synonyms::Synonyms;

/// Query words beyond this are ignored (as Meilisearch does).
pub const MAX_WORDS: usize = 10;
/// Most prefix or typo derivations kept per word and kind (the most frequent).
const MAX_DERIVATIONS: usize = 50;
/// Terms scanned per prefix before picking the most frequent.
const PREFIX_SCAN: usize = 2_000;

const WORD: f32 = 40_000.0;
/// Quality by cost: exact, prefix, one typo, two typos.
const QUALITY: [f32; 4] = [3_000.0, 2_000.0, 1_000.0, 0.0];
const BM25_WEIGHT: f32 = 0.01;

/// How one index term matches a query word: 0 exact (or synonym), 1 prefix, 2 one typo,
/// 3 two typos.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derivation {
    pub term: String,
    pub cost: usize,
    /// Which text fields (by index into [`text_fields`]) hold the term.
    pub in_fields: u8,
    doc_freq: u64,
}

/// A query word and the terms it matches.
#[derive(Debug, Clone)]
pub(crate) struct WordPlan {
    pub word: String,
    pub derivations: Vec<Derivation>,
}

/// The searchable text fields and their rank (name before brand before description).
fn text_fields(f: &Fields) -> [(Field, f32); 3] {
    [(f.name, 40.0), (f.brand_text, 20.0), (f.description, 0.0)]
}

/// Typos a word may have, Meilisearch's rule.
pub(crate) fn typo_budget(word: &str) -> u8 {
    if word.bytes().any(|b| b.is_ascii_digit()) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Plans every word of `q`.
pub(crate) fn plan_words(
    searcher: &Searcher,
    fields: &Fields,
    q: &str,
    synonyms: &Synonyms,
) -> tantivy::Result<Vec<WordPlan>> {
    let forms = crate::analyzer::query_forms(q);
    let count = forms.len().min(MAX_WORDS);
    let text = text_fields(fields).map(|(f, _)| f);
    forms
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, word)| {
            let mut found: HashMap<String, Derivation> = HashMap::new();
            let exact = std::iter::once(word.clone()).chain(synonyms.of(&word).iter().cloned());
            for form in exact {
                found.insert(form.clone(), derivation(form, 0));
            }
            derive(searcher, &text, &word, i + 1 == count, &mut found)?;
            let mut derivations: Vec<Derivation> = found.into_values().collect();
            keep_most_frequent(&mut derivations);
            Ok(WordPlan { word, derivations })
        })
        .collect()
}

fn derivation(term: String, cost: usize) -> Derivation {
    Derivation {
        term,
        cost,
        in_fields: 0,
        doc_freq: 0,
    }
}

/// Drops terms no field holds and caps each non-exact cost level at the most frequent terms.
fn keep_most_frequent(derivations: &mut Vec<Derivation>) {
    derivations.retain(|d| d.in_fields != 0);
    derivations.sort_by(|a, b| {
        (a.cost, std::cmp::Reverse(a.doc_freq), &a.term).cmp(&(
            b.cost,
            std::cmp::Reverse(b.doc_freq),
            &b.term,
        ))
    });
    let mut per_cost = [0usize; 4];
    derivations.retain(|d| {
        per_cost[d.cost] += 1;
        d.cost == 0 || per_cost[d.cost] <= MAX_DERIVATIONS
    });
}

/// Finds exact, prefix and typo derivations of `word` in every segment and text field.
fn derive(
    searcher: &Searcher,
    text_fields: &[Field; 3],
    word: &str,
    last: bool,
    found: &mut HashMap<String, Derivation>,
) -> tantivy::Result<()> {
    let budget = typo_budget(word);
    let probe = Term::from_field_text(text_fields[0], word);
    let automaton = |d: u8| {
        let q = if last {
            FuzzyTermQuery::new_prefix(probe.clone(), d, true)
        } else {
            FuzzyTermQuery::new(probe.clone(), d, true)
        };
        q.automaton()
    };
    let dfas = match budget {
        0 => vec![],
        1 => vec![automaton(1)?],
        _ => vec![automaton(1)?, automaton(2)?],
    };
    for segment in searcher.segment_readers() {
        for (bit, field) in text_fields.iter().enumerate() {
            let inverted = segment.inverted_index(*field)?;
            let dict = inverted.terms();
            mark_exact(dict, found, bit)?;
            let mut note = |term: &str, cost: usize, doc_freq: u32| {
                let d = found
                    .entry(term.to_owned())
                    .or_insert_with(|| derivation(term.to_owned(), cost));
                d.cost = d.cost.min(cost);
                d.in_fields |= 1 << bit;
                d.doc_freq += u64::from(doc_freq);
            };
            if last {
                scan_prefix(dict, word, &mut note)?;
            }
            for (level, dfa) in dfas.iter().enumerate() {
                let mut stream = dict.search(dfa).into_stream()?;
                while stream.advance() {
                    let Ok(term) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if let Some(cost) = typo_cost(word, term, last, level + 1, budget) {
                        note(term, cost, stream.value().doc_freq);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Marks which fields hold the exact forms already found.
fn mark_exact(
    dict: &TermDictionary,
    found: &mut HashMap<String, Derivation>,
    bit: usize,
) -> tantivy::Result<()> {
    for d in found.values_mut().filter(|d| d.cost == 0) {
        if let Some(info) = dict.get(d.term.as_bytes())? {
            d.in_fields |= 1 << bit;
            d.doc_freq += u64::from(info.doc_freq);
        }
    }
    Ok(())
}

fn scan_prefix(
    dict: &TermDictionary,
    word: &str,
    note: &mut impl FnMut(&str, usize, u32),
) -> tantivy::Result<()> {
    let mut stream = dict.range().ge(word.as_bytes()).into_stream()?;
    let mut scanned = 0;
    while stream.advance() && scanned < PREFIX_SCAN {
        let key = stream.key();
        if !key.starts_with(word.as_bytes()) {
            break;
        }
        scanned += 1;
        if key.len() > word.len()
            && let Ok(term) = std::str::from_utf8(key)
        {
            note(term, 1, stream.value().doc_freq);
        }
    }
    Ok(())
}

/// The cost of a term the level-`distance` automaton matched, or none if Meilisearch's rules
/// reject it: a different first letter counts as two typos, and the two-typo automaton only
/// adds terms that keep the first letter.
fn typo_cost(word: &str, term: &str, last: bool, distance: usize, budget: u8) -> Option<usize> {
    if term == word || (last && term.starts_with(word)) {
        return None; // exact or prefix, found elsewhere
    }
    let same_first = word.chars().next() == term.chars().next();
    match (distance, same_first) {
        (1, true) => Some(2),
        (1, false) if budget >= 2 => Some(3),
        (2, true) => Some(3),
        _ => None,
    }
}

/// The text part of the query: one disjunction per word, summed; the first word required.
pub(crate) fn text_query(fields: &Fields, words: &[WordPlan]) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in words {
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        for d in &word.derivations {
            for (bit, (field, rank)) in text_fields(fields).into_iter().enumerate() {
                if d.in_fields & (1 << bit) == 0 {
                    continue;
                }
                let term = TermQuery::new(
                    Term::from_field_text(field, &d.term),
                    IndexRecordOption::Basic,
                );
                let score = WORD + QUALITY[d.cost] + rank;
                disjuncts.push(Box::new(ConstScoreQuery::new(Box::new(term), score)));
            }
        }
        // The first word is required (Meilisearch's default `last` matching strategy drops
        // words from the end, never the first); the others add to the score when present.
        let occur = if clauses.is_empty() {
            Occur::Must
        } else {
            Occur::Should
        };
        if disjuncts.is_empty() {
            if occur == Occur::Must {
                return Box::new(EmptyQuery);
            }
            continue;
        }
        clauses.push((occur, Box::new(DisjunctionMaxQuery::new(disjuncts))));
        let bm25 = TermQuery::new(
            Term::from_field_text(fields.name, &word.word),
            IndexRecordOption::WithFreqs,
        );
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(bm25), BM25_WEIGHT)),
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Every term any word matched, for highlighting.
pub(crate) fn matched_terms(words: &[WordPlan]) -> HashSet<String> {
    words
        .iter()
        .flat_map(|w| w.derivations.iter().map(|d| d.term.clone()))
        .collect()
}

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

/// The text query restricted to active products and the request's filters.
pub(crate) fn full_query(
    fields: &Fields,
    text: Box<dyn Query>,
    r: &SearchRequest,
) -> Box<dyn Query> {
    let active = TermQuery::new(
        Term::from_field_u64(fields.active, 1),
        IndexRecordOption::Basic,
    );
    let mut clauses = vec![(Occur::Must, text), filter(Box::new(active))];
    if !r.category_ids.is_empty() {
        let terms = r
            .category_ids
            .iter()
            .map(|c| Term::from_field_text(fields.category, &c.to_string()));
        clauses.push(filter(Box::new(TermSetQuery::new(terms))));
    }
    if let Some(brand) = &r.brand {
        clauses.push(filter(term(fields.brand_key, &brand_key(brand))));
    }
    if let Some(seller) = r.seller_id {
        clauses.push(filter(term(fields.seller, &seller.to_string())));
    }
    if let Some(condition) = &r.condition {
        clauses.push(filter(term(fields.condition, condition)));
    }
    if r.min_price.is_some() || r.max_price.is_some() {
        let bound = |p: Option<i64>| {
            p.map_or(Bound::Unbounded, |p| {
                Bound::Included(Term::from_field_i64(fields.price, p))
            })
        };
        let range = RangeQuery::new(bound(r.min_price), bound(r.max_price));
        clauses.push(filter(Box::new(range)));
    }
    if r.in_stock {
        let from = Bound::Included(Term::from_field_i64(fields.available, 1));
        clauses.push(filter(Box::new(RangeQuery::new(from, Bound::Unbounded))));
    }
    Box::new(BooleanQuery::new(clauses))
}
