-- Tables of one version of the `sellers` projection, created in its schema (`rm_sellers_v<n>`).
-- One row per account: its role and, for sellers, the store profile.

CREATE TABLE sellers (
    seller_id      uuid PRIMARY KEY,
    role           text NOT NULL,
    store_name     text,
    description    text,
    origin_id      bigint,
    origin_label   text,
    profile_set_at timestamptz,
    stream_version bigint NOT NULL
);
