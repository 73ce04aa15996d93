-- Email notifications (processes/notifications/). The first three tables are what the
-- processor knows about the people and things it writes about, fed in its batch transaction
-- (so they are exactly as far as its checkpoint); the fourth records each mail it sends,
-- written outside that transaction (so a send survives a rolled-back batch).

-- Who can be written to: every registered account (buyers and sellers), with the language of
-- their mails ('id' unless they chose English; `facts::set_locale`).
CREATE TABLE notification_recipients (
    customer_id uuid PRIMARY KEY,
    email       text NOT NULL,
    full_name   text NOT NULL,
    locale      text NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en'))
);

-- Each order as placed, for the mails of its later events (which carry no buyer or lines).
CREATE TABLE notification_orders (
    order_id         uuid PRIMARY KEY,
    buyer_id         uuid NOT NULL,
    seller_id        uuid NOT NULL,
    lines            jsonb NOT NULL,
    total            bigint NOT NULL,
    shipping_address jsonb NOT NULL
);

-- Each product's seller, name, low-stock threshold (NULL: the default) and the units available
-- after its last stock event (NULL before any), to see stock cross the threshold downwards.
CREATE TABLE notification_products (
    product_id          uuid PRIMARY KEY,
    seller_id           uuid NOT NULL,
    sku                 text NOT NULL,
    name                text NOT NULL,
    low_stock_threshold bigint,
    available           bigint
);

-- One row per mail: (event, kind) is the mail's identity, and its Message-ID derives from it.
-- `sending` is claimed and committed before the SMTP transaction; `sent` once the server
-- accepted it; `failed` when the server or the connection refused it (sent again on the
-- retry); `uncertain` when a claim was found still `sending` after a crash (the process died
-- between claim and record, maybe after the server accepted): never sent again, for a human
-- to check against the SMTP server's log by Message-ID.
CREATE TABLE notification_sends (
    event_id   uuid NOT NULL,
    kind       text NOT NULL,
    recipient  text NOT NULL,
    message_id text NOT NULL,
    state      text NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'uncertain')),
    attempts   integer NOT NULL DEFAULT 1,
    last_error text,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    PRIMARY KEY (event_id, kind)
);
CREATE INDEX notification_sends_open ON notification_sends (state) WHERE state <> 'sent';

-- Events recorded before mails existed are history: the processor learns from them but
-- mails nothing about them (a deployment must not mail every past order). One row, the moment
-- this migration ran.
CREATE TABLE notification_cutoff (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    since timestamptz NOT NULL DEFAULT now()
);
INSERT INTO notification_cutoff DEFAULT VALUES;
