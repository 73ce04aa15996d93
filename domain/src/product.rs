//! A product listed by a seller (`product-{id}`).
//!
//! SKU uniqueness is not decided here: the caller claims `sku-{normalize_sku(sku)}` before
//! listing. Stock lives in its own stream ([`crate::stock`]).

use chrono::{DateTime, Utc};
use pasar_events::types::{Currency, Money, ProductCondition, ProductEvent, Role};
use uuid::Uuid;

use crate::{Aggregate, FieldError, char_len};

mod edit;
mod images;

use edit::Edits;
pub use images::{ImageCommand, MAX_IMAGES, MAX_IMAGES_PER_UPLOAD, ProductImage, StoredImage};

pub const MAX_SKU_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_BRAND_CHARS: usize = 100;
/// Highest price in minor units (one trillion rupiah).
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// Heaviest product, in grams (one tonne).
pub const MAX_WEIGHT_GRAMS: i32 = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub listed: bool,
    pub product_id: Uuid,
    pub seller_id: Uuid,
    /// As the seller typed it (trimmed); compare with [`normalize_sku`].
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub category_id: Option<Uuid>,
    pub brand: Option<String>,
    pub weight_grams: i32,
    pub condition: ProductCondition,
    pub listed_at: Option<DateTime<Utc>>,
    pub discontinued: bool,
    pub discontinued_at: Option<DateTime<Utc>>,
    /// Set by the seller; the dashboard's default applies while `None`.
    pub low_stock_threshold: Option<i64>,
    /// In the product's order; the first is the cover.
    pub images: Vec<ProductImage>,
}

impl Default for Product {
    fn default() -> Self {
        Product {
            listed: false,
            product_id: Uuid::nil(),
            seller_id: Uuid::nil(),
            sku: String::new(),
            name: String::new(),
            description: String::new(),
            price: Money::zero(Currency::IDR),
            category_id: None,
            brand: None,
            weight_grams: 0,
            condition: ProductCondition::New,
            listed_at: None,
            discontinued: false,
            discontinued_at: None,
            low_stock_threshold: None,
            images: Vec::new(),
        }
    }
}

impl Product {
    /// Admins manage every product; a seller manages only the products they listed.
    pub fn can_be_managed_by(&self, actor_id: Uuid, role: Role) -> bool {
        match role {
            Role::Admin => true,
            Role::Seller => self.listed && self.seller_id == actor_id,
            Role::Buyer => false,
        }
    }

    /// Listed and not discontinued: it may be put in a cart and bought.
    pub fn is_on_sale(&self) -> bool {
        self.listed && !self.discontinued
    }
}

/// The SKU's identity: trimmed and uppercased, so `abc-1` and ` ABC-1` collide.
pub fn normalize_sku(sku: &str) -> String {
    sku.trim().to_uppercase()
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProductCommand {
    List {
        product_id: Uuid,
        seller_id: Uuid,
        sku: String,
        name: String,
        description: String,
        price: Money,
        category_id: Option<Uuid>,
        brand: Option<String>,
        weight_grams: i32,
        condition: ProductCondition,
        now: DateTime<Utc>,
    },
    Discontinue {
        now: DateTime<Utc>,
    },
    /// Puts a discontinued product back on sale.
    Reactivate {
        now: DateTime<Utc>,
    },
    /// Changes what is given (`None`: unchanged). A price change is its own event
    /// (`ProductRepriced`), the rest one `ProductEdited` naming only what changed; nothing
    /// changed, no event.
    Edit {
        name: Option<String>,
        description: Option<String>,
        price: Option<Money>,
        brand: Option<String>,
        weight_grams: Option<i32>,
        condition: Option<ProductCondition>,
        /// `Some(None)` takes the product out of its category. The caller has checked that a
        /// given category exists and is active.
        category: Option<Option<Uuid>>,
        low_stock_threshold: Option<i64>,
        now: DateTime<Utc>,
    },
    /// Adding, removing, reordering images, choosing the cover, recording thumbnails.
    Image(ImageCommand),
}

/// Why a product command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProductError {
    /// Fields broke their rules; every invalid field is named.
    #[error("invalid product: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    #[error("the product is already listed")]
    AlreadyListed,
    #[error("the product is not listed")]
    NotListed,
    #[error("the product is already discontinued")]
    AlreadyDiscontinued,
    #[error("a product has at most {max} images (it has {has})")]
    TooManyImages { max: usize, has: usize },
    #[error("the product has no such image")]
    ImageNotFound,
}

fn describe(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect();
    parts.join("; ")
}

impl Aggregate for Product {
    type Event = ProductEvent;
    type Command = ProductCommand;
    type Error = ProductError;

    fn decide(&self, command: &ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        match command {
            ProductCommand::List { .. } if self.listed => Err(ProductError::AlreadyListed),
            ProductCommand::List {
                product_id,
                seller_id,
                sku,
                name,
                description,
                price,
                category_id,
                brand,
                weight_grams,
                condition,
                now,
            } => {
                let (sku, name) = (sku.trim(), name.trim());
                let brand = brand.as_deref().map(str::trim).filter(|b| !b.is_empty());
                let errors = listing_errors(sku, name, description, *price, brand, *weight_grams);
                if !errors.is_empty() {
                    return Err(ProductError::Invalid(errors));
                }
                Ok(vec![ProductEvent::ProductListed {
                    product_id: *product_id,
                    seller_id: *seller_id,
                    sku: sku.to_owned(),
                    name: name.to_owned(),
                    description: description.clone(),
                    price: *price,
                    category_id: *category_id,
                    brand: brand.map(str::to_owned),
                    weight_grams: *weight_grams,
                    condition: *condition,
                    listed_at: *now,
                }])
            }
            ProductCommand::Discontinue { now } => self.discontinue(*now),
            ProductCommand::Reactivate { now } => self.reactivate(*now),
            ProductCommand::Edit { now, .. } => self.edit(Edits::given(command), *now),
            ProductCommand::Image(command) => self.decide_image(command),
        }
    }

    fn evolve(mut self, event: &ProductEvent) -> Self {
        match event.clone() {
            ProductEvent::ProductListed {
                product_id,
                seller_id,
                sku,
                name,
                description,
                price,
                category_id,
                brand,
                weight_grams,
                condition,
                listed_at,
            } => {
                self = Product {
                    condition,
                    listed: true,
                    product_id,
                    seller_id,
                    sku,
                    name,
                    description,
                    price,
                    category_id,
                    brand,
                    weight_grams,
                    listed_at: Some(listed_at),
                    ..self
                };
            }
            ProductEvent::ProductDiscontinued { discontinued_at } => {
                self.discontinued = true;
                self.discontinued_at = Some(discontinued_at);
            }
            ProductEvent::ProductReactivated { .. } => {
                self.discontinued = false;
                self.discontinued_at = None;
            }
            ProductEvent::ProductRepriced { .. }
            | ProductEvent::ProductEdited { .. }
            | ProductEvent::ProductCategorised { .. }
            | ProductEvent::ProductLowStockThresholdSet { .. } => self.evolve_edit(event),
            ProductEvent::ProductImageAdded { .. }
            | ProductEvent::ProductImageRemoved { .. }
            | ProductEvent::ProductImagesReordered { .. }
            | ProductEvent::ProductCoverChosen { .. }
            | ProductEvent::ProductImageThumbnailsMade { .. } => self.evolve_image(event),
        }
        self
    }
}

impl Product {
    fn discontinue(&self, now: DateTime<Utc>) -> Result<Vec<ProductEvent>, ProductError> {
        if !self.listed {
            return Err(ProductError::NotListed);
        }
        if self.discontinued {
            return Err(ProductError::AlreadyDiscontinued);
        }
        Ok(vec![ProductEvent::ProductDiscontinued {
            discontinued_at: now,
        }])
    }
}

/// Every rule a listing breaks, not just the first, so the client can fix them all at once.
/// Text fields arrive trimmed.
/// Every field of a listing that breaks its rule, each named (free text must also be free of
/// control characters).
pub fn listing_errors(
    sku: &str,
    name: &str,
    description: &str,
    price: Money,
    brand: Option<&str>,
    weight_grams: i32,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let sku_chars_ok = sku
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !(1..=MAX_SKU_CHARS).contains(&char_len(sku)) || !sku_chars_ok {
        let message =
            format!("must be 1 to {MAX_SKU_CHARS} characters of A-Z, a-z, 0-9, '-', '_', '.'");
        errors.push(FieldError::new("sku", message));
    }
    if !(1..=MAX_NAME_CHARS).contains(&char_len(name)) {
        errors.push(FieldError::new(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if char_len(description) > MAX_DESCRIPTION_CHARS {
        let message = format!("must be at most {MAX_DESCRIPTION_CHARS} characters");
        errors.push(FieldError::new("description", message));
    }
    if !(1..=MAX_PRICE).contains(&price.amount) {
        errors.push(FieldError::new(
            "price",
            format!("must be between 1 and {MAX_PRICE}"),
        ));
    }
    if !(1..=MAX_WEIGHT_GRAMS).contains(&weight_grams) {
        let message = format!("must be between 1 and {MAX_WEIGHT_GRAMS} grams");
        errors.push(FieldError::new("weight_grams", message));
    }
    if brand.is_some_and(|b| char_len(b) > MAX_BRAND_CHARS) {
        errors.push(FieldError::new(
            "brand",
            format!("must be at most {MAX_BRAND_CHARS} characters"),
        ));
    }
    let texts = [
        ("name", name),
        ("description", description),
        ("brand", brand.unwrap_or("")),
    ];
    for (field, text) in texts {
        if crate::values::has_control(text) && !errors.iter().any(|e| e.field == field) {
            errors.push(crate::values::ValueError::ControlCharacter.at(field));
        }
    }
    errors
}
