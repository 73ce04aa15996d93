-- Tables of one version of the `reviews` projection, created in its schema (`rm_reviews_v<n>`).
-- One row per review (every status: the moderation queue reads the pending ones), and each
-- product's public rating summary, recomputed from its approved reviews on every change.

CREATE TABLE reviews (
    id             uuid PRIMARY KEY,
    product_id     uuid NOT NULL,
    order_id       uuid NOT NULL,
    author_id      uuid NOT NULL,
    rating         smallint NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    status         text NOT NULL,
    reject_reason  text,
    helpful        bigint NOT NULL DEFAULT 0,
    submitted_at   timestamptz NOT NULL,
    edited_at      timestamptz,
    moderated_at   timestamptz,
    stream_version bigint NOT NULL
);
CREATE INDEX reviews_newest ON reviews (product_id, submitted_at DESC, id DESC)
    WHERE status = 'approved';
CREATE INDEX reviews_helpful ON reviews (product_id, helpful DESC, submitted_at DESC, id DESC)
    WHERE status = 'approved';
CREATE INDEX reviews_moderation ON reviews (status, submitted_at, id);

CREATE TABLE product_ratings (
    product_id   uuid PRIMARY KEY,
    rating_count bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    rating_1     bigint NOT NULL,
    rating_2     bigint NOT NULL,
    rating_3     bigint NOT NULL,
    rating_4     bigint NOT NULL,
    rating_5     bigint NOT NULL
);
