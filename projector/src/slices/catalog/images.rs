//! The image events of `product-{id}` into `product_images`. Each write is one statement that
//! first moves the product row's `product_version` guard (so a redelivered event changes
//! nothing) and touches the images only if it did.

use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::{ImageThumbnail, ProductEvent};
use uuid::Uuid;

use super::super::{Write, stmt};
use crate::ProjectorError;

/// `sql` after the guard every image write starts with: the product row moves to this
/// event's version (`$1` product, `$2` version, `$3` time), and `bump` has a row only if it did.
macro_rules! guarded {
    ($sql:literal) => {
        concat!(
            "WITH bump AS (
                UPDATE products SET product_version = $2, updated_at = GREATEST(updated_at, $3)
                WHERE id = $1 AND product_version > 0 AND product_version < $2
                RETURNING id) ",
            $sql
        )
    };
}

fn int(event: &RecordedEvent, value: u32) -> Result<i32, ProjectorError> {
    i32::try_from(value).map_err(|_| ProjectorError::undecodable(event, "image size out of range"))
}

/// The statement that records one image event of `product_id`'s stream.
pub(super) fn write(
    event: &RecordedEvent,
    product_id: Uuid,
    image: ProductEvent,
) -> Result<Write, ProjectorError> {
    let version = event.stream_version;
    Ok(match image {
        ProductEvent::ProductImageAdded {
            image_id,
            key,
            content_type,
            width,
            height,
            bytes,
            added_at,
        } => stmt!(
            guarded!(
                "INSERT INTO product_images (product_id, image_id, position, key, content_type,
                     width, height, bytes, added_at)
                 SELECT $1, $4, COALESCE((SELECT max(position) + 1 FROM product_images
                                          WHERE product_id = $1), 0),
                        $5, $6, $7, $8, $9, $3
                 FROM bump ON CONFLICT DO NOTHING"
            ),
            product_id,
            version,
            added_at,
            image_id,
            key,
            content_type,
            int(event, width)?,
            int(event, height)?,
            i64::try_from(bytes).unwrap_or(i64::MAX),
        ),
        ProductEvent::ProductImageThumbnailsMade {
            image_id,
            thumbnails,
            made_at,
        } => thumbnails_write(event, product_id, image_id, thumbnails, made_at)?,
        other => arrangement_write(event, product_id, other)?,
    })
}

/// An image removed, the images reordered or a cover chosen: where each image stands.
fn arrangement_write(
    event: &RecordedEvent,
    product_id: Uuid,
    image: ProductEvent,
) -> Result<Write, ProjectorError> {
    let version = event.stream_version;
    Ok(match image {
        ProductEvent::ProductImageRemoved {
            image_id,
            removed_at,
        } => stmt!(
            guarded!(
                "DELETE FROM product_images
                 WHERE product_id = $1 AND image_id = $4 AND EXISTS (SELECT 1 FROM bump)"
            ),
            product_id,
            version,
            removed_at,
            image_id,
        ),
        ProductEvent::ProductImagesReordered {
            image_ids,
            reordered_at,
        } => stmt!(
            guarded!(
                "UPDATE product_images
                 SET position = COALESCE(array_position($4::uuid[], image_id) - 1, 1000 + position)
                 WHERE product_id = $1 AND EXISTS (SELECT 1 FROM bump)"
            ),
            product_id,
            version,
            reordered_at,
            image_ids,
        ),
        ProductEvent::ProductCoverChosen {
            image_id,
            chosen_at,
        } => stmt!(
            guarded!(
                "UPDATE product_images
                 SET position = (SELECT min(position) - 1 FROM product_images WHERE product_id = $1)
                 WHERE product_id = $1 AND image_id = $4 AND EXISTS (SELECT 1 FROM bump)"
            ),
            product_id,
            version,
            chosen_at,
            image_id,
        ),
        other => {
            return Err(ProjectorError::undecodable(
                event,
                format!("not an image event: {other:?}"),
            ));
        }
    })
}

/// The thumbnails made of an image, smallest first, as the `thumbnails` JSON column.
fn thumbnails_write(
    event: &RecordedEvent,
    product_id: Uuid,
    image_id: Uuid,
    mut thumbnails: Vec<ImageThumbnail>,
    made_at: DateTime<Utc>,
) -> Result<Write, ProjectorError> {
    thumbnails.sort_by_key(|t| t.size);
    let thumbnails =
        serde_json::to_value(&thumbnails).map_err(|e| ProjectorError::undecodable(event, e))?;
    Ok(stmt!(
        guarded!(
            "UPDATE product_images SET thumbnails = $5
             WHERE product_id = $1 AND image_id = $4 AND EXISTS (SELECT 1 FROM bump)"
        ),
        product_id,
        event.stream_version,
        made_at,
        image_id,
        thumbnails,
    ))
}

/// The URL the query API serves a stored object at (`GET /v1/media/{key}`), relative to it.
pub fn media_url(key: &str) -> String {
    format!("/v1/media/{key}")
}
