//! A product's images: added (at most [`MAX_IMAGES`]), removed, reordered, the cover chosen
//! (the cover is always the first image), and their thumbnails recorded once each.
//!
//! The bytes never come here: the command API checks, re-encodes and stores each image first,
//! then asks to record what it stored.

use chrono::{DateTime, Utc};
use pasar_events::types::{ImageThumbnail, ProductEvent};
use uuid::Uuid;

use super::{Product, ProductError};
use crate::FieldError;

/// Most images one product may have.
pub const MAX_IMAGES: usize = 12;
/// Most images one upload may add.
pub const MAX_IMAGES_PER_UPLOAD: usize = 10;

/// One image of a product, in the product's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductImage {
    pub image_id: Uuid,
    pub key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Empty until the thumbnails processor recorded them.
    pub thumbnails: Vec<ImageThumbnail>,
}

/// An image the command API stored, to be recorded on the product.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredImage {
    pub image_id: Uuid,
    pub key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// The image commands of [`super::ProductCommand`].
#[derive(Debug, Clone, PartialEq)]
pub enum ImageCommand {
    Add {
        images: Vec<StoredImage>,
        now: DateTime<Utc>,
    },
    Remove {
        image_id: Uuid,
        now: DateTime<Utc>,
    },
    /// Every image of the product, each once, in the new order.
    Reorder {
        image_ids: Vec<Uuid>,
        now: DateTime<Utc>,
    },
    ChooseCover {
        image_id: Uuid,
        now: DateTime<Utc>,
    },
    /// Recorded once per image: an image that already has them, or was removed meanwhile,
    /// records nothing.
    RecordThumbnails {
        image_id: Uuid,
        thumbnails: Vec<ImageThumbnail>,
        now: DateTime<Utc>,
    },
}

impl Product {
    /// The image `image_id`, if the product has it.
    pub fn image(&self, image_id: Uuid) -> Option<&ProductImage> {
        self.images.iter().find(|i| i.image_id == image_id)
    }

    pub(super) fn decide_image(
        &self,
        command: &ImageCommand,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        if !self.listed {
            return Err(ProductError::NotListed);
        }
        match command {
            ImageCommand::Add { images, now } => self.add_images(images, *now),
            ImageCommand::Remove { image_id, now } => {
                self.known(*image_id)?;
                Ok(vec![ProductEvent::ProductImageRemoved {
                    image_id: *image_id,
                    removed_at: *now,
                }])
            }
            ImageCommand::Reorder { image_ids, now } => self.reorder(image_ids, *now),
            ImageCommand::ChooseCover { image_id, now } => {
                self.known(*image_id)?;
                if self.images.first().map(|i| i.image_id) == Some(*image_id) {
                    return Ok(Vec::new());
                }
                Ok(vec![ProductEvent::ProductCoverChosen {
                    image_id: *image_id,
                    chosen_at: *now,
                }])
            }
            ImageCommand::RecordThumbnails {
                image_id,
                thumbnails,
                now,
            } => Ok(match self.image(*image_id) {
                Some(image) if image.thumbnails.is_empty() && !thumbnails.is_empty() => {
                    vec![ProductEvent::ProductImageThumbnailsMade {
                        image_id: *image_id,
                        thumbnails: thumbnails.clone(),
                        made_at: *now,
                    }]
                }
                _ => Vec::new(),
            }),
        }
    }

    fn known(&self, image_id: Uuid) -> Result<(), ProductError> {
        match self.image(image_id) {
            Some(_) => Ok(()),
            None => Err(ProductError::ImageNotFound),
        }
    }

    fn add_images(
        &self,
        images: &[StoredImage],
        now: DateTime<Utc>,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        if images.is_empty() || images.len() > MAX_IMAGES_PER_UPLOAD {
            return Err(ProductError::Invalid(vec![FieldError::new(
                "files",
                format!("must be 1 to {MAX_IMAGES_PER_UPLOAD} images"),
            )]));
        }
        if self.images.len() + images.len() > MAX_IMAGES {
            return Err(ProductError::TooManyImages {
                max: MAX_IMAGES,
                has: self.images.len(),
            });
        }
        Ok(images
            .iter()
            .map(|i| ProductEvent::ProductImageAdded {
                image_id: i.image_id,
                key: i.key.clone(),
                content_type: i.content_type.clone(),
                width: i.width,
                height: i.height,
                bytes: i.bytes,
                added_at: now,
            })
            .collect())
    }

    fn reorder(
        &self,
        image_ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        let mut given = image_ids.to_vec();
        given.sort_unstable();
        given.dedup();
        let mut current: Vec<Uuid> = self.images.iter().map(|i| i.image_id).collect();
        current.sort_unstable();
        if given.len() != image_ids.len() || given != current {
            return Err(ProductError::Invalid(vec![FieldError::new(
                "image_ids",
                "must name every image of the product exactly once",
            )]));
        }
        if self
            .images
            .iter()
            .map(|i| i.image_id)
            .eq(image_ids.iter().copied())
        {
            return Ok(Vec::new());
        }
        Ok(vec![ProductEvent::ProductImagesReordered {
            image_ids: image_ids.to_vec(),
            reordered_at: now,
        }])
    }

    /// Records an image event; never fails (history must replay).
    pub(super) fn evolve_image(&mut self, event: &ProductEvent) {
        match event {
            ProductEvent::ProductImageAdded {
                image_id,
                key,
                content_type,
                width,
                height,
                bytes,
                ..
            } => self.images.push(ProductImage {
                image_id: *image_id,
                key: key.clone(),
                content_type: content_type.clone(),
                width: *width,
                height: *height,
                bytes: *bytes,
                thumbnails: Vec::new(),
            }),
            ProductEvent::ProductImageRemoved { image_id, .. } => {
                self.images.retain(|i| i.image_id != *image_id);
            }
            ProductEvent::ProductImagesReordered { image_ids, .. } => {
                let position = |id: &Uuid| image_ids.iter().position(|i| i == id);
                // Unnamed images (none, by the rule) keep their place after the named ones.
                self.images
                    .sort_by_key(|i| position(&i.image_id).unwrap_or(usize::MAX));
            }
            ProductEvent::ProductCoverChosen { image_id, .. } => {
                if let Some(at) = self.images.iter().position(|i| i.image_id == *image_id) {
                    let cover = self.images.remove(at);
                    self.images.insert(0, cover);
                }
            }
            ProductEvent::ProductImageThumbnailsMade {
                image_id,
                thumbnails,
                ..
            } => {
                if let Some(image) = self.images.iter_mut().find(|i| i.image_id == *image_id) {
                    image.thumbnails = thumbnails.clone();
                }
            }
            _ => {}
        }
    }
}
