-- Tables of one version of the `orders` projection, created in its schema (`rm_orders_v<n>`);
-- see catalog.sql and migrations/001_read_models.sql.

CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    buyer_id         uuid NOT NULL,
    seller_id        uuid NOT NULL,
    checkout_id      uuid NOT NULL,
    payment_id       uuid NOT NULL,
    status           text NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'shipped', 'delivered',
                                                     'completed', 'cancelled', 'expired', 'refunded')),
    lines            jsonb NOT NULL,
    subtotal         bigint NOT NULL,
    shipping_cost    bigint NOT NULL,
    total            bigint NOT NULL,
    currency         text NOT NULL,
    shipping_address jsonb NOT NULL,
    payment_status   text,
    courier          text,
    tracking_number  text,
    refunded_amount  bigint,
    placed_at        timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    placed_txid      bigint NOT NULL,
    placed_global    bigint NOT NULL,
    stream_version   bigint NOT NULL,
    payment_version  bigint NOT NULL DEFAULT 0,
    refund_status    text CHECK (refund_status IN ('required', 'refunded', 'owed')),
    payment_refund   jsonb,
    payment_refund_version bigint
);
CREATE INDEX orders_newest ON orders (placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_buyer ON orders (buyer_id, placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_seller ON orders (seller_id, placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_payment ON orders (payment_id);
CREATE INDEX orders_with_refunds ON orders (placed_txid DESC, placed_global DESC)
    WHERE refund_status IS NOT NULL;

CREATE TABLE order_payment_states (
    payment_id     uuid PRIMARY KEY,
    status         text NOT NULL,
    stream_version bigint NOT NULL
);
