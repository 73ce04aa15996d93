-- Group commit: several appends to different streams may share one transaction (one commit,
-- one WAL flush), as EventStoreDB commits. The contract of each append is unchanged:
--
-- - es_lock_streams takes the advisory locks of every stream of the group, in one fixed order
--   (by lock key, so two groups never wait on each other in a cycle), before the transaction
--   writes anything. A later writer of a stream must get a larger transaction id than an
--   earlier one (readers deliver in transaction-id order); that holds only when every stream
--   lock of the transaction is held before its first write, as es_append's own guard says.
-- - es_append_locked is es_append's body without the guard and the lock: the caller holds the
--   stream's lock (es_lock_streams, or es_append below).
-- - es_append keeps its signature and behaviour for a transaction of one append.

CREATE OR REPLACE FUNCTION es_lock_streams(p_streams text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_key bigint;
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es_lock_streams must come before the first write of its transaction';
    END IF;
    FOR v_key IN SELECT DISTINCT hashtextextended(s, 0) FROM unnest(p_streams) AS s ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION es_append_locked(
    p_stream text, p_expected bigint,
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_current bigint;
    v_stream text;
BEGIN
    SELECT coalesce(max(e.stream_version), 0) INTO v_current FROM es_events e WHERE e.stream_id = p_stream;
    IF (p_expected = 0 AND v_current <> 0) OR (p_expected > 0 AND v_current <> p_expected) THEN
        SELECT e.stream_id INTO v_stream FROM es_events e WHERE e.event_id = p_ids[1];
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'conflict'::text, v_current, NULL::text, NULL::bigint;
        ELSIF v_stream <> p_stream THEN
            RETURN QUERY SELECT 'elsewhere'::text, NULL::bigint, NULL::text, NULL::bigint;
        ELSE
            RETURN QUERY
                SELECT 'existing'::text, e.stream_version, e.transaction_id::text, e.global_position
                FROM es_events e WHERE e.event_id = ANY (p_ids) AND e.stream_id = p_stream
                ORDER BY e.stream_version DESC LIMIT 1;
        END IF;
        RETURN;
    END IF;

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

CREATE OR REPLACE FUNCTION es_append(
    p_stream text, p_expected bigint,
    p_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_meta jsonb[])
RETURNS TABLE (outcome text, last_version bigint, last_txid text, last_position bigint)
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es_append must be the first write of its transaction';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
    RETURN QUERY SELECT * FROM es_append_locked(p_stream, p_expected, p_ids, p_types, p_versions, p_data, p_meta);
END;
$$;
