//! Delivered orders complete on their own: a buyer who never presses "complete" does not keep
//! the order (and the seller's payout, later) open forever. The processor keeps the list of
//! delivered, uncompleted orders (fed in its batch transaction by the order events it reads)
//! and, on its tick, completes those delivered more than `ORDER_AUTO_COMPLETE_DAYS` ago, with
//! event ids derived from the order, so two instances or a retry complete it once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use deadpool_postgres::Transaction;
use pasar_domain::order::{Order, OrderCommand};
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::OrderEvent;
use pasar_events::types::streams::{self, Category};
use pasar_events::{DomainEvent, EventStore, Metadata, RecordedEvent};
use uuid::Uuid;

use super::{database_down, process_error};
use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute};

pub const NAME: &str = "order-auto-complete";
/// Most orders completed per tick.
const PER_TICK: i64 = 200;

pub struct AutoCompleter {
    store: Arc<dyn EventStore>,
    pool: deadpool_postgres::Pool,
    after: Duration,
}

impl AutoCompleter {
    pub fn new(store: Arc<dyn EventStore>, pool: deadpool_postgres::Pool, after: Duration) -> Self {
        AutoCompleter { store, pool, after }
    }

    /// Completes every order delivered more than `after` ago (up to [`PER_TICK`]); answers how
    /// many it looked at.
    pub async fn complete_due(&self) -> Result<usize, AppError> {
        let due =
            Utc::now() - chrono::Duration::from_std(self.after).map_err(anyhow::Error::from)?;
        let client = self.pool.get().await.map_err(database_down)?;
        let rows = client
            .query(
                "SELECT order_id FROM orders_delivered WHERE delivered_at <= $1
                 ORDER BY delivered_at LIMIT $2",
                &[&due, &PER_TICK],
            )
            .await
            .map_err(database_down)?;
        for row in &rows {
            let order_id: Uuid = row.get(0);
            self.complete(order_id).await?;
        }
        Ok(rows.len())
    }

    async fn complete(&self, order_id: Uuid) -> Result<(), AppError> {
        let command = OrderCommand::Complete { now: Utc::now() };
        let ids = EventIds::Derived(derive_id(&["auto-complete", &order_id.to_string()]));
        let metadata = Metadata {
            correlation_id: Some(order_id),
            ..Metadata::default()
        };
        let stream = streams::order(order_id);
        match execute::<Order>(&self.store, &stream, &command, ids, &metadata).await {
            Ok(_) => tracing::info!(order = %order_id, "delivered order completed automatically"),
            // Completed (or refunded) by someone meanwhile: its event removes the row.
            Err(AppError::Rejected(rule)) => {
                tracing::debug!(order = %order_id, %rule, "delivered order moved on before auto-completion");
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

#[async_trait]
impl Processor for AutoCompleter {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Order]
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        let transient = |e: tokio_postgres::Error| ProcessError::Transient(e.into());
        for event in events {
            let Some(order_id) = streams::id_of(&event.stream) else {
                continue;
            };
            match OrderEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))? {
                OrderEvent::OrderDelivered { delivered_at } => {
                    cached::execute(
                        tx,
                        "INSERT INTO orders_delivered (order_id, delivered_at) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                        &[&order_id, &delivered_at],
                    )
                    .await
                    .map_err(transient)?;
                }
                OrderEvent::OrderCompleted { .. } | OrderEvent::OrderRefunded { .. } => {
                    cached::execute(
                        tx,
                        "DELETE FROM orders_delivered WHERE order_id = $1",
                        &[&order_id],
                    )
                    .await
                    .map_err(transient)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn tick_interval(&self) -> Option<Duration> {
        // Often enough for a short test window, rarely enough to cost nothing in production.
        Some(
            self.after
                .div_f64(10.0)
                .clamp(Duration::from_millis(200), Duration::from_secs(60)),
        )
    }

    async fn tick(&self) -> Result<(), ProcessError> {
        self.complete_due().await.map(drop).map_err(process_error)
    }
}
