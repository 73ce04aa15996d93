//! What `checkout-{id}` says so far.

use chrono::{DateTime, Utc};
use pasar_events::types::{CheckoutEvent, CheckoutOutcome, PlannedOrder};
use pasar_events::{DomainEvent, EventStore};
use uuid::Uuid;

use crate::app::AppError;

/// One attempt's plan: the payment id and the orders it reserves for.
#[derive(Debug, Clone)]
pub struct Plan {
    pub attempt: u32,
    pub payment_id: Uuid,
    pub orders: Vec<PlannedOrder>,
}

#[derive(Debug, Default)]
pub struct Record {
    pub version: i64,
    pub request_hash: Option<String>,
    /// When the newest attempt took the checkout.
    pub last_claim_at: Option<DateTime<Utc>>,
    /// The newest attempt's number (0 before the first).
    pub attempt: u32,
    /// Whether the newest attempt gave up and gave everything back.
    pub abandoned: bool,
    pub plans: Vec<Plan>,
    pub answer: Option<CheckoutOutcome>,
}

impl Record {
    pub async fn read(store: &dyn EventStore, stream: &str) -> Result<Record, AppError> {
        let mut record = Record::default();
        for event in store.read_stream(stream, 1).await? {
            record.version = event.stream_version;
            match CheckoutEvent::decode(&event).map_err(anyhow::Error::from)? {
                CheckoutEvent::CheckoutStarted {
                    request_hash,
                    started_at,
                    ..
                } => {
                    record.request_hash = Some(request_hash);
                    record.last_claim_at = Some(started_at);
                    record.attempt = 1;
                }
                CheckoutEvent::CheckoutResumed {
                    attempt,
                    resumed_at,
                } => {
                    record.last_claim_at = Some(resumed_at);
                    record.attempt = attempt;
                    record.abandoned = false;
                }
                CheckoutEvent::CheckoutPlanned {
                    attempt,
                    payment_id,
                    orders,
                } => record.plans.push(Plan {
                    attempt,
                    payment_id,
                    orders,
                }),
                CheckoutEvent::CheckoutAttemptAbandoned { attempt } => {
                    record.abandoned = attempt == record.attempt;
                    record.plans.retain(|p| p.attempt != attempt);
                }
                CheckoutEvent::CheckoutAnswered { outcome } => record.answer = Some(outcome),
            }
        }
        Ok(record)
    }

    /// Plans of attempts that died without answering or compensating.
    pub fn unfinished_plans(&self) -> Vec<Plan> {
        self.plans.clone()
    }
}
