//! Moving a placed order along its path (pay, ship, deliver, complete, cancel, expire,
//! revive): which moves each state allows, and the event each one records.

use pasar_events::types::{OrderEvent, OrderStatus};

use super::{Order, OrderCommand, OrderError, invalid, step};

impl Order {
    /// The event that moves a placed order on, or `None` for an idempotent repeat.
    pub(super) fn transition(
        &self,
        from: OrderStatus,
        command: &OrderCommand,
    ) -> Result<Option<OrderEvent>, OrderError> {
        let event = match command {
            OrderCommand::Place { .. } => return Err(OrderError::AlreadyPlaced),
            OrderCommand::MarkPaid { payment_id, now } => match from {
                OrderStatus::AwaitingPayment => OrderEvent::OrderPaid {
                    payment_id: *payment_id,
                    paid_at: *now,
                },
                OrderStatus::Cancelled | OrderStatus::Expired => {
                    return invalid(from, OrderStatus::Paid);
                }
                _ => return Ok(None),
            },
            OrderCommand::Cancel { reason, now } => match from {
                OrderStatus::AwaitingPayment => OrderEvent::OrderCancelled {
                    reason: reason.clone(),
                    cancelled_at: *now,
                },
                OrderStatus::Cancelled => return Ok(None),
                _ => return invalid(from, OrderStatus::Cancelled),
            },
            OrderCommand::Expire { now } => match from {
                OrderStatus::AwaitingPayment if *now < self.expires_at => {
                    return Err(OrderError::NotYetExpired);
                }
                OrderStatus::AwaitingPayment => OrderEvent::OrderExpired { expired_at: *now },
                OrderStatus::Expired => return Ok(None),
                _ => return invalid(from, OrderStatus::Expired),
            },
            OrderCommand::Revive { payment_id, now } => match from {
                OrderStatus::Expired | OrderStatus::Cancelled if *payment_id == self.payment_id => {
                    OrderEvent::OrderRevived {
                        payment_id: *payment_id,
                        revived_at: *now,
                    }
                }
                OrderStatus::Expired | OrderStatus::Cancelled => {
                    return Err(OrderError::OtherPayment);
                }
                // Already revived (and maybe paid since): a repeat.
                _ => return Ok(None),
            },
            fulfilment => self.fulfil(from, fulfilment)?,
        };
        Ok(Some(event))
    }

    /// The steps after payment: ship, deliver, complete, refund.
    fn fulfil(&self, from: OrderStatus, command: &OrderCommand) -> Result<OrderEvent, OrderError> {
        let event = match command {
            OrderCommand::Ship {
                courier,
                tracking_number,
                now,
            } => {
                step(from, OrderStatus::Paid, OrderStatus::Shipped)?;
                OrderEvent::OrderShipped {
                    courier: courier.clone(),
                    tracking_number: tracking_number.clone(),
                    shipped_at: *now,
                }
            }
            OrderCommand::Deliver { now } => {
                step(from, OrderStatus::Shipped, OrderStatus::Delivered)?;
                OrderEvent::OrderDelivered { delivered_at: *now }
            }
            OrderCommand::Complete { now } => {
                step(from, OrderStatus::Delivered, OrderStatus::Completed)?;
                OrderEvent::OrderCompleted { completed_at: *now }
            }
            OrderCommand::Place { .. }
            | OrderCommand::MarkPaid { .. }
            | OrderCommand::Cancel { .. }
            | OrderCommand::Expire { .. }
            | OrderCommand::Revive { .. }
            | OrderCommand::RequestRefund { .. }
            | OrderCommand::SettleRefund { .. }
            | OrderCommand::CancelPaid { .. } => {
                unreachable!("invariant: decide and transition handle these")
            }
        };
        Ok(event)
    }
}
