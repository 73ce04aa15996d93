-- Product images in the catalog (`product_images`, see slices/catalog/schema.sql). New
-- versions get the table from the slice's schema.sql; this adds it to the live and building
-- ones (and the `rm.product_images` view). Images are events of the product stream, which no
-- earlier build wrote, so nothing needs a rebuild.
SELECT rm.alter_projection_tables('catalog',
    'CREATE TABLE IF NOT EXISTS product_images (
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
         PRIMARY KEY (product_id, image_id))');
SELECT rm.alter_projection_tables('catalog',
    'CREATE INDEX IF NOT EXISTS product_images_in_order ON product_images (product_id, position)');
