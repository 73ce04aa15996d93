-- Unpaid checkouts per buyer, for the cap on open checkouts. A checkout adds its row when it
-- answers; the order-flow processor deletes it when the payment settles or fails or the
-- orders close. Rows past expires_at never count, so a missed delete cannot lock a buyer out.
CREATE TABLE checkout_open (
    payment_id uuid PRIMARY KEY,
    buyer_id uuid NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX checkout_open_buyer ON checkout_open (buyer_id, expires_at);
