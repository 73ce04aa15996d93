-- The open-checkout cap in one round trip: lock the buyer, count the open checkouts, take a
-- slot. A VOLATILE PL/pgSQL function takes a fresh snapshot for each statement in it, so the
-- count runs after the lock is granted and sees every hold committed before (the lock is held
-- until the caller's statement commits). This replaces a transaction of five statements
-- (BEGIN, lock, count, insert, COMMIT).
CREATE FUNCTION checkout_open_hold(p_hold uuid, p_buyer uuid, p_until timestamptz, p_limit bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('pasar.checkout_open.' || p_buyer::text, 0));
    IF (SELECT count(*) FROM checkout_open
        WHERE buyer_id = p_buyer AND expires_at > now() AND payment_id <> p_hold) >= p_limit THEN
        RETURN false;
    END IF;
    INSERT INTO checkout_open (payment_id, buyer_id, expires_at) VALUES (p_hold, p_buyer, p_until)
    ON CONFLICT (payment_id) DO UPDATE SET expires_at = EXCLUDED.expires_at;
    RETURN true;
END
$$;
