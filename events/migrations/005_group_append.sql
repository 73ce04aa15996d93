-- Group commit, set-based: a whole group of appends (each to a different stream) in one
-- statement, so a group costs one function call, one version lookup and one multi-row INSERT
-- instead of one PL/pgSQL call and one statement per append (migration 004's shape measured
-- at 52–65 % of raw single-row INSERTs; the per-append statements, not the commits, were the
-- cost).
--
-- The members are given as parallel arrays: member i appends p_counts[i] events to
-- p_streams[i] with expectation p_expected[i]; its events are the next p_counts[i] entries of
-- the flattened event arrays. Each member's contract is es_append's:
--
-- - every stream's lock is taken first (es_lock_streams: in key order, before any write), and
--   the versions are read by the next statement, under those locks;
-- - a member whose expectation holds appends its events at the next versions; it is answered
--   'appended' with its last event's version and position;
-- - a member whose expectation fails appends nothing and is answered exactly as es_append
--   would answer it ('conflict', 'existing' for an idempotent retry, 'elsewhere'), by
--   es_append_locked under the lock already held; the other members still commit;
-- - an event id stored already by a member that passed its check (a retry with expectation
--   Any, or two members sharing an id) fails the whole statement: nothing is written and the
--   caller runs each member alone, as before.

CREATE OR REPLACE FUNCTION es_append_group(
    p_streams text[], p_expected bigint[], p_counts int[],
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (member int, outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_before int[];   -- events of the members before each one, in the flattened arrays
    v_current bigint[];
    v_go boolean[];
    v_from int;
    v_to int;
BEGIN
    IF cardinality(p_streams) <> (SELECT count(DISTINCT s) FROM unnest(p_streams) AS s) THEN
        RAISE EXCEPTION 'es_append_group takes each stream at most once';
    END IF;
    PERFORM es_lock_streams(p_streams);

    -- A statement of its own, so its snapshot sees every append committed before the locks.
    SELECT array_agg(x.before ORDER BY x.member), array_agg(x.current ORDER BY x.member),
           array_agg(NOT ((x.expected = 0 AND x.current <> 0)
                          OR (x.expected > 0 AND x.current <> x.expected)) ORDER BY x.member)
    INTO v_before, v_current, v_go
    FROM (
        SELECT m.member, m.expected, (sum(m.n) OVER (ORDER BY m.member) - m.n)::int AS before,
               (SELECT coalesce(max(e.stream_version), 0) FROM es_events e
                WHERE e.stream_id = m.stream) AS current
        FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS m(stream, expected, n, member)
    ) AS x;

    RETURN QUERY
    WITH members AS (
        SELECT d.member::int AS member, d.stream, d.n, d.before, d.current
        FROM unnest(p_streams, p_counts, v_before, v_current, v_go)
             WITH ORDINALITY AS d(stream, n, before, current, go, member)
        WHERE d.go
    ),
    inserted AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
        SELECT d.stream, d.current + k, p_ids[d.before + k], p_types[d.before + k],
               p_versions[d.before + k], p_data[d.before + k], p_meta[d.before + k]
        FROM members d CROSS JOIN LATERAL generate_series(1, d.n) AS k
        ORDER BY d.member, k
        RETURNING es_events.stream_id, es_events.stream_version, es_events.transaction_id,
                  es_events.global_position
    )
    SELECT DISTINCT ON (d.member) d.member, 'appended'::text, i.stream_version,
           i.transaction_id::text, i.global_position
    FROM inserted i JOIN members d ON d.stream = i.stream_id
    ORDER BY d.member, i.stream_version DESC;

    FOR i IN 1 .. cardinality(p_streams) LOOP
        CONTINUE WHEN v_go[i];
        v_from := v_before[i] + 1;
        v_to := v_before[i] + p_counts[i];
        RETURN QUERY
            SELECT i, r.outcome, r.last_version, r.last_txid, r.last_position
            FROM es_append_locked(p_streams[i], p_expected[i], p_ids[v_from : v_to],
                                  p_types[v_from : v_to], p_versions[v_from : v_to],
                                  p_data[v_from : v_to], p_meta[v_from : v_to]) AS r;
    END LOOP;
END;
$$;
