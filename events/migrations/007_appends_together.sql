-- Appends to several streams as one (EventStore::append_together): a listing's SKU claim and
-- the product's first events, say, land together or not at all.
--
-- es_append_group gains p_units: members with the same unit number are accepted only when
-- every one of them is (each against its own stream's version). A refused unit appends
-- nothing, and each of its members is answered 'refused'; the other units still commit. A
-- plain append is a unit of its own, so the group behaves as before for it.
--
-- The eight-argument es_append_group (migration 006) stays, for an instance of the previous
-- release that still calls it during a rolling upgrade.

CREATE OR REPLACE FUNCTION es_append_group(
    p_streams text[], p_expected bigint[], p_counts int[], p_units int[],
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
        SELECT m.member::int AS member, m.stream, m.n, m.unit,
               (sum(m.n) OVER (ORDER BY m.member) - m.n)::int AS before,
               (SELECT coalesce(max(e.stream_version), 0) FROM es_events e
                WHERE e.stream_id = m.stream) AS version,
               m.expected
        FROM unnest(p_streams, p_expected, p_counts, p_units)
             WITH ORDINALITY AS m(stream, expected, n, unit, member)
    ),
    judged AS (
        SELECT d.*, bool_and(NOT ((d.expected = 0 AND d.version <> 0)
                                  OR (d.expected > 0 AND d.version <> d.expected)))
                        OVER (PARTITION BY d.unit) AS accepted
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
