//! Search-as-you-type completions from product names and category names.
//!
//! A sorted map from folded phrases to how many active products contain them: every run of
//! up to [`PHRASE_WORDS`] words of every name, starting at any word, so `lari` completes to
//! `lari pria` as well as `sepatu la` to `sepatu lari`. A lookup is a range scan over the keys
//! that start with the folded prefix (at most [`SCAN`] of them), ranked by product count.
//! Kept up to date by the index as documents change; rebuilt from the stored names on open.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use uuid::Uuid;

use crate::analyzer::analyze;

/// Longest phrase offered, in words.
pub const PHRASE_WORDS: usize = 3;
/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 8;
/// Keys examined per lookup.
const SCAN: usize = 256;

/// What a suggestion completes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suggestion {
    /// A phrase of product names, with how many active products contain it.
    Phrase { text: String, count: u32 },
    /// A category by name.
    Category { id: Uuid, name: String },
}

#[derive(Debug, Clone)]
struct Entry {
    display: String,
    count: u32,
}

/// The completion structure.
#[derive(Debug, Default)]
pub struct Suggester {
    phrases: BTreeMap<String, Entry>,
    categories: BTreeMap<String, (Uuid, String)>,
}

/// Folded key and original text of every phrase of a name.
fn phrases(name: &str) -> Vec<(String, String)> {
    let mut groups: Vec<(String, usize, usize)> = Vec::new();
    for token in analyze(name) {
        match groups.get_mut(token.group) {
            Some(g) => {
                if token.joined {
                    g.0 = token.term;
                }
                g.2 = g.2.max(token.to);
            }
            None => groups.push((token.term, token.from, token.to)),
        }
    }
    let mut out = Vec::new();
    for start in 0..groups.len() {
        for end in start..groups.len().min(start + PHRASE_WORDS) {
            let key: Vec<&str> = groups[start..=end].iter().map(|g| g.0.as_str()).collect();
            let display = &name[groups[start].1..groups[end].2];
            out.push((key.join(" "), display.to_owned()));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The folded form of what the user typed; a trailing space is kept (a finished word).
fn fold_prefix(prefix: &str) -> String {
    let mut key = crate::analyzer::query_forms(prefix).join(" ");
    if prefix.ends_with(char::is_whitespace) && !key.is_empty() {
        key.push(' ');
    }
    key
}

impl Suggester {
    /// Counts an active product's name.
    pub fn add_name(&mut self, name: &str) {
        for (key, display) in phrases(name) {
            self.phrases
                .entry(key)
                .or_insert(Entry { display, count: 0 })
                .count += 1;
        }
    }

    /// Forgets an active product's name (it changed or the product left).
    pub fn remove_name(&mut self, name: &str) {
        for (key, _) in phrases(name) {
            if let Some(entry) = self.phrases.get_mut(&key) {
                entry.count = entry.count.saturating_sub(1);
                if entry.count == 0 {
                    self.phrases.remove(&key);
                }
            }
        }
    }

    /// Replaces the category names offered.
    pub fn set_categories(&mut self, names: &HashMap<Uuid, String>) {
        self.categories = names
            .iter()
            .map(|(id, name)| (fold_prefix(name), (*id, name.clone())))
            .collect();
    }

    /// Up to `limit` (at most [`MAX_SUGGESTIONS`]) completions of `prefix`: categories first,
    /// then phrases by product count, shorter first on ties.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Suggestion> {
        let limit = limit.min(MAX_SUGGESTIONS);
        let key = fold_prefix(prefix);
        if key.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut out: Vec<Suggestion> = self
            .categories
            .range(key.clone()..)
            .take_while(|(k, _)| k.starts_with(&key))
            .take(limit)
            .map(|(_, (id, name))| Suggestion::Category {
                id: *id,
                name: name.clone(),
            })
            .collect();
        let mut phrases: Vec<(&String, &Entry)> = self
            .phrases
            .range(key.clone()..)
            .take_while(|(k, _)| k.starts_with(&key))
            .take(SCAN)
            .collect();
        phrases.sort_by(|a, b| {
            (std::cmp::Reverse(a.1.count), a.0.len(), a.0).cmp(&(
                std::cmp::Reverse(b.1.count),
                b.0.len(),
                b.0,
            ))
        });
        let room = limit - out.len();
        out.extend(
            phrases
                .into_iter()
                .take(room)
                .map(|(_, e)| Suggestion::Phrase {
                    text: e.display.clone(),
                    count: e.count,
                }),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &[Suggestion]) -> Vec<String> {
        s.iter()
            .map(|s| match s {
                Suggestion::Phrase { text, .. } => text.clone(),
                Suggestion::Category { name, .. } => name.clone(),
            })
            .collect()
    }

    #[test]
    fn phrases_complete_from_any_word_and_leave_with_the_product() {
        let mut s = Suggester::default();
        s.add_name("Sepatu Lari Pria");
        s.add_name("Sepatu Lari Wanita");
        s.add_name("Sepatu Sekolah");
        assert_eq!(texts(&s.suggest("sepatu la", 8))[0], "Sepatu Lari");
        assert!(texts(&s.suggest("lar", 8)).contains(&"Lari Pria".to_owned()));
        s.remove_name("Sepatu Sekolah");
        assert!(s.suggest("seko", 8).is_empty());
    }

    #[test]
    fn categories_come_first() {
        let mut s = Suggester::default();
        s.add_name("Sepatu Lari");
        let id = Uuid::from_u128(7);
        s.set_categories(&HashMap::from([(id, "Sepatu Pria".to_owned())]));
        assert_eq!(texts(&s.suggest("Sepatu", 2)), ["Sepatu Pria", "Sepatu"]);
    }
}
