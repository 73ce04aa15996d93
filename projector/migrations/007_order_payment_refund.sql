-- Midtrans' latest refund notification on each order of the payment (`payment_refund`, with
-- the payment stream version that wrote it). New versions get the columns from the orders
-- slice's schema.sql; this adds them to the live and building ones. Notifications projected
-- before this migration show after `projector rebuild orders`.
SELECT rm.alter_projection_tables('orders',
    'ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_refund jsonb');
SELECT rm.alter_projection_tables('orders',
    'ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_refund_version bigint');
