-- Flatter appends, same contracts (es_append: migration 004; es_append_group: migration 005).
--
-- Measured with pg_stat_statements during `pasar-bench appends` (2026-11-30): an append of
-- one event took 0.14–0.30 ms in es_append, of which its INSERT was 0.03–0.12 ms and its
-- version lookup 0.02–0.03 ms; the rest was PL/pgSQL itself (a nested call of
-- es_append_locked, each statement started through SPI) and planning: the statements take
-- the function's arrays as parameters, so the plan cache planned them afresh on every call
-- (a group of three took 0.69 ms; 0.35 ms with generic plans).
--
-- So the common case is now two statements, both under generic plans:
--   1. the streams' advisory locks (one statement, in key order, before any write);
--   2. one statement that reads the versions (a new snapshot, taken after the locks),
--      inserts the events of every append whose expectation holds, and answers it.
--
-- An append whose expectation fails:
-- - in es_append, is answered by es_append_locked under the lock already held, exactly as
--   before ('conflict', 'existing' for an idempotent retry, 'elsewhere');
-- - in es_append_group, is answered 'refused' and appends nothing; the other members still
--   commit. The caller runs a refused member again alone (es_append), for its precise answer.
--
-- es_append_group no longer checks that each stream appears once: two members of one stream
-- would both insert the stream's next version, so the unique index on (stream_id,
-- stream_version) fails the statement, nothing is written, and the caller runs each member
-- alone (as for any failed group).

CREATE OR REPLACE FUNCTION es_append(
    p_stream text, p_expected bigint,
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es_append must be the first write of its transaction';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

    -- A statement of its own, so its snapshot sees every append committed before the lock.
    RETURN QUERY
    WITH head AS (
        SELECT coalesce(max(e.stream_version), 0) AS version FROM es_events e
        WHERE e.stream_id = p_stream
    ),
    inserted AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
        SELECT p_stream, h.version + t.ord, t.id, t.ty, t.ver, t.dat, t.met
        FROM head h,
             unnest(p_ids, p_types, p_versions, p_data, p_meta) WITH ORDINALITY AS t(id, ty, ver, dat, met, ord)
        WHERE NOT ((p_expected = 0 AND h.version <> 0) OR (p_expected > 0 AND h.version <> p_expected))
        ORDER BY t.ord
        RETURNING es_events.stream_version, es_events.transaction_id, es_events.global_position
    )
    SELECT 'appended'::text, i.stream_version, i.transaction_id::text, i.global_position
    FROM inserted i ORDER BY i.stream_version DESC LIMIT 1;

    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM es_append_locked(p_stream, p_expected, p_ids, p_types, p_versions, p_data, p_meta);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION es_append_group(
    p_streams text[], p_expected bigint[], p_counts int[],
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (member int, outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es_append_group must come before the first write of its transaction';
    END IF;
    PERFORM count(pg_advisory_xact_lock(k.key))
    FROM (SELECT DISTINCT hashtextextended(s, 0) AS key FROM unnest(p_streams) AS s ORDER BY 1) AS k;

    -- A statement of its own, so its snapshot sees every append committed before the locks.
    RETURN QUERY
    WITH members AS (
        SELECT m.member::int AS member, m.stream, m.n,
               (sum(m.n) OVER (ORDER BY m.member) - m.n)::int AS before,
               (SELECT coalesce(max(e.stream_version), 0) FROM es_events e
                WHERE e.stream_id = m.stream) AS version,
               m.expected
        FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS m(stream, expected, n, member)
    ),
    judged AS (
        SELECT d.*, NOT ((d.expected = 0 AND d.version <> 0)
                         OR (d.expected > 0 AND d.version <> d.expected)) AS accepted
        FROM members d
    ),
    inserted AS (
        INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
        SELECT d.stream, d.version + k, p_ids[d.before + k], p_types[d.before + k],
               p_versions[d.before + k], p_data[d.before + k], p_meta[d.before + k]
        FROM judged d CROSS JOIN LATERAL generate_series(1, d.n) AS k
        WHERE d.accepted
        ORDER BY d.member, k
        RETURNING es_events.stream_id, es_events.stream_version, es_events.transaction_id,
                  es_events.global_position
    )
    (SELECT DISTINCT ON (d.member) d.member, 'appended'::text, i.stream_version,
            i.transaction_id::text, i.global_position
     FROM inserted i JOIN judged d ON d.stream = i.stream_id
     ORDER BY d.member, i.stream_version DESC)
    UNION ALL
    SELECT d.member, 'refused'::text, NULL::bigint, NULL::text, NULL::bigint
    FROM judged d WHERE NOT d.accepted;
END;
$$;
