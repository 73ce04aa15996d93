use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainEvent;

/// Events of `checkout-{id}`: the idempotency record of one `POST /v1/checkout`. The id is
/// derived from (customer, Idempotency-Key), so a retry finds its earlier answer here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CheckoutEvent {
    CheckoutStarted {
        checkout_id: Uuid,
        customer_id: Uuid,
        idempotency_key: String,
        /// SHA-256 of the request body; the same key with another body is refused.
        request_hash: String,
        started_at: DateTime<Utc>,
    },
    /// The answer given, replayed verbatim to retries with the same key.
    CheckoutAnswered {
        status: u16,
        body: serde_json::Value,
        consistency_token: Option<String>,
    },
}

impl DomainEvent for CheckoutEvent {}
