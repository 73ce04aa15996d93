-- Tables of one version of the `payments` projection, created in its schema
-- (`rm_payments_v<n>`); see catalog.sql and migrations/001_read_models.sql.

CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    checkout_id    uuid NOT NULL,
    buyer_id       uuid NOT NULL,
    order_ids      uuid[] NOT NULL,
    gross_amount   bigint NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL CHECK (status IN ('initiated', 'pending', 'settled', 'failed',
                                                   'amount_mismatch', 'reversed')),
    failure        text,
    transaction_id text,
    payment_type   text,
    snap_token     text,
    redirect_url   text,
    initiated_at   timestamptz NOT NULL,
    settled_at     timestamptz,
    updated_at     timestamptz NOT NULL,
    stream_version bigint NOT NULL
);
CREATE INDEX payments_by_buyer ON payments (buyer_id);
