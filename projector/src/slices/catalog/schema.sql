-- Tables of one version of the `catalog` projection. Run with search_path set to the version's
-- schema (`rm_catalog_v<n>`), so names are unqualified. Must stay column-for-column the shape
-- the live version has (see registry.rs: a rebuild re-points `rm.products` at the new table).
-- For what each column means see migrations/001_read_models.sql.

CREATE TABLE products (
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
    listed_txid     bigint,
    listed_global   bigint,
    product_version bigint NOT NULL DEFAULT 0,
    stock_version   bigint NOT NULL DEFAULT 0,
    low_stock_threshold bigint,
    -- The seller is suspended: hidden from listings, product pages and counts.
    seller_hidden   boolean NOT NULL DEFAULT false
);
CREATE INDEX products_newest ON products (listed_txid DESC, listed_global DESC) WHERE status = 'active';
CREATE INDEX products_by_seller ON products (seller_id, listed_txid DESC, listed_global DESC);
CREATE INDEX products_by_category ON products (category_id, listed_txid DESC, listed_global DESC);
CREATE INDEX products_by_price ON products (price, id) WHERE status = 'active';

-- A product's images (see images.rs): `position` orders them, the lowest is the cover;
-- `thumbnails` (JSON array of {size, key, content_type, width, height}, smallest first) is
-- null while the thumbnails processor has not made them. Guarded by products.product_version.
CREATE TABLE product_images (
    product_id   uuid NOT NULL,
    image_id     uuid NOT NULL,
    position     integer NOT NULL,
    key          text NOT NULL,
    content_type text NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    bytes        bigint NOT NULL,
    thumbnails   jsonb,
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (product_id, image_id)
);
CREATE INDEX product_images_in_order ON product_images (product_id, position);
