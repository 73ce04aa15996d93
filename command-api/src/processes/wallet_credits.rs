//! Money into the buyer's wallet, each exactly once (the wallet credits a source at most once
//! and returns a debit at most once; ids derive from the event reacted to):
//! - a top-up payment (a payment without orders) settled → its amount credited; a settlement
//!   for another amount never happens (it is recorded as a mismatch), and a top-up credit for
//!   an amount other than the one asked is refused by the wallet and logged for a human;
//! - a refund Midtrans could not make (`OrderRefundOwed` of an order, `PaymentRefundOwed` of a
//!   late settlement) → credited, and `pasar_refunds_owed` counted again;
//! - an order that closed (cancelled, expired) without ever being paid → its checkout's wallet
//!   part, if it took one, given back (the Snap part failed or expired).

use std::sync::Arc;

use async_trait::async_trait;
use pasar_domain::order::Order;
use pasar_domain::payment::Payment;
use pasar_domain::wallet::{Wallet, WalletCommand};
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{OrderEvent, PaymentEvent, WalletCreditSource};
use pasar_events::{DomainEvent, EventStore, RecordedEvent};

use super::{process_error, react, refresh_refunds_owed};
use crate::app::exec::load;
use crate::app::{AppError, wallet};

pub const NAME: &str = "wallet-credits";

pub struct WalletCredits {
    store: Arc<dyn EventStore>,
    pool: deadpool_postgres::Pool,
}

impl WalletCredits {
    pub fn new(store: Arc<dyn EventStore>, pool: deadpool_postgres::Pool) -> Self {
        WalletCredits { store, pool }
    }

    async fn on_payment(&self, event: &RecordedEvent) -> Result<(), AppError> {
        let decoded = PaymentEvent::decode(event).map_err(|e| AppError::Internal(e.into()))?;
        let (amount, owed) = match decoded {
            PaymentEvent::PaymentSettled { amount, .. } => (amount, false),
            PaymentEvent::PaymentRefundOwed { amount, .. } => (amount, true),
            _ => return Ok(()),
        };
        let payment = load::<Payment>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        let payment_id = payment.payment_id;
        let source = if owed {
            WalletCreditSource::PaymentRefund { payment_id }
        } else if payment.order_ids.is_empty() {
            WalletCreditSource::TopUp { payment_id }
        } else {
            return Ok(()); // a checkout's payment: the order flow pays its orders
        };
        self.credit(event, payment.buyer_id, source, amount, owed)
            .await
    }

    async fn on_order(&self, event: &RecordedEvent) -> Result<(), AppError> {
        let decoded = OrderEvent::decode(event).map_err(|e| AppError::Internal(e.into()))?;
        match decoded {
            OrderEvent::OrderRefundOwed {
                refund_id, amount, ..
            } => {
                let order = load::<Order>(self.store.as_ref(), &event.stream)
                    .await?
                    .state;
                let order_id = order.order_id;
                let source = WalletCreditSource::OrderRefund {
                    order_id,
                    refund_id,
                };
                self.credit(event, order.buyer_id, source, amount, true)
                    .await
            }
            OrderEvent::OrderCancelled { .. } | OrderEvent::OrderExpired { .. } => {
                let order = load::<Order>(self.store.as_ref(), &event.stream)
                    .await?
                    .state;
                if order.paid_at.is_some() {
                    return Ok(()); // a paid order's money goes back as a refund
                }
                let command = WalletCommand::ReturnDebit {
                    debit_id: order.payment_id,
                    reason: "the checkout's payment did not complete".into(),
                    now: chrono::Utc::now(),
                };
                let stream = streams::wallet(order.buyer_id);
                react::<Wallet>(&self.store, event, &stream, &command).await
            }
            _ => Ok(()),
        }
    }

    async fn credit(
        &self,
        event: &RecordedEvent,
        buyer: uuid::Uuid,
        source: WalletCreditSource,
        amount: pasar_events::types::Money,
        owed: bool,
    ) -> Result<(), AppError> {
        let command = wallet::credit(source, amount);
        let stream = streams::wallet(buyer);
        react::<Wallet>(&self.store, event, &stream, &command).await?;
        tracing::info!(%stream, ?source, amount = amount.amount, "wallet credited");
        if owed {
            refresh_refunds_owed(&self.pool).await;
        }
        Ok(())
    }
}

#[async_trait]
impl Processor for WalletCredits {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Payment, Category::Order]
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        for event in events {
            let reacted = match Category::of(&event.stream) {
                Some(Category::Payment) => self.on_payment(event).await,
                Some(Category::Order) => self.on_order(event).await,
                _ => Ok(()),
            };
            reacted.map_err(process_error)?;
        }
        Ok(())
    }
}
