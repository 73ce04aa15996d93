-- Tables of one version of the `customers` projection, created in its schema
-- (`rm_customers_v<n>`). One row per registered account, for the admins' list: who it is, its
-- role and whether it is suspended. No password hash, token or session is ever read into it.

CREATE TABLE customers (
    id                uuid PRIMARY KEY,
    email             text NOT NULL,
    full_name         text NOT NULL,
    role              text NOT NULL,
    state             text NOT NULL CHECK (state IN ('active', 'suspended')),
    suspension_reason text,
    suspended_at      timestamptz,
    registered_at     timestamptz NOT NULL,
    -- Log position of the registration: the list's order (newest first) and cursor.
    registered_txid   bigint NOT NULL,
    registered_global bigint NOT NULL,
    stream_version    bigint NOT NULL
);
CREATE INDEX customers_newest ON customers (registered_txid DESC, registered_global DESC);
CREATE INDEX customers_by_email ON customers (lower(email));
