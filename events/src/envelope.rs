//! Stored form of events: the envelope around a typed event's JSON payload.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A point in the global log. Events are delivered in `(txid, global)` order: the id of the
/// writing transaction first, then the sequence number drawn inside it. Readers only see
/// transactions below the oldest still-running one, so a late commit can never appear behind a
/// reader's checkpoint (see `reference/event-store.md`, "transaction-id horizon").
/// Backends without transactions (memory) use `txid = 0`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Position {
    pub txid: u64,
    pub global: i64,
}

impl Position {
    /// Before the first event.
    pub const START: Position = Position { txid: 0, global: 0 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.txid, self.global)
    }
}

/// Error parsing a [`Position`] (for example from a consistency token).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not a log position: expected <txid>-<global>")]
pub struct PositionParseError;

impl FromStr for Position {
    type Err = PositionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (txid, global) = s.split_once('-').ok_or(PositionParseError)?;
        Ok(Position {
            txid: txid.parse().map_err(|_| PositionParseError)?,
            global: global.parse().map_err(|_| PositionParseError)?,
        })
    }
}

/// Who and what caused an event. Stored beside the payload, never inside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// An event ready to append. The id is chosen by the caller so that a retried append (or a
/// reactor replaying its input) is recognised and stored once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub data: serde_json::Value,
    pub metadata: Metadata,
}

/// An event as stored in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream: String,
    /// 1 for the first event of a stream.
    pub stream_version: i64,
    pub position: Position,
    pub event_type: String,
    pub schema_version: i32,
    pub data: serde_json::Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// The category of the stream: `order` for `order-…`.
    pub fn category(&self) -> &str {
        category_of(&self.stream)
    }
}

/// The part of a stream name before the first `-`.
pub fn category_of(stream: &str) -> &str {
    stream.split_once('-').map_or(stream, |(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_transaction_then_sequence() {
        let a = Position { txid: 5, global: 9 };
        let b = Position { txid: 6, global: 3 };
        assert!(a < b);
    }

    #[test]
    fn a_position_round_trips_through_its_text_form() {
        let p = Position {
            txid: 77,
            global: 12,
        };
        assert_eq!(p.to_string().parse::<Position>(), Ok(p));
        assert!("nonsense".parse::<Position>().is_err());
    }
}
