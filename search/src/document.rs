//! A product as the index keeps it: what the catalog's events say, folded per product.
//!
//! [`ProductDoc`] is plain state with `evolve`-style methods that never fail; each remembers
//! the last applied version of the product and stock streams, so an event delivered twice
//! (delivery is at least once) changes nothing.

use pasar_events::types::{ProductCondition, ProductEvent, ReviewEvent, StockEvent};
use uuid::Uuid;

/// Everything the index stores for one product (document id = product id).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductDoc {
    /// The product id, also the document id.
    pub id: Uuid,
    /// A `ProductListed` has been applied (stock may arrive first).
    pub listed: bool,
    /// A `ProductDiscontinued` has been applied.
    pub discontinued: bool,
    /// The seller is suspended (`CustomerSuspended` of the seller's stream, until
    /// `CustomerReinstated`): not found while it is.
    pub seller_hidden: bool,
    /// Listing name.
    pub name: String,
    /// Listing description.
    pub description: String,
    /// Brand as written by the seller.
    pub brand: Option<String>,
    /// Seller's customer id.
    pub seller_id: Option<Uuid>,
    /// Catalog category.
    pub category_id: Option<Uuid>,
    /// `new`, `used` or `refurbished`.
    pub condition: String,
    /// Price in rupiah.
    pub price: i64,
    /// Units available to sell (from the stock stream).
    pub available: i64,
    /// Listing time, milliseconds since the epoch.
    pub listed_at_ms: i64,
    /// Last applied version of `product-{id}` (0 = none).
    pub product_version: i64,
    /// Last applied version of `stock-{id}` (0 = none).
    pub stock_version: i64,
    /// The product's images in order (the first is the cover), each with the key of its
    /// smallest thumbnail once made.
    pub images: Vec<DocImage>,
    /// Approved reviews and the sum of their ratings (from the review streams).
    pub rating_count: i64,
    pub rating_sum: i64,
    /// Global log position of the last applied review event (0 = none): a product's reviews
    /// are many streams, so the log position, not a stream version, tells a repeat.
    pub review_position: i64,
}

/// An image of a product as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocImage {
    pub id: Uuid,
    /// The key of the smallest thumbnail, once made.
    pub thumbnail: Option<String>,
}

/// The stored name of a condition.
pub fn condition_name(condition: ProductCondition) -> &'static str {
    match condition {
        ProductCondition::New => "new",
        ProductCondition::Used => "used",
        ProductCondition::Refurbished => "refurbished",
    }
}

impl ProductDoc {
    /// An empty document for a product nothing is known about yet.
    pub fn empty(id: Uuid) -> ProductDoc {
        ProductDoc {
            id,
            condition: "new".to_owned(),
            ..ProductDoc::default()
        }
    }

    /// The key of the cover's smallest thumbnail, if the product has a cover with thumbnails.
    pub fn thumbnail_key(&self) -> Option<&str> {
        self.images.first().and_then(|i| i.thumbnail.as_deref())
    }

    /// Searchable: listed, not discontinued, its seller not suspended.
    pub fn active(&self) -> bool {
        self.listed && !self.discontinued && !self.seller_hidden
    }

    /// Hides or shows the product for its seller's suspension; false if nothing changed.
    pub fn set_seller_hidden(&mut self, hidden: bool) -> bool {
        std::mem::replace(&mut self.seller_hidden, hidden) != hidden
    }

    /// Applies an event of `product-{id}` at `version`; false if it was already applied.
    pub fn apply_product(&mut self, version: i64, event: &ProductEvent) -> bool {
        if version <= self.product_version {
            return false;
        }
        self.product_version = version;
        match event {
            ProductEvent::ProductListed {
                seller_id,
                name,
                description,
                price,
                category_id,
                brand,
                condition,
                listed_at,
                ..
            } => {
                self.listed = true;
                self.name.clone_from(name);
                self.description.clone_from(description);
                self.price = price.amount;
                self.category_id = *category_id;
                self.brand = brand.as_ref().map(|b| b.trim().to_owned());
                self.seller_id = Some(*seller_id);
                self.condition = condition_name(*condition).to_owned();
                self.listed_at_ms = listed_at.timestamp_millis();
            }
            ProductEvent::ProductDiscontinued { .. } => self.discontinued = true,
            ProductEvent::ProductReactivated { .. } => self.discontinued = false,
            ProductEvent::ProductRepriced { price, .. } => self.price = price.amount,
            ProductEvent::ProductEdited {
                name,
                description,
                brand,
                condition,
                ..
            } => self.apply_edit(name, description, brand, *condition),
            ProductEvent::ProductCategorised { category_id, .. } => {
                self.category_id = *category_id;
            }
            ProductEvent::ProductLowStockThresholdSet { .. } => {}
            ProductEvent::ProductImageAdded { .. }
            | ProductEvent::ProductImageRemoved { .. }
            | ProductEvent::ProductImagesReordered { .. }
            | ProductEvent::ProductCoverChosen { .. }
            | ProductEvent::ProductImageThumbnailsMade { .. } => self.apply_image(event),
        }
        true
    }

    /// An edit names only what changed.
    fn apply_edit(
        &mut self,
        name: &Option<String>,
        description: &Option<String>,
        brand: &Option<String>,
        condition: Option<ProductCondition>,
    ) {
        if let Some(name) = name {
            self.name.clone_from(name);
        }
        if let Some(description) = description {
            self.description.clone_from(description);
        }
        if let Some(brand) = brand {
            self.brand = Some(brand.trim().to_owned());
        }
        if let Some(condition) = condition {
            self.condition = condition_name(condition).to_owned();
        }
    }

    fn apply_image(&mut self, event: &ProductEvent) {
        match event {
            ProductEvent::ProductImageAdded { image_id, .. } => self.images.push(DocImage {
                id: *image_id,
                thumbnail: None,
            }),
            ProductEvent::ProductImageRemoved { image_id, .. } => {
                self.images.retain(|i| i.id != *image_id);
            }
            ProductEvent::ProductImagesReordered { image_ids, .. } => {
                let position = |id: &Uuid| image_ids.iter().position(|i| i == id);
                self.images
                    .sort_by_key(|i| position(&i.id).unwrap_or(usize::MAX));
            }
            ProductEvent::ProductCoverChosen { image_id, .. } => {
                if let Some(at) = self.images.iter().position(|i| i.id == *image_id) {
                    let cover = self.images.remove(at);
                    self.images.insert(0, cover);
                }
            }
            ProductEvent::ProductImageThumbnailsMade {
                image_id,
                thumbnails,
                ..
            } => {
                let smallest = thumbnails.iter().min_by_key(|t| t.size);
                if let Some(image) = self.images.iter_mut().find(|i| i.id == *image_id) {
                    image.thumbnail = smallest.map(|t| t.key.clone());
                }
            }
            _ => {}
        }
    }

    /// Applies an event of a review of this product at global log `position`; false if it
    /// was already applied or changes nothing public.
    pub fn apply_review(&mut self, position: i64, event: &ReviewEvent) -> bool {
        if position <= self.review_position {
            return false;
        }
        self.review_position = position;
        let (added, removed) = event.summary_change();
        for (rating, sign) in [(added, 1), (removed, -1)] {
            if let Some(rating) = rating {
                self.rating_count += sign;
                self.rating_sum += sign * i64::from(rating);
            }
        }
        true
    }

    /// The mean approved rating to two decimals (0 without any).
    #[expect(clippy::cast_precision_loss, reason = "counts and sums far below 2^52")]
    pub fn rating_average(&self) -> f64 {
        if self.rating_count <= 0 {
            return 0.0;
        }
        (self.rating_sum as f64 / self.rating_count as f64 * 100.0).round() / 100.0
    }

    /// Applies an event of `stock-{id}` at `version`; false if it was already applied.
    pub fn apply_stock(&mut self, version: i64, event: &StockEvent) -> bool {
        if version <= self.stock_version {
            return false;
        }
        self.stock_version = version;
        self.available = match event {
            StockEvent::StockReceived { available, .. }
            | StockEvent::StockAdjusted { available, .. }
            | StockEvent::StockReserved { available, .. }
            | StockEvent::ReservationReleased { available, .. }
            | StockEvent::ReservationCommitted { available, .. }
            | StockEvent::StockReturned { available, .. } => *available,
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use pasar_events::types::ImageThumbnail;

    use super::*;

    fn added(n: u128) -> ProductEvent {
        ProductEvent::ProductImageAdded {
            image_id: Uuid::from_u128(n),
            key: format!("images/{n:064x}.jpg"),
            content_type: "image/jpeg".into(),
            width: 800,
            height: 600,
            bytes: 1,
            added_at: Utc.timestamp_opt(0, 0).unwrap(),
        }
    }

    fn thumbnails_of(n: u128) -> ProductEvent {
        let thumbnail = |size: u32| ImageThumbnail {
            size,
            key: format!("thumbs/{:064x}.jpg", n * 10_000 + u128::from(size)),
            content_type: "image/jpeg".into(),
            width: size,
            height: size * 3 / 4,
        };
        ProductEvent::ProductImageThumbnailsMade {
            image_id: Uuid::from_u128(n),
            thumbnails: vec![thumbnail(480), thumbnail(160)],
            made_at: Utc.timestamp_opt(0, 0).unwrap(),
        }
    }

    #[test]
    fn the_thumbnail_is_the_covers_smallest_once_made_and_follows_the_cover() {
        let mut doc = ProductDoc::empty(Uuid::nil());
        let events = [added(1), added(2), thumbnails_of(2)];
        for (version, event) in (1..).zip(&events) {
            doc.apply_product(version, event);
        }
        assert_eq!(
            doc.thumbnail_key(),
            None,
            "the cover's thumbnails are not made yet"
        );
        doc.apply_product(
            4,
            &ProductEvent::ProductCoverChosen {
                image_id: Uuid::from_u128(2),
                chosen_at: Utc.timestamp_opt(0, 0).unwrap(),
            },
        );
        let smallest = format!("thumbs/{:064x}.jpg", 2 * 10_000 + 160);
        assert_eq!(doc.thumbnail_key(), Some(smallest.as_str()));
        doc.apply_product(
            5,
            &ProductEvent::ProductImageRemoved {
                image_id: Uuid::from_u128(2),
                removed_at: Utc.timestamp_opt(0, 0).unwrap(),
            },
        );
        assert_eq!(doc.thumbnail_key(), None);
        assert!(
            !doc.apply_product(5, &thumbnails_of(1)),
            "an old version is ignored"
        );
    }
}
