//! The tantivy schema and the mapping between [`ProductDoc`] and stored documents.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{TantivyDocument, Term};
use uuid::Uuid;

use crate::analyzer::TOKENIZER_NAME;
use crate::document::ProductDoc;

/// Handles of every field, resolved once.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub id_hi: Field,
    pub id_lo: Field,
    pub active: Field,
    pub name: Field,
    pub brand_text: Field,
    pub description: Field,
    pub brand: Field,
    pub brand_key: Field,
    pub seller: Field,
    pub category: Field,
    pub condition: Field,
    pub price: Field,
    pub available: Field,
    pub listed_at: Field,
    pub product_version: Field,
    pub stock_version: Field,
    /// Bit 0: listed; bit 1: discontinued; bit 2: the seller is suspended.
    pub state: Field,
    /// The images (JSON of [`crate::document::DocImage`]), stored only.
    pub images: Field,
    /// Approved reviews, the sum of their ratings, the last review event's log position.
    pub rating_count: Field,
    pub rating_sum: Field,
    pub review_position: Field,
}

/// Fast-field names the collector reads.
pub mod names {
    pub const ID_HI: &str = "id_hi";
    pub const ID_LO: &str = "id_lo";
    pub const PRICE: &str = "price";
    pub const LISTED_AT: &str = "listed_at";
    pub const BRAND: &str = "brand";
    pub const CATEGORY: &str = "category";
    pub const CONDITION: &str = "condition";
}

fn text(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqs);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        id_hi: b.add_u64_field(names::ID_HI, FAST),
        id_lo: b.add_u64_field(names::ID_LO, FAST),
        active: b.add_u64_field("active", INDEXED),
        name: b.add_text_field("name", text(true)),
        brand_text: b.add_text_field("brand_text", text(false)),
        description: b.add_text_field("description", text(true)),
        brand: b.add_text_field(names::BRAND, STRING | FAST | STORED),
        brand_key: b.add_text_field("brand_key", STRING),
        seller: b.add_text_field("seller", STRING | STORED),
        category: b.add_text_field(names::CATEGORY, STRING | FAST | STORED),
        condition: b.add_text_field(names::CONDITION, STRING | FAST | STORED),
        price: b.add_i64_field(names::PRICE, INDEXED | FAST | STORED),
        available: b.add_i64_field("available", INDEXED | STORED),
        listed_at: b.add_i64_field(names::LISTED_AT, FAST | STORED),
        product_version: b.add_i64_field("product_version", STORED),
        stock_version: b.add_i64_field("stock_version", STORED),
        state: b.add_u64_field("state", STORED),
        images: b.add_text_field("images", STORED),
        rating_count: b.add_i64_field("rating_count", STORED),
        rating_sum: b.add_i64_field("rating_sum", STORED),
        review_position: b.add_i64_field("review_position", STORED),
    };
    (b.build(), fields)
}

/// The folded key brand filters compare.
pub fn brand_key(brand: &str) -> String {
    crate::analyzer::query_forms(brand).join(" ")
}

impl Fields {
    /// The term that identifies a product's document.
    pub fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.id, &id.to_string())
    }

    /// The stored form of a product.
    pub fn to_document(&self, p: &ProductDoc) -> TantivyDocument {
        let (hi, lo) = split_id(p.id);
        let mut d = TantivyDocument::default();
        d.add_text(self.id, p.id.to_string());
        d.add_u64(self.id_hi, hi);
        d.add_u64(self.id_lo, lo);
        d.add_u64(self.active, u64::from(p.active()));
        d.add_text(self.name, &p.name);
        d.add_text(self.description, &p.description);
        if let Some(brand) = &p.brand {
            d.add_text(self.brand_text, brand);
            d.add_text(self.brand, brand);
            d.add_text(self.brand_key, brand_key(brand));
        }
        if let Some(seller) = p.seller_id {
            d.add_text(self.seller, seller.to_string());
        }
        if let Some(category) = p.category_id {
            d.add_text(self.category, category.to_string());
        }
        d.add_text(self.condition, &p.condition);
        d.add_i64(self.price, p.price);
        d.add_i64(self.available, p.available);
        d.add_i64(self.listed_at, p.listed_at_ms);
        d.add_i64(self.product_version, p.product_version);
        d.add_i64(self.stock_version, p.stock_version);
        d.add_u64(
            self.state,
            u64::from(p.listed)
                | (u64::from(p.discontinued) << 1)
                | (u64::from(p.seller_hidden) << 2),
        );
        d.add_i64(self.rating_count, p.rating_count);
        d.add_i64(self.rating_sum, p.rating_sum);
        d.add_i64(self.review_position, p.review_position);
        if !p.images.is_empty() {
            let images = serde_json::to_string(&p.images).unwrap_or_default();
            d.add_text(self.images, images);
        }
        d
    }

    /// Reads a product back from its stored form (missing fields read as empty).
    pub fn from_document(&self, d: &TantivyDocument) -> ProductDoc {
        let text = |f: Field| d.get_first(f).and_then(|v| v.as_str()).map(str::to_owned);
        let int = |f: Field| d.get_first(f).and_then(|v| v.as_i64()).unwrap_or(0);
        let uuid = |f: Field| text(f).and_then(|s| s.parse::<Uuid>().ok());
        let state = d
            .get_first(self.state)
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        ProductDoc {
            id: uuid(self.id).unwrap_or_default(),
            listed: state & 1 == 1,
            discontinued: state & 2 == 2,
            seller_hidden: state & 4 == 4,
            name: text(self.name).unwrap_or_default(),
            description: text(self.description).unwrap_or_default(),
            brand: text(self.brand),
            seller_id: uuid(self.seller),
            category_id: uuid(self.category),
            condition: text(self.condition).unwrap_or_else(|| "new".to_owned()),
            price: int(self.price),
            available: int(self.available),
            listed_at_ms: int(self.listed_at),
            product_version: int(self.product_version),
            stock_version: int(self.stock_version),
            images: text(self.images)
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            rating_count: int(self.rating_count),
            rating_sum: int(self.rating_sum),
            review_position: int(self.review_position),
        }
    }
}

/// The two halves of a product id, compared in this order to break ties.
pub fn split_id(id: Uuid) -> (u64, u64) {
    let n = id.as_u128();
    ((n >> 64) as u64, n as u64)
}

/// The product id from its halves.
pub fn join_id(hi: u64, lo: u64) -> Uuid {
    Uuid::from_u128((u128::from(hi) << 64) | u128::from(lo))
}
