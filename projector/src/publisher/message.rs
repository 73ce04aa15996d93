//! What one event looks like on JetStream: subject, headers and JSON body, with secrets
//! redacted. Pure functions; the wire contract is documented in the README ("Integration
//! events (NATS JetStream)").

use async_nats::HeaderMap;
use async_nats::header::NATS_MESSAGE_ID;
use pasar_events::types::{SENSITIVE_KEY, is_sensitive};
use pasar_events::{Metadata, Position, RecordedEvent};
use serde_json::{Value, json};

use crate::announce::CHECKPOINT_SUBJECT_PREFIX;

/// The log position of the event (`<txid>-<global>`); reconciliation reads it back.
pub const POSITION_HEADER: &str = "Pasar-Position";
pub const EVENT_TYPE_HEADER: &str = "Pasar-Event-Type";
pub const SCHEMA_VERSION_HEADER: &str = "Pasar-Schema-Version";
pub const STREAM_HEADER: &str = "Pasar-Stream";
pub const STREAM_VERSION_HEADER: &str = "Pasar-Stream-Version";

/// Secrets are redacted by type first: every [`pasar_events::types::Sensitive`] value (its
/// stored form is marked, see [`is_sensitive`]) keeps its marker and loses its content, at any
/// depth, so a new secret needs no entry here. This list covers the fields of events written
/// before that type existed, whose values are plain strings; their key stays, so consumers
/// decoding with the shared event types still can.
/// - `password_hash` (`CustomerRegistered`), `token_hash` (`SessionStarted`,
///   `SessionRefreshed`): credential hashes, useful to an offline guessing attack.
/// - `snap_token`, `redirect_url` (`PaymentInitiated`, v1 `CheckoutAnswered`): a Midtrans Snap
///   token opens the buyer's payment page; the redirect URL carries the same token.
/// - `idempotency_key` (`CheckoutStarted`): the buyer's retry key for a checkout.
pub const REDACTED_FIELDS: &[&str] = &[
    "password_hash",
    "token_hash",
    "snap_token",
    "redirect_url",
    "idempotency_key",
];

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// One event, ready for `send_publish`.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: String,
    pub headers: HeaderMap,
    pub payload: Vec<u8>,
}

/// Builds the message for `event` under `prefix` (`pasar` by default).
pub fn outgoing(prefix: &str, event: &RecordedEvent) -> Outgoing {
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, event.event_id.to_string());
    headers.insert(POSITION_HEADER, event.position.to_string());
    headers.insert(EVENT_TYPE_HEADER, event.event_type.as_str());
    headers.insert(SCHEMA_VERSION_HEADER, event.schema_version.to_string());
    headers.insert(STREAM_HEADER, event.stream.as_str());
    headers.insert(STREAM_VERSION_HEADER, event.stream_version.to_string());
    headers.insert("Content-Type", "application/json");
    Outgoing {
        subject: subject(prefix, event.category(), &event.event_type),
        headers,
        payload: body(event).to_string().into_bytes(),
    }
}

/// `<prefix>.<category>.<event_type>`, each part made a valid subject token.
pub fn subject(prefix: &str, category: &str, event_type: &str) -> String {
    format!(
        "{}.{}",
        category_subject(prefix, category),
        token(event_type)
    )
}

/// `<prefix>.<category>`: the subjects of one category are this plus `.*`.
pub fn category_subject(prefix: &str, category: &str) -> String {
    let subject = format!("{prefix}.{}", token(category));
    // The projector's checkpoint announcements are core NATS messages under
    // `pasar.checkpoints.*`; a stream capturing that subject would store every announcement.
    if subject == CHECKPOINT_SUBJECT_PREFIX {
        return format!("{subject}_");
    }
    subject
}

/// A subject token: no separators, wildcards or whitespace (they would change its meaning).
fn token(raw: &str) -> String {
    let token: String = raw
        .chars()
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() || c.is_control() => '_',
            c => c,
        })
        .collect();
    if token.is_empty() { "_".into() } else { token }
}

/// The JSON body: the recorded event with secrets redacted (see [`REDACTED_FIELDS`]).
pub fn body(event: &RecordedEvent) -> Value {
    let mut data = event.data.clone();
    redact(&mut data);
    // Correlation, causation and actor travel; the idempotency key is the client's own.
    let metadata = Metadata {
        idempotency_key: None,
        ..event.metadata.clone()
    };
    json!({
        "event_id": event.event_id,
        "stream": event.stream,
        "stream_version": event.stream_version,
        "position": event.position.to_string(),
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "data": data,
        "metadata": metadata,
        "recorded_at": event.recorded_at,
    })
}

/// Replaces the content of every sensitive value and the value of every [`REDACTED_FIELDS`]
/// key, at any depth.
pub fn redact(value: &mut Value) {
    if is_sensitive(value) {
        *value = json!({ SENSITIVE_KEY: REDACTED });
        return;
    }
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if REDACTED_FIELDS.contains(&key.as_str()) {
                    *field = Value::String(REDACTED.into());
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The position a stored message names in its [`POSITION_HEADER`].
pub fn position_of(headers: &HeaderMap) -> Option<Position> {
    headers.get(POSITION_HEADER)?.as_str().parse().ok()
}

/// The event id a stored message carries as `Nats-Msg-Id`.
pub fn event_id_of(headers: &HeaderMap) -> Option<uuid::Uuid> {
    headers.get(NATS_MESSAGE_ID)?.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn recorded(stream: &str, event_type: &str, data: Value) -> RecordedEvent {
        RecordedEvent {
            event_id: Uuid::new_v4(),
            stream: stream.into(),
            stream_version: 3,
            position: Position {
                txid: 77,
                global: 12,
            },
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: Metadata {
                correlation_id: Some(Uuid::new_v4()),
                idempotency_key: Some("buyer-key-1".into()),
                ..Metadata::default()
            },
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn the_subject_is_prefix_category_and_event_type() {
        let event = recorded(
            &format!("order-{}", Uuid::new_v4()),
            "OrderPlaced",
            json!({}),
        );
        assert_eq!(outgoing("pasar", &event).subject, "pasar.order.OrderPlaced");
    }

    #[test]
    fn subject_tokens_lose_separators_and_wildcards() {
        assert_eq!(subject("pasar", "a.b", "X>*Y Z"), "pasar.a_b.X__Y_Z");
        assert_eq!(subject("pasar", "", ""), "pasar._._");
    }

    #[test]
    fn no_category_lands_on_the_checkpoint_announcements() {
        assert_eq!(
            subject("pasar", "checkpoints", "Ticked"),
            "pasar.checkpoints_.Ticked"
        );
        assert_eq!(
            subject("other", "checkpoints", "Ticked"),
            "other.checkpoints.Ticked"
        );
    }

    #[test]
    fn credential_hashes_and_payment_tokens_are_redacted_at_any_depth() {
        let event = recorded(
            "customer-1",
            "CustomerRegistered",
            json!({
                "email": "a@b.test",
                "password_hash": "$argon2id$v=19$secret",
                "sessions": [{ "token_hash": "sha256-of-the-refresh-token" }],
                "answer": { "payment": {
                    "snap_token": "snap-token-66f1",
                    "redirect_url": "https://pay.example/snap-token-66f1",
                } },
            }),
        );
        let secrets = [
            "$argon2id$v=19$secret",
            "sha256-of-the-refresh-token",
            "snap-token-66f1",
        ];
        let body = body(&event);
        assert_eq!(body["data"]["email"], "a@b.test");
        assert_eq!(body["data"]["password_hash"], REDACTED);
        assert_eq!(body["data"]["sessions"][0]["token_hash"], REDACTED);
        assert_eq!(body["data"]["answer"]["payment"]["snap_token"], REDACTED);
        assert_eq!(body["data"]["answer"]["payment"]["redirect_url"], REDACTED);
        let (input, output) = (event.data.to_string(), body.to_string());
        for secret in secrets {
            assert!(input.contains(secret), "the input carries {secret}");
            assert!(!output.contains(secret), "{secret} leaked into {output}");
        }
    }

    #[test]
    fn sensitive_values_are_redacted_by_type_whatever_their_field_is_called() {
        let token = pasar_events::types::Sensitive::new("snap-secret-token".to_owned());
        let event = recorded(
            "checkout-1",
            "CheckoutAnswered",
            json!({ "outcome": { "payment": { "some_new_secret": token, "gross": 5 } } }),
        );
        let body = body(&event);
        let payment = &body["data"]["outcome"]["payment"];
        assert_eq!(
            payment["some_new_secret"],
            json!({ SENSITIVE_KEY: REDACTED })
        );
        assert_eq!(payment["gross"], 5);
        assert!(
            event.data.to_string().contains("snap-secret-token"),
            "the input holds the secret"
        );
        assert!(!body.to_string().contains("snap-secret-token"), "{body}");
    }

    #[test]
    fn the_body_carries_the_envelope_and_metadata_without_the_idempotency_key() {
        let event = recorded("cart-1", "ItemAdded", json!({ "quantity": 2 }));
        let body = body(&event);
        assert_eq!(body["event_id"], event.event_id.to_string());
        assert_eq!(body["stream"], "cart-1");
        assert_eq!(body["stream_version"], 3);
        assert_eq!(body["position"], "77-12");
        assert_eq!(body["event_type"], "ItemAdded");
        assert_eq!(body["schema_version"], 1);
        assert_eq!(body["data"]["quantity"], 2);
        assert_eq!(
            body["metadata"]["correlation_id"],
            event.metadata.correlation_id.unwrap().to_string()
        );
        assert!(body["metadata"].get("idempotency_key").is_none(), "{body}");
        assert!(body["recorded_at"].is_string());
    }

    #[test]
    fn headers_name_the_event_and_read_back() {
        let event = recorded("cart-1", "ItemAdded", json!({}));
        let message = outgoing("pasar", &event);
        assert_eq!(event_id_of(&message.headers), Some(event.event_id));
        assert_eq!(position_of(&message.headers), Some(event.position));
        assert_eq!(
            message.headers.get(EVENT_TYPE_HEADER).unwrap().as_str(),
            "ItemAdded"
        );
        assert_eq!(
            message.headers.get(SCHEMA_VERSION_HEADER).unwrap().as_str(),
            "1"
        );
    }
}
