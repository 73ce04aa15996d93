-- Tables of one version of the `wishlists` projection, created in its schema
-- (`rm_wishlists_v<n>`). One row per (buyer, product) ever wished for; a removed one stays as
-- a tombstone (`removed`), so a replayed older event cannot bring it back.

CREATE TABLE wishlist_items (
    customer_id    uuid NOT NULL,
    product_id     uuid NOT NULL,
    price          bigint NOT NULL,
    available      bigint NOT NULL,
    wished_at      timestamptz NOT NULL,
    removed        boolean NOT NULL DEFAULT false,
    stream_version bigint NOT NULL,
    PRIMARY KEY (customer_id, product_id)
);
CREATE INDEX wishlist_items_newest ON wishlist_items (customer_id, wished_at DESC, product_id DESC)
    WHERE NOT removed;
