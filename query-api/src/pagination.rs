//! Keyset pagination: `limit` and an opaque `cursor` naming the last row served.
//!
//! A cursor is base64url JSON of the sort key of the last item, tagged with its kind, so a
//! cursor from one ordering is refused (400) by another instead of silently skipping rows.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// The sort key of the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Cursor {
    /// Rows ordered by the log position of their first event (newest first).
    Position { txid: i64, global: i64 },
    /// Rows ordered by price, ties broken by id.
    Price { price: i64, id: Uuid },
    /// Lines of an import's report, by line number.
    Line { line: i32 },
    /// Products best rated first: the rating sort key and count, ties broken by id.
    Rating { key: i64, count: i64, id: Uuid },
    /// Rows ordered by a time (microseconds since the epoch), ties broken by id.
    Time { at: i64, id: Uuid },
    /// Reviews by helpful votes, then time (microseconds), then id.
    Helpful { helpful: i64, at: i64, id: Uuid },
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising a plain enum of integers and a uuid cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Result<Self, ApiError> {
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| ApiError::BadRequest("cursor is not one this API issued".into()))
    }
}

/// A time as a cursor's microseconds (PostgreSQL keeps no finer).
pub fn micros(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_micros()
}

/// A cursor's microseconds as a time; 400 when out of range.
pub fn from_micros(at: i64) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::from_timestamp_micros(at)
        .ok_or_else(|| ApiError::BadRequest("cursor is not one this API issued".into()))
}

/// Validates `limit` (1..=100, default 20).
pub fn limit(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// A page of items and the cursor of the next one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `LIMIT limit + 1`: an extra row means there is a next page,
    /// which starts after the last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Cursor) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| key(last).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = Cursor::Price {
            price: 10,
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("not-a-cursor").is_err());
    }

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        assert_eq!(limit(None).unwrap(), 20);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
