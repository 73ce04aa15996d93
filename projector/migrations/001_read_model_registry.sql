-- Read models (schema `rm`): the registry of projection versions and the views that the query
-- API and `projector status` read. Applied through the one migration mechanism
-- (`pasar_events::migrate`, owner `read_models`) after the event store's and the runtime's
-- schemas, which the views below refer to.
--
-- A clean start (issue 6): this replaces the previous 001_read_models/002_projection_versions
-- and their `rm.schema_migrations` history. No production data existed, so nothing is carried
-- over; an old database is dropped and rebuilt from the log. The read models' tables are not
-- created here: each projection's DDL lives once, in its slice (`src/slices/<name>/schema.sql`),
-- and every version, the first included, is created from it (`registry.rs`).

CREATE SCHEMA rm;

-- The registry: one row per (projection, version). At most one live and one building version
-- per projection. Retired versions keep their row for history; `dropped_at` says their tables
-- are gone. Positions are not here: a version's checkpoint is its row in the runtime's
-- `processor_checkpoints`, named after the projection when live and `<name>@v<n>` while
-- building (see `checkpoint.rs`).
CREATE TABLE rm.projection_versions (
    name       text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    state      text NOT NULL CHECK (state IN ('live', 'building', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now(),
    live_since timestamptz,
    retired_at timestamptz,
    dropped_at timestamptz,
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX projection_versions_one_live ON rm.projection_versions (name) WHERE state = 'live';
CREATE UNIQUE INDEX projection_versions_one_building ON rm.projection_versions (name) WHERE state = 'building';

-- Every processor's checkpoint with its registry version where it has one: a projection's live
-- version, a processor without versions (the publisher, reactors, sweepers: shown as version 1,
-- live), and each building version (checkpoint `<name>@v<n>`, shown under its projection's name).
CREATE VIEW rm.processor_versions AS
SELECT COALESCE(v.name, c.name) AS name,
       COALESCE(v.version, 1) AS version,
       COALESCE(v.state, 'live') AS state,
       c.txid, c.global, c.updated_at
FROM processor_checkpoints c
LEFT JOIN rm.projection_versions v
       ON (v.state = 'live' AND v.name = c.name)
       OR (v.state = 'building' AND c.name = v.name || '@v' || v.version)
WHERE v.name IS NOT NULL OR c.name NOT LIKE '%@v%';

-- What the query API reads for consistency tokens: every live checkpoint by name.
CREATE VIEW rm.projection_checkpoints AS
SELECT name, txid, global, updated_at, version FROM rm.processor_versions WHERE state = 'live';

-- Progress of every live and building checkpoint: `projector status` and the query API's
-- GET /v1/projections read this, so they agree. Lag counts the log's events after the
-- checkpoint (committed or still in flight); lag_seconds is the age of the oldest of them
-- (0 when there is none).
CREATE VIEW rm.projection_status AS
SELECT v.name, v.version, v.state, v.txid, v.global, v.updated_at,
       pending.events AS lag_events,
       oldest.recorded_at AS oldest_pending_at,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - oldest.recorded_at), 0)::double precision AS lag_seconds
FROM rm.processor_versions v
CROSS JOIN LATERAL (
    SELECT count(*) AS events FROM es_events e
    WHERE (e.transaction_id, e.global_position) > (v.txid::text::xid8, v.global)
) pending
LEFT JOIN LATERAL (
    SELECT e.recorded_at FROM es_events e
    WHERE (e.transaction_id, e.global_position) > (v.txid::text::xid8, v.global)
    ORDER BY e.transaction_id, e.global_position
    LIMIT 1
) oldest ON true;

-- Additive changes to a projection's tables without a rebuild: runs `statement` (unqualified
-- table names) in the schema of every live and building version of `projection`, then
-- re-creates the live views so they show new columns. For example, in a later migration:
--   SELECT rm.alter_projection_tables('catalog', 'ALTER TABLE products ADD COLUMN x text');
-- (and add the column to the slice's schema.sql, which new versions are created from).
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
