-- Shipping quotes issued by GET /v1/shipping/quotes: one row per (buyer, seller parcel), with
-- every courier service RajaOngkir offered and its price. Checkout charges the price of the
-- quote the buyer names, never a price the client sends. Quotes are process state, not business
-- facts (most are never used), so they live here rather than in the log; the chosen price is
-- recorded in the order's OrderPlaced event. Rows expire; old ones are deleted as new ones are
-- issued (see app/shipping/store.rs).
CREATE TABLE shipping_quotes (
    id             uuid PRIMARY KEY,
    buyer_id       uuid NOT NULL,
    seller_id      uuid NOT NULL,
    origin_id      bigint NOT NULL,
    destination_id bigint NOT NULL,
    weight_grams   bigint NOT NULL,
    -- [{courier, courier_name, service, description, cost, etd}]
    services       jsonb NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX shipping_quotes_reuse
    ON shipping_quotes (buyer_id, seller_id, origin_id, destination_id, weight_grams, expires_at);
CREATE INDEX shipping_quotes_expiry ON shipping_quotes (expires_at);
