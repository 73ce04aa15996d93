-- Tables of one version of the `carts` projection, created in its schema (`rm_carts_v<n>`);
-- see catalog.sql and migrations/001_read_models.sql.

CREATE TABLE carts (
    customer_id    uuid PRIMARY KEY,
    stream_version bigint NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE cart_lines (
    customer_id uuid NOT NULL,
    product_id  uuid NOT NULL,
    quantity    bigint NOT NULL CHECK (quantity > 0),
    added_at    timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, product_id)
);
