-- Read models (schema `rm`), written only by the projector and read by the query API.
-- Applied once, in order, recorded in rm.schema_migrations. Never edit this file once it has
-- been applied anywhere; add 002_….sql instead.
--
-- Every row remembers the last stream version it applied (`*_version` columns): delivery is at
-- least once, so a handler skips an event whose version the row has already seen. Timestamps
-- come from the events (recorded_at or the event's own time), never from now(), so a replay
-- writes the same rows.

-- One row per projection: the log position its read-model rows cover. Advanced in the same
-- transaction as those rows, compare-and-set on the old value.
CREATE TABLE rm.projection_checkpoints (
    name       text PRIMARY KEY,
    txid       bigint NOT NULL DEFAULT 0,
    global     bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- catalog: product streams and stock streams meet here. The two streams are independent, so a
-- stock event may (in principle) arrive before its ProductListed: such a row has the stock
-- figures and a NULL status until the product itself is projected. Readers show only rows
-- whose status is set.
CREATE TABLE rm.products (
    id              uuid PRIMARY KEY,
    seller_id       uuid,
    sku             text,
    name            text,
    description     text,
    price           bigint,
    currency        text,
    category_id     uuid,
    brand           text,
    weight_grams    integer,
    status          text CHECK (status IN ('active', 'discontinued')),
    on_hand         bigint NOT NULL DEFAULT 0,
    available       bigint NOT NULL DEFAULT 0,
    created_at      timestamptz,
    updated_at      timestamptz NOT NULL,
    -- Log position of ProductListed: a unique, stable key for newest-first keyset pagination.
    listed_txid     bigint,
    listed_global   bigint,
    product_version bigint NOT NULL DEFAULT 0,
    stock_version   bigint NOT NULL DEFAULT 0
);
CREATE INDEX products_newest ON rm.products (listed_txid DESC, listed_global DESC) WHERE status = 'active';
CREATE INDEX products_by_seller ON rm.products (seller_id, listed_txid DESC, listed_global DESC);
CREATE INDEX products_by_category ON rm.products (category_id, listed_txid DESC, listed_global DESC);
CREATE INDEX products_by_price ON rm.products (price, id) WHERE status = 'active';

-- carts: the version guard lives on the cart, not on its lines, because lines get deleted.
CREATE TABLE rm.carts (
    customer_id    uuid PRIMARY KEY,
    stream_version bigint NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE rm.cart_lines (
    customer_id uuid NOT NULL,
    product_id  uuid NOT NULL,
    quantity    bigint NOT NULL CHECK (quantity > 0),
    added_at    timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, product_id)
);

-- orders: buyer, seller and admin views are the same rows filtered by buyer_id / seller_id.
-- `lines` holds [{product_id, sku, name, unit_price, quantity, line_total}] with integer
-- minor units, ready to serve.
CREATE TABLE rm.orders (
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
    -- Log position of OrderPlaced: keyset pagination, newest first.
    placed_txid      bigint NOT NULL,
    placed_global    bigint NOT NULL,
    stream_version   bigint NOT NULL,
    -- Version of the payment stream behind payment_status.
    payment_version  bigint NOT NULL DEFAULT 0
);
CREATE INDEX orders_newest ON rm.orders (placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_buyer ON rm.orders (buyer_id, placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_seller ON rm.orders (seller_id, placed_txid DESC, placed_global DESC);
CREATE INDEX orders_by_payment ON rm.orders (payment_id);

-- The orders projection's own record of each payment's status, so that an order projected
-- after its payment moved on still starts with the right payment_status. (The payments table
-- below belongs to another projection that may be ahead or behind; reading it here would race.)
CREATE TABLE rm.order_payment_states (
    payment_id     uuid PRIMARY KEY,
    status         text NOT NULL,
    stream_version bigint NOT NULL
);

-- payments: one row per payment stream (one Midtrans transaction per checkout).
CREATE TABLE rm.payments (
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
CREATE INDEX payments_by_buyer ON rm.payments (buyer_id);
