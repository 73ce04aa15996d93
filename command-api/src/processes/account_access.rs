//! Carries an admin's action on an account beyond its stream:
//! - every `CustomerSuspended`, `CustomerReinstated` and `RoleChanged` rewrites the account's
//!   `account_access` row from its stream ([`crate::app::access::record`]; the use case wrote
//!   it already, this makes good a write lost to a crash in between);
//! - a `CustomerSuspended` cancels the account's unpaid checkouts through the order
//!   lifecycle's own cancellation ([`crate::app::orders::cancel`], with the suspending admin
//!   as actor): the Snap transaction is closed at Midtrans, every order of the checkout
//!   cancelled, and the order flow releases their stock.
//!
//! Its products are hidden by the read models themselves (catalog and search follow the
//! customer stream). Not replay-safe (it calls Midtrans and appends), but idempotent: each
//! cancellation has one derived event id, and an order already closed is skipped.

use async_trait::async_trait;
use pasar_domain::order::Order;
use pasar_domain::payment::Payment;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{CustomerEvent, OrderStatus, Role};
use pasar_events::{DomainEvent, RecordedEvent};
use uuid::Uuid;

use super::{database_down, process_error};
use crate::app::exec::load;
use crate::app::{Actor, AppError, AppState, access, orders};

pub const NAME: &str = "account-access";

/// The reason recorded on orders a suspension cancels.
pub const CANCEL_REASON: &str = "the buyer's account was suspended";

pub struct AccountAccess {
    state: AppState,
}

impl AccountAccess {
    pub fn new(state: AppState) -> Self {
        AccountAccess { state }
    }

    /// Cancels every unpaid checkout of `buyer_id`, as `actor`.
    async fn cancel_open_checkouts(&self, buyer_id: Uuid, actor: Actor) -> Result<(), AppError> {
        for payment_id in self.open_payments(buyer_id).await? {
            let store = self.state.store.as_ref();
            let payment = load::<Payment>(store, &streams::payment(payment_id)).await?;
            for order_id in payment.state.order_ids {
                let order = load::<Order>(store, &streams::order(order_id)).await?.state;
                if order.status != Some(OrderStatus::AwaitingPayment) {
                    continue;
                }
                // Cancels the whole checkout (its orders share the payment), then stop.
                match orders::cancel(&self.state, actor, order_id, CANCEL_REASON.into()).await {
                    Ok(_) => {
                        tracing::info!(%buyer_id, %payment_id, "checkout of a suspended account cancelled")
                    }
                    Err(AppError::Rejected(rule)) => {
                        tracing::info!(%buyer_id, %order_id, %rule, "checkout of a suspended account not cancelled");
                    }
                    Err(e) => return Err(e),
                }
                break;
            }
        }
        Ok(())
    }

    /// The payments of the buyer's checkouts still counted as open (the order flow removes a
    /// checkout's row once it is paid, failed or closed).
    async fn open_payments(&self, buyer_id: Uuid) -> Result<Vec<Uuid>, AppError> {
        let client = self.state.pool.get().await.map_err(database_down)?;
        let rows = client
            .query(
                "SELECT payment_id FROM checkout_open WHERE buyer_id = $1 ORDER BY payment_id",
                &[&buyer_id],
            )
            .await
            .map_err(database_down)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), AppError> {
        let Some(customer_id) = streams::id_of(&event.stream) else {
            return Ok(());
        };
        let decoded = CustomerEvent::decode(event)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{}: {e}", event.stream)))?;
        match decoded {
            CustomerEvent::CustomerSuspended { .. } => {
                access::record(&self.state, customer_id).await?;
                let actor = Actor {
                    id: event.metadata.actor_id.unwrap_or(Uuid::nil()),
                    role: Role::Admin,
                };
                self.cancel_open_checkouts(customer_id, actor).await
            }
            CustomerEvent::CustomerReinstated { .. } | CustomerEvent::RoleChanged { .. } => {
                access::record(&self.state, customer_id).await
            }
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Processor for AccountAccess {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Customer]
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        for event in events {
            let wanted = matches!(
                event.event_type.as_str(),
                "CustomerSuspended" | "CustomerReinstated" | "RoleChanged"
            );
            if wanted {
                self.react(event).await.map_err(process_error)?;
            }
        }
        Ok(())
    }
}
