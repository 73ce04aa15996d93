-- The expiry sweeper's list of open reservations, fed by the stock events it reads.
-- IF NOT EXISTS: databases created before numbered migrations already hold this table.
CREATE TABLE IF NOT EXISTS reactor_open_reservations (
    product_id uuid NOT NULL,
    order_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (product_id, order_id)
);
CREATE INDEX IF NOT EXISTS reactor_open_reservations_expiry
    ON reactor_open_reservations (expires_at);
