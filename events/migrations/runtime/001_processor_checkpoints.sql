-- The processor runtime's one checkpoint table: one row per processor (projections, the NATS
-- publisher, reactors, the expiry sweeper, ...), keyed by the processor's name. The runtime
-- moves a row by compare-and-set in the same transaction as the processor's own writes.
--
-- New in the renovation (issue 6): it replaces rm.projection_checkpoints/projection_versions
-- positions, rm.publisher_checkpoints and the command API's reactor_checkpoints. No
-- production data exists yet, so nothing is carried over: a processor without a row starts at
-- the beginning of the log (every handler is idempotent).
CREATE TABLE public.processor_checkpoints (
    name       text PRIMARY KEY,
    -- The log position (transaction id, global sequence) of the last event covered.
    txid       bigint NOT NULL DEFAULT 0 CHECK (txid >= 0),
    global     bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
