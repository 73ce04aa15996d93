//! Keeps `review_order_lines`: every order line by buyer and product, so a review can find the
//! orders in which its author bought the product (`app::reviews`). The order's state is read
//! from its stream when the review is posted; this table only indexes the orders.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::OrderEvent;
use pasar_events::types::streams::Category;
use pasar_events::{DomainEvent, RecordedEvent};

pub const NAME: &str = "review-order-lines";

pub struct ReviewLines;

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
                cached::execute(
                    tx,
                    "INSERT INTO review_order_lines (buyer_id, product_id, order_id, placed_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&buyer_id, &line.product_id, &order_id, &placed_at],
                )
                .await
                .map_err(|e| ProcessError::Transient(e.into()))?;
            }
        }
        Ok(())
    }
}
