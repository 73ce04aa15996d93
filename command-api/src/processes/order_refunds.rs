//! Carries out the refunds orders ask for (`OrderRefundRequested`: an admin's refund, or a
//! paid order cancelled by its seller): one Midtrans refund per request, with the request's id
//! as its `refund_key`, so a retry after a lost answer or a crash refunds once; then records
//! how it ended on the order (`SettleRefund`: refunded, or owed when Midtrans cannot refund the
//! method, such as a bank transfer, or refused).
//!
//! Its own processor: a slow Midtrans delays only refunds. A request already settled (a
//! replayed batch) is skipped without calling Midtrans.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand, RefundResult};
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::OrderEvent;
use pasar_events::types::streams::{self, Category};
use pasar_events::{DomainEvent, EventStore, Metadata, RecordedEvent};
use uuid::Uuid;

use super::{process_error, refresh_refunds_owed};
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::{AppError, Dependency};
use crate::midtrans::{Midtrans, RefundOutcome, RefundRequest};

pub const NAME: &str = "order-refunds";

pub struct OrderRefunds {
    store: Arc<dyn EventStore>,
    pool: deadpool_postgres::Pool,
    midtrans: Midtrans,
}

impl OrderRefunds {
    pub fn new(
        store: Arc<dyn EventStore>,
        pool: deadpool_postgres::Pool,
        midtrans: Midtrans,
    ) -> Self {
        OrderRefunds {
            store,
            pool,
            midtrans,
        }
    }

    /// Refunds `refund_id` of `order_id` if it is still pending. Fails (retried by the
    /// runtime) only when Midtrans gave no usable answer or the log is unavailable.
    pub async fn carry_out(&self, order_id: Uuid, refund_id: Uuid) -> Result<(), AppError> {
        let stream = streams::order(order_id);
        let order = load::<Order>(self.store.as_ref(), &stream).await?.state;
        let Some(pending) = order
            .pending_refunds
            .iter()
            .find(|r| r.refund_id == refund_id)
        else {
            return Ok(());
        };
        let request = RefundRequest {
            refund_key: refund_id.to_string(),
            amount: Some(pending.amount.amount),
            reason: pending.reason.clone(),
        };
        let answer = self
            .midtrans
            .refund(&order.payment_id.to_string(), &request)
            .await;
        let result = match answer {
            Ok(RefundOutcome::Refunded { .. }) => RefundResult::Refunded,
            Ok(outcome) => {
                tracing::warn!(order = %order_id, %refund_id, ?outcome, "Midtrans did not refund; the shop owes it");
                RefundResult::Owed {
                    reason: owed_reason(&outcome),
                }
            }
            Err(e) => {
                tracing::warn!(order = %order_id, %refund_id, error = ?e, "refund not answered by Midtrans; will retry");
                return Err(AppError::Unavailable {
                    dependency: Dependency::PaymentProvider,
                    detail: e.to_string(),
                });
            }
        };
        let owed = matches!(result, RefundResult::Owed { .. });
        let command = OrderCommand::SettleRefund {
            refund_id,
            result,
            now: Utc::now(),
        };
        let ids = EventIds::Derived(derive_id(&["refund-outcome", &refund_id.to_string()]));
        let metadata = Metadata {
            correlation_id: Some(order_id),
            ..Metadata::default()
        };
        execute::<Order>(&self.store, &stream, &command, ids, &metadata).await?;
        if owed {
            refresh_refunds_owed(&self.pool).await;
        }
        Ok(())
    }
}

fn owed_reason(outcome: &RefundOutcome) -> String {
    match outcome {
        RefundOutcome::NotRefundable => {
            "Midtrans cannot refund this payment method (bank transfer, VA or convenience store)"
                .into()
        }
        RefundOutcome::NotFound => "Midtrans does not know this payment".into(),
        RefundOutcome::DuplicateRefundKey => {
            "Midtrans saw this refund key with another amount".into()
        }
        RefundOutcome::Rejected => {
            "Midtrans refused the amount or the merchant balance is short".into()
        }
        RefundOutcome::Refunded { .. } => "refunded".into(),
    }
}

#[async_trait]
impl Processor for OrderRefunds {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Order]
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        for event in events {
            let Some(order_id) = streams::id_of(&event.stream) else {
                continue;
            };
            let decoded = OrderEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))?;
            if let OrderEvent::OrderRefundRequested { refund_id, .. } = decoded {
                self.carry_out(order_id, refund_id)
                    .await
                    .map_err(process_error)?;
            }
        }
        Ok(())
    }
}
