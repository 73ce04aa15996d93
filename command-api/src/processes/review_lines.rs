//! Keeps `review_order_lines`: every order line by buyer and product, so a review can find the
//! orders in which its author bought the product (`app::reviews`). The order's state is read
//! from its stream when the review is posted; this table only indexes the orders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::OrderEvent;
use pasar_events::types::streams::Category;
use pasar_events::{DomainEvent, RecordedEvent};
use uuid::Uuid;

pub const NAME: &str = "review-order-lines";

pub struct ReviewLines;

/// The batch's order lines, column by column.
#[derive(Default)]
struct Rows {
    buyer_ids: Vec<Uuid>,
    product_ids: Vec<Uuid>,
    order_ids: Vec<Uuid>,
    placed_at: Vec<DateTime<Utc>>,
}

#[async_trait]
impl Processor for ReviewLines {
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
        // One statement for the whole batch: a flash sale places hundreds of orders at once.
        let mut rows = Rows::default();
        for event in events {
            let OrderEvent::OrderPlaced {
                order_id,
                buyer_id,
                lines,
                placed_at,
                ..
            } = OrderEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))?
            else {
                continue;
            };
            for line in &lines {
                rows.buyer_ids.push(buyer_id);
                rows.product_ids.push(line.product_id);
                rows.order_ids.push(order_id);
                rows.placed_at.push(placed_at);
            }
        }
        if rows.order_ids.is_empty() {
            return Ok(());
        }
        cached::execute(
            tx,
            "INSERT INTO review_order_lines (buyer_id, product_id, order_id, placed_at)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[])
             ON CONFLICT DO NOTHING",
            &[
                &rows.buyer_ids,
                &rows.product_ids,
                &rows.order_ids,
                &rows.placed_at,
            ],
        )
        .await
        .map_err(|e| ProcessError::Transient(e.into()))?;
        Ok(())
    }
}
