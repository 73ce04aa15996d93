//! `GET /v1/categories`: the category tree with product counts.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use pasar_projector::slices::catalog;
use pasar_projector::slices::categories::{self, queries};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections this route reads (the counts come from the catalog).
const READS: &[&str] = &[categories::NAME, catalog::NAME];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeQuery {
    /// Include retired categories (default `false`).
    include_retired: Option<bool>,
}

/// The category tree.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CategoryTree {
    /// Root categories, each with its subcategories; siblings by name.
    pub categories: Vec<queries::CategoryNode>,
}

/// List categories
///
/// The category tree, roots first, each with its subcategories and the number of active
/// products in it and below it. Retired categories only with `include_retired=true`.
#[utoipa::path(
    get, path = "/v1/categories", tag = "catalog",
    params(TreeQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The tree", body = CategoryTree),
        (status = 400, description = "A parameter or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tree(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<TreeQuery>, QueryRejection>,
) -> Result<Json<CategoryTree>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let categories = queries::tree(&client, query.include_retired.unwrap_or(false)).await?;
    Ok(Json(CategoryTree { categories }))
}
