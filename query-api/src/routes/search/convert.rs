//! The search route's conversions: the query string into a [`SearchRequest`] (422 naming the
//! field) and the engine's results into the documented answer.

use pasar_search::{SearchError, SearchRequest, SortOrder};

use super::{
    CategoryFacet, HighlightedText, Highlights, MatchRange, PriceFacet, SearchFacets, SearchHit,
    SearchParams, SearchResponse, ValueFacet,
};
use crate::error::ApiError;

pub(super) fn check_q(q: &str) -> Result<(), ApiError> {
    if q.trim().is_empty() {
        return Err(ApiError::invalid("q", "must not be empty"));
    }
    if q.chars().count() > pasar_search::request::MAX_QUERY_CHARS {
        return Err(ApiError::invalid("q", "must be at most 500 characters"));
    }
    Ok(())
}

/// Turns the query string into a [`SearchRequest`], or a 422 naming the field.
pub(super) fn parse(params: SearchParams) -> Result<SearchRequest, ApiError> {
    let q = params.q.unwrap_or_default();
    check_q(&q)?;
    let sort = match params.sort.as_deref() {
        None | Some("") => SortOrder::Relevance,
        Some(s) => s.parse().map_err(search_error)?,
    };
    let in_stock = match params.in_stock.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("in_stock", "expected true or false")),
    };
    Ok(SearchRequest {
        q,
        category_ids: parse_field("category", params.category)?
            .into_iter()
            .collect(),
        brand: params.brand.filter(|b| !b.trim().is_empty()),
        seller_id: parse_field("seller", params.seller)?,
        min_price: parse_field("min_price", params.min_price)?,
        max_price: parse_field("max_price", params.max_price)?,
        condition: params.condition.filter(|c| !c.is_empty()),
        in_stock,
        sort,
        limit: match parse_field::<usize>("limit", params.limit)? {
            Some(0) => return Err(ApiError::invalid("limit", "must be 1 to 100")),
            limit => limit.unwrap_or(0),
        },
        cursor: params.cursor.filter(|c| !c.is_empty()),
    })
}

fn parse_field<T: std::str::FromStr>(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<T>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, &format!("{text:?} is not valid here"))),
    }
}

pub(super) fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::Invalid { field, reason } => ApiError::invalid(field, &reason),
        e => ApiError::Internal(anyhow::Error::new(e).context("searching")),
    }
}

pub(super) fn respond(results: pasar_search::SearchResults) -> SearchResponse {
    SearchResponse {
        hits: results.hits.into_iter().map(hit).collect(),
        facets: facets(results.facets),
        total: results.total,
        next_cursor: results.next_cursor,
    }
}

fn hit(h: pasar_search::Hit) -> SearchHit {
    SearchHit {
        id: h.id,
        name: h.name,
        price: h.price,
        brand: h.brand,
        category: h.category_id,
        seller: h.seller_id,
        condition: h.condition,
        available: h.available,
        thumbnail_url: h.thumbnail_key.as_deref().map(crate::routes::media::url),
        rating: super::HitRating {
            average: h.rating_average,
            count: h.rating_count,
        },
        highlights: Highlights {
            name: highlighted(h.highlight_name),
            description: highlighted(h.highlight_description),
        },
    }
}

fn highlighted(h: pasar_search::Highlight) -> HighlightedText {
    HighlightedText {
        text: h.text,
        matches: h
            .matches
            .into_iter()
            .map(|s| MatchRange {
                start: s.start,
                end: s.end,
            })
            .collect(),
    }
}

fn facets(facets: pasar_search::Facets) -> SearchFacets {
    let values = |counts: Vec<pasar_search::FacetCount>| {
        counts
            .into_iter()
            .map(|c| ValueFacet {
                name: c.value,
                count: c.count,
            })
            .collect()
    };
    SearchFacets {
        category: facets
            .category
            .into_iter()
            .filter_map(|c| {
                Some(CategoryFacet {
                    id: c.value.parse().ok()?,
                    name: None,
                    count: c.count,
                })
            })
            .collect(),
        brand: values(facets.brand),
        price: facets
            .price
            .into_iter()
            .map(|p| PriceFacet {
                min: p.min,
                max: p.max,
                count: p.count,
            })
            .collect(),
        condition: values(facets.condition),
    }
}
