//! What a search asks for and answers, its validation, and the opaque cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use uuid::Uuid;

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Largest accepted page size.
pub const MAX_LIMIT: usize = 100;

/// Order of the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first (words, then exactness, then field, then BM25), ties by product id.
    #[default]
    Relevance,
    /// Cheapest first, ties by product id.
    PriceAsc,
    /// Dearest first, ties by product id.
    PriceDesc,
    /// Most recently listed first, ties by product id.
    Newest,
}

impl std::str::FromStr for SortOrder {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "relevance" => Ok(SortOrder::Relevance),
            "price_asc" => Ok(SortOrder::PriceAsc),
            "price_desc" => Ok(SortOrder::PriceDesc),
            "newest" => Ok(SortOrder::Newest),
            _ => Err(invalid(
                "sort",
                "expected relevance, price_asc, price_desc or newest",
            )),
        }
    }
}

/// One search: the text, the listing filters, the order and the page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchRequest {
    /// Free text; every character is text (no query syntax).
    pub q: String,
    /// Any of these categories (the caller expands subcategories).
    pub category_ids: Vec<Uuid>,
    /// Brand, compared case- and accent-insensitively.
    pub brand: Option<String>,
    /// Only this seller's products.
    pub seller_id: Option<Uuid>,
    /// Lowest price in rupiah, inclusive.
    pub min_price: Option<i64>,
    /// Highest price in rupiah, inclusive.
    pub max_price: Option<i64>,
    /// `new`, `used` or `refurbished`.
    pub condition: Option<String>,
    /// Only products with units available.
    pub in_stock: bool,
    /// Order of the hits.
    pub sort: SortOrder,
    /// Page size, 1..=[`MAX_LIMIT`]; 0 means 20.
    pub limit: usize,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Bad input (422): which field and why.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The index failed (500).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// An event could not be decoded (500; the batch is not applied).
    #[error("decoding event: {0}")]
    Decode(#[from] pasar_events::EventDecodeError),
    /// A file operation failed (500).
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for [`SearchError::Invalid`].
pub fn invalid(field: &'static str, reason: &str) -> SearchError {
    SearchError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

impl SearchRequest {
    /// A relevance search for `q` with default paging.
    pub fn text(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.to_owned(),
            ..SearchRequest::default()
        }
    }

    /// The page size to use, or why it is rejected.
    pub fn validate(&self) -> Result<usize, SearchError> {
        if self.q.trim().is_empty() {
            return Err(invalid("q", "must not be empty"));
        }
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid("q", "must be at most 500 characters"));
        }
        if let (Some(min), Some(max)) = (self.min_price, self.max_price)
            && min > max
        {
            return Err(invalid("min_price", "must not exceed max_price"));
        }
        if self.min_price.is_some_and(|p| p < 0) || self.max_price.is_some_and(|p| p < 0) {
            return Err(invalid("min_price", "prices are not negative"));
        }
        if let Some(c) = &self.condition
            && !["new", "used", "refurbished"].contains(&c.as_str())
        {
            return Err(invalid("condition", "expected new, used or refurbished"));
        }
        match self.limit {
            0 => Ok(20),
            n if n <= MAX_LIMIT => Ok(n),
            _ => Err(invalid("limit", "must be at most 100")),
        }
    }

    /// A fingerprint of what selects and orders the hits (FNV-1a, stable across builds), so
    /// a cursor is only accepted by the search that made it.
    pub(crate) fn fingerprint(&self) -> u64 {
        let text = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
            self.q,
            self.category_ids,
            self.brand,
            self.seller_id,
            self.min_price,
            self.max_price,
            self.condition,
            self.in_stock,
            self.sort
        );
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// The position of a hit in the total order: `(primary, id)` ascending, where `primary` is
/// the sort value turned so that smaller comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SortKey {
    pub primary: i64,
    pub id: u128,
}

/// Encodes the last hit of a page as an opaque cursor.
pub(crate) fn encode_cursor(fingerprint: u64, key: SortKey) -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(&fingerprint.to_be_bytes());
    bytes.extend_from_slice(&key.primary.to_be_bytes());
    bytes.extend_from_slice(&key.id.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a cursor made by [`encode_cursor`] for the same search.
pub(crate) fn decode_cursor(cursor: &str, fingerprint: u64) -> Result<SortKey, SearchError> {
    let bad = || invalid("cursor", "not a cursor of this search");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let (fp, rest) = bytes.split_first_chunk::<8>().ok_or_else(bad)?;
    let (primary, rest) = rest.split_first_chunk::<8>().ok_or_else(bad)?;
    let id: [u8; 16] = rest.try_into().map_err(|_| bad())?;
    if u64::from_be_bytes(*fp) != fingerprint {
        return Err(bad());
    }
    Ok(SortKey {
        primary: i64::from_be_bytes(*primary),
        id: u128::from_be_bytes(id),
    })
}

/// A matched range in a highlighted text, in characters (Unicode scalar values) from the
/// start of [`Highlight::text`]. Plain offsets, no markup: clients mark them as they wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A text (a whole name, or a description snippet with `…` where cut) and its matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Highlight {
    pub text: String,
    pub matches: Vec<Span>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: Uuid,
    pub name: String,
    pub price: i64,
    pub brand: Option<String>,
    pub category_id: Option<Uuid>,
    pub seller_id: Option<Uuid>,
    pub condition: String,
    pub available: i64,
    /// The key of the cover's smallest thumbnail (the query API makes it a URL).
    pub thumbnail_key: Option<String>,
    /// Mean approved rating to two decimals (0 without any) and how many there are.
    pub rating_average: f64,
    pub rating_count: i64,
    pub highlight_name: Highlight,
    pub highlight_description: Highlight,
}

/// A facet value and how many matching products have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A price bucket `[min, max)` (`max` none for the last) and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceBucket {
    pub min: i64,
    pub max: Option<i64>,
    pub count: u64,
}

/// Counts over every matching product (not just the page), most frequent first, ties by
/// value; buckets and values with no product are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Facets {
    /// Category ids (the API adds names).
    pub category: Vec<FacetCount>,
    pub brand: Vec<FacetCount>,
    pub condition: Vec<FacetCount>,
    pub price: Vec<PriceBucket>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// Number of matching products.
    pub total: u64,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
}
