-- Tables of one version of the `categories` projection, created in its schema
-- (`rm_categories_v<n>`); see catalog/schema.sql.

CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    parent_id   uuid,
    name        text NOT NULL,
    slug        text NOT NULL,
    retired     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- Version of `categories-tree` that last changed the row (replays never go back).
    version     bigint NOT NULL
);
CREATE INDEX categories_by_parent ON categories (parent_id);
