-- The refund of a late settlement on the orders it paid for (`refund_status`: required while
-- Midtrans is asked, refunded once it took it, owed when it cannot: the shop owes the buyer),
-- so admins can list what is owed (`GET /v1/orders?refund=owed`). New versions get the column
-- from the slice's schema.sql; this adds it to the live and building ones. Rows of refunds
-- projected before this migration fill in with `projector rebuild orders`.
SELECT rm.alter_projection_tables('orders',
    'ALTER TABLE orders ADD COLUMN IF NOT EXISTS refund_status text
         CHECK (refund_status IN (''required'', ''refunded'', ''owed''))');
SELECT rm.alter_projection_tables('orders',
    'CREATE INDEX IF NOT EXISTS orders_with_refunds ON orders (placed_txid DESC, placed_global DESC)
         WHERE refund_status IS NOT NULL');
