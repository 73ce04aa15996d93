-- Versioned read models for zero-downtime rebuilds (see projector/src/registry.rs).
--
-- Each projection version owns a schema `rm_<projection>_v<n>` holding its physical tables.
-- The names the query API reads (`rm.products`, …) become views over the live version's
-- tables; a rebuild builds version n+1 beside it and swaps the views in one transaction.
--
-- Backward compatible: the views are simple `SELECT *` views, so they stay auto-updatable and a
-- projector of the previous release still running during a deploy keeps writing (through the
-- views, into the live version) and compare-and-setting its checkpoint (through the
-- `rm.projection_checkpoints` view, onto the live version's row).

-- The registry: one row per (projection, version), with that version's checkpoint. At most one
-- live and one building version per projection. Retired versions keep their row for history;
-- `dropped_at` says their tables are gone.
CREATE TABLE rm.projection_versions (
    name       text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    state      text NOT NULL CHECK (state IN ('live', 'building', 'retired')),
    -- The log position this version's rows cover; advanced in the same transaction as them.
    txid       bigint NOT NULL DEFAULT 0,
    global     bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    live_since timestamptz,
    retired_at timestamptz,
    dropped_at timestamptz,
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX projection_versions_one_live ON rm.projection_versions (name) WHERE state = 'live';
CREATE UNIQUE INDEX projection_versions_one_building ON rm.projection_versions (name) WHERE state = 'building';

-- The current layout becomes version 1 of each projection: the tables move (data, indexes and
-- constraints with them) and views take their names.
CREATE SCHEMA rm_catalog_v1;
ALTER TABLE rm.products SET SCHEMA rm_catalog_v1;
CREATE VIEW rm.products AS SELECT * FROM rm_catalog_v1.products;

CREATE SCHEMA rm_carts_v1;
ALTER TABLE rm.carts SET SCHEMA rm_carts_v1;
ALTER TABLE rm.cart_lines SET SCHEMA rm_carts_v1;
CREATE VIEW rm.carts AS SELECT * FROM rm_carts_v1.carts;
CREATE VIEW rm.cart_lines AS SELECT * FROM rm_carts_v1.cart_lines;

CREATE SCHEMA rm_orders_v1;
ALTER TABLE rm.orders SET SCHEMA rm_orders_v1;
ALTER TABLE rm.order_payment_states SET SCHEMA rm_orders_v1;
CREATE VIEW rm.orders AS SELECT * FROM rm_orders_v1.orders;
CREATE VIEW rm.order_payment_states AS SELECT * FROM rm_orders_v1.order_payment_states;

CREATE SCHEMA rm_payments_v1;
ALTER TABLE rm.payments SET SCHEMA rm_payments_v1;
CREATE VIEW rm.payments AS SELECT * FROM rm_payments_v1.payments;

-- Checkpoints carry over; a projection without one starts at the beginning of the log.
INSERT INTO rm.projection_versions (name, version, state, txid, global, updated_at, live_since)
SELECT name, 1, 'live', txid, global, updated_at, now() FROM rm.projection_checkpoints;
INSERT INTO rm.projection_versions (name, version, state, live_since)
SELECT name, 1, 'live', now() FROM unnest(ARRAY['catalog', 'carts', 'orders', 'payments']) AS name
ON CONFLICT DO NOTHING;

-- What the query API (consistency tokens, /readyz) reads: the live version's checkpoint.
DROP TABLE rm.projection_checkpoints;
CREATE VIEW rm.projection_checkpoints AS
SELECT name, txid, global, updated_at, version
FROM rm.projection_versions WHERE state = 'live';

-- Progress of every live and building version: `projector status`, the projector's /metrics
-- and the query API's GET /v1/projections all read this, so they agree. Lag counts the log's
-- events after the checkpoint (committed or still in flight); lag_seconds is the age of the
-- oldest of them (0 when there is none).
CREATE VIEW rm.projection_status AS
SELECT v.name, v.version, v.state, v.txid, v.global, v.updated_at,
       pending.events AS lag_events,
       oldest.recorded_at AS oldest_pending_at,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - oldest.recorded_at), 0)::double precision AS lag_seconds
FROM rm.projection_versions v
CROSS JOIN LATERAL (
    SELECT count(*) AS events FROM es_events e
    WHERE (e.transaction_id, e.global_position) > (v.txid::text::xid8, v.global)
) pending
LEFT JOIN LATERAL (
    SELECT e.recorded_at FROM es_events e
    WHERE (e.transaction_id, e.global_position) > (v.txid::text::xid8, v.global)
    ORDER BY e.transaction_id, e.global_position
    LIMIT 1
) oldest ON true
WHERE v.state IN ('live', 'building');

-- Additive changes to a projection's tables without a rebuild: runs `statement` (unqualified
-- table names) in the schema of every live and building version of `projection`, then
-- re-creates the live views so they show new columns. For example, in a later migration:
--   SELECT rm.alter_projection_tables('catalog', 'ALTER TABLE products ADD COLUMN x text');
-- (and add the column to projections/catalog.sql, which new versions are created from).
CREATE FUNCTION rm.alter_projection_tables(projection text, statement text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v record;
    t record;
    caller_path text := current_setting('search_path');
BEGIN
    FOR v IN SELECT version, state FROM rm.projection_versions
             WHERE name = projection AND state IN ('live', 'building') LOOP
        PERFORM set_config('search_path', format('rm_%s_v%s', projection, v.version), true);
        EXECUTE statement;
        IF v.state = 'live' THEN
            FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = format('rm_%s_v%s', projection, v.version) AND c.relkind = 'r' LOOP
                EXECUTE format('CREATE OR REPLACE VIEW rm.%I AS SELECT * FROM %I.%I',
                               t.relname, format('rm_%s_v%s', projection, v.version), t.relname);
            END LOOP;
        END IF;
    END LOOP;
    PERFORM set_config('search_path', caller_path, true);
END
$$;
