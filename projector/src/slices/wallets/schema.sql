-- Tables of one version of the `wallets` projection, created in its schema (`rm_wallets_v<n>`).
-- One row per wallet stream (its balance, from the events' own `balance`), and one row per
-- movement of money (credits positive, debits negative), keyed by the event's stream version.

CREATE TABLE wallets (
    customer_id    uuid PRIMARY KEY,
    balance        bigint NOT NULL,
    currency       text NOT NULL,
    stream_version bigint NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE wallet_movements (
    customer_id    uuid NOT NULL,
    stream_version bigint NOT NULL,
    -- The event's log position: the listing's order and cursor.
    txid           bigint NOT NULL,
    global         bigint NOT NULL,
    -- top_up | order_refund | payment_refund | checkout_payment | checkout_return
    kind           text NOT NULL,
    amount         bigint NOT NULL,
    balance        bigint NOT NULL,
    -- The top-up's payment, the refunded order, the late-settled payment, or the checkout.
    reference_id   uuid NOT NULL,
    at             timestamptz NOT NULL,
    PRIMARY KEY (customer_id, stream_version)
);

CREATE INDEX wallet_movements_newest_first ON wallet_movements (customer_id, txid DESC, global DESC);
