//! Query-time synonyms: groups of words that find each other.
//!
//! Applied when a query is planned, never when indexing, so operators can change the list
//! without a rebuild. The text format is one group per line, members separated by `,` (or
//! `↔`/`<->`), `#` starting a comment: `hp, handphone`. Each member must analyse to one query
//! word (`t-shirt` is one word: its joined form `tshirt`).

use std::collections::HashMap;
use std::path::Path;

/// The list the crate ships with.
pub const DEFAULT_SYNONYMS: &str = include_str!("default_synonyms.txt");

/// A synonym list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SynonymError {
    /// Line `line` has a member that is not exactly one word after analysis.
    #[error("synonyms line {line}: `{member}` is not one word")]
    NotOneWord { line: usize, member: String },
    /// The file could not be read.
    #[error("reading synonyms file: {0}")]
    Io(#[from] std::io::Error),
}

/// Word → the other members of its groups, all as analysed query forms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synonyms {
    map: HashMap<String, Vec<String>>,
}

impl Synonyms {
    /// The crate's default list.
    pub fn default_list() -> Synonyms {
        Synonyms::parse(DEFAULT_SYNONYMS).expect("invariant: the default synonym list parses")
    }

    /// Parses the text format described in the module doc.
    pub fn parse(text: &str) -> Result<Synonyms, SynonymError> {
        let mut synonyms = Synonyms::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            let line = line.replace("<->", ",").replace('↔', ",");
            let mut group = Vec::new();
            for member in line.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                let forms = crate::analyzer::query_forms(member);
                let [form] = forms.as_slice() else {
                    return Err(SynonymError::NotOneWord {
                        line: index + 1,
                        member: member.to_owned(),
                    });
                };
                group.push(form.clone());
            }
            synonyms.add_group(&group);
        }
        Ok(synonyms)
    }

    /// Reads and parses a file in the text format.
    pub fn load(path: &Path) -> Result<Synonyms, SynonymError> {
        Synonyms::parse(&std::fs::read_to_string(path)?)
    }

    fn add_group(&mut self, group: &[String]) {
        for word in group {
            let others = self.map.entry(word.clone()).or_default();
            for other in group {
                if other != word && !others.contains(other) {
                    others.push(other.clone());
                }
            }
        }
    }

    /// The other words `word` (an analysed query form) stands for.
    pub fn of(&self, word: &str) -> &[String] {
        self.map.get(word).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_symmetric_and_analysed() {
        let s = Synonyms::parse("HP ↔ Handphone\nkaos, t-shirt # shirts\n").unwrap();
        assert_eq!(s.of("hp"), ["handphone"]);
        assert_eq!(s.of("handphone"), ["hp"]);
        assert_eq!(s.of("tshirt"), ["kaos"]);
        assert!(s.of("sepatu").is_empty());
    }

    #[test]
    fn a_member_of_two_words_is_rejected() {
        let err = Synonyms::parse("hp, telepon genggam").unwrap_err();
        assert!(matches!(err, SynonymError::NotOneWord { line: 1, .. }));
    }

    #[test]
    fn the_default_list_parses() {
        assert!(
            Synonyms::default_list()
                .of("hp")
                .contains(&"handphone".to_owned())
        );
    }
}
