-- Which orders hold which product for which buyer (processes/review_lines.rs): a row per
-- order line at `OrderPlaced`. A review is posted for one of these lines; whether the order was
-- delivered or completed is then read from the order's own stream, so this table only has to
-- know the orders, never their state. Fed in the processor's batch transaction.
CREATE TABLE review_order_lines (
    buyer_id   uuid NOT NULL,
    product_id uuid NOT NULL,
    order_id   uuid NOT NULL,
    placed_at  timestamptz NOT NULL,
    PRIMARY KEY (buyer_id, product_id, order_id)
);
