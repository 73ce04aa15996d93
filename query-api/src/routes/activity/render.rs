//! One event of the export as the user sees it: JSON objects or CSV records. Secrets are
//! redacted exactly as for the NATS publisher (credential hashes, Snap tokens and payment
//! pages, checkout keys, every `Sensitive` value), and CSV cells cannot be taken for formulas.

use chrono::{DateTime, Utc};
use pasar_projector::publisher::redact;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// The CSV header, one column per [`Entry`] field.
pub const CSV_HEADER: [&str; 7] = [
    "position",
    "recorded_at",
    "stream",
    "event_type",
    "actor",
    "actor_id",
    "data",
];

/// One event of the user's activity.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// The event's place in the log (a consistency token).
    #[schema(example = "812-40")]
    pub position: String,
    pub recorded_at: DateTime<Utc>,
    /// The stream it belongs to (`customer-…`, `order-…`, `product-…`).
    #[schema(example = "order-0193a7c2-…")]
    pub stream: String,
    #[serde(rename = "type")]
    #[schema(example = "OrderPlaced")]
    pub event_type: String,
    /// `you`, `admin`, `seller`, `buyer` (another user) or `system` (Midtrans, processes).
    #[schema(example = "you")]
    pub actor: &'static str,
    pub actor_id: Option<Uuid>,
    /// The event's fields, secrets redacted.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl Entry {
    /// An event read from the log: `actor_role` is the role of whoever caused it (if anyone).
    pub fn new(user: Uuid, raw: RawEvent) -> Entry {
        let actor = match (raw.actor_id, raw.actor_role.as_deref()) {
            (Some(id), _) if id == user => "you",
            (Some(_), Some("admin")) => "admin",
            (Some(_), Some("seller")) => "seller",
            (Some(_), Some("buyer")) => "buyer",
            _ => "system",
        };
        let mut data = raw.data;
        redact(&mut data);
        Entry {
            position: raw.position,
            recorded_at: raw.recorded_at,
            stream: raw.stream,
            event_type: raw.event_type,
            actor,
            actor_id: raw.actor_id,
            data,
        }
    }

    /// The entry's CSV cells, in [`CSV_HEADER`] order, each defused.
    pub fn csv_record(&self) -> [String; 7] {
        [
            self.position.clone(),
            self.recorded_at.to_rfc3339(),
            self.stream.clone(),
            self.event_type.clone(),
            self.actor.to_owned(),
            self.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            self.data.to_string(),
        ]
        .map(defuse)
    }
}

/// An event as read from the log, before it is shown.
pub struct RawEvent {
    pub position: String,
    pub recorded_at: DateTime<Utc>,
    pub stream: String,
    pub event_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub data: Value,
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and the tab and carriage
/// return that some treat alike) gets a leading `'`, as OWASP advises for CSV injection.
pub fn defuse(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// `records` as CSV lines (RFC 4180: quoted where needed, `""` inside quotes, CRLF).
pub fn csv_lines<I, R>(records: I) -> Result<Vec<u8>, csv::Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_others_kept() {
        assert_eq!(defuse("=1+1".into()), "'=1+1");
        assert_eq!(defuse("+62812".into()), "'+62812");
        assert_eq!(defuse("-5".into()), "'-5");
        assert_eq!(defuse("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(defuse("Kopi = enak".into()), "Kopi = enak");
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        let lines = csv_lines([["a,b", "say \"hi\"", "two\nlines", "plain"]]).unwrap();
        assert_eq!(
            String::from_utf8(lines).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\r\n"
        );
    }

    #[test]
    fn secrets_never_reach_an_entry() {
        let raw = RawEvent {
            position: "1-1".into(),
            recorded_at: Utc::now(),
            stream: "customer-x".into(),
            event_type: "CustomerRegistered".into(),
            actor_id: None,
            actor_role: None,
            data: serde_json::json!({
                "password_hash": "$argon2id$secret",
                "nested": { "token_hash": "abc", "snap": { "$sensitive": "snap-token" } },
            }),
        };
        let shown = Entry::new(Uuid::nil(), raw).data.to_string();
        assert!(!shown.contains("argon2id"), "{shown}");
        assert!(!shown.contains("abc"), "{shown}");
        assert!(!shown.contains("snap-token"), "{shown}");
    }
}
