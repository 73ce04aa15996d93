//! `payments`: `rm.payments` from payment streams. Replay-safe.
//!
//! `rm.orders.payment_status` is kept in step by the `orders` projection (see its module doc),
//! using the same status mapping as here: [`payment_status`].

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{PaymentEvent, PaymentFailure};
use uuid::Uuid;

use super::{Projection, Write, currency, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "payments";

pub struct Payments;

/// The read-model status a payment event leads to; `None` for events that change no status
/// (a notification is recorded for audit; its mapped event follows it).
pub(crate) fn payment_status(event: &PaymentEvent) -> Option<&'static str> {
    match event {
        PaymentEvent::PaymentInitiated { .. } => Some("initiated"),
        PaymentEvent::PaymentNotificationReceived { .. } => None,
        PaymentEvent::PaymentPending { .. } => Some("pending"),
        PaymentEvent::PaymentSettled { .. } => Some("settled"),
        PaymentEvent::PaymentFailed { .. } => Some("failed"),
        PaymentEvent::PaymentAmountMismatched { .. } => Some("amount_mismatch"),
        PaymentEvent::PaymentReversed { .. } => Some("reversed"),
        // The refund of a late settlement keeps the row `settled` until the read model gets a
        // column for it (its CHECK allows no new status yet); `pasar_refunds_owed` counts the
        // owed ones meanwhile.
        PaymentEvent::PaymentRefundRequired { .. }
        | PaymentEvent::PaymentRefunded { .. }
        | PaymentEvent::PaymentRefundOwed { .. } => None,
    }
}

fn failure_text(failure: PaymentFailure) -> &'static str {
    match failure {
        PaymentFailure::Denied => "denied",
        PaymentFailure::Cancelled => "cancelled",
        PaymentFailure::Expired => "expired",
        PaymentFailure::Failed => "failed",
    }
}

#[async_trait]
impl Projection for Payments {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Payment]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Payment) {
            return Ok(());
        }
        let payment: PaymentEvent = decode(event)?;
        let id = stream_uuid(event)?;
        let version = event.stream_version;
        let status = payment_status(&payment);
        out.push(match payment {
            initiated @ PaymentEvent::PaymentInitiated { .. } => {
                initiated_write(event, id, initiated)?
            }
            PaymentEvent::PaymentSettled {
                transaction_id,
                payment_type,
                settled_at,
                ..
            } => stmt!(
                "UPDATE payments SET status = 'settled', transaction_id = $2,
                     payment_type = COALESCE($3, payment_type), settled_at = $4, updated_at = $4,
                     stream_version = $5
                 WHERE id = $1 AND stream_version < $5",
                id,
                transaction_id,
                payment_type,
                settled_at,
                version,
            ),
            PaymentEvent::PaymentFailed {
                transaction_id,
                failure,
            } => update(
                event,
                status,
                transaction_id,
                None,
                Some(failure_text(failure)),
            )?,
            PaymentEvent::PaymentPending {
                transaction_id,
                payment_type,
            } => update(event, status, Some(transaction_id), payment_type, None)?,
            PaymentEvent::PaymentNotificationReceived {
                transaction_id,
                payment_type,
                ..
            } => update(event, status, Some(transaction_id), payment_type, None)?,
            PaymentEvent::PaymentAmountMismatched { transaction_id, .. }
            | PaymentEvent::PaymentReversed { transaction_id } => {
                update(event, status, Some(transaction_id), None, None)?
            }
            PaymentEvent::PaymentRefundRequired { .. }
            | PaymentEvent::PaymentRefunded { .. }
            | PaymentEvent::PaymentRefundOwed { .. } => update(event, status, None, None, None)?,
        });
        Ok(())
    }
}

/// The row a payment starts with (the first event of its stream: an existing row means it
/// was applied).
fn initiated_write(
    event: &RecordedEvent,
    id: Uuid,
    initiated: PaymentEvent,
) -> Result<Write, ProjectorError> {
    Ok(match initiated {
        PaymentEvent::PaymentInitiated {
            payment_id: _,
            checkout_id,
            buyer_id,
            order_ids,
            gross_amount,
            snap_token,
            redirect_url,
            initiated_at,
        } => stmt!(
            "INSERT INTO payments (id, checkout_id, buyer_id, order_ids, gross_amount, currency, status,
                 snap_token, redirect_url, initiated_at, updated_at, stream_version)
             VALUES ($1, $2, $3, $4, $5, $6, 'initiated', $7, $8, $9, $9, $10)
             ON CONFLICT (id) DO NOTHING",
            id,
            checkout_id,
            buyer_id,
            order_ids,
            gross_amount.amount,
            currency(gross_amount),
            snap_token,
            redirect_url,
            initiated_at,
            event.stream_version,
        ),
        other => {
            return Err(ProjectorError::undecodable(
                event,
                format!("not a payment's first event: {other:?}"),
            ));
        }
    })
}

/// Moves the row to `status` (kept when `None`), filling in what the event knows.
fn update(
    event: &RecordedEvent,
    status: Option<&'static str>,
    transaction_id: Option<String>,
    payment_type: Option<String>,
    failure: Option<&'static str>,
) -> Result<Write, ProjectorError> {
    Ok(stmt!(
        "UPDATE payments SET status = COALESCE($2, status), transaction_id = COALESCE($3, transaction_id),
             payment_type = COALESCE($4, payment_type), failure = COALESCE($5, failure), updated_at = $6,
             stream_version = $7
         WHERE id = $1 AND stream_version < $7",
        stream_uuid(event)?,
        status,
        transaction_id,
        payment_type,
        failure,
        event.recorded_at,
        event.stream_version,
    ))
}
