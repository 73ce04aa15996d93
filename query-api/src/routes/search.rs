//! `GET /v1/search`, `GET /v1/search/suggest` and `POST /v1/admin/search/rebuild`: the
//! local search index (see [`crate::search`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::categories;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use pasar_service::openapi::ProblemDetails as Problem;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::search::{self, Rebuilt};

/// The read model these routes wait on for `X-Consistency-Token`.
mod convert;

use convert::{check_q, parse, respond, search_error};

const READS: &[&str] = &[search::NAME];

/// Query string of `GET /v1/search`. Every field arrives as text and is parsed here, so a
/// bad value is a 422 naming its field rather than a generic rejection.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text, 1–500 characters; query syntax characters are plain text.
    #[param(example = "sepatu lari")]
    pub q: Option<String>,
    /// Category id.
    pub category: Option<String>,
    /// Brand (case- and accent-insensitive).
    pub brand: Option<String>,
    /// Seller (customer id).
    pub seller: Option<String>,
    /// Lowest price in rupiah, inclusive.
    pub min_price: Option<String>,
    /// Highest price in rupiah, inclusive.
    pub max_price: Option<String>,
    /// `new`, `used` or `refurbished`.
    pub condition: Option<String>,
    /// `true`: only products with units available.
    pub in_stock: Option<String>,
    /// `relevance` (default), `price_asc`, `price_desc` or `newest`.
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A highlighted text: `matches` are character ranges of `text` (no markup).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HighlightedText {
    pub text: String,
    pub matches: Vec<MatchRange>,
}

/// `[start, end)` in characters (Unicode scalar values) of the highlighted text.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct MatchRange {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Highlights {
    pub name: HighlightedText,
    /// A snippet of the description (`…` where cut).
    pub description: HighlightedText,
}

/// One matching product.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct SearchHit {
    pub id: Uuid,
    pub name: String,
    /// Price in rupiah.
    pub price: i64,
    pub brand: Option<String>,
    /// Category id.
    pub category: Option<Uuid>,
    /// Seller id.
    pub seller: Option<Uuid>,
    pub condition: String,
    /// Units available to buy now.
    pub available: i64,
    /// The cover image's smallest thumbnail (`/v1/media/{key}`, on this API); null while the
    /// product has no image or its cover's thumbnails are being made.
    pub thumbnail_url: Option<String>,
    /// Its approved reviews' ratings.
    pub rating: HitRating,
    pub highlights: Highlights,
}

/// A product's approved ratings, as search keeps them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct HitRating {
    /// Mean to two decimals; 0 without ratings.
    #[schema(example = 4.5)]
    pub average: f64,
    #[schema(example = 2)]
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CategoryFacet {
    pub id: Uuid,
    /// The category's name from the tree (null for a category the tree does not know).
    pub name: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ValueFacet {
    pub name: String,
    pub count: u64,
}

/// A price range `[min, max)`; `max` null for the last, open-ended one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PriceFacet {
    pub min: i64,
    pub max: Option<i64>,
    pub count: u64,
}

/// Counts over every matching product (not just this page), most frequent first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ToSchema)]
pub struct SearchFacets {
    pub category: Vec<CategoryFacet>,
    pub brand: Vec<ValueFacet>,
    pub price: Vec<PriceFacet>,
    pub condition: Vec<ValueFacet>,
}

/// Answer of `GET /v1/search`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
    pub facets: SearchFacets,
    /// Number of matching products.
    pub total: u64,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Search products
///
/// Full-text search over the active products: typo tolerance, prefix on the last word,
/// the listing filters, facets and highlights. 422 problem+json naming the field for an
/// empty or over-long `q`, an unknown `sort` or `condition`, an inverted price range, a bad
/// number, id, limit or cursor. With `X-Consistency-Token`, waits until this process's index
/// has applied that position (503 with `Retry-After` after `CONSISTENCY_WAIT_MS`).
#[utoipa::path(
    get, path = "/v1/search", tag = "search",
    params(SearchParams, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "Hits, facets over every match, total and the next page's cursor", body = SearchResponse),
        (status = 400, description = "An unknown parameter, or a malformed consistency token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad parameter, named", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut request = parse(params)?;
    state.consistency.require(&headers, READS).await?;
    if !request.category_ids.is_empty() {
        // A category includes its subcategories (the tree is a PostgreSQL read model).
        let client = state.pool.get().await?;
        let mut ids = Vec::new();
        for category in &request.category_ids {
            ids.extend(categories::queries::subtree(&client, *category).await?);
        }
        ids.sort_unstable();
        ids.dedup();
        request.category_ids = ids;
    }
    let index = state.search.index();
    let results = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(search_error)?;
    let mut response = respond(results);
    name_categories(&state, &mut response.facets.category).await;
    Ok(Json(response))
}

/// Fills in the category facets' names from the category tree. Best effort: without the
/// database the facets keep their ids and `name: null`.
async fn name_categories(state: &AppState, facets: &mut [CategoryFacet]) {
    if facets.is_empty() {
        return;
    }
    let ids: Vec<Uuid> = facets.iter().map(|f| f.id).collect();
    let names = state
        .search
        .category_names
        .of(&state.pool, &state.consistency, &ids)
        .await;
    match names {
        Ok(names) => {
            for facet in facets {
                facet.name = names.get(&facet.id).cloned();
            }
        }
        Err(e) => tracing::warn!(error = %e, "category names for search facets unavailable"),
    }
}

/// Query string of `GET /v1/search/suggest`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the buyer has typed so far (1–500 characters).
    #[param(example = "sepatu la")]
    pub q: Option<String>,
}

/// Answer of `GET /v1/search/suggest`: up to 8 completions, categories first, then phrases
/// of product names by how many active products contain them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct SuggestResponse {
    pub suggestions: Vec<SuggestionBody>,
}

/// One completion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SuggestionBody {
    /// A phrase of product names and how many active products contain it.
    Phrase { text: String, count: u32 },
    /// A category by name.
    Category { id: Uuid, name: String },
}

/// Suggest completions
///
/// Search-as-you-type completions of `q`. 422 for an empty or over-long `q`. Honours
/// `X-Consistency-Token` like `/v1/search`.
#[utoipa::path(
    get, path = "/v1/search/suggest", tag = "search",
    params(SuggestParams, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "Up to 8 completions", body = SuggestResponse),
        (status = 400, description = "An unknown parameter, or a malformed consistency token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or over-long `q`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<SuggestParams>, QueryRejection>,
) -> Result<Json<SuggestResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let q = params.q.unwrap_or_default();
    check_q(&q)?;
    state.consistency.require(&headers, READS).await?;
    let index = state.search.index();
    let names = &state.search.category_names;
    if let Err(e) = names
        .suggest_from(&state.pool, &state.consistency, &index)
        .await
    {
        tracing::warn!(error = %e, "category names for suggestions unavailable");
    }
    let suggestions = index
        .suggest(&q, 8)
        .into_iter()
        .map(|s| match s {
            pasar_search::Suggestion::Phrase { text, count } => {
                SuggestionBody::Phrase { text, count }
            }
            pasar_search::Suggestion::Category { id, name } => {
                SuggestionBody::Category { id, name }
            }
        })
        .collect();
    Ok(Json(SuggestResponse { suggestions }))
}

/// Rebuild the search index
///
/// Rebuilds this process's search index from the start of the log beside the live one and
/// swaps it in when caught up (admin only; searches are served throughout). Answers when
/// the swap is done (a rebuild outliving the request timeout still completes). Each replica
/// rebuilds its own index: call it on each.
#[utoipa::path(
    post, path = "/v1/admin/search/rebuild", tag = "search",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new index is live", body = Rebuilt),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rebuild(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Rebuilt>, ApiError> {
    user.require(&[Role::Admin])?;
    let runtime = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        search::connect_runtime(&state.database_url, state.standby, &Default::default()),
    )
    .await
    .ok()
    .flatten()
    .ok_or_else(|| ApiError::Unavailable("cannot reach the event store".into()))?;
    // On a task of its own: a rebuild longer than the request timeout still finishes.
    let host = Arc::clone(&state.search);
    let rebuilt = tokio::spawn(async move { host.rebuild(&runtime).await })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)?;
    Ok(Json(rebuilt))
}
