//! Reservations must not leak. The reactors keep a list of open reservations (fed by the stock
//! events they read) and, every sweep interval, deal with those past their expiry:
//! - the order exists and is still unpaid → ask Midtrans to expire the transaction (a 404 means
//!   the buyer never picked a method: nothing to expire), then expire the order; the reactor
//!   reacting to `OrderExpired` releases the stock;
//! - the order never appeared (the checkout crashed before placing it) → release directly.

use std::sync::Arc;

use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::{OrderStatus, StockEvent, streams};
use pasar_events::{DomainEvent, EventStore, Metadata, RecordedEvent};
use uuid::Uuid;

use crate::error::ApiError;
use crate::exec::{EventIds, derive_id, execute, load};
use crate::midtrans::{Midtrans, MidtransError};

pub async fn migrate(pool: &deadpool_postgres::Pool) -> anyhow::Result<()> {
    pool.get()
        .await?
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS reactor_open_reservations (
                 product_id uuid NOT NULL, order_id uuid NOT NULL, expires_at timestamptz NOT NULL,
                 PRIMARY KEY (product_id, order_id));
             CREATE INDEX IF NOT EXISTS reactor_open_reservations_expiry ON reactor_open_reservations (expires_at);",
        )
        .await?;
    Ok(())
}

/// Keeps the open-reservation list in step with a stock event (idempotent).
pub async fn track(pool: &deadpool_postgres::Pool, event: &RecordedEvent) -> anyhow::Result<()> {
    let Some(product_id) = streams::id_of(&event.stream) else {
        return Ok(());
    };
    let client = pool.get().await?;
    match StockEvent::decode(event)? {
        StockEvent::StockReserved {
            order_id,
            expires_at,
            ..
        } => {
            client
                .execute(
                    "INSERT INTO reactor_open_reservations (product_id, order_id, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&product_id, &order_id, &expires_at],
                )
                .await?;
        }
        StockEvent::ReservationReleased { order_id, .. }
        | StockEvent::ReservationCommitted { order_id, .. } => {
            client
                .execute(
                    "DELETE FROM reactor_open_reservations WHERE product_id = $1 AND order_id = $2",
                    &[&product_id, &order_id],
                )
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Handles every reservation past its expiry. Returns how many were looked at.
pub async fn sweep(
    store: &Arc<dyn EventStore>,
    pool: &deadpool_postgres::Pool,
    midtrans: &Midtrans,
) -> Result<usize, ApiError> {
    let rows = pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
        .query(
            "SELECT product_id, order_id FROM reactor_open_reservations WHERE expires_at <= now()
             ORDER BY expires_at LIMIT 200",
            &[],
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    for row in &rows {
        let (product_id, order_id): (Uuid, Uuid) = (row.get(0), row.get(1));
        expire_one(store, midtrans, product_id, order_id).await?;
    }
    Ok(rows.len())
}

async fn expire_one(
    store: &Arc<dyn EventStore>,
    midtrans: &Midtrans,
    product_id: Uuid,
    order_id: Uuid,
) -> Result<(), ApiError> {
    let metadata = Metadata {
        correlation_id: Some(order_id),
        ..Metadata::default()
    };
    let order = load::<Order>(store.as_ref(), &streams::order(order_id))
        .await?
        .state;
    match order.status {
        None => {
            let command = StockCommand::Release {
                order_id,
                reason: "reservation expired before its order was placed".into(),
            };
            let ids = EventIds::Derived(derive_id(&[
                "expire-release",
                &order_id.to_string(),
                &product_id.to_string(),
            ]));
            execute::<Stock>(store, &streams::stock(product_id), &command, ids, &metadata).await?;
        }
        Some(OrderStatus::AwaitingPayment) => {
            match midtrans.expire(&order.payment_id.to_string()).await {
                Ok(())
                | Err(MidtransError::Refused {
                    status: 404 | 412, ..
                }) => {}
                Err(e) => {
                    // Try again next sweep rather than expiring an order Midtrans may still settle.
                    tracing::warn!(order = %order_id, error = %e, "could not expire the Midtrans transaction; will retry");
                    return Ok(());
                }
            }
            let command = OrderCommand::Expire { now: Utc::now() };
            let ids = EventIds::Derived(derive_id(&["expire", &order_id.to_string()]));
            match execute::<Order>(store, &streams::order(order_id), &command, ids, &metadata).await
            {
                Ok(_) => tracing::info!(order = %order_id, "unpaid order expired"),
                Err(ApiError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // Paid, cancelled, expired: the reactors commit or release it as those events pass.
        Some(_) => {}
    }
    Ok(())
}
