//! Tests of the search crate over a fixture catalog.

mod fixtures;
mod index;
mod relevance;
