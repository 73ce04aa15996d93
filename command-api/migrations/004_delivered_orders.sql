-- Delivered orders not completed yet, for the auto-completer (processes/auto_complete.rs): a
-- row per `OrderDelivered`, deleted at `OrderCompleted`. Fed in the processor's batch
-- transaction, so it is exactly as far as its checkpoint.
CREATE TABLE orders_delivered (
    order_id     uuid PRIMARY KEY,
    delivered_at timestamptz NOT NULL
);
CREATE INDEX orders_delivered_oldest ON orders_delivered (delivered_at);
