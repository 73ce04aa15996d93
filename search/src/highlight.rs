//! Highlights: which parts of a name or description matched, as plain character offsets.
//!
//! The stored text is analysed again and every token whose term some query word matched is
//! marked. Names are returned whole; descriptions as a snippet of about
//! [`SNIPPET_CHARS`] characters around the first match, with `…` where cut.

use std::collections::HashSet;

use crate::analyzer::analyze;
use crate::request::{Highlight, Span};

/// Target length of a description snippet, in characters.
pub const SNIPPET_CHARS: usize = 160;

/// Matched byte ranges of `text`, merged where they overlap.
fn matched_bytes(text: &str, terms: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = analyze(text)
        .into_iter()
        .filter(|t| terms.contains(&t.term))
        .map(|t| (t.from, t.to))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (from, to) in ranges {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

/// The whole text with its matches.
pub fn highlight_whole(text: &str, terms: &HashSet<String>) -> Highlight {
    let matches = matched_bytes(text, terms)
        .into_iter()
        .map(|(from, to)| Span {
            start: char_offset(text, from),
            end: char_offset(text, to),
        })
        .collect();
    Highlight {
        text: text.to_owned(),
        matches,
    }
}

/// The byte index of the char boundary `chars` characters after `from` (or the end).
fn advance(text: &str, from: usize, chars: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| from + i)
}

/// A snippet of `text` around its first match (or its start when nothing matched).
pub fn highlight_snippet(text: &str, terms: &HashSet<String>) -> Highlight {
    if text.chars().count() <= SNIPPET_CHARS {
        return highlight_whole(text, terms);
    }
    let ranges = matched_bytes(text, terms);
    let first = ranges.first().map_or(0, |r| r.0);
    // Start a little before the first match, at a word boundary.
    let lead = char_offset(text, first).min(SNIPPET_CHARS / 4);
    let mut start = text[..first]
        .char_indices()
        .rev()
        .nth(lead.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if lead == 0 {
        start = first;
    }
    if let Some(space) = text[start..first].find(' ')
        && start > 0
    {
        start += space + 1;
    }
    let end = advance(text, start, SNIPPET_CHARS);
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let shift = prefix.chars().count();
    let matches = ranges
        .into_iter()
        .filter(|(from, to)| *from >= start && *to <= end)
        .map(|(from, to)| Span {
            start: char_offset(&text[start..], from - start) + shift,
            end: char_offset(&text[start..], to - start) + shift,
        })
        .collect();
    Highlight {
        text: format!("{prefix}{}{suffix}", &text[start..end]),
        matches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_name_is_marked_in_characters_not_bytes() {
        let h = highlight_whole("Kémeja Batik", &terms(&["batik", "kemeja"]));
        assert_eq!(
            h.matches,
            [Span { start: 0, end: 6 }, Span { start: 7, end: 12 }]
        );
    }

    #[test]
    fn a_long_description_is_cut_around_the_first_match() {
        let text = format!(
            "{} sepatu lari nyaman {}",
            "kata ".repeat(60),
            "lagi ".repeat(60)
        );
        let h = highlight_snippet(&text, &terms(&["lari"]));
        assert!(h.text.starts_with('…') && h.text.ends_with('…'));
        let span = h.matches[0];
        let marked: String = h
            .text
            .chars()
            .skip(span.start)
            .take(span.end - span.start)
            .collect();
        assert_eq!(marked, "lari");
    }
}
