-- The seller's low-stock threshold per product (`ProductLowStockThresholdSet`), read by the
-- seller dashboard. New versions get the column from the catalog slice's schema.sql; this adds
-- it to the live and building ones.
SELECT rm.alter_projection_tables('catalog',
    'ALTER TABLE products ADD COLUMN IF NOT EXISTS low_stock_threshold bigint');
