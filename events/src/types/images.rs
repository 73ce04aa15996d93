//! Values carried by the product-image events of `product-{id}` (see [`super::ProductEvent`]).

use serde::{Deserialize, Serialize};

/// One stored thumbnail of a product image: `size` is the requested long side in pixels,
/// `width` × `height` what was made (never larger than the original).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageThumbnail {
    pub size: u32,
    pub key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
}
