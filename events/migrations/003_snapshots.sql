-- Snapshots of long streams' state (stock): loading one costs its snapshot plus the events
-- after it. A cache beside the log, never the truth: a missing or unreadable row only means a
-- longer replay, so rows may be deleted at any time.
CREATE TABLE es_snapshots (
    stream_id       text PRIMARY KEY,
    stream_version  bigint NOT NULL,
    transaction_id  xid8 NOT NULL,
    global_position bigint NOT NULL,
    schema_version  integer NOT NULL,
    state           jsonb NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now()
);
