//! Process managers that turn facts of one stream into commands on others:
//! - payment settled → its orders paid; order paid → its reservations committed;
//! - payment denied / cancelled / expired / failed → its orders cancelled; order cancelled or
//!   expired → its reservations released.
//!
//! One active instance at a time (a session advisory lock on a dedicated connection), a
//! checkpoint in `reactor_checkpoints`, and delivery at least once: every reaction appends with
//! ids derived from (the event it reacts to, the target), and the aggregates treat repeats as
//! already done, so a replay changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::Payment;
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::{OrderEvent, OrderStatus, PaymentEvent, streams};
use pasar_events::{DomainEvent, EventStore, Metadata, Position, RecordedEvent};
use tokio_postgres::NoTls;

use crate::error::ApiError;
use crate::exec::{EventIds, derive_id, execute, load};
use crate::expiry;
use crate::midtrans::Midtrans;

const NAME: &str = "order-flow";
const LOCK_KEY: i64 = 0x7061_7361_7200_0010;
const BATCH: usize = 200;

pub struct Reactors {
    store: Arc<dyn EventStore>,
    pool: deadpool_postgres::Pool,
    database_url: String,
    midtrans: Midtrans,
    sweep_interval: Duration,
}

pub async fn migrate(pool: &deadpool_postgres::Pool) -> anyhow::Result<()> {
    expiry::migrate(pool).await?;
    pool.get()
        .await?
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS reactor_checkpoints (
                 name text PRIMARY KEY, txid bigint NOT NULL, global bigint NOT NULL,
                 updated_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    Ok(())
}

impl Reactors {
    pub fn new(
        store: Arc<dyn EventStore>,
        pool: deadpool_postgres::Pool,
        database_url: String,
        midtrans: Midtrans,
        sweep_interval: Duration,
    ) -> Self {
        Self {
            store,
            pool,
            database_url,
            midtrans,
            sweep_interval,
        }
    }

    /// Runs until the process stops: waits for the leadership lock, then reacts.
    pub async fn run(self) {
        loop {
            match self.lead().await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = ?e, "reactors stopped; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn lead(&self) -> anyhow::Result<()> {
        let (lock_client, connection) = tokio_postgres::connect(&self.database_url, NoTls).await?;
        let driver = tokio::spawn(connection);
        loop {
            let row = lock_client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
                .await?;
            if row.get::<_, bool>(0) {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        tracing::info!("reactors active");
        let mut after = self.checkpoint().await?;
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_sweep {
                expiry::sweep(&self.store, &self.pool, &self.midtrans)
                    .await
                    .map_err(|e| anyhow::anyhow!("sweeping expired reservations: {e}"))?;
                next_sweep = tokio::time::Instant::now() + self.sweep_interval;
            }
            if driver.is_finished() {
                anyhow::bail!("lost the reactor leadership connection");
            }
            let events = self.store.read_all(after, BATCH).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                let until_sweep = next_sweep.saturating_duration_since(tokio::time::Instant::now());
                self.store
                    .wait_for_events(after, until_sweep.min(Duration::from_secs(1)))
                    .await;
                continue;
            };
            for event in &events {
                if let Err(e) = self.react(event).await {
                    anyhow::bail!("reacting to {} {}: {e}", event.event_type, event.event_id);
                }
            }
            self.save_checkpoint(last).await?;
            after = last;
        }
    }

    /// Reacts to every event up to the current head, then returns (tests call this).
    pub async fn catch_up(&self) -> anyhow::Result<()> {
        let mut after = self.checkpoint().await?;
        loop {
            let events = self.store.read_all(after, BATCH).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                return Ok(());
            };
            for event in &events {
                self.react(event)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            self.save_checkpoint(last).await?;
            after = last;
        }
    }

    async fn checkpoint(&self) -> anyhow::Result<Position> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT txid, global FROM reactor_checkpoints WHERE name = $1",
                &[&NAME],
            )
            .await?;
        Ok(row.map_or(Position::START, |r| Position {
            txid: r.get::<_, i64>(0) as u64,
            global: r.get(1),
        }))
    }

    async fn save_checkpoint(&self, at: Position) -> anyhow::Result<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO reactor_checkpoints (name, txid, global) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET txid = $2, global = $3, updated_at = now()",
                &[&NAME, &(at.txid as i64), &at.global],
            )
            .await?;
        Ok(())
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), ApiError> {
        match event.category() {
            "payment" => match PaymentEvent::decode(event).map_err(anyhow::Error::from)? {
                PaymentEvent::PaymentSettled { .. } => self.on_payment(event, true).await,
                PaymentEvent::PaymentFailed { failure, .. } => {
                    tracing::info!(payment = %event.stream, ?failure, "payment failed; cancelling its orders");
                    self.on_payment(event, false).await
                }
                _ => Ok(()),
            },
            "stock" => expiry::track(&self.pool, event)
                .await
                .map_err(ApiError::Internal),
            "order" => match OrderEvent::decode(event).map_err(anyhow::Error::from)? {
                OrderEvent::OrderPaid { .. } => self.on_order(event, true).await,
                OrderEvent::OrderCancelled { .. } | OrderEvent::OrderExpired { .. } => {
                    self.on_order(event, false).await
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn metadata(event: &RecordedEvent) -> Metadata {
        Metadata {
            correlation_id: event.metadata.correlation_id,
            causation_id: Some(event.event_id),
            ..Metadata::default()
        }
    }

    fn ids(event: &RecordedEvent, target: &str) -> EventIds {
        EventIds::Derived(derive_id(&[
            "reaction",
            &event.event_id.to_string(),
            target,
        ]))
    }

    async fn on_payment(&self, event: &RecordedEvent, settled: bool) -> Result<(), ApiError> {
        let payment = load::<Payment>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        for order_id in &payment.order_ids {
            let stream = streams::order(*order_id);
            if !settled {
                let order = load::<Order>(self.store.as_ref(), &stream).await?.state;
                if matches!(
                    order.status,
                    Some(OrderStatus::Cancelled | OrderStatus::Expired)
                ) {
                    continue; // already closed (e.g. expired by the sweeper, which also expired the payment)
                }
            }
            let command = if settled {
                OrderCommand::MarkPaid {
                    payment_id: payment.payment_id,
                    now: Utc::now(),
                }
            } else {
                OrderCommand::Cancel {
                    reason: "payment did not complete".into(),
                    now: Utc::now(),
                }
            };
            match execute::<Order>(
                &self.store,
                &stream,
                &command,
                Self::ids(event, &stream),
                &Self::metadata(event),
            )
            .await
            {
                Ok(_) => {}
                // The order moved on (e.g. paid after it was cancelled): a human must look.
                Err(ApiError::Conflict { detail, .. }) => {
                    tracing::error!(order = %order_id, payment = %payment.payment_id, %detail, "payment outcome conflicts with the order; needs manual review");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn on_order(&self, event: &RecordedEvent, paid: bool) -> Result<(), ApiError> {
        let order = load::<Order>(self.store.as_ref(), &event.stream)
            .await?
            .state;
        for line in &order.lines {
            let command = if paid {
                StockCommand::Commit {
                    order_id: order.order_id,
                }
            } else {
                StockCommand::Release {
                    order_id: order.order_id,
                    reason: format!("order {}", order.order_id),
                }
            };
            let stream = streams::stock(line.product_id);
            execute::<Stock>(
                &self.store,
                &stream,
                &command,
                Self::ids(event, &stream),
                &Self::metadata(event),
            )
            .await?;
        }
        Ok(())
    }
}
