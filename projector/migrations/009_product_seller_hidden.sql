-- Products of a suspended seller are hidden from listings, product pages and counts until the
-- seller is reinstated (`CustomerSuspended` / `CustomerReinstated`, catalog slice). New
-- versions get the column from the catalog slice's schema.sql; this adds it to the live and
-- building ones.
SELECT rm.alter_projection_tables('catalog',
    'ALTER TABLE products ADD COLUMN IF NOT EXISTS seller_hidden boolean NOT NULL DEFAULT false');
