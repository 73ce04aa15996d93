//! `GET /v1/wishlist`: the buyer's wished products with their current price and stock, from
//! the wishlists projection joined to the catalog.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::catalog;
use pasar_projector::slices::wishlists::{self, queries};
use serde::Deserialize;
use utoipa::IntoParams;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, from_micros, limit, micros};
use pasar_service::openapi::ProblemDetails as Problem;

use queries::WishedProduct;

/// Projections this route reads (current prices and stock from the catalog).
const READS: &[&str] = &[wishlists::NAME, catalog::NAME];

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WishlistQuery {
    /// 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; 400 for any other value.
    cursor: Option<String>,
}

/// The wishlist
///
/// The buyer's wished products, the most recently wished first, each with its current price
/// and available units, and flags: `price_dropped` (cheaper than when it was wished for) and
/// `back_in_stock` (out of stock then, available now). Buyers only.
#[utoipa::path(
    get, path = "/v1/wishlist", tag = "wishlist",
    security(("bearer" = [])),
    params(WishlistQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of wished products", body = Page<WishedProduct>),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<WishlistQuery>, QueryRejection>,
) -> Result<Json<Page<WishedProduct>>, ApiError> {
    if user.role != Role::Buyer {
        return Err(ApiError::Forbidden("only a buyer has a wishlist".into()));
    }
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let after = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Time { at, id }) => Some((from_micros(at)?, id)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => None,
    };
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let rows = queries::items(&client, user.id, after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |w: &WishedProduct| {
        Cursor::Time {
            at: micros(w.wished_at),
            id: w.product_id,
        }
    })))
}
