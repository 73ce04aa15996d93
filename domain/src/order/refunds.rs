//! Refunds of an order: asked for (counted at once against what is left), settled as refunded
//! or owed, and the cancellation of a paid order that asks for everything back.

use chrono::{DateTime, Utc};
use pasar_events::types::{Money, OrderEvent, OrderStatus};
use uuid::Uuid;

use super::{Order, OrderError, invalid, step};

/// A refund asked for and not settled yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRefund {
    pub refund_id: Uuid,
    pub amount: Money,
    pub reason: String,
}

/// How a refund ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RefundResult {
    /// Midtrans returned the money.
    Refunded,
    /// Midtrans could not: the shop owes it.
    Owed { reason: String },
}

impl Order {
    /// Refunded once nothing paid is left with the shop (and nothing is owed or pending).
    pub(super) fn fully_refunded_or_as_is(&self) -> OrderStatus {
        if self.refunded_amount.amount >= self.total.amount {
            OrderStatus::Refunded
        } else {
            self.status.unwrap_or(OrderStatus::Paid)
        }
    }

    pub(super) fn request_refund(
        &self,
        from: OrderStatus,
        refund_id: Uuid,
        amount: Money,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OrderEvent>, OrderError> {
        if self.refund_ids.contains(&refund_id) {
            return Ok(None);
        }
        self.check_refund(from, amount)?;
        Ok(Some(OrderEvent::OrderRefundRequested {
            refund_id,
            amount,
            reason: reason.to_owned(),
            requested_at: now,
        }))
    }

    /// The event that settles `refund_id`; `None` when it is not pending (settled already).
    pub(super) fn settle_refund(
        &self,
        refund_id: Uuid,
        result: &RefundResult,
        now: DateTime<Utc>,
    ) -> Option<OrderEvent> {
        let pending = self
            .pending_refunds
            .iter()
            .find(|r| r.refund_id == refund_id)?;
        Some(match result {
            RefundResult::Refunded => OrderEvent::OrderRefunded {
                refund_id: Some(refund_id),
                amount: pending.amount,
                reason: pending.reason.clone(),
                refunded_at: now,
            },
            RefundResult::Owed { reason } => OrderEvent::OrderRefundOwed {
                refund_id,
                amount: pending.amount,
                reason: reason.clone(),
                owed_at: now,
            },
        })
    }

    pub(super) fn cancel_paid(
        &self,
        from: OrderStatus,
        refund_id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if from == OrderStatus::Cancelled && self.refund_ids.contains(&refund_id) {
            return Ok(Vec::new());
        }
        step(from, OrderStatus::Paid, OrderStatus::Cancelled)?;
        let amount = Money {
            amount: self.refundable(),
            ..self.total
        };
        let mut events = vec![OrderEvent::OrderCancelled {
            reason: reason.to_owned(),
            cancelled_at: now,
        }];
        if amount.amount > 0 {
            events.push(OrderEvent::OrderRefundRequested {
                refund_id,
                amount,
                reason: reason.to_owned(),
                requested_at: now,
            });
        }
        Ok(events)
    }

    /// From paid onwards (a paid order cancelled by its seller included), a positive amount
    /// in the order's currency, at most what is left to refund.
    fn check_refund(&self, from: OrderStatus, amount: Money) -> Result<(), OrderError> {
        use OrderStatus::*;
        let paid_and_cancelled = from == Cancelled && !self.refund_ids.is_empty();
        if !matches!(from, Paid | Shipped | Delivered | Completed) && !paid_and_cancelled {
            return invalid(from, Refunded);
        }
        if amount.amount <= 0 || amount.currency != self.total.currency {
            return Err(OrderError::InvalidRefundAmount);
        }
        if amount.amount > self.refundable() {
            return Err(OrderError::RefundExceedsTotal);
        }
        Ok(())
    }

    /// Records a refund's facts; the status the order has after it (fully refunded, or as it
    /// was: a paid order stays paid while refunds are pending). Other events change nothing.
    pub(super) fn evolve_refund(&mut self, event: &OrderEvent) -> OrderStatus {
        match event.clone() {
            OrderEvent::OrderRefundRequested {
                refund_id,
                amount,
                reason,
                ..
            } => {
                self.pending_refunds.push(PendingRefund {
                    refund_id,
                    amount,
                    reason,
                });
                self.refund_ids.push(refund_id);
            }
            OrderEvent::OrderRefunded {
                refund_id, amount, ..
            } => {
                self.pending_refunds
                    .retain(|r| Some(r.refund_id) != refund_id);
                self.refunded_amount.amount += amount.amount;
                return self.fully_refunded_or_as_is();
            }
            OrderEvent::OrderRefundOwed {
                refund_id, amount, ..
            } => {
                self.pending_refunds.retain(|r| r.refund_id != refund_id);
                self.owed_amount.amount += amount.amount;
            }
            _ => {}
        }
        self.status.unwrap_or(OrderStatus::Paid)
    }
}
