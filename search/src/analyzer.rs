//! Text analysis shared by indexing, querying, highlighting and suggestions.
//!
//! One function, [`analyze`], turns product text into terms:
//! - lowercase and accent folding (`Kémeja` → `kemeja`);
//! - words are runs of letters and digits; a hyphen between two words keeps them in one
//!   *group*: `kue-kue` (Indonesian reduplication) yields `kue` once, `t-shirt` yields `t`,
//!   `shirt` and the joined `tshirt`;
//! - a number with a unit, written together or apart (`128GB`, `128 gb`, `250g`, `250 gram`),
//!   yields the number, the unit and the joined canonical form (`128gb`, `250g`), so either
//!   spelling finds the other.
//!
//! A group is what a query treats as one word: its [`Token::joined`] form if it has one, else
//! its single term.

use tantivy::tokenizer::{Token as TantivyToken, TokenStream, Tokenizer};

/// One analysed term with the byte range of the original text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The folded term.
    pub term: String,
    /// Byte offset where the source text starts.
    pub from: usize,
    /// Byte offset where the source text ends.
    pub to: usize,
    /// Tokens of one query word share a group.
    pub group: usize,
    /// A form made by joining parts (`tshirt`, `128gb`): the group's query form.
    pub joined: bool,
}

/// Unit spellings and their canonical form.
const UNITS: &[(&str, &str)] = &[
    ("g", "g"),
    ("gr", "g"),
    ("gram", "g"),
    ("kg", "kg"),
    ("mg", "mg"),
    ("ml", "ml"),
    ("l", "l"),
    ("ltr", "l"),
    ("liter", "l"),
    ("litre", "l"),
    ("gb", "gb"),
    ("tb", "tb"),
    ("mb", "mb"),
    ("mah", "mah"),
    ("w", "w"),
    ("watt", "w"),
    ("v", "v"),
    ("inch", "inch"),
    ("in", "inch"),
    ("cm", "cm"),
    ("mm", "mm"),
    ("m", "m"),
    ("pcs", "pcs"),
    ("pc", "pcs"),
    ("hz", "hz"),
];

/// The canonical unit of a spelling, if it is one.
fn unit(word: &str) -> Option<&'static str> {
    UNITS.iter().find(|(s, _)| *s == word).map(|(_, c)| *c)
}

/// Lowercase and strip accents from one character.
fn fold_char(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        if lower.is_ascii() {
            out.push(lower);
            continue;
        }
        unicode_normalization::char::decompose_canonical(lower, |d| {
            if !unicode_normalization::char::is_combining_mark(d) {
                out.push(d);
            }
        });
    }
}

/// A word between separators, folded, with its source range.
struct Part {
    text: String,
    from: usize,
    to: usize,
}

/// Splits text into chunks (hyphen-joined words) of parts.
fn chunks(text: &str) -> Vec<Vec<Part>> {
    let mut out: Vec<Vec<Part>> = Vec::new();
    let mut current: Vec<Part> = Vec::new();
    let mut word: Option<Part> = None;
    let mut after_hyphen = false;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            let part = word.get_or_insert_with(|| Part {
                text: String::new(),
                from: i,
                to: i,
            });
            fold_char(c, &mut part.text);
            part.to = i + c.len_utf8();
            after_hyphen = false;
            continue;
        }
        if let Some(part) = word.take() {
            current.push(part);
        }
        if c == '-' && !current.is_empty() && !after_hyphen {
            after_hyphen = true;
            continue;
        }
        after_hyphen = false;
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if let Some(part) = word.take() {
        current.push(part);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Splits `128gb` into (`128`, `gb`) when the letters are a unit.
fn number_unit(word: &str) -> Option<(&str, &'static str)> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == word.len() {
        return None;
    }
    unit(&word[digits..]).map(|u| (&word[..digits], u))
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Emits the tokens of one part (a word without hyphens).
fn emit_part(part: &Part, group: usize, out: &mut Vec<Token>) {
    let token = |term: &str, joined| Token {
        term: term.to_owned(),
        from: part.from,
        to: part.to,
        group,
        joined,
    };
    match number_unit(&part.text) {
        Some((number, canonical)) => {
            out.push(token(number, false));
            out.push(token(canonical, false));
            out.push(token(&format!("{number}{canonical}"), true));
        }
        None => out.push(token(&part.text, false)),
    }
}

/// Emits the tokens of a chunk; returns whether it was a lone number (for `128 gb`).
fn emit_chunk(chunk: &[Part], group: usize, out: &mut Vec<Token>) {
    let first = &chunk[0].text;
    if chunk.iter().all(|p| &p.text == first) {
        // Reduplication (`kue-kue`, `anak-anak`): the word once.
        emit_part(&chunk[0], group, out);
        return;
    }
    let mut joined = String::new();
    for part in chunk {
        emit_part(part, group, out);
        joined.push_str(&part.text);
    }
    out.push(Token {
        term: joined,
        from: chunk[0].from,
        to: chunk[chunk.len() - 1].to,
        group,
        joined: true,
    });
}

/// Analyses product or query text; see the module doc for the rules.
pub fn analyze(text: &str) -> Vec<Token> {
    let chunks = chunks(text);
    let mut out = Vec::new();
    let mut group = 0;
    let mut i = 0;
    while i < chunks.len() {
        let chunk = &chunks[i];
        let next_unit = chunks
            .get(i + 1)
            .filter(|next| next.len() == 1)
            .and_then(|next| unit(&next[0].text).map(|u| (&next[0], u)));
        if let (true, Some((unit_part, canonical))) =
            (chunk.len() == 1 && is_number(&chunk[0].text), next_unit)
        {
            let number = &chunk[0];
            emit_part(number, group, &mut out);
            emit_part(unit_part, group, &mut out);
            out.push(Token {
                term: format!("{}{canonical}", number.text),
                from: number.from,
                to: unit_part.to,
                group,
                joined: true,
            });
            i += 2;
        } else {
            emit_chunk(chunk, group, &mut out);
            i += 1;
        }
        group += 1;
    }
    out
}

/// The form a query uses for each group: the joined token if any, else the single term.
pub fn query_forms(text: &str) -> Vec<String> {
    let tokens = analyze(text);
    let mut forms: Vec<String> = Vec::new();
    let mut last_group = usize::MAX;
    for token in &tokens {
        if token.group != last_group {
            forms.push(token.term.clone());
            last_group = token.group;
        } else if token.joined
            && let Some(last) = forms.last_mut()
        {
            last.clone_from(&token.term);
        }
    }
    forms
}

/// [`analyze`] as a tantivy tokenizer, registered under [`TOKENIZER_NAME`].
#[derive(Debug, Clone, Default)]
pub struct PasarTokenizer;

/// The name the schema's text fields use for [`PasarTokenizer`].
pub const TOKENIZER_NAME: &str = "pasar";

/// The tokens of one text, replayed to tantivy.
pub struct PasarTokenStream {
    tokens: Vec<TantivyToken>,
    next: usize,
}

impl Tokenizer for PasarTokenizer {
    type TokenStream<'a> = PasarTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PasarTokenStream {
        let tokens = analyze(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| TantivyToken {
                offset_from: t.from,
                offset_to: t.to,
                position,
                text: t.term,
                position_length: 1,
            })
            .collect();
        PasarTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for PasarTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &TantivyToken {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut TantivyToken {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyze(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn case_and_accents_are_folded() {
        assert_eq!(terms("Kémeja BATIK Café"), ["kemeja", "batik", "cafe"]);
    }

    #[test]
    fn units_written_together_or_apart_share_a_joined_term() {
        assert_eq!(terms("128GB"), ["128", "gb", "128gb"]);
        assert_eq!(terms("128 gb"), ["128", "gb", "128gb"]);
        assert_eq!(terms("250 gram"), ["250", "gram", "250g"]);
        assert_eq!(query_forms("Kopi 250 gr"), ["kopi", "250g"]);
        assert_eq!(query_forms("kopi 250g"), ["kopi", "250g"]);
    }

    #[test]
    fn reduplication_is_the_word_once_and_compounds_also_join() {
        assert_eq!(terms("kue-kue lebaran"), ["kue", "lebaran"]);
        assert_eq!(terms("t-shirt"), ["t", "shirt", "tshirt"]);
        assert_eq!(query_forms("kaos t-shirt"), ["kaos", "tshirt"]);
    }

    #[test]
    fn query_syntax_characters_are_separators() {
        assert_eq!(
            query_forms("\"sepatu\" :lari* (pria) ~x -"),
            ["sepatu", "lari", "pria", "x"]
        );
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let text = "Sepatu Kéren";
        let t = &analyze(text)[1];
        assert_eq!(&text[t.from..t.to], "Kéren");
    }
}
