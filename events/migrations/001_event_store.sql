-- Event store schema. Applied under an advisory lock by every service at start-up, so each
-- statement must be safe to run again. Never edit this file once applied; add 002_….sql.

CREATE TABLE IF NOT EXISTS es_streams (
    stream_id  text PRIMARY KEY,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS es_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction's id: readers deliver in (transaction_id, global_position) order
    -- and only below the oldest running transaction, so a late commit is never skipped.
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text NOT NULL,
    stream_version  bigint NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    schema_version  int NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT es_events_event_id_key UNIQUE (event_id),
    CONSTRAINT es_events_stream_version_key UNIQUE (stream_id, stream_version)
);

CREATE INDEX IF NOT EXISTS es_events_tx_position ON es_events (transaction_id, global_position);

-- Appends a batch to one stream in one round trip.
-- p_expected: -1 any, 0 no stream, n > 0 exact version of the last event.
-- Outcomes: 'appended', 'existing' (first event id already stored here: idempotent retry,
-- original result returned), 'elsewhere' (that id is stored in another stream), 'conflict'.
CREATE OR REPLACE FUNCTION es_append(
    p_stream text, p_expected bigint,
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_current bigint;
    v_stream text;
BEGIN
    -- A later writer of a stream must get a larger xid than an earlier one; that holds only
    -- if the stream lock is taken before this transaction writes anything.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es_append must be the first write of its transaction';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

    SELECT e.stream_id INTO v_stream FROM es_events e WHERE e.event_id = p_ids[1];
    IF FOUND THEN
        IF v_stream <> p_stream THEN
            RETURN QUERY SELECT 'elsewhere'::text, NULL::bigint, NULL::text, NULL::bigint;
            RETURN;
        END IF;
        RETURN QUERY
            SELECT 'existing'::text, e.stream_version, e.transaction_id::text, e.global_position
            FROM es_events e WHERE e.event_id = ANY (p_ids) AND e.stream_id = p_stream
            ORDER BY e.stream_version DESC LIMIT 1;
        RETURN;
    END IF;

    SELECT s.version INTO v_current FROM es_streams s WHERE s.stream_id = p_stream;
    v_current := coalesce(v_current, 0);
    IF (p_expected = 0 AND v_current <> 0) OR (p_expected > 0 AND v_current <> p_expected) THEN
        RETURN QUERY SELECT 'conflict'::text, v_current, NULL::text, NULL::bigint;
        RETURN;
    END IF;

    INSERT INTO es_streams (stream_id, version) VALUES (p_stream, v_current + cardinality(p_ids))
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now();

    RETURN QUERY
    WITH inserted AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
        SELECT p_stream, v_current + t.ord, t.id, t.ty, t.ver, t.dat, t.met
        FROM unnest(p_ids, p_types, p_versions, p_data, p_meta) WITH ORDINALITY AS t(id, ty, ver, dat, met, ord)
        ORDER BY t.ord
        RETURNING es_events.stream_version, es_events.transaction_id, es_events.global_position
    )
    SELECT 'appended'::text, i.stream_version, i.transaction_id::text, i.global_position
    FROM inserted i ORDER BY i.stream_version DESC LIMIT 1;
END;
$$;
