-- The units each paid order committed, per product, while it has not shipped
-- (processes/order_flow.rs): a row per committed line at `OrderPaid`, deleted at
-- `OrderShipped`, or at `OrderCancelled` after the units were returned to stock. Fed in the
-- processor's batch transaction, so it is exactly as far as its checkpoint. Orders paid
-- before this table existed have no rows: cancelling them returns nothing.
CREATE TABLE committed_order_lines (
    order_id   uuid NOT NULL,
    product_id uuid NOT NULL,
    quantity   bigint NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
